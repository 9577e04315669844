//! What the server sends: replies, snapshots, events and latest-value streams.

use super::event::EventBody;
use super::event_parts::{
    ActorWire, AddresseeWire, FlagWire, InfoWire, ModeratorWire, PanelistWire, actor_to_wire,
};
use super::live::{LiveWire, PollResultsWire};
use super::public_event::PublicEvent;
pub use super::server_tips::{AlertWire, TipMessage, TipWire};
use super::{
    ErrorCode, OriginWire, PanelKindWire, PhaseWire, PollKindWire, PollStateWire, ReasonWire,
    RoleWire, StatusWire,
};
use crate::domain::{Actor, Audience, Dialogue, Fate, InfoPost, Poll, PollState, Question};
use serde::Serialize;
use uuid::Uuid;

// Built on the stack and encoded at once; never stored or queued.
#[allow(clippy::large_enum_variant)]
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage<'a> {
    Welcome(Welcome<'a>),
    Snapshot(Snapshot<'a>),
    Event {
        epoch: u64,
        seq: u64,
        at: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        by: Option<ActorWire>,
        event: EventOut<'a>,
    },
    Live(&'a LiveWire),
    Ack(&'a AckWire),
    Error(&'a ErrorWire),
    Notice(&'a NoticeWire),
    Pong {},
    /// A private tip, for a panelist whose kind receives tips (staff see tips in events and snapshots).
    Tip(&'a TipMessage<'a>),
    /// Text that signals immediate danger arrived: for staff only.
    Alert(&'a AlertWire),
    /// A page of the moderator's queue, the answer to `read_pending`.
    PendingPage(super::pending_page::PendingPageWire<'a>),
    /// The room code the venue screen shows: for the screen and staff only.
    RoomCode(&'a super::room_code::RoomCodeWire),
}

/// An event body for one audience.
#[derive(Serialize)]
#[serde(untagged)]
pub enum EventOut<'a> {
    Staff(&'a EventBody),
    Public(PublicEvent<'a>),
}

/// The first message on every connection, right after `hello`.
#[derive(Serialize)]
pub struct Welcome<'a> {
    pub v: u32,
    pub role: RoleWire,
    pub you: Uuid,
    pub dialogue_id: Uuid,
    pub epoch: u64,
    /// The position the client is at once what follows (replay or snapshot) is applied.
    pub seq: u64,
    /// `true`: the missed events follow. `false`: a `snapshot` follows instead.
    pub recovered: bool,
    pub max_question_chars: usize,
    /// A participant's own questions, including pending and rejected ones.
    pub mine: Vec<MineWire<'a>>,
    /// Questions this participant has a vote on.
    pub my_votes: Vec<u64>,
    /// This participant's answers to polls that are open, in poll order.
    pub my_answers: Vec<MyAnswerWire>,
    /// Whether this participant entered the room code (counted in the room).
    pub room_verified: bool,
}

/// A participant's own answer to an open poll.
#[derive(Serialize)]
pub struct MyAnswerWire {
    pub poll_id: u64,
    pub choices: Vec<u16>,
}

/// A participant's answers to the polls open now (empty for other roles).
pub fn my_answers(dialogue: &Dialogue, who: &Actor) -> Vec<MyAnswerWire> {
    if !matches!(who, Actor::Participant(_)) {
        return Vec::new();
    }
    dialogue
        .polls
        .values()
        .filter(|p| p.state == PollState::Open)
        .filter_map(|p| {
            dialogue.answer_of(p.id, who.id()).map(|c| MyAnswerWire {
                poll_id: p.id.0,
                choices: c.to_vec(),
            })
        })
        .collect()
}

/// A participant's own question: only its author sees the text before approval and the reason for a rejection.
#[derive(Serialize)]
pub struct MineWire<'a> {
    pub id: u64,
    pub text: &'a str,
    pub status: StatusWire,
    pub reason: Option<ReasonWire>,
    pub merged_into: Option<u64>,
    /// What came of it so far.
    pub fate: FateWire,
    /// The receipt code to look its fate up later.
    pub receipt: Option<String>,
}

/// What came of a question, as the public may learn it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FateWire {
    Pending,
    Queued,
    AnsweredLive,
    AnsweredInWriting,
    FollowUp,
    Merged,
    NotReached,
    /// A walk's observation, in the walk's report.
    Noted,
    Rejected,
    Archived,
    MovedToPrivate,
}

impl From<Fate> for FateWire {
    fn from(f: Fate) -> FateWire {
        match f {
            Fate::Pending => FateWire::Pending,
            Fate::Queued => FateWire::Queued,
            Fate::AnsweredLive => FateWire::AnsweredLive,
            Fate::AnsweredInWriting => FateWire::AnsweredInWriting,
            Fate::FollowUp => FateWire::FollowUp,
            Fate::MergedInto(_) => FateWire::Merged,
            Fate::NotReached => FateWire::NotReached,
            Fate::Noted => FateWire::Noted,
            Fate::Rejected(_) => FateWire::Rejected,
            Fate::Archived => FateWire::Archived,
            Fate::MovedToPrivate => FateWire::MovedToPrivate,
        }
    }
}

impl FateWire {
    pub fn code(self) -> &'static str {
        match self {
            FateWire::Pending => "pending",
            FateWire::Queued => "queued",
            FateWire::AnsweredLive => "answered_live",
            FateWire::AnsweredInWriting => "answered_in_writing",
            FateWire::FollowUp => "follow_up",
            FateWire::Merged => "merged",
            FateWire::NotReached => "not_reached",
            FateWire::Noted => "noted",
            FateWire::Rejected => "rejected",
            FateWire::Archived => "archived",
            FateWire::MovedToPrivate => "moved_to_private",
        }
    }
}

/// A promise to come back on a question.
#[derive(Debug, Clone, Serialize)]
pub struct FollowUpWire<'a> {
    pub owner: &'a str,
    /// `YYYY-MM-DD`.
    pub due: chrono::NaiveDate,
    /// What came of it, once the organizer recorded it.
    pub outcome: Option<&'a str>,
}

impl<'a> From<&'a crate::domain::FollowUp> for FollowUpWire<'a> {
    fn from(f: &'a crate::domain::FollowUp) -> Self {
        FollowUpWire {
            owner: &f.owner,
            due: f.due,
            outcome: f.outcome.as_deref(),
        }
    }
}

/// An information post: a short factual note with its source.
#[derive(Debug, Clone, Serialize)]
pub struct PostWire<'a> {
    pub id: u64,
    pub text: &'a str,
    pub source: &'a str,
    pub link: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<super::event_parts::PostDataWire>,
    pub author: ActorWire,
    pub posted_at: i64,
    pub edited_at: Option<i64>,
}

impl<'a> From<&'a InfoPost> for PostWire<'a> {
    fn from(p: &'a InfoPost) -> Self {
        PostWire {
            id: p.id.0,
            text: &p.text,
            source: &p.source,
            link: p.link.as_deref(),
            data: p.data.as_ref().map(Into::into),
            author: actor_to_wire(&p.author),
            posted_at: p.posted_at,
            edited_at: p.edited_at,
        }
    }
}

pub fn mine<'a>(dialogue: &'a Dialogue, who: &Actor) -> (Vec<MineWire<'a>>, Vec<u64>) {
    if !matches!(who, Actor::Participant(_)) {
        return (Vec::new(), Vec::new());
    }
    let mine = dialogue
        .questions_by(who)
        .map(|q| MineWire {
            id: q.id.0,
            // The author sees their own words, not a moderator's edit of them.
            text: q.original.as_ref().unwrap_or(&q.text).expose(),
            status: q.status.into(),
            reason: q.reject_reason.map(Into::into),
            merged_into: q.merged_into.map(|m| m.0),
            fate: dialogue.fate(q).into(),
            receipt: q
                .receipt
                .as_deref()
                .map(|r| super::receipt::full(&dialogue.code, r)),
        })
        .collect();
    let mut votes: Vec<u64> = dialogue.votes_of(who.id()).map(|q| q.0).collect();
    votes.sort_unstable();
    (mine, votes)
}

