//! Many dialogues on several hub threads: each dialogue runs on one of them,
//! from loading to unloading, and keeps one writer and a gap-free `seq`.

use crate::harness::TestApp;
use std::collections::BTreeSet;

/// With two hub threads, four dialogues loaded one after another land two on
/// each (the least-loaded thread takes the next), and their tasks really run on
/// those two OS threads. Meanwhile all four meetings go on at once: every
/// client of every dialogue sees each event once, in order (the harness's client
/// fails on any gap or repeat in `seq`), and the tallies are exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dialogues_spread_over_hub_threads_each_with_a_gap_free_log() {
    let app = TestApp::spawn_with(|s| s.hub.threads = 2).await;
    let mut dialogues = Vec::new();
    for _ in 0..4 {
        dialogues.push(app.live_dialogue().await);
    }
    let mut threads = BTreeSet::new();
    for d in &dialogues {
        let handle = app.registry.get(d.id).await.unwrap().expect("loaded");
        let ran_on = handle
            .read(|_| std::thread::current().name().map(str::to_string))
            .await
            .expect("the dialogue answers")
            .expect("a named thread");
        assert_eq!(ran_on, format!("dialoghub-hub-{}", handle.thread));
        threads.insert(handle.thread);
    }
    assert_eq!(
        threads,
        BTreeSet::from([0, 1]),
        "both threads hold dialogues"
    );

    let mut meetings = tokio::task::JoinSet::new();
    for (n, d) in dialogues.into_iter().enumerate() {
        meetings.spawn(async move {
            let mut moderator = d.moderator().await;
            let mut asker = d.participant().await;
            let mut voter = d.participant().await;
            let mut last = 0;
            for i in 0..8 {
                let q = asker
                    .ask(&format!("Fråga {i} i möte {n}: belysningen vid skolan?"))
                    .await;
                let approved = moderator.approve(q).await;
                assert_eq!(approved["type"], "ack", "{approved}");
                last = approved["seq"].as_u64().unwrap();
                assert_eq!(voter.vote(q, true).await["type"], "ack");
            }
            for client in [&mut moderator, &mut asker, &mut voter] {
                client.reach(last).await;
            }
            let live = asker
                .live_until("eight questions with one vote each", |l| {
                    l["votes"]
                        .as_object()
                        .is_some_and(|v| v.len() == 8 && v.values().all(|c| c == 1))
                })
                .await;
            assert_eq!(live["votes"].as_object().unwrap().len(), 8);
            last
        });
    }
    while let Some(done) = meetings.join_next().await {
        assert!(done.expect("a meeting ran to its end") > 8);
    }
}
