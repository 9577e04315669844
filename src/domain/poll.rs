//! Polls: a moderator asks the room, each participant holds one answer.
//!
//! Answers are like votes: "set", not "toggle", they commute, and they live beside
//! the log (one row per poll and participant). Closing a poll freezes its counts
//! into the log (`PollClosed`), so the public record holds the exact result and the
//! answer rows (which tie a participant to an answer) can be deleted on schedule.

use super::Actor;
use super::dialogue::{Decision, Dialogue};
use super::event::Event;
use super::refusal::Refusal;
use std::collections::HashMap;
use uuid::Uuid;

/// Per-dialogue poll number, 1, 2, 3…
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PollId(pub u64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PollKind {
    /// Exactly one option.
    Single,
    /// Any number of options, at least one.
    Multiple,
    /// One of "1" to "5".
    Scale,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PollState {
    /// Written before (or during) the meeting, not yet shown to anyone but staff.
    Prepared,
    Open,
    Closed,
}

/// Most options a poll may have, and the longest text of its question and options.
pub const MAX_OPTIONS: usize = 10;
pub const MAX_POLL_TEXT_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Poll {
    pub id: PollId,
    /// Written by staff: public once the poll opens.
    pub question: String,
    pub kind: PollKind,
    pub options: Vec<String>,
    pub state: PollState,
    /// Whether the public (participants, panel, venue screen) sees the results.
    pub results_shown: bool,
    /// The counts frozen when the poll closed.
    pub closed_results: Option<PollResults>,
}

/// Answers per option and the number of participants who answered; of them,
/// those from burst identities (`Dialogue::is_burst`), counted in the totals too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollResults {
    pub counts: Vec<u64>,
    pub respondents: u64,
    /// Per option, the answers from burst identities (empty: none).
    pub burst_counts: Vec<u64>,
    pub burst_respondents: u64,
}

/// One participant's answer set (empty: the answer is withdrawn).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PollAnswer {
    pub poll: PollId,
    pub participant: Uuid,
    pub choices: Vec<u16>,
    /// Given by a burst identity: stored with the answer, like a vote's flag.
    pub burst: bool,
}

/// The options of a 1-5 scale.
/// `n` of `total` in whole percent, rounded half up: the one way every page and
/// the record write a share (2 of 3 is 67 %, 1 of 8 is 13 %).
pub fn percent(n: u64, total: u64) -> u64 {
    (200 * n + total).checked_div(2 * total).unwrap_or(0)
}

pub fn scale_options() -> Vec<String> {
    (1..=5).map(|n| n.to_string()).collect()
}

impl Poll {
    /// Checks a set of choices: in range, no repeats, as many as the kind allows.
    /// Returns them sorted, so that the same answer is always stored the same way.
    pub fn check_choices(&self, choices: &[u16]) -> Option<Vec<u16>> {
        let mut sorted = choices.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != choices.len()
            || sorted.iter().any(|c| usize::from(*c) >= self.options.len())
        {
            return None;
        }
        let ok = match self.kind {
            PollKind::Single | PollKind::Scale => sorted.len() <= 1,
            PollKind::Multiple => true,
        };
        ok.then_some(sorted)
    }
}

/// Counts the answers held now, and apart those of whom `is_burst` says so.
pub fn count(
    poll: &Poll,
    answers: Option<&HashMap<Uuid, Vec<u16>>>,
    is_burst: impl Fn(Uuid) -> bool,
) -> PollResults {
    let mut results = PollResults {
        counts: vec![0; poll.options.len()],
        ..PollResults::default()
    };
    for (participant, choices) in answers.into_iter().flatten() {
        if choices.is_empty() {
            continue;
        }
        let burst = is_burst(*participant);
        results.respondents += 1;
        if burst {
            results.burst_respondents += 1;
            results.burst_counts.resize(poll.options.len(), 0);
        }
        for c in choices {
            let i = usize::from(*c);
            if let Some(n) = results.counts.get_mut(i) {
                *n += 1;
            }
            if let Some(n) = results.burst_counts.get_mut(i).filter(|_| burst) {
                *n += 1;
            }
        }
    }
    results
}

impl Dialogue {
    fn poll(&self, id: PollId) -> Result<&Poll, Refusal> {
        self.polls.get(&id).ok_or(Refusal::NoSuchPoll(id))
    }

    fn expect_poll(&self, id: PollId, expected: PollState) -> Result<&Poll, Refusal> {
        let poll = self.poll(id)?;
        if poll.state != expected {
            return Err(Refusal::PollConflict {
                poll: id,
                expected,
                actual: poll.state,
            });
        }
        Ok(poll)
    }

    pub(crate) fn create_poll(
        &self,
        question: String,
        kind: PollKind,
        options: Vec<String>,
    ) -> Decision {
        let poll = PollId(self.polls.keys().next_back().map_or(1, |p| p.0 + 1));
        let options = if kind == PollKind::Scale {
            scale_options()
        } else {
            options
        };
        Decision::event(Event::PollCreated {
            poll,
            question,
            kind,
            options,
        })
    }

