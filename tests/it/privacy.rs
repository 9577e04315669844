//! No question text, names or tokens in logs; a shutdown tells clients to reconnect.

use crate::harness::Client;
use dialoghub::auth::Tokens;
use serde_json::json;
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, BufReader};

pub const SECRET: &str = "privacy-secret-privacy-secret-privacy-secret-0123";

/// Starts the binary with every log level on and its logs in a file: stderr in
/// `server.log`, and stdout (where the log lines go) after the port line too.
pub async fn start_logged(dir: &std::path::Path, rust_log: &str) -> (tokio::process::Child, u16) {
    start_logged_with(dir, rust_log, &[]).await
}

/// As `start_logged`, with more settings in the environment.
pub async fn start_logged_with(
    dir: &std::path::Path,
    rust_log: &str,
    env: &[(&str, &str)],
) -> (tokio::process::Child, u16) {
    let log = std::fs::File::create(dir.join("server.log")).unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_dialoghub"))
        .envs(env.iter().copied())
        .env("DIALOGHUB_SERVER__PORT", "0")
        .env("DIALOGHUB_SERVER__DATA_DIR", dir)
        .env(
            "DIALOGHUB_STORE__URL",
            format!("sqlite://{}", dir.join("d.db").display()),
        )
        .env("DIALOGHUB_AUTH__SECRET", SECRET)
        .env("RUST_LOG", rust_log)
        .stdout(Stdio::piped())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port = tokio::time::timeout(crate::harness::WAIT, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(p) = line.strip_prefix("dialoghub listening on port ") {
                return p.trim().parse::<u16>().unwrap();
            }
        }
        panic!("server exited");
    })
    .await
    .unwrap();
    // Keep reading: dropping the pipe would silence every later log line.
    let mut copy = std::fs::File::create(dir.join("stdout.log")).unwrap();
    tokio::spawn(async move {
        use std::io::Write;
        while let Ok(Some(line)) = lines.next_line().await {
            let _ = writeln!(copy, "{line}");
        }
    });
    (child, port)
}

/// Everything the server logged, once it has exited.
pub fn read_logs(dir: &std::path::Path) -> String {
    let mut log = std::fs::read_to_string(dir.join("server.log")).unwrap();
    log.push_str(&std::fs::read_to_string(dir.join("stdout.log")).unwrap_or_default());
    log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_never_contain_question_text_names_or_tokens_and_shutdown_asks_clients_to_reconnect() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, port) = start_logged(dir.path(), "trace").await;
    let endpoint = crate::harness::Endpoint::new(
        port,
        Tokens::new(SECRET.as_bytes(), "dialoghub", "dialoghub"),
    );
    let store = dialoghub::store::open(&format!("sqlite://{}", dir.path().join("d.db").display()))
        .await
        .unwrap();
    let organizer = endpoint.organizer(store.as_ref()).await;
    let dialogue = endpoint.live_dialogue(&organizer).await;
    let (_, panel) = endpoint
        .post(
            &format!("/api/dialogues/{}/panelists", dialogue.id),
            &organizer,
            json!({"name": "Kommissarie Zelda Ödmark", "kind": "police"}),
        )
        .await;
    let mut anna = dialogue.participant().await;
    let mut moderator = dialogue.moderator().await;
    let secret_question = "Grannen Ylva Qvist 811228-9874 på Zebragatan 7 ringer 070-123 45 67";
    let q = anna
        .submit(
            json!({"type": "ask", "text": secret_question, "display_name": "Xerxes Anonymsson"}),
        )
        .await;
    let q = q["question_id"].as_u64().unwrap();
    moderator.submit(json!({"type": "reject", "question_id": q, "expected": "pending", "reason": "personal_data"})).await;
    // A private tip, with a danger phrase, and an erasure: logs carry counts only.
    let tip = anna
        .submit(json!({"type": "send_tip", "text": "Hjälp mig, Wilhelmina Tipsdottir har en kniv", "display_name": "Xerxes Anonymsson"}))
        .await;
    assert_eq!(tip["type"], "ack", "{tip}");
    let (status, _) = endpoint
        .post(
            &format!("/api/dialogues/{}/erasures", dialogue.id),
            &organizer,
            json!({"participant_id": anna.you()}),
        )
        .await;
    assert_eq!(status, 200);
    let _ = anna.closed_with().await;
    let mut anna = dialogue.participant().await;
    // Bad input too: errors must not echo secrets into the log either.
    anna.send(json!({"type": "ask", "client_msg_id": "x", "text": "x".repeat(600)}))
        .await;
    let _ = Client::try_connect(&endpoint.ws, "forged.token.value", None).await;

    // SIGINT: a graceful shutdown closes every connection with 1012 (reconnect).
    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(anna.closed_with().await, Some(1012));
    let _ = tokio::time::timeout(crate::harness::WAIT, child.wait())
        .await
        .expect("the server exits");

    // The copier task reads what is left in the pipe.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let log = read_logs(dir.path());
    assert!(
        log.contains("participant erased"),
        "the log was captured: {log}"
    );
    // The invitation link's secret must no more be logged than a token.
    let token = panel["invite_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    for secret in [
        "Ylva Qvist",
        "811228",
        "Zebragatan",
        "070-123",
        "Xerxes",
        "Wilhelmina",
        "Tipsdottir",
        "Zelda Ödmark",
        &organizer,
        token,
        "forged.token.value",
        SECRET,
    ] {
        assert!(!log.contains(secret), "the log contains {secret:?}");
    }
    // Nothing shaped like a personnummer either.
    let pnr = regex::Regex::new(r"\b\d{6}[-+]?\d{4}\b").unwrap();
    assert!(
        !pnr.is_match(&log),
        "a personnummer-shaped string is in the log"
    );
}
