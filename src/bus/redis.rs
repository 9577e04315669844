//! Redis pub/sub between the nodes of a cluster: at most once, so only a wake-up.
//!
//! Two background tasks own the two connections; neither is ever on a dialogue's
//! write path. `publish` drops its message into a bounded queue and returns; the
//! publisher coalesces what queued up (latest head per dialogue) and sends it, and
//! drops it when Redis is unreachable. The subscriber pings its connection every
//! second, so a stopped or half-dead Redis is noticed, and after each (re)subscribe
//! asks the registry to look at every head at once ([`News::Resync`]), since
//! whatever was published meanwhile is gone. Polling (`Registry::poll_heads`) fills
//! any other gap. Withdrawn credentials go on a channel of their own, one
//! message each (never coalesced); a lost one is found by the revocation check.

use super::{Bus, News, Wake, Withdrawal};
use async_trait::async_trait;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::{Mutex, mpsc};
use uuid::Uuid;

/// Every node publishes and listens on this one channel; a node ignores wakes for
/// dialogues it does not serve.
const CHANNEL: &str = "dialoghub:wake";
/// Withdrawn credentials (sign-outs, removals, closed dialogues), for every node.
const WITHDRAWN: &str = "dialoghub:withdrawn";
/// How long one Redis operation may take before the connection counts as broken.
const IO_TIMEOUT: Duration = Duration::from_secs(1);
/// How often the subscriber checks that its connection still answers.
const PING_EVERY: Duration = Duration::from_secs(1);
/// Waits between reconnection attempts, growing up to the last.
const BACKOFF: [Duration; 4] = [
    Duration::from_millis(100),
    Duration::from_millis(250),
    Duration::from_millis(500),
    Duration::from_secs(1),
];
const QUEUE: usize = 4096;

/// What the publisher sends.
enum Outgoing {
    Wake(Wake),
    Withdrawn(Withdrawal),
}

pub struct RedisBus {
    outgoing: mpsc::Sender<Outgoing>,
    incoming: Mutex<Option<mpsc::Receiver<News>>>,
}

impl RedisBus {
    /// Starts the publisher and the subscriber. Redis need not be up yet: both keep
    /// trying, and the cluster runs on polling meanwhile.
    pub fn start(url: &str) -> Result<RedisBus, String> {
        let client = redis::Client::open(url).map_err(|e| format!("bad Redis URL: {e}"))?;
        // Our own wakes come back to us on the channel; the node id tells them apart.
        let node = Uuid::new_v4().simple().to_string();
        let (outgoing, queued) = mpsc::channel(QUEUE);
        let (news, incoming) = mpsc::channel(QUEUE);
        tokio::spawn(publisher(client.clone(), node.clone(), queued));
        tokio::spawn(subscriber(client, node, news));
        Ok(RedisBus {
            outgoing,
            incoming: Mutex::new(Some(incoming)),
        })
    }
}

#[async_trait]
impl Bus for RedisBus {
    async fn publish(&self, wake: Wake) {
        // A full queue means Redis is not keeping up; polling finds this change.
        let _ = self.outgoing.try_send(Outgoing::Wake(wake));
    }

    async fn withdraw(&self, withdrawal: Withdrawal) {
        // Full or down: the revocation check finds it within one poll.
        let _ = self.outgoing.try_send(Outgoing::Withdrawn(withdrawal));
    }

    fn subscribe(&self) -> Option<mpsc::Receiver<News>> {
        self.incoming.try_lock().ok()?.take()
    }
}

/// `dialogue head votes_version node`: small, and readable in `redis-cli monitor`.
fn encode(wake: &Wake, node: &str) -> String {
    format!(
        "{} {} {} {node}",
        wake.dialogue, wake.head, wake.votes_version
    )
}

