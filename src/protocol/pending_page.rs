//! The moderator's queue in pages: the `pending` summary of a staff snapshot
//! and the `pending_page` answer to `read_pending` (docs/protocol.md 2.26 and 3.11).

use super::server::QuestionWire;
use crate::domain::{
    Dialogue, PENDING_PAGE, PendingPage, Question, QuestionId, QueueCursor, QueueOrder,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueOrderWire {
    Newest,
    MostVoted,
}

impl From<QueueOrderWire> for QueueOrder {
    fn from(o: QueueOrderWire) -> QueueOrder {
        match o {
            QueueOrderWire::Newest => QueueOrder::Newest,
            QueueOrderWire::MostVoted => QueueOrder::MostVoted,
        }
    }
}

/// Where the next page starts: the last question of a page and its tally then.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CursorWire {
    pub id: u64,
    pub votes: u64,
}

impl From<CursorWire> for QueueCursor {
    fn from(c: CursorWire) -> QueueCursor {
        QueueCursor {
            id: QuestionId(c.id),
            votes: usize::try_from(c.votes).unwrap_or(usize::MAX),
        }
    }
}

impl From<QueueCursor> for CursorWire {
    fn from(c: QueueCursor) -> CursorWire {
        CursorWire {
            id: c.id.0,
            votes: c.votes as u64,
        }
    }
}

/// The first page in one order, by id (the questions themselves are in the snapshot's `questions`).
#[derive(Serialize)]
pub struct FirstPageWire {
    pub ids: Vec<u64>,
    pub next: Option<CursorWire>,
}

/// A staff snapshot's summary of the queue.
#[derive(Serialize)]
pub struct PendingWire {
    /// Every pending question, shown or not.
    pub count: usize,
    pub page_size: usize,
    pub newest: FirstPageWire,
    pub most_voted: FirstPageWire,
}

/// The pending questions a staff snapshot carries (the first page in each
/// order, in id order) and its summary.
pub fn first_pages(d: &Dialogue) -> (Vec<&Question>, PendingWire) {
    let newest = d.pending_page(QueueOrder::Newest, None, PENDING_PAGE);
    let voted = d.pending_page(QueueOrder::MostVoted, None, PENDING_PAGE);
    let mut shown: Vec<&Question> = newest
        .questions
        .iter()
        .chain(voted.questions.iter())
        .copied()
        .collect();
    shown.sort_unstable_by_key(|q| q.id);
    shown.dedup_by_key(|q| q.id);
    let summary = |p: &PendingPage<'_>| FirstPageWire {
        ids: p.questions.iter().map(|q| q.id.0).collect(),
        next: p.next.map(Into::into),
    };
    let wire = PendingWire {
        count: d.pending_count(),
        page_size: PENDING_PAGE,
        newest: summary(&newest),
        most_voted: summary(&voted),
    };
    (shown, wire)
}

/// The answer to `read_pending`.
#[derive(Serialize)]
pub struct PendingPageWire<'a> {
    pub client_msg_id: &'a str,
    pub epoch: u64,
    /// The log position the page was read at.
    pub seq: u64,
    pub order: QueueOrderWire,
    /// Every pending question at `seq`.
    pub count: usize,
    /// In the order asked for, at most `page_size` (50).
    pub questions: Vec<QuestionWire<'a>>,
    pub next: Option<CursorWire>,
}

impl<'a> PendingPageWire<'a> {
    pub fn new(
        d: &'a Dialogue,
        client_msg_id: &'a str,
        order: QueueOrderWire,
        after: Option<CursorWire>,
    ) -> PendingPageWire<'a> {
        let page = d.pending_page(order.into(), after.map(Into::into), PENDING_PAGE);
        PendingPageWire {
            client_msg_id,
            epoch: d.epoch,
            seq: d.head_seq,
            order,
            count: d.pending_count(),
            questions: page
                .questions
                .into_iter()
                .map(|q| QuestionWire::staff(d, q))
                .collect(),
            next: page.next.map(Into::into),
        }
    }
}
