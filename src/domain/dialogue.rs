//! One dialogue's state: `decide` (may refuse, `decide.rs`, rights in `rights.rs`)
//! and `apply` (never fails, `apply.rs`).

use std::collections::{BTreeMap, HashMap, HashSet};

use super::event::Event;
use super::feedback::{Attendance, InfoPost, PostId};
use super::poll::{Poll, PollAnswer, PollId};
use super::question::{Question, QuestionId};
use super::tip::{DangerPhrases, Tip, TipId};
use super::{Actor, DialogueId, DialogueInfo, Moderator, PanelKind, Panelist, Phase, Timestamp};
use uuid::Uuid;

mod apply;
mod decide;
mod rights;
mod walk;

pub use rights::{Rights, When, rights};

/// What `decide` takes from outside the dialogue's state, as values: the domain
/// reads no clock and draws no random numbers, and it alone writes the events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// When the command is decided.
    pub now: Timestamp,
    /// The secret part of the receipt a new question gets (random, drawn by the
    /// caller). Without one, the question has no receipt.
    pub receipt_secret: Option<String>,
    /// The most participants present at once so far: written into the log when
    /// the dialogue closes, for the public record.
    pub attendance: Attendance,
    /// The room codes accepted now (the venue screen's current one, and the one
    /// before it during its grace period): derived by the caller from its secret
    /// and the time.
    pub room_codes: Vec<String>,
    /// The actor's token marks it a burst identity: created while its address
    /// had just created many others. The dialogue drops the mark once the
    /// identity entered the room code.
    pub burst: bool,
}

/// A vote set on or off. Votes commute, so they live beside the log, not in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VoteChange {
    pub question: QuestionId,
    pub participant: Uuid,
    pub on: bool,
    /// Set by a burst identity (`Dialogue::is_burst`): stored with the vote, so
    /// the flag is known again after a restart and on every node.
    pub burst: bool,
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
    /// Participants who entered the room code: in the room, verified.
    pub in_room_verified: HashSet<Uuid>,
    /// Participants who asked, voted or answered as burst identities (see
    /// `is_burst`: entering the room code clears them).
    pub burst_identities: HashSet<Uuid>,
    /// Who has a vote set on each question.
    pub votes: HashMap<QuestionId, HashSet<Uuid>>,
    pub posts: BTreeMap<PostId, InfoPost>,
    /// The post the venue screen shows, if a moderator shows one.
    pub shown_post: Option<PostId>,
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
    /// The deployment's caps on pending questions (configuration, not state).
    pub pending_caps: super::PendingCaps,
    /// A walk's plan, observations and actions; none for a meeting.
    pub walk: Option<super::walk::Walk>,
    /// The deployment's observation categories (configuration, not state).
    pub categories: std::sync::Arc<super::walk::Categories>,
}

impl Dialogue {
    /// What came of a question, as the public and its asker may learn it: a
    /// walk's observation still approved when the walk closed is noted in the
    /// walk's report, not left unreached.
    pub fn fate(&self, q: &super::Question) -> super::Fate {
        match q.fate(self.phase) {
            super::Fate::NotReached
                if self
                    .walk
                    .as_ref()
                    .is_some_and(|w| w.observations.contains_key(&q.id)) =>
            {
                super::Fate::Noted
            }
            fate => fate,
        }
    }

    /// Names that are public in this dialogue: its panel and moderators. The
    /// confidentiality guard does not flag them as private persons.
    pub fn public_names(&self) -> Vec<&str> {
        let panel = self.panelists.iter().map(|p| p.name.as_str());
        panel
            .chain(self.moderators.iter().map(|m| m.name.as_str()))
            .collect()
    }

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
            in_room_verified: HashSet::new(),
            burst_identities: HashSet::new(),
            votes: HashMap::new(),
            posts: BTreeMap::new(),
            shown_post: None,
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
            pending_caps: Default::default(),
            walk: None,
            categories: Default::default(),
        }
    }

    /// Votes on a question that the public can see, as shown in tallies.
    pub fn tally(&self, id: QuestionId) -> usize {
        self.votes.get(&id).map_or(0, HashSet::len)
    }

    /// How many of a question's votes are from burst identities (`is_burst`):
    /// counted in `tally` too, and shown beside it to staff and in the record.
    pub fn burst_tally(&self, id: QuestionId) -> usize {
        self.votes.get(&id).map_or(0, |voters| {
            voters.iter().filter(|p| self.is_burst(**p)).count()
        })
    }

    /// Whether what `participant` asked, voted and answered is flagged as from a
    /// burst identity: it acted as one, and has not entered the room code since
    /// (the code is the proof of presence a shared venue address lacks).
    pub fn is_burst(&self, participant: Uuid) -> bool {
        self.burst_identities.contains(&participant)
            && !self.in_room_verified.contains(&participant)
    }

    /// Whether a command from `actor`, whose token says `burst`, is flagged.
    pub(crate) fn flags(&self, actor: &Actor, burst: bool) -> bool {
        burst && !self.in_room_verified.contains(&actor.id())
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
