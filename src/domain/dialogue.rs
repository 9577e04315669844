//! One dialogue's state: `decide` (may refuse) and `apply` (never fails).

use std::collections::{BTreeMap, HashMap, HashSet};

use super::command::Command;
use super::event::{Event, Recorded};
use super::feedback::{self, Attendance, FollowUp, InfoPost, PostId, WrittenAnswer};
use super::poll::{Poll, PollAnswer, PollId};
use super::question::{Addressee, Origin, Question, QuestionId, QuestionStatus};
use super::refusal::Refusal;
use super::sensitive;
use super::text::{DisplayName, QuestionText};
use super::tip::{DangerPhrases, Tip, TipId};
use super::{
    Actor, DialogueId, DialogueInfo, Moderator, PanelKind, Panelist, Phase, Role, Timestamp,
};
use uuid::Uuid;

/// A vote set on or off. Votes commute, so they live beside the log, not in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VoteChange {
    pub question: QuestionId,
    pub participant: Uuid,
    pub on: bool,
}

/// What a command decided: events for the log, vote changes and poll answers beside it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    pub events: Vec<Event>,
    pub votes: Vec<VoteChange>,
    pub answers: Vec<PollAnswer>,
}

impl Decision {
    pub(crate) fn event(event: Event) -> Decision {
        Decision {
            events: vec![event],
            ..Decision::default()
        }
    }
}

#[derive(Debug, Clone)]
pub struct Dialogue {
    pub id: DialogueId,
    pub code: String,
    pub epoch: u64,
    /// Position of the last applied event; 0 before the first.
    pub head_seq: u64,
    pub info: DialogueInfo,
    pub phase: Phase,
    pub panelists: Vec<Panelist>,
    pub moderators: Vec<Moderator>,
    pub questions: BTreeMap<QuestionId, Question>,
    pub up_next: Vec<QuestionId>,
    pub now_answering: Option<QuestionId>,
    pub muted: HashSet<Uuid>,
    pub banned: HashSet<Uuid>,
    /// Who has a vote set on each question.
    pub votes: HashMap<QuestionId, HashSet<Uuid>>,
    pub posts: BTreeMap<PostId, InfoPost>,
    /// Receipt secret -> question.
    pub receipts: HashMap<String, QuestionId>,
    /// Panelists and moderators who have used their invitation.
    pub opened: HashSet<Uuid>,
    /// When the dialogue first left draft (the invitation went out).
    pub published_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    /// Grows each time the time or place changes: the calendar file's SEQUENCE.
    pub schedule_sequence: u32,
    pub attendance: Option<Attendance>,
    pub polls: BTreeMap<PollId, Poll>,
    /// Each participant's answer to each poll (beside the log, like votes).
    pub poll_answers: HashMap<PollId, HashMap<Uuid, Vec<u16>>>,
    /// Private tips: staff and the allowed panel kinds only.
    pub tips: BTreeMap<TipId, Tip>,
    /// Panel kinds that receive private tips.
    pub tip_recipients: Vec<PanelKind>,
    /// The deployment's danger phrase list (configuration, not state).
    pub danger: std::sync::Arc<DangerPhrases>,
}

impl Dialogue {
    pub fn new(id: DialogueId, code: String, epoch: u64) -> Dialogue {
        Dialogue {
            id,
            code,
            epoch,
            head_seq: 0,
            info: DialogueInfo::default(),
            phase: Phase::Draft,
            panelists: Vec::new(),
            moderators: Vec::new(),
            questions: BTreeMap::new(),
            up_next: Vec::new(),
            now_answering: None,
            muted: HashSet::new(),
            banned: HashSet::new(),
            votes: HashMap::new(),
            posts: BTreeMap::new(),
            receipts: HashMap::new(),
            opened: HashSet::new(),
            published_at: None,
            closed_at: None,
            schedule_sequence: 0,
            attendance: None,
            polls: BTreeMap::new(),
            poll_answers: HashMap::new(),
            tips: BTreeMap::new(),
            tip_recipients: Vec::new(),
            danger: Default::default(),
        }
    }

