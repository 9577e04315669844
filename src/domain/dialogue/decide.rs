//! `decide`: one arm per command, each calling a method named after it. Refusals
//! leave the state as it was; accepted commands become events for the log.

use super::{Context, Decision, Dialogue, VoteChange};
use crate::domain::command::Command;
use crate::domain::event::Event;
use crate::domain::feedback::{self, Attendance, PostData, PostId};
use crate::domain::question::{
    Addressee, Origin, Question, QuestionId, QuestionStatus, RejectReason,
};
use crate::domain::refusal::Refusal;
use crate::domain::text::{DisplayName, QuestionText};
use crate::domain::{Actor, Phase};
use std::collections::HashSet;

impl Dialogue {
    /// Decides what `cmd` from `actor` does to this dialogue: the events it adds
    /// (with every value in them, from `ctx` where it comes from outside), or why not.
    pub fn decide(&self, actor: &Actor, cmd: Command, ctx: Context) -> Result<Decision, Refusal> {
        self.authorize(actor, &cmd)?;
        match cmd {
            Command::Ask {
                text,
                display_name,
                addressee,
                origin,
            } => {
                let burst = self.flags(actor, ctx.burst);
                self.pending_caps
                    .check(actor, burst, self.questions.values(), |a| {
                        self.is_burst(a.id())
                    })?;
                self.ask(
                    text,
                    display_name,
                    addressee,
                    origin,
                    ctx.receipt_secret,
                    burst,
                )
            }
            Command::Vote { question, on } => {
                self.vote(actor, question, on, self.flags(actor, ctx.burst))
            }
            Command::Approve {
                question,
                expected,
                edited,
            } => self.approve(question, expected, edited),
            Command::Reject {
                question,
                expected,
                reason,
            } => {
                self.expect(question, expected, &[QuestionStatus::Pending], "rejected")?;
                Ok(Decision::event(Event::QuestionRejected {
                    question,
                    reason,
                }))
            }
            Command::RejectMany { questions, reason } => self.reject_many(questions, reason),
            Command::Merge {
                question,
                into,
                expected,
            } => self.merge(question, into, expected),
            Command::SetUpNext { questions } => self.set_up_next(questions),
            Command::SetNowAnswering { question, expected } => {
                self.set_now_answering(question, expected)
            }
            Command::MarkAnswered { question, expected } => {
                self.expect(question, expected, &[QuestionStatus::Approved], "answered")?;
                Ok(Decision::event(Event::QuestionAnswered { question }))
            }
            Command::Archive { question, expected } => {
                let from = [QuestionStatus::Approved, QuestionStatus::Answered];
                self.expect(question, expected, &from, "archived")?;
                Ok(Decision::event(Event::QuestionArchived { question }))
            }
            Command::FloorQuestion { text, addressee } => {
                self.floor_question(text, addressee, ctx.receipt_secret)
            }
            Command::Mute { participant } => {
                Ok(Decision::event(Event::ParticipantMuted { participant }))
            }
            Command::Ban { participant } => {
                Ok(Decision::event(Event::ParticipantBanned { participant }))
            }
            Command::Unban { participant } => {
                if !self.banned.contains(&participant) {
                    return Err(Refusal::NotBanned);
                }
                Ok(Decision::event(Event::ParticipantUnbanned { participant }))
            }
            Command::SetPhase { to, expected } => self.set_phase(to, expected, ctx.attendance),
            Command::EnterRoom { code } => self.enter_room(actor, &code, &ctx.room_codes),
            Command::SetInfo(info) => {
                // People were invited on a purpose: it cannot be taken away.
                if self.phase != Phase::Draft && info.purpose.is_empty() {
                    return Err(Refusal::PurposeRemoved);
                }
                Ok(Decision::event(Event::InfoSet(info)))
            }
            Command::AddPanelist(p) => Ok(Decision::event(Event::PanelistAdded(p))),
            Command::AddModerator(m) => Ok(Decision::event(Event::ModeratorAdded(m))),
            Command::RemovePerson { person } => self.remove_person(person),
            Command::Post {
                post,
                text,
                source,
                link,
                data,
            } => self.post(actor, post, text, source, link, data),
            Command::ShowPost { post } => self.show_post(post),
            Command::WriteAnswer { question, text } => {
                self.answerable(question)?;
                Ok(Decision::event(Event::AnswerWritten { question, text }))
            }
            Command::PublishAnswer { question } => {
                let q = self.answerable(question)?;
                let text = q
                    .answer
                    .as_ref()
                    .map(|a| a.draft.clone())
                    .ok_or(Refusal::InvalidTarget("published: no answer is written"))?;
                Ok(Decision::event(Event::AnswerPublished { question, text }))
            }
            Command::PromiseFollowUp {
                question,
                owner,
                due,
            } => {
                self.answerable(question)?;
                Ok(Decision::event(Event::FollowUpPromised {
                    question,
                    owner,
                    due,
                }))
            }
            Command::RecordOutcome { question, outcome } => {
                if self.question(question)?.follow_up.is_none() {
                    return Err(Refusal::InvalidTarget("followed up: nothing was promised"));
                }
                Ok(Decision::event(Event::FollowUpDone { question, outcome }))
            }
            Command::OpenInvitation => {
                if self.opened.contains(&actor.id()) {
                    Ok(Decision::default())
                } else {
                    Ok(Decision::event(Event::InvitationOpened))
                }
            }
            Command::CreatePoll {
                question,
                kind,
                options,
            } => Ok(self.create_poll(question, kind, options)),
            Command::OpenPoll { poll, expected } => self.open_poll(poll, expected),
            Command::ClosePoll { poll, expected } => self.close_poll(poll, expected),
            Command::ShowPollResults { poll, shown } => self.show_poll_results(poll, shown),
            Command::AnswerPoll { poll, choices } => {
                self.answer_poll(actor, poll, &choices, self.flags(actor, ctx.burst))
            }
            Command::SendTip { text, display_name } => Ok(self.send_tip(text, display_name)),
            Command::MoveToPrivate { question, expected } => {
                self.expect(question, expected, &[QuestionStatus::Pending], "moved")?;
                Ok(Decision::event(Event::QuestionMovedToPrivate {
                    question,
                    tip: self.next_tip_id(),
                }))
            }
            Command::PlanWalk(plan) => self.plan_walk(plan),
            Command::MoveGroup {
                group,
                to,
                expected,
            } => self.move_group(group, to, expected),
            Command::Observe {
                text,
                display_name,
                group,
                place,
                category,
                felt_safety,
                origin,
                photo,
            } => {
                let burst = self.flags(actor, ctx.burst);
                self.pending_caps
                    .check(actor, burst, self.questions.values(), |a| {
                        self.is_burst(a.id())
                    })?;
                let asked =
                    self.ask(text, display_name, None, origin, ctx.receipt_secret, burst)?;
                self.observe(asked, group, place, category, felt_safety, photo)
            }
            Command::CreateAction {
                title,
                observations,
                responsible,
                due,
            } => self.create_action(title, observations, responsible, due),
            Command::SetActionStatus {
                action,
                status,
                note,
                expected,
            } => self.set_action_status(action, status, note, expected),
            Command::PublishPhoto { photo, published } => self.publish_photo(photo, published),
            Command::SetTipRecipients { mut kinds } => {
                kinds.sort_by_key(|k| *k as u8);
                kinds.dedup();
                Ok(Decision::event(Event::TipRecipientsSet { kinds }))
            }
        }
    }

