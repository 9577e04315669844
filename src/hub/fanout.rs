//! Encode each event once per audience and hand the same bytes to every connection.

use super::outbox::Outbox;
use crate::domain::{Actor, Audience, Dialogue, Event, Location, Recorded};
use crate::protocol::{
    self, AlertWire, EventBody, EventOut, Frame, NoticeWire, ServerMessage, TipMessage, TipWire,
    actor_to_wire, public_event,
};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use uuid::Uuid;

/// A logged event, encoded for each audience, kept for fan-out and replay.
pub struct Logged {
    pub seq: u64,
    pub staff: Frame,
    pub public: Frame,
    /// Private news for one participant (why their question was rejected).
    pub notice: Option<(Actor, Frame)>,
    /// A participant this event bans: their connections are closed after it.
    pub banned: Option<Actor>,
    /// A private tip for the panelists allowed to read tips (staff have it in `staff`).
    pub tip: Option<(Vec<Actor>, Frame)>,
    /// A danger alert, for staff only.
    pub alert: Option<Frame>,
}

impl Logged {
    /// Encodes `rec` against `dialogue`, the state right after the batch that holds `rec`.
    pub fn encode(dialogue: &Dialogue, rec: &Recorded) -> Logged {
        let body = EventBody::from(&rec.event);
        Logged::encode_body(dialogue, rec, &body)
    }

    pub fn encode_body(dialogue: &Dialogue, rec: &Recorded, body: &EventBody) -> Logged {
        let envelope = |by, event| ServerMessage::Event {
            epoch: dialogue.epoch,
            seq: rec.seq,
            at: rec.at,
            by,
            event,
        };
        let staff_body = body.for_staff(dialogue);
        let staff = protocol::encode(&envelope(
            Some(actor_to_wire(&rec.by)),
            EventOut::Staff(staff_body.as_ref().unwrap_or(body)),
        ));
        let public = protocol::encode(&envelope(
            None,
            EventOut::Public(public_event(dialogue, body)),
        ));
        let notice_for = |question: &crate::domain::QuestionId, reason| {
            dialogue.questions.get(question).map(|q| {
                let notice = NoticeWire {
                    seq: rec.seq,
                    question_id: question.0,
                    status: q.status.into(),
                    reason,
                };
                (q.author, protocol::encode(&ServerMessage::Notice(&notice)))
            })
        };
        let notice = match &rec.event {
            Event::QuestionRejected { question, reason } => {
                notice_for(question, Some((*reason).into()))
            }
            // The asker is told where the question went.
            Event::QuestionMovedToPrivate { question, .. } => notice_for(question, None),
            _ => None,
        };
        let tip_id = match &rec.event {
            Event::TipSent { tip, .. } | Event::QuestionMovedToPrivate { tip, .. } => Some(*tip),
            _ => None,
        };
        let tip = tip_id.and_then(|id| dialogue.tips.get(&id)).map(|t| {
            let readers = dialogue
                .panelists
                .iter()
                .map(|p| Actor::Panelist(p.id))
                .filter(|a| dialogue.reads_tips(a))
                .collect();
            let msg = TipMessage {
                seq: rec.seq,
                tip: TipWire::new(t),
            };
            (readers, protocol::encode(&ServerMessage::Tip(&msg)))
        });
        let alert = match &rec.event {
            Event::QuestionAsked { question, .. }
                if dialogue.questions.get(question).is_some_and(|q| q.danger) =>
            {
                Some(AlertWire {
                    seq: rec.seq,
                    alert: "danger",
                    question_id: Some(question.0),
                    tip_id: None,
                })
            }
            Event::TipSent { tip, .. } if dialogue.tips.get(tip).is_some_and(|t| t.danger) => {
                Some(AlertWire {
                    seq: rec.seq,
                    alert: "danger",
                    question_id: None,
                    tip_id: Some(tip.0),
                })
            }
            _ => None,
        }
        .map(|a| protocol::encode(&ServerMessage::Alert(&a)));
        let banned = match &rec.event {
            Event::ParticipantBanned { participant } => Some(Actor::Participant(*participant)),
            _ => None,
        };
        Logged {
            seq: rec.seq,
            staff,
            public,
            notice,
            banned,
            tip,
            alert,
        }
    }

    /// The private frames (after the audience's frame) that one member gets of this event.
    fn extras_for<'a>(
        &'a self,
        actor: &Actor,
        audience: Audience,
    ) -> impl Iterator<Item = &'a Frame> + 'a {
        let notice = self
            .notice
            .as_ref()
            .filter(|(author, _)| author == actor)
            .map(|(_, f)| f);
        let tip = self
            .tip
            .as_ref()
            .filter(|(readers, _)| readers.contains(actor))
            .map(|(_, f)| f);
        let alert = self.alert.as_ref().filter(|_| audience == Audience::Staff);
        notice.into_iter().chain(tip).chain(alert)
    }

    pub fn frame_for(&self, audience: Audience) -> &Frame {
        match audience {
            Audience::Staff => &self.staff,
            Audience::Public => &self.public,
        }
    }
}

