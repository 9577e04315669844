//! Who follows the dialogue: joining (welcome, then a replay or a snapshot),
//! snapshots once per audience, presence, and the coalesced `live` stream.

use super::{DialogueCore, Join, LIVE_SLICES};
use crate::domain::{Actor, Audience, Phase};
use crate::hub::fanout::Member;
use crate::protocol::{self, CloseCode, Frame, LiveWire, ServerMessage, Welcome};

/// Whether a connection gets the room code: the screen and staff, never a
/// participant (the authorization table's `see_room_code`).
fn sees_room_code(actor: &Actor) -> bool {
    crate::domain::authorize::role_may(actor.role(), crate::domain::authorize::Action::SeeRoomCode)
}

impl DialogueCore {
    /// Takes a connection in: welcome, then exactly the events it missed if they
    /// are all still in the replay window, otherwise a snapshot.
    pub(super) fn admit(&mut self, j: Join) {
        if let Actor::Participant(id) = j.actor {
            if self.dialogue.banned.contains(&id) {
                let _ = j.reply.send(Err(CloseCode::Banned));
                return;
            }
        }
        let public_reader = matches!(
            j.actor,
            Actor::Participant(_) | Actor::Screen(_) | Actor::Follower(_)
        );
        if public_reader && self.dialogue.phase == Phase::Draft {
            let _ = j.reply.send(Err(CloseCode::NotFound));
            return;
        }
        let audience = Audience::of(&j.actor);
        let head = self.dialogue.head_seq;
        let replay = j
            .resume
            .filter(|p| p.epoch == self.dialogue.epoch && p.seq <= head)
            .and_then(|p| self.fanout.replay(p.seq, head, &j.actor, audience))
            // A replay that would not fit the outbox is slower than a snapshot: send that instead.
            .filter(|frames| {
                frames.iter().map(|f| f.len()).sum::<usize>() <= j.outbox.capacity() / 2
            });
        let (mine, my_votes) = protocol::mine(&self.dialogue, &j.actor);
        let welcome = Welcome {
            v: protocol::PROTOCOL_VERSION,
            role: j.actor.role().into(),
            you: j.actor.id(),
            dialogue_id: self.dialogue.id,
            epoch: self.dialogue.epoch,
            seq: head,
            recovered: replay.is_some(),
            max_question_chars: self.settings.max_question_chars,
            mine,
            my_votes,
            my_answers: protocol::my_answers(&self.dialogue, &j.actor),
            room_verified: self.dialogue.in_room_verified.contains(&j.actor.id()),
        };
        j.outbox
            .push_always(protocol::encode(&ServerMessage::Welcome(welcome)));
        let recovered = replay.is_some();
        match replay {
            Some(frames) => frames.into_iter().for_each(|f| j.outbox.push_always(f)),
            None => j.outbox.push_always(self.snapshot(audience)),
        }
        // A panelist allowed to read tips has no staff snapshot: the tips so far follow it.
        if !recovered && !j.actor.is_staff() && self.dialogue.reads_tips(&j.actor) {
            for tip in self.dialogue.tips.values() {
                let msg = protocol::TipMessage {
                    seq: head,
                    tip: protocol::TipWire::new(tip),
                };
                j.outbox
                    .push_always(protocol::encode(&ServerMessage::Tip(&msg)));
            }
        }
        if sees_room_code(&j.actor) {
            j.outbox.push_always(self.room_code_frame());
        }
        j.outbox.set_live(match audience {
            Audience::Staff => self.live.frames.0.clone(),
            Audience::Public => self.live.frames.1.clone(),
        });
        if matches!(j.actor, Actor::Participant(_)) {
            self.live.dirty = true;
        }
        self.fanout.members.insert(
            j.conn,
            Member {
                actor: j.actor,
                audience,
                location: j.location,
                outbox: j.outbox,
                live_version: self.live.version,
            },
        );
        let _ = j.reply.send(Ok(()));
    }

    /// The room code of now, for the screen and staff.
    fn room_code_frame(&self) -> Frame {
        let current = self.settings.room_codes.current(self.dialogue.id, self.now);
        protocol::encode(&ServerMessage::RoomCode(&protocol::RoomCodeWire {
            code: current.code,
            valid_until: current.valid_until,
            period_secs: self.settings.room_codes.period_secs(),
        }))
    }

    /// The time moved on (a tick of the shell's clock): when the room code
    /// changed, the screen and staff get the new one.
    pub fn tick_clock(&mut self, now: crate::domain::Timestamp) {
        self.now = now;
        let window = self
            .settings
            .room_codes
            .current(self.dialogue.id, now)
            .window;
        if window == self.room_window {
            return;
        }
        self.room_window = window;
        let seeing: Vec<_> = self
            .fanout
            .members
            .values()
            .filter(|m| sees_room_code(&m.actor))
            .map(|m| m.outbox.clone())
            .collect();
        if seeing.is_empty() {
            return;
        }
        let frame = self.room_code_frame();
        for outbox in seeing {
            outbox.push(frame.clone());
        }
    }

    /// One snapshot encoding per audience, reused until the next event.
    pub(super) fn snapshot(&mut self, audience: Audience) -> Frame {
        let head = self.dialogue.head_seq;
        if let Some((seq, frame)) = self.snapshots.get(&audience)
            && *seq == head
        {
            return frame.clone();
        }
        let frame = protocol::encode(&ServerMessage::Snapshot(protocol::snapshot(
            &self.dialogue,
            audience,
        )));
        self.snapshots.insert(audience, (head, frame.clone()));
        frame
    }

    /// Who is here now, kept as the peak for the record.
    pub(super) fn note_presence(&mut self) -> protocol::Present {
        let present = self.fanout.present(&self.dialogue.in_room_verified);
        self.peak.in_room = self.peak.in_room.max(present.in_room as u64);
        self.peak.remote = self.peak.remote.max(present.remote as u64);
        present
    }

    pub(super) fn encode_live(&mut self) {
        self.live.version += 1;
        let present = self.note_presence();
        let encode = |audience| {
            let live = LiveWire::new(&self.dialogue, self.live.version, present, audience);
            protocol::encode(&ServerMessage::Live(&live))
        };
        self.live.frames = (encode(Audience::Staff), encode(Audience::Public));
    }

    /// Encodes the tallies if they changed and hands them to this tick's slice.
    pub(super) fn send_live(&mut self) {
        if self.live.dirty {
            self.live.dirty = false;
            self.encode_live();
            self.live.slices_left = LIVE_SLICES;
        }
        if self.live.slices_left > 0 {
            self.live.slices_left -= 1;
            self.fanout.set_live_slice(
                (&self.live.frames.0, &self.live.frames.1),
                self.live.version,
                self.live.ticks % LIVE_SLICES,
                LIVE_SLICES,
            );
        }
    }
}