    /// Written answers and follow-ups are for questions the public can see,
    /// during the meeting or after it.
    /// Off the panel and off the moderators, whichever the person is on: one
    /// event per list, so each list reads back on its own.
    fn remove_person(&self, person: uuid::Uuid) -> Result<Decision, Refusal> {
        let mut events = Vec::new();
        if self.panelists.iter().any(|p| p.id == person) {
            events.push(Event::PanelistRemoved { panelist: person });
        }
        if self.moderators.iter().any(|m| m.id == person) {
            events.push(Event::ModeratorRemoved { moderator: person });
        }
        if events.is_empty() {
            return Err(Refusal::NoSuchPerson);
        }
        Ok(Decision {
            events,
            ..Decision::default()
        })
    }

    fn answerable(&self, id: QuestionId) -> Result<&Question, Refusal> {
        let q = self.question(id)?;
        if !q.status.is_public() {
            return Err(Refusal::InvalidTarget("answered: it is not approved"));
        }
        Ok(q)
    }

    fn post(
        &self,
        actor: &Actor,
        post: Option<PostId>,
        text: String,
        source: String,
        link: Option<String>,
        data: Option<PostData>,
    ) -> Result<Decision, Refusal> {
        let Some(id) = post else {
            let post = PostId(self.posts.keys().next_back().map_or(1, |p| p.0 + 1));
            return Ok(Decision::event(Event::InfoPosted {
                post,
                text,
                source,
                link,
                data,
            }));
        };
        let existing = self.posts.get(&id).ok_or(Refusal::NoSuchPost(id.0))?;
        if !feedback::may_edit(existing, actor) {
            return Err(Refusal::Forbidden { role: actor.role() });
        }
        Ok(Decision::event(Event::InfoPostEdited {
            post: id,
            text,
            source,
            link,
            data,
        }))
    }

