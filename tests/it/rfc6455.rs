//! RFC 6455 conformance at the frame level: the upgrade done by hand on a TCP
//! socket, then hand-built frames that break the protocol. Each must end the
//! connection (RFC 6455 §7.1.7: fail the connection, with a close frame naming the
//! fault where one can still be sent) and the server must stay up for others.
//!
//! Autobahn's fuzzingclient would cover more, but it needs Docker (or Python 2)
//! to run, which this project's machines do not have; these are its core cases.

use crate::harness::TestApp;
use serde_json::json;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const FIN: u8 = 0x80;
const TEXT: u8 = 0x1;
const PING: u8 = 0x9;
const CLOSE: u8 = 0x8;
const CONTINUATION: u8 = 0x0;

/// What a broken client sends, and the close code RFC 6455 asks for.
struct Case {
    name: String,
    frames: Vec<Vec<u8>>,
    /// 1002 protocol error, 1007 invalid payload data.
    expected: u16,
}

fn case(name: impl Into<String>, frames: Vec<Vec<u8>>, expected: u16) -> Case {
    Case {
        name: name.into(),
        frames,
        expected,
    }
}

/// A frame as a client would build it: `head` is FIN, RSV and opcode.
fn frame(head: u8, masked: bool, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![head];
    let mask_bit = if masked { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => f.push(mask_bit | n as u8),
        n if n <= 0xffff => {
            f.push(mask_bit | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(mask_bit | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if masked {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        f.extend_from_slice(&key);
        f.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    } else {
        f.extend_from_slice(payload);
    }
    f
}

fn masked(head: u8, payload: &[u8]) -> Vec<u8> {
    frame(head, true, payload)
}

fn close_with(code: u16) -> Vec<u8> {
    masked(FIN | CLOSE, &code.to_be_bytes())
}

fn cases() -> Vec<Case> {
    let ping = br#"{"type":"ping"}"#;
    let mut cases = vec![
        case(
            "unmasked text frame",
            vec![frame(FIN | TEXT, false, ping)],
            1002,
        ),
        case("unmasked ping", vec![frame(FIN | PING, false, b"x")], 1002),
    ];
    for (bit, name) in [(0x40, "RSV1"), (0x20, "RSV2"), (0x10, "RSV3")] {
        cases.push(case(
            format!("{name} set (no extension agreed)"),
            vec![masked(FIN | bit | TEXT, ping)],
            1002,
        ));
    }
    for op in 0x3..=0x7 {
        cases.push(case(
            format!("reserved data opcode {op:#x}"),
            vec![masked(FIN | op, b"x")],
            1002,
        ));
    }
    for op in 0xB..=0xF {
        cases.push(case(
            format!("reserved control opcode {op:#x}"),
            vec![masked(FIN | op, b"")],
            1002,
        ));
    }
    cases.extend([
        case(
            "ping with 126 bytes",
            vec![masked(FIN | PING, &[b'p'; 126])],
            1002,
        ),
        case(
            "close with 126 bytes",
            vec![masked(
                FIN | CLOSE,
                &[3, 232]
                    .iter()
                    .copied()
                    .chain([b'r'; 124])
                    .collect::<Vec<_>>(),
            )],
            1002,
        ),
        case(
            "fragmented ping",
            vec![masked(PING, b"a"), masked(FIN | CONTINUATION, b"b")],
            1002,
        ),
        case(
            "continuation with nothing to continue",
            vec![masked(FIN | CONTINUATION, ping)],
            1002,
        ),
        case(
            "new text frame inside a fragmented message",
            vec![masked(TEXT, br#"{"type":"#), masked(FIN | TEXT, ping)],
            1002,
        ),
        case(
            "invalid UTF-8 in a text frame",
            vec![masked(FIN | TEXT, &[b'{', 0xff, 0xfe, b'}'])],
            1007,
        ),
        case(
            "truncated UTF-8 sequence",
            vec![masked(FIN | TEXT, &[0xce, 0xba, 0xe1, 0xbd])],
            1007,
        ),
        case(
            "invalid UTF-8 across fragments",
            vec![
                masked(TEXT, &[b'"', 0xce]),
                masked(FIN | CONTINUATION, b"\""),
            ],
            1007,
        ),
        case(
            "UTF-16 surrogate in a text frame",
            vec![masked(FIN | TEXT, &[0xed, 0xa0, 0x80])],
            1007,
        ),
        case(
            "close with a 1-byte payload",
            vec![masked(FIN | CLOSE, &[3])],
            1002,
        ),
        case(
            "close with an invalid UTF-8 reason",
            vec![masked(FIN | CLOSE, &[3, 232, 0xff])],
            1007,
        ),
    ]);
    for code in [
        0, 999, 1004, 1005, 1006, 1012, 1014, 1015, 1016, 2999, 5000, 65535,
    ] {
        let expected = 1002;
        // 1012 to 1014 were registered after RFC 6455 (IANA); a server may accept them.
        if (1012..=1014).contains(&code) {
            continue;
        }
        cases.push(case(
            format!("close code {code}"),
            vec![close_with(code)],
            expected,
        ));
    }
    cases
}

/// How a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// A close frame with this code (or none in its payload), then the socket closed.
    Closed(Option<u16>),
    /// The socket closed or reset with no close frame.
    Dropped,
    /// Still open after the deadline: the server did not fail the connection.
    Open,
}

struct Raw {
    tcp: TcpStream,
}

impl Raw {
    /// The HTTP upgrade, by hand.
    async fn upgrade(port: u16) -> Raw {
        let mut tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let request = format!(
            "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        tcp.write_all(request.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            assert!(head.len() < 4096, "response head too long");
            tcp.read_exact(&mut byte).await.unwrap();
            head.push(byte[0]);
        }
        let head = String::from_utf8(head).unwrap();
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        assert!(
            head.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
            "the accept key of RFC 6455 §1.3: {head}"
        );
        Raw { tcp }
    }

    async fn send(&mut self, bytes: &[u8]) {
        // The server may already have closed: that is an ending too, seen by `ending`.
        let _ = self.tcp.write_all(bytes).await;
    }

    /// The next server frame: (opcode, payload), or `None` at EOF or reset.
    async fn next_frame(&mut self) -> Option<(u8, Vec<u8>)> {
        let mut head = [0u8; 2];
        self.tcp.read_exact(&mut head).await.ok()?;
        assert_eq!(head[1] & 0x80, 0, "a server never masks");
        let len = match head[1] & 0x7f {
            126 => {
                let mut b = [0u8; 2];
                self.tcp.read_exact(&mut b).await.ok()?;
                u16::from_be_bytes(b) as usize
            }
            127 => {
                let mut b = [0u8; 8];
                self.tcp.read_exact(&mut b).await.ok()?;
                u64::from_be_bytes(b) as usize
            }
            n => n as usize,
        };
        let mut payload = vec![0u8; len];
        self.tcp.read_exact(&mut payload).await.ok()?;
        Some((head[0] & 0x0f, payload))
    }

    /// Reads server frames until the text frame containing `needle`.
    async fn expect_text(&mut self, needle: &str) {
        tokio::time::timeout(crate::harness::WAIT, async {
            loop {
                let (op, payload) = self.next_frame().await.expect("connection open");
                if op == TEXT && String::from_utf8_lossy(&payload).contains(needle) {
                    return;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no frame with {needle}"));
    }

    /// How the server ended the connection, skipping the data frames before it.
    async fn ending(&mut self) -> End {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            match tokio::time::timeout_at(deadline, self.next_frame()).await {
                Err(_) => return End::Open,
                Ok(None) => return End::Dropped,
                Ok(Some((CLOSE, payload))) => {
                    let code =
                        (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
                    // After its close frame the server closes the TCP connection.
                    let mut rest = [0u8; 64];
                    let eof = tokio::time::timeout_at(deadline, async {
                        loop {
                            match self.tcp.read(&mut rest).await {
                                Ok(0) | Err(_) => return,
                                Ok(_) => {}
                            }
                        }
                    })
                    .await;
                    if eof.is_err() {
                        return End::Open;
                    }
                    return End::Closed(code);
                }
                Ok(Some(_)) => {}
            }
        }
    }
}

/// Runs every case on a fresh connection, after `hello` or as the first frame.
async fn run(app: &TestApp, token: &str, after_hello: bool) -> Vec<(Case, End)> {
    let port: u16 = app
        .endpoint
        .base
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let mut out = Vec::new();
    for case in cases() {
        let mut raw = Raw::upgrade(port).await;
        if after_hello {
            let hello = json!({"type": "hello", "v": 1, "token": token}).to_string();
            raw.send(&masked(FIN | TEXT, hello.as_bytes())).await;
            raw.expect_text("\"welcome\"").await;
            raw.expect_text("\"snapshot\"").await;
        }
        for f in &case.frames {
            raw.send(f).await;
        }
        let end = raw.ending().await;
        out.push((case, end));
    }
    out
}

async fn setup() -> (TestApp, String, crate::harness::Client) {
    let app = TestApp::spawn().await;
    let dialogue = app.live_dialogue().await;
    let token = dialogue.participant_token().await;
    let bystander = dialogue.participant().await;
    (app, token, bystander)
}

async fn still_served(bystander: &mut crate::harness::Client, app: &TestApp) {
    bystander.send(json!({"type": "ping"})).await;
    bystander.wait_for("pong", |v| v["type"] == "pong").await;
    let (status, _) = app.endpoint.get("/healthz", None).await;
    assert_eq!(status, 200);
}

/// Every broken frame ends its connection, before and after `hello`, and the
/// server goes on serving a bystander.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_violations_end_the_connection_and_the_server_stays_up() {
    let (app, token, mut bystander) = setup().await;
    let mut total = 0;
    for after_hello in [true, false] {
        for (case, end) in run(&app, &token, after_hello).await {
            assert_ne!(
                end,
                End::Open,
                "{} (after hello: {after_hello}) left the connection open",
                case.name
            );
            total += 1;
        }
        still_served(&mut bystander, &app).await;
    }
    println!("{total} protocol violations, every one ended its connection");
}

/// The close code says what was wrong: 1002 for a protocol error, 1007 for
/// invalid UTF-8 (RFC 6455 §7.4.1, §8.1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_violations_are_closed_with_the_code_rfc_6455_names() {
    let (app, token, mut bystander) = setup().await;
    let mut wrong = Vec::new();
    let results = run(&app, &token, true).await;
    for (case, end) in &results {
        if *end != End::Closed(Some(case.expected)) {
            wrong.push(format!(
                "{}: expected {}, got {end:?}",
                case.name, case.expected
            ));
        }
    }
    still_served(&mut bystander, &app).await;
    assert!(
        wrong.is_empty(),
        "{} of {} cases:\n{}",
        wrong.len(),
        results.len(),
        wrong.join("\n")
    );
}

/// A valid close is answered with a close (RFC 6455 §5.5.1) and the connection ends.
#[tokio::test]
async fn a_valid_close_is_echoed() {
    let (app, token, _bystander) = setup().await;
    for code in [1000, 1001, 3000, 4999] {
        let mut raw = Raw::upgrade(port_of(&app)).await;
        let hello = json!({"type": "hello", "v": 1, "token": token}).to_string();
        raw.send(&masked(FIN | TEXT, hello.as_bytes())).await;
        raw.expect_text("\"welcome\"").await;
        raw.send(&close_with(code)).await;
        assert_eq!(raw.ending().await, End::Closed(Some(code)), "close {code}");
    }
}

// ---- Abuse at the handshake: before any WebSocket frame ----

type WsStream = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// A WebSocket upgrade from `source` (any 127.x address reaches the loopback server).
async fn ws_from(source: &str, port: u16) -> Result<WsStream, u16> {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    let stream = socket.connect(([127, 0, 0, 1], port).into()).await.unwrap();
    let url = format!("ws://127.0.0.1:{port}/ws");
    match tokio_tungstenite::client_async(url, tokio_tungstenite::MaybeTlsStream::Plain(stream))
        .await
    {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("unexpected handshake failure: {e}"),
    }
}

fn port_of(app: &TestApp) -> u16 {
    app.endpoint
        .base
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// `limits.connections_per_ip` caps one address; a slot comes back when its
/// connection ends, and another address is not affected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_from_one_address_are_capped_and_others_still_get_in() {
    const CAP: usize = 8;
    let app = TestApp::spawn_with(|s| s.limits.connections_per_ip = CAP).await;
    let port = port_of(&app);
    let mut open = Vec::new();
    for _ in 0..CAP {
        open.push(ws_from("127.0.0.1", port).await.expect("under the cap"));
    }
    // Bounded: 50 attempts over the cap, all refused with 429 before any upgrade.
    for _ in 0..50 {
        assert_eq!(ws_from("127.0.0.1", port).await.err(), Some(429));
    }
    assert!(
        ws_from("127.0.0.2", port).await.is_ok(),
        "another address still gets in"
    );
    drop(open.pop());
    // The server notices the closed socket and gives the slot back.
    let deadline = tokio::time::Instant::now() + crate::harness::WAIT;
    loop {
        match ws_from("127.0.0.1", port).await {
            Ok(_) => break,
            Err(429) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(code) => panic!("the freed slot was not given back: {code}"),
        }
    }
}

/// Reads until EOF or reset, or gives up at the deadline: whether the server hung up.
async fn hung_up_within(tcp: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    tokio::time::timeout(within, async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

/// A TCP connection from `source` that sends the start of a request head and
/// never finishes it.
async fn unfinished_head_from(source: &str, port: u16) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    let mut tcp = socket.connect(([127, 0, 0, 1], port).into()).await.unwrap();
    tcp.write_all(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
        .await
        .unwrap();
    tcp
}

/// Slowloris: a request head sent one byte at a time never completes, and the
/// server must cut it off at `limits.handshake_timeout_secs` rather than hold
/// the socket (and a file descriptor) forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_sent_one_byte_at_a_time_is_cut_off() {
    const TIMEOUT: Duration = Duration::from_secs(2);
    let app = TestApp::spawn_with(|s| s.limits.handshake_timeout_secs = TIMEOUT.as_secs()).await;
    let mut tcp = TcpStream::connect(("127.0.0.1", port_of(&app)))
        .await
        .unwrap();
    let head = format!(
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: {}",
        "a".repeat(10_000)
    );
    let started = tokio::time::Instant::now();
    // Bounded: the timeout plus 3 s of slack; one byte every 100 ms.
    let mut cut_off = None;
    for byte in head.bytes() {
        if started.elapsed() > TIMEOUT + Duration::from_secs(3) {
            break;
        }
        if tcp.write_all(&[byte]).await.is_err()
            || hung_up_within(&mut tcp, Duration::from_millis(100)).await
        {
            cut_off = Some(started.elapsed());
            break;
        }
    }
    let cut_off = cut_off.unwrap_or_else(|| {
        panic!(
            "still connected after {:?} of a request head one byte at a time",
            started.elapsed()
        )
    });
    println!(
        "a request head one byte at a time was cut off after {cut_off:?} (timeout {TIMEOUT:?})"
    );
    assert!(
        cut_off >= TIMEOUT - Duration::from_millis(200),
        "cut off after {cut_off:?}, before the {TIMEOUT:?} timeout"
    );
    let (code, _) = app.endpoint.get("/healthz", None).await;
    assert_eq!(code, 200);
}

/// Unfinished handshakes count against `limits.connections_per_ip` from accept:
/// one address cannot hold more than its cap of them, what it opens beyond the
/// cap is dropped within a second, and the other clients are served throughout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfinished_handshakes_from_one_address_hit_its_cap_and_others_are_served() {
    const CAP: usize = 8;
    const FLOOD: usize = 200;
    let app = TestApp::spawn_with(|s| s.limits.connections_per_ip = CAP).await;
    let port = port_of(&app);
    let dialogue = app.live_dialogue().await;
    let mut bystander = dialogue.participant().await;

    let attacker = "127.0.0.3";
    let mut held = Vec::new();
    for _ in 0..CAP {
        held.push(unfinished_head_from(attacker, port).await);
    }
    // Accepted in order, so the unfinished heads hold every slot of the address.
    assert_eq!(
        ws_from(attacker, port).await.err(),
        Some(429),
        "{CAP} unfinished handshakes must fill the address's cap"
    );

    let started = tokio::time::Instant::now();
    let mut flood = Vec::new();
    for _ in 0..FLOOD {
        flood.push(unfinished_head_from(attacker, port).await);
    }
    let mut dropped = 0;
    for tcp in &mut flood {
        let left = (started + Duration::from_secs(3))
            .saturating_duration_since(tokio::time::Instant::now());
        if hung_up_within(tcp, left).await {
            dropped += 1;
        }
    }
    println!(
        "{dropped} of {FLOOD} unfinished handshakes over the cap dropped in {:?}",
        started.elapsed()
    );
    assert_eq!(dropped, FLOOD, "connections over the cap were kept open");

    // None of this reaches the others: the bystander is served, a new client gets in.
    still_served(&mut bystander, &app).await;
    let mut newcomer = dialogue.participant().await;
    newcomer.send(json!({"type": "ping"})).await;
    newcomer.wait_for("pong", |v| v["type"] == "pong").await;

    // The held slots come back when those sockets close.
    drop(held);
    let deadline = tokio::time::Instant::now() + crate::harness::WAIT;
    loop {
        match ws_from(attacker, port).await {
            Ok(_) => break,
            Err(429) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            Err(code) => panic!("the freed slots were not given back: {code}"),
        }
    }
}

/// A request head far larger than any browser sends is refused without an upgrade.
async fn head_with_padding(app: &TestApp, padding: usize) -> String {
    let mut tcp = TcpStream::connect(("127.0.0.1", port_of(app)))
        .await
        .unwrap();
    let head = format!(
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(padding)
    );
    // The server may hang up before it has read everything: that is a refusal too.
    let _ = tcp.write_all(head.as_bytes()).await;
    // The status line, or what came before EOF or reset.
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    let _ = tokio::time::timeout(crate::harness::WAIT, async {
        while !answer.windows(2).any(|w| w == b"\r\n") {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

/// Refused: 431, or the connection closed before the answer could be read.
fn refused(status: &str) -> bool {
    status.is_empty() || status.starts_with("HTTP/1.1 431 ")
}

#[tokio::test]
async fn a_one_megabyte_request_head_is_refused() {
    let app = TestApp::spawn().await;
    let status = head_with_padding(&app, 1024 * 1024).await;
    println!("a 1 MiB request head: {status:?}");
    assert!(refused(&status), "a 1 MiB head got: {status}");
    let (code, _) = app.endpoint.get("/healthz", None).await;
    assert_eq!(code, 200, "the server is still up");
}

/// Browsers send a few kilobytes of headers; 64 KiB is an attack, and accepting it
/// lets each connection pin that much memory while it dawdles. A head of 8 KiB
/// is still served.
#[tokio::test]
async fn a_64_kib_request_head_is_refused() {
    let app = TestApp::spawn().await;
    let status = head_with_padding(&app, 64 * 1024).await;
    println!("a 64 KiB request head: {status:?}");
    assert!(refused(&status), "a 64 KiB head got: {status}");
    let status = head_with_padding(&app, 8 * 1024).await;
    assert!(
        status.starts_with("HTTP/1.1 101 "),
        "an 8 KiB head got: {status}"
    );
    let (code, _) = app.endpoint.get("/healthz", None).await;
    assert_eq!(code, 200, "the server is still up");
}
