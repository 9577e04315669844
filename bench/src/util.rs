//! Small shared pieces: the clock, in-band time stamps, a mergeable histogram,
//! /proc sampling, a minimal HTTP/1.1 client, token minting and WebSocket dialing.

use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Microseconds on CLOCK_REALTIME. Every process of one run is on this machine,
/// so a stamp taken by the publisher can be compared with a receipt time taken
/// by any load-generator process.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------
// In-band stamps: "@T<time>@P<phase>@S<seq>@" with numbers written in the
// letters a..p (base 16). Letters, not digits, so dialoghub's confidentiality
// guard (which looks for phone and personal identity numbers) never flags them.

fn push_letters(out: &mut String, mut v: u64) {
    let mut buf = [0u8; 16];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'a' + (v & 15) as u8;
        v >>= 4;
        if v == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&buf[i..]).expect("ascii"));
}

fn read_letters(bytes: &[u8]) -> Option<u64> {
    let mut v: u64 = 0;
    let mut n = 0;
    for &b in bytes {
        if !(b'a'..=b'p').contains(&b) {
            break;
        }
        v = (v << 4) | u64::from(b - b'a');
        n += 1;
    }
    (n > 0).then_some(v)
}

/// A payload of exactly `len` bytes (at least the stamp) carrying its send time.
pub fn stamped_text(t_us: u64, phase: u8, seq: u64, len: usize) -> String {
    let mut s = String::with_capacity(len.max(64));
    s.push_str("@T");
    push_letters(&mut s, t_us);
    s.push_str("@P");
    push_letters(&mut s, u64::from(phase));
    s.push_str("@S");
    push_letters(&mut s, seq);
    s.push_str("@ ");
    const FILL: &str =
        "Varfor ar det sa morkt i parken vid skolan pa kvallarna och vem ansvarar for belysningen ";
    while s.len() < len {
        let room = len - s.len();
        s.push_str(&FILL[..room.min(FILL.len())]);
    }
    s
}

pub struct Stamp {
    pub t_us: u64,
    pub phase: u8,
    pub seq: u64,
}

/// Finds the stamp in a received frame.
pub fn find_stamp(bytes: &[u8]) -> Option<Stamp> {
    let at = bytes.windows(2).position(|w| w == b"@T")?;
    let rest = &bytes[at + 2..];
    let t_us = read_letters(rest)?;
    let p = rest.windows(2).position(|w| w == b"@P")?;
    let phase = read_letters(&rest[p + 2..])? as u8;
    let s = rest.windows(2).position(|w| w == b"@S")?;
    let seq = read_letters(&rest[s + 2..])?;
    Some(Stamp { t_us, phase, seq })
}

// ---------------------------------------------------------------------------
// A log-linear histogram of microseconds: exact below 128, then 64 sub-buckets
// per power of two (at most 1.6 % relative error). Mergeable by adding counts.

const SUB: u64 = 64;
const BUCKETS: usize = 128 + 48 * SUB as usize;

#[derive(Clone)]
pub struct Hist {
    counts: Vec<u64>,
    pub count: u64,
    pub max: u64,
    pub sum: u64,
}

impl Default for Hist {
    fn default() -> Self {
        Hist {
            counts: vec![0; BUCKETS],
            count: 0,
            max: 0,
            sum: 0,
        }
    }
}

fn index(v: u64) -> usize {
    if v < 128 {
        return v as usize;
    }
    let msb = 63 - v.leading_zeros() as u64; // >= 7
    let shift = msb - 6;
    let top = v >> shift; // 64..128
    (128 + (shift - 1) * SUB + (top - SUB)) as usize
}

fn value_of(i: usize) -> u64 {
    if i < 128 {
        return i as u64;
    }
    let j = (i - 128) as u64;
    let shift = j / SUB + 1;
    let top = j % SUB + SUB;
    // The middle of the bucket.
    (top << shift) + (1 << shift) / 2
}

impl Hist {
    pub fn record(&mut self, v: u64) {
        let i = index(v).min(BUCKETS - 1);
        self.counts[i] += 1;
        self.count += 1;
        self.max = self.max.max(v);
        self.sum += v;
    }

