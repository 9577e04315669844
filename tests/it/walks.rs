//! A whole safety walk over the wire: the organizer creates and plans it over
//! REST and WebSocket, two leaders move their groups through four stops while
//! eight people on site and three remote followers watch, observations are
//! moderated like questions (the guard flags personal data), staff turn them into
//! actions and move those through their statuses, the walk closes; the public
//! snapshot, the record and the receipts hold exactly the approved content. And
//! a phone's position is coarse in the store itself.

use crate::harness::{Client, Dialogue, Endpoint, TestApp, ticket_of};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use uuid::Uuid;

/// Marks of what must never reach the public: a rejected text, and personal data
/// the moderator redacted before approving.
const REJECTED_MARK: &str = "Zebrabänken";
const PERSONNUMMER: &str = "811228-9874";
const PHONE: &str = "070-123 45 67";

pub(crate) fn plan(leaders: [Option<Uuid>; 2], before: &str, after: &str) -> Value {
    json!({
        "stops": [
            {"id": 1, "name": "Tunneln under Hägerstensvägen", "address": "Hägerstensvägen 100",
             "lat_e6": 59_300_500, "lon_e6": 17_985_500},
            {"id": 2, "name": "Lekparken", "address": "Klubbacken 2",
             "lat_e6": 59_301_200, "lon_e6": 17_987_000},
            {"id": 3, "name": "Busshållplatsen Fruängen", "address": "",
             "lat_e6": 59_302_000, "lon_e6": 17_989_000},
            {"id": 4, "name": "Gångvägen vid skolan", "address": "Skolvägen 1"}
        ],
        "groups": [
            {"id": 1, "name": "Grupp norr", "leader": "Lena", "leader_id": leaders[0], "route": [1, 2, 3, 4]},
            {"id": 2, "name": "Grupp syd", "leader": "Sam", "leader_id": leaders[1], "route": [3, 4, 1, 2]}
        ],
        "before": before,
        "after": after
    })
}

pub(crate) async fn ok(c: &mut Client, msg: Value) -> Value {
    let ack = c.submit(msg.clone()).await;
    assert_eq!(ack["type"], "ack", "{msg} -> {ack}");
    ack
}

async fn refused(c: &mut Client, msg: Value, code: &str) {
    let reply = c.submit(msg.clone()).await;
    assert_eq!(reply["code"], code, "{msg} -> {reply}");
}

/// A participant joined by code from where they are, connected.
pub(crate) async fn walker(e: &Endpoint, code: &str, location: &str) -> Client {
    walker_with_token(e, code, location).await.1
}

/// A walker and the token they joined with (for their photo uploads).
async fn walker_with_token(e: &Endpoint, code: &str, location: &str) -> (String, Client) {
    let (status, joined) = e
        .post("/api/join", "", json!({"code": code, "location": location}))
        .await;
    assert_eq!(status, 200, "{joined}");
    let token = joined["token"].as_str().unwrap().to_string();
    let client = greeted(
        Client::connect_with_hello(
            &e.ws,
            json!({"type": "hello", "v": 1, "token": joined["token"], "location": location}),
        )
        .await,
    )
    .await;
    (token, client)
}

/// A client that said its own hello, once the welcome and snapshot are in.
pub(crate) async fn greeted(mut c: Client) -> Client {
    c.welcome = c.wait_for("welcome", |v| v["type"] == "welcome").await;
    c.epoch = c.welcome["epoch"].as_u64().unwrap();
    let snapshot = c.wait_for("snapshot", |v| v["type"] == "snapshot").await;
    c.seq = snapshot["seq"].as_u64().unwrap();
    c.snapshot = Some(snapshot);
    c
}

/// A moderator invited by name: their id and their socket.
async fn leader(d: &Dialogue, name: &str) -> (Uuid, Client) {
    let (status, inv) = d
        .endpoint
        .post(
            &format!("/api/dialogues/{}/moderators", d.id),
            &d.organizer,
            json!({"name": name}),
        )
        .await;
    assert_eq!(status, 201, "{inv}");
    let id = inv["id"].as_str().unwrap().parse().unwrap();
    let credential = d.endpoint.accept(&inv, d.id).await;
    (id, Client::connect(&d.endpoint.ws, &credential, None).await)
}

