//! The authorization matrix, generated: every REST endpoint and every WebSocket
//! action × every standing (anonymous, participant, screen, panelist, moderator,
//! organizer, district admin, municipality admin) × the person's own dialogue,
//! another dialogue of the same district, and a dialogue of another district.
//! Each cell's expected answer comes from the one table (`domain::authorize`);
//! every cell is sent to the running server. A private tip is looked for in
//! every answer, and only staff of its dialogue may ever get it. The
//! capabilities (a receipt code, a confirmation's confirm token, a note's
//! unsubscribe token) are sent by every person, once genuine (a holder) and
//! once forged (a stranger).

use crate::harness::{Client, TestApp, grant, report};
use dialoghub::domain::access::Standing;
use dialoghub::domain::authorize::{Action, may, role_may};
use serde_json::{Value, json};
use uuid::Uuid;

const TIP: &str = "Langning vid Matrisgränd 3, fråga efter Yxberg";
const TIP_MARK: &str = "Matrisgränd";

/// The three dialogues, as (label, id).
struct Dialogues {
    own: Uuid,
    sibling: Uuid,
    foreign: Uuid,
}

/// One person and what they are to each of the three dialogues.
struct Person {
    label: &'static str,
    credential: String,
    /// Standing towards (own, sibling, foreign).
    standing: [Standing; 3],
}