    pub fn merge(&mut self, other: &Hist) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.count += other.count;
        self.max = self.max.max(other.max);
        self.sum += other.sum;
    }

    /// The value at quantile `q` (0..=1), in the recorded unit.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return value_of(i).min(self.max);
            }
        }
        self.max
    }

    /// p50/p95/p99/max in milliseconds, for reports.
    pub fn summary_ms(&self) -> serde_json::Value {
        let ms = |v: u64| (v as f64 / 1000.0 * 100.0).round() / 100.0;
        serde_json::json!({
            "count": self.count,
            "p50_ms": ms(self.quantile(0.50)),
            "p95_ms": ms(self.quantile(0.95)),
            "p99_ms": ms(self.quantile(0.99)),
            "max_ms": ms(self.max),
            "mean_ms": self.sum.checked_div(self.count).map_or(0.0, ms),
        })
    }
}

/// The wire form between processes: only the non-empty buckets.
#[derive(Serialize, Deserialize, Default)]
pub struct HistWire {
    pub buckets: Vec<(u32, u64)>,
    pub count: u64,
    pub max: u64,
    pub sum: u64,
}

impl From<&Hist> for HistWire {
    fn from(h: &Hist) -> Self {
        HistWire {
            buckets: h
                .counts
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(i, c)| (i as u32, *c))
                .collect(),
            count: h.count,
            max: h.max,
            sum: h.sum,
        }
    }
}

impl From<&HistWire> for Hist {
    fn from(w: &HistWire) -> Self {
        let mut h = Hist::default();
        for (i, c) in &w.buckets {
            h.counts[*i as usize] += c;
        }
        h.count = w.count;
        h.max = w.max;
        h.sum = w.sum;
        h
    }
}

// ---------------------------------------------------------------------------
// /proc: CPU time and resident memory of a process.

/// Clock ticks per second for /proc/<pid>/stat; 100 on every Linux we run on.
const TICKS_PER_SEC: f64 = 100.0;

#[derive(Clone, Copy, Debug, Default)]
pub struct ProcSample {
    pub at_us: u64,
    /// user + system CPU seconds so far.
    pub cpu_s: f64,
    pub rss_kib: u64,
}

/// The processes of `pids` together: CPU seconds and resident memory added up.
pub fn sample_all(pids: &[u32]) -> ProcSample {
    pids.iter().map(|p| sample(*p)).fold(
        ProcSample {
            at_us: now_us(),
            cpu_s: 0.0,
            rss_kib: 0,
        },
        |sum, s| ProcSample {
            at_us: sum.at_us,
            cpu_s: sum.cpu_s + s.cpu_s,
            rss_kib: sum.rss_kib + s.rss_kib,
        },
    )
}

pub fn sample(pid: u32) -> ProcSample {
    let at_us = now_us();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the ")" that closes the command name; utime and stime are 14 and 15.
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|s| s.parse::<f64>().ok()).unwrap_or(0.0);
    let cpu_s = (tick(11) + tick(12)) / TICKS_PER_SEC;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss_kib = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    ProcSample {
        at_us,
        cpu_s,
        rss_kib,
    }
}

/// Share of one core used between two samples, in percent.
pub fn cpu_percent(a: &ProcSample, b: &ProcSample) -> f64 {
    let wall = (b.at_us.saturating_sub(a.at_us)) as f64 / 1e6;
    if wall <= 0.0 {
        return 0.0;
    }
    ((b.cpu_s - a.cpu_s) / wall * 1000.0).round() / 10.0
}

// ---------------------------------------------------------------------------
// HTTP/1.1, just enough for dialoghub's JSON endpoints on 127.0.0.1.

pub async fn http_json(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
    headers: &[(&str, &str)],
) -> Result<(u16, serde_json::Value), String> {
    http_json_from(None, port, method, path, body, headers).await
}

/// The loopback address participant `i` of a meeting joins from: each its own
/// (127.0.x.y, 62,500 of them), as remote participants are on their own
/// connections at home. A join from 127.0.0.1, the default source, is one
/// address for all: the flood's, as the server's per-address counts see it.
pub fn participant_addr(i: usize) -> std::net::Ipv4Addr {
    let i = i % 62_500;
    std::net::Ipv4Addr::new(127, 0, 1 + (i / 250) as u8, 1 + (i % 250) as u8)
}