    pub(crate) fn open_poll(&self, poll: PollId, expected: PollState) -> Result<Decision, Refusal> {
        if self.expect_poll(poll, expected)?.state != PollState::Prepared {
            return Err(Refusal::InvalidTarget("opened"));
        }
        Ok(Decision::event(Event::PollOpened { poll }))
    }

    pub(crate) fn close_poll(
        &self,
        poll: PollId,
        expected: PollState,
    ) -> Result<Decision, Refusal> {
        let p = self.expect_poll(poll, expected)?;
        if p.state != PollState::Open {
            return Err(Refusal::InvalidTarget("closed"));
        }
        Ok(Decision::event(Event::PollClosed {
            poll,
            results: self.poll_results(poll),
        }))
    }

    pub(crate) fn show_poll_results(&self, poll: PollId, shown: bool) -> Result<Decision, Refusal> {
        if self.poll(poll)?.state == PollState::Prepared {
            return Err(Refusal::InvalidTarget("shown before it opens"));
        }
        Ok(Decision::event(Event::PollResultsShown { poll, shown }))
    }

    pub(crate) fn answer_poll(
        &self,
        actor: &Actor,
        poll: PollId,
        choices: &[u16],
        burst: bool,
    ) -> Result<Decision, Refusal> {
        let p = self.poll(poll)?;
        if p.state != PollState::Open {
            return Err(Refusal::PollNotOpen(poll));
        }
        let choices = p.check_choices(choices).ok_or(Refusal::BadChoices)?;
        Ok(Decision {
            answers: vec![PollAnswer {
                poll,
                participant: actor.id(),
                choices,
                burst,
            }],
            ..Decision::default()
        })
    }

    pub(crate) fn apply_poll(&mut self, event: &Event) {
        match event {
            Event::PollCreated {
                poll,
                question,
                kind,
                options,
            } => {
                self.polls.insert(
                    *poll,
                    Poll {
                        id: *poll,
                        question: question.clone(),
                        kind: *kind,
                        options: options.clone(),
                        state: PollState::Prepared,
                        results_shown: false,
                        closed_results: None,
                    },
                );
            }
            Event::PollOpened { poll } => {
                if let Some(p) = self.polls.get_mut(poll) {
                    p.state = PollState::Open;
                }
            }
            Event::PollClosed { poll, results } => {
                if let Some(p) = self.polls.get_mut(poll) {
                    p.state = PollState::Closed;
                    p.closed_results = Some(results.clone());
                }
            }
            Event::PollResultsShown { poll, shown } => {
                if let Some(p) = self.polls.get_mut(poll) {
                    p.results_shown = *shown;
                }
            }
            _ => {}
        }
    }

    /// The events that close every open poll, with its counts now.
    pub(crate) fn close_open_polls(&self) -> Vec<Event> {
        self.polls
            .values()
            .filter(|p| p.state == PollState::Open)
            .map(|p| Event::PollClosed {
                poll: p.id,
                results: self.poll_results(p.id),
            })
            .collect()
    }

    /// Whether the public sees this poll's results: once a moderator shows them,
    /// and always once the dialogue has closed (they are part of the public record).
    pub fn poll_results_public(&self, poll: &Poll) -> bool {
        poll.state != PollState::Prepared
            && (poll.results_shown || self.phase == super::Phase::Closed)
    }

    /// Sets (or, with no choices, withdraws) one participant's answer.
    pub fn apply_answer(&mut self, a: &PollAnswer) {
        if a.burst && !a.choices.is_empty() {
            self.burst_identities.insert(a.participant);
        }
        let answers = self.poll_answers.entry(a.poll).or_default();
        if a.choices.is_empty() {
            answers.remove(&a.participant);
        } else {
            answers.insert(a.participant, a.choices.clone());
        }
    }

    /// A poll's results: frozen at closing, counted from the answers while open.
    /// This is what the public record shows of a closed poll.
    pub fn poll_results(&self, poll: PollId) -> PollResults {
        match self.polls.get(&poll) {
            Some(Poll {
                closed_results: Some(r),
                ..
            }) => r.clone(),
            Some(p) => count(p, self.poll_answers.get(&poll), |who| self.is_burst(who)),
            None => PollResults::default(),
        }
    }

    /// One participant's current answer to a poll.
    pub fn answer_of(&self, poll: PollId, participant: Uuid) -> Option<&[u16]> {
        self.poll_answers
            .get(&poll)?
            .get(&participant)
            .map(Vec::as_slice)
    }
}

#[cfg(test)]
mod percent_tests {
    use super::percent;

    #[test]
    fn shares_round_half_up_as_the_pages_do() {
        assert_eq!(percent(2, 3), 67);
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(1, 8), 13);
        assert_eq!(percent(3, 3), 100);
        assert_eq!(percent(0, 0), 0);
    }
}
