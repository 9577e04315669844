//! Deciding a batch: retries answered from their saved acks, the rest decided in
//! order against the state as the ones before them left it.

use super::commit::key_of;
use super::{DialogueCore, Submission};
use crate::domain::{Attendance, Command, Context, Event, Phase, PollAnswer, Recorded, VoteChange};
use crate::protocol::receipt;
use crate::protocol::{AckWire, ErrorCode, ErrorWire, EventBody};
use crate::store::SavedAck;
use std::collections::HashMap;
use uuid::Uuid;

/// A decided batch: what goes into the store in one transaction, and each
/// submission's outcome once it is there.
#[derive(Default)]
pub struct Staged {
    pub(super) outcomes: Vec<Result<AckWire, ErrorWire>>,
    /// The new events, numbered on from the head the batch was decided on.
    pub records: Vec<Recorded>,
    /// Each event's staff encoding, made once for the fan-out.
    pub bodies: Vec<EventBody>,
    pub votes: Vec<VoteChange>,
    pub answers: Vec<PollAnswer>,
    /// The acks saved with the batch, so a retry finds them.
    pub saved: Vec<SavedAck>,
    pub(super) new_acks: HashMap<(Uuid, String), AckWire>,
    /// Submissions the dialogue refused (they may be retries another node committed).
    pub(super) refused: usize,
}

impl Staged {
    /// How many submissions the batch answers (retries and refusals included).
    pub fn submissions(&self) -> usize {
        self.outcomes.len()
    }
}

impl DialogueCore {
    /// Decides each submission against the state as the ones before it left it.
    pub(super) fn stage(
        &mut self,
        submissions: &[Submission],
        secrets: &[Option<String>],
    ) -> Staged {
        let now = self.now;
        let mut staged = Staged::default();
        for (i, sub) in submissions.iter().enumerate() {
            let key = key_of(sub);
            if let Some(ack) = self.acks.get(&key).or_else(|| staged.new_acks.get(&key)) {
                // A retry: the same ack again, never a second effect.
                staged.outcomes.push(Ok(ack.clone()));
                continue;
            }
            let closes = matches!(
                sub.command,
                Command::SetPhase {
                    to: Phase::Closed,
                    ..
                }
            );
            let ctx = Context {
                now,
                receipt_secret: secrets.get(i).cloned().flatten(),
                // Counting who is here visits every member: only when it is written down.
                attendance: if closes {
                    self.note_presence();
                    self.peak
                } else {
                    Attendance::default()
                },
                // Only a command that names a room code needs the codes of now.
                room_codes: if matches!(sub.command, Command::EnterRoom { .. }) {
                    self.settings.room_codes.accepted(self.dialogue.id, now)
                } else {
                    Vec::new()
                },
                burst: sub.burst,
            };
            match self.dialogue.decide(&sub.actor, sub.command.clone(), ctx) {
                Ok(decision) => {
                    let (mut question_id, mut poll_id, mut tip_id) = (None, None, None);
                    let mut receipt_code = None;
                    for event in decision.events {
                        match &event {
                            Event::QuestionAsked {
                                question, receipt, ..
                            } => {
                                question_id = Some(question.0);
                                receipt_code = receipt
                                    .as_deref()
                                    .map(|secret| receipt::full(&self.dialogue.code, secret));
                            }
                            Event::PollCreated { poll, .. } => poll_id = Some(poll.0),
                            Event::TipSent { tip, .. } => tip_id = Some(tip.0),
                            _ => {}
                        }
                        let rec = Recorded {
                            seq: self.dialogue.head_seq + 1,
                            at: now,
                            by: sub.actor,
                            event,
                        };
                        self.dialogue.apply(&rec);
                        staged.bodies.push(EventBody::from(&rec.event));
                        staged.records.push(rec);
                    }
                    for vote in decision.votes {
                        self.dialogue.apply_vote(&vote);
                        staged.votes.push(vote);
                    }
                    for answer in decision.answers {
                        self.dialogue.apply_answer(&answer);
                        staged.answers.push(answer);
                    }
                    let ack = AckWire {
                        client_msg_id: key.1.clone(),
                        seq: (!sub.command.is_vote()).then_some(self.dialogue.head_seq),
                        question_id,
                        receipt: receipt_code,
                        poll_id,
                        tip_id,
                    };
                    staged.saved.push(SavedAck {
                        actor_id: key.0,
                        client_msg_id: key.1.clone(),
                        ack: serde_json::to_string(&ack).expect("ack serializes"),
                    });
                    staged.new_acks.insert(key, ack.clone());
                    staged.outcomes.push(Ok(ack));
                }
                Err(refusal) => {
                    staged.refused += 1;
                    let code = ErrorCode::from(&refusal);
                    staged.outcomes.push(Err(ErrorWire::new(
                        code,
                        refusal.to_string(),
                        Some(key.1),
                    )));
                }
            }
        }
        staged
    }
}
