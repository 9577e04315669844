//! Limits per address and per connection, so one client cannot crowd out the others.

use super::client_addr::limit_key;
use crate::config::{Limits, StuffingSettings};
use dashmap::DashMap;
use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Open connections, recent joins and failed receipt and join-code lookups per
/// client address (`client_addr.rs`: behind a trusted proxy the forwarded one;
/// IPv6 per /64).
pub struct AddressLimits {
    connections: DashMap<IpAddr, usize>,
    followers: Arc<DashMap<IpAddr, usize>>,
    joins: PerMinute,
    receipt_misses: PerMinute,
    code_misses: PerMinute,
    room_code_misses: PerMinute,
    bursts: BurstJoins,
    max_connections: usize,
    max_followers: usize,
}

/// The identities each address created lately, to tell a burst (`stuffing.burst_joins`
/// within `stuffing.burst_window_secs`): a sliding window of the last few join
/// times per address, in memory only.
struct BurstJoins {
    joins: DashMap<IpAddr, VecDeque<Instant>>,
    burst: usize,
    window: Duration,
}

impl BurstJoins {
    /// Counts one identity created now; whether the address had already created
    /// `burst` within the window before it.
    fn join(&self, ip: IpAddr, now: Instant) -> bool {
        let ip = limit_key(ip);
        let recent = |t: &Instant| now.duration_since(*t) < self.window;
        // Forget addresses quiet for a window, so the table cannot grow without bound.
        if self.joins.len() > 10_000 {
            self.joins
                .retain(|_, times| times.back().is_some_and(recent));
        }
        let mut times = self.joins.entry(ip).or_default();
        while times.front().is_some_and(|t| !recent(t)) {
            times.pop_front();
        }
        let burst = times.len() >= self.burst;
        times.push_back(now);
        // The oldest beyond `burst` can never decide again.
        while times.len() > self.burst {
            times.pop_front();
        }
        burst
    }
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
        release(&self.limits.connections, self.ip);
    }
}

/// Holds one follower slot of an address (`limits.followers_per_ip`).
pub struct FollowerSlot {
    followers: Arc<DashMap<IpAddr, usize>>,
    ip: IpAddr,
}

impl Drop for FollowerSlot {
    fn drop(&mut self) {
        release(&self.followers, self.ip);
    }
}

/// Gives one slot of `ip` back, forgetting the address at none.
fn release(counts: &DashMap<IpAddr, usize>, ip: IpAddr) {
    counts.remove_if_mut(&ip, |_, n| {
        *n -= 1;
        *n == 0
    });
}

/// Takes one slot of `ip` if it holds fewer than `max`.
fn take(counts: &DashMap<IpAddr, usize>, ip: IpAddr, max: usize) -> bool {
    let mut n = counts.entry(ip).or_insert(0);
    if *n >= max {
        return false;
    }
    *n += 1;
    true
}

impl AddressLimits {
    pub fn new(limits: &Limits, stuffing: &StuffingSettings) -> AddressLimits {
        AddressLimits {
            connections: DashMap::new(),
            joins: PerMinute::new(limits.joins_per_ip_per_minute),
            receipt_misses: PerMinute::new(limits.receipt_misses_per_ip_per_minute),
            code_misses: PerMinute::new(limits.code_misses_per_ip_per_minute),
            room_code_misses: PerMinute::new(stuffing.room_code_misses_per_ip_per_minute),
            bursts: BurstJoins {
                joins: DashMap::new(),
                burst: stuffing.burst_joins as usize,
                window: Duration::from_secs(stuffing.burst_window_secs),
            },
            max_connections: limits.connections_per_ip,
            followers: Arc::default(),
            max_followers: limits.followers_per_ip,
        }
    }

    /// A connection slot of the client's address (an IPv6 client's /64).
    pub fn connect(self: &Arc<Self>, ip: IpAddr) -> Option<ConnectionSlot> {
        let ip = limit_key(ip);
        take(&self.connections, ip, self.max_connections).then(|| ConnectionSlot {
            limits: self.clone(),
            ip,
        })
    }

    /// A follower slot of the client's address, held while the socket follows.
    pub fn follow(&self, ip: IpAddr) -> Option<FollowerSlot> {
        let ip = limit_key(ip);
        take(&self.followers, ip, self.max_followers).then(|| FollowerSlot {
            followers: self.followers.clone(),
            ip,
        })
    }

    pub fn allow_join(&self, ip: IpAddr, now: Instant) -> bool {
        self.joins.count(ip, now)
    }

    /// Counts an identity created for the address; whether it is a burst identity.
    pub fn burst_join(&self, ip: IpAddr, now: Instant) -> bool {
        self.bursts.join(ip, now)
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

    #[test]
    fn identities_beyond_the_burst_within_the_window_are_burst_identities() {
        let joins = BurstJoins {
            joins: DashMap::new(),
            burst: 3,
            window: Duration::from_secs(60),
        };
        let (venue, home) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        assert_eq!(
            (0..5).map(|s| joins.join(venue, at(s))).collect::<Vec<_>>(),
            [false, false, false, true, true]
        );
        // Another address is counted on its own.
        assert!(!joins.join(home, at(5)));
        // The window slides: at 62 s the join at 2 s has left it, those at 3 and 4 s not.
        assert!(!joins.join(venue, at(62)));
        assert!(joins.join(venue, at(62)));
        assert!(!joins.join(venue, at(200)));
    }
}
