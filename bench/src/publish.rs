//! The publishing side: dialoghub's organizer, asker and moderator, and the
//! single publisher of the NATS and floor runs.

use crate::servers::SECRET;
use crate::util::{self, Hist, Ws, now_us};
use crate::worker::System;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::{Instant, sleep_until};
use tokio_tungstenite::tungstenite::Message;

pub struct Dialogue {
    pub id: uuid::Uuid,
    pub code: String,
}

/// Creates a dialogue over REST and opens it (draft → live).
pub async fn create_dialogue(port: u16) -> Result<Dialogue, String> {
    create_dialogue_numbered(port, 0).await
}

/// Creates dialogue number `n` of a scenario (each number its own dialogue:
/// the number is in the idempotency keys) and opens it.
pub async fn create_dialogue_numbered(port: u16, n: usize) -> Result<Dialogue, String> {
    let (create_key, live_key) = (format!("bench-create-{n}"), format!("bench-live-{n}"));
    let staff = crate::staff::headers(port).await?;
    fn with<'a>(staff: &'a [(String, String)], key: &'a str) -> Vec<(&'a str, &'a str)> {
        let mut h: Vec<(&str, &str)> = staff
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        h.push(("Idempotency-Key", key));
        h
    }
    let (status, v) = util::http_json(
        port,
        "POST",
        "/api/dialogues",
        Some(&json!({ "title": "Trygghetsdialog (benchmark)", "purpose": "Mätning av hur snabbt händelser når deltagarna." })),
        &with(&staff, &create_key),
    )
    .await?;
    if status != 201 && status != 200 {
        return Err(format!("create dialogue: HTTP {status} {v}"));
    }
    let id: uuid::Uuid = v["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or("create dialogue: no id")?;
    let code = v["code"]
        .as_str()
        .ok_or("create dialogue: no code")?
        .to_string();
    let (status, v) = util::http_json(
        port,
        "POST",
        &format!("/api/dialogues/{id}/phase"),
        Some(&json!({ "phase": "live", "expected": "draft" })),
        &with(&staff, &live_key),
    )
    .await?;
    if status != 200 {
        return Err(format!("set phase: HTTP {status} {v}"));
    }
    Ok(Dialogue { id, code })
}

/// One dialoghub connection of the bench's own (asker or moderator).
pub struct DhConn {
    ws: Ws,
    pub gaps: u64,
    last_seq: u64,
}

#[derive(Default)]
pub struct Published {
    pub first_send_us: u64,
    pub last_send_us: u64,
    /// dialoghub: the `seq` of the last event; peers: the last message number.
    pub last_seq: u64,
    pub acks: Hist,
    pub errors: HashMap<String, u64>,
    pub sent: u64,
}

impl DhConn {
    pub async fn open(port: u16, role: &str, dialogue: uuid::Uuid) -> Result<DhConn, String> {
        // Participants hold a token; staff open their socket with a ticket (the
        // bench's staff member is an admin, who moderates as an organizer).
        let hello = match role {
            "participant" => {
                let token = util::mint(SECRET, role, Some(dialogue));
                json!({ "type": "hello", "v": 1, "token": token })
            }
            _ => {
                json!({ "type": "hello", "v": 1, "ticket": crate::staff::ticket(port, dialogue).await? })
            }
        };
        DhConn::hello(port, hello).await
    }

    /// A participant's connection with a token from `POST /api/join`.
    pub async fn open_token(port: u16, token: &str) -> Result<DhConn, String> {
        DhConn::hello(port, json!({ "type": "hello", "v": 1, "token": token })).await
    }

    async fn hello(port: u16, hello: Value) -> Result<DhConn, String> {
        let mut ws = util::dial(port, "/ws").await?;
        ws.send(Message::Text(hello.to_string().into()))
            .await
            .map_err(|e| e.to_string())?;
        let (_, seq) = crate::worker::dh_welcome(&mut ws).await?;
        Ok(DhConn {
            ws,
            gaps: 0,
            last_seq: seq,
        })
    }

