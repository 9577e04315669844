//! A safety walk's photos over REST: what a phone uploads is kept without its
//! metadata, private until a moderator approves; the blur changes the pixels it
//! covers; what is not an image, too large or a decompression bomb is refused
//! with a clear error and nothing kept; the public sees only published copies;
//! an erasure leaves no photo byte in any file of the data folder.
//!
//! The walk itself (plan, observations, their moderation) is driven through the
//! dialogue's hub in-process, the way the server's own handlers submit.

use crate::harness::{Client, Dialogue, TestApp, key};
use dialoghub::domain::text::QuestionText;
use dialoghub::domain::walk::{
    FeltSafety, Group, GroupId, PhotoId, Place, Position, Stop, StopId, WalkPlan,
};
use dialoghub::domain::{Actor, Command, QuestionId, QuestionStatus};
use dialoghub::protocol::{AckWire, ClientMsgId};
use image::RgbImage;
use serde_json::{Value, json};
use std::io::Cursor;
use std::path::Path;
use uuid::Uuid;

/// A live walk of two stops (and a meeting's REST around it).
pub struct Walk {
    pub app: TestApp,
    pub d: Dialogue,
    /// A moderator's staff credential (session) for the photo endpoints.
    pub moderator: String,
}

/// Stops: (number, name, address, lat, lon).
pub const STOPS: [(u32, &str, &str, f64, f64); 2] = [
    (
        1,
        "Tunneln under spåren",
        "Hägerstensvägen 120",
        59.3001,
        17.9702,
    ),
    (2, "Lekparken", "Fruängsgatan 5", 59.2952, 17.9651),
];

