//! The exports read back by implementations other than the one that wrote them:
//! the `geojson` crate for RFC 7946, and GeoReport v2's published field list.

use super::*;
use crate::domain::walk::{
    ActionId, Group, GroupId, PhotoEntry, PhotoId, PhotoState, Place, Position, StatusChange, Stop,
    StopId,
};
use crate::domain::{Actor, QuestionStatus, question::Origin, text::QuestionText};
use uuid::Uuid;

fn question(id: u64, text: &str, status: QuestionStatus) -> Question {
    Question {
        id: QuestionId(id),
        author: Actor::Participant(Uuid::from_u128(u128::from(id))),
        text: QuestionText::from_trusted(text.to_string()),
        original: None,
        display_name: None,
        addressee: None,
        origin: Origin::InRoom,
        status,
        reject_reason: None,
        merged_into: None,
        asked_at: 1_700_000_000_000 + id as i64,
        flags: Vec::new(),
        receipt: None,
        answer: None,
        follow_up: None,
        private_signals: Vec::new(),
        danger: false,
    }
}

fn photo(n: u8) -> PhotoId {
    PhotoId::parse(&format!("{n:02x}").repeat(32)).unwrap()
}

/// Two stops on one group's route; three observations of which one is rejected;
/// one with a published photo, one placed by a phone; one action, done.
fn fixture() -> (Walk, BTreeMap<QuestionId, Question>) {
    let mut walk = Walk::default();
    for (id, name, lat, lon) in [
        (1, "Tunneln under spåren", 59.3345, 18.0632),
        (2, "Parkvägen", 59.3361, 18.0671),
    ] {
        walk.stops.insert(
            StopId(id),
            Stop {
                id: StopId(id),
                name: name.to_string(),
                address: format!("Parkvägen {id}"),
                position: Some(Position::exact(lat, lon).unwrap()),
            },
        );
    }
    walk.groups.insert(
        GroupId(1),
        Group {
            id: GroupId(1),
            name: "Grupp 1".into(),
            leader: "Lena".into(),
            leader_id: None,
            route: vec![StopId(1), StopId(2)],
            at: Some(StopId(2)),
        },
    );
    let mut questions = BTreeMap::new();
    for (id, text, status, place, safety, photo_id) in [
        (
            1,
            "Mörkt i tunneln",
            QuestionStatus::Approved,
            Place::Stop(StopId(1)),
            1,
            Some(photo(1)),
        ),
        (
            2,
            "Buskarna skymmer",
            QuestionStatus::Approved,
            Place::Near(Position::coarsened(59.3362, 18.0670, 100).unwrap()),
            3,
            None,
        ),
        (
            3,
            "Ring 070-1234567",
            QuestionStatus::Rejected,
            Place::Stop(StopId(2)),
            2,
            None,
        ),
    ] {
        questions.insert(QuestionId(id), question(id, text, status));
        walk.observations.insert(
            QuestionId(id),
            Observation {
                question: QuestionId(id),
                group: Some(GroupId(1)),
                place,
                category: if id == 1 { "lighting" } else { "vegetation" }.into(),
                felt_safety: FeltSafety::new(safety).unwrap(),
                photo: photo_id,
            },
        );
    }
    walk.photos.insert(
        photo(1),
        PhotoEntry {
            question: QuestionId(1),
            state: PhotoState::Published(photo(2)),
        },
    );
    walk.actions.insert(
        ActionId(1),
        Action {
            id: ActionId(1),
            title: "Ny belysning i tunneln".into(),
            observations: vec![QuestionId(1), QuestionId(3)],
            responsible: "Trafikkontoret".into(),
            due: chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
            history: vec![
                StatusChange {
                    status: ActionStatus::Reported,
                    at: 1_700_000_100_000,
                    note: String::new(),
                },
                StatusChange {
                    status: ActionStatus::Done,
                    at: 1_700_000_200_000,
                    note: "Två nya armaturer".into(),
                },
            ],
        },
    );
    (walk, questions)
}

fn report_json(walk: &Walk, questions: &BTreeMap<QuestionId, Question>) -> serde_json::Value {
    let categories = Categories::default();
    let parts = ReportParts {
        code: "ABC123",
        title: "Trygghetsvandring",
        closed_at: Some(1_700_000_300_000),
        walk,
        questions,
        categories: &categories,
    };
    serde_json::to_value(walk_report(&parts)).unwrap()
}

