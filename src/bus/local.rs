//! The embedded default: one process, whose dialogue tasks are the only writers,
//! so there is nobody to wake.

use super::Bus;
use crate::domain::DialogueId;
use async_trait::async_trait;

#[derive(Debug, Default)]
pub struct LocalBus;

#[async_trait]
impl Bus for LocalBus {
    async fn publish(&self, _dialogue: DialogueId, _head: u64) {}
}