impl Walk {
    pub async fn start() -> Walk {
        Walk::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut dialoghub::Settings)) -> Walk {
        let app = TestApp::spawn_with(tweak).await;
        let d = app.live_dialogue().await;
        let (status, inv) = d
            .endpoint
            .post(
                &format!("/api/dialogues/{}/moderators", d.id),
                &d.organizer,
                json!({"name": "Mona"}),
            )
            .await;
        assert_eq!(status, 201, "{inv}");
        let moderator = d.endpoint.accept(&inv, d.id).await;
        let walk = Walk { app, d, moderator };
        let plan = WalkPlan {
            stops: STOPS
                .iter()
                .map(|(id, name, address, lat, lon)| Stop {
                    id: StopId(*id),
                    name: name.to_string(),
                    address: address.to_string(),
                    position: Some(Position::exact(*lat, *lon).unwrap()),
                })
                .collect(),
            groups: vec![
                group(1, "Grupp Norr", "Lena Ledare", &[1, 2]),
                group(2, "Grupp Syd", "Sam Ledare", &[2, 1]),
            ],
            before: None,
            after: None,
        };
        walk.organizer(Command::PlanWalk(plan)).await;
        walk
    }

    /// Submits as if through the server's own handlers; the ack after the commit.
    pub async fn submit(&self, actor: Actor, command: Command) -> Result<AckWire, Value> {
        let handle = self.app.registry.get(self.d.id).await.unwrap().unwrap();
        handle
            .submit_and_wait(actor, ClientMsgId::try_from(key()).unwrap(), command)
            .await
            .map_err(|e| serde_json::to_value(e).unwrap())
    }

    pub async fn organizer(&self, command: Command) -> AckWire {
        self.submit(Actor::Organizer(Uuid::from_u128(7)), command)
            .await
            .expect("the organizer's command is taken")
    }

    pub async fn moderate(&self, command: Command) -> AckWire {
        self.submit(Actor::Moderator(Uuid::from_u128(8)), command)
            .await
            .expect("the moderator's command is taken")
    }

    /// A participant who joined by code: their token and id.
    pub async fn participant(&self) -> (String, Uuid) {
        let token = self.d.participant_token().await;
        let client = Client::connect(&self.d.endpoint.ws, &token, None).await;
        let id = client.you().parse().unwrap();
        client.close().await;
        (token, id)
    }

    /// Uploads `bytes` as `mime` with a fresh key: (status, body, the key).
    pub async fn upload(&self, token: &str, bytes: Vec<u8>, mime: &str) -> (u16, Value) {
        self.upload_keyed(token, bytes, mime, &key()).await
    }

    pub async fn upload_keyed(
        &self,
        token: &str,
        bytes: Vec<u8>,
        mime: &str,
        idempotency_key: &str,
    ) -> (u16, Value) {
        let e = &self.d.endpoint;
        let resp = e
            .http
            .post(format!("{}/api/dialogues/{}/photos", e.base, self.d.id))
            .bearer_auth(token)
            .header("content-type", mime)
            .header("idempotency-key", idempotency_key)
            .body(bytes)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// An observation at `stop`, with a photo maybe: its question id and receipt.
    pub async fn observe(
        &self,
        participant: Uuid,
        text: &str,
        stop: u32,
        category: &str,
        felt: u8,
        photo: Option<&str>,
    ) -> (u64, String) {
        let ack = self
            .submit(
                Actor::Participant(participant),
                Command::Observe {
                    text: QuestionText::parse(text, 2000).unwrap(),
                    display_name: None,
                    group: Some(GroupId(1)),
                    place: Some(Place::Stop(StopId(stop))),
                    category: category.into(),
                    felt_safety: FeltSafety::new(felt).unwrap(),
                    origin: dialoghub::domain::Origin::InRoom,
                    photo: photo.map(|p| PhotoId::parse(p).unwrap()),
                },
            )
            .await
            .expect("the observation is taken");
        (ack.question_id.unwrap(), ack.receipt.unwrap_or_default())
    }

    pub async fn approve_observation(&self, question: u64) {
        self.moderate(Command::Approve {
            question: QuestionId(question),
            expected: QuestionStatus::Pending,
            edited: None,
        })
        .await;
    }

    /// A staff request with the moderator's session: (status, headers, bytes).
    pub async fn staff(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        credential: &str,
    ) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let e = &self.d.endpoint;
        let url = format!("{}{path}", e.base);
        let req = match method {
            "GET" => e.http.get(url),
            _ => e.http.post(url).json(&body.unwrap_or(json!({}))),
        };
        let resp = crate::harness::authed(req, &e.base, credential)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        (status, headers, resp.bytes().await.unwrap().to_vec())
    }

    pub async fn public(&self, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        self.staff("GET", path, None, "").await
    }

    pub fn photo_path(&self, photo: &str) -> String {
        format!("/api/dialogues/{}/photos/{photo}", self.d.id)
    }

    /// Approves a photo, blurring `regions`: the published copy's id.
    pub async fn approve_photo(&self, photo: &str, regions: Value) -> String {
        let (status, _, body) = self
            .staff(
                "POST",
                &format!("{}/approve", self.photo_path(photo)),
                Some(json!({"regions": regions})),
                &self.moderator,
            )
            .await;
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["state"], "published");
        body["published_id"].as_str().unwrap().to_string()
    }

    /// How many photo rows the store holds (read from the file, as an auditor would).
    pub async fn photo_rows(&self) -> i64 {
        let pool = sqlx::SqlitePool::connect(&self.app.store_url)
            .await
            .unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM walk_photos")
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        n
    }
}

fn group(id: u32, name: &str, leader: &str, route: &[u32]) -> Group {
    Group {
        id: GroupId(id),
        name: name.into(),
        leader: leader.into(),
        leader_id: None,
        route: route.iter().map(|s| StopId(*s)).collect(),
        at: None,
    }
}

/// A photo of `w`×`h` with detail everywhere (so blurring shows).
pub fn picture(w: u32, h: u32, seed: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            ((x + seed) * 7 % 256) as u8,
            (y * 13 % 256) as u8,
            ((x ^ y) * 5 % 256) as u8,
        ])
    })
}

pub fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
        &mut out, 92,
    ))
    .unwrap();
    out
}