    pub fn decide(
        &self,
        actor: &Actor,
        cmd: Command,
        _now: Timestamp,
    ) -> Result<Decision, Refusal> {
        self.authorize(actor, &cmd)?;
        match cmd {
            Command::Ask {
                text,
                display_name,
                addressee,
                origin,
            } => self.ask(text, display_name, addressee, origin),
            Command::Vote { question, on } => self.vote(actor, question, on),
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
            Command::FloorQuestion { text, addressee } => self.floor_question(text, addressee),
            Command::Mute { participant } => {
                Ok(Decision::event(Event::ParticipantMuted { participant }))
            }
            Command::Ban { participant } => {
                Ok(Decision::event(Event::ParticipantBanned { participant }))
            }
            Command::SetPhase { to, expected } => self.set_phase(to, expected),
            Command::SetInfo(info) => {
                // People were invited on a purpose: it cannot be taken away.
                if self.phase != Phase::Draft && info.purpose.is_empty() {
                    return Err(Refusal::PurposeRemoved);
                }
                Ok(Decision::event(Event::InfoSet(info)))
            }
            Command::AddPanelist(p) => Ok(Decision::event(Event::PanelistAdded(p))),
            Command::AddModerator(m) => Ok(Decision::event(Event::ModeratorAdded(m))),
            Command::Post {
                post,
                text,
                source,
                link,
            } => self.post(actor, post, text, source, link),
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
            Command::AnswerPoll { poll, choices } => self.answer_poll(actor, poll, &choices),
            Command::SendTip { text, display_name } => Ok(self.send_tip(text, display_name)),
            Command::MoveToPrivate { question, expected } => {
                self.expect(question, expected, &[QuestionStatus::Pending], "moved")?;
                Ok(Decision::event(Event::QuestionMovedToPrivate {
                    question,
                    tip: self.next_tip_id(),
                }))
            }
            Command::SetTipRecipients { mut kinds } => {
                kinds.sort_by_key(|k| *k as u8);
                kinds.dedup();
                Ok(Decision::event(Event::TipRecipientsSet { kinds }))
            }
        }
    }

