//! Behind a real reverse proxy (nginx, started by the test): the forwarded
//! client is the one every per-address limit counts, a forged `X-Forwarded-For`
//! from a peer that is not a trusted proxy is ignored, and meetings work
//! through it over WebSocket.

use crate::harness::{Client, TestApp, WAIT};
use serde_json::{Value, json};
use std::net::IpAddr;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

/// nginx in the foreground on a free port with a generated configuration, its
/// files in a temporary prefix; stopped when dropped.
struct Nginx {
    child: tokio::process::Child,
    port: u16,
    _dir: tempfile::TempDir,
}

fn nginx_binary() -> String {
    for candidate in ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"] {
        if Path::new(candidate).exists() {
            return candidate.to_string();
        }
    }
    panic!("nginx is not installed (Debian: apt-get install nginx); the proxy tests need it");
}

impl Nginx {
    async fn start(upstream: u16) -> Nginx {
        let dir = tempfile::tempdir().unwrap();
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let d = dir.path().display();
        // The same proxying as deploy/nginx.conf: WebSocket upgrade, the client's
        // address appended to X-Forwarded-For, the original Host.
        let conf = format!(
            r#"daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    upstream dialoghub {{ server 127.0.0.1:{upstream}; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://dialoghub;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 60s;
        }}
    }}
}}
"#
        );
        std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
        let child = tokio::process::Command::new(nginx_binary())
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("nginx starts");
        let deadline = tokio::time::Instant::now() + WAIT;
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "nginx listens: {}",
                std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Nginx {
            child,
            port,
            _dir: dir,
        }
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn ws(&self) -> String {
        format!("ws://127.0.0.1:{}/ws", self.port)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// An HTTP client whose connections come from `local` (any of 127.0.0.0/8).
fn http_from(local: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip(local))
        .timeout(WAIT)
        .build()
        .unwrap()
}

/// Joins by code at `base`; (status, body).
async fn join(
    http: &reqwest::Client,
    base: &str,
    code: &str,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut req = http
        .post(format!("{base}/api/join"))
        .json(&json!({"code": code}));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.expect("join request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_nginx_each_forwarded_client_has_its_own_limits_and_forged_headers_are_ignored() {
    let app = TestApp::spawn_with(|s| {
        s.server.trusted_proxies = vec!["127.0.0.1".into()];
        s.limits.joins_per_ip_per_minute = 3;
        s.limits.connections_per_ip = 2;
    })
    .await;
    let port: u16 = app
        .endpoint
        .base
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let nginx = Nginx::start(port).await;
    let dialogue = app.live_dialogue().await;
    let (anna, bo) = (http_from("127.0.0.2"), http_from("127.0.0.3"));

    // Anna uses up her joins through the proxy; forging X-Forwarded-For does not
    // get her more, since nginx appends her real address and that is the rightmost.
    let mut anna_tokens = Vec::new();
    for _ in 0..3 {
        let (status, body) = join(&anna, &nginx.base(), &dialogue.code, &[]).await;
        assert_eq!(status, 200, "{body}");
        anna_tokens.push(body["token"].as_str().unwrap().to_string());
    }
    for forged in ["198.51.100.7", "203.0.113.1, 198.51.100.8"] {
        let (status, body) = join(
            &anna,
            &nginx.base(),
            &dialogue.code,
            &[("x-forwarded-for", forged)],
        )
        .await;
        assert_eq!(status, 429, "{body}");
        assert_eq!(body["code"], "rate_limited");
    }
    // Bo, from another address behind the same proxy, has his own limit.
    let (status, bo_joined) = join(&bo, &nginx.base(), &dialogue.code, &[]).await;
    assert_eq!(status, 200, "{bo_joined}");
    let bo_token = bo_joined["token"].as_str().unwrap().to_string();

    // A peer that is not a trusted proxy is its own client whatever it claims.
    let direct = http_from("127.0.0.5");
    for i in 0..3 {
        let forged = format!("198.51.100.{i}");
        let (status, body) = join(
            &direct,
            &app.endpoint.base,
            &dialogue.code,
            &[
                ("x-forwarded-for", forged.as_str()),
                ("forwarded", "for=203.0.113.50"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, _) = join(
        &direct,
        &app.endpoint.base,
        &dialogue.code,
        &[("x-forwarded-for", "198.51.100.99")],
    )
    .await;
    assert_eq!(
        status, 429,
        "a forged X-Forwarded-For from an untrusted peer is ignored"
    );

    // Connections: two per client address, counted per forwarded client.
    let mut anna1 = Client::try_connect_from(&nginx.ws(), &anna_tokens[0], ip("127.0.0.2"))
        .await
        .expect("Anna's first connection through nginx");
    let _anna2 = Client::try_connect_from(&nginx.ws(), &anna_tokens[1], ip("127.0.0.2"))
        .await
        .expect("Anna's second connection");
    let third = Client::try_connect_from(&nginx.ws(), &anna_tokens[2], ip("127.0.0.2")).await;
    let refused = third
        .err()
        .expect("Anna's third connection is over the cap");
    assert!(refused.contains("429"), "{refused}");
    let mut bo_ws = Client::try_connect_from(&nginx.ws(), &bo_token, ip("127.0.0.3"))
        .await
        .expect("Bo connects through nginx while Anna is at her cap");

    // A meeting through the proxy: ask, approve, see it published, vote.
    let mut moderator = dialogue.moderator().await;
    let q = anna1.ask("Kan vi få fler papperskorgar vid torget?").await;
    assert_eq!(moderator.approve(q).await["type"], "ack");
    bo_ws
        .wait_for("published", |v| {
            v["event"]["kind"] == "question_published" && v["event"]["question"]["id"] == q
        })
        .await;
    assert_eq!(bo_ws.vote(q, true).await["type"], "ack");
    anna1
        .live_until("Bo's vote", |v| v["votes"][q.to_string()] == 1)
        .await;
}
