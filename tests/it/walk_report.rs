//! A safety walk's public report at `/d/CODE` and its exports hold exactly the
//! approved content: approved observations (a rejected and a pending one are in
//! none), published photos only, felt safety per stop, every action with its
//! dated history. The GeoJSON is read back by the `geojson` crate (not the code
//! that wrote it); Open311 is checked against GeoReport v2's field list.

use crate::walk_photos::{Walk, phone_photo};
use dialoghub::domain::walk::{ActionId, ActionStatus};
use dialoghub::domain::{Command, QuestionId, QuestionStatus, RejectReason};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// GeoReport v2 `GET requests.json`: every field a request carries.
const GEOREPORT_REQUEST_FIELDS: [&str; 17] = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
];

/// GeoReport v2 `GET services.json`.
const GEOREPORT_SERVICE_FIELDS: [&str; 7] = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
];

const APPROVED_1: &str = "Belysningen i tunneln är trasig sedan i höstas";
const APPROVED_2: &str = "=HYPERLINK(\"http://x\") buskarna skymmer lekparken";
const APPROVED_3: &str = "Asfalten har stora hål vid lekparken";
const REJECTED: &str = "AVVISAD-Grannen i nummer tre är en idiot";
const PENDING: &str = "VANTANDE-Ingen moderator har sett den här";

