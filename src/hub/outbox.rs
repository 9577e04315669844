//! The bounded per-connection queue the hub fills and the connection drains.

use crate::protocol::{CloseCode, Frame};
use std::collections::VecDeque;
use std::sync::Mutex;
use tokio::sync::Notify;

/// Frames waiting for one connection. The hub pushes without ever waiting; a
/// connection that falls `max_bytes` behind is closed with `Slow` and resumes
/// from its last `seq`, so it can neither grow memory nor slow anyone else.
pub struct Outbox {
    // A std mutex, not a tokio one: it is held for a push or a drain, never across an await.
    state: Mutex<State>,
    notify: Notify,
    /// Wakes a writer stuck on a full socket when its connection falls too far behind.
    behind: Notify,
    max_bytes: usize,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Frame>,
    bytes: usize,
    /// The latest `live` frame: a newer one replaces an unsent older one.
    live: Option<Frame>,
    ping: bool,
    close: Option<CloseCode>,
    /// Drains so far: the queue's size is recorded for one drain in
    /// [`QUEUE_SAMPLE`], so the metric costs no shared write per batch.
    drains: u32,
}

/// One drain in this many records the bytes it found queued.
const QUEUE_SAMPLE: u32 = 16;

/// What a connection should write next. The writer keeps one and hands it back
/// to `drain` each time, so draining reuses its buffer instead of allocating.
#[derive(Default)]
pub struct Drained {
    pub ping: bool,
    pub frames: Vec<Frame>,
}

impl Outbox {
    pub fn new(max_bytes: usize) -> Outbox {
        Outbox {
            state: Mutex::new(State::default()),
            notify: Notify::new(),
            behind: Notify::new(),
            max_bytes,
        }
    }

    /// How many bytes the connection may fall behind.
    pub fn capacity(&self) -> usize {
        self.max_bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the queue half-changed, so go on.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues a frame. Returns `false` if the connection is closed, or is closed now
    /// for falling too far behind.
    pub fn push(&self, frame: Frame) -> bool {
        let mut s = self.lock();
        if s.close.is_some() {
            return false;
        }
        // An empty queue always takes one frame, so a large snapshot still gets through.
        if !s.queue.is_empty() && s.bytes + frame.len() > self.max_bytes {
            s.queue.clear();
            s.bytes = 0;
            s.close = Some(CloseCode::Slow);
            drop(s);
            crate::telemetry::slow_consumer_closed();
            self.notify.notify_one();
            self.behind.notify_one();
            return false;
        }
        s.bytes += frame.len();
        s.queue.push_back(frame);
        drop(s);
        self.notify.notify_one();
        true
    }

    /// Queues a frame whatever the queue holds: for what a joining connection must
    /// get before anything else (welcome and snapshot), however large the dialogue.
    pub fn push_always(&self, frame: Frame) {
        let mut s = self.lock();
        if s.close.is_none() {
            s.bytes += frame.len();
            s.queue.push_back(frame);
            drop(s);
            self.notify.notify_one();
        }
    }

    pub fn set_live(&self, frame: Frame) {
        let mut s = self.lock();
        if s.close.is_none() {
            s.live = Some(frame);
            drop(s);
            self.notify.notify_one();
        }
    }

    pub fn request_ping(&self) {
        self.lock().ping = true;
        self.notify.notify_one();
    }

    /// Asks the connection to close with `code` after nothing more.
    pub fn close(&self, code: CloseCode) {
        let mut s = self.lock();
        if s.close.is_none() {
            s.close = Some(code);
        }
        drop(s);
        self.notify.notify_one();
    }

    pub fn is_closed(&self) -> bool {
        self.lock().close.is_some()
    }

    /// Resolves once the connection has fallen too far behind. A writer blocked on
    /// a socket the client no longer reads races its write against this.
    pub async fn fell_behind(&self) {
        loop {
            if self.lock().close == Some(CloseCode::Slow) {
                return;
            }
            // `notify_one` keeps a permit, so a wake between the check and the wait is not lost.
            self.behind.notified().await;
        }
    }

    /// Waits until there is something to write; takes all of it at once (into
    /// `into`, which must be empty) so the connection can write it as one batch and
    /// flush once.
    pub async fn drain(&self, into: &mut Drained) -> Result<(), CloseCode> {
        loop {
            if let Some(drained) = self.try_drain(into) {
                return drained;
            }
            self.notify.notified().await;
        }
    }

    /// `drain` without waiting: `None` while there is nothing to write.
    pub fn try_drain(&self, into: &mut Drained) -> Option<Result<(), CloseCode>> {
        let mut s = self.lock();
        // What was queued before a close still goes out (a slow close emptied the queue).
        if s.queue.is_empty()
            && let Some(code) = s.close
        {
            return Some(Err(code));
        }
        if !s.queue.is_empty() || s.live.is_some() || s.ping {
            into.frames.extend(s.queue.drain(..));
            into.frames.extend(s.live.take());
            s.drains = s.drains.wrapping_add(1);
            if s.drains % QUEUE_SAMPLE == 1 {
                crate::telemetry::queue_drained(s.bytes);
            }
            s.bytes = 0;
            into.ping = std::mem::take(&mut s.ping);
            return Some(Ok(()));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_connection_that_falls_behind_is_closed_as_slow() {
        let outbox = Outbox::new(10);
        assert!(outbox.push(Frame::from("123456")));
        assert!(!outbox.push(Frame::from("123456")));
        let mut drained = Drained::default();
        assert_eq!(
            outbox.drain(&mut drained).await.err(),
            Some(CloseCode::Slow)
        );
    }

    #[tokio::test]
    async fn live_frames_replace_each_other_and_come_after_events() {
        let outbox = Outbox::new(1000);
        outbox.set_live(Frame::from("live1"));
        outbox.push(Frame::from("event"));
        outbox.set_live(Frame::from("live2"));
        let mut drained = Drained::default();
        outbox.drain(&mut drained).await.unwrap();
        let texts: Vec<&str> = drained.frames.iter().map(|f| f.as_str()).collect();
        assert_eq!(texts, ["event", "live2"]);
    }
}
