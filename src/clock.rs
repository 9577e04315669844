//! The server's wall clock, the one the read side asks "what time is it": which
//! meetings are still to come, which promises are overdue, when a page was made.
//!
//! The dialogue's own decisions take their time as a value from the hub; this
//! clock is for code that reads. A test scripts it (`set`) to move past due dates
//! without waiting for them; a running server never does.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// The system clock unless a test has scripted it. Clones share one setting.
#[derive(Debug, Clone)]
pub struct Clock {
    /// ms since the epoch, or `FOLLOW_SYSTEM`.
    fixed: Arc<AtomicI64>,
}

const FOLLOW_SYSTEM: i64 = i64::MIN;

impl Default for Clock {
    fn default() -> Clock {
        Clock::system()
    }
}

impl Clock {
    pub fn system() -> Clock {
        Clock {
            fixed: Arc::new(AtomicI64::new(FOLLOW_SYSTEM)),
        }
    }

    /// Now, in ms since the epoch.
    pub fn now_ms(&self) -> i64 {
        match self.fixed.load(Ordering::Relaxed) {
            FOLLOW_SYSTEM => chrono::Utc::now().timestamp_millis(),
            fixed => fixed,
        }
    }

    /// Stops the clock at `ms` (every clone with it): for tests.
    pub fn set(&self, ms: i64) {
        self.fixed
            .store(ms.max(FOLLOW_SYSTEM + 1), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::Clock;

    #[test]
    fn a_scripted_clock_is_shared_by_its_clones() {
        let clock = Clock::system();
        let other = clock.clone();
        assert!(other.now_ms() > 1_700_000_000_000);
        clock.set(42);
        assert_eq!(other.now_ms(), 42);
    }
}
