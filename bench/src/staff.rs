//! The bench's staff member: made with `dialoghub admin` (as an operator makes
//! the first admin), signed in once through the printed single-use link; then a
//! session cookie and CSRF token for REST, and a single-use ticket per socket.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Per server port: the unused sign-in link's path, then the session.
enum Staff {
    Link(String),
    Session { cookie: String, csrf: String },
}

fn staff() -> &'static Mutex<HashMap<u16, Staff>> {
    static STAFF: OnceLock<Mutex<HashMap<u16, Staff>>> = OnceLock::new();
    STAFF.get_or_init(Default::default)
}

/// Runs `dialoghub admin` with the server's settings and keeps its link for `port`.
pub fn make_admin(bin: &Path, env: &[(&str, String)], port: u16) -> Result<(), String> {
    let out = Command::new(bin)
        .args(["admin", "--name", "Benchmark"])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("RUST_LOG", "warn")
        .output()
        .map_err(|e| format!("dialoghub admin: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let path = text
        .lines()
        .filter_map(|l| l.find("/signin/").map(|i| l[i..].trim().to_string()))
        .next_back()
        .ok_or_else(|| format!("dialoghub admin printed no link: {text}"))?;
    staff().lock().unwrap().insert(port, Staff::Link(path));
    Ok(())
}

/// `(status, head, body)` of one HTTP/1.1 request.
async fn request(
    port: u16,
    method: &str,
    path: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> Result<(u16, String, String), String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !body.is_empty() {
        req.push_str("Content-Type: application/json\r\n");
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream
        .write_all(req.as_bytes())
        .await
        .map_err(|e| format!("write: {e}"))?;
    let mut buf = Vec::new();
    stream
        .read_to_end(&mut buf)
        .await
        .map_err(|e| format!("read: {e}"))?;
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, rest) = text.split_once("\r\n\r\n").ok_or("no header end")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no status")?;
    Ok((status, head.to_string(), rest.to_string()))
}

/// The session for `port`, signing in with its link the first time.
async fn session(port: u16) -> Result<(String, String), String> {
    let link = match staff().lock().unwrap().get(&port) {
        Some(Staff::Session { cookie, csrf }) => return Ok((cookie.clone(), csrf.clone())),
        Some(Staff::Link(link)) => link.clone(),
        None => return Err(format!("no staff for the server on port {port}")),
    };
    let (status, head, _) = request(port, "POST", &link, "", &[]).await?;
    if status != 303 {
        return Err(format!("sign-in link: HTTP {status}"));
    }
    let cookie = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .and_then(|(_, v)| v.trim().split(';').next())
        .ok_or("sign-in: no cookie")?
        .to_string();
    let (status, _, body) =
        request(port, "GET", "/api/session", "", &[("Cookie", &cookie)]).await?;
    let v: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
    let csrf = v["csrf"]
        .as_str()
        .ok_or_else(|| format!("session: HTTP {status} {body}"))?
        .to_string();
    staff().lock().unwrap().insert(
        port,
        Staff::Session {
            cookie: cookie.clone(),
            csrf: csrf.clone(),
        },
    );
    Ok((cookie, csrf))
}

/// The headers of a signed-in staff request to the server on `port`.
pub async fn headers(port: u16) -> Result<Vec<(String, String)>, String> {
    let (cookie, csrf) = session(port).await?;
    Ok(vec![
        ("Cookie".into(), cookie),
        ("X-CSRF-Token".into(), csrf),
        ("Origin".into(), format!("http://127.0.0.1:{port}")),
    ])
}

/// A single-use WebSocket ticket for `dialogue`.
pub async fn ticket(port: u16, dialogue: uuid::Uuid) -> Result<String, String> {
    let headers = headers(port).await?;
    let refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let body = serde_json::json!({ "dialogue_id": dialogue }).to_string();
    let (status, _, body) = request(port, "POST", "/api/ws-ticket", &body, &refs).await?;
    let v: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
    v["ticket"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("ticket: HTTP {status} {body}"))
}
