//! The server under test, in-process (`TestApp`) or as a real process (`TestServer`).

use super::client::Client;
use dialoghub::auth::Tokens;
use dialoghub::domain::Role;
use dialoghub::{App, Settings};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::{AsyncBufReadExt, BufReader};
use uuid::Uuid;

pub const SECRET: &str = "test-secret-test-secret-test-secret-0123456789";

static KEYS: AtomicU64 = AtomicU64::new(1);

/// A fresh idempotency key.
pub fn key() -> String {
    format!("k{}", KEYS.fetch_add(1, Ordering::Relaxed))
}

fn init_logs() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("info")
            .with_test_writer()
            .try_init();
    }
}

/// What a test needs to reach a server: its address and its signing key.
#[derive(Clone)]
pub struct Endpoint {
    pub base: String,
    pub ws: String,
    pub tokens: Tokens,
    pub http: reqwest::Client,
}

pub struct TestApp {
    pub endpoint: Endpoint,
    /// The store the server writes to (a SQLite file unless the test chose otherwise).
    pub store_url: String,
    _dir: tempfile::TempDir,
    pub organizer: String,
    /// The server's store, to make staff as `dialoghub admin` does.
    pub store: std::sync::Arc<dyn dialoghub::store::Store>,
    /// The read side's clock: a test may script it (`clock.set`).
    pub clock: dialoghub::clock::Clock,
    /// The live dialogues, for commands no wire carries yet.
    pub registry: std::sync::Arc<dialoghub::hub::Registry>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

pub fn test_settings(dir: &Path) -> Settings {
    let mut s = Settings::defaults();
    s.server.port = 0;
    s.server.data_dir = dir.to_path_buf();
    s.store.url = format!("sqlite://{}", dir.join("dialoghub.db").display());
    s.auth.secret = SECRET.into();
    // Scenarios ask in volume from one participant without moderating;
    // tests/it/flood.rs sets and tests the caps on pending questions.
    s.limits.pending_questions_per_participant = 1_000_000;
    s.limits.pending_questions_per_dialogue = 1_000_000;
    // Every test participant joins from one address: as a venue's Wi-Fi, not a
    // burst. tests/it/flood.rs and stuffing.rs set and test burst identities.
    s.stuffing.burst_joins = 1_000_000;
    // The hub tests run with one thread and with two (`DIALOGHUB_HUB__THREADS`,
    // which the server processes of `TestServer` read too); unset: one per core.
    if let Some(n) = std::env::var("DIALOGHUB_HUB__THREADS")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        s.hub.threads = n;
    }
    s
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
        init_logs();
        let dir = tempfile::tempdir().expect("temp dir");
        let mut settings = test_settings(dir.path());
        tweak(&mut settings);
        let store_url = settings.store.url.clone();
        let app = App::build(settings).await.expect("server starts");
        let endpoint = Endpoint::new(app.port(), app.tokens().clone());
        let store = app.state().registry.store().clone();
        let clock = app.state().clock.clone();
        let registry = app.state().registry.clone();
        let server = tokio::spawn(app.run_until(std::future::pending()));
        let organizer = endpoint.organizer(store.as_ref()).await;
        TestApp {
            endpoint,
            store_url,
            _dir: dir,
            organizer,
            store,
            clock,
            registry,
            server,
        }
    }

    pub async fn live_dialogue(&self) -> Dialogue {
        self.endpoint.live_dialogue(&self.organizer).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Puts a credential on a request: a participant's bearer token, or a staff
/// session as the harness writes it (`session <cookie> <csrf> [<dialogue>]`),
/// sent as a browser does: cookie, CSRF token and our own origin.
pub fn authed(req: reqwest::RequestBuilder, base: &str, token: &str) -> reqwest::RequestBuilder {
    match token.strip_prefix("session ") {
        Some(rest) => {
            let mut parts = rest.split(' ');
            let cookie = parts.next().unwrap_or_default();
            let csrf = parts.next().unwrap_or_default();
            req.header("cookie", format!("dialoghub_session={cookie}"))
                .header("x-csrf-token", csrf)
                .header("origin", base)
        }
        None if token.is_empty() => req,
        None => req.bearer_auth(token),
    }
}

impl Endpoint {
    pub fn new(port: u16, tokens: Tokens) -> Endpoint {
        Endpoint {
            base: format!("http://127.0.0.1:{port}"),
            ws: format!("ws://127.0.0.1:{port}/ws"),
            tokens,
            // No idle connection kept: tests count the server's connections
            // per address, and a pooled one would be one of them.
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
        }
    }

    /// An organizer of the default district, signed in by link: their credential.
    pub async fn organizer(&self, store: &dyn dialoghub::store::Store) -> String {
        let staff = self
            .sign_in(
                store,
                "Organisatör",
                &[super::grant("default", "organizer")],
            )
            .await;
        staff.credential(None)
    }

    /// Takes up an invitation (the answer of `…/panelists`, `…/moderators`,
    /// `…/screen`) as the invited person's browser does: their credential.
    pub async fn accept(&self, invitation: &Value, dialogue: Uuid) -> String {
        let link = invitation["invite_url"]
            .as_str()
            .expect("an invitation link");
        let staff = self.use_link(link).await.expect("the invitation signs in");
        staff.credential(Some(dialogue))
    }

    /// A signed token (participants'; a staff role's is refused by the server).
    #[allow(dead_code)]
    pub fn token(&self, role: Role, dialogue: Option<Uuid>) -> String {
        self.tokens
            .issue(role, Uuid::new_v4(), dialogue, chrono::Duration::hours(1))
    }

    /// POST with a bearer token and a fresh idempotency key; returns (status, body).
    pub async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.post_keyed(path, token, &key(), body).await
    }

    pub async fn post_keyed(
        &self,
        path: &str,
        token: &str,
        key: &str,
        body: Value,
    ) -> (u16, Value) {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Idempotency-Key", key)
            .json(&body);
        let resp = authed(req, &self.base, token)
            .send()
            .await
            .expect("HTTP request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = authed(req, &self.base, t);
        }
        let resp = req.send().await.expect("HTTP request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// PUT with a bearer token and a fresh idempotency key; returns (status, body).
    pub async fn put(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        let req = self
            .http
            .put(format!("{}{path}", self.base))
            .header("Idempotency-Key", key())
            .json(&body);
        let resp = authed(req, &self.base, token)
            .send()
            .await
            .expect("HTTP request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// GET a page or file as text: (status, content type, body).
    pub async fn get_text(&self, path: &str, token: Option<&str>) -> (u16, String, String) {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = authed(req, &self.base, t);
        }
        let resp = req.send().await.expect("HTTP request");
        let status = resp.status().as_u16();
        let mime = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        (status, mime, resp.text().await.unwrap_or_default())
    }

    pub async fn live_dialogue(&self, organizer: &str) -> Dialogue {
        let (status, created) = self
            .post(
                "/api/dialogues",
                organizer,
                json!({"title": "Trygghetsdialog i Hägersten", "venue": "Hägerstens medborgarhus",
                    "purpose": "Frågor om trygghet i området; beslut om budget fattas inte här."}),
            )
            .await;
        assert_eq!(status, 201, "{created}");
        let id: Uuid = created["id"].as_str().unwrap().parse().unwrap();
        let (status, body) = self
            .post(
                &format!("/api/dialogues/{id}/phase"),
                organizer,
                json!({"phase": "live", "expected": "draft"}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        Dialogue {
            id,
            code: created["code"].as_str().unwrap().to_string(),
            endpoint: self.clone(),
            organizer: organizer.to_string(),
        }
    }
}

/// A live dialogue and ways to bring people into it.
#[derive(Clone)]
pub struct Dialogue {
    pub id: Uuid,
    pub code: String,
    pub endpoint: Endpoint,
    pub organizer: String,
}

impl Dialogue {
    /// The organizer's view of the dialogue (`GET /api/dialogues/{id}`).
    pub async fn staff_view(&self) -> Value {
        let path = format!("/api/dialogues/{}", self.id);
        let (status, view) = self.endpoint.get(&path, Some(&self.organizer)).await;
        assert_eq!(status, 200, "{view}");
        view
    }

    /// Closes the live dialogue as its organizer and reads the public record
    /// (`GET /d/{code}/record.json`) that closing makes final.
    pub async fn close_and_read_record(&self) -> Value {
        let path = format!("/api/dialogues/{}/phase", self.id);
        let phase = json!({"phase": "closed", "expected": "live"});
        let (status, body) = self.endpoint.post(&path, &self.organizer, phase).await;
        assert_eq!(status, 200, "{body}");
        let path = format!("/d/{}/record.json", self.code);
        let (status, record) = self.endpoint.get(&path, None).await;
        assert_eq!(status, 200, "{record}");
        record
    }

    /// Joins by code over REST, as a browser would, and connects.
    pub async fn participant(&self) -> Client {
        let token = self.participant_token().await;
        Client::connect(&self.endpoint.ws, &token, None).await
    }

    pub async fn participant_token(&self) -> String {
        let (status, joined) = self
            .endpoint
            .post("/api/join", "", json!({"code": self.code}))
            .await;
        assert_eq!(status, 200, "{joined}");
        joined["token"].as_str().unwrap().to_string()
    }

    /// Joins by code from a local address of the test's choosing (any of
    /// 127.0.0.0/8 is this machine), as a phone behind that address would: the
    /// server sees different clients (connect with `Client::try_connect_from`).
    pub async fn participant_token_from(&self, local: std::net::IpAddr) -> String {
        let http = reqwest::Client::builder()
            .local_address(local)
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        let resp = http
            .post(format!("{}/api/join", self.endpoint.base))
            .header("Idempotency-Key", key())
            .json(&json!({"code": self.code}))
            .send()
            .await
            .expect("HTTP request");
        assert_eq!(resp.status(), 200);
        let joined: Value = resp.json().await.unwrap();
        joined["token"].as_str().unwrap().to_string()
    }

    pub async fn moderator(&self) -> Client {
        let credential = self.moderator_credential().await;
        Client::connect(&self.endpoint.ws, &credential, None).await
    }

    /// A new moderator's credential, for tests that connect again with it.
    pub async fn moderator_credential(&self) -> String {
        let (status, inv) = self
            .endpoint
            .post(
                &format!("/api/dialogues/{}/moderators", self.id),
                &self.organizer,
                json!({"name": "Moderator"}),
            )
            .await;
        assert_eq!(status, 201, "{inv}");
        self.endpoint.accept(&inv, self.id).await
    }

    pub async fn panelist(&self, name: &str, kind: &str) -> (Uuid, Client) {
        let (status, inv) = self
            .endpoint
            .post(
                &format!("/api/dialogues/{}/panelists", self.id),
                &self.organizer,
                json!({"name": name, "title": "", "organisation": "", "kind": kind}),
            )
            .await;
        assert_eq!(status, 201, "{inv}");
        let id = inv["id"].as_str().unwrap().parse().unwrap();
        let credential = self.endpoint.accept(&inv, self.id).await;
        (
            id,
            Client::connect(&self.endpoint.ws, &credential, None).await,
        )
    }

    pub async fn screen(&self) -> Client {
        let (status, inv) = self
            .endpoint
            .post(
                &format!("/api/dialogues/{}/screen", self.id),
                &self.organizer,
                json!({}),
            )
            .await;
        assert_eq!(status, 201, "{inv}");
        let credential = self.endpoint.accept(&inv, self.id).await;
        Client::connect(&self.endpoint.ws, &credential, None).await
    }
}

/// Where a cluster node keeps its dialogues and hears of other nodes' commits.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    pub store_url: String,
    pub bus_url: Option<String>,
    /// How often the node polls the heads of its live dialogues (default 1000 ms).
    pub poll_ms: Option<u64>,
}

/// The server as a real process, for tests that kill it.
pub struct TestServer {
    pub child: tokio::process::Child,
    /// The store the process writes to (to make staff as `dialoghub admin` does).
    pub store_url: String,
    pub endpoint: Endpoint,
    /// Where `/metrics` is served, when the test set `DIALOGHUB_METRICS__LISTEN`.
    pub metrics_port: Option<u16>,
}

impl TestServer {
    /// One node on its own SQLite file, with no bus.
    pub async fn start(dir: &Path) -> TestServer {
        let node = NodeConfig {
            store_url: format!("sqlite://{}", dir.join("dialoghub.db").display()),
            bus_url: None,
            poll_ms: None,
        };
        TestServer::start_node(dir, &node).await
    }

    /// One node of a cluster: the store and bus it names (e.g. PostgreSQL and Redis).
    pub async fn start_node(dir: &Path, node: &NodeConfig) -> TestServer {
        TestServer::start_node_with(dir, node, &[]).await
    }

    /// One node on its own SQLite file, with more settings from the environment
    /// (`DIALOGHUB_…` names).
    pub async fn start_with_env(dir: &Path, env: &[(&str, &str)]) -> TestServer {
        let node = NodeConfig {
            store_url: format!("sqlite://{}", dir.join("dialoghub.db").display()),
            bus_url: None,
            poll_ms: None,
        };
        TestServer::start_node_with(dir, &node, env).await
    }

    pub async fn start_node_with(
        dir: &Path,
        node: &NodeConfig,
        env: &[(&str, &str)],
    ) -> TestServer {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_dialoghub"));
        command
            .env("DIALOGHUB_SERVER__PORT", "0")
            .env("DIALOGHUB_SERVER__DATA_DIR", dir)
            .env("DIALOGHUB_STORE__URL", &node.store_url)
            .env("DIALOGHUB_AUTH__SECRET", SECRET)
            // As in `test_settings`: the caps are flood.rs's to test.
            .env(
                "DIALOGHUB_LIMITS__PENDING_QUESTIONS_PER_PARTICIPANT",
                "1000000",
            )
            .env(
                "DIALOGHUB_LIMITS__PENDING_QUESTIONS_PER_DIALOGUE",
                "1000000",
            )
            .env_remove("DATABASE_URL")
            .env_remove("REDIS_URL")
            .env_remove("DIALOGHUB_BUS__URL")
            .env(
                "RUST_LOG",
                std::env::var("TEST_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::piped())
            .stderr(if std::env::var_os("TEST_SERVER_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .kill_on_drop(true);
        if let Some(bus) = &node.bus_url {
            command.env("DIALOGHUB_BUS__URL", bus);
        }
        if let Some(ms) = node.poll_ms {
            command.env("DIALOGHUB_BUS__POLL_MS", ms.to_string());
        }
        command.envs(env.iter().copied());
        let mut child = command.spawn().expect("server binary starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut metrics_port = None;
        let port = tokio::time::timeout(super::WAIT, async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(port) = line.strip_prefix("dialoghub metrics on port ") {
                    metrics_port = Some(port.trim().parse::<u16>().unwrap());
                }
                if let Some(port) = line.strip_prefix("dialoghub listening on port ") {
                    return port.trim().parse::<u16>().unwrap();
                }
            }
            panic!("the server exited before listening");
        })
        .await
        .expect("the server prints its port");
        let tokens = Tokens::new(SECRET.as_bytes(), "dialoghub", "dialoghub");
        TestServer {
            child,
            store_url: node.store_url.clone(),
            endpoint: Endpoint::new(port, tokens),
            metrics_port,
        }
    }

    /// An organizer of the default district, made in the process's store as
    /// `dialoghub admin` makes staff, and signed in: their credential.
    pub async fn organizer(&self) -> String {
        let store = dialoghub::store::open(&self.store_url)
            .await
            .expect("the server's store opens");
        let credential = self.endpoint.organizer(store.as_ref()).await;
        store.close().await;
        credential
    }

    /// Sends a signal (`TERM`, `INT`, …) to the process.
    pub fn signal(&self, name: &str) {
        let pid = self.child.id().expect("running");
        let status = std::process::Command::new("kill")
            .arg(format!("-{name}"))
            .arg(pid.to_string())
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name} {pid}");
    }

    pub async fn kill_9(mut self) {
        let pid = self.child.id().expect("running") as i32;
        // SIGKILL: no shutdown code runs, exactly like a crash or a power cut.
        let status = std::process::Command::new("kill")
            .arg("-9")
            .arg(pid.to_string())
            .status()
            .unwrap();
        assert!(status.success());
        let _ = self.child.wait().await;
    }
}

/// A PostgreSQL database of its own for one test, dropped afterwards; `None` (and a
/// line saying the test was skipped) when `DATABASE_URL` is not set.
pub struct TestDb {
    pub url: String,
    admin: String,
    name: String,
}

/// The URL of `base` with its database name replaced by `name`.
pub fn with_database(base: &str, name: &str) -> String {
    let (without_query, query) = match base.split_once('?') {
        Some((u, q)) => (u, format!("?{q}")),
        None => (base, String::new()),
    };
    let scheme_end = without_query.find("://").map_or(0, |i| i + 3);
    let root = match without_query[scheme_end..].find('/') {
        Some(i) => &without_query[..scheme_end + i],
        None => without_query,
    };
    format!("{root}/{name}{query}")
}

impl TestDb {
    pub async fn create(test: &str) -> Option<TestDb> {
        let admin = service_url("DATABASE_URL", test)?;
        if !admin.starts_with("postgres") {
            skip(test, "DATABASE_URL is not a postgres:// URL");
            return None;
        }
        let name = format!("dialoghub_test_{}", Uuid::new_v4().simple());
        Some(TestDb::create_named(&admin, name).await)
    }

    pub async fn create_named(admin: &str, name: String) -> TestDb {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(admin)
            .await
            .expect("DATABASE_URL reachable");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create the test database");
        let _ = conn.close().await;
        TestDb {
            url: with_database(admin, &name),
            admin: admin.to_string(),
            name,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Drop runs inside the test's runtime: drop the database from a thread of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                use sqlx::Connection;
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

/// A line for the test log that shows even when the test passes (libtest captures
/// `println!`): skipped tests and measured numbers.
/// The URL of a service a test needs (`DATABASE_URL`, `REDIS_URL`). Where it is
/// missing the test is skipped with a line saying why, except under CI (`CI`
/// set), where it fails: CI must never pass a test it did not run.
pub fn service_url(var: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            skip(test, &format!("{var} is not set"));
            None
        }
    }
}

/// Says a test was skipped and why; under CI, fails it instead.
pub fn skip(test: &str, why: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "{test} cannot run under CI: {why}"
    );
    report(&format!("skipped: {test} ({why})"));
}

pub fn report(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}
