//! The bus contract, on every implementation, as a test of its own per bus
//! (`bus::local::…`, `bus::redis::…`).
//!
//! A bus only wakes the other nodes: what one node publishes reaches every other
//! node on the same bus, never itself; publishing never waits on the network;
//! the news is taken once. The local bus has nobody to wake, and says so by
//! having no news to hand out. Redis needs `REDIS_URL`; without it the Redis
//! tests say they were skipped, and under CI they fail.

use crate::harness::service_url;
use dialoghub::bus::{self, Bus, News, Wake, Withdrawal};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use uuid::Uuid;

/// Two nodes on one bus.
struct Nodes {
    a: Arc<dyn Bus>,
    b: Arc<dyn Bus>,
}

async fn local(_test: &str) -> Option<Nodes> {
    Some(Nodes {
        a: bus::open(None).unwrap(),
        b: bus::open(None).unwrap(),
    })
}

async fn redis(test: &str) -> Option<Nodes> {
    let url = service_url("REDIS_URL", test)?;
    Some(Nodes {
        a: bus::open(Some(&url)).unwrap(),
        b: bus::open(Some(&url)).unwrap(),
    })
}

/// One test per contract and bus: `bus::<bus>::<contract>`.
macro_rules! contract {
    ($($contract:ident),* $(,)?) => {
        mod local {
            $(
                #[tokio::test]
                async fn $contract() {
                    let test = concat!("bus::local::", stringify!($contract));
                    if let Some(nodes) = super::local(test).await {
                        super::$contract(nodes).await;
                    }
                }
            )*
        }
        mod redis {
            $(
                #[tokio::test]
                async fn $contract() {
                    let test = concat!("bus::redis::", stringify!($contract));
                    if let Some(nodes) = super::redis(test).await {
                        super::$contract(nodes).await;
                    }
                }
            )*
        }
    };
}

contract!(
    the_news_is_taken_once,
    publishing_never_waits,
    a_wake_reaches_the_other_node_and_never_its_own,
    a_burst_of_wakes_ends_at_the_latest_head,
    a_withdrawal_reaches_the_other_node_and_never_its_own,
);

fn wake(dialogue: Uuid, head: u64) -> Wake {
    Wake {
        dialogue,
        head,
        votes_version: head * 10,
    }
}

/// The next wake for `dialogue` within `within`, skipping resyncs and others' wakes.
async fn next_wake(
    rx: &mut mpsc::Receiver<News>,
    dialogue: Uuid,
    within: Duration,
) -> Option<Wake> {
    let until = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(until, rx.recv()).await {
            Ok(Some(News::Wake(w))) if w.dialogue == dialogue => return Some(w),
            Ok(Some(_)) => continue,
            Ok(None) | Err(_) => return None,
        }
    }
}

/// Waits for the bus to say it is listening (a resync after subscribing).
async fn listening(rx: &mut mpsc::Receiver<News>) {
    let got = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match rx.recv().await {
                Some(News::Resync) => return,
                Some(News::Wake(_) | News::Withdrawn(_)) => continue,
                None => panic!("the bus closed its news"),
            }
        }
    })
    .await;
    assert!(got.is_ok(), "the bus never said it was listening");
}

async fn the_news_is_taken_once(nodes: Nodes) {
    let first = nodes.a.subscribe();
    assert!(nodes.a.subscribe().is_none(), "a second taker gets nothing");
    // The local bus has nobody to hear from; a shared bus hands its news to one taker.
    let shared = first.is_some();
    assert_eq!(nodes.b.subscribe().is_some(), shared);
    assert!(nodes.b.subscribe().is_none());
}

async fn publishing_never_waits(nodes: Nodes) {
    let _news = nodes.b.subscribe();
    let dialogue = Uuid::new_v4();
    let started = Instant::now();
    // More than any queue holds: what a bus cannot send it drops (polling finds it).
    for head in 1..=20_000 {
        nodes.a.publish(wake(dialogue, head)).await;
    }
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "20,000 publishes took {took:?}"
    );
}

