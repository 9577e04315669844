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
}

impl Default for PendingCaps {
    /// No cap: the deployment's settings set them (`limits.pending_*`).
    fn default() -> PendingCaps {
        PendingCaps {
            per_participant: usize::MAX,
            per_dialogue: usize::MAX,
        }
    }
}

impl PendingCaps {
    /// Whether `author` may add one more pending question to these.
    pub fn check<'q>(
        &self,
        author: &Actor,
        questions: impl Iterator<Item = &'q Question>,
    ) -> Result<(), Refusal> {
        let (mut theirs, mut all) = (0, 0);
        for q in questions.filter(|q| q.status == QuestionStatus::Pending) {
            all += 1;
            if q.author == *author {
                theirs += 1;
            }
        }
        if theirs >= self.per_participant {
            return Err(Refusal::TooManyPending {
                limit: self.per_participant,
                whose: "yours",
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