#[derive(Serialize)]
pub struct Snapshot<'a> {
    pub epoch: u64,
    pub seq: u64,
    pub dialogue: DialogueWire,
    pub questions: Vec<QuestionWire<'a>>,
    /// Staff only: the queue's size and its first page in each order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<super::pending_page::PendingWire>,
    pub posts: Vec<PostWire<'a>>,
    pub shown_post: Option<u64>,
    pub up_next: Vec<u64>,
    pub now_answering: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub muted: Option<Vec<Uuid>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub banned: Option<Vec<Uuid>>,
    /// Staff see every poll; the public sees polls once they open.
    pub polls: Vec<PollWire>,
    /// Staff only: the private tips.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tips: Option<Vec<TipWire<'a>>>,
    /// Staff only: the panel kinds that receive private tips.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tip_recipients: Option<Vec<PanelKindWire>>,
    /// A safety walk's plan, groups, observations and actions; absent for a meeting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub walk: Option<super::walk_wire::WalkSnapshot<'a>>,
}

#[derive(Serialize)]
pub struct DialogueWire {
    pub id: Uuid,
    pub code: String,
    #[serde(flatten)]
    pub info: InfoWire,
    pub phase: PhaseWire,
    pub panel: Vec<PanelistWire>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moderators: Option<Vec<ModeratorWire>>,
}

