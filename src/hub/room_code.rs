//! The room code the venue screen shows: four digits that change every period,
//! derived from the server's secret, the dialogue and the time window with
//! HMAC-SHA256. Every node of a cluster shares the secret (it signs the tokens
//! too), so every node shows and accepts the same code without telling the
//! others. Pure: the time comes in as a value.

use crate::domain::{DialogueId, Timestamp};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::Arc;

type HmacSha256 = Hmac<Sha256>;

/// Digits in a room code: quick to type on a phone. Guessing is held back by
/// the limit on wrong codes per address (`docs/operations.md`).
const DIGITS: u32 = 4;

#[derive(Clone)]
pub struct RoomCodes {
    /// Derived from the server's secret, not the secret itself, so a code's
    /// key can never stand in for a token's.
    key: Arc<[u8]>,
    period_ms: i64,
    grace_ms: i64,
}

impl std::fmt::Debug for RoomCodes {
    // The key never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoomCodes")
            .field("period_ms", &self.period_ms)
            .field("grace_ms", &self.grace_ms)
            .finish_non_exhaustive()
    }
}

/// The code shown now, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomCode {
    pub code: String,
    /// The time window it belongs to (the time divided by the period).
    pub window: i64,
    pub valid_until: Timestamp,
}

impl RoomCodes {
    pub fn new(secret: &[u8], period_secs: u64, grace_secs: u64) -> RoomCodes {
        let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes a key of any length");
        mac.update(b"dialoghub room code key");
        let key: Vec<u8> = mac.finalize().into_bytes().to_vec();
        let period_ms = (period_secs.max(1) * 1000) as i64;
        RoomCodes {
            key: key.into(),
            period_ms,
            // The one before is of no use once it is more than a period old.
            grace_ms: ((grace_secs * 1000) as i64).min(period_ms),
        }
    }

    pub fn period_secs(&self) -> u64 {
        (self.period_ms / 1000) as u64
    }

    fn window(&self, now: Timestamp) -> i64 {
        now.div_euclid(self.period_ms)
    }

    fn code(&self, dialogue: DialogueId, window: i64) -> String {
        let mut mac =
            HmacSha256::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        mac.update(dialogue.as_bytes());
        mac.update(&window.to_be_bytes());
        let bytes = mac.finalize().into_bytes();
        let n = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        format!("{:0width$}", n % 10u32.pow(DIGITS), width = DIGITS as usize)
    }

    /// The code the screen shows at `now`.
    pub fn current(&self, dialogue: DialogueId, now: Timestamp) -> RoomCode {
        let window = self.window(now);
        RoomCode {
            code: self.code(dialogue, window),
            window,
            valid_until: (window + 1) * self.period_ms,
        }
    }

    /// The codes accepted at `now`: the current one, and the one before while
    /// its grace period lasts (someone typing as the screen changed).
    pub fn accepted(&self, dialogue: DialogueId, now: Timestamp) -> Vec<String> {
        let window = self.window(now);
        let mut codes = vec![self.code(dialogue, window)];
        if now - window * self.period_ms < self.grace_ms {
            codes.push(self.code(dialogue, window - 1));
        }
        codes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn the_code_changes_each_period_and_the_one_before_holds_for_the_grace() {
        let codes = RoomCodes::new(b"a secret of the server", 180, 60);
        let d = uuid::Uuid::from_u128(7);
        let t0 = 1_000 * 3 * MIN; // the start of a window
        let first = codes.current(d, t0);
        assert_eq!(first.code.len(), 4);
        assert!(first.code.chars().all(|c| c.is_ascii_digit()));
        assert_eq!(first.valid_until, t0 + 3 * MIN);
        assert_eq!(codes.current(d, t0 + 3 * MIN - 1).code, first.code);
        let next = codes.current(d, t0 + 3 * MIN);
        // Another window, so (almost always) another code; these two differ.
        assert_ne!(next.code, first.code);
        assert_eq!(
            codes.accepted(d, t0 + 3 * MIN + MIN - 1),
            vec![next.code.clone(), first.code.clone()]
        );
        assert_eq!(codes.accepted(d, t0 + 3 * MIN + MIN), vec![next.code]);
    }

    #[test]
    fn every_node_with_the_secret_agrees_and_another_secret_or_dialogue_does_not() {
        let (a, b) = (
            RoomCodes::new(b"shared", 180, 60),
            RoomCodes::new(b"shared", 180, 60),
        );
        let d = uuid::Uuid::from_u128(7);
        let now = 1_795_617_470_713;
        assert_eq!(a.current(d, now), b.current(d, now));
        let other = RoomCodes::new(b"another", 180, 60);
        let days: Vec<i64> = (0..20).map(|i| now + i * 3 * MIN).collect();
        let same = |x: &RoomCodes, dx, y: &RoomCodes, dy| {
            days.iter()
                .all(|t| x.current(dx, *t).code == y.current(dy, *t).code)
        };
        assert!(!same(&a, d, &other, d));
        assert!(!same(&a, d, &a, uuid::Uuid::from_u128(8)));
    }
}
