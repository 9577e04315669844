//! Revocation on two nodes (PostgreSQL and Redis): a moderator taken off the
//! dialogue on one node has their socket on the other closed within 2 s with
//! 4410 and every credential refused at once; likewise a panelist whose dialogue
//! closed (grace 0 here).

use crate::harness::{Client, NodeConfig, TestDb, TestServer, report, service_url};
use serde_json::json;
use std::time::{Duration, Instant};

async fn two_nodes(test: &str) -> Option<(TestDb, Vec<(tempfile::TempDir, TestServer)>)> {
    let db = TestDb::create(test).await?;
    let config = NodeConfig {
        store_url: db.url.clone(),
        bus_url: service_url("REDIS_URL", test),
        poll_ms: None,
    };
    let mut nodes = Vec::new();
    for _ in 0..2 {
        let dir = tempfile::tempdir().unwrap();
        let env = [("DIALOGHUB_AUTH__INVITEE_GRACE_SECS", "0")];
        let node = TestServer::start_node_with(dir.path(), &config, &env).await;
        nodes.push((dir, node));
    }
    Some((db, nodes))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_moderator_and_a_closed_dialogues_panelist_are_cut_off_on_every_node() {
    let test = "revocation_on_two_nodes";
    let Some((_db, nodes)) = two_nodes(test).await else {
        return;
    };
    let (n0, n1) = (&nodes[0].1, &nodes[1].1);
    let organizer = n0.organizer().await;
    let dialogue = n0.endpoint.live_dialogue(&organizer).await;
    let id = dialogue.id;

    // A moderator from outside the staff, invited on node 0, moderating on node 1.
    let (status, inv) = n0
        .endpoint
        .post(
            &format!("/api/dialogues/{id}/moderators"),
            &organizer,
            json!({"name": "Mona"}),
        )
        .await;
    assert_eq!(status, 201, "{inv}");
    let person = inv["id"].as_str().unwrap().to_string();
    let moderator = n0.endpoint.accept(&inv, id).await;
    let mut on_n1 = Client::connect(&n1.endpoint.ws, &moderator, None).await;
    assert_eq!(on_n1.welcome["role"], "moderator");

    let started = Instant::now();
    let req = n0.endpoint.http.delete(format!(
        "{}/api/dialogues/{id}/people/{person}",
        n0.endpoint.base
    ));
    let resp = crate::harness::authed(req, &n0.endpoint.base, &organizer)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert_eq!(on_n1.closed_with().await, Some(4410));
    let took = started.elapsed();
    report(&format!(
        "removed moderator's socket on the other node closed in {took:?}"
    ));
    assert!(took < Duration::from_secs(2), "closed after {took:?}");
    // Every credential of theirs is refused, on both nodes.
    for node in [n0, n1] {
        let (status, _) = node.endpoint.get("/api/session", Some(&moderator)).await;
        assert_eq!(status, 401);
        assert!(
            Client::try_connect(&node.endpoint.ws, &moderator, None)
                .await
                .is_err()
        );
    }

    // A panelist on node 1; the organizer closes the dialogue on node 0.
    let (status, inv) = n0
        .endpoint
        .post(
            &format!("/api/dialogues/{id}/panelists"),
            &organizer,
            json!({"name": "Per", "kind": "police"}),
        )
        .await;
    assert_eq!(status, 201, "{inv}");
    let panelist = n0.endpoint.accept(&inv, id).await;
    let mut panel_n1 = Client::connect(&n1.endpoint.ws, &panelist, None).await;
    assert_eq!(panel_n1.welcome["role"], "panelist");
    let started = Instant::now();
    let (status, body) = n0
        .endpoint
        .post(
            &format!("/api/dialogues/{id}/phase"),
            &organizer,
            json!({"phase": "closed", "expected": "live"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(panel_n1.closed_with().await, Some(4410));
    let took = started.elapsed();
    report(&format!(
        "closed dialogue's panelist socket on the other node closed in {took:?}"
    ));
    assert!(took < Duration::from_secs(2), "closed after {took:?}");
    for node in [n0, n1] {
        let refused = Client::try_connect(&node.endpoint.ws, &panelist, None).await;
        assert!(refused.is_err(), "the panelist got back in");
    }
}

/// With the store check slowed to once a minute, only the bus can close the
/// other node's sockets within 2 s: a removal and a sign-out made on node 0
/// close the sockets they opened on node 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawal_reaches_the_other_node_over_the_bus() {
    let test = "revocation_over_the_bus";
    let Some(db) = TestDb::create(test).await else {
        return;
    };
    let Some(bus) = service_url("REDIS_URL", test) else {
        return;
    };
    let config = NodeConfig {
        store_url: db.url.clone(),
        bus_url: Some(bus),
        poll_ms: None,
    };
    let mut nodes = Vec::new();
    for _ in 0..2 {
        let dir = tempfile::tempdir().unwrap();
        let env = [("DIALOGHUB_AUTH__REVOCATION_POLL_MS", "60000")];
        let node = TestServer::start_node_with(dir.path(), &config, &env).await;
        nodes.push((dir, node));
    }
    let (n0, n1) = (&nodes[0].1, &nodes[1].1);
    let organizer = n0.organizer().await;
    let id = n0.endpoint.live_dialogue(&organizer).await.id;
    // Both nodes subscribed: a message published before would be lost.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (status, inv) = n0
        .endpoint
        .post(
            &format!("/api/dialogues/{id}/moderators"),
            &organizer,
            json!({"name": "Mona"}),
        )
        .await;
    assert_eq!(status, 201, "{inv}");
    let person = inv["id"].as_str().unwrap().to_string();
    let moderator = n0.endpoint.accept(&inv, id).await;
    let mut on_n1 = Client::connect(&n1.endpoint.ws, &moderator, None).await;
    let staff = n0.endpoint.staff_of(&organizer);
    let started = Instant::now();
    let path = format!("/api/dialogues/{id}/people/{person}");
    let (status, _) = n0
        .endpoint
        .staff_send("DELETE", &path, &staff, json!({}))
        .await;
    assert_eq!(status, 204);
    assert_eq!(on_n1.closed_with().await, Some(4410));
    let took = started.elapsed();
    report(&format!(
        "removal over the bus: the other node's socket closed in {took:?}"
    ));
    assert!(took < Duration::from_secs(2), "closed after {took:?}");

    let mut organizer_n1 =
        Client::connect(&n1.endpoint.ws, &format!("{organizer} {id}"), None).await;
    let started = Instant::now();
    let (status, _) = n0
        .endpoint
        .staff_post("/api/session/sign-out", &staff, json!({}))
        .await;
    assert_eq!(status, 204);
    assert_eq!(organizer_n1.closed_with().await, Some(4410));
    let took = started.elapsed();
    report(&format!(
        "sign-out over the bus: the other node's socket closed in {took:?}"
    ));
    assert!(took < Duration::from_secs(2), "closed after {took:?}");
}

/// With the store check slowed to once a minute, a dialogue closed on node 0
/// closes its panelist's socket on node 1 within 2 s: the close goes out on
/// the bus (`dialoghub:withdrawn`) from the node that committed it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_dialogue_reaches_the_other_node_over_the_bus() {
    let test = "revocation_close_over_the_bus";
    let Some(db) = TestDb::create(test).await else {
        return;
    };
    let Some(bus) = service_url("REDIS_URL", test) else {
        return;
    };
    let config = NodeConfig {
        store_url: db.url.clone(),
        bus_url: Some(bus),
        poll_ms: None,
    };
    let mut nodes = Vec::new();
    for _ in 0..2 {
        let dir = tempfile::tempdir().unwrap();
        let env = [
            ("DIALOGHUB_AUTH__REVOCATION_POLL_MS", "60000"),
            ("DIALOGHUB_AUTH__INVITEE_GRACE_SECS", "0"),
        ];
        let node = TestServer::start_node_with(dir.path(), &config, &env).await;
        nodes.push((dir, node));
    }
    let (n0, n1) = (&nodes[0].1, &nodes[1].1);
    let organizer = n0.organizer().await;
    let id = n0.endpoint.live_dialogue(&organizer).await.id;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (status, inv) = n0
        .endpoint
        .post(
            &format!("/api/dialogues/{id}/panelists"),
            &organizer,
            json!({"name": "Per", "kind": "police"}),
        )
        .await;
    assert_eq!(status, 201, "{inv}");
    let panelist = n0.endpoint.accept(&inv, id).await;
    let mut panel_n1 = Client::connect(&n1.endpoint.ws, &panelist, None).await;
    assert_eq!(panel_n1.welcome["role"], "panelist");
    // A staff organizer's socket on node 1 stays: staff keep their standing.
    let mut organizer_n1 =
        Client::connect(&n1.endpoint.ws, &format!("{organizer} {id}"), None).await;
    let started = Instant::now();
    let (status, body) = n0
        .endpoint
        .post(
            &format!("/api/dialogues/{id}/phase"),
            &organizer,
            json!({"phase": "closed", "expected": "live"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(panel_n1.closed_with().await, Some(4410));
    let took = started.elapsed();
    report(&format!(
        "closed dialogue over the bus: the panelist's socket on the other node closed in {took:?}"
    ));
    assert!(took < Duration::from_secs(2), "closed after {took:?}");
    let closing = organizer_n1
        .wait_for("the close", |v| v["event"]["kind"] == "phase_changed")
        .await;
    assert_eq!(closing["event"]["phase"], "closed", "{closing}");
    let still = organizer_n1.drain_for(Duration::from_millis(300)).await;
    assert!(organizer_n1.close_code.is_none(), "{still:?}");
}