    fn show_post(&self, post: Option<PostId>) -> Result<Decision, Refusal> {
        if let Some(id) = post {
            self.posts.get(&id).ok_or(Refusal::NoSuchPost(id.0))?;
        }
        Ok(Decision::event(Event::PostShown { post }))
    }

    fn question(&self, id: QuestionId) -> Result<&Question, Refusal> {
        self.questions.get(&id).ok_or(Refusal::NoSuchQuestion(id))
    }

    /// Moderator actions carry the state they expect, so two moderators racing get a conflict.
    pub(crate) fn expect(
        &self,
        id: QuestionId,
        expected: QuestionStatus,
        allowed_from: &[QuestionStatus],
        verb: &'static str,
    ) -> Result<&Question, Refusal> {
        let q = self.question(id)?;
        if q.status != expected {
            return Err(Refusal::Conflict {
                question: id,
                expected,
                actual: q.status,
            });
        }
        if !allowed_from.contains(&q.status) {
            return Err(Refusal::InvalidTarget(verb));
        }
        Ok(q)
    }

    /// One `question_rejected` per listed question still pending, in the order
    /// given (each once). Every id must exist; when none is pending any more, the
    /// first one's state is the conflict, as a single `reject` would say.
    fn reject_many(
        &self,
        questions: Vec<QuestionId>,
        reason: RejectReason,
    ) -> Result<Decision, Refusal> {
        let mut first = None;
        let mut seen = HashSet::new();
        let mut events = Vec::new();
        for id in questions {
            let q = self.question(id)?;
            first.get_or_insert((id, q.status));
            if q.status == QuestionStatus::Pending && seen.insert(id) {
                events.push(Event::QuestionRejected {
                    question: id,
                    reason,
                });
            }
        }
        match first {
            None => Err(Refusal::InvalidTarget("rejected")),
            Some((question, actual)) if events.is_empty() => Err(Refusal::Conflict {
                question,
                expected: QuestionStatus::Pending,
                actual,
            }),
            Some(_) => Ok(Decision {
                events,
                ..Decision::default()
            }),
        }
    }

    fn next_question_id(&self) -> QuestionId {
        QuestionId(self.questions.keys().next_back().map_or(1, |q| q.0 + 1))
    }

    fn check_addressee(&self, addressee: Option<Addressee>) -> Result<(), Refusal> {
        match addressee {
            Some(Addressee::Panelist(id)) if !self.panelists.iter().any(|p| p.id == id) => {
                Err(Refusal::NoSuchPanelist)
            }
            _ => Ok(()),
        }
    }

    fn ask(
        &self,
        text: QuestionText,
        display_name: Option<DisplayName>,
        addressee: Option<Addressee>,
        origin: Origin,
        receipt: Option<String>,
        burst: bool,
    ) -> Result<Decision, Refusal> {
        self.check_addressee(addressee)?;
        Ok(Decision::event(Event::QuestionAsked {
            question: self.next_question_id(),
            text,
            display_name,
            addressee,
            origin,
            approved: false,
            receipt,
            burst,
        }))
    }

    fn floor_question(
        &self,
        text: QuestionText,
        addressee: Option<Addressee>,
        receipt: Option<String>,
    ) -> Result<Decision, Refusal> {
        self.check_addressee(addressee)?;
        Ok(Decision::event(Event::QuestionAsked {
            question: self.next_question_id(),
            text,
            display_name: None,
            addressee,
            origin: Origin::InRoom,
            approved: true,
            receipt,
            burst: false,
        }))
    }

    fn vote(
        &self,
        actor: &Actor,
        question: QuestionId,
        on: bool,
        burst: bool,
    ) -> Result<Decision, Refusal> {
        let q = self.question(question)?;
        // Turning a vote off is always allowed on a question one could vote on once;
        // turning it on only while the question is up for answering.
        let votable =
            q.status == QuestionStatus::Approved || (!on && q.status == QuestionStatus::Answered);
        if !votable {
            return Err(Refusal::InvalidTarget("voted on"));
        }
        Ok(Decision {
            votes: vec![VoteChange {
                question,
                participant: actor.id(),
                on,
                burst,
            }],
            ..Decision::default()
        })
    }

