//! The acks of a dialogue's recent submissions, so a retry that comes soon (a
//! client resending what it had not heard back about) is answered from memory.
//!
//! Bounded: past `capacity` the oldest leave first, so a dialogue that took a
//! million votes does not hold a million acks. A retry of one that left is
//! still answered with its original ack, never a second effect: its commit
//! fails on the store's unique key (or the domain refuses it), and the core
//! then reads the saved ack from the store (`commit.rs`).

use crate::protocol::AckWire;
use std::collections::{HashMap, VecDeque};
use uuid::Uuid;

/// A submission's idempotency key: (actor, client_msg_id).
pub type AckKey = (Uuid, String);

pub struct AckCache {
    capacity: usize,
    acks: HashMap<AckKey, AckWire>,
    /// Keys in the order they came in: the front leaves first.
    order: VecDeque<AckKey>,
}

impl AckCache {
    pub fn new(capacity: usize) -> AckCache {
        AckCache {
            capacity: capacity.max(1),
            acks: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    pub fn get(&self, key: &AckKey) -> Option<&AckWire> {
        self.acks.get(key)
    }

    pub fn contains(&self, key: &AckKey) -> bool {
        self.acks.contains_key(key)
    }

    pub fn insert(&mut self, key: AckKey, ack: AckWire) {
        if self.acks.insert(key.clone(), ack).is_some() {
            return; // the same key again: it keeps its place
        }
        self.order.push_back(key);
        while self.order.len() > self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.acks.remove(&oldest);
            }
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.acks.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(id: &str) -> AckWire {
        AckWire {
            client_msg_id: id.into(),
            seq: None,
            question_id: None,
            receipt: None,
            poll_id: None,
            tip_id: None,
        }
    }

    #[test]
    fn the_oldest_acks_leave_first_and_the_cache_never_holds_more_than_its_capacity() {
        let mut cache = AckCache::new(3);
        let who = Uuid::from_u128(1);
        for i in 0..10 {
            let id = format!("k{i}");
            cache.insert((who, id.clone()), ack(&id));
            cache.insert((who, id.clone()), ack(&id)); // a repeat takes no second place
            assert!(cache.len() <= 3);
        }
        assert!(!cache.contains(&(who, "k6".into())));
        for i in 7..10 {
            let id = format!("k{i}");
            assert_eq!(cache.get(&(who, id.clone())), Some(&ack(&id)));
        }
        assert_eq!(cache.order.len(), 3);
    }
}