#[test]
fn the_report_holds_approved_observations_only_and_averages_per_stop() {
    let (walk, questions) = fixture();
    let r = report_json(&walk, &questions);
    let texts: Vec<&str> = r["observations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["Mörkt i tunneln", "Buskarna skymmer"]);
    assert!(!r.to_string().contains("070-1234567"));
    // The phone-placed observation counts toward the stop it was near.
    assert_eq!(r["stops"][1]["felt_safety_average"], 3.0);
    assert_eq!(r["stops"][0]["felt_safety_average"], 1.0);
    assert_eq!(
        r["observations"][0]["photo"],
        format!("/d/ABC123/photos/{}.jpg", "02".repeat(32))
    );
    // The action names only its approved observation.
    assert_eq!(r["actions"][0]["observations"], serde_json::json!([1]));
    assert_eq!(r["actions"][0]["status"], "done");
    assert_eq!(r["final"], true);
}

#[test]
fn the_geojson_is_read_by_a_second_implementation_with_lon_before_lat() {
    let (walk, questions) = fixture();
    let categories = Categories::default();
    let parts = ReportParts {
        code: "ABC123",
        title: "Trygghetsvandring",
        closed_at: None,
        walk: &walk,
        questions: &questions,
        categories: &categories,
    };
    let text = geojson(&walk_report(&parts)).to_string();
    let parsed: geojson::GeoJson = text.parse().expect("valid GeoJSON");
    let geojson::GeoJson::FeatureCollection(fc) = parsed else {
        panic!("not a FeatureCollection")
    };
    assert!(
        fc.foreign_members.is_none(),
        "no crs or other members (RFC 7946, 4)"
    );
    let kinds: Vec<&str> = fc
        .features
        .iter()
        .map(|f| f.property("kind").and_then(|k| k.as_str()).unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "stop",
            "stop",
            "route",
            "observation",
            "observation",
            "action"
        ]
    );
    for f in &fc.features {
        let geometry = f.geometry.as_ref().expect("every feature here has a place");
        let positions: Vec<Vec<f64>> = match &geometry.value {
            geojson::GeometryValue::Point { coordinates } => vec![coordinates.as_slice().to_vec()],
            geojson::GeometryValue::LineString { coordinates } => {
                assert!(coordinates.len() >= 2);
                coordinates.iter().map(|p| p.as_slice().to_vec()).collect()
            }
            other => panic!("unexpected geometry {other:?}"),
        };
        for p in positions {
            assert_eq!(p.len(), 2);
            // Stockholm: longitude about 18, latitude about 59, in that order.
            assert!(
                (18.0..18.1).contains(&p[0]) && (59.3..59.4).contains(&p[1]),
                "{p:?}"
            );
        }
    }
    assert!(!text.contains("070-1234567") && !text.contains("\"crs\""));
}

/// GeoReport v2, `GET requests.json`: the fields of a service request.
const REQUEST_FIELDS: [&str; 17] = [
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
/// GeoReport v2, `GET services.json`: the fields of a service.
const SERVICE_FIELDS: [&str; 7] = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
];

#[test]
fn open311_requests_and_services_carry_the_georeport_v2_fields() {
    let (walk, questions) = fixture();
    let categories = Categories::default();
    let parts = ReportParts {
        code: "ABC123",
        title: "Trygghetsvandring",
        closed_at: None,
        walk: &walk,
        questions: &questions,
        categories: &categories,
    };
    let report = walk_report(&parts);
    let requests = serde_json::to_value(open311_requests(
        &report,
        &categories,
        "https://example.org/",
    ))
    .unwrap();
    let r = requests.as_array().unwrap();
    assert_eq!(r.len(), 1);
    let keys: Vec<&String> = r[0].as_object().unwrap().keys().collect();
    let mut want = REQUEST_FIELDS.to_vec();
    want.sort();
    assert_eq!(keys, want);
    assert_eq!(r[0]["service_request_id"], "ABC123-1");
    assert_eq!(r[0]["status"], "closed");
    assert_eq!(r[0]["status_notes"], "done: Två nya armaturer");
    assert_eq!(r[0]["service_code"], "lighting");
    assert_eq!(r[0]["agency_responsible"], "Trafikkontoret");
    assert_eq!(
        r[0]["media_url"],
        format!(
            "https://example.org/d/ABC123/photos/{}.jpg",
            "02".repeat(32)
        )
    );
    for field in [
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
    ] {
        let v = r[0][field].as_str().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(v).is_ok(),
            "{field}: {v}"
        );
    }
    assert!(r[0]["lat"].as_f64().is_some() && r[0]["long"].as_f64().unwrap() > 18.0);

    let services = serde_json::to_value(open311_services(&categories)).unwrap();
    for s in services.as_array().unwrap() {
        let keys: Vec<&String> = s.as_object().unwrap().keys().collect();
        let mut want = SERVICE_FIELDS.to_vec();
        want.sort();
        assert_eq!(keys, want);
        assert!(["realtime", "batch", "blackbox"].contains(&s["type"].as_str().unwrap()));
        assert!(s["metadata"].is_boolean());
    }
    assert_eq!(services[0]["service_name"], "Belysning");
}
