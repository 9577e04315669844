//! `apply`: folds logged events (and votes beside the log) into the state. No checks: events are facts.

use super::{Dialogue, VoteChange};
use crate::domain::event::{Event, Recorded};
use crate::domain::feedback::{FollowUp, InfoPost, WrittenAnswer};
use crate::domain::question::{Question, QuestionId, QuestionStatus};
use crate::domain::{Phase, sensitive};

impl Dialogue {
    /// Folds one logged event into the state. No checks: events are facts.
    pub fn apply(&mut self, rec: &Recorded) {
        self.head_seq = rec.seq;
        match &rec.event {
            Event::InfoSet(info) => {
                if self.head_seq > 1 && self.info.schedule_differs(info) {
                    self.schedule_sequence += 1;
                }
                self.info = info.clone();
            }
            Event::PhaseChanged { to, attendance } => {
                if self.phase == Phase::Draft && self.published_at.is_none() {
                    self.published_at = Some(rec.at);
                }
                self.phase = *to;
                if *to == Phase::Closed {
                    self.now_answering = None;
                    self.closed_at = Some(rec.at);
                    self.attendance = *attendance;
                }
            }
            Event::PanelistAdded(p) => self.panelists.push(p.clone()),
            Event::ModeratorAdded(m) => self.moderators.push(m.clone()),
            Event::PanelistRemoved { panelist } => self.panelists.retain(|p| p.id != *panelist),
            Event::ModeratorRemoved { moderator } => self.moderators.retain(|m| m.id != *moderator),
            Event::QuestionAsked {
                question,
                text,
                display_name,
                addressee,
                origin,
                approved,
                receipt,
                burst,
            } => {
                if *burst {
                    self.burst_identities.insert(rec.by.id());
                }
                let status = if *approved {
                    QuestionStatus::Approved
                } else {
                    QuestionStatus::Pending
                };
                let q = Question {
                    id: *question,
                    author: rec.by,
                    text: text.clone(),
                    original: None,
                    display_name: display_name.clone(),
                    addressee: *addressee,
                    origin: *origin,
                    status,
                    reject_reason: None,
                    merged_into: None,
                    asked_at: rec.at,
                    // Flags are found in the author's words, before any edit.
                    flags: sensitive::scan_with(text.expose(), &self.public_names()),
                    receipt: receipt.clone(),
                    answer: None,
                    follow_up: None,
                    private_signals: crate::domain::tip::private_signals(text.expose()),
                    danger: self.danger.matches(text.expose()),
                };
                if let Some(r) = receipt {
                    self.receipts.insert(r.clone(), *question);
                }
                self.questions.insert(*question, q);
            }
            Event::QuestionApproved { question, edited } => {
                if let Some(q) = self.questions.get_mut(question) {
                    q.status = QuestionStatus::Approved;
                    if let Some(text) = edited {
                        q.original = Some(std::mem::replace(&mut q.text, text.clone()));
                    }
                }
            }
            Event::QuestionRejected { question, reason } => {
                if let Some(q) = self.questions.get_mut(question) {
                    q.status = QuestionStatus::Rejected;
                    q.reject_reason = Some(*reason);
                }
            }
            Event::QuestionMerged { question, into } => {
                if let Some(q) = self.questions.get_mut(question) {
                    q.status = QuestionStatus::Merged;
                    q.merged_into = Some(*into);
                }
                self.leave_queue(*question);
            }
            Event::UpNextSet { questions } => self.up_next = questions.clone(),
            Event::NowAnswering { question } => {
                self.now_answering = *question;
                if let Some(id) = question {
                    self.up_next.retain(|q| q != id);
                }
            }
            Event::QuestionAnswered { question } => {
                self.set_status(*question, QuestionStatus::Answered);
                self.leave_queue(*question);
            }
            Event::QuestionArchived { question } => {
                self.set_status(*question, QuestionStatus::Archived);
                self.leave_queue(*question);
            }
            Event::ParticipantMuted { participant } => {
                self.muted.insert(*participant);
            }
            Event::ParticipantBanned { participant } => {
                self.banned.insert(*participant);
            }
            Event::ParticipantUnbanned { participant } => {
                self.banned.remove(participant);
            }
            Event::InfoPosted {
                post,
                text,
                source,
                link,
                data,
            } => {
                self.posts.insert(
                    *post,
                    InfoPost {
                        id: *post,
                        author: rec.by,
                        text: text.clone(),
                        source: source.clone(),
                        link: link.clone(),
                        data: data.clone(),
                        posted_at: rec.at,
                        edited_at: None,
                    },
                );
            }
            Event::InfoPostEdited {
                post,
                text,
                source,
                link,
                data,
            } => {
                if let Some(p) = self.posts.get_mut(post) {
                    p.text = text.clone();
                    p.source = source.clone();
                    p.link = link.clone();
                    p.data = data.clone();
                    p.edited_at = Some(rec.at);
                }
            }
            Event::PostShown { post } => self.shown_post = *post,
            Event::AnswerWritten { question, text } => {
                if let Some(q) = self.questions.get_mut(question) {
                    let published = q.answer.take().and_then(|a| a.published);
                    q.answer = Some(WrittenAnswer {
                        author: rec.by,
                        draft: text.clone(),
                        published,
                    });
                }
            }
            Event::AnswerPublished { question, text } => {
                if let Some(a) = self
                    .questions
                    .get_mut(question)
                    .and_then(|q| q.answer.as_mut())
                {
                    a.published = Some(text.clone());
                }
            }
            Event::FollowUpPromised {
                question,
                owner,
                due,
            } => {
                if let Some(q) = self.questions.get_mut(question) {
                    q.follow_up = Some(FollowUp {
                        owner: owner.clone(),
                        due: *due,
                        outcome: None,
                        done_at: None,
                    });
                }
            }
            Event::FollowUpDone { question, outcome } => {
                if let Some(f) = self
                    .questions
                    .get_mut(question)
                    .and_then(|q| q.follow_up.as_mut())
                {
                    f.outcome = Some(outcome.clone());
                    f.done_at = Some(rec.at);
                }
            }
            Event::InvitationOpened => {
                self.opened.insert(rec.by.id());
            }
            Event::PollCreated { .. }
            | Event::PollOpened { .. }
            | Event::PollClosed { .. }
            | Event::PollResultsShown { .. } => self.apply_poll(&rec.event),
            Event::TipSent { .. }
            | Event::QuestionMovedToPrivate { .. }
            | Event::TipRecipientsSet { .. } => self.apply_tip(rec),
            Event::WalkPlanned(_)
            | Event::GroupMoved { .. }
            | Event::ObservationPlaced(_)
            | Event::ActionCreated { .. }
            | Event::ActionStatusChanged { .. }
            | Event::PhotoPublished { .. } => self.apply_walk(rec),
            Event::RoomEntered => {
                self.in_room_verified.insert(rec.by.id());
            }
        }
    }

    pub(crate) fn set_status(&mut self, id: QuestionId, status: QuestionStatus) {
        if let Some(q) = self.questions.get_mut(&id) {
            q.status = status;
        }
    }

    /// A question that is no longer up for answering leaves "up next" and "now answering".
    pub(crate) fn leave_queue(&mut self, id: QuestionId) {
        self.up_next.retain(|q| *q != id);
        if self.now_answering == Some(id) {
            self.now_answering = None;
        }
    }

    pub fn apply_vote(&mut self, v: &VoteChange) {
        if v.on && v.burst {
            self.burst_identities.insert(v.participant);
        }
        let voters = self.votes.entry(v.question).or_default();
        if v.on {
            voters.insert(v.participant);
        } else {
            voters.remove(&v.participant);
        }
    }
}