async fn a_wake_reaches_the_other_node_and_never_its_own(nodes: Nodes) {
    let (Some(mut a_news), Some(mut b_news)) = (nodes.a.subscribe(), nodes.b.subscribe()) else {
        // Nobody else to wake: the local bus publishes into the void, and must not fail.
        nodes.a.publish(wake(Uuid::new_v4(), 1)).await;
        return;
    };
    listening(&mut a_news).await;
    listening(&mut b_news).await;
    let dialogue = Uuid::new_v4();
    let sent = wake(dialogue, 42);
    nodes.a.publish(sent).await;
    let got = next_wake(&mut b_news, dialogue, Duration::from_secs(5)).await;
    assert_eq!(got, Some(sent), "the other node hears the wake as sent");
    let echo = next_wake(&mut a_news, dialogue, Duration::from_millis(500)).await;
    assert_eq!(echo, None, "a node never hears its own wake");
    // And the other way round.
    let back = wake(dialogue, 43);
    nodes.b.publish(back).await;
    assert_eq!(
        next_wake(&mut a_news, dialogue, Duration::from_secs(5)).await,
        Some(back)
    );
}

async fn a_burst_of_wakes_ends_at_the_latest_head(nodes: Nodes) {
    let Some(mut b_news) = nodes.b.subscribe() else {
        nodes.a.publish(wake(Uuid::new_v4(), 1)).await;
        return;
    };
    listening(&mut b_news).await;
    let dialogue = Uuid::new_v4();
    for head in 1..=500 {
        nodes.a.publish(wake(dialogue, head)).await;
    }
    // Wakes may be coalesced (only the latest head matters), never reordered
    // backwards, and the last one heard is the latest.
    let mut last = 0;
    while last < 500 {
        let Some(w) = next_wake(&mut b_news, dialogue, Duration::from_secs(5)).await else {
            panic!("the burst stopped at head {last}");
        };
        assert!(w.head > last, "head {} after {last}", w.head);
        assert_eq!(w.votes_version, w.head * 10);
        last = w.head;
    }
}

#[test]
fn a_bus_url_of_another_kind_is_refused() {
    assert!(bus::open(Some("nats://127.0.0.1:4222")).is_err());
    assert!(bus::open(Some("  ")).unwrap().subscribe().is_none());
}

async fn a_withdrawal_reaches_the_other_node_and_never_its_own(nodes: Nodes) {
    let person = Uuid::new_v4();
    let gone = Withdrawal::Person {
        person,
        dialogue: Some(Uuid::new_v4()),
    };
    let (Some(mut a_news), Some(mut b_news)) = (nodes.a.subscribe(), nodes.b.subscribe()) else {
        // Nobody else to tell: the local bus drops it, and must not fail.
        nodes.a.withdraw(gone).await;
        return;
    };
    listening(&mut a_news).await;
    listening(&mut b_news).await;
    // Other tests' nodes share the channel: only ours count.
    let ended = Withdrawal::Session(Uuid::new_v4().simple().to_string());
    let ours = [gone.clone(), ended.clone()];
    nodes.a.withdraw(gone.clone()).await;
    nodes.a.withdraw(ended.clone()).await;
    let mut got = Vec::new();
    let until = tokio::time::Instant::now() + Duration::from_secs(5);
    while got.len() < 2 {
        match tokio::time::timeout_at(until, b_news.recv()).await {
            Ok(Some(News::Withdrawn(w))) if ours.contains(&w) => got.push(w),
            Ok(Some(_)) => continue,
            Ok(None) | Err(_) => break,
        }
    }
    assert_eq!(got, ours);
    let own = tokio::time::timeout(Duration::from_millis(300), async {
        loop {
            if let Some(News::Withdrawn(w)) = a_news.recv().await {
                if ours.contains(&w) {
                    return w;
                }
            }
        }
    })
    .await;
    assert!(own.is_err(), "a node heard its own withdrawal: {own:?}");
}
