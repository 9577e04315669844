//! The embedded default: one process, whose dialogue tasks are the only writers,
//! so there is nobody to wake.

use super::{Bus, News, Wake, Withdrawal};
use async_trait::async_trait;
use tokio::sync::mpsc;

#[derive(Debug, Default)]
pub struct LocalBus;

#[async_trait]
impl Bus for LocalBus {
    async fn publish(&self, _wake: Wake) {}

    async fn withdraw(&self, _withdrawal: Withdrawal) {}

    fn subscribe(&self) -> Option<mpsc::Receiver<News>> {
        None
    }
}