/// Uploads a phone's photo for a walker: its `photo_id`.
async fn upload_photo(e: &Endpoint, walk: Uuid, token: &str, seed: u32) -> String {
    let resp = e
        .http
        .post(format!("{}/api/dialogues/{walk}/photos", e.base))
        .bearer_auth(token)
        .header("content-type", "image/jpeg")
        .header("idempotency-key", crate::harness::key())
        .body(crate::walk_photos::phone_photo(seed))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let body: Value = resp.json().await.unwrap();
    body["photo_id"].as_str().unwrap().to_string()
}

pub(crate) async fn organizer_socket(app: &TestApp, dialogue: Uuid) -> Client {
    let ticket = ticket_of(&app.endpoint, &app.organizer, dialogue).await;
    greeted(
        Client::connect_with_hello(
            &app.endpoint.ws,
            json!({"type": "hello", "v": 1, "ticket": ticket}),
        )
        .await,
    )
    .await
}

pub(crate) async fn meeting_code(app: &TestApp, title: &str) -> String {
    let (status, made) = app
        .endpoint
        .post("/api/dialogues", &app.organizer, json!({"title": title}))
        .await;
    assert_eq!(status, 201, "{made}");
    made["code"].as_str().unwrap().to_string()
}

/// Creates the walk over REST (`kind: walk` with its plan), refusing bad ones first.
pub(crate) async fn create_walk(app: &TestApp, before: &str, after: &str) -> Dialogue {
    let e = &app.endpoint;
    let title = "Trygghetsvandring Fruängen";
    let (status, body) = e
        .post(
            "/api/dialogues",
            &app.organizer,
            json!({"title": title, "kind": "walk"}),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")));
    let mut bad = plan([None, None], before, after);
    bad["groups"][1]["route"] = json!([3, 9]);
    let (status, body) = e
        .post(
            "/api/dialogues",
            &app.organizer,
            json!({"title": title, "kind": "walk", "walk": bad}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("route"),
        "{body}"
    );

    let body = json!({"title": title, "kind": "walk", "walk": plan([None, None], before, after),
        "purpose": "Vi går tillsammans och noterar vad som gör platserna otrygga."});
    let key = crate::harness::key();
    let (status, created) = e
        .post_keyed("/api/dialogues", &app.organizer, &key, body.clone())
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["kind"], "walk");
    let id: Uuid = created["id"].as_str().unwrap().parse().unwrap();
    let (status, view) = e
        .get(&format!("/api/dialogues/{id}"), Some(&app.organizer))
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["walk"]["stops"].as_array().unwrap().len(), 4, "{view}");
    // A retry finds the same walk, planned once.
    let (status, again) = e
        .post_keyed("/api/dialogues", &app.organizer, &key, body)
        .await;
    assert_eq!((status, &again["id"]), (201, &created["id"]));
    let (_, view_again) = e
        .get(&format!("/api/dialogues/{id}"), Some(&app.organizer))
        .await;
    assert_eq!(view_again["seq"], view["seq"], "planned once");
    Dialogue {
        id,
        code: created["code"].as_str().unwrap().to_string(),
        endpoint: e.clone(),
        organizer: app.organizer.clone(),
    }
}

/// Ids of the observations the public saw published, from a follower's events.
fn published(c: &Client) -> BTreeSet<u64> {
    c.events
        .iter()
        .filter(|v| {
            v["event"]["kind"] == "question_published" && v["event"]["observation"].is_object()
        })
        .map(|v| v["event"]["question"]["id"].as_u64().unwrap())
        .collect()
}