    /// Sends `frames` (each `(client_msg_id, json)`), at `rate` a second or all at
    /// once, and waits for every answer. Returns per-id acks (their JSON).
    async fn submit(
        &mut self,
        frames: Vec<(String, Box<dyn Fn() -> String>)>,
        rate: Option<f64>,
        within: Duration,
    ) -> Result<(Published, HashMap<String, Value>), String> {
        let n = frames.len();
        let deadline = Instant::now() + within;
        let mut out = Published::default();
        let mut sent_at: HashMap<String, u64> = HashMap::new();
        let mut answers: HashMap<String, Value> = HashMap::new();
        let mut next = 0usize;
        let start = Instant::now();
        let period = rate.map(|r| Duration::from_secs_f64(1.0 / r));
        while answers.len() < n {
            let due = match period {
                Some(p) => start + p * next as u32,
                None => Instant::now(),
            };
            let msg = tokio::select! {
                _ = sleep_until(deadline) => return Err(format!("{} of {n} answers missing", n - answers.len())),
                _ = sleep_until(due), if next < n => {
                    // Burst: feed everything, flush once. Paced: one at a time.
                    let upto = if period.is_some() { next + 1 } else { n };
                    while next < upto {
                        let (id, make) = &frames[next];
                        let text = make();
                        let t = now_us();
                        if out.first_send_us == 0 { out.first_send_us = t; }
                        out.last_send_us = t;
                        sent_at.insert(id.clone(), t);
                        self.ws.feed(Message::Text(text.into())).await.map_err(|e| e.to_string())?;
                        next += 1;
                        out.sent += 1;
                    }
                    self.ws.flush().await.map_err(|e| e.to_string())?;
                    continue;
                }
                m = self.ws.next() => m,
            };
            let t = now_us();
            let text = match msg {
                Some(Ok(Message::Text(t))) => t,
                Some(Ok(Message::Close(c))) => return Err(format!("closed: {c:?}")),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(e.to_string()),
                None => return Err("closed".into()),
            };
            let v: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
            match v["type"].as_str() {
                Some("event") => {
                    let seq = v["seq"].as_u64().unwrap_or(0);
                    if seq != self.last_seq + 1 {
                        self.gaps += 1;
                    }
                    self.last_seq = seq;
                }
                Some("ack") | Some("error") => {
                    let id = v["client_msg_id"].as_str().unwrap_or("").to_string();
                    if let Some(s) = sent_at.remove(&id) {
                        if v["type"] == "ack" {
                            out.acks.record(t.saturating_sub(s));
                            out.last_seq = out.last_seq.max(v["seq"].as_u64().unwrap_or(0));
                        } else {
                            let code = v["code"].as_str().unwrap_or("?").to_string();
                            *out.errors.entry(code).or_default() += 1;
                        }
                        answers.insert(id, v);
                    } else if v["type"] == "error" {
                        *out.errors
                            .entry(format!("unsolicited {}", v["code"]))
                            .or_default() += 1;
                    }
                }
                _ => {}
            }
        }
        Ok((out, answers))
    }

    /// Asks `n` questions as fast as the connection may; returns their ids.
    pub async fn ask(
        &mut self,
        n: usize,
        rate: Option<f64>,
    ) -> Result<(Published, Vec<u64>), String> {
        self.ask_from(0, n, rate).await
    }

    /// Asks questions number `from` to `from + n` (their `client_msg_id`s: a
    /// number asked before would be a retry, answered with its first ack).
    pub async fn ask_from(
        &mut self,
        from: usize,
        n: usize,
        rate: Option<f64>,
    ) -> Result<(Published, Vec<u64>), String> {
        let (out, answers) = self.asks(from, n, rate).await?;
        if !out.errors.is_empty() {
            return Err(format!("asks refused: {:?}", out.errors));
        }
        let mut ids: Vec<u64> = answers
            .values()
            .filter_map(|v| v["question_id"].as_u64())
            .collect();
        ids.sort_unstable();
        Ok((out, ids))
    }

    /// As `ask_from`, but refusals are counted in the result's `errors`, not failures.
    pub async fn ask_counted(
        &mut self,
        from: usize,
        n: usize,
        rate: Option<f64>,
    ) -> Result<Published, String> {
        Ok(self.asks(from, n, rate).await?.0)
    }

    async fn asks(
        &mut self,
        from: usize,
        n: usize,
        rate: Option<f64>,
    ) -> Result<(Published, HashMap<String, Value>), String> {
        let frames = (from..from + n)
            .map(|i| {
                let id = format!("ask-{i}");
                let text = format!(
                    "Fraga nummer {} om belysning, trafik och trygghet i var stadsdel?",
                    words(i)
                );
                let frame = json!({ "type": "ask", "client_msg_id": id, "text": text }).to_string();
                (
                    id,
                    Box::new(move || frame.clone()) as Box<dyn Fn() -> String>,
                )
            })
            .collect();
        let within = Duration::from_secs(120 + rate.map_or(0, |r| (n as f64 / r) as u64));
        self.submit(frames, rate, within).await
    }