fn decode(payload: &str) -> Option<(Wake, &str)> {
    let mut parts = payload.split(' ');
    let dialogue = parts.next()?.parse().ok()?;
    let head = parts.next()?.parse().ok()?;
    let votes_version = parts.next()?.parse().ok()?;
    let node = parts.next()?;
    Some((
        Wake {
            dialogue,
            head,
            votes_version,
        },
        node,
    ))
}

/// `session <hash> <node>` or `person <id> <dialogue or -> <node>`.
fn encode_withdrawal(w: &Withdrawal, node: &str) -> String {
    match w {
        Withdrawal::Session(hash) => format!("session {hash} {node}"),
        Withdrawal::Person { person, dialogue } => {
            let dialogue = dialogue.map_or_else(|| "-".to_string(), |d| d.to_string());
            format!("person {person} {dialogue} {node}")
        }
        Withdrawal::Closed { dialogue, head } => format!("closed {dialogue} {head} {node}"),
    }
}

fn decode_withdrawal(payload: &str) -> Option<(Withdrawal, &str)> {
    let parts: Vec<&str> = payload.split(' ').collect();
    match parts.as_slice() {
        ["session", hash, node] => Some((Withdrawal::Session((*hash).to_string()), *node)),
        ["person", person, dialogue, node] => {
            let dialogue = match *dialogue {
                "-" => None,
                d => Some(d.parse().ok()?),
            };
            Some((
                Withdrawal::Person {
                    person: person.parse().ok()?,
                    dialogue,
                },
                *node,
            ))
        }
        ["closed", dialogue, head, node] => Some((
            Withdrawal::Closed {
                dialogue: dialogue.parse().ok()?,
                head: head.parse().ok()?,
            },
            *node,
        )),
        _ => None,
    }
}

async fn connect(client: &redis::Client) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(IO_TIMEOUT))
        .set_response_timeout(Some(IO_TIMEOUT));
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
}

