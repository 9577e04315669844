//! The moderator's queue of pending questions, read a page at a time, so what
//! a moderator is sent stays small however many questions wait (a flood of
//! thousands must not turn every staff snapshot into megabytes).

use super::Dialogue;
use super::question::{Question, QuestionId, QuestionStatus};

/// Pending questions in one page (snapshot and `pending_page` alike).
pub const PENDING_PAGE: usize = 50;

/// The two orders a moderator reads the queue in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueOrder {
    /// Newest first: by question id, highest first.
    Newest,
    /// Most votes first; equal tallies newest first.
    MostVoted,
}

/// Where a page ended: the last question shown and its tally then. The next
/// page starts after it, so a question is on exactly one page of a queue that
/// does not change meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueCursor {
    pub id: QuestionId,
    pub votes: usize,
}

/// One page of the queue.
#[derive(Debug)]
pub struct PendingPage<'a> {
    pub questions: Vec<&'a Question>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<QueueCursor>,
}

impl Dialogue {
    /// Questions waiting for a moderator.
    pub fn pending_count(&self) -> usize {
        self.pending().count()
    }

    /// At most `limit` pending questions in `order`, after `after` (from the start if `None`).
    pub fn pending_page(
        &self,
        order: QueueOrder,
        after: Option<QueueCursor>,
        limit: usize,
    ) -> PendingPage<'_> {
        let mut keyed: Vec<(usize, &Question)> = match order {
            // The map is in id order: no sort needed, and no tally either.
            QueueOrder::Newest => self
                .pending()
                .rev()
                .filter(|q| after.is_none_or(|c| q.id < c.id))
                .take(limit + 1)
                .map(|q| (self.tally(q.id), q))
                .collect(),
            QueueOrder::MostVoted => {
                let mut all: Vec<(usize, &Question)> = self
                    .pending()
                    .map(|q| (self.tally(q.id), q))
                    .filter(|(votes, q)| after.is_none_or(|c| (*votes, q.id) < (c.votes, c.id)))
                    .collect();
                all.sort_unstable_by_key(|&(votes, q)| std::cmp::Reverse((votes, q.id)));
                all.truncate(limit + 1);
                all
            }
        };
        let more = keyed.len() > limit;
        keyed.truncate(limit);
        let next = if more {
            keyed.last().map(|(votes, q)| QueueCursor {
                id: q.id,
                votes: *votes,
            })
        } else {
            None
        };
        PendingPage {
            questions: keyed.into_iter().map(|(_, q)| q).collect(),
            next,
        }
    }

    fn pending(&self) -> impl DoubleEndedIterator<Item = &Question> {
        self.questions
            .values()
            .filter(|q| q.status == QuestionStatus::Pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Actor;
    use std::collections::HashSet;

    fn pending(id: u64) -> Question {
        Question::pending_from(id, Actor::Participant(uuid::Uuid::new_v4()))
    }

    fn with_pending(n: u64) -> Dialogue {
        let mut d = Dialogue::new(uuid::Uuid::new_v4(), "ABC123".into(), 1);
        for i in 1..=n {
            d.questions.insert(QuestionId(i), pending(i));
            // Every third question gets i % 5 votes: many equal tallies.
            if i % 3 == 0 {
                let voters: HashSet<uuid::Uuid> =
                    (0..i % 5).map(|_| uuid::Uuid::new_v4()).collect();
                d.votes.insert(QuestionId(i), voters);
            }
        }
        d
    }

    fn read_all(d: &Dialogue, order: QueueOrder, limit: usize) -> Vec<u64> {
        let (mut seen, mut after) = (Vec::new(), None);
        loop {
            let page = d.pending_page(order, after, limit);
            assert!(page.questions.len() <= limit);
            seen.extend(page.questions.iter().map(|q| q.id.0));
            match page.next {
                Some(c) => after = Some(c),
                None => return seen,
            }
        }
    }

    #[test]
    fn paging_shows_every_pending_question_once_in_either_order() {
        let d = with_pending(237);
        for order in [QueueOrder::Newest, QueueOrder::MostVoted] {
            let seen = read_all(&d, order, 10);
            let unique: HashSet<u64> = seen.iter().copied().collect();
            assert_eq!(seen.len(), 237, "{order:?}");
            assert_eq!(unique.len(), 237, "{order:?}");
        }
        let newest = read_all(&d, QueueOrder::Newest, 10);
        assert_eq!(newest[0], 237);
        let voted = read_all(&d, QueueOrder::MostVoted, 10);
        let tallies: Vec<usize> = voted.iter().map(|id| d.tally(QuestionId(*id))).collect();
        assert!(tallies.windows(2).all(|w| w[0] >= w[1]), "{tallies:?}");
        assert_eq!(d.pending_count(), 237);
    }

    #[test]
    fn an_exact_last_page_has_no_next() {
        let d = with_pending(20);
        let page = d.pending_page(QueueOrder::Newest, None, 20);
        assert_eq!(page.questions.len(), 20);
        assert_eq!(page.next, None);
    }
}