    /// Approves `questions`; each approval's published text carries its send time.
    pub async fn approve(
        &mut self,
        questions: &[u64],
        phase: u8,
        rate: Option<f64>,
        text_len: usize,
    ) -> Result<Published, String> {
        let frames = questions
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let id = format!("approve-{phase}-{i}");
                let (id2, q) = (id.clone(), *q);
                let make = move || {
                    let text = if text_len > 0 {
                        format!(r#","text":"{}""#, util::stamped_text(now_us(), phase, i as u64 + 1, text_len))
                    } else {
                        String::new()
                    };
                    format!(
                        r#"{{"type":"approve","client_msg_id":"{id2}","question_id":{q},"expected":"pending"{text}}}"#
                    )
                };
                (id, Box::new(make) as Box<dyn Fn() -> String>)
            })
            .collect();
        let within = Duration::from_secs(30 + questions.len() as u64);
        Ok(self.submit(frames, rate, within).await?.0)
    }
}

/// The size in bytes of the `snapshot` a moderator gets on opening `dialogue`.
pub async fn snapshot_bytes(port: u16, dialogue: uuid::Uuid) -> Result<usize, String> {
    let ticket = crate::staff::ticket(port, dialogue).await?;
    let mut ws = util::dial(port, "/ws").await?;
    let hello = json!({ "type": "hello", "v": 1, "ticket": ticket });
    ws.send(Message::Text(hello.to_string().into()))
        .await
        .map_err(|e| e.to_string())?;
    while let Some(msg) = ws.next().await {
        match msg {
            Ok(Message::Text(t)) => {
                #[derive(serde::Deserialize)]
                struct Head<'a> {
                    #[serde(rename = "type", borrow)]
                    ty: &'a str,
                }
                let head: Head = serde_json::from_str(&t).map_err(|e| e.to_string())?;
                if head.ty == "snapshot" {
                    return Ok(t.len());
                }
            }
            Ok(Message::Close(c)) => return Err(format!("closed: {c:?}")),
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Err("no snapshot".into())
}

/// Spelled-out numbers keep question texts free of digits (the guard flags digit runs).
fn words(i: usize) -> String {
    const W: [&str; 10] = [
        "noll", "ett", "tva", "tre", "fyra", "fem", "sex", "sju", "atta", "nio",
    ];
    i.to_string()
        .bytes()
        .map(|b| W[(b - b'0') as usize])
        .collect::<Vec<_>>()
        .join("-")
}

/// The one publisher of a NATS or floor run.
pub struct PeerPublisher {
    system: System,
    ws: Ws,
    seq: u64,
}

impl PeerPublisher {
    pub async fn open(system: System, port: u16) -> Result<PeerPublisher, String> {
        let mut ws = match system {
            System::Floor | System::FloorTicks => util::dial(port, "/pub").await?,
            System::Nats => {
                let mut ws = util::dial(port, "/").await?;
                let hello =
                    "CONNECT {\"verbose\":false,\"pedantic\":false,\"protocol\":1}\r\nPING\r\n";
                ws.send(Message::Binary(hello.as_bytes().to_vec().into()))
                    .await
                    .map_err(|e| e.to_string())?;
                let mut seen = Vec::new();
                while !seen.windows(6).any(|w| w == b"PONG\r\n") {
                    match ws.next().await {
                        Some(Ok(Message::Binary(b))) => seen.extend_from_slice(&b),
                        Some(Ok(Message::Text(t))) => seen.extend_from_slice(t.as_bytes()),
                        Some(Ok(_)) => {}
                        _ => return Err("nats publisher: closed during connect".into()),
                    }
                }
                ws
            }
            System::Dialoghub => return Err("not a peer".into()),
        };
        let _ = &mut ws;
        Ok(PeerPublisher { system, ws, seq: 0 })
    }

    /// Publishes `n` stamped payloads of `len` bytes, at `rate` a second or all at once.
    pub async fn publish(
        &mut self,
        n: usize,
        phase: u8,
        rate: Option<f64>,
        len: usize,
    ) -> Result<Published, String> {
        let mut out = Published::default();
        let start = Instant::now();
        let period = rate.map(|r| Duration::from_secs_f64(1.0 / r));
        for i in 0..n {
            if let Some(p) = period {
                sleep_until(start + p * i as u32).await;
            }
            self.seq += 1;
            let t = now_us();
            let payload = util::stamped_text(t, phase, self.seq, len);
            let msg = match self.system {
                System::Nats => Message::Binary(
                    format!("PUB bench {}\r\n{payload}\r\n", payload.len())
                        .into_bytes()
                        .into(),
                ),
                _ => Message::Text(payload.into()),
            };
            if out.first_send_us == 0 {
                out.first_send_us = t;
            }
            out.last_send_us = t;
            out.sent += 1;
            self.ws.feed(msg).await.map_err(|e| e.to_string())?;
            if period.is_some() {
                self.ws.flush().await.map_err(|e| e.to_string())?;
            }
        }
        self.ws.flush().await.map_err(|e| e.to_string())?;
        out.last_seq = self.seq;
        Ok(out)
    }
}
