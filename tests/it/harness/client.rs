//! A WebSocket client that speaks the protocol and checks `seq` on every event.

use super::WAIT;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub welcome: Value,
    /// The snapshot, if the server sent one instead of a replay.
    pub snapshot: Option<Value>,
    pub epoch: u64,
    /// The log position this client has applied.
    pub seq: u64,
    /// The latest `live` frame (tallies and presence).
    pub live: Option<Value>,
    /// Every event received, in order.
    pub events: Vec<Value>,
    /// Every text frame received, in order (for privacy checks).
    pub raw: Vec<String>,
    pending: VecDeque<Value>,
    keys: u64,
    /// The close code, once the server closed.
    pub close_code: Option<u16>,
}

impl Client {
    pub async fn connect(url: &str, token: &str, resume: Option<(u64, u64)>) -> Client {
        Client::try_connect(url, token, resume)
            .await
            .unwrap_or_else(|e| panic!("connect failed: {e}"))
    }

    pub async fn try_connect(
        url: &str,
        token: &str,
        resume: Option<(u64, u64)>,
    ) -> Result<Client, String> {
        let (ws, _) = connect_async(url).await.map_err(|e| e.to_string())?;
        Client::hello(Client::blank(ws), url, token, resume).await
    }

    /// Connects from a local address of the test's choosing (any of 127.0.0.0/8
    /// is this machine), so the server or a proxy sees different clients.
    pub async fn try_connect_from(
        url: &str,
        token: &str,
        local: std::net::IpAddr,
    ) -> Result<Client, String> {
        let addr: std::net::SocketAddr = url
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind((local, 0).into()).map_err(|e| e.to_string())?;
        let stream = socket.connect(addr).await.map_err(|e| e.to_string())?;
        let (ws, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream))
            .await
            .map_err(|e| e.to_string())?;
        Client::hello(Client::blank(ws), url, token, None).await
    }

    async fn hello(
        client: Client,
        url: &str,
        token: &str,
        resume: Option<(u64, u64)>,
    ) -> Result<Client, String> {
        let hello = match token.strip_prefix("session ") {
            // A session (staff, invitee): a fresh single-use ticket for its dialogue.
            Some(_) => {
                let ticket = ticket_for(url, token).await?;
                json!({"type": "hello", "v": 1, "ticket": ticket})
            }
            None => json!({"type": "hello", "v": 1, "token": token}),
        };
        Client::hello_with(client, hello, resume).await
    }

    /// Connects as a participant who says (in `hello`) they are in the room.
    pub async fn connect_in_room(url: &str, token: &str) -> Client {
        let (ws, _) = connect_async(url).await.expect("connects");
        let hello = json!({"type": "hello", "v": 1, "token": token, "location": "in_room"});
        Client::hello_with(Client::blank(ws), hello, None)
            .await
            .unwrap_or_else(|e| panic!("connect failed: {e}"))
    }

    /// Connects with a single-use ticket (staff and invitees).
    pub async fn try_connect_ticket(url: &str, ticket: &str) -> Result<Client, String> {
        let (ws, _) = connect_async(url).await.map_err(|e| e.to_string())?;
        let hello = json!({"type": "hello", "v": 1, "ticket": ticket});
        Client::hello_with(Client::blank(ws), hello, None).await
    }

    async fn hello_with(
        mut client: Client,
        mut hello: Value,
        resume: Option<(u64, u64)>,
    ) -> Result<Client, String> {
        if let Some((epoch, seq)) = resume {
            hello["resume"] = json!({"epoch": epoch, "seq": seq});
            client.epoch = epoch;
            client.seq = seq;
        }
        client.send(hello).await;
        let welcome = client
            .recv_raw()
            .await
            .ok_or_else(|| format!("closed ({:?}) before welcome", client.close_code))?;
        if welcome["type"] != "welcome" {
            return Err(format!("expected welcome, got {welcome}"));
        }
        client.epoch = welcome["epoch"].as_u64().unwrap();
        if welcome["recovered"] == false {
            let snapshot = client.recv_raw().await.ok_or("closed before snapshot")?;
            assert_eq!(snapshot["type"], "snapshot", "{snapshot}");
            client.seq = snapshot["seq"].as_u64().unwrap();
            client.snapshot = Some(snapshot);
        }
        client.welcome = welcome;
        Ok(client)
    }

    /// Connects over a socket with a tiny receive buffer, for a client that stops reading.
    pub async fn connect_slow(url: &str, token: &str) -> Client {
        let addr = url
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let stream = socket.connect(addr).await.unwrap();
        let (ws, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream))
            .await
            .unwrap();
        let mut client = Client::blank(ws);
        let hello = match token.strip_prefix("session ") {
            Some(_) => {
                json!({"type": "hello", "v": 1, "ticket": ticket_for(url, token).await.unwrap()})
            }
            None => json!({"type": "hello", "v": 1, "token": token}),
        };
        client.send(hello).await;
        client.welcome = client.wait_for("welcome", |v| v["type"] == "welcome").await;
        client.epoch = client.welcome["epoch"].as_u64().unwrap();
        let snapshot = client
            .wait_for("snapshot", |v| v["type"] == "snapshot")
            .await;
        client.seq = snapshot["seq"].as_u64().unwrap();
        client
    }

    fn blank(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Client {
        Client {
            ws,
            welcome: Value::Null,
            snapshot: None,
            epoch: 0,
            seq: 0,
            live: None,
            events: Vec::new(),
            raw: Vec::new(),
            pending: VecDeque::new(),
            keys: 0,
            close_code: None,
        }
    }

    pub async fn connect_with_hello(url: &str, hello: Value) -> Client {
        let (ws, _) = connect_async(url).await.expect("connects");
        let mut client = Client::blank(ws);
        client.send(hello).await;
        client
    }

    pub fn you(&self) -> String {
        self.welcome["you"].as_str().unwrap().to_string()
    }

    pub async fn send(&mut self, v: Value) {
        self.ws
            .send(Message::text(v.to_string()))
            .await
            .expect("send");
    }

    pub async fn send_raw(&mut self, msg: Message) -> Result<(), String> {
        self.ws.send(msg).await.map_err(|e| e.to_string())
    }

    /// A fresh `client_msg_id`.
    pub fn key(&mut self) -> String {
        self.keys += 1;
        format!(
            "{}-{}",
            &self.welcome["you"].as_str().unwrap_or("x")[..8],
            self.keys
        )
    }

    /// The next frame, or `None` when the server closed. Checks `seq` continuity.
    async fn recv_raw(&mut self) -> Option<Value> {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("a frame within the deadline")?;
            match msg {
                Ok(Message::Text(text)) => {
                    self.raw.push(text.to_string());
                    let v: Value = serde_json::from_str(&text).expect("server sends JSON");
                    self.observe(&v);
                    return Some(v);
                }
                Ok(Message::Close(frame)) => {
                    self.close_code = frame.map(|f| u16::from(f.code));
                    return None;
                }
                Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    fn observe(&mut self, v: &Value) {
        match v["type"].as_str() {
            Some("event") => {
                let seq = v["seq"].as_u64().unwrap();
                assert_eq!(
                    v["epoch"].as_u64().unwrap(),
                    self.epoch,
                    "epoch changed: {v}"
                );
                assert_eq!(
                    seq,
                    self.seq + 1,
                    "gap or repeat in seq: had {}, got {v}",
                    self.seq
                );
                self.seq = seq;
                self.events.push(v.clone());
            }
            Some("live") => {
                let newer = self
                    .live
                    .as_ref()
                    .is_none_or(|l| l["version"].as_u64() < v["version"].as_u64());
                assert!(newer, "live versions must grow");
                self.live = Some(v.clone());
            }
            _ => {}
        }
    }

    /// The next frame that `pred` accepts; others are kept for later reads.
    pub async fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.pending.iter().position(&pred) {
            return self.pending.remove(i).unwrap();
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let v = tokio::time::timeout(left, self.recv_raw())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
                .unwrap_or_else(|| {
                    panic!("closed ({:?}) while waiting for {what}", self.close_code)
                });
            if pred(&v) {
                return v;
            }
            self.pending.push_back(v);
        }
    }

    /// The ack or error answering `client_msg_id`.
    pub async fn reply(&mut self, id: &str) -> Value {
        self.wait_for(&format!("reply to {id}"), |v| {
            (v["type"] == "ack" || v["type"] == "error") && v["client_msg_id"] == id
        })
        .await
    }

    /// The ack or error answering `id` within `within` (keep it under [`WAIT`]), or
    /// `None` when the connection closed or stayed silent: for tests that kill or
    /// stop the server and expect both. Other frames read meanwhile are dropped,
    /// after the usual `seq` checks.
    pub async fn try_reply(&mut self, id: &str, within: Duration) -> Option<Value> {
        let answers =
            |v: &Value| (v["type"] == "ack" || v["type"] == "error") && v["client_msg_id"] == id;
        if let Some(i) = self.pending.iter().position(answers) {
            return self.pending.remove(i);
        }
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let v = tokio::time::timeout_at(deadline, self.recv_raw())
                .await
                .ok()??;
            if answers(&v) {
                return Some(v);
            }
        }
    }

    /// Sends a submission with a fresh key and returns its ack or error.
    pub async fn submit(&mut self, mut msg: Value) -> Value {
        let id = self.key();
        msg["client_msg_id"] = json!(id);
        self.send(msg).await;
        self.reply(&id).await
    }

    pub async fn event(&mut self, kind: &str) -> Value {
        self.wait_for(&format!("event {kind}"), |v| {
            v["type"] == "event" && v["event"]["kind"] == kind
        })
        .await
    }

    /// Waits until this client has applied the log up to `seq`.
    pub async fn reach(&mut self, seq: u64) {
        while self.seq < seq {
            let v = self
                .wait_for(&format!("seq {seq}"), |v| v["type"] == "event")
                .await;
            let _ = v;
        }
    }

    /// Waits for a `live` frame that satisfies `pred` (tallies are coalesced).
    pub async fn live_until(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(l) = &self.live
            && pred(l)
        {
            return l.clone();
        }
        self.wait_for(what, |v| v["type"] == "live" && pred(v))
            .await
    }

    /// Reads whatever arrives for `d`; returns the frames.
    pub async fn drain_for(&mut self, d: Duration) -> Vec<Value> {
        let mut out: Vec<Value> = self.pending.drain(..).collect();
        let end = tokio::time::Instant::now() + d;
        while let Ok(Some(v)) = tokio::time::timeout_at(end, self.recv_raw()).await {
            out.push(v);
        }
        out
    }

    /// The close code the server ends this connection with.
    pub async fn closed_with(&mut self) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .expect("closed within the deadline")
            {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(Message::Text(t))) => {
                    self.raw.push(t.to_string());
                    let v: Value = serde_json::from_str(&t).unwrap();
                    self.observe(&v);
                    self.pending.push_back(v);
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    }

    /// Whether any frame this client ever received contains `needle`.
    pub fn ever_saw(&self, needle: &str) -> bool {
        self.raw.iter().any(|r| r.contains(needle))
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }

    pub async fn ask(&mut self, text: &str) -> u64 {
        let ack = self.submit(json!({"type": "ask", "text": text})).await;
        assert_eq!(ack["type"], "ack", "{ack}");
        ack["question_id"].as_u64().unwrap()
    }

    pub async fn vote(&mut self, question: u64, on: bool) -> Value {
        self.submit(json!({"type": "vote", "question_id": question, "on": on}))
            .await
    }

    pub async fn approve(&mut self, question: u64) -> Value {
        self.submit(json!({"type": "approve", "question_id": question, "expected": "pending"}))
            .await
    }
}

/// A ticket for the session credential `session <cookie> <csrf> <dialogue>`,
/// from the server behind the WebSocket URL.
async fn ticket_for(ws_url: &str, credential: &str) -> Result<String, String> {
    let base = ws_url
        .replacen("ws://", "http://", 1)
        .trim_end_matches("/ws")
        .to_string();
    let dialogue = credential
        .split(' ')
        .nth(3)
        .ok_or("a session credential without a dialogue cannot open a socket")?;
    let req = reqwest::Client::new()
        .post(format!("{base}/api/ws-ticket"))
        .json(&json!({"dialogue_id": dialogue}));
    let resp = super::server::authed(req, &base, credential)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    match body["ticket"].as_str() {
        Some(t) if status == 200 => Ok(t.to_string()),
        _ => Err(format!("no ticket: HTTP {status} {body}")),
    }
}
