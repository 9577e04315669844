//! Limits per address and per connection, so one client cannot crowd out the others.

use super::client_addr::limit_key;
use crate::config::Limits;
use dashmap::DashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Open connections, recent joins and failed receipt and join-code lookups per
/// client address (`client_addr.rs`: behind a trusted proxy the forwarded one;
/// IPv6 per /64).
pub struct AddressLimits {
    connections: DashMap<IpAddr, usize>,
    joins: PerMinute,
    receipt_misses: PerMinute,
    code_misses: PerMinute,
    room_code_misses: PerMinute,
    max_connections: usize,
}

/// A fixed one-minute window per address.
struct PerMinute {
    counts: DashMap<IpAddr, (Instant, u32)>,
    limit: u32,
}

impl PerMinute {
    fn new(limit: u32) -> PerMinute {
        PerMinute {
            counts: DashMap::new(),
            limit,
        }
    }

    /// Counts one more; whether the address is still within its limit.
    fn count(&self, ip: IpAddr, now: Instant) -> bool {
        let ip = limit_key(ip);
        // Forget addresses whose window is over, so the table cannot grow without bound.
        if self.counts.len() > 10_000 {
            self.counts
                .retain(|_, (start, _)| now.duration_since(*start) < Duration::from_secs(60));
        }
        let mut entry = self.counts.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.limit
    }

    /// Whether the address is over its limit now, without counting.
    fn exceeded(&self, ip: IpAddr, now: Instant) -> bool {
        let ip = limit_key(ip);
        self.counts
            .get(&ip)
            .is_some_and(|e| now.duration_since(e.0) < Duration::from_secs(60) && e.1 >= self.limit)
    }
}

/// Holds one connection slot of an address; gives it back when dropped.
pub struct ConnectionSlot {
    limits: Arc<AddressLimits>,
    ip: IpAddr,
}

impl ConnectionSlot {
    /// The client's address the slot counts against (an IPv6 client's /64).
    pub fn ip(&self) -> IpAddr {
        self.ip
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        self.limits.connections.remove_if_mut(&self.ip, |_, n| {
            *n -= 1;
            *n == 0
        });
    }
}

impl AddressLimits {
    pub fn new(limits: &Limits, room_code_misses: u32) -> AddressLimits {
        AddressLimits {
            connections: DashMap::new(),
            joins: PerMinute::new(limits.joins_per_ip_per_minute),
            receipt_misses: PerMinute::new(limits.receipt_misses_per_ip_per_minute),
            code_misses: PerMinute::new(limits.code_misses_per_ip_per_minute),
            room_code_misses: PerMinute::new(room_code_misses),
            max_connections: limits.connections_per_ip,
        }
    }

    /// A connection slot of the client's address (an IPv6 client's /64).
    pub fn connect(self: &Arc<Self>, ip: IpAddr) -> Option<ConnectionSlot> {
        let ip = limit_key(ip);
        let mut n = self.connections.entry(ip).or_insert(0);
        if *n >= self.max_connections {
            return None;
        }
        *n += 1;
        Some(ConnectionSlot {
            limits: self.clone(),
            ip,
        })
    }

    pub fn allow_join(&self, ip: IpAddr, now: Instant) -> bool {
        self.joins.count(ip, now)
    }

    /// Receipt lookups are refused while an address has used up its misses.
    pub fn receipts_blocked(&self, ip: IpAddr, now: Instant) -> bool {
        self.receipt_misses.exceeded(ip, now)
    }

    /// A lookup that found nothing: a wrong, guessed or another dialogue's code.
    pub fn receipt_missed(&self, ip: IpAddr, now: Instant) {
        self.receipt_misses.count(ip, now);
    }

    /// Join-code lookups are refused while an address has used up its misses.
    pub fn codes_blocked(&self, ip: IpAddr, now: Instant) -> bool {
        self.code_misses.exceeded(ip, now)
    }

    /// A join code that named no published dialogue: mistyped or guessed.
    pub fn code_missed(&self, ip: IpAddr, now: Instant) {
        self.code_misses.count(ip, now);
    }

    /// Room codes are refused unseen while an address has used up its misses.
    pub fn room_codes_blocked(&self, ip: IpAddr, now: Instant) -> bool {
        self.room_code_misses.exceeded(ip, now)
    }

    /// A room code that was not the screen's: mistyped, expired or guessed.
    pub fn room_code_missed(&self, ip: IpAddr, now: Instant) {
        self.room_code_misses.count(ip, now);
    }
}

/// A token bucket: `burst` messages at once, refilled at `per_sec`.
pub struct TokenBucket {
    tokens: f64,
    burst: f64,
    per_sec: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(burst: u32, per_sec: u32, now: Instant) -> TokenBucket {
        TokenBucket {
            tokens: burst as f64,
            burst: burst as f64,
            per_sec: per_sec as f64,
            last: now,
        }
    }

    pub fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_a_burst_then_the_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(3, 2, t0);
        assert!((0..3).all(|_| b.take(t0)));
        assert!(!b.take(t0));
        assert!(b.take(t0 + Duration::from_millis(500)));
        assert!(!b.take(t0 + Duration::from_millis(500)));
    }
}