pub type ConnId = u64;

/// One connection listening to a dialogue.
pub struct Member {
    pub actor: Actor,
    pub audience: Audience,
    pub location: Location,
    pub outbox: Arc<Outbox>,
    /// The version of the last `live` queued for it: it never gets one twice.
    pub live_version: u64,
}

/// The connections of one dialogue and the recent log they can resume from.
pub struct Fanout {
    pub members: HashMap<ConnId, Member>,
    recent: VecDeque<Arc<Logged>>,
    window: usize,
}

impl Fanout {
    pub fn new(window: usize) -> Fanout {
        Fanout {
            members: HashMap::new(),
            recent: VecDeque::new(),
            window: window.max(1),
        }
    }

    /// Remembers an event for replay without sending it (used while loading).
    pub fn remember(&mut self, logged: Arc<Logged>) {
        if self.recent.len() == self.window {
            self.recent.pop_front();
        }
        self.recent.push_back(logged);
    }

    /// Sends an event to every member, in log order. Members that fell too far
    /// behind are dropped here; they resume from their `seq` on a new connection.
    pub fn send(&mut self, logged: Arc<Logged>) {
        let mut gone = Vec::new();
        for (id, m) in &self.members {
            if !m.outbox.push(logged.frame_for(m.audience).clone()) {
                gone.push(*id);
            }
        }
        if logged.notice.is_some() || logged.tip.is_some() || logged.alert.is_some() {
            for m in self.members.values() {
                for frame in logged.extras_for(&m.actor, m.audience) {
                    m.outbox.push(frame.clone());
                }
            }
        }
        if let Some(banned) = &logged.banned {
            for (id, m) in &self.members {
                if m.actor == *banned {
                    m.outbox.close(protocol::CloseCode::Banned);
                    gone.push(*id);
                }
            }
        }
        for id in gone {
            self.members.remove(&id);
        }
        self.remember(logged);
    }

    /// The events after `seq` for one member, or `None` if they are no longer all kept.
    pub fn replay(
        &self,
        seq: u64,
        head: u64,
        actor: &Actor,
        audience: Audience,
    ) -> Option<Vec<Frame>> {
        if seq == head {
            return Some(Vec::new());
        }
        let first = self.recent.front()?.seq;
        if seq + 1 < first {
            return None;
        }
        let mut frames = Vec::new();
        for logged in self.recent.iter().filter(|l| l.seq > seq) {
            frames.push(logged.frame_for(audience).clone());
            frames.extend(logged.extras_for(actor, audience).cloned());
        }
        Some(frames)
    }

    /// The latest tallies (`version`), one encoding per audience, for the members
    /// whose id falls in `slice` of `slices` and do not have them yet.
    pub fn set_live_slice(
        &mut self,
        (staff, public): (&Frame, &Frame),
        version: u64,
        slice: u64,
        slices: u64,
    ) {
        for (_, m) in self
            .members
            .iter_mut()
            .filter(|(conn, m)| **conn % slices == slice && m.live_version < version)
        {
            let frame = match m.audience {
                Audience::Staff => staff,
                Audience::Public => public,
            };
            m.outbox.set_live(frame.clone());
            m.live_version = version;
        }
    }

    /// Pings one slice of the members (those whose id falls in `slice` of
    /// `slices`): visiting them in turn keeps a ping from ever being a burst of
    /// one write per connection in the middle of the events.
    pub fn ping_slice(&self, slice: u64, slices: u64) {
        for (conn, m) in &self.members {
            if conn % slices == slice {
                m.outbox.request_ping();
            }
        }
    }

    pub fn close_all(&mut self, code: protocol::CloseCode) {
        for m in self.members.values() {
            m.outbox.close(code);
        }
        self.members.clear();
    }

    /// Distinct participants connected now, by where they take part from: those
    /// who entered the room code (`verified`) apart from those who only said so.
    pub fn present(&self, entered: &HashSet<Uuid>) -> protocol::Present {
        let mut seen: HashMap<Uuid, Location> = HashMap::new();
        for m in self.members.values() {
            if let Actor::Participant(id) = m.actor {
                seen.insert(id, m.location);
            }
        }
        let verified = seen.keys().filter(|id| entered.contains(id)).count();
        let in_room = seen
            .iter()
            .filter(|(id, l)| **l == Location::InRoom && !entered.contains(id))
            .count();
        protocol::Present {
            in_room,
            remote: seen.len() - in_room - verified,
            verified,
        }
    }
}
