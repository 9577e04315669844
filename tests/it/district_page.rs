//! The district's page about its safety work: what is coming, the records of
//! what was, every promise with its status as a scripted clock passes due dates,
//! the calendar and Atom feeds read by independent parsers, and information posts
//! with a chart drawn on the server.

use crate::harness::{Client, Staff, TestApp, grant, key};
use chrono::{Duration, NaiveDate, Utc};
use dialoghub::domain::access::DistrictId;
use dialoghub::domain::text::QuestionText;
use dialoghub::domain::walk::{
    ActionId, ActionStatus, FeltSafety, Group, GroupId, Place, Stop, StopId, WalkPlan,
};
use dialoghub::domain::{Actor, Command, QuestionId, QuestionStatus};
use dialoghub::protocol::ClientMsgId;
use serde_json::{Value, json};
use uuid::Uuid;

const DAY: i64 = 86_400_000;

struct Made {
    id: Uuid,
    code: String,
}

async fn dialogue(
    app: &TestApp,
    staff: &Staff,
    title: &str,
    starts_in_days: i64,
    phase: &str,
) -> Made {
    let starts = (Utc::now() + Duration::days(starts_in_days)).to_rfc3339();
    let (status, created) = app
        .endpoint
        .post(
            "/api/dialogues",
            &staff.credential(None),
            json!({"title": title, "district": "norr", "starts_at": starts,
                   "venue": format!("{title}s lokal"), "address": "Storgatan 1",
                   "livestream_url": "https://play.example.org/norr",
                   "purpose": "Frågor om trygghet i området; beslut fattas inte här."}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id: Uuid = created["id"].as_str().unwrap().parse().unwrap();
    let mut expected = "draft";
    for next in ["open", "live", "closed"] {
        if expected == phase {
            break;
        }
        let (status, body) = app
            .endpoint
            .post(
                &format!("/api/dialogues/{id}/phase"),
                &staff.credential(None),
                json!({"phase": next, "expected": expected}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        expected = next;
    }
    Made {
        id,
        code: created["code"].as_str().unwrap().to_string(),
    }
}

async fn set_phase(app: &TestApp, staff: &Staff, id: Uuid, from: &str, to: &str) {
    let (status, body) = app
        .endpoint
        .post(
            &format!("/api/dialogues/{id}/phase"),
            &staff.credential(None),
            json!({"phase": to, "expected": from}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn ok(c: &mut Client, msg: Value) -> Value {
    let ack = c.submit(msg).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    ack
}

/// A command the WebSocket does not carry yet (the walk's), through the dialogue's task.
async fn command(app: &TestApp, id: Uuid, actor: Actor, command: Command) {
    let handle = app.registry.get(id).await.unwrap().unwrap();
    let ack = handle
        .submit_and_wait(actor, ClientMsgId::try_from(key()).unwrap(), command)
        .await;
    assert!(ack.is_ok(), "{ack:?}");
}

async fn page(app: &TestApp, query: &str) -> String {
    let (status, mime, body) = app
        .endpoint
        .get_text(&format!("/o/norr{query}"), None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(mime.starts_with("text/html"), "{mime}");
    body
}

/// The promises table's rows as (what, status code).
fn rows(html: &str) -> Vec<(String, String)> {
    html.split("<tr class=\"promise status-")
        .skip(1)
        .map(|row| {
            let status = row.split('"').next().unwrap().to_string();
            let what = row
                .split("<br>")
                .nth(1)
                .and_then(|r| r.split("</td>").next())
                .unwrap()
                .to_string();
            (what, status)
        })
        .collect()
}

fn has(rows: &[(String, String)], what: &str, status: &str) -> bool {
    rows.iter().any(|(w, s)| w == what && s == status)
}

fn stockholm_today() -> NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .date_naive()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_district_page_lists_what_is_coming_what_was_and_every_promise_as_days_pass() {
    let app = TestApp::spawn().await;
    for (id, name) in [("norr", "Norr"), ("syd", "Syd")] {
        app.store
            .put_district(&DistrictId::parse(id).unwrap(), name)
            .await
            .unwrap();
    }
    let e = &app.endpoint;
    let anna = e
        .sign_in(app.store.as_ref(), "Anna", &[grant("norr", "organizer")])
        .await;

    // A dialogue that was, with two follow-ups promised.
    let spring = dialogue(&app, &anna, "Vårdialogen", -3, "live").await;
    let mut resident = Client::connect(
        &e.ws,
        &{
            let (_, joined) = e.post("/api/join", "", json!({"code": spring.code})).await;
            joined["token"].as_str().unwrap().to_string()
        },
        None,
    )
    .await;
    let mut staff = Client::connect(&e.ws, &anna.credential(Some(spring.id)), None).await;
    let lamps = resident.ask("Varför är det så mörkt i parken?").await;
    let bikes = resident
        .ask("Kan cykelstölderna vid stationen minska?")
        .await;
    for q in [lamps, bikes] {
        assert_eq!(staff.approve(q).await["type"], "ack");
    }
    let today = stockholm_today();
    let due_lamps = today + Duration::days(5);
    let due_bikes = today + Duration::days(20);
    for (q, owner, due) in [
        (lamps, "Trafikkontoret", due_lamps),
        (bikes, "Polisen", due_bikes),
    ] {
        ok(
            &mut staff,
            json!({"type": "promise_follow_up", "question_id": q, "owner": owner, "due": due.to_string()}),
        )
        .await;
    }
    set_phase(&app, &anna, spring.id, "live", "closed").await;

    // One to come, and a walk with an action.
    let autumn = dialogue(&app, &anna, "Höstdialogen", 30, "open").await;
    let walk = dialogue(&app, &anna, "Vandringen", 2, "live").await;
    let organizer = Actor::Organizer(anna.id);
    command(
        &app,
        walk.id,
        organizer,
        Command::PlanWalk(WalkPlan {
            stops: vec![Stop {
                id: StopId(1),
                name: "Tunneln".into(),
                address: "Stationsvägen".into(),
                position: None,
            }],
            groups: vec![Group {
                id: GroupId(1),
                name: "Grupp 1".into(),
                leader: "Anna".into(),
                leader_id: None,
                route: vec![StopId(1)],
                at: None,
            }],
            before: None,
            after: None,
        }),
    )
    .await;
    command(
        &app,
        walk.id,
        Actor::Participant(Uuid::new_v4()),
        Command::Observe {
            text: QuestionText::parse("Tunneln saknar belysning", 500).unwrap(),
            display_name: None,
            group: None,
            place: Some(Place::Stop(StopId(1))),
            category: "lighting".into(),
            felt_safety: FeltSafety::new(2).unwrap(),
            origin: dialoghub::domain::Origin::InRoom,
            photo: None,
        },
    )
    .await;
    command(
        &app,
        walk.id,
        organizer,
        Command::Approve {
            question: QuestionId(1),
            expected: QuestionStatus::Pending,
            edited: None,
        },
    )
    .await;
    let due_action = today + Duration::days(10);
    command(
        &app,
        walk.id,
        organizer,
        Command::CreateAction {
            title: "Ny belysning i tunneln".into(),
            observations: vec![QuestionId(1)],
            responsible: "Exploateringskontoret".into(),
            due: due_action,
        },
    )
    .await;

    // Today: two coming, one past with its record, three open promises.
    let html = page(&app, "").await;
    let upcoming = html
        .split("id=\"h-upcoming\"")
        .nth(1)
        .unwrap()
        .split("</section>")
        .next()
        .unwrap();
    assert!(
        upcoming.contains("Höstdialogen") && upcoming.contains("Vandringen"),
        "{upcoming}"
    );
    assert!(
        upcoming.contains(&format!("/j/{}", autumn.code)),
        "how to take part remotely"
    );
    assert!(upcoming.contains("https://play.example.org/norr"));
    assert!(
        upcoming.contains("CET") || upcoming.contains("CEST"),
        "the zone is named"
    );
    assert!(!upcoming.contains("Vårdialogen"));
    let past = html.split("id=\"h-past\"").nth(1).unwrap();
    assert!(past.contains("Vårdialogen") && past.contains(&format!("/d/{}", spring.code)));
    let now_rows = rows(&html);
    assert_eq!(now_rows.len(), 3, "{now_rows:?}");
    assert!(has(&now_rows, "Varför är det så mörkt i parken?", "open"));
    assert!(has(
        &now_rows,
        "Kan cykelstölderna vid stationen minska?",
        "open"
    ));
    assert!(has(&now_rows, "Ny belysning i tunneln", "open"));
    assert!(html.contains("Exploateringskontoret") && html.contains(&due_action.to_string()));
    assert!(html.contains("Senast uppdaterad"));
    let english = page(&app, "?lang=en").await;
    assert!(english.contains("<html lang=\"en\"") && english.contains("Last updated"));

    // The calendar: the two to come, each under its dialogue's UID.
    let (status, mime, ics) = e.get_text("/o/norr/calendar.ics", None).await;
    assert_eq!(status, 200);
    assert!(mime.starts_with("text/calendar"), "{mime}");
    let events = calendar_events(&ics);
    let autumn_uid = format!("{}@dialoghub", autumn.id);
    assert_eq!(events.len(), 2, "{ics}");
    let (_, seq_before, modified_before) =
        events.iter().find(|e| e.0 == autumn_uid).unwrap().clone();
    assert!(
        events
            .iter()
            .any(|e| e.0 == format!("{}@dialoghub", walk.id))
    );

    // The autumn dialogue moves to another room: the entry updates in place.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, body) = e
        .put(
            &format!("/api/dialogues/{}/info", autumn.id),
            &anna.credential(None),
            json!({"title": "Höstdialogen", "starts_at": (Utc::now() + Duration::days(31)).to_rfc3339(),
                   "venue": "Stora salen", "address": "Torget 2",
                   "purpose": "Frågor om trygghet i området; beslut fattas inte här."}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, _, ics) = e.get_text("/o/norr/calendar.ics", None).await;
    let events = calendar_events(&ics);
    let (_, seq_after, modified_after) = events.iter().find(|e| e.0 == autumn_uid).unwrap().clone();
    assert!(seq_after > seq_before, "{seq_before} -> {seq_after}");
    assert_ne!(modified_after, modified_before);
    assert!(ics.contains("Stora salen"));

    // Eight days on: the lamps are overdue; the bikes and the action are not yet.
    app.clock.set(Utc::now().timestamp_millis() + 8 * DAY);
    let rows8 = rows(&page(&app, "").await);
    assert!(
        has(&rows8, "Varför är det så mörkt i parken?", "overdue"),
        "{rows8:?}"
    );
    assert!(has(
        &rows8,
        "Kan cykelstölderna vid stationen minska?",
        "open"
    ));
    assert!(has(&rows8, "Ny belysning i tunneln", "open"));
    let only_overdue = rows(&page(&app, "?status=overdue").await);
    assert_eq!(only_overdue.len(), 1, "{only_overdue:?}");
    let atom = feed(&app).await;
    assert!(
        atom.entries
            .iter()
            .any(|e| e.title.as_ref().unwrap().content.contains("försenat")
                && e.summary
                    .as_ref()
                    .unwrap()
                    .content
                    .contains("mörkt i parken")),
        "{:?}",
        atom.entries.iter().map(|e| &e.title).collect::<Vec<_>>()
    );
    assert!(
        atom.entries
            .iter()
            .any(|e| e.links[0].href.ends_with(&format!("/d/{}", spring.code))),
        "the record's entry"
    );
    let entries_before = atom.entries.len();

    // The lamps are fixed and the action done; the feed says so.
    let (status, body) = e
        .post(
            &format!("/api/dialogues/{}/questions/{lamps}/outcome", spring.id),
            &anna.credential(None),
            json!({"outcome": "Nya lampor sattes upp i parken."}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    command(
        &app,
        walk.id,
        organizer,
        Command::SetActionStatus {
            action: ActionId(1),
            status: ActionStatus::Done,
            note: "Tunneln har fått LED-belysning.".into(),
            expected: ActionStatus::Reported,
        },
    )
    .await;
    let atom = feed(&app).await;
    assert!(atom.entries.len() > entries_before);
    assert!(atom.entries.iter().any(|e| {
        e.summary
            .as_ref()
            .is_some_and(|s| s.content.contains("LED-belysning"))
    }));

    // Twenty-five days on: the bikes are overdue too; the others are done.
    app.clock.set(Utc::now().timestamp_millis() + 25 * DAY);
    let html = page(&app, "").await;
    let rows25 = rows(&html);
    assert!(
        has(&rows25, "Varför är det så mörkt i parken?", "done"),
        "{rows25:?}"
    );
    assert!(has(
        &rows25,
        "Kan cykelstölderna vid stationen minska?",
        "overdue"
    ));
    assert!(has(&rows25, "Ny belysning i tunneln", "done"));
    assert!(html.contains("Nya lampor sattes upp i parken."));
    let walk_only = rows(&page(&app, &format!("?place={}", walk.code)).await);
    assert_eq!(
        walk_only,
        vec![("Ny belysning i tunneln".to_string(), "done".to_string())]
    );
    let done_en = rows(&page(&app, "?lang=en&status=done").await);
    assert_eq!(done_en.len(), 2, "{done_en:?}");
}

/// (UID, SEQUENCE, LAST-MODIFIED) of each event, read by the `ical` crate.
fn calendar_events(ics: &str) -> Vec<(String, u32, String)> {
    let mut parser = ical::IcalParser::new(std::io::BufReader::new(ics.as_bytes()));
    let cal = parser.next().expect("a calendar").expect("it parses");
    cal.events
        .iter()
        .map(|ev| {
            let prop = |name: &str| {
                ev.properties
                    .iter()
                    .find(|p| p.name == name)
                    .and_then(|p| p.value.clone())
                    .unwrap_or_default()
            };
            (
                prop("UID"),
                prop("SEQUENCE").parse().unwrap_or(0),
                prop("LAST-MODIFIED"),
            )
        })
        .collect()
}

async fn feed(app: &TestApp) -> feed_rs::model::Feed {
    let (status, mime, body) = app.endpoint.get_text("/o/norr/feed.atom", None).await;
    assert_eq!(status, 200);
    assert!(mime.starts_with("application/atom+xml"), "{mime}");
    let feed = feed_rs::parser::parse(body.as_bytes()).expect("the feed parses");
    assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
    feed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn district_staff_post_facts_with_a_chart_and_others_may_not() {
    let app = TestApp::spawn().await;
    for (id, name) in [("norr", "Norr"), ("syd", "Syd")] {
        app.store
            .put_district(&DistrictId::parse(id).unwrap(), name)
            .await
            .unwrap();
    }
    let e = &app.endpoint;
    let anna = e
        .sign_in(app.store.as_ref(), "Anna", &[grant("norr", "organizer")])
        .await;
    let bo = e
        .sign_in(app.store.as_ref(), "Bo", &[grant("syd", "organizer")])
        .await;
    let post = json!({
        "title": "Anmälda brott i Norr",
        "text": "Antalet anmälda brott har minskat sedan i våras.",
        "source": "Stadsdelsförvaltningen",
        "link": "https://bra.se/statistik",
        "data": {"csv": "Månad;Anmälda brott;Varav inbrott\njan;41;7\nfeb;38;5,5\nmar;29;4\n",
                 "source": "Brå, anmälda brott per månad"}
    });

    // An organizer of another district, and someone not signed in, may not.
    let (status, body) = e
        .staff_post("/api/districts/norr/posts", &bo, post.clone())
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "forbidden");
    let (status, body) = e.post("/api/districts/norr/posts", "", post.clone()).await;
    assert_eq!(status, 401, "{body}");

    // A CSV that is not a series: a 400 saying where.
    let mut bad = post.clone();
    bad["data"]["csv"] = json!("Månad;Brott\njan;många\n");
    let (status, body) = e.staff_post("/api/districts/norr/posts", &anna, bad).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "bad_csv");
    assert!(
        body["message"].as_str().unwrap().contains("row 2"),
        "{body}"
    );
    let mut one_column = post.clone();
    one_column["data"]["csv"] = json!("bara en kolumn\n1\n");
    let (status, body) = e
        .staff_post("/api/districts/norr/posts", &anna, one_column)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("bad_csv")),
        "{body}"
    );
    assert!(
        !page_text(&app).await.contains("Anmälda brott i Norr"),
        "a refused post is not shown"
    );

    let (status, created) = e.staff_post("/api/districts/norr/posts", &anna, post).await;
    assert_eq!(status, 200, "{created}");
    let chart_url = created["chart"].as_str().unwrap();
    let chart_path = &chart_url[chart_url.find("/o/").unwrap()..];

    // The chart is SVG that parses as XML, named for assistive technology.
    let (status, mime, svg) = e.get_text(chart_path, None).await;
    assert_eq!(status, 200);
    assert_eq!(mime, "image/svg+xml");
    let doc = roxmltree::Document::parse(&svg).expect("the chart is XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("role"), Some("img"));
    assert!(
        doc.descendants()
            .any(|n| n.has_tag_name("title") && n.text() == Some("Anmälda brott i Norr"))
    );
    assert!(
        doc.descendants()
            .filter(|n| n.has_tag_name("circle"))
            .count()
            >= 6,
        "a point per number"
    );

    // The page shows the post, the chart, its words and the numbers in a table.
    let html = page_text(&app).await;
    assert!(html.contains("Anmälda brott i Norr") && html.contains("Brå, anmälda brott per månad"));
    assert!(html.contains(chart_path));
    let table = html
        .split("<table class=\"figures data\">")
        .nth(1)
        .unwrap()
        .split("</table>")
        .next()
        .unwrap();
    for cell in [
        "<th scope=\"row\">jan</th><td>41</td><td>7</td>",
        "<td>38</td><td>5,5</td>",
        "<td>29</td><td>4</td>",
    ] {
        assert!(table.contains(cell), "{cell} in {table}");
    }
    assert!(
        html.contains("lägst 29 (mar), högst 41 (jan)"),
        "the summary in words"
    );
    let (_, _, english) = e.get_text("/o/norr?lang=en", None).await;
    assert!(english.contains("<td>5.5</td>"));

    // It is news in the feed.
    let (_, _, atom) = e.get_text("/o/norr/feed.atom", None).await;
    let feed = feed_rs::parser::parse(atom.as_bytes()).unwrap();
    assert!(feed.entries.iter().any(|en| {
        en.title
            .as_ref()
            .unwrap()
            .content
            .contains("Anmälda brott i Norr")
    }));

    // A district that does not exist has no page.
    let (status, _, _) = e.get_text("/o/ingen-alls", None).await;
    assert_eq!(status, 404);
}

async fn page_text(app: &TestApp) -> String {
    app.endpoint.get_text("/o/norr", None).await.2
}