fn ids(list: &Value) -> BTreeSet<u64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_u64().or(q["question_id"].as_u64()).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_walk_over_the_wire_publishes_exactly_what_was_approved() {
    let app = TestApp::spawn_with(|s| {
        s.limits.messages_burst = 1_000;
        s.limits.messages_per_sec = 1_000;
    })
    .await;
    let e = app.endpoint.clone();
    let before = meeting_code(&app, "Trygghetsdialog före vandringen").await;
    let after = meeting_code(&app, "Uppföljning efter vandringen").await;
    let walk = create_walk(&app, &before, &after).await;

    // The organizer names the two leaders by planning again over the socket.
    let (lena_id, mut lena) = leader(&walk, "Lena Ledare").await;
    let (sam_id, mut sam) = leader(&walk, "Sam Ledare").await;
    let mut organizer = organizer_socket(&app, walk.id).await;
    let mut replan = plan([Some(lena_id), Some(sam_id)], &before, &after);
    replan["type"] = json!("plan_walk");
    ok(&mut organizer, replan).await;
    let planned = lena.event("walk_planned").await;
    assert_eq!(
        planned["event"]["groups"][1]["leader_id"],
        sam_id.to_string()
    );
    assert_eq!(planned["event"]["before"], before);
    let (status, body) = e
        .post(
            &format!("/api/dialogues/{}/phase", walk.id),
            &app.organizer,
            json!({"phase": "live", "expected": "draft"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // Eight on site (four per group), three following from home.
    let mut on_site = Vec::new();
    let mut tokens = Vec::new();
    for _ in 0..8 {
        let (token, client) = walker_with_token(&e, &walk.code, "in_room").await;
        tokens.push(token);
        on_site.push(client);
    }
    let mut remote = Vec::new();
    for _ in 0..3 {
        remote.push(walker(&e, &walk.code, "remote").await);
    }
    let snap = remote[0].snapshot.clone().unwrap();
    assert_eq!(snap["walk"]["stops"].as_array().unwrap().len(), 4, "{snap}");
    assert!(snap["walk"]["groups"][0]["at"].is_null(), "{snap}");
    assert_eq!(snap["walk"]["after"], after);

    // Before setting off, "here" is nowhere.
    refused(
        &mut on_site[0],
        json!({"type": "observe", "text": "Mörkt", "group": 1, "category": "lighting", "felt_safety": 2}),
        "bad_request",
    )
    .await;
    refused(
        &mut on_site[0],
        json!({"type": "move_group", "group": 1, "to": 1, "expected": null}),
        "forbidden",
    )
    .await;

    let routes = [[1u64, 2, 3, 4], [3, 4, 1, 2]];
    let mut approved = BTreeSet::new();
    let mut rejected = BTreeSet::new();
    let mut receipts = Vec::new();
    // Photos: every one uploaded, and the published copies of those approved.
    let (mut uploaded, mut published_photos) = (BTreeSet::new(), BTreeSet::new());
    let mut at: [Option<u64>; 2] = [None, None];
    // The step indexes both groups' routes, and picks who observes.
    #[allow(clippy::needless_range_loop)]
    for step in 0..4 {
        for (g, leader) in [&mut lena, &mut sam].into_iter().enumerate() {
            let to = routes[g][step];
            ok(
                leader,
                json!({"type": "move_group", "group": g + 1, "to": to, "expected": at[g]}),
            )
            .await;
            at[g] = Some(to);
        }
        // Every follower hears where both groups are now.
        for f in remote.iter_mut() {
            for (g, want) in at.iter().copied().enumerate() {
                f.wait_for("group_moved", |v| {
                    v["event"]["kind"] == "group_moved"
                        && v["event"]["group"] == g as u64 + 1
                        && v["event"]["at"].as_u64() == want
                })
                .await;
            }
        }
        // A leader a step behind gets a conflict, not a jump.
        if step == 1 {
            let reply = sam
                .submit(json!({"type": "move_group", "group": 2, "to": 1, "expected": 3}))
                .await;
            assert_eq!(reply["code"], "conflict", "{reply}");
        }
        // Two walkers of each group observe at the group's stop.
        for (n, person) in on_site.iter_mut().enumerate() {
            let g = n / 4;
            if n % 4 != step % 4 && n % 4 != (step + 1) % 4 {
                continue;
            }
            let text = match (step, n) {
                (0, 0) => format!("Mannen med personnummer {PERSONNUMMER} sover i tunneln"),
                (1, 1) => format!("Ring mig på {PHONE} om lampan, den är trasig"),
                (2, 2) => format!("{REJECTED_MARK}: grannen är en idiot"),
                _ => format!(
                    "Stopp {} grupp {}: dålig belysning och skymd sikt",
                    routes[g][step],
                    g + 1
                ),
            };
            let mut msg = json!({"type": "observe", "text": text, "group": g + 1,
                "category": if n % 2 == 0 { "lighting" } else { "sightlines" },
                "felt_safety": (n % 5) + 1});
            // At each stop one walker of each group adds a photo.
            let photo = if n % 4 == step % 4 {
                let seed = u32::try_from(step * 10 + n).unwrap();
                let id = upload_photo(&e, walk.id, &tokens[n], seed).await;
                uploaded.insert(id.clone());
                msg["photo"] = json!(id);
                Some(id)
            } else {
                None
            };
            let ack = ok(person, msg).await;
            let q = ack["question_id"].as_u64().unwrap();
            receipts.push((q, ack["receipt"].as_str().unwrap().to_string()));
            // The moderator sees the guard's flags and decides.
            let asked = lena
                .wait_for("the observation", |v| {
                    v["event"]["kind"] == "question_asked" && v["event"]["question_id"] == q
                })
                .await;
            let placed = lena
                .wait_for("its place", |v| {
                    v["event"]["kind"] == "observation_placed" && v["event"]["question_id"] == q
                })
                .await;
            assert_eq!(placed["event"]["stop"], routes[g][step], "{placed}");
            let flags = asked["event"]["flags"].as_array().unwrap();
            match (step, n) {
                (0, 0) | (2, 2) => {
                    if step == 0 {
                        assert!(flags.iter().any(|f| f["kind"] == "personnummer"), "{asked}");
                    }
                    ok(
                        &mut lena,
                        json!({"type": "reject", "question_id": q, "expected": "pending",
                            "reason": if step == 0 { "personal_data" } else { "abusive" }}),
                    )
                    .await;
                    rejected.insert(q);
                }
                (1, 1) => {
                    assert!(flags.iter().any(|f| f["kind"] == "phone"), "{asked}");
                    let redacted = asked["event"]["redacted_text"].as_str().unwrap();
                    ok(
                        &mut lena,
                        json!({"type": "approve", "question_id": q, "expected": "pending", "text": redacted}),
                    )
                    .await;
                    approved.insert(q);
                }
                _ if photo.is_some() => {
                    ok(
                        &mut lena,
                        json!({"type": "approve", "question_id": q, "expected": "pending"}),
                    )
                    .await;
                    approved.insert(q);
                    // The first stop's photos get a face blurred; the others go as they are.
                    let regions = if step == 0 {
                        json!([{"x": 40, "y": 30, "width": 96, "height": 96}])
                    } else {
                        json!([])
                    };
                    let photo = photo.as_deref().unwrap();
                    let (status, decided) = e
                        .post(
                            &format!("/api/dialogues/{}/photos/{photo}/approve", walk.id),
                            &app.organizer,
                            json!({ "regions": regions }),
                        )
                        .await;
                    assert_eq!(status, 200, "{decided}");
                    let copy = decided["published_id"].as_str().unwrap().to_string();
                    assert_eq!(
                        copy != photo,
                        step == 0,
                        "a blurred copy has an id of its own"
                    );
                    published_photos.insert(copy);
                }
                _ => {
                    ok(
                        &mut lena,
                        json!({"type": "approve", "question_id": q, "expected": "pending"}),
                    )
                    .await;
                    approved.insert(q);
                }
            }
        }
        // A remote follower observes at a stop of their choosing.
        let r = step % 3;
        let ack = ok(
            &mut remote[r],
            json!({"type": "observe", "text": "Jag går här varje kväll och det är öde", "stop": routes[0][step],
                "category": "people", "felt_safety": 2, "origin": "remote"}),
        )
        .await;
        let q = ack["question_id"].as_u64().unwrap();
        ok(
            &mut sam,
            json!({"type": "approve", "question_id": q, "expected": "pending"}),
        )
        .await;
        approved.insert(q);
    }
    // One at the phone's position, near the first stop.
    let ack = ok(
        &mut on_site[5],
        json!({"type": "observe", "text": "Buskarna skymmer stigen här", "lat": 59.300_612_3, "lon": 17.985_987_6,
            "category": "vegetation", "felt_safety": 1}),
    )
    .await;
    let near = ack["question_id"].as_u64().unwrap();
    ok(
        &mut sam,
        json!({"type": "approve", "question_id": near, "expected": "pending"}),
    )
    .await;
    approved.insert(near);
    assert_eq!((approved.len(), rejected.len()), (19, 2));

    // Both groups are done.
    for (g, leader) in [&mut lena, &mut sam].into_iter().enumerate() {
        ok(
            leader,
            json!({"type": "move_group", "group": g + 1, "to": null, "expected": at[g]}),
        )
        .await;
    }

    // Actions: from approved observations only, by staff only.
    let mut approved_list = approved.iter().copied();
    let (a1, a2, a3, a4) = (
        approved_list.next().unwrap(),
        approved_list.next().unwrap(),
        approved_list.next().unwrap(),
        approved_list.next().unwrap(),
    );
    let action = |title: &str, obs: Vec<u64>, who: &str| json!({"type": "create_action", "title": title, "observation_ids": obs, "responsible": who, "due": "2027-03-31"});
    refused(
        &mut lena,
        action("Avvisad", vec![*rejected.first().unwrap()], "Polisen"),
        "not_found",
    )
    .await;
    refused(
        &mut on_site[1],
        action("Deltagare", vec![a1], "Polisen"),
        "forbidden",
    )
    .await;
    ok(
        &mut lena,
        action("Byt belysning i tunneln", vec![a1, a2], "Trafikkontoret"),
    )
    .await;
    ok(
        &mut sam,
        action("Klipp buskarna", vec![a3], "Stadsdelsförvaltningen"),
    )
    .await;
    ok(
        &mut organizer,
        action("Fler nattvandrare", vec![a4], "Polisen"),
    )
    .await;
    let status = |id: u64, to: &str, from: &str, note: &str| json!({"type": "set_action_status", "action_id": id, "status": to, "expected": from, "note": note});
    ok(&mut lena, status(1, "planned", "reported", "Beställt")).await;
    ok(&mut lena, status(1, "in_progress", "planned", "")).await;
    ok(&mut lena, status(1, "done", "in_progress", "Nya armaturer")).await;
    refused(
        &mut sam,
        status(2, "will_not_be_done", "reported", " "),
        "bad_request",
    )
    .await;
    ok(
        &mut sam,
        status(2, "will_not_be_done", "reported", "Marken är privat"),
    )
    .await;
    ok(&mut lena, status(3, "planned", "reported", "")).await;
    refused(&mut sam, status(3, "done", "reported", ""), "conflict").await;
    refused(
        &mut on_site[2],
        status(3, "done", "planned", ""),
        "forbidden",
    )
    .await;

    // The walk closes; actions still move after it, observations no longer come.
    let (code, body) = e
        .post(
            &format!("/api/dialogues/{}/phase", walk.id),
            &app.organizer,
            json!({"phase": "closed", "expected": "live"}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    ok(&mut lena, status(3, "in_progress", "planned", "Påbörjat")).await;
    refused(
        &mut on_site[3],
        json!({"type": "observe", "text": "Sent", "stop": 1, "category": "other", "felt_safety": 3}),
        "not_now",
    )
    .await;

    // Remote followers saw each approved observation published live, nothing else.
    for f in remote.iter_mut() {
        f.wait_for("the last action change", |v| {
            v["event"]["kind"] == "action_status_changed"
                && v["event"]["status"] == "in_progress"
                && v["event"]["action_id"] == 3
        })
        .await;
        assert_eq!(published(f), approved);
        for mark in [REJECTED_MARK, PERSONNUMMER, PHONE] {
            assert!(!f.ever_saw(mark), "a follower saw {mark}");
        }
    }

    // The public snapshot and the record hold exactly the approved content.
    let (status, public) = e.get(&format!("/api/public/{}", walk.code), None).await;
    assert_eq!(status, 200, "{public}");
    let w = &public["walk"];
    assert_eq!(ids(&w["observations"]), approved, "{w}");
    assert_eq!(ids(&public["questions"]), approved);
    assert!(
        w["groups"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["at"].is_null()),
        "{w}"
    );
    let statuses: Vec<&str> = w["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["done", "will_not_be_done", "in_progress"]);
    assert_eq!(w["actions"][0]["history"].as_array().unwrap().len(), 4);
    assert_eq!(w["actions"][1]["history"][1]["note"], "Marken är privat");
    let near_wire = w["observations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["question_id"] == near)
        .unwrap();
    assert!(
        near_wire["stop"].is_null() && near_wire["lat_e6"].is_i64(),
        "{near_wire}"
    );
    let (status, record) = e.get(&format!("/d/{}/record.json", walk.code), None).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&record["questions"]), approved);
    let (_, _, csv) = e
        .get_text(&format!("/d/{}/record.csv", walk.code), None)
        .await;
    for text in [public.to_string(), record.to_string(), csv] {
        for mark in [REJECTED_MARK, PERSONNUMMER, PHONE] {
            assert!(!text.contains(mark), "{mark} is public");
        }
    }

    // The report and every export hold exactly the published photos: no
    // original of a blurred one, no photo of a rejected observation, none
    // left private (the redacted observation's photo was never approved).
    assert_eq!(
        (uploaded.len(), published_photos.len()),
        (8, 5),
        "{published_photos:?}"
    );
    let (status, report) = e.get(&format!("/d/{}/report.json", walk.code), None).await;
    assert_eq!(status, 200, "{report}");
    let in_report: BTreeSet<String> = report["observations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["photo"].as_str())
        .map(|p| {
            p.rsplit('/')
                .next()
                .unwrap()
                .trim_end_matches(".jpg")
                .to_string()
        })
        .collect();
    assert_eq!(in_report, published_photos, "{report}");
    let mut exports = vec![report.to_string()];
    for path in [
        "report.csv",
        "actions.csv",
        "report.geojson",
        "open311/requests.json",
    ] {
        let (status, _, body) = e.get_text(&format!("/d/{}/{path}", walk.code), None).await;
        assert_eq!(status, 200, "{path}");
        exports.push(body);
    }
    for private in uploaded.difference(&published_photos) {
        for text in &exports {
            assert!(
                !text.contains(private.as_str()),
                "a private photo is public: {private}"
            );
        }
        let (status, _, _) = e
            .get_text(&format!("/d/{}/photos/{private}.jpg", walk.code), None)
            .await;
        assert_eq!(status, 404, "a private photo is served");
    }
    for copy in &published_photos {
        let (status, _, _) = e
            .get_text(&format!("/d/{}/photos/{copy}.jpg", walk.code), None)
            .await;
        assert_eq!(status, 200, "a published photo is not served");
    }

    // Receipts show an observation's fate and its actions' status.
    let receipt = |q: u64| receipts.iter().find(|(id, _)| *id == q).unwrap().1.clone();
    let (status, r) = e.get(&format!("/api/receipts/{}", receipt(a1)), None).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["observation"]["actions"][0]["status"], "done", "{r}");
    assert_eq!(
        r["observation"]["stop_name"],
        "Tunneln under Hägerstensvägen"
    );
    let (_, _, page) = e.get_text(&format!("/r/{}", receipt(a1)), None).await;
    assert!(
        page.contains("Byt belysning i tunneln") && page.contains("Klar"),
        "{page}"
    );
    let (_, _, page) = e
        .get_text(&format!("/r/{}?lang=en", receipt(a1)), None)
        .await;
    assert!(
        page.contains("Done") && page.contains("Sightlines"),
        "{page}"
    );
    let gone = *rejected.first().unwrap();
    let (status, r) = e
        .get(&format!("/api/receipts/{}", receipt(gone)), None)
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        (r["fate"].as_str(), &r["text"]),
        (Some("rejected"), &Value::Null)
    );
    assert_eq!(r["reason"], "personal_data");
    assert_eq!(r["observation"]["actions"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_position_is_coarse_in_the_store_itself() {
    let app = TestApp::spawn().await;
    let before = meeting_code(&app, "Före").await;
    let after = meeting_code(&app, "Efter").await;
    let walk = create_walk(&app, &before, &after).await;
    let (status, body) = app
        .endpoint
        .post(
            &format!("/api/dialogues/{}/phase", walk.id),
            &app.organizer,
            json!({"phase": "live", "expected": "draft"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut anna = walker(&app.endpoint, &walk.code, "in_room").await;
    let (lat, lon) = (59.300_612_3, 17.985_987_6);
    ok(
        &mut anna,
        json!({"type": "observe", "text": "Buskarna skymmer", "lat": lat, "lon": lon,
            "category": "vegetation", "felt_safety": 2}),
    )
    .await;

    let coarse = dialoghub::domain::walk::Position::coarsened(lat, lon, 100).unwrap();
    let exact = dialoghub::domain::walk::Position::exact(lat, lon).unwrap();
    assert!(
        coarse.metres_to(exact) > 1.0,
        "the test's point is not a cell centre"
    );
    let path = app.store_url.trim_start_matches("sqlite://").to_string();
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{path}"))
        .await
        .unwrap();
    let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM events WHERE body LIKE ?")
        .bind("%observation_placed%")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(bodies.len(), 1);
    let row: Value = serde_json::from_str(&bodies[0]).unwrap();
    assert_eq!(
        (row["lat_e6"].as_i64(), row["lon_e6"].as_i64()),
        (
            Some(i64::from(coarse.lat_e6())),
            Some(i64::from(coarse.lon_e6()))
        ),
        "{row}"
    );
    // Nowhere in the store: not the exact position in any form the server saw.
    let every_text: Vec<String> = sqlx::query_scalar(
        "SELECT body FROM events UNION ALL SELECT ack FROM submissions \
         UNION ALL SELECT COALESCE(detail, '') FROM audit_log",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert!(every_text.len() > 3, "{every_text:?}");
    let exact_forms = [
        "59.3006123".to_string(),
        "17.9859876".to_string(),
        "59300612".to_string(),
        "17985987".to_string(),
    ];
    for text in &every_text {
        for form in &exact_forms {
            assert!(!text.contains(form.as_str()), "{form} stored: {text}");
        }
    }
    drop(conn);
    for file in [path.clone(), format!("{path}-wal")] {
        let Ok(bytes) = std::fs::read(&file) else {
            continue;
        };
        for form in &exact_forms {
            assert!(
                !bytes.windows(form.len()).any(|w| w == form.as_bytes()),
                "{form} in {file}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overdue_walk_actions_are_in_the_organizer_overview() {
    let app = TestApp::spawn().await;
    let e = app.endpoint.clone();
    let before = meeting_code(&app, "Trygghetsdialog före").await;
    let after = meeting_code(&app, "Uppföljning efter").await;
    let walk = create_walk(&app, &before, &after).await;
    let (_, mut lena) = leader(&walk, "Lena Ledare").await;
    let (status, body) = e
        .post(
            &format!("/api/dialogues/{}/phase", walk.id),
            &app.organizer,
            json!({"phase": "live", "expected": "draft"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut anna = walker(&e, &walk.code, "in_room").await;
    let ack = ok(
        &mut anna,
        json!({"type": "observe", "text": "Trasig lampa", "stop": 1, "category": "lighting", "felt_safety": 2}),
    )
    .await;
    let q = ack["question_id"].as_u64().unwrap();
    ok(
        &mut lena,
        json!({"type": "approve", "question_id": q, "expected": "pending"}),
    )
    .await;
    let action = |title: &str, due: &str| {
        json!({"type": "create_action", "title": title,
        "observation_ids": [q], "responsible": "Trafikkontoret", "due": due})
    };
    ok(&mut lena, action("Byt lampan", "2020-01-31")).await;
    ok(&mut lena, action("Klipp buskarna", "2020-02-01")).await;
    ok(&mut lena, action("Ny belysning", "2999-12-31")).await;
    ok(
        &mut lena,
        json!({"type": "set_action_status", "action_id": 1, "status": "in_progress", "expected": "reported"}),
    )
    .await;
    ok(
        &mut lena,
        json!({"type": "set_action_status", "action_id": 2, "status": "done", "expected": "reported"}),
    )
    .await;
    let (status, all) = e.get("/api/overview", Some(&app.organizer)).await;
    assert_eq!(status, 200, "{all}");
    let item = all
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == walk.id.to_string())
        .cloned()
        .unwrap();
    // Past its day and still open: overdue. Done, or not yet due: not.
    assert_eq!(
        item["overdue_actions"],
        json!([{"action_id": 1, "title": "Byt lampan", "responsible": "Trafikkontoret",
                "due": "2020-01-31", "status": "in_progress"}]),
        "{item}"
    );
    assert_eq!(item["overdue_follow_ups"], json!([]));
}

/// A deployment's own categories: one added (snow clearing), one dropped (people).
fn own_categories() -> Vec<dialoghub::config::CategorySetting> {
    [
        ("lighting", "Belysning", "Lighting"),
        ("snow", "Snöröjning", "Snow clearing"),
        ("other", "Övrigt", "Other"),
    ]
    .map(|(code, sv, en)| dialoghub::config::CategorySetting {
        code: code.into(),
        sv: sv.into(),
        en: en.into(),
    })
    .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_snapshot_carries_the_deployments_categories_and_only_they_are_taken() {
    let app = TestApp::spawn_with(|s| s.walks.categories = own_categories()).await;
    let before = meeting_code(&app, "Före").await;
    let after = meeting_code(&app, "Efter").await;
    let walk = create_walk(&app, &before, &after).await;
    let (_, mut lena) = leader(&walk, "Lena Ledare").await;
    let (status, body) = app
        .endpoint
        .post(
            &format!("/api/dialogues/{}/phase", walk.id),
            &app.organizer,
            json!({"phase": "live", "expected": "draft"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut anna = walker(&app.endpoint, &walk.code, "remote").await;
    let expected = json!([
        {"code": "lighting", "sv": "Belysning", "en": "Lighting"},
        {"code": "snow", "sv": "Snöröjning", "en": "Snow clearing"},
        {"code": "other", "sv": "Övrigt", "en": "Other"}
    ]);
    let participants = anna.snapshot.clone().unwrap();
    assert_eq!(participants["walk"]["categories"], expected);
    let moderators = lena.snapshot.clone().unwrap();
    assert_eq!(moderators["walk"]["categories"], expected);

    // A code the list dropped is refused, typed; one it added is taken.
    refused(
        &mut anna,
        json!({"type": "observe", "text": "Öde", "stop": 1, "category": "people", "felt_safety": 2}),
        "not_found",
    )
    .await;
    let ack = ok(
        &mut anna,
        json!({"type": "observe", "text": "Ingen har skottat trappan", "stop": 1, "category": "snow", "felt_safety": 2}),
    )
    .await;
    let q = ack["question_id"].as_u64().unwrap();
    let placed = lena
        .wait_for("its place", |v| {
            v["event"]["kind"] == "observation_placed" && v["event"]["question_id"] == q
        })
        .await;
    assert_eq!(placed["event"]["category"], "snow");
    // The GIS export names the same list.
    let (status, services) = app
        .endpoint
        .get(&format!("/d/{}/open311/services.json", walk.code), None)
        .await;
    assert_eq!(status, 200, "{services}");
    let codes: Vec<&str> = services
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service_code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["lighting", "snow", "other"]);
}

#[tokio::test]
async fn a_bad_list_of_categories_stops_the_server_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = crate::harness::test_settings(dir.path());
    let mut twice = own_categories();
    twice.push(twice[1].clone());
    settings.walks.categories = twice;
    let Err(e) = dialoghub::App::build(settings).await else {
        panic!("a list with a code twice was taken");
    };
    assert!(e.to_string().contains("\"snow\" is listed twice"), "{e}");
}
