//! Taking someone off a dialogue, or off the staff, is a command in the
//! dialogue's log: the moderator list, the snapshot and the audit trail show it,
//! and a staff moderator who signs in again (as an identity provider's claims
//! would let them) is no moderator of that dialogue any more.

use crate::harness::{Client, Staff, TestApp, grant};
use dialoghub::domain::access::Grant;
use serde_json::{Value, json};
use uuid::Uuid;

/// Signs `subject` in by a fresh link, as the same person every time.
async fn sign_in_as(app: &TestApp, subject: &str, grants: &[Grant]) -> Staff {
    let (id, link) = dialoghub::identity::admin::staff_link(
        app.store.as_ref(),
        &app.endpoint.base,
        subject,
        "Mats",
        grants,
        15,
    )
    .await
    .unwrap();
    let staff = app.endpoint.use_link(&link).await.expect("signed in");
    assert_eq!(staff.id, id);
    staff
}

async fn staff_moderators(app: &TestApp, dialogue: Uuid) -> Vec<String> {
    let mut socket = Client::connect(
        &app.endpoint.ws,
        &format!("{} {dialogue}", app.organizer),
        None,
    )
    .await;
    let snapshot = socket.snapshot.take().expect("a snapshot");
    socket.close().await;
    snapshot["dialogue"]["moderators"]
        .as_array()
        .unwrap_or_else(|| panic!("no moderators in {snapshot}"))
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect()
}

async fn audit_actions(app: &TestApp, dialogue: Uuid) -> Vec<Value> {
    let (status, audit) = app
        .endpoint
        .get(
            &format!("/api/dialogues/{dialogue}/audit"),
            Some(&app.organizer),
        )
        .await;
    assert_eq!(status, 200, "{audit}");
    audit["entries"].as_array().unwrap().clone()
}

async fn add_staff_moderator(app: &TestApp, dialogue: Uuid, staff: Uuid) {
    let (status, body) = app
        .endpoint
        .post(
            &format!("/api/dialogues/{dialogue}/moderators"),
            &app.organizer,
            json!({"staff_id": staff}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn a_removed_staff_moderator_who_signs_in_again_cannot_moderate() {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let id = dialogue.id;
    let roles = [grant("default", "moderator")];
    let mats = sign_in_as(&app, "test:mats", &roles).await;
    add_staff_moderator(&app, id, mats.id).await;
    let mut socket = app.endpoint.staff_socket(&mats, id).await;
    assert_eq!(socket.welcome["role"], "moderator");

    let path = format!("/api/dialogues/{id}/people/{}", mats.id);
    let organizer = app.endpoint.staff_of(&app.organizer);
    let (status, body) = app
        .endpoint
        .staff_send("DELETE", &path, &organizer, json!({}))
        .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(socket.closed_with().await, Some(4410));
    // Removing again finds nothing to take off, and says so the same way.
    let (status, _) = app
        .endpoint
        .staff_send("DELETE", &path, &organizer, json!({}))
        .await;
    assert_eq!(status, 204);

    let mats_id = mats.id.to_string();
    assert!(!staff_moderators(&app, id).await.contains(&mats_id));
    let removed: Vec<Value> = audit_actions(&app, id)
        .await
        .into_iter()
        .filter(|e| e["action"] == "moderator_removed")
        .collect();
    assert_eq!(removed.len(), 1, "{removed:?}");
    assert_eq!(removed[0]["target"], format!("moderator:{mats_id}"));
    assert!(removed[0]["event_seq"].is_u64());

    // The same person signs in again with the same roles: no moderator here.
    let again = sign_in_as(&app, "test:mats", &roles).await;
    let (status, body) = app.endpoint.ticket(&again, id).await.unwrap_err();
    assert_eq!(status, 403, "{body}");
}

#[tokio::test]
async fn staff_taken_off_the_staff_are_taken_off_every_dialogue() {
    let app = TestApp::spawn().await;
    let (first, second) = (app.live_dialogue().await, app.live_dialogue().await);
    let roles = [grant("default", "moderator")];
    let mats = sign_in_as(&app, "test:mats", &roles).await;
    for d in [first.id, second.id] {
        add_staff_moderator(&app, d, mats.id).await;
    }
    let mut socket = app.endpoint.staff_socket(&mats, second.id).await;
    let admin = app
        .endpoint
        .sign_in(app.store.as_ref(), "Admin", &[grant("default", "admin")])
        .await;
    let (status, body) = app
        .endpoint
        .staff_send(
            "DELETE",
            &format!("/api/staff/{}", mats.id),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(socket.closed_with().await, Some(4410));

    // The identity provider still maps them to the district: they sign in, and
    // moderate neither dialogue.
    let again = sign_in_as(&app, "test:mats", &roles).await;
    let mats_id = mats.id.to_string();
    for d in [first.id, second.id] {
        assert!(!staff_moderators(&app, d).await.contains(&mats_id));
        let (status, _) = app.endpoint.ticket(&again, d).await.unwrap_err();
        assert_eq!(status, 403);
        let actions = audit_actions(&app, d).await;
        assert!(
            actions
                .iter()
                .any(|e| e["action"] == "moderator_removed"
                    && e["actor"]["id"] == admin.id.to_string()),
            "{actions:?}"
        );
    }
}

/// `GET /api/staff`: an admin sees their district's staff with their roles
/// (and the municipality's admins), not another district's; someone removed
/// is gone from the list.
#[tokio::test]
async fn an_admin_lists_their_districts_staff_and_a_removed_one_is_gone() {
    let app = TestApp::spawn().await;
    let admin = sign_in_as(&app, "list-admin", &[grant("norr", "admin")]).await;
    let olle = sign_in_as(&app, "list-olle", &[grant("norr", "organizer")]).await;
    let sara = sign_in_as(&app, "list-sara", &[grant("syd", "organizer")]).await;
    let ids = |body: &Value| -> Vec<String> {
        body["staff"]
            .as_array()
            .unwrap_or_else(|| panic!("no staff in {body}"))
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect()
    };
    for path in ["/api/staff", "/api/staff?district=norr"] {
        let (status, body) = app.endpoint.staff_get(path, &admin).await;
        assert_eq!(status, 200, "{body}");
        let listed = ids(&body);
        assert!(listed.contains(&olle.id.to_string()), "{body}");
        assert!(listed.contains(&admin.id.to_string()), "{body}");
        assert!(!listed.contains(&sara.id.to_string()), "{body}");
        let entry = body["staff"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == olle.id.to_string())
            .unwrap();
        assert_eq!(
            entry["grants"],
            json!([{"district": "norr", "role": "organizer"}])
        );
    }
    let (status, _) = app
        .endpoint
        .staff_get("/api/staff?district=syd", &admin)
        .await;
    assert_eq!(status, 403);
    let (status, _) = app.endpoint.staff_get("/api/staff", &olle).await;
    assert_eq!(status, 403, "an organizer manages no staff");
    let (status, body) = app
        .endpoint
        .staff_get("/api/staff?district=Norr!", &admin)
        .await;
    assert_eq!(status, 400, "{body}");

    let path = format!("/api/staff/{}", olle.id);
    let (status, _) = app
        .endpoint
        .staff_send("DELETE", &path, &admin, json!({}))
        .await;
    assert_eq!(status, 204);
    let (_, body) = app.endpoint.staff_get("/api/staff", &admin).await;
    let listed = ids(&body);
    // Their roles are gone, so no district lists them.
    assert!(
        !listed.contains(&olle.id.to_string()),
        "a removed colleague holds no role: {body}"
    );
}