impl DialogueWire {
    pub fn new(d: &Dialogue, audience: Audience) -> DialogueWire {
        DialogueWire {
            id: d.id,
            code: d.code.clone(),
            info: (&d.info).into(),
            phase: d.phase.into(),
            panel: d.panelists.iter().map(Into::into).collect(),
            moderators: (audience == Audience::Staff).then(|| {
                d.moderators
                    .iter()
                    .map(|m| ModeratorWire {
                        id: m.id,
                        name: m.name.clone(),
                    })
                    .collect()
            }),
        }
    }
}

/// A question as one audience sees it. Staff-only fields are absent for the public.
#[derive(Serialize)]
pub struct QuestionWire<'a> {
    pub id: u64,
    pub text: &'a str,
    pub display_name: Option<&'a str>,
    pub addressee: Option<AddresseeWire>,
    pub origin: OriginWire,
    pub status: StatusWire,
    pub asked_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<ActorWire>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flags: Option<Vec<FlagWire>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redacted_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<ReasonWire>,
    /// The published written answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<&'a str>,
    /// Staff only: the draft written answer, published or not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer_draft: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<FollowUpWire<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_signals: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub danger: Option<bool>,
    /// Staff only, present when true: the asker is a burst identity now
    /// (`Dialogue::is_burst`; entering the room code clears it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burst: Option<bool>,
}

impl<'a> QuestionWire<'a> {
    pub fn public(q: &'a Question) -> QuestionWire<'a> {
        QuestionWire {
            id: q.id.0,
            text: q.text.expose(),
            display_name: q.display_name.as_ref().map(|n| n.expose()),
            addressee: q.addressee.map(Into::into),
            origin: q.origin.into(),
            status: q.status.into(),
            asked_at: q.asked_at,
            merged_into: q.merged_into.map(|m| m.0),
            author: None,
            original_text: None,
            flags: None,
            redacted_text: None,
            reason: None,
            answer: q.written_answer(),
            answer_draft: None,
            follow_up: q.follow_up.as_ref().map(Into::into),
            private_signals: None,
            danger: None,
            burst: None,
        }
    }

    /// The staff view; `d` is the dialogue `q` is in, which knows whether its
    /// asker is a burst identity.
    pub fn staff(d: &Dialogue, q: &'a Question) -> QuestionWire<'a> {
        QuestionWire {
            author: Some(actor_to_wire(&q.author)),
            original_text: q.original.as_ref().map(|t| t.expose()),
            flags: Some(q.flags.iter().map(Into::into).collect()),
            redacted_text: q.redacted(),
            reason: q.reject_reason.map(Into::into),
            answer_draft: q.answer.as_ref().map(|a| a.draft.as_str()),
            private_signals: Some(q.private_signals.iter().map(|s| s.code()).collect()),
            danger: q.danger.then_some(true),
            burst: asked_in_burst(d, q).then_some(true),
            ..QuestionWire::public(q)
        }
    }
}

/// Whether `q` was asked by a participant who is a burst identity now: what
/// the `question_asked` event said, until the asker enters the room code.
fn asked_in_burst(d: &Dialogue, q: &Question) -> bool {
    matches!(q.author, crate::domain::Actor::Participant(p) if d.is_burst(p))
}

/// Everything an audience may see of the dialogue now, as a WebSocket snapshot:
/// staff get every question but the pending ones, of which only the first page
/// in each order, so a flooded queue does not make every snapshot huge.
pub fn snapshot(d: &Dialogue, audience: Audience) -> Snapshot<'_> {
    snapshot_paged(d, audience, true)
}

/// The staff view over REST (`GET /api/dialogues/{id}`): every question,
/// pending ones included, read once rather than pushed to every socket.
pub fn snapshot_whole(d: &Dialogue, audience: Audience) -> Snapshot<'_> {
    snapshot_paged(d, audience, false)
}

