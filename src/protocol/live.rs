//! Tallies and presence (`live`, a latest-value stream) and poll results, with
//! the share of burst identities that staff and the record see beside them.

use crate::domain::{Audience, Dialogue, PollResults, PollState};
use serde::Serialize;
use std::collections::BTreeMap;

/// Answers per option (in option order) and how many participants answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PollResultsWire {
    pub counts: Vec<u64>,
    pub respondents: u64,
    /// Of these, the answers from burst identities (counted in `counts` and
    /// `respondents` too). Staff see it when there are any; the record always.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burst: Option<BurstShareWire>,
}

/// The answers of a poll that came from burst identities: per option (in option
/// order) and how many of them answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BurstShareWire {
    pub counts: Vec<u64>,
    pub respondents: u64,
}

impl BurstShareWire {
    fn of(r: &PollResults) -> BurstShareWire {
        let mut counts = r.burst_counts.clone();
        counts.resize(r.counts.len(), 0);
        BurstShareWire {
            counts,
            respondents: r.burst_respondents,
        }
    }
}

impl PollResultsWire {
    /// As `audience` sees them: the burst share is for staff, when there is one.
    pub fn new(r: &PollResults, audience: Audience) -> PollResultsWire {
        PollResultsWire {
            burst: (audience == Audience::Staff && r.burst_respondents > 0)
                .then(|| BurstShareWire::of(r)),
            ..r.into()
        }
    }

    /// As the public record gives them: with the burst share, zero or not.
    pub fn in_record(r: &PollResults) -> PollResultsWire {
        PollResultsWire {
            burst: Some(BurstShareWire::of(r)),
            ..r.into()
        }
    }
}

impl From<&PollResults> for PollResultsWire {
    /// The public's view: no burst share.
    fn from(r: &PollResults) -> Self {
        PollResultsWire {
            counts: r.counts.clone(),
            respondents: r.respondents,
            burst: None,
        }
    }
}

/// Latest-value stream of tallies and presence: a newer one replaces an unsent older one.
#[derive(Debug, Clone, Serialize)]
pub struct LiveWire {
    /// The log position this state was taken at.
    pub seq: u64,
    /// Grows with every change of tallies or presence; the highest wins.
    pub version: u64,
    /// Votes per public question, keyed by question id, for the questions that
    /// have any: a missing question has none. A meeting publishes many questions
    /// that nobody votes on, and this frame goes to everyone four times a second.
    pub votes: BTreeMap<u64, usize>,
    /// Staff only: of those votes, the ones from burst identities, for the
    /// questions that have any (absent when none has).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub burst_votes: BTreeMap<u64, usize>,
    pub present: Present,
    /// Results of the polls this audience may see, keyed by poll id: staff see
    /// every open or closed poll, the public those whose results are shown.
    pub polls: BTreeMap<u64, PollResultsWire>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Present {
    /// Said they are in the room, without the room code.
    pub in_room: usize,
    pub remote: usize,
    /// Entered the room code (whatever they said in `hello`).
    pub verified: usize,
}

impl LiveWire {
    pub fn new(d: &Dialogue, version: u64, present: Present, audience: Audience) -> LiveWire {
        let polls = d
            .polls
            .values()
            .filter(|p| p.state != PollState::Prepared)
            .filter(|p| audience == Audience::Staff || d.poll_results_public(p))
            .map(|p| {
                (
                    p.id.0,
                    PollResultsWire::new(&d.poll_results(p.id), audience),
                )
            })
            .collect();
        let public = || d.questions.values().filter(|q| q.status.is_public());
        let votes = public()
            .map(|q| (q.id.0, d.tally(q.id)))
            .filter(|(_, n)| *n > 0)
            .collect();
        let burst_votes = if audience == Audience::Staff && !d.burst_identities.is_empty() {
            public()
                .map(|q| (q.id.0, d.burst_tally(q.id)))
                .filter(|(_, n)| *n > 0)
                .collect()
        } else {
            BTreeMap::new()
        };
        LiveWire {
            seq: d.head_seq,
            version,
            votes,
            burst_votes,
            present,
            polls,
        }
    }
}