/// A REST endpoint of one dialogue: (action, method, path, body).
fn dialogue_endpoints(d: Uuid) -> Vec<(Action<'static>, &'static str, String, Value)> {
    let nobody = Uuid::new_v4();
    vec![
        (
            Action::ViewStaff,
            "GET",
            format!("/api/dialogues/{d}"),
            json!(null),
        ),
        (
            Action::SetInfo,
            "PUT",
            format!("/api/dialogues/{d}/info"),
            json!({"title": "Trygghetsdialog", "purpose": "Frågor om trygghet; inga beslut fattas här."}),
        ),
        (
            Action::SetPhase,
            "POST",
            format!("/api/dialogues/{d}/phase"),
            // Expects a phase the dialogue is not in: allowed callers get a conflict.
            json!({"phase": "open", "expected": "draft"}),
        ),
        (
            Action::Invite,
            "POST",
            format!("/api/dialogues/{d}/panelists"),
            json!({"name": "Per Polis", "kind": "police"}),
        ),
        (
            Action::Invite,
            "POST",
            format!("/api/dialogues/{d}/moderators"),
            json!({"name": "Mona Moderator"}),
        ),
        (
            Action::Invite,
            "POST",
            format!("/api/dialogues/{d}/screen"),
            json!({}),
        ),
        (
            // Nobody of that id: allowed callers hear so (404), after the table.
            Action::Invite,
            "POST",
            format!("/api/dialogues/{d}/invitees/{nobody}/link"),
            json!(null),
        ),
        (
            Action::RemovePerson,
            "DELETE",
            format!("/api/dialogues/{d}/people/{nobody}"),
            json!(null),
        ),
        (
            Action::PostInfo,
            "POST",
            format!("/api/dialogues/{d}/posts"),
            json!({"text": "Polisen deltar i kväll.", "source": "Kommunen"}),
        ),
        (
            Action::RecordOutcome,
            "POST",
            format!("/api/dialogues/{d}/questions/999/outcome"),
            json!({"outcome": "Belysningen är lagad."}),
        ),
        (
            Action::ExportAudit,
            "GET",
            format!("/api/dialogues/{d}/audit"),
            json!(null),
        ),
        (
            Action::Erase,
            "POST",
            format!("/api/dialogues/{d}/erasures"),
            json!({"participant_id": nobody}),
        ),
        (
            Action::SetTipRecipients,
            "PUT",
            format!("/api/dialogues/{d}/tip-recipients"),
            json!({"kinds": ["police"]}),
        ),
        (
            Action::InviteeCalendar,
            "GET",
            format!("/api/dialogues/{d}/invitees/{nobody}/calendar.ics"),
            json!(null),
        ),
        (
            // Not a walk: an allowed caller hears so (400), after the table.
            Action::UploadPhoto,
            "POST",
            format!("/api/dialogues/{d}/photos"),
            json!({}),
        ),
        (
            Action::ViewPhoto,
            "GET",
            format!("/api/dialogues/{d}/photos/{}", "0".repeat(64)),
            json!(null),
        ),
        (
            Action::ViewPhoto,
            "POST",
            format!("/api/dialogues/{d}/photos/{}/preview", "0".repeat(64)),
            json!({"regions": []}),
        ),
        (
            Action::ModeratePhoto,
            "POST",
            format!("/api/dialogues/{d}/photos/{}/approve", "0".repeat(64)),
            json!({"regions": []}),
        ),
        (
            Action::ModeratePhoto,
            "POST",
            format!("/api/dialogues/{d}/photos/{}/reject", "0".repeat(64)),
            json!(null),
        ),
        (
            Action::OpenSocket,
            "POST",
            "/api/ws-ticket".to_string(),
            json!({"dialogue_id": d}),
        ),
    ]
}

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    credential: &str,
    body: Value,
) -> (u16, String) {
    let e = &app.endpoint;
    let url = format!("{}{path}", e.base);
    let req = match method {
        "GET" => e.http.get(url),
        "PUT" => e.http.put(url).json(&body),
        "DELETE" => e.http.delete(url),
        _ => e.http.post(url).json(&body),
    };
    let req = crate::harness::authed(req, &e.base, credential)
        .header("idempotency-key", crate::harness::key());
    let resp = req.send().await.expect("HTTP request");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

async fn staff(app: &TestApp, name: &str, district: &str, role: &str) -> String {
    app.endpoint
        .sign_in(app.store.as_ref(), name, &[grant(district, role)])
        .await
        .credential(None)
}

async fn live_in(app: &TestApp, admin: &str, district: &str) -> Uuid {
    let e = &app.endpoint;
    let (status, created) = e
        .post(
            "/api/dialogues",
            admin,
            json!({"title": "Trygghetsdialog", "district": district,
                   "purpose": "Frågor om trygghet; inga beslut fattas här."}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id: Uuid = created["id"].as_str().unwrap().parse().unwrap();
    let (status, body) = e
        .post(
            &format!("/api/dialogues/{id}/phase"),
            admin,
            json!({"phase": "live", "expected": "draft"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    id
}

/// Invites someone to `d` as `kind` (`panelists`, `moderators`, `screen`): their credential.
async fn invitee(app: &TestApp, admin: &str, d: Uuid, kind: &str, body: Value) -> String {
    let (status, inv) = app
        .endpoint
        .post(&format!("/api/dialogues/{d}/{kind}"), admin, body)
        .await;
    assert_eq!(status, 201, "{inv}");
    app.endpoint.accept(&inv, d).await
}

/// The WebSocket messages of the protocol document, one per client type
/// (hello and ping aside).
fn client_messages() -> Vec<Value> {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/protocol.md"),
    )
    .unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for block in doc.split("```json\n").skip(1) {
        let text = block.split("```").next().unwrap_or_default();
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            continue;
        };
        let Some(ty) = v["type"].as_str() else {
            continue;
        };
        if ty == "hello" || ty == "ping" || !dialoghub::protocol::CLIENT_TYPES.contains(&ty) {
            continue;
        }
        if dialoghub::protocol::decode(text).is_ok() && seen.insert(ty.to_string()) {
            out.push(v);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_and_action_answers_each_standing_as_the_table_says() {
    let app = TestApp::spawn_with(|s| {
        // Every client message from one socket in a row: no rate limit in the way.
        s.limits.messages_burst = 10_000;
        s.limits.messages_per_sec = 10_000;
        // Forged receipts on purpose, from one address.
        s.limits.receipt_misses_per_ip_per_minute = 10_000;
        // Mail on, so the receipt's mail endpoints answer; the scan and the
        // sender wait (nothing is queued or sent by them here: the test claims
        // the messages and writes their tokens itself).
        s.mail.smtp_host = "127.0.0.1".into();
        s.mail.smtp_port = 9;
        s.mail.security = "none".into();
        s.mail.scan_ms = 3_600_000;
        s.mail.send_ms = 3_600_000;
    })
    .await;
    let muni = staff(&app, "Mia", "*", "admin").await;
    let dialogues = Dialogues {
        own: live_in(&app, &muni, "norr").await,
        sibling: live_in(&app, &muni, "norr").await,
        foreign: live_in(&app, &muni, "syd").await,
    };
    let own = dialogues.own;
    // The tip, sent privately in the own dialogue by someone else.
    let code = code_of(&app, &muni, own).await;
    let join = || async {
        let (status, joined) = app
            .endpoint
            .post("/api/join", "", json!({"code": code}))
            .await;
        assert_eq!(status, 200, "{joined}");
        joined["token"].as_str().unwrap().to_string()
    };
    let participant = join().await;
    let mut tipper = Client::connect(&app.endpoint.ws, &join().await, None).await;
    let ack = tipper
        .submit(json!({"type": "send_tip", "text": TIP}))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let asked = tipper
        .submit(json!({"type": "ask", "text": "Varför är gångtunneln så mörk?"}))
        .await;
    let receipt = asked["receipt"].as_str().expect("a receipt").to_string();
    let forged_receipt = forge(&receipt);

    use Standing::*;
    let s = Stranger;
    let people = vec![
        Person {
            label: "anonymous",
            credential: String::new(),
            standing: [s, s, s],
        },
        Person {
            label: "participant",
            credential: participant.clone(),
            standing: [Participant, s, s],
        },
        Person {
            label: "screen",
            credential: invitee(&app, &muni, own, "screen", json!({})).await,
            standing: [Screen, s, s],
        },
        Person {
            label: "panelist",
            credential: invitee(
                &app,
                &muni,
                own,
                "panelists",
                json!({"name": "Pia", "kind": "politician"}),
            )
            .await,
            standing: [Panelist, s, s],
        },
        Person {
            label: "moderator",
            credential: invitee(&app, &muni, own, "moderators", json!({"name": "Mona"})).await,
            standing: [Moderator, s, s],
        },
        Person {
            label: "organizer",
            credential: staff(&app, "Olle", "norr", "organizer").await,
            standing: [Organizer, Organizer, s],
        },
        Person {
            label: "district admin",
            credential: staff(&app, "Disa", "norr", "admin").await,
            standing: [DistrictAdmin, DistrictAdmin, s],
        },
        Person {
            label: "municipality admin",
            credential: muni.clone(),
            standing: [MunicipalityAdmin; 3],
        },
    ];

    let mut cells = 0;
    let mut failures = Vec::new();
    let targets = [
        ("own", dialogues.own),
        ("sibling", dialogues.sibling),
        ("foreign", dialogues.foreign),
    ];
    for person in &people {
        // Dialogue endpoints.
        for (i, (where_, d)) in targets.iter().enumerate() {
            let standing = person.standing[i];
            for (action, method, path, body) in dialogue_endpoints(*d) {
                let (status, text) = send(&app, method, &path, &person.credential, body).await;
                cells += 1;
                let expected = may(standing, action);
                let refused = status == 401 || status == 403;
                if expected == refused {
                    failures.push(format!(
                        "{} on {where_}: {method} {path} gave {status}, the table says {}: {text}",
                        person.label,
                        if expected { "allowed" } else { "refused" }
                    ));
                }
                if refused && person.credential.is_empty() && status != 401 {
                    failures.push(format!("anonymous: {method} {path} gave {status}, not 401"));
                }
                if text.contains(TIP_MARK) && !(*d == own && may(standing, Action::ViewStaff)) {
                    failures.push(format!("{} got the tip from {method} {path}", person.label));
                }
            }
        }
        // District endpoints: create in norr (the district of "own") and in syd.
        for (i, district) in [(0, "norr"), (2, "syd")] {
            let standing = district_standing(person, i);
            let body = json!({"title": "Ny dialog", "district": district});
            let (status, text) =
                send(&app, "POST", "/api/dialogues", &person.credential, body).await;
            let grant = json!({"name": "Ny kollega", "grants": [{"district": district, "role": "moderator"}]});
            let (staff_status, staff_text) =
                send(&app, "POST", "/api/staff", &person.credential, grant).await;
            let (list_status, list_text) = send(
                &app,
                "GET",
                &format!("/api/staff?district={district}"),
                &person.credential,
                json!({}),
            )
            .await;
            let post = json!({"title": "Fakta", "text": "Färre anmälda brott.", "source": "Brå"});
            let (post_status, post_text) = send(
                &app,
                "POST",
                &format!("/api/districts/{district}/posts"),
                &person.credential,
                post,
            )
            .await;
            cells += 4;
            for (action, status, text, what) in [
                (Action::CreateDialogue, status, text, "create a dialogue"),
                (
                    Action::PostDistrictInfo,
                    post_status,
                    post_text,
                    "post to the district",
                ),
                (
                    Action::ManageStaff,
                    staff_status,
                    staff_text,
                    "invite staff",
                ),
                (Action::ManageStaff, list_status, list_text, "list staff"),
            ] {
                let refused = status == 401 || status == 403;
                if may(standing, action) == refused {
                    failures.push(format!(
                        "{} in {district}: {what} gave {status}: {text}",
                        person.label
                    ));
                }
                if text.contains(TIP_MARK) {
                    failures.push(format!("{} got the tip from {what}", person.label));
                }
            }
        }
        // Capabilities: the secret decides, whatever the person is otherwise.
        for (secret, standing) in [(&receipt, Holder), (&forged_receipt, Stranger)] {
            let path = format!("/api/receipts/{secret}/mail");
            let subscribe = json!({"address": "matris@example.org"});
            let (status, text) = send(&app, "POST", &path, &person.credential, subscribe).await;
            capability_cell(
                &mut failures,
                person,
                standing,
                Action::ReceiptMail,
                ("POST", &path),
                status,
                &text,
            );
            let confirm = if standing == Holder {
                confirm_token(&app).await
            } else {
                forge(&"0".repeat(64))
            };
            let confirm = format!("/c/{confirm}");
            let (status, text) =
                send(&app, "POST", &confirm, &person.credential, json!(null)).await;
            capability_cell(
                &mut failures,
                person,
                standing,
                Action::ConfirmMail,
                ("POST", &confirm),
                status,
                &text,
            );
            let token = if standing == Holder {
                note_token(&app).await
            } else {
                forge(&"0".repeat(64))
            };
            let stop = format!("/u/{token}");
            let (status, text) = send(&app, "POST", &stop, &person.credential, json!(null)).await;
            capability_cell(
                &mut failures,
                person,
                standing,
                Action::Unsubscribe,
                ("POST", &stop),
                status,
                &text,
            );
            let (status, text) = send(&app, "DELETE", &path, &person.credential, json!(null)).await;
            capability_cell(
                &mut failures,
                person,
                standing,
                Action::ReceiptMail,
                ("DELETE", &path),
                status,
                &text,
            );
            cells += 4;
        }
        // The lists show exactly the dialogues whose staff view the person may see.
        for path in ["/api/dialogues", "/api/overview"] {
            let (status, text) = send(&app, "GET", path, &person.credential, json!(null)).await;
            cells += 1;
            let listed: Vec<bool> = targets
                .iter()
                .map(|(_, d)| text.contains(&d.to_string()))
                .collect();
            let expected: Vec<bool> = person
                .standing
                .iter()
                .map(|s| may(*s, Action::ViewStaff))
                .collect();
            let may_list = may(district_standing(person, 0), Action::ListDialogues)
                || person
                    .standing
                    .iter()
                    .any(|s| may(*s, Action::ListDialogues));
            if (status == 200) != may_list && !(status == 200 && expected.iter().all(|e| !e)) {
                failures.push(format!("{}: {path} gave {status}: {text}", person.label));
            }
            if status == 200 && listed != expected {
                failures.push(format!(
                    "{}: {path} lists {listed:?}, the table says {expected:?}",
                    person.label
                ));
            }
            if text.contains(TIP_MARK) && !may(person.standing[0], Action::ViewStaff) {
                failures.push(format!("{} got the tip from {path}", person.label));
            }
        }
    }

    // WebSocket actions: everyone with a socket to the own dialogue sends every
    // client message; a refusal by role is `forbidden`, anything else is the
    // dialogue's own answer (not found, conflict, …). Strangers get no ticket (above).
    let messages = client_messages();
    assert!(
        messages.len() >= 25,
        "the document's client messages: {}",
        messages.len()
    );
    for person in people.iter().filter(|p| !p.credential.is_empty()) {
        let mut socket = Client::connect(
            &app.endpoint.ws,
            &with_dialogue(&person.credential, own),
            None,
        )
        .await;
        for message in &messages {
            let text = message.to_string();
            let decoded = dialoghub::protocol::decode(&text).unwrap();
            // `read_pending` reads, so it is no command: it has a row of its own.
            let command = decoded.into_command(500).unwrap();
            let expected = match &command {
                Some((_, command)) => may(person.standing[0], Action::Submit(command)),
                None => may(person.standing[0], Action::ReadPending),
            };
            let mut msg = message.clone();
            let id = socket.key();
            msg["client_msg_id"] = json!(id);
            socket.send(msg).await;
            let reply = socket
                .wait_for("a reply", |v| v["client_msg_id"] == id.as_str())
                .await;
            cells += 1;
            let forbidden = reply["code"] == "forbidden";
            if expected == forbidden {
                failures.push(format!(
                    "{} sent {}: {reply}, the table says {}",
                    person.label,
                    message["type"],
                    if expected { "allowed" } else { "refused" }
                ));
            }
        }
        // The room code comes right after the welcome, to those the table lets see it.
        cells += 1;
        let saw_code = socket
            .raw
            .iter()
            .any(|f| f.contains(r#""type":"room_code""#));
        if saw_code != may(person.standing[0], Action::SeeRoomCode) {
            failures.push(format!(
                "{}'s socket {} the room code",
                person.label,
                if saw_code { "got" } else { "did not get" }
            ));
        }
        if socket.ever_saw(TIP_MARK) && !may(person.standing[0], Action::ViewStaff) {
            // Tip recipients on the panel are chosen per dialogue; none is set here.
            failures.push(format!("{}'s socket got the tip", person.label));
        }
    }
    // Following (`hello` with `follow`): the socket carries no credential, so
    // whoever opens it stands as a stranger to the table, towards each of the
    // three dialogues. A follower's socket may send nothing, and gets neither
    // the room code nor the tip.
    for (where_, d) in targets {
        let hello = json!({"type": "hello", "v": 1, "follow": code_of(&app, &muni, d).await});
        let mut socket = Client::connect_with_hello(&app.endpoint.ws, hello).await;
        let first = socket.wait_for("welcome or error", |_| true).await;
        cells += 1;
        let followed = first["type"] == "welcome";
        if followed != may(Stranger, Action::Follow) {
            failures.push(format!("following {where_} gave {first}"));
        }
        if !followed {
            continue;
        }
        socket.welcome = first;
        let role = dialoghub::domain::Role::Follower;
        for message in &messages {
            let decoded = dialoghub::protocol::decode(&message.to_string()).unwrap();
            let expected = match decoded.into_command(500).unwrap() {
                Some((_, command)) => role_may(role, Action::Submit(&command)),
                None => role_may(role, Action::ReadPending),
            };
            let reply = socket.submit(message.clone()).await;
            cells += 1;
            if expected == (reply["code"] == "forbidden") {
                failures.push(format!(
                    "a follower of {where_} sent {}: {reply}",
                    message["type"]
                ));
            }
        }
        cells += 1;
        if socket.ever_saw(r#""type":"room_code""#) != role_may(role, Action::SeeRoomCode) {
            failures.push(format!("a follower of {where_} got the room code"));
        }
        if socket.ever_saw(TIP_MARK) {
            failures.push(format!("a follower of {where_} got the tip"));
        }
    }
    report(&format!("authorization matrix: {cells} cells"));
    assert!(
        failures.is_empty(),
        "{} of {cells} cells disagree with the table:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A capability's cell: allowed is a success, refused is `404 not_found` (not
/// 401 or 403: a forged secret must not tell whether another would work).
fn capability_cell(
    failures: &mut Vec<String>,
    person: &Person,
    standing: Standing,
    action: Action<'_>,
    (method, path): (&str, &str),
    status: u16,
    text: &str,
) {
    let answered = if may(standing, action) {
        (200..300).contains(&status)
    } else {
        status == 404
    };
    if !answered {
        failures.push(format!(
            "{} as {}: {method} {path} gave {status}: {text}",
            person.label,
            standing.as_str()
        ));
    }
    if text.contains(TIP_MARK) || text.contains("matris@") {
        failures.push(format!(
            "{} got private text from {method} {path}",
            person.label
        ));
    }
}

/// The same secret with its last character changed.
fn forge(secret: &str) -> String {
    let mut forged = secret.to_string();
    let last = forged.pop().unwrap();
    forged.push(if last == '2' { '3' } else { '2' });
    forged
}

/// The confirmation queued with the one address left, claimed and sent as a
/// sender does, carrying a fresh confirm token: the token.
async fn confirm_token(app: &TestApp) -> String {
    let store = app.store.as_ref();
    let now = chrono::Utc::now().timestamp_millis();
    let claimed = store
        .mail_claim("matrix", now, now + 600_000, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1, "the address's confirmation");
    assert_eq!(claimed[0].change, "confirm");
    let token = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    store
        .mail_set_tokens(
            &claimed[0].id,
            "matrix",
            "unused",
            Some(&dialoghub::identity::hash(&token)),
        )
        .await
        .unwrap();
    store.mail_sent(&claimed[0].id, now, false).await.unwrap();
    token
}

/// A note queued for the one (confirmed) subscription there is, claimed as a
/// sender does, carrying a fresh unsubscribe token: the token.
async fn note_token(app: &TestApp) -> String {
    use dialoghub::store::mail::NewNote;
    let store = app.store.as_ref();
    let subscription = store.mail_subscriptions().await.unwrap();
    assert_eq!(subscription.len(), 1, "the receipt's subscription");
    let now = chrono::Utc::now().timestamp_millis();
    let note = NewNote {
        subscription: &subscription[0].id,
        change: "fate",
        fate: "answered_live",
        title: "Trygghetsdialog",
        last: false,
        now,
    };
    assert!(store.mail_enqueue(&note).await.unwrap());
    let claimed = store
        .mail_claim("matrix", now, now + 600_000, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1, "{claimed:?}");
    let token = format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple());
    store
        .mail_set_tokens(
            &claimed[0].id,
            "matrix",
            &dialoghub::identity::hash(&token),
            None,
        )
        .await
        .unwrap();
    token
}

/// What the person is to a district: 0 = the own dialogue's (norr), 2 = syd.
fn district_standing(person: &Person, i: usize) -> Standing {
    match person.standing[i] {
        s @ (Standing::Organizer | Standing::DistrictAdmin | Standing::MunicipalityAdmin) => s,
        _ => Standing::Stranger,
    }
}

/// A harness credential bound to a dialogue (for its socket's ticket).
fn with_dialogue(credential: &str, d: Uuid) -> String {
    if credential.starts_with("session ") && credential.split(' ').count() == 3 {
        format!("{credential} {d}")
    } else {
        credential.to_string()
    }
}

async fn code_of(app: &TestApp, admin: &str, d: Uuid) -> String {
    let (status, view) = app
        .endpoint
        .get(&format!("/api/dialogues/{d}"), Some(admin))
        .await;
    assert_eq!(status, 200, "{view}");
    view["dialogue"]["code"].as_str().unwrap().to_string()
}

/// `docs/protocol.md` 6.23 prints the table; it is the code's, cell for cell.
/// `UPDATE_DOCS=1` writes it there.
#[test]
fn the_table_in_the_protocol_document_is_the_one_in_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/protocol.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let table = dialoghub::domain::authorize::markdown();
    const BEFORE: &str = "and a security event in the audit trail.\n\n";
    const AFTER: &str = "\nActions: ";
    let start = doc.find(BEFORE).expect("section 6.23") + BEFORE.len();
    let end = start
        + doc[start..]
            .find(AFTER)
            .expect("the actions after the table");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        let updated = format!("{}{table}{}", &doc[..start], &doc[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert_eq!(
        &doc[start..end],
        table,
        "docs/protocol.md 6.23 differs from src/domain/authorize.rs"
    );
}

/// `publish_photo` is given only by the approve endpoint: its row among the
/// commands lets through exactly whom `moderate_photo` lets through, so the
/// endpoint's answer and the dialogue's never disagree.
#[test]
fn the_publish_photo_row_is_the_approve_endpoints_row() {
    let photo = |c: &str| dialoghub::domain::walk::PhotoId::parse(&c.repeat(64)).unwrap();
    let command = dialoghub::domain::Command::PublishPhoto {
        photo: photo("a"),
        published: photo("b"),
    };
    for standing in Standing::ALL {
        assert_eq!(
            may(standing, Action::Submit(&command)),
            may(standing, Action::ModeratePhoto),
            "{standing:?}"
        );
    }
}