    /// Written answers and follow-ups are for questions the public can see,
    /// during the meeting or after it.
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
    ) -> Result<Decision, Refusal> {
        let Some(id) = post else {
            let post = PostId(self.posts.keys().next_back().map_or(1, |p| p.0 + 1));
            return Ok(Decision::event(Event::InfoPosted {
                post,
                text,
                source,
                link,
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
        }))
    }

    /// Only the right roles can make each transition.
    fn authorize(&self, actor: &Actor, cmd: &Command) -> Result<(), Refusal> {
        let role = actor.role();
        let allowed: &[Role] = match cmd {
            Command::Ask { .. }
            | Command::Vote { .. }
            | Command::AnswerPoll { .. }
            | Command::SendTip { .. } => &[Role::Participant],
            Command::MarkAnswered { .. } | Command::PromiseFollowUp { .. } => {
                &[Role::Moderator, Role::Organizer, Role::Panelist]
            }
            Command::WriteAnswer { .. } => &[Role::Panelist, Role::Moderator, Role::Organizer],
            Command::Post { .. } => &[Role::Organizer, Role::Panelist],
            Command::OpenInvitation => &[Role::Panelist, Role::Moderator],
            Command::SetPhase { .. }
            | Command::SetInfo(_)
            | Command::AddPanelist(_)
            | Command::AddModerator(_)
            | Command::RecordOutcome { .. }
            | Command::SetTipRecipients { .. } => &[Role::Organizer],
            _ => &[Role::Moderator, Role::Organizer],
        };
        if !allowed.contains(&role) {
            return Err(Refusal::Forbidden { role });
        }
        if let Actor::Participant(id) = actor {
            if self.banned.contains(id) {
                return Err(Refusal::Banned);
            }
            if self.muted.contains(id) {
                return Err(Refusal::Muted);
            }
        }
        let allowed_now = match cmd {
            Command::SetPhase { .. }
            | Command::SetInfo(_)
            | Command::AddPanelist(_)
            | Command::AddModerator(_)
            | Command::SetTipRecipients { .. }
            | Command::OpenInvitation => true,
            // Information goes out before, during and after the meeting.
            Command::Post { .. } => true,
            // Polls are prepared before the meeting: any phase but the last.
            Command::CreatePoll { .. } => self.phase != Phase::Closed,
            // Answers in writing and follow-ups come during the meeting or after it.
            Command::WriteAnswer { .. }
            | Command::PublishAnswer { .. }
            | Command::PromiseFollowUp { .. }
            | Command::RecordOutcome { .. } => self.phase != Phase::Draft,
            _ => self.phase.takes_questions(),
        };
        if !allowed_now {
            return Err(Refusal::NotNow(self.phase));
        }
        Ok(())
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
    ) -> Result<Decision, Refusal> {
        self.check_addressee(addressee)?;
        Ok(Decision::event(Event::QuestionAsked {
            question: self.next_question_id(),
            text,
            display_name,
            addressee,
            origin,
            approved: false,
            receipt: None,
        }))
    }

    fn floor_question(
        &self,
        text: QuestionText,
        addressee: Option<Addressee>,
    ) -> Result<Decision, Refusal> {
        self.check_addressee(addressee)?;
        Ok(Decision::event(Event::QuestionAsked {
            question: self.next_question_id(),
            text,
            display_name: None,
            addressee,
            origin: Origin::InRoom,
            approved: true,
            receipt: None,
        }))
    }

    fn vote(&self, actor: &Actor, question: QuestionId, on: bool) -> Result<Decision, Refusal> {
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

    fn set_phase(&self, to: Phase, expected: Phase) -> Result<Decision, Refusal> {
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
        events.push(Event::PhaseChanged {
            to,
            attendance: None,
        });
        Ok(Decision {
            events,
            ..Decision::default()
        })
    }

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
            Event::QuestionAsked {
                question,
                text,
                display_name,
                addressee,
                origin,
                approved,
                receipt,
            } => {
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
                    flags: sensitive::scan(text.expose()),
                    receipt: receipt.clone(),
                    answer: None,
                    follow_up: None,
                    private_signals: super::tip::private_signals(text.expose()),
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
            Event::InfoPosted {
                post,
                text,
                source,
                link,
            } => {
                self.posts.insert(
                    *post,
                    InfoPost {
                        id: *post,
                        author: rec.by,
                        text: text.clone(),
                        source: source.clone(),
                        link: link.clone(),
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
            } => {
                if let Some(p) = self.posts.get_mut(post) {
                    p.text = text.clone();
                    p.source = source.clone();
                    p.link = link.clone();
                    p.edited_at = Some(rec.at);
                }
            }
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
        let voters = self.votes.entry(v.question).or_default();
        if v.on {
            voters.insert(v.participant);
        } else {
            voters.remove(&v.participant);
        }
    }

    /// Votes on a question that the public can see, as shown in tallies.
    pub fn tally(&self, id: QuestionId) -> usize {
        self.votes.get(&id).map_or(0, HashSet::len)
    }

    pub fn questions_by(&self, author: &Actor) -> impl Iterator<Item = &Question> {
        self.questions.values().filter(move |q| q.author == *author)
    }

    pub fn votes_of(&self, participant: Uuid) -> impl Iterator<Item = QuestionId> + '_ {
        self.votes
            .iter()
            .filter(move |(_, voters)| voters.contains(&participant))
            .map(|(q, _)| *q)
    }
}

#[cfg(test)]
mod tests;