/// `http_json` from the source address `from` (127.0.0.1 when `None`).
pub async fn http_json_from(
    from: Option<std::net::Ipv4Addr>,
    port: u16,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
    headers: &[(&str, &str)],
) -> Result<(u16, serde_json::Value), String> {
    let (status, rest) = http_text_from(from, port, method, path, body, headers).await?;
    let value = if rest.trim().is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&rest).map_err(|e| format!("body: {e}"))?
    };
    Ok((status, value))
}

/// A request whose answer's body is read as text (`/metrics`, say).
pub async fn http_text_from(
    from: Option<std::net::Ipv4Addr>,
    port: u16,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
    headers: &[(&str, &str)],
) -> Result<(u16, String), String> {
    let mut stream = connect_from(from, port)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
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
    req.push_str(&body);
    stream
        .write_all(req.as_bytes())
        .await
        .map_err(|e| format!("write: {e}"))?;
    let mut buf = Vec::with_capacity(2048);
    stream
        .read_to_end(&mut buf)
        .await
        .map_err(|e| format!("read: {e}"))?;
    let text = String::from_utf8_lossy(&buf);
    let (head, rest) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| "no header end".to_string())?;
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| "no status".to_string())?;
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return Err("chunked responses are not supported".into());
    }
    Ok((status, rest.to_string()))
}

// ---------------------------------------------------------------------------
// Tokens: the bench knows the server's secret, so it mints them itself.

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    aud: &'a str,
    sub: uuid::Uuid,
    role: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    dlg: Option<uuid::Uuid>,
    iat: i64,
    exp: i64,
}

pub fn mint(secret: &str, role: &str, dialogue: Option<uuid::Uuid>) -> String {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let now = (now_us() / 1_000_000) as i64;
    let claims = Claims {
        iss: "dialoghub",
        aud: "dialoghub",
        sub: uuid::Uuid::new_v4(),
        role,
        dlg: dialogue,
        iat: now,
        exp: now + 24 * 3600,
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("HS256 signing cannot fail")
}

// ---------------------------------------------------------------------------
// WebSocket dialing with small buffers: the load generator holds thousands.

pub type Ws = WebSocketStream<TcpStream>;

pub fn small_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(8 * 1024)
        .write_buffer_size(0)
        .max_write_buffer_size(4 * 1024 * 1024)
}

pub async fn dial(port: u16, path: &str) -> Result<Ws, String> {
    dial_from(None, port, path).await
}

/// Connects to the server on 127.0.0.1 from the source address `from`
/// (127.0.0.1 when `None`): all of 127.0.0.0/8 is this machine's loopback.
async fn connect_from(from: Option<std::net::Ipv4Addr>, port: u16) -> std::io::Result<TcpStream> {
    match from {
        None => TcpStream::connect(("127.0.0.1", port)).await,
        Some(addr) => {
            let socket = tokio::net::TcpSocket::new_v4()?;
            socket.bind((addr, 0).into())?;
            socket.connect(([127, 0, 0, 1], port).into()).await
        }
    }
}

/// `dial` from the source address `from`.
pub async fn dial_from(
    from: Option<std::net::Ipv4Addr>,
    port: u16,
    path: &str,
) -> Result<Ws, String> {
    let stream = connect_from(from, port)
        .await
        .map_err(|e| format!("connect: {}", e.kind()))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let url = format!("ws://127.0.0.1:{port}{path}");
    let (ws, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(small_config()))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    Ok(ws)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_round_trip_and_have_the_asked_length() {
        let t = stamped_text(1_764_000_000_123_456, 2, 77, 300);
        assert_eq!(t.len(), 300);
        assert!(!t.bytes().any(|b| b.is_ascii_digit()));
        let s = find_stamp(format!("{{\"text\":\"{t}\"}}").as_bytes()).unwrap();
        assert_eq!((s.t_us, s.phase, s.seq), (1_764_000_000_123_456, 2, 77));
    }

    #[test]
    fn histogram_quantiles_are_close() {
        let mut h = Hist::default();
        for v in 1..=100_000u64 {
            h.record(v);
        }
        let p99 = h.quantile(0.99) as f64;
        assert!((p99 - 99_000.0).abs() / 99_000.0 < 0.02, "{p99}");
        let w = HistWire::from(&h);
        let back = Hist::from(&w);
        assert_eq!(back.quantile(0.5), h.quantile(0.5));
    }
}