    fn approve(
        &self,
        question: QuestionId,
        expected: QuestionStatus,
        edited: Option<QuestionText>,
    ) -> Result<Decision, Refusal> {
        let q = self.expect(question, expected, &[QuestionStatus::Pending], "approved")?;
        // An "edit" that changes nothing is no edit: keep the audit trail honest.
        let edited = edited.filter(|t| t != &q.text);
        Ok(Decision::event(Event::QuestionApproved {
            question,
            edited,
        }))
    }

    fn merge(
        &self,
        question: QuestionId,
        into: QuestionId,
        expected: QuestionStatus,
    ) -> Result<Decision, Refusal> {
        let from = [QuestionStatus::Pending, QuestionStatus::Approved];
        self.expect(question, expected, &from, "merged")?;
        let target = self.question(into)?;
        if into == question || !target.status.is_public() {
            return Err(Refusal::InvalidTarget("merged into"));
        }
        // Votes combine and nobody is counted twice: voters of the duplicate are
        // set on the target, which is a no-op for those already there.
        let target_voters = self.votes.get(&into);
        let mut votes: Vec<VoteChange> = self
            .votes
            .get(&question)
            .into_iter()
            .flatten()
            .filter(|p| !target_voters.is_some_and(|t| t.contains(p)))
            .map(|&participant| VoteChange {
                question: into,
                participant,
                on: true,
                burst: self.is_burst(participant),
            })
            .collect();
        votes.sort_by_key(|v| v.participant);
        Ok(Decision {
            events: vec![Event::QuestionMerged { question, into }],
            votes,
            ..Decision::default()
        })
    }

    fn set_up_next(&self, questions: Vec<QuestionId>) -> Result<Decision, Refusal> {
        let mut seen = HashSet::new();
        for &id in &questions {
            if self.question(id)?.status != QuestionStatus::Approved || !seen.insert(id) {
                return Err(Refusal::InvalidTarget("queued"));
            }
        }
        Ok(Decision::event(Event::UpNextSet { questions }))
    }

    fn set_now_answering(
        &self,
        question: Option<QuestionId>,
        expected: Option<QuestionId>,
    ) -> Result<Decision, Refusal> {
        if expected != self.now_answering {
            return Err(Refusal::NowAnsweringConflict {
                expected,
                actual: self.now_answering,
            });
        }
        if let Some(id) = question
            && self.question(id)?.status != QuestionStatus::Approved
        {
            return Err(Refusal::InvalidTarget("answered now"));
        }
        Ok(Decision::event(Event::NowAnswering { question }))
    }

    /// A participant who already entered the code is acked again with nothing
    /// new in the log; a wrong or expired code is refused.
    fn enter_room(
        &self,
        actor: &Actor,
        code: &str,
        accepted: &[String],
    ) -> Result<Decision, Refusal> {
        if !accepted.iter().any(|c| c == code) {
            return Err(Refusal::WrongRoomCode);
        }
        if self.in_room_verified.contains(&actor.id()) {
            return Ok(Decision::default());
        }
        Ok(Decision::event(Event::RoomEntered))
    }

    fn set_phase(
        &self,
        to: Phase,
        expected: Phase,
        attendance: Attendance,
    ) -> Result<Decision, Refusal> {
        if self.phase != expected {
            return Err(Refusal::PhaseConflict {
                expected,
                actual: self.phase,
            });
        }
        if !self.phase.may_become(to) {
            return Err(Refusal::PhaseTransition {
                from: self.phase,
                to,
            });
        }
        // People decide whether to come on what they can influence: say it before inviting them.
        if self.phase == Phase::Draft && self.info.purpose.is_empty() {
            return Err(Refusal::PurposeMissing);
        }
        // Closing the dialogue closes its open polls: their exact counts go into
        // the log, and so into the public record.
        let mut events = if to == Phase::Closed {
            self.close_open_polls()
        } else {
            Vec::new()
        };
        // The record keeps how many took part: the peak presence, at closing,
        // and everyone who entered the room code, from the log.
        let attendance = Attendance {
            verified: self.in_room_verified.len() as u64,
            ..attendance
        };
        events.push(Event::PhaseChanged {
            to,
            attendance: (to == Phase::Closed).then_some(attendance),
        });
        Ok(Decision {
            events,
            ..Decision::default()
        })
    }
}
