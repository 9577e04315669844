//! Format v1 of the stored log: the shape the log had before the codec existed
//! (it was the staff wire encoding then), frozen here as types of its own.
//!
//! Nothing in this module may change what it writes or reads: a new shape is a
//! new version (`v2/`), and the codec goes on reading this one. Fields added to
//! v1 later were added with defaults, so every row ever written still reads.
//! The types are here; `write.rs` and `read.rs` convert from and to domain events.

mod read;
mod write;

use crate::domain::{Actor, Origin, PanelKind, Phase, PollKind, RejectReason, Role};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A closed set of names, stored in snake_case, mirrored one to one on a domain enum.
macro_rules! stored_names {
    ($stored:ident for $domain:ident: $($v:ident),* $(,)?) => {
        #[derive(Debug, Clone, Copy, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub(super) enum $stored { $($v),* }
        impl From<$domain> for $stored {
            fn from(d: $domain) -> Self { match d { $($domain::$v => Self::$v),* } }
        }
        impl From<$stored> for $domain {
            fn from(s: $stored) -> Self { match s { $($stored::$v => Self::$v),* } }
        }
    };
}

// A follower never causes an event; its name is here because every role has one.
stored_names!(RoleV1 for Role: Organizer, Moderator, Panelist, Participant, Screen, Follower);
stored_names!(PhaseV1 for Phase: Draft, Open, Live, Closed);
stored_names!(OriginV1 for Origin: Remote, InRoom);
stored_names!(KindV1 for PanelKind: Politician, Police, Staff, Other);
stored_names!(ReasonV1 for RejectReason: PersonalData, OffTopic, Abusive, Duplicate, Other);
stored_names!(PollKindV1 for PollKind: Single, Multiple, Scale);

stored_names!(ActionStatusV1 for ActionStatus: Reported, Planned, InProgress, Done, WillNotBeDone);

mod walk;
use crate::domain::walk::ActionStatus;
use walk::{ObservationV1, WalkPlanV1};

/// Who caused an event: `{"role":"moderator","id":"…"}` (the `actor` column).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(super) struct ActorV1 {
    role: RoleV1,
    id: Uuid,
}

impl From<&Actor> for ActorV1 {
    fn from(a: &Actor) -> Self {
        ActorV1 {
            role: a.role().into(),
            id: a.id(),
        }
    }
}

