//! HTTP load from a worker process: GET requests on keep-alive connections at
//! a steady rate, as browsers (and crawlers) fetch the public pages.

use crate::util::{Hist, HistWire, now_us};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::{Instant, sleep_until, timeout};

#[derive(Serialize, Deserialize, Clone)]
pub struct HttpSpec {
    /// Paths requested in turn (`/d/CODE`, `/d/CODE/record.json`, …).
    pub paths: Vec<String>,
    /// Requests a second, all connections together.
    pub per_sec: f64,
    pub secs: u64,
    /// Keep-alive connections; each sends its share of the rate, one request at a time.
    pub connections: usize,
}

#[derive(Serialize, Deserialize, Default)]
pub struct HttpReport {
    pub sent: u64,
    /// Answers by status code ("200", "429", …).
    pub statuses: BTreeMap<String, u64>,
    /// Requests without an answer (connection refused, reset, timeout), by reason.
    pub failed: BTreeMap<String, u64>,
    /// From the scheduled send time to the last byte of the answer.
    pub latency: HistWire,
    pub bytes: u64,
    pub first_us: u64,
    pub last_us: u64,
}

/// Runs the load for `spec.secs` and reports.
pub async fn run(port: u16, spec: &HttpSpec) -> HttpReport {
    let conns = spec.connections.max(1);
    let per_conn = Duration::from_secs_f64(conns as f64 / spec.per_sec.max(0.001));
    let start = Instant::now();
    let end = start + Duration::from_secs(spec.secs);
    let first_us = now_us();
    let tasks = (0..conns).map(|c| {
        let spec = spec.clone();
        async move {
            let mut r = Conn::default();
            let mut stream: Option<BufReader<TcpStream>> = None;
            // Spread the connections' first requests over one period.
            let mut due = start + per_conn.mul_f64(c as f64 / conns as f64);
            let mut k = c;
            while due < end {
                sleep_until(due).await;
                let path = &spec.paths[k % spec.paths.len()];
                k += 1;
                r.sent += 1;
                let answer = timeout(Duration::from_secs(10), get(&mut stream, port, path)).await;
                match answer {
                    Ok(Ok((status, len))) => {
                        // Measured from when the request was due, so a late send counts.
                        let late = Instant::now().saturating_duration_since(due).as_micros() as u64;
                        r.hist.record(late);
                        *r.statuses.entry(status.to_string()).or_default() += 1;
                        r.bytes += len;
                    }
                    Ok(Err(e)) => {
                        stream = None;
                        *r.failed.entry(e).or_default() += 1;
                    }
                    Err(_) => {
                        stream = None;
                        *r.failed.entry("timeout".into()).or_default() += 1;
                    }
                }
                due += per_conn;
            }
            r
        }
    });
    let conns: Vec<Conn> = futures_util::future::join_all(tasks).await;
    let mut out = HttpReport {
        first_us,
        last_us: now_us(),
        ..HttpReport::default()
    };
    let mut hist = Hist::default();
    for c in conns {
        out.sent += c.sent;
        out.bytes += c.bytes;
        hist.merge(&c.hist);
        for (k, v) in c.statuses {
            *out.statuses.entry(k).or_default() += v;
        }
        for (k, v) in c.failed {
            *out.failed.entry(k).or_default() += v;
        }
    }
    out.latency = (&hist).into();
    out
}

#[derive(Default)]
struct Conn {
    sent: u64,
    bytes: u64,
    hist: Hist,
    statuses: BTreeMap<String, u64>,
    failed: BTreeMap<String, u64>,
}

/// One GET on the kept connection (opened if there is none); returns the status
/// and the body's length. The connection is dropped if the server closes it.
async fn get(
    stream: &mut Option<BufReader<TcpStream>>,
    port: u16,
    path: &str,
) -> Result<(u16, u64), String> {
    if stream.is_none() {
        let s = TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| format!("connect: {}", e.kind()))?;
        s.set_nodelay(true).map_err(|e| e.to_string())?;
        *stream = Some(BufReader::new(s));
    }
    let s = stream.as_mut().expect("opened above");
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/html\r\n\r\n");
    s.get_mut()
        .write_all(req.as_bytes())
        .await
        .map_err(|e| format!("write: {}", e.kind()))?;
    let mut line = String::new();
    read_line(s, &mut line).await?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or("no status line")?;
    let (mut length, mut chunked, mut close) = (None, false, false);
    loop {
        read_line(s, &mut line).await?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_ascii_lowercase());
            match k.as_str() {
                "content-length" => length = v.parse::<u64>().ok(),
                "transfer-encoding" => chunked = v.contains("chunked"),
                "connection" => close = v.contains("close"),
                _ => {}
            }
        }
    }
    let mut body = 0u64;
    if chunked {
        loop {
            read_line(s, &mut line).await?;
            let size = u64::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| "bad chunk size")?;
            if size == 0 {
                read_line(s, &mut line).await?; // the empty line after the last chunk
                break;
            }
            skip(s, size + 2).await?;
            body += size;
        }
    } else if let Some(n) = length {
        skip(s, n).await?;
        body = n;
    } else {
        close = true;
        let mut rest = Vec::new();
        s.read_to_end(&mut rest)
            .await
            .map_err(|e| format!("read: {}", e.kind()))?;
        body = rest.len() as u64;
    }
    if close {
        *stream = None;
    }
    Ok((status, body))
}

async fn read_line(s: &mut BufReader<TcpStream>, line: &mut String) -> Result<(), String> {
    line.clear();
    match s.read_line(line).await {
        Ok(0) => Err("closed".into()),
        Ok(_) => Ok(()),
        Err(e) => Err(format!("read: {}", e.kind())),
    }
}

async fn skip(s: &mut BufReader<TcpStream>, n: u64) -> Result<(), String> {
    let copied = tokio::io::copy(&mut AsyncReadExt::take(&mut *s, n), &mut tokio::io::sink())
        .await
        .map_err(|e| format!("read: {}", e.kind()))?;
    if copied == n {
        Ok(())
    } else {
        Err("closed".into())
    }
}
