//! Opt-in e-mail notes, against a real SMTP server the tests start
//! (`tests/smtp/sink.py`, aiosmtpd): an address is confirmed before any note
//! (`confirm.rs`); a walk's observation is noted in its report (`walk.rs`);
//! exactly one note per change reaches it,
//! also when it was down while the change happened; the unsubscribe link ends
//! the notes; an erasure by receipt code removes the address from every file;
//! and the address is in no log, export, snapshot or staff view.

use crate::harness::{Client, Dialogue, TestApp, WAIT, skip};
use crate::privacy::{read_logs, start_logged_with};
use dialoghub::Settings;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

mod confirm;
mod walk;

/// The SMTP server: a child process on a fixed port (so it can be stopped
/// and started again), writing each message it accepts into `dir`.
struct Smtp {
    port: u16,
    dir: PathBuf,
    child: Option<tokio::process::Child>,
}

impl Smtp {
    /// `None` (the test says it skipped) when aiosmtpd is not installed.
    async fn start(dir: &Path, test: &str) -> Option<Smtp> {
        let has = std::process::Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|s| s.success());
        if !has {
            skip(test, "aiosmtpd is not installed (.ci/run installs it)");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut smtp = Smtp {
            port,
            dir: dir.to_path_buf(),
            child: None,
        };
        smtp.up().await;
        Some(smtp)
    }

    async fn up(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp/sink.py");
        let mut child = tokio::process::Command::new("python3")
            .arg(script)
            .arg(self.port.to_string())
            .arg(&self.dir)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(WAIT, lines.next_line()).await;
        assert!(
            matches!(&ready, Ok(Ok(Some(l))) if l == "ready"),
            "the SMTP server started: {ready:?}"
        );
        self.child = Some(child);
    }

    async fn down(&mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().await.unwrap();
        child.wait().await.unwrap();
    }

    /// Every message received so far, oldest first.
    fn messages(&self) -> Vec<String> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    }

    /// The messages to `address`: its confirmation messages (`true`) or its notes.
    fn received(&self, address: &str, confirmations: bool) -> Vec<String> {
        let line = format!("X-Envelope-To: {address}\r\n");
        self.messages()
            .into_iter()
            .filter(|m| m.starts_with(&line) && m.contains("/c/") == confirmations)
            .collect()
    }

    /// The notes to `address` (every message but its confirmation).
    fn to(&self, address: &str) -> Vec<String> {
        self.received(address, false)
    }

    /// Waits until `address` has `n` notes, then a while longer to see no more come.
    async fn expect(&self, address: &str, n: usize) -> Vec<String> {
        self.expect_received(address, n, false).await
    }

    async fn expect_received(&self, address: &str, n: usize, confirmations: bool) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + WAIT * 2;
        while self.received(address, confirmations).len() < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{address} got {} of {n} messages",
                self.received(address, confirmations).len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let got = self.received(address, confirmations);
        assert_eq!(got.len(), n, "exactly {n} messages to {address}");
        got
    }
}

/// Mail through the test's SMTP server, checked and retried often.
fn mail_settings(s: &mut Settings, port: u16) {
    s.mail.smtp_host = "127.0.0.1".into();
    s.mail.smtp_port = port;
    s.mail.security = "none".into();
    s.mail.scan_ms = 100;
    s.mail.send_ms = 100;
    s.mail.retry_initial_ms = 200;
    s.mail.retry_max_secs = 1;
    s.mail.timeout_secs = 2;
}

async fn ok(c: &mut Client, msg: Value) -> Value {
    let ack = c.submit(msg).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    ack
}

/// Asks; the receipt and the question id.
async fn ask(c: &mut Client, text: &str) -> (String, u64) {
    let ack = ok(c, json!({"type": "ask", "text": text})).await;
    (
        ack["receipt"].as_str().unwrap().to_string(),
        ack["question_id"].as_u64().unwrap(),
    )
}