impl From<ActorV1> for Actor {
    fn from(a: ActorV1) -> Self {
        Actor::from_role(a.role.into(), a.id)
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum AddresseeV1 {
    Panelist(Uuid),
    Kind(KindV1),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct InfoV1 {
    title: String,
    description: String,
    #[serde(default)]
    purpose: String,
    starts_at: Option<i64>,
    #[serde(default)]
    ends_at: Option<i64>,
    venue: String,
    #[serde(default)]
    address: String,
    livestream_url: String,
    #[serde(default)]
    expected_kinds: Vec<KindV1>,
    #[serde(default)]
    unreached_plan: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct PanelistV1 {
    id: Uuid,
    name: String,
    title: String,
    organisation: String,
    kind: KindV1,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct ModeratorV1 {
    id: Uuid,
    name: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(super) struct AttendanceV1 {
    in_room: u64,
    remote: u64,
    /// Added later, with a default: rows written before it have none.
    #[serde(default, skip_serializing_if = "is_zero")]
    verified: u64,
}

/// A post's data series, checked when it was posted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct PostDataV1 {
    source: String,
    label: String,
    names: Vec<String>,
    /// A label and one number per name.
    rows: Vec<(String, Vec<f64>)>,
}

impl From<&crate::domain::PostData> for PostDataV1 {
    fn from(d: &crate::domain::PostData) -> Self {
        PostDataV1 {
            source: d.source.clone(),
            label: d.series.label.clone(),
            names: d.series.names.clone(),
            rows: d.series.rows.clone(),
        }
    }
}

impl From<PostDataV1> for crate::domain::PostData {
    fn from(d: PostDataV1) -> Self {
        crate::domain::PostData {
            source: d.source,
            series: crate::domain::Series {
                label: d.label,
                names: d.names,
                rows: d.rows,
            },
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One event (the `body` column). v1 rows carry no `v` field.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(super) enum BodyV1 {
    InfoSet(InfoV1),
    PhaseChanged {
        phase: PhaseV1,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        attendance: Option<AttendanceV1>,
    },
    PanelistAdded {
        panelist: PanelistV1,
    },
    ModeratorAdded {
        moderator: ModeratorV1,
    },
    PanelistRemoved {
        panelist_id: Uuid,
    },
    ModeratorRemoved {
        moderator_id: Uuid,
    },
    QuestionAsked {
        question_id: u64,
        text: String,
        display_name: Option<String>,
        addressee: Option<AddresseeV1>,
        origin: OriginV1,
        approved: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        receipt: Option<String>,
        /// Asked by a burst identity; absent (false) in logs written before it.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        burst: bool,
    },
    QuestionApproved {
        question_id: u64,
        edited_text: Option<String>,
    },
    QuestionRejected {
        question_id: u64,
        reason: ReasonV1,
    },
    QuestionMerged {
        question_id: u64,
        into: u64,
    },
    UpNextSet {
        question_ids: Vec<u64>,
    },
    NowAnswering {
        question_id: Option<u64>,
    },
    QuestionAnswered {
        question_id: u64,
    },
    QuestionArchived {
        question_id: u64,
    },
    ParticipantMuted {
        participant_id: Uuid,
    },
    ParticipantBanned {
        participant_id: Uuid,
    },
    ParticipantUnbanned {
        participant_id: Uuid,
    },
    InfoPosted {
        post_id: u64,
        text: String,
        source: String,
        link: Option<String>,
        /// Added later, with a default: rows written before it have none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        data: Option<PostDataV1>,
    },
    InfoPostEdited {
        post_id: u64,
        text: String,
        source: String,
        link: Option<String>,
        /// Added later, with a default: rows written before it have none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        data: Option<PostDataV1>,
    },
    AnswerWritten {
        question_id: u64,
        text: String,
    },
    AnswerPublished {
        question_id: u64,
        text: String,
    },
    FollowUpPromised {
        question_id: u64,
        owner: String,
        /// `YYYY-MM-DD`.
        due: chrono::NaiveDate,
    },
    FollowUpDone {
        question_id: u64,
        outcome: String,
    },
    InvitationOpened {},
    PollCreated {
        poll_id: u64,
        question: String,
        poll_kind: PollKindV1,
        options: Vec<String>,
    },
    PollOpened {
        poll_id: u64,
    },
    PollClosed {
        poll_id: u64,
        counts: Vec<u64>,
        respondents: u64,
        /// Of them, from burst identities; absent (none) when there were none
        /// and in logs written before they were counted apart.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        burst_counts: Vec<u64>,
        #[serde(default, skip_serializing_if = "is_zero")]
        burst_respondents: u64,
    },
    PollResultsShown {
        poll_id: u64,
        shown: bool,
    },
    PostShown {
        post_id: Option<u64>,
    },
    TipSent {
        tip_id: u64,
        text: String,
        display_name: Option<String>,
    },
    QuestionMovedToPrivate {
        question_id: u64,
        tip_id: u64,
    },
    TipRecipientsSet {
        kinds: Vec<KindV1>,
    },
    WalkPlanned(WalkPlanV1),
    GroupMoved {
        group: u32,
        at: Option<u32>,
    },
    ObservationPlaced(ObservationV1),
    ActionCreated {
        action_id: u64,
        title: String,
        observation_ids: Vec<u64>,
        responsible: String,
        /// `YYYY-MM-DD`.
        due: chrono::NaiveDate,
    },
    ActionStatusChanged {
        action_id: u64,
        status: ActionStatusV1,
        note: String,
    },
    /// The actor (a participant) entered the venue's room code.
    RoomEntered {},
    PhotoPublished {
        question_id: u64,
        /// The photo as uploaded and its published copy: hex SHA-256 ids.
        photo: String,
        published_id: String,
    },
}