fn iso(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_and_every_export_hold_exactly_the_approved_content() {
    let w = Walk::start().await;
    let (anna_token, anna) = w.participant().await;
    let (bo_token, bo) = w.participant().await;
    let (_, p1) = w.upload(&anna_token, phone_photo(20), "image/jpeg").await;
    let (_, p_pending) = w.upload(&bo_token, phone_photo(21), "image/jpeg").await;
    let p1 = p1["photo_id"].as_str().unwrap().to_string();
    let p_pending = p_pending["photo_id"].as_str().unwrap().to_string();

    let (o1, _) = w
        .observe(anna, APPROVED_1, 1, "lighting", 1, Some(&p1))
        .await;
    let (o2, _) = w.observe(bo, APPROVED_2, 2, "vegetation", 2, None).await;
    let (o3, _) = w.observe(anna, APPROVED_3, 2, "path", 4, None).await;
    let (rejected, _) = w.observe(bo, REJECTED, 1, "other", 1, None).await;
    let (_pending, _) = w
        .observe(bo, PENDING, 2, "lighting", 5, Some(&p_pending))
        .await;
    for q in [o1, o2, o3] {
        w.approve_observation(q).await;
    }
    w.moderate(Command::Reject {
        question: QuestionId(rejected),
        expected: QuestionStatus::Pending,
        reason: RejectReason::Abusive,
    })
    .await;
    let published = w
        .approve_photo(&p1, json!([{"x": 10, "y": 10, "width": 80, "height": 80}]))
        .await;

    // Actions: one through every status to done, one will not be done.
    let a1 = w
        .organizer(Command::CreateAction {
            title: "Byt armaturerna i tunneln".into(),
            observations: vec![QuestionId(o1)],
            responsible: "Trafikkontoret".into(),
            due: chrono::NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
        })
        .await;
    assert!(a1.seq.is_some());
    let steps = [
        (ActionStatus::Reported, ActionStatus::Planned, ""),
        (ActionStatus::Planned, ActionStatus::InProgress, "Beställt"),
        (
            ActionStatus::InProgress,
            ActionStatus::Done,
            "Nya lampor på plats",
        ),
    ];
    for (expected, status, note) in steps {
        w.organizer(Command::SetActionStatus {
            action: ActionId(1),
            status,
            note: note.into(),
            expected,
        })
        .await;
    }
    w.organizer(Command::CreateAction {
        title: "Klipp buskarna".into(),
        observations: vec![QuestionId(o2), QuestionId(o3)],
        responsible: "Bostadsbolaget".into(),
        due: chrono::NaiveDate::from_ymd_opt(2027, 5, 1).unwrap(),
    })
    .await;
    w.organizer(Command::SetActionStatus {
        action: ActionId(2),
        status: ActionStatus::WillNotBeDone,
        note: "Marken är privat".into(),
        expected: ActionStatus::Reported,
    })
    .await;
    let (status, body) =
        w.d.endpoint
            .post(
                &format!("/api/dialogues/{}/phase", w.d.id),
                &w.d.organizer,
                json!({"phase": "closed", "expected": "live"}),
            )
            .await;
    assert_eq!(status, 200, "{body}");

    let code = &w.d.code;
    let text = |(status, _, bytes): (u16, reqwest::header::HeaderMap, Vec<u8>)| {
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
        String::from_utf8(bytes).unwrap()
    };
    let never = [
        REJECTED,
        PENDING,
        "AVVISAD",
        "VANTANDE",
        p1.as_str(),
        p_pending.as_str(),
    ];

    // The page, Swedish and English.
    let (status, h, page) = w.public(&format!("/d/{code}")).await;
    assert_eq!(status, 200);
    assert!(
        h["content-type"].to_str().unwrap().starts_with("text/html"),
        "{h:?}"
    );
    let page = String::from_utf8(page).unwrap();
    for needle in [
        "lang=\"sv\"",
        "Rutt",
        "Tunneln under spåren",
        "Lekparken",
        "Belysningen i tunneln är trasig",
        "Asfalten har stora hål",
        "Åtgärder",
        "Byt armaturerna i tunneln",
        "Klar",
        "Blir inte av",
        "Marken är privat",
        "Nya lampor på plats",
        "Vandringen är avslutad",
        "1.0 / 5",
        "3.0 / 5",
    ] {
        assert!(page.contains(needle), "the page lacks {needle:?}");
    }
    let img = format!("src=\"/d/{code}/photos/{published}.jpg\" alt=\"Foto till iakttagelse {o1}:");
    assert!(page.contains(&img), "the photo with its alt text: {page}");
    for n in never {
        assert!(!page.contains(n), "the page shows {n:?}");
    }
    // Four dated lines in action 1's history.
    let a1_html = page
        .split("id=\"a1\"")
        .nth(1)
        .unwrap()
        .split("</article>")
        .next()
        .unwrap();
    assert_eq!(a1_html.matches("<li><time>").count(), 4, "{a1_html}");
    let en = text(w.public(&format!("/d/{code}?lang=en")).await);
    for needle in [
        "lang=\"en\"",
        "Route",
        "Felt safety on average",
        "Done",
        "Will not be done",
        "Photo for observation",
    ] {
        assert!(en.contains(needle), "the English page lacks {needle:?}");
    }

    // JSON: the approved observations, exactly.
    let report: Value =
        serde_json::from_str(&text(w.public(&format!("/d/{code}/report.json")).await)).unwrap();
    let ids: BTreeSet<u64> = report["observations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, BTreeSet::from([o1, o2, o3]));
    assert_eq!(report["final"], true);
    let photo_of = |id: u64| {
        report["observations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == id)
            .unwrap()["photo"]
            .clone()
    };
    assert_eq!(
        photo_of(o1),
        json!(format!("/d/{code}/photos/{published}.jpg"))
    );
    assert_eq!(photo_of(o2), Value::Null);
    let stops = report["stops"].as_array().unwrap();
    assert_eq!(stops[0]["felt_safety_average"], 1.0);
    assert_eq!(stops[1]["felt_safety_average"], 3.0);
    assert_eq!(report["actions"][0]["history"].as_array().unwrap().len(), 4);
    assert_eq!(report["actions"][0]["status"], "done");
    assert_eq!(report["actions"][1]["status"], "will_not_be_done");
    let report_text = report.to_string();
    for n in never {
        assert!(!report_text.contains(n), "report.json shows {n:?}");
    }

    // CSV: one row per approved observation; a formula stays text.
    let csv = text(w.public(&format!("/d/{code}/report.csv")).await);
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(
        rows.iter().any(|r| r[8].starts_with("'=HYPERLINK")),
        "the formula is neutralised: {csv}"
    );
    let actions_csv = text(w.public(&format!("/d/{code}/actions.csv")).await);
    assert_eq!(actions_csv.lines().count(), 1 + 4 + 2, "{actions_csv}");
    for n in never {
        assert!(
            !csv.contains(n) && !actions_csv.contains(n),
            "a CSV shows {n:?}"
        );
    }

    // GeoJSON, read by another implementation.
    let (status, h, bytes) = w.public(&format!("/d/{code}/report.geojson")).await;
    assert_eq!(status, 200);
    assert!(
        h["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/geo+json"),
        "{h:?}"
    );
    let text_geo = String::from_utf8(bytes).unwrap();
    let parsed: geojson::GeoJson = text_geo.parse().expect("valid GeoJSON");
    let geojson::GeoJson::FeatureCollection(fc) = parsed else {
        panic!("a FeatureCollection")
    };
    let kind = |f: &geojson::Feature| {
        f.properties.as_ref().unwrap()["kind"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let count = |k: &str| fc.features.iter().filter(|f| kind(f) == k).count();
    assert_eq!(
        (
            count("stop"),
            count("route"),
            count("observation"),
            count("action")
        ),
        (2, 2, 3, 2)
    );
    for f in &fc.features {
        if let Some(g) = &f.geometry {
            match &g.value {
                geojson::GeometryValue::Point { coordinates: p } => {
                    // RFC 7946: longitude first; Stockholm is at about 18 E, 59 N.
                    assert!(
                        (17.0..19.0).contains(&p[0]) && (59.0..60.0).contains(&p[1]),
                        "{p:?}"
                    );
                }
                geojson::GeometryValue::LineString { coordinates: l } => assert!(l.len() >= 2),
                other => panic!("unexpected geometry {other:?}"),
            }
        }
    }
    for n in never {
        assert!(!text_geo.contains(n), "the GeoJSON shows {n:?}");
    }

    // Open311 GeoReport v2.
    let services: Value = serde_json::from_str(&text(
        w.public(&format!("/d/{code}/open311/services.json")).await,
    ))
    .unwrap();
    let services = services.as_array().unwrap();
    assert!(services.len() >= 8);
    for s in services {
        let keys: BTreeSet<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, BTreeSet::from(GEOREPORT_SERVICE_FIELDS), "{s}");
        assert!(matches!(
            s["type"].as_str(),
            Some("realtime" | "batch" | "blackbox")
        ));
    }
    let requests: Value = serde_json::from_str(&text(
        w.public(&format!("/d/{code}/open311/requests.json")).await,
    ))
    .unwrap();
    let requests = requests.as_array().unwrap();
    assert_eq!(requests.len(), 2);
    for r in requests {
        let keys: BTreeSet<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, BTreeSet::from(GEOREPORT_REQUEST_FIELDS), "{r}");
        assert!(matches!(r["status"].as_str(), Some("open" | "closed")));
        for t in [
            "requested_datetime",
            "updated_datetime",
            "expected_datetime",
        ] {
            assert!(iso(r[t].as_str().unwrap()), "{t}: {r}");
        }
        assert!(r["lat"].is_number() && r["long"].is_number(), "{r}");
    }
    assert_eq!(requests[0]["status"], "closed");
    assert_eq!(requests[0]["agency_responsible"], "Trafikkontoret");
    assert_eq!(requests[0]["service_code"], "lighting");
    let media = requests[0]["media_url"].as_str().unwrap();
    assert!(
        media.ends_with(&format!("/d/{code}/photos/{published}.jpg")),
        "{media}"
    );
    let path = &media[media.find("/d/").unwrap()..];
    assert_eq!(
        w.public(path).await.0,
        200,
        "the media URL serves the published photo"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meeting_has_no_walk_report() {
    let app = crate::harness::TestApp::spawn().await;
    let d = app.live_dialogue().await;
    for path in ["report.json", "report.geojson", "open311/requests.json"] {
        let (status, _, _) = d
            .endpoint
            .get_text(&format!("/d/{}/{path}", d.code), None)
            .await;
        assert_eq!(status, 404, "{path}");
    }
    let (status, _, page) = d.endpoint.get_text(&format!("/d/{}", d.code), None).await;
    assert_eq!(status, 200);
    assert!(!page.contains("Rutt"), "a meeting's page is its record");
}