/// Leaves an address for notes on the receipt's question, unconfirmed.
async fn leave_address(d: &Dialogue, receipt: &str, address: &str) {
    let resp = d
        .endpoint
        .http
        .post(format!("{}/api/receipts/{receipt}/mail", d.endpoint.base))
        .json(&json!({ "address": address }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204, "{:?}", resp.text().await);
}

/// Leaves an address and confirms it by the link in its one confirmation
/// message; the confirm link's path.
async fn subscribe(d: &Dialogue, smtp: &Smtp, receipt: &str, address: &str) -> String {
    leave_address(d, receipt, address).await;
    let confirmation = smtp.expect_received(address, 1, true).await.remove(0);
    let confirm = link_path(&confirmation, "/c/");
    assert_eq!(post_status(d, &confirm).await, 200, "confirmed");
    confirm
}

/// A single-use link's path in a message (`/u/TOKEN`, `/c/TOKEN`), from its body.
fn link_path(message: &str, prefix: &str) -> String {
    let at = message.find(prefix).expect("the link");
    let token: String = message[at + 3..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 64, "a 256-bit token");
    format!("{prefix}{token}")
}

fn unsubscribe_path(note: &str) -> String {
    link_path(note, "/u/")
}

async fn post_status(d: &Dialogue, path: &str) -> u16 {
    d.endpoint
        .http
        .post(format!("{}{path}", d.endpoint.base))
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn outcome(d: &Dialogue, q: u64, text: &str) {
    let (status, ack) = d
        .endpoint
        .post(
            &format!("/api/dialogues/{}/questions/{q}/outcome", d.id),
            &d.organizer,
            json!({ "outcome": text }),
        )
        .await;
    assert_eq!(status, 200, "{ack}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_note_per_change_reaches_the_smtp_server_also_after_it_was_down() {
    let smtp_dir = tempfile::tempdir().unwrap();
    let test = "mail::one_note_per_change_reaches_the_smtp_server_also_after_it_was_down";
    let Some(mut smtp) = Smtp::start(smtp_dir.path(), test).await else {
        return;
    };
    let port = smtp.port;
    let app = TestApp::spawn_with(|s| mail_settings(s, port)).await;
    let d = app.live_dialogue().await;
    let mut moderator = d.moderator().await;
    let mut anna = d.participant().await;
    let (r1, q1) = ask(&mut anna, "Varför är Ängsparken mörk på kvällarna?").await;
    let (r2, q2) = ask(&mut anna, "Kan busshållplatsen vid skolan flyttas?").await;
    let (a1, a2) = ("anna.kvall@example.org", "anna.buss@example.org");
    subscribe(&d, &smtp, &r1, a1).await;
    subscribe(&d, &smtp, &r2, a2).await;

    // Answered at the meeting: one note, with the receipt and an unsubscribe link.
    ok(
        &mut moderator,
        json!({"type": "approve", "question_id": q1, "expected": "pending"}),
    )
    .await;
    ok(
        &mut moderator,
        json!({"type": "mark_answered", "question_id": q1, "expected": "approved"}),
    )
    .await;
    let notes = smtp.expect(a1, 1).await;
    assert!(notes[0].contains(&format!("/r/{r1}")), "{}", notes[0]);
    assert!(notes[0].contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    assert!(
        notes[0].contains("Besvarad p"),
        "Swedish first: {}",
        notes[0]
    );

    // The SMTP server is down while a follow-up is promised: the note waits,
    // retried, and arrives once, after the server is back.
    ok(
        &mut moderator,
        json!({"type": "approve", "question_id": q2, "expected": "pending"}),
    )
    .await;
    smtp.down().await;
    ok(&mut moderator, json!({"type": "promise_follow_up", "question_id": q2, "owner": "Trafikkontoret", "due": "2030-01-31"})).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(smtp.to(a2).is_empty());
    smtp.up().await;
    let notes = smtp.expect(a2, 1).await;
    assert!(notes[0].contains(&format!("/r/{r2}")));
    assert_eq!(app.store.mail_subscription_count().await.unwrap(), 2);

    // The follow-up is done: the second and last note; the address is deleted.
    outcome(&d, q2, "Hållplatsen flyttades i maj.").await;
    let notes = smtp.expect(a2, 2).await;
    assert!(notes[1].contains("Uppf"), "{}", notes[1]);
    assert_eq!(app.store.mail_subscription_count().await.unwrap(), 1);

    // Unsubscribing (one click, as a mail program does) ends Anna's other
    // subscription: a later change sends nothing, and the link works once.
    let stop = unsubscribe_path(&smtp.to(a1)[0]);
    let (status, _, page) = d.endpoint.get_text(&stop, None).await;
    assert_eq!(status, 200, "the link asks first: {page}");
    assert_eq!(app.store.mail_subscription_count().await.unwrap(), 1);
    assert_eq!(post_status(&d, &stop).await, 200);
    assert_eq!(post_status(&d, &stop).await, 404, "single use");
    assert_eq!(app.store.mail_subscription_count().await.unwrap(), 0);
    ok(&mut moderator, json!({"type": "promise_follow_up", "question_id": q1, "owner": "Parkenheten", "due": "2030-01-31"})).await;
    outcome(&d, q1, "Nya lampor sattes upp.").await;
    smtp.expect(a1, 1).await;

    // No address in the staff view, the exports, the audit trail, or a snapshot.
    let mut looked = Vec::new();
    let (_, staff) = d
        .endpoint
        .get(&format!("/api/dialogues/{}", d.id), Some(&d.organizer))
        .await;
    looked.push(staff.to_string());
    let (_, audit) = d
        .endpoint
        .get(
            &format!("/api/dialogues/{}/audit", d.id),
            Some(&d.organizer),
        )
        .await;
    looked.push(audit.to_string());
    for path in ["record.json", "record.csv", "calendar.ics"] {
        looked.push(
            d.endpoint
                .get_text(&format!("/d/{}/{path}", d.code), None)
                .await
                .2,
        );
    }
    let fresh = d.moderator().await;
    looked.extend(fresh.raw.iter().cloned());
    looked.extend(moderator.raw.iter().cloned());
    looked.extend(anna.raw.iter().cloned());
    for text in &looked {
        for address in [a1, a2, "example.org"] {
            assert!(!text.contains(address), "{address} shown: {text}");
        }
    }
    assert!(looked.len() > 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_erasure_by_receipt_code_removes_the_address_from_every_file() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    // Mail is on, towards a port nobody listens on: the notes wait in the outbox.
    let (app, _) = crate::erasure_on_disk::app_on_files(&data, |s| mail_settings(s, 9)).await;
    let d = app.live_dialogue().await;
    let mut moderator = d.moderator().await;
    let mut anna = d.participant().await;
    let (receipt, q) = ask(&mut anna, "Varför är Ängsparken mörk på kvällarna?").await;
    let address = "gunnel.raderasson@example.org";
    leave_address(&d, &receipt, address).await;
    ok(
        &mut moderator,
        json!({"type": "reject", "question_id": q, "expected": "pending", "reason": "off_topic"}),
    )
    .await;
    // Before: the address is on disk (the search is not blind).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let needle = [address.to_string()];
    assert!(!crate::erasure_on_disk::files_holding(&data, &needle).is_empty());

    let (status, erased) = d
        .endpoint
        .post(
            &format!("/api/dialogues/{}/erasures", d.id),
            &d.organizer,
            json!({"receipt_code": receipt}),
        )
        .await;
    assert_eq!(status, 200, "{erased}");
    assert_eq!(app.store.mail_subscription_count().await.unwrap(), 0);
    let left = crate::erasure_on_disk::files_holding(&data, &needle);
    assert!(left.is_empty(), "the address is still on disk: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_address_token_or_note_text_reaches_the_logs() {
    let smtp_dir = tempfile::tempdir().unwrap();
    let test = "mail::no_address_token_or_note_text_reaches_the_logs";
    let Some(smtp) = Smtp::start(smtp_dir.path(), test).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = smtp.port.to_string();
    let (mut child, server_port) = start_logged_with(
        dir.path(),
        "debug",
        &[
            ("DIALOGHUB_MAIL__SMTP_HOST", "127.0.0.1"),
            ("DIALOGHUB_MAIL__SMTP_PORT", &port),
            ("DIALOGHUB_MAIL__SECURITY", "none"),
            ("DIALOGHUB_MAIL__SCAN_MS", "100"),
            ("DIALOGHUB_MAIL__SEND_MS", "100"),
        ],
    )
    .await;
    let endpoint = crate::harness::Endpoint::new(
        server_port,
        dialoghub::auth::Tokens::new(crate::privacy::SECRET.as_bytes(), "dialoghub", "dialoghub"),
    );
    let store = dialoghub::store::open(&format!("sqlite://{}", dir.path().join("d.db").display()))
        .await
        .unwrap();
    let organizer = endpoint.organizer(store.as_ref()).await;
    let d = endpoint.live_dialogue(&organizer).await;
    let mut moderator = d.moderator().await;
    let mut anna = d.participant().await;
    let (receipt, q) = ask(&mut anna, "Varför är Ängsparken mörk på kvällarna?").await;
    let address = "ulrika.loggfri@example.org";
    let confirm = subscribe(&d, &smtp, &receipt, address).await;
    ok(
        &mut moderator,
        json!({"type": "approve", "question_id": q, "expected": "pending"}),
    )
    .await;
    ok(
        &mut moderator,
        json!({"type": "mark_answered", "question_id": q, "expected": "approved"}),
    )
    .await;
    let note = smtp.expect(address, 1).await.remove(0);
    let stop = unsubscribe_path(&note);
    assert_eq!(post_status(&d, &stop).await, 200);
    child.kill().await.unwrap();
    child.wait().await.unwrap();

    let logs = read_logs(dir.path());
    assert!(logs.contains("mail note sent"), "the run logged at debug");
    let secret = receipt.split('-').nth(1).unwrap();
    for needle in [
        address,
        "ulrika",
        "example.org",
        &stop[3..],
        &confirm[3..],
        secret,
        "Besvarad p",
    ] {
        assert!(!logs.contains(needle), "{needle} in the logs");
    }
}