async fn publisher(client: redis::Client, node: String, mut queued: mpsc::Receiver<Outgoing>) {
    let mut conn = None;
    let mut batch = Vec::new();
    let mut failures = 0usize;
    while queued.recv_many(&mut batch, QUEUE).await > 0 {
        // Only the latest head of each dialogue matters; every withdrawal does.
        let mut latest: HashMap<Uuid, Wake> = HashMap::new();
        let mut withdrawn = Vec::new();
        for out in batch.drain(..) {
            let w = match out {
                Outgoing::Wake(w) => w,
                Outgoing::Withdrawn(w) => {
                    withdrawn.push(w);
                    continue;
                }
            };
            let e = latest.entry(w.dialogue).or_insert(w);
            e.head = e.head.max(w.head);
            e.votes_version = e.votes_version.max(w.votes_version);
        }
        if conn.is_none() {
            match connect(&client).await {
                Ok(c) => {
                    if failures > 0 {
                        tracing::info!("Redis publisher connected again");
                    }
                    failures = 0;
                    conn = Some(c);
                }
                Err(e) => {
                    failures += 1;
                    if failures == 1 {
                        tracing::warn!(error = %e, "Redis unreachable; other nodes will poll");
                    }
                    // Dropped: polling delivers it. Wait a little so a dead Redis
                    // costs one attempt per backoff step, not one per commit.
                    tokio::time::sleep(BACKOFF[failures.min(BACKOFF.len()) - 1]).await;
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let mut pipe = redis::pipe();
        for w in latest.values() {
            pipe.cmd("PUBLISH")
                .arg(CHANNEL)
                .arg(encode(w, &node))
                .ignore();
        }
        for w in &withdrawn {
            pipe.cmd("PUBLISH")
                .arg(WITHDRAWN)
                .arg(encode_withdrawal(w, &node))
                .ignore();
        }
        if let Err(e) = pipe.query_async::<()>(c).await {
            tracing::warn!(error = %e, "Redis publish failed; reconnecting");
            conn = None;
        }
    }
}

async fn subscriber(client: redis::Client, node: String, news: mpsc::Sender<News>) {
    let mut failures = 0usize;
    loop {
        match listen(&client, &node, &news).await {
            Listen::RegistryGone => return,
            Listen::Broken(e) => {
                failures += 1;
                if failures == 1 {
                    tracing::warn!(error = %e, "Redis subscription lost; polling meanwhile");
                }
                tokio::time::sleep(BACKOFF[failures.min(BACKOFF.len()) - 1]).await;
            }
            Listen::Subscribed => {
                failures = 0;
                tokio::time::sleep(BACKOFF[0]).await;
            }
        }
    }
}

enum Listen {
    /// Subscribed, then lost the connection (already reported to the registry).
    Subscribed,
    Broken(String),
    RegistryGone,
}

/// One subscription, from connecting until the connection breaks.
async fn listen(client: &redis::Client, node: &str, news: &mpsc::Sender<News>) -> Listen {
    let setup = async {
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(&[CHANNEL, WITHDRAWN]).await?;
        Ok::<_, redis::RedisError>(pubsub)
    };
    let pubsub = match tokio::time::timeout(IO_TIMEOUT, setup).await {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => return Listen::Broken(e.to_string()),
        Err(_) => return Listen::Broken("timed out subscribing".into()),
    };
    tracing::info!("Redis subscription ready");
    // Whatever was published while we were away is lost: look at every head.
    if news.send(News::Resync).await.is_err() {
        return Listen::RegistryGone;
    }
    let (mut sink, mut stream) = pubsub.split();
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            msg = stream.next() => {
                let Some(msg) = msg else {
                    tracing::warn!("Redis subscription closed; reconnecting");
                    return Listen::Subscribed;
                };
                let payload: String = match msg.get_payload() {
                    Ok(p) => p,
                    Err(_) => continue,
                };
                if msg.get_channel_name() == WITHDRAWN {
                    match decode_withdrawal(&payload) {
                        Some((_, from)) if from == node => {}
                        Some((w, _)) => {
                            if let Err(mpsc::error::TrySendError::Closed(_)) = news.try_send(News::Withdrawn(w)) {
                                return Listen::RegistryGone;
                            }
                        }
                        None => tracing::debug!("ignoring an unreadable withdrawal"),
                    }
                    continue;
                }
                match decode(&payload) {
                    Some((_, from)) if from == node => {}
                    Some((wake, _)) => {
                        // A full queue drops the wake; the next poll finds the change.
                        if let Err(mpsc::error::TrySendError::Closed(_)) = news.try_send(News::Wake(wake)) {
                            return Listen::RegistryGone;
                        }
                    }
                    None => tracing::debug!("ignoring an unreadable bus message"),
                }
            }
            _ = ping.tick() => {
                match tokio::time::timeout(IO_TIMEOUT, sink.ping::<redis::Value>()).await {
                    Ok(Ok(_)) => {}
                    _ => {
                        tracing::warn!("Redis stopped answering; reconnecting");
                        return Listen::Subscribed;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wake_reads_back_as_written() {
        let wake = Wake {
            dialogue: Uuid::new_v4(),
            head: 42,
            votes_version: 7,
        };
        let text = encode(&wake, "node-a");
        assert_eq!(decode(&text), Some((wake, "node-a")));
        assert_eq!(decode("garbage"), None);
    }

    #[test]
    fn a_withdrawal_reads_back_as_written() {
        for w in [
            Withdrawal::Session("ab12".repeat(16)),
            Withdrawal::Person {
                person: Uuid::new_v4(),
                dialogue: Some(Uuid::new_v4()),
            },
            Withdrawal::Person {
                person: Uuid::new_v4(),
                dialogue: None,
            },
            Withdrawal::Closed {
                dialogue: Uuid::new_v4(),
                head: 42,
            },
        ] {
            let text = encode_withdrawal(&w, "node-a");
            assert_eq!(decode_withdrawal(&text), Some((w, "node-a")));
        }
        assert_eq!(decode_withdrawal("person x - n"), None);
    }
}
