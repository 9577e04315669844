//! Caps on the questions waiting for a moderator, so one person (or a hundred
//! fresh identities) cannot bury the queue: configuration, not state, like the
//! danger phrases. Questions from the floor (typed in by a moderator) are not
//! counted against anyone and never refused.

use super::question::{Question, QuestionStatus};
use super::{Actor, Refusal};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingCaps {
    /// Pending questions one participant may have at once.
    pub per_participant: usize,
    /// Pending questions the whole dialogue may hold at once.
    pub per_dialogue: usize,
    /// Pending questions burst identities (created in a burst from one address)
    /// may hold together: a share of `per_dialogue`, so that a flood of fresh
    /// identities can never fill the queue the meeting's other people need.
    pub for_burst: usize,
}

impl Default for PendingCaps {
    /// No cap: the deployment's settings set them (`limits.pending_*`).
    fn default() -> PendingCaps {
        PendingCaps {
            per_participant: usize::MAX,
            per_dialogue: usize::MAX,
            for_burst: usize::MAX,
        }
    }
}

impl PendingCaps {
    /// The caps with burst identities' share of the dialogue's cap in percent.
    pub fn with_burst_share(per_participant: usize, per_dialogue: usize, percent: u8) -> Self {
        let for_burst = per_dialogue.saturating_mul(percent.min(100) as usize) / 100;
        PendingCaps {
            per_participant,
            per_dialogue,
            for_burst,
        }
    }

    /// Whether `author` (`burst`: a burst identity) may add one more pending
    /// question to these; `is_burst` says which authors are burst identities.
    pub fn check<'q>(
        &self,
        author: &Actor,
        burst: bool,
        questions: impl Iterator<Item = &'q Question>,
        is_burst: impl Fn(&Actor) -> bool,
    ) -> Result<(), Refusal> {
        let (mut theirs, mut all, mut bursts) = (0, 0, 0);
        for q in questions.filter(|q| q.status == QuestionStatus::Pending) {
            all += 1;
            if q.author == *author {
                theirs += 1;
            }
            if burst && is_burst(&q.author) {
                bursts += 1;
            }
        }
        if theirs >= self.per_participant {
            return Err(Refusal::TooManyPending {
                limit: self.per_participant,
                whose: "yours",
            });
        }
        if burst && bursts >= self.for_burst {
            return Err(Refusal::TooManyPending {
                limit: self.for_burst,
                whose: "identities created in a burst from one address",
            });
        }
        if all >= self.per_dialogue {
            return Err(Refusal::TooManyPending {
                limit: self.per_dialogue,
                whose: "the dialogue's",
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    /// `n` pending questions, one each from fresh participants.
    fn queue(n: usize) -> Vec<Question> {
        (0..n)
            .map(|i| Question::pending_from(i as u64 + 1, Actor::Participant(Uuid::new_v4())))
            .collect()
    }

    #[test]
    fn the_burst_share_is_a_share_of_the_dialogues_cap() {
        let caps = PendingCaps::with_burst_share(20, 2000, 25);
        assert_eq!(caps.for_burst, 500);
        assert_eq!(PendingCaps::with_burst_share(20, 10, 25).for_burst, 2);
        assert_eq!(PendingCaps::with_burst_share(20, 10, 200).for_burst, 10);
    }

    #[test]
    fn burst_identities_together_hold_at_most_their_share_and_others_still_ask() {
        let caps = PendingCaps::with_burst_share(5, 8, 25);
        let questions = queue(4);
        // The first two authors are burst identities: their share (2 of 8) is full.
        let burst_authors: Vec<Actor> = questions[..2].iter().map(|q| q.author).collect();
        let is_burst = |a: &Actor| burst_authors.contains(a);
        let newcomer = Actor::Participant(Uuid::new_v4());
        let refused = caps.check(&newcomer, true, questions.iter(), is_burst);
        assert!(
            matches!(refused, Err(Refusal::TooManyPending { limit: 2, whose }) if whose.contains("burst")),
            "{refused:?}"
        );
        // Someone who is not a burst identity still gets in, up to the dialogue's cap.
        assert_eq!(
            caps.check(&newcomer, false, questions.iter(), is_burst),
            Ok(())
        );
        let full = queue(8);
        let refused = caps.check(&newcomer, false, full.iter(), |_| false);
        assert!(
            matches!(
                refused,
                Err(Refusal::TooManyPending {
                    limit: 8,
                    whose: "the dialogue's"
                })
            ),
            "{refused:?}"
        );
    }

    #[test]
    fn answered_questions_do_not_count_and_without_burst_identities_nothing_changes() {
        let caps = PendingCaps::with_burst_share(5, 8, 25);
        let mut questions = queue(3);
        let all: Vec<Actor> = questions.iter().map(|q| q.author).collect();
        // Three burst questions are over the share of 2; approving two leaves one.
        let author = Actor::Participant(Uuid::new_v4());
        assert!(
            caps.check(&author, true, questions.iter(), |a| all.contains(a))
                .is_err()
        );
        questions[0].status = QuestionStatus::Approved;
        questions[1].status = QuestionStatus::Rejected;
        assert_eq!(
            caps.check(&author, true, questions.iter(), |a| all.contains(a)),
            Ok(())
        );
        assert_eq!(
            caps.check(&author, false, queue(7).iter(), |_| true),
            Ok(())
        );
    }
}