fn snapshot_paged(d: &Dialogue, audience: Audience, paged: bool) -> Snapshot<'_> {
    let staff = audience == Audience::Staff;
    let (questions, pending) = if staff {
        let (first, pending) = super::pending_page::first_pages(d);
        let is_pending = |q: &&Question| q.status == crate::domain::QuestionStatus::Pending;
        let mut shown: Vec<&Question> = if paged {
            d.questions
                .values()
                .filter(|q| !is_pending(q))
                .chain(first)
                .collect()
        } else {
            d.questions.values().collect()
        };
        shown.sort_unstable_by_key(|q| q.id);
        (
            shown
                .into_iter()
                .map(|q| QuestionWire::staff(d, q))
                .collect(),
            Some(pending),
        )
    } else {
        let public = d.questions.values().filter(|q| q.status.is_public());
        (public.map(QuestionWire::public).collect(), None)
    };
    let sorted = |set: &std::collections::HashSet<Uuid>| {
        let mut v: Vec<Uuid> = set.iter().copied().collect();
        v.sort();
        v
    };
    Snapshot {
        epoch: d.epoch,
        seq: d.head_seq,
        dialogue: DialogueWire::new(d, audience),
        questions,
        pending,
        posts: d.posts.values().map(Into::into).collect(),
        shown_post: d.shown_post.map(|p| p.0),
        up_next: d.up_next.iter().map(|q| q.0).collect(),
        now_answering: d.now_answering.map(|q| q.0),
        muted: staff.then(|| sorted(&d.muted)),
        banned: staff.then(|| sorted(&d.banned)),
        polls: d
            .polls
            .values()
            .filter(|p| staff || p.state != PollState::Prepared)
            .map(|p| PollWire::new(d, p, audience))
            .collect(),
        tips: staff.then(|| d.tips.values().map(TipWire::new).collect()),
        tip_recipients: staff.then(|| d.tip_recipients.iter().map(|k| (*k).into()).collect()),
        walk: super::walk_wire::WalkSnapshot::new(d, staff),
    }
}

/// A poll as one audience sees it.
#[derive(Debug, Clone, Serialize)]
pub struct PollWire {
    pub id: u64,
    pub question: String,
    pub poll_kind: PollKindWire,
    pub options: Vec<String>,
    pub state: PollStateWire,
    pub results_shown: bool,
    /// A closed poll's final results, where this audience may see them (the
    /// public: once shown). Live results of an open poll come in `live`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<PollResultsWire>,
}

impl PollWire {
    pub fn new(d: &Dialogue, p: &Poll, audience: Audience) -> PollWire {
        let visible = audience == Audience::Staff || d.poll_results_public(p);
        PollWire {
            id: p.id.0,
            question: p.question.clone(),
            poll_kind: p.kind.into(),
            options: p.options.clone(),
            state: p.state.into(),
            results_shown: p.results_shown,
            results: (visible && p.state == PollState::Closed)
                .then(|| PollResultsWire::new(&d.poll_results(p.id), audience)),
        }
    }
}

/// The answer to a submission, sent only after it is committed. A retry with the
/// same `client_msg_id` gets the same ack again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AckWire {
    pub client_msg_id: String,
    /// The log position of the last event this submission caused (absent for votes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The question an `ask` or `floor_question` created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question_id: Option<u64>,
    /// The receipt code of that question: keep it to look up its fate later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<String>,
    /// The poll a `create_poll` created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_id: Option<u64>,
    /// The tip a `send_tip` created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tip_id: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorWire {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_msg_id: Option<String>,
    pub code: ErrorCode,
    pub message: String,
    pub retryable: bool,
}

impl ErrorWire {
    pub fn new(
        code: ErrorCode,
        message: impl Into<String>,
        client_msg_id: Option<String>,
    ) -> ErrorWire {
        ErrorWire {
            client_msg_id,
            code,
            message: message.into(),
            retryable: code.retryable(),
        }
    }
}

/// Private news for one participant about their own question (the reason for a rejection).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeWire {
    pub seq: u64,
    pub question_id: u64,
    pub status: StatusWire,
    pub reason: Option<ReasonWire>,
}