/// A phone's photo: a JPEG with an APP1 Exif segment naming the camera
/// ("SecretCam") and a GPS position (59°19'45.6"N 18°4'7.2"E).
pub fn phone_photo(seed: u32) -> Vec<u8> {
    let plain = jpeg(&picture(320, 240, seed));
    let mut t: Vec<u8> = b"II*\0".to_vec();
    t.extend(8u32.to_le_bytes());
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32| {
        t.extend(tag.to_le_bytes());
        t.extend(kind.to_le_bytes());
        t.extend(count.to_le_bytes());
        t.extend(value.to_le_bytes());
    };
    t.extend(2u16.to_le_bytes());
    entry(&mut t, 0x010F, 2, 10, 38);
    entry(&mut t, 0x8825, 4, 1, 48);
    t.extend(0u32.to_le_bytes());
    t.extend(b"SecretCam\0");
    t.extend(4u16.to_le_bytes());
    entry(&mut t, 0x0001, 2, 2, u32::from_le_bytes(*b"N\0\0\0"));
    entry(&mut t, 0x0002, 5, 3, 102);
    entry(&mut t, 0x0003, 2, 2, u32::from_le_bytes(*b"E\0\0\0"));
    entry(&mut t, 0x0004, 5, 3, 126);
    t.extend(0u32.to_le_bytes());
    for (n, d) in [(59u32, 1u32), (19, 1), (456, 10), (18, 1), (4, 1), (72, 10)] {
        t.extend(n.to_le_bytes());
        t.extend(d.to_le_bytes());
    }
    let mut out = plain[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(((2 + 6 + t.len()) as u16).to_be_bytes());
    out.extend(b"Exif\0\0");
    out.extend(t);
    out.extend(&plain[2..]);
    out
}

/// Any EXIF an EXIF reader finds in `bytes`, as (tag, value) lines.
fn exif_fields(bytes: &[u8]) -> Vec<String> {
    match exif::Reader::new().read_from_container(&mut Cursor::new(bytes)) {
        Ok(e) => e
            .fields()
            .map(|f| format!("{} = {}", f.tag, f.display_value()))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// A PNG whose header claims `w`×`h` pixels with almost no data behind it.
fn claimed_png(w: u32, h: u32) -> Vec<u8> {
    let crc32 = |bytes: &[u8]| {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    };
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    };
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    out
}

/// An upload of `size` bytes written on a raw socket: with its length in the
/// head and no body sent, or chunked and sent whole. (status, JSON body)
async fn raw_upload(w: &Walk, token: &str, size: usize, chunked: bool) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = w.d.endpoint.base.trim_start_matches("http://").to_string();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let length = if chunked {
        "Transfer-Encoding: chunked".to_string()
    } else {
        format!("Content-Length: {size}")
    };
    let head = format!(
        "POST /api/dialogues/{}/photos HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: image/jpeg\r\nIdempotency-Key: {}\r\n{length}\r\nConnection: close\r\n\r\n",
        w.d.id,
        key()
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    if chunked {
        let chunk = vec![0xFFu8; 64 * 1024];
        let mut sent = 0;
        while sent < size {
            let n = chunk.len().min(size - sent);
            let frame = [
                format!("{n:x}\r\n").into_bytes(),
                chunk[..n].to_vec(),
                b"\r\n".to_vec(),
            ]
            .concat();
            // The server may stop reading once the cap is passed.
            if tcp.write_all(&frame).await.is_err() {
                break;
            }
            sent += n;
        }
        let _ = tcp.write_all(b"0\r\n\r\n").await;
    }
    let mut response = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        tcp.read_to_end(&mut response),
    )
    .await;
    let text = String::from_utf8_lossy(&response).to_string();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    // The body may itself be chunked: take the JSON object inside.
    let json = match (body.find('{'), body.rfind('}')) {
        (Some(a), Some(b)) => serde_json::from_str(&body[a..=b]).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    (status, json)
}

fn decode(bytes: &[u8]) -> RgbImage {
    image::load_from_memory(bytes).unwrap().to_rgb8()
}

/// Mean absolute difference of the pixels of `a` and `b` in (x, y, w, h).
fn mean_difference(a: &RgbImage, b: &RgbImage, (x0, y0, w, h): (u32, u32, u32, u32)) -> f64 {
    let mut sum = 0u64;
    for y in y0..y0 + h {
        for x in x0..x0 + w {
            for c in 0..3 {
                sum += u64::from(a.get_pixel(x, y)[c].abs_diff(b.get_pixel(x, y)[c]));
            }
        }
    }
    sum as f64 / f64::from(w * h * 3)
}

/// Slices of `bytes` long enough to be unique to it, from its middle (the
/// compressed pixels, not the headers every JPEG of ours shares).
pub fn fingerprints(bytes: &[u8]) -> Vec<Vec<u8>> {
    let n = bytes.len();
    [n / 3, n / 2, 2 * n / 3]
        .iter()
        .map(|&at| bytes[at..at + 48].to_vec())
        .collect()
}

/// Which files under `dir` hold any of `needles`.
pub fn files_holding(dir: &Path, needles: &[Vec<u8>]) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            if needles
                .iter()
                .any(|n| bytes.windows(n.len()).any(|w| w == n.as_slice()))
            {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

fn header<'a>(h: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_photo_is_kept_and_published_without_metadata_and_blurred_where_asked() {
    let w = Walk::start().await;
    let (token, anna) = w.participant().await;
    let upload = phone_photo(0);
    // The test's photo really carries a position and a camera an EXIF reader finds.
    let fields = exif_fields(&upload);
    assert!(
        fields.iter().any(|f| f.starts_with("GPSLatitude")),
        "{fields:?}"
    );

    let k = key();
    let (status, body) = w
        .upload_keyed(&token, upload.clone(), "image/jpeg", &k)
        .await;
    assert_eq!(status, 201, "{body}");
    let photo = body["photo_id"].as_str().unwrap().to_string();
    assert_eq!(
        (body["width"].as_u64(), body["height"].as_u64()),
        (Some(320), Some(240))
    );
    // A retry with the same key gives the same photo, kept once.
    let (status, again) = w
        .upload_keyed(&token, upload.clone(), "image/jpeg", &k)
        .await;
    assert_eq!((status, &again["photo_id"]), (201, &body["photo_id"]));
    assert_eq!(w.photo_rows().await, 1);

    // Stored: no metadata at all.
    let stored = w.app.store.photo(w.d.id, &photo).await.unwrap().unwrap();
    let original = stored.original.clone().unwrap();
    assert_eq!(exif_fields(&original), Vec::<String>::new());
    assert!(!original.windows(9).any(|x| x == b"SecretCam"));

    // Private: not to the public, nor to a participant; to the moderator, never cached.
    let public = format!("/d/{}/photos/{photo}.jpg", w.d.code);
    assert_eq!(w.public(&public).await.0, 404);
    assert_eq!(w.public(&w.photo_path(&photo)).await.0, 401);
    assert_eq!(
        w.staff("GET", &w.photo_path(&photo), None, &token).await.0,
        403
    );
    let (status, h, seen) = w
        .staff("GET", &w.photo_path(&photo), None, &w.moderator)
        .await;
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), "image/jpeg");
    assert_eq!(header(&h, "x-content-type-options"), "nosniff");
    assert!(header(&h, "cache-control").contains("no-store"), "{h:?}");
    assert_eq!(seen, original);

    // The observation names the photo; approved, it is public text, the photo not yet.
    let (q, _) = w
        .observe(
            anna,
            "Lampan i tunneln är trasig",
            1,
            "lighting",
            2,
            Some(&photo),
        )
        .await;
    w.approve_observation(q).await;
    assert_eq!(w.public(&public).await.0, 404);

    // A preview blurs and keeps nothing; a region outside the photo is refused.
    let region = json!([{"x": 40, "y": 40, "width": 120, "height": 100}]);
    let (status, h, preview) = w
        .staff(
            "POST",
            &format!("{}/preview", w.photo_path(&photo)),
            Some(json!({"regions": region})),
            &w.moderator,
        )
        .await;
    assert_eq!(
        (status, header(&h, "cache-control")),
        (200, "private, no-store")
    );
    let (status, _, refused) = w
        .staff(
            "POST",
            &format!("{}/preview", w.photo_path(&photo)),
            Some(json!({"regions": [{"x": 300, "y": 0, "width": 100, "height": 10}]})),
            &w.moderator,
        )
        .await;
    let refused: Value = serde_json::from_slice(&refused).unwrap();
    assert_eq!(
        (status, refused["reason"].as_str()),
        (422, Some("bad_region")),
        "{refused}"
    );

    let published = w.approve_photo(&photo, region.clone()).await;
    assert_ne!(published, photo, "a blurred copy is a photo of its own");
    // Approving again answers the same.
    assert_eq!(w.approve_photo(&photo, region).await, published);
    let stored = w.app.store.photo(w.d.id, &photo).await.unwrap().unwrap();
    assert!(
        stored.original.is_none(),
        "the original is deleted at approval"
    );

    // The published copy: not the upload's id, no metadata, the rectangle blurred.
    assert_eq!(
        w.public(&public).await.0,
        404,
        "the original's id shows nothing"
    );
    let (status, h, bytes) = w
        .public(&format!("/d/{}/photos/{published}.jpg", w.d.code))
        .await;
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), "image/jpeg");
    assert_eq!(header(&h, "x-content-type-options"), "nosniff");
    assert!(header(&h, "cache-control").starts_with("public"), "{h:?}");
    assert_eq!(exif_fields(&bytes), Vec::<String>::new());
    assert_eq!(bytes, preview, "what was previewed is what is published");
    let (before, after) = (decode(&original), decode(&bytes));
    let inside = mean_difference(&before, &after, (40, 40, 120, 100));
    let outside = mean_difference(&before, &after, (200, 150, 100, 80));
    assert!(inside > 20.0, "the blurred rectangle differs: {inside}");
    assert!(outside < 6.0, "the rest stays: {outside}");
    // Once published, staff see the published copy; the original is in no file.
    let (status, _, seen) = w
        .staff("GET", &w.photo_path(&photo), None, &w.moderator)
        .await;
    assert_eq!((status, &seen), (200, &bytes));
    let data = Path::new(w.app.store_url.trim_start_matches("sqlite://"))
        .parent()
        .unwrap()
        .to_path_buf();
    assert!(
        !files_holding(&data, &fingerprints(&bytes)).is_empty(),
        "the search is not blind"
    );
    let left = files_holding(&data, &fingerprints(&original));
    assert!(left.is_empty(), "the original after approval: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_observation_names_only_a_photo_its_own_participant_uploaded() {
    let w = Walk::start().await;
    let (anna_token, _) = w.participant().await;
    let (bo_token, _) = w.participant().await;
    let (status, up) = w.upload(&anna_token, phone_photo(3), "image/jpeg").await;
    assert_eq!(status, 201, "{up}");
    let annas = up["photo_id"].as_str().unwrap().to_string();
    let observe = |photo: &str| {
        json!({"type": "observe", "text": "Trasig lampa", "stop": 1,
               "category": "lighting", "felt_safety": 2, "photo": photo})
    };
    let mut bo = Client::connect(&w.d.endpoint.ws, &bo_token, None).await;
    // Anna's photo, and a photo nobody uploaded: the same typed answer, nothing kept.
    for photo in [annas.clone(), "ab".repeat(32)] {
        let reply = bo.submit(observe(&photo)).await;
        assert_eq!(reply["type"], "error", "{reply}");
        assert_eq!(reply["code"], "not_found", "{reply}");
    }
    let handle = w.app.registry.get(w.d.id).await.unwrap().unwrap();
    let observations = handle
        .read(|d| d.walk.as_ref().map_or(0, |walk| walk.observations.len()))
        .await;
    assert_eq!(
        observations,
        Some(0),
        "a refused observation changes nothing"
    );
    bo.close().await;
    // Anna names her own.
    let mut anna = Client::connect(&w.d.endpoint.ws, &anna_token, None).await;
    let reply = anna.submit(observe(&annas)).await;
    assert_eq!(reply["type"], "ack", "{reply}");
    anna.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_not_a_photo_we_take_is_refused_clearly_and_nothing_is_kept() {
    let w = Walk::start().await;
    let (token, _) = w.participant().await;
    let refusals: Vec<(&str, Vec<u8>, &str, u16, &str)> = vec![
        (
            "text named a JPEG",
            b"Hej, det h\xc3\xa4r \xc3\xa4r ingen bild".to_vec(),
            "image/jpeg",
            415,
            "not_an_image",
        ),
        (
            "a JPEG named JSON",
            jpeg(&picture(64, 64, 1)),
            "application/json",
            415,
            "not_an_image",
        ),
        (
            "a GIF",
            b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec(),
            "image/jpeg",
            415,
            "unsupported_image",
        ),
        (
            "a decompression bomb",
            claimed_png(100_000, 100_000),
            "image/png",
            422,
            "too_many_pixels",
        ),
    ];
    for (what, bytes, mime, status, reason) in refusals {
        let (got, body) = w.upload(&token, bytes, mime).await;
        assert_eq!(got, status, "{what}: {body}");
        assert_eq!(body["reason"], reason, "{what}: {body}");
        assert_eq!(body["code"], "bad_request", "{what}: {body}");
        assert!(
            !body["message"].as_str().unwrap_or_default().is_empty(),
            "{what}"
        );
    }
    // Too large: said by the header, refused before a byte of the body is read;
    // sent without a length, refused once the cap is passed while reading.
    let too_large = 15 * 1024 * 1024 + 1;
    for chunked in [false, true] {
        let (status, body) = raw_upload(&w, &token, too_large, chunked).await;
        assert_eq!(status, 413, "chunked {chunked}: {body}");
        assert_eq!(body["reason"], "photo_too_large", "{body}");
    }
    assert_eq!(w.photo_rows().await, 0, "nothing was kept");
    // Without a key, or from someone who is not a participant: refused before reading.
    let e = &w.d.endpoint;
    let no_key = e
        .http
        .post(format!("{}/api/dialogues/{}/photos", e.base, w.d.id))
        .bearer_auth(&token)
        .header("content-type", "image/jpeg")
        .body(jpeg(&picture(64, 64, 3)))
        .send()
        .await
        .unwrap();
    assert_eq!(no_key.status().as_u16(), 400);
    let (status, _, _) = w
        .staff(
            "POST",
            &format!("/api/dialogues/{}/photos", w.d.id),
            None,
            &w.moderator,
        )
        .await;
    assert_eq!(status, 403, "staff do not upload observation photos");
    assert_eq!(w.photo_rows().await, 0);

    // A rejected photo is deleted; it never was public.
    let (status, body) = w.upload(&token, phone_photo(4), "image/jpeg").await;
    assert_eq!(status, 201, "{body}");
    let photo = body["photo_id"].as_str().unwrap();
    let (status, _, _) = w
        .staff(
            "POST",
            &format!("{}/reject", w.photo_path(photo)),
            None,
            &w.moderator,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(w.photo_rows().await, 0);
    assert_eq!(
        w.staff("GET", &w.photo_path(photo), None, &w.moderator)
            .await
            .0,
        404
    );
    assert_eq!(
        w.public(&format!("/d/{}/photos/{photo}.jpg", w.d.code))
            .await
            .0,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erasure_by_receipt_code_leaves_no_photo_byte_in_any_file() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let url = format!("sqlite://{}", data.join("dialoghub.db").display());
    let dir = data.clone();
    let w = Walk::start_with(move |s| {
        s.server.data_dir = dir;
        s.store.url = url;
    })
    .await;
    let (token, anna) = w.participant().await;
    let (token_bo, bo) = w.participant().await;
    // Anna: one photo published (blurred), one left private. Bo: one published.
    let (_, a1) = w.upload(&token, phone_photo(10), "image/jpeg").await;
    let (_, a2) = w.upload(&token, phone_photo(11), "image/jpeg").await;
    let (_, b1) = w.upload(&token_bo, phone_photo(12), "image/jpeg").await;
    let (a1, a2, b1) = (
        a1["photo_id"].as_str().unwrap().to_string(),
        a2["photo_id"].as_str().unwrap().to_string(),
        b1["photo_id"].as_str().unwrap().to_string(),
    );
    let (q, receipt) = w
        .observe(anna, "Mörkt vid trappan", 1, "lighting", 1, Some(&a1))
        .await;
    w.approve_observation(q).await;
    w.observe(anna, "Buskarna skymmer", 1, "vegetation", 2, Some(&a2))
        .await;
    let (qb, _) = w
        .observe(bo, "Trasig asfalt", 2, "path", 3, Some(&b1))
        .await;
    w.approve_observation(qb).await;
    let a1_published = w
        .approve_photo(&a1, json!([{"x": 0, "y": 0, "width": 100, "height": 100}]))
        .await;
    let b1_published = w.approve_photo(&b1, json!([])).await;
    let bytes_of = |id: String| {
        let w = &w;
        async move {
            w.public(&format!("/d/{}/photos/{id}.jpg", w.d.code))
                .await
                .2
        }
    };
    let anna_published = bytes_of(a1_published.clone()).await;
    let anna_private = w
        .app
        .store
        .photo(w.d.id, &a2)
        .await
        .unwrap()
        .unwrap()
        .original
        .unwrap();
    let bo_published = bytes_of(b1_published.clone()).await;
    let mut annas = fingerprints(&anna_published);
    annas.extend(fingerprints(&anna_private));
    assert_eq!(
        files_holding(&data, &annas).len(),
        1,
        "before: the photos are in the file"
    );

    let (status, erased) =
        w.d.endpoint
            .post(
                &format!("/api/dialogues/{}/erasures", w.d.id),
                &w.d.organizer,
                json!({"receipt_code": receipt}),
            )
            .await;
    assert_eq!(status, 200, "{erased}");
    let left = files_holding(&data, &annas);
    assert!(
        left.is_empty(),
        "after the erasure, Anna's photos: {left:?}"
    );
    assert_eq!(
        w.public(&format!("/d/{}/photos/{a1_published}.jpg", w.d.code))
            .await
            .0,
        404
    );
    assert!(w.app.store.photo(w.d.id, &a2).await.unwrap().is_none());
    // Bo's photo stays.
    assert_eq!(bytes_of(b1_published).await, bo_published);
    assert_eq!(files_holding(&data, &fingerprints(&bo_published)).len(), 1);
}

/// A published photo as a report lists it: the observation's `photo` path.
async fn report_photos(e: &crate::harness::Endpoint, code: &str) -> Vec<String> {
    let (status, report) = e.get(&format!("/d/{code}/report.json"), None).await;
    assert_eq!(status, 200, "{report}");
    report["observations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["photo"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_photo_is_an_event_in_the_log_and_stays_published_after_a_restart() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let url = format!("sqlite://{}", data.join("dialoghub.db").display());
    let settings = {
        let (dir, url) = (data.clone(), url.clone());
        move |s: &mut dialoghub::Settings| {
            s.server.data_dir = dir;
            s.store.url = url;
        }
    };
    let w = Walk::start_with(settings.clone()).await;
    let (token, anna) = w.participant().await;
    let (_, body) = w.upload(&token, phone_photo(30), "image/jpeg").await;
    let photo = body["photo_id"].as_str().unwrap().to_string();
    let (q, _) = w
        .observe(
            anna,
            "Trasig lampa vid trappan",
            1,
            "lighting",
            2,
            Some(&photo),
        )
        .await;
    w.approve_observation(q).await;
    // Bo follows the walk; the moderator's console is open too.
    let mut bo = Client::connect(&w.d.endpoint.ws, &w.d.participant_token().await, None).await;
    let mut console = Client::connect(&w.d.endpoint.ws, &w.moderator, None).await;
    let staff = console.snapshot.clone().unwrap();
    assert_eq!(
        staff["walk"]["photos"],
        json!([{"question_id": q, "photo": photo, "state": "private"}]),
        "{staff}"
    );
    assert_eq!(bo.snapshot.clone().unwrap()["walk"]["photos"], json!([]));

    let (status, _, answer) = w
        .staff(
            "POST",
            &format!("{}/approve", w.photo_path(&photo)),
            Some(json!({"regions": [{"x": 20, "y": 20, "width": 60, "height": 60}]})),
            &w.moderator,
        )
        .await;
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(status, 200, "{answer}");
    let published = answer["published_id"].as_str().unwrap().to_string();
    // Bo hears it live, in the log's order, with the seq the answer names.
    let event = bo.event("photo_published").await;
    assert_eq!(
        event["event"],
        json!({"kind": "photo_published", "question_id": q, "photo": photo, "published_id": published})
    );
    assert_eq!(event["seq"], answer["seq"], "{event} {answer}");
    assert!(event["seq"].as_u64().unwrap() > 0);
    console.event("photo_published").await;
    // Approved again (a retry), nothing more is said: the same answer, no second event.
    assert_eq!(w.approve_photo(&photo, json!([])).await, published);
    let later = bo.drain_for(std::time::Duration::from_millis(300)).await;
    assert!(
        !later
            .iter()
            .any(|v| v["event"]["kind"] == "photo_published"),
        "{later:?}"
    );
    let path = format!("/d/{}/photos/{published}.jpg", w.d.code);
    assert_eq!(
        report_photos(&w.d.endpoint, &w.d.code).await,
        vec![path.clone()]
    );

    // A restart reads the log again: the report and the snapshots still show it.
    let (code, id) = (w.d.code.clone(), w.d.id);
    drop((bo, console, w));
    let app = crate::harness::TestApp::spawn_with(settings).await;
    assert_eq!(
        report_photos(&app.endpoint, &code).await,
        vec![path.clone()]
    );
    assert_eq!(app.endpoint.get_text(&path, None).await.0, 200);
    let again = crate::harness::Dialogue {
        id,
        code,
        endpoint: app.endpoint.clone(),
        organizer: app.organizer.clone(),
    };
    let reader = Client::connect(&app.endpoint.ws, &again.participant_token().await, None).await;
    assert_eq!(
        reader.snapshot.clone().unwrap()["walk"]["photos"],
        json!([{"question_id": q, "photo": photo, "state": "published", "published_id": published}])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_stored_before_a_stop_is_published_when_the_approval_is_sent_again() {
    let w = Walk::start().await;
    let (token, anna) = w.participant().await;
    let (_, body) = w.upload(&token, phone_photo(31), "image/jpeg").await;
    let photo = body["photo_id"].as_str().unwrap().to_string();
    let (q, _) = w
        .observe(anna, "Klotter på tunnelväggen", 1, "other", 3, Some(&photo))
        .await;
    w.approve_observation(q).await;
    // The process stopped between the two steps: the copy is stored, the log silent.
    let original = w.app.store.photo(w.d.id, &photo).await.unwrap().unwrap();
    let bytes = original.original.unwrap();
    assert!(
        w.app
            .store
            .publish_photo(w.d.id, &photo, &photo, &bytes, 1_000)
            .await
            .unwrap()
    );
    // Nobody is told of it yet: not the report, not the moderator's tool.
    assert_eq!(
        report_photos(&w.d.endpoint, &w.d.code).await,
        Vec::<String>::new()
    );
    let console = Client::connect(&w.d.endpoint.ws, &w.moderator, None).await;
    assert_eq!(
        console.snapshot.clone().unwrap()["walk"]["photos"][0]["state"],
        "private"
    );
    let mut bo = Client::connect(&w.d.endpoint.ws, &w.d.participant_token().await, None).await;
    // The moderator approves again: the stored copy is what the log now says.
    assert_eq!(w.approve_photo(&photo, json!([])).await, photo);
    let event = bo.event("photo_published").await;
    assert_eq!(event["event"]["published_id"], photo);
    assert_eq!(
        report_photos(&w.d.endpoint, &w.d.code).await,
        [format!("/d/{}/photos/{photo}.jpg", w.d.code)]
    );
}
