//! One WebSocket connection: `hello`, then a reader and a writer task joined by `select!`.
//!
//! The reader decodes and submits; the hub answers into this connection's outbox;
//! the writer drains the outbox in batches (feed, feed, …, flush).

use super::AppState;
use super::hello::{Session, handshake};
use super::limits::{ConnectionSlot, TokenBucket};
use crate::domain::{Actor, Role};
use crate::hub::{Join, Outbox, Reply, Submission};
use crate::protocol::{
    self, ClientMessage, ClientMsgId, CloseCode, ErrorCode, ErrorWire, ServerMessage,
};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tokio_util::task::AbortOnDropHandle;

type Sink = SplitSink<WebSocket, Message>;
pub(super) type Stream = SplitStream<WebSocket>;

pub async fn run(socket: WebSocket, state: AppState, slot: Arc<ConnectionSlot>) {
    let (mut sink, mut stream) = socket.split();
    let session = match handshake(&state, &mut stream, slot.ip()).await {
        Ok(s) => s,
        Err((code, error)) => {
            if let Some(error) = error {
                let _ = sink
                    .feed(Message::Text(text_message(protocol::encode(
                        &ServerMessage::Error(&error),
                    ))))
                    .await;
            }
            close(&mut sink, code).await;
            return;
        }
    };
    if matches!(session.actor.role(), Role::Participant | Role::Follower) {
        return serve(sink, stream, state, session, slot).await;
    }
    // Staff and screens are few, and every participant waits on what they send:
    // their connections run on their dialogue's hub thread, beside its task, not
    // in the queue of participants' writers. If this task is dropped, so is that one.
    let runtime = session.dialogue.runtime().clone();
    let task = runtime.spawn(serve(sink, stream, state.clone(), session, slot));
    let _ = AbortOnDropHandle::new(task).await;
}

/// Joins the dialogue, then reads and writes until the connection ends.
async fn serve(
    mut sink: Sink,
    mut stream: Stream,
    state: AppState,
    session: Session,
    _slot: Arc<ConnectionSlot>,
) {
    let conn = state.next_conn.fetch_add(1, Ordering::Relaxed);
    let outbox = Arc::new(Outbox::new(state.settings.limits.outbox_max_bytes));
    let (reply, joined) = oneshot::channel();
    let join = Join {
        conn,
        actor: session.actor,
        location: session.location,
        resume: session.resume,
        outbox: outbox.clone(),
        reply,
    };
    // Boxed, like `handle_text`: the join's future is larger than the rest of the
    // connection's, and is done with after the first moments.
    if let Err(code) = Box::pin(session.dialogue.join(join, joined)).await {
        let (error, message) = match code {
            CloseCode::Banned => (ErrorCode::Banned, "a moderator banned this participant"),
            CloseCode::NotFound => (ErrorCode::NotFound, "the dialogue is not open yet"),
            _ => (
                ErrorCode::Unavailable,
                "the dialogue is restarting; reconnect",
            ),
        };
        let frame = protocol::encode(&ServerMessage::Error(&ErrorWire::new(error, message, None)));
        let _ = sink.feed(Message::Text(text_message(frame))).await;
        close(&mut sink, code).await;
        return;
    }
    if matches!(session.actor, Actor::Panelist(_) | Actor::Moderator(_)) {
        // The organizer's overview shows who has not opened their invitation yet.
        let (dialogue, actor) = (session.dialogue.clone(), session.actor);
        tokio::spawn(async move {
            let key = ClientMsgId::server("invitation-opened");
            let _ = dialogue
                .submit_and_wait(actor, key, crate::domain::Command::OpenInvitation)
                .await;
        });
    }
    let _open = crate::telemetry::connection_opened(session.actor.role());
    let _revocable = session.revocable.as_ref().map(|s| {
        state
            .revocations
            .register(conn, s, session.dialogue.id, &outbox)
    });
    // The writer is a task of its own: a task is polled whole on any wake, and in
    // one task every event the hub queued also polled the reader (its timer, the
    // lock the socket's halves share, and a read buffer zeroed for a read that
    // finds nothing). On the same runtime as this task (the hub thread for staff).
    let mut writer = AbortOnDropHandle::new(tokio::spawn(write_loop(outbox.clone(), sink)));
    tokio::select! {
        ended = read_loop(&state, &session, &outbox, &mut stream) => {
            if let Some(code) = ended {
                // Let the writer send what is queued, then the close frame.
                outbox.close(code);
                let _ = tokio::time::timeout(CLOSING_TIME, &mut writer).await;
                linger(&mut stream).await;
            }
        }
        _ = &mut writer => {}
    }
    session.dialogue.leave(conn);
}

/// A security event of this socket (aggregated, so a flood makes no flood of rows).
fn security_event(state: &AppState, event: crate::identity::security::Event) {
    let now = chrono::Utc::now().timestamp_millis();
    crate::identity::security::note(state, event, now);
}

/// How long a closing connection waits for its last frames to be written, and
/// then for the client's close frame.
const CLOSING_TIME: Duration = Duration::from_secs(2);

/// After the close frame, reads and drops what the client still sends until its
/// own close frame (or the end, or `CLOSING_TIME`). Closing a socket with unread
/// data makes the kernel send a reset instead of a FIN, and a reset makes the
/// client's kernel drop what it had received but not yet read: the acks and the
/// close frame just sent. A flooding client has hundreds of frames in flight.
async fn linger(stream: &mut Stream) {
    let _ = tokio::time::timeout(CLOSING_TIME, async {
        while let Some(Ok(msg)) = stream.next().await {
            if matches!(msg, Message::Close(_)) {
                return;
            }
        }
    })
    .await;
}

/// Reads until the client leaves (`None`) or must be closed (`Some(code)`).
async fn read_loop(
    state: &AppState,
    session: &Session,
    outbox: &Arc<Outbox>,
    stream: &mut Stream,
) -> Option<CloseCode> {
    let limits = &state.settings.limits;
    let idle = Duration::from_secs(limits.idle_timeout_secs);
    let mut bucket = TokenBucket::new(
        limits.messages_burst,
        limits.messages_per_sec,
        Instant::now(),
    );
    let mut refused_in_a_row = 0;
    // At most this many submissions wait for their answer; the next one waits for
    // a slot, and meanwhile the socket is not read, so TCP paces the client.
    let in_flight = Arc::new(tokio::sync::Semaphore::new(limits.in_flight_per_connection));
    loop {
        let msg = match tokio::time::timeout(idle, stream.next()).await {
            Err(_) => return Some(CloseCode::GoingAway),
            Ok(None) => return None,
            Ok(Some(Err(e))) => return Some(read_error_code(&e)),
            Ok(Some(Ok(msg))) => msg,
        };
        let text = match msg {
            Message::Text(text) => text,
            Message::Binary(_) => {
                push_error(
                    outbox,
                    ErrorCode::Malformed,
                    "binary frames are not used; send JSON text",
                    None,
                );
                continue;
            }
            // End through the outbox, so the writer flushes the queued close reply.
            Message::Close(_) => return Some(CloseCode::GoingAway),
            // Pings are answered by the WebSocket layer; any frame counts as activity.
            Message::Ping(_) | Message::Pong(_) => continue,
        };
        if !bucket.take(Instant::now()) {
            refused_in_a_row += 1;
            if refused_in_a_row >= limits.flood_close_after {
                crate::telemetry::rate_limit_closed();
                let event = crate::identity::security::Event::RateLimitClosed {
                    who: session.actor.id(),
                    role: session.actor.role().as_str(),
                    dialogue: session.dialogue.id,
                };
                security_event(state, event);
                // The acks already due go out before the close frame: wait until
                // every submission in flight has its answer in the outbox.
                let all = u32::try_from(limits.in_flight_per_connection).unwrap_or(u32::MAX);
                let _ = tokio::time::timeout(CLOSING_TIME, in_flight.acquire_many(all)).await;
                return Some(CloseCode::RateLimited);
            }
            push_error(
                outbox,
                ErrorCode::RateLimited,
                "too many messages; slow down",
                None,
            );
            continue;
        }
        refused_in_a_row = 0;
        // Boxed: decoding and submitting take more room than the rest of the reader,
        // and an idle connection, the common case, should not hold it.
        let handled = handle_text(state, session, outbox, &in_flight, &text);
        if let Err(code) = Box::pin(handled).await {
            return Some(code);
        }
    }
}

/// Decodes one text frame and submits its command, or answers it at once.
/// `Err` when the connection must be closed.
async fn handle_text(
    state: &AppState,
    session: &Session,
    outbox: &Arc<Outbox>,
    in_flight: &Arc<tokio::sync::Semaphore>,
    text: &str,
) -> Result<(), CloseCode> {
    let limits = &state.settings.limits;
    let decoded = protocol::decode(text).and_then(|m| match m {
        ClientMessage::Ping {} => Ok(None),
        ClientMessage::ReadPending {
            client_msg_id,
            order,
            after,
        } => Ok(Some(Err((client_msg_id, order, after)))),
        ClientMessage::Hello(_) => Err(protocol::DecodeError {
            code: ErrorCode::BadRequest,
            message: "hello was already said".into(),
            client_msg_id: None,
        }),
        other => other
            .into_command_at(limits.max_question_chars, limits.position_cell_m)
            .map(|c| c.map(Ok)),
    });
    match decoded {
        Ok(Some(Err((id, order, after)))) => {
            let asked = (id, order, after);
            pending_page(state, session, outbox, asked).await
        }
        // A follower only reads: what it sends never reaches the dialogue's task.
        Ok(Some(Ok((key, command)))) if session.following.is_some() => {
            refused(state, session, command.name());
            let message = "a follower only reads; join to take part";
            push_error(
                outbox,
                ErrorCode::Forbidden,
                message,
                Some(key.as_str().into()),
            );
        }
        Ok(Some(Ok((key, command @ crate::domain::Command::EnterRoom { .. })))) => {
            use crate::domain::authorize::{Action, role_may};
            if !role_may(session.actor.role(), Action::Submit(&command)) {
                refused(state, session, command.name());
            }
            let who = (session.ip, session.actor, &session.dialogue);
            super::room_entry::enter(state, who, outbox, key, command).await;
        }
        Ok(Some(Ok((key, command)))) => {
            use crate::domain::authorize::{Action, role_may};
            // A command the socket's role may never send: a security event. The
            // dialogue still answers it (`forbidden`), as every refusal.
            if !role_may(session.actor.role(), Action::Submit(&command)) {
                refused(state, session, command.name());
            }
            let store = state.registry.store();
            let photo_checked =
                super::photos::photo_is_theirs(store, session.actor, session.dialogue.id, &command);
            if let Err((code, message)) = photo_checked.await {
                push_error(outbox, code, message, Some(key.as_str().into()));
                return Ok(());
            }
            let Ok(slot) = in_flight.clone().acquire_owned().await else {
                return Err(CloseCode::InternalError);
            };
            let sub = Submission {
                actor: session.actor,
                burst: session.burst,
                key,
                command,
                reply: Reply::Outbox(outbox.clone(), Some(slot)),
            };
            if !session.dialogue.submit_waiting(sub).await {
                return Err(CloseCode::Restarting);
            }
        }
        Ok(_) => {
            outbox.push(protocol::encode(&ServerMessage::Pong {}));
        }
        Err(e) => push_error(outbox, e.code, &e.message, e.client_msg_id),
    }
    Ok(())
}

/// What `read_pending` asks: its key, the order, and where the page starts.
type PageAsked = (
    protocol::ClientMsgId,
    protocol::pending_page::QueueOrderWire,
    Option<protocol::pending_page::CursorWire>,
);

/// The authorization table refused what this socket's role asked.
fn refused(state: &AppState, session: &Session, action: &'static str) {
    let event = crate::identity::security::Event::Refused {
        who: session.actor.id(),
        standing: session.actor.role().as_str(),
        action,
        dialogue: Some(session.dialogue.id),
    };
    security_event(state, event);
}

/// A page of the moderator's queue, read in the dialogue's task (staff only).
async fn pending_page(
    state: &AppState,
    session: &Session,
    outbox: &Outbox,
    (id, order, after): PageAsked,
) {
    use crate::domain::authorize::{Action, role_may};
    if !role_may(session.actor.role(), Action::ReadPending) {
        refused(state, session, "read_pending");
        let message = "only staff read the queue";
        return push_error(
            outbox,
            ErrorCode::Forbidden,
            message,
            Some(id.as_str().into()),
        );
    }
    let key = id.as_str().to_owned();
    let page = session
        .dialogue
        .read(move |d| {
            let page = protocol::pending_page::PendingPageWire::new(d, &key, order, after);
            protocol::encode(&ServerMessage::PendingPage(page))
        })
        .await;
    match page {
        Some(frame) => {
            outbox.push(frame);
        }
        None => {
            let message = "the dialogue is being reloaded; try again";
            push_error(
                outbox,
                ErrorCode::Unavailable,
                message,
                Some(id.as_str().into()),
            );
        }
    }
}

fn push_error(outbox: &Outbox, code: ErrorCode, message: &str, id: Option<String>) {
    crate::telemetry::refused(code, crate::telemetry::Via::Message);
    outbox.push(protocol::encode(&ServerMessage::Error(&ErrorWire::new(
        code, message, id,
    ))));
}

/// The close code for a failed read, from the kind of the WebSocket layer's error
/// (axum wraps tungstenite's error as its source).
pub(super) fn read_error_code(e: &axum::Error) -> CloseCode {
    use tokio_tungstenite::tungstenite::Error;
    match std::error::Error::source(e).and_then(|s| s.downcast_ref::<Error>()) {
        Some(Error::Capacity(_)) => CloseCode::TooBig,
        Some(Error::Protocol(_)) => CloseCode::ProtocolError,
        Some(Error::Utf8(_)) => CloseCode::InvalidPayload,
        _ => CloseCode::GoingAway,
    }
}

/// A frame as the WebSocket layer's text message. The layer checks the bytes are
/// UTF-8 (it offers no safe way around that): one pass over a few hundred bytes per
/// delivery, next to the copy into the socket's buffer that follows.
fn text_message(frame: protocol::Frame) -> axum::extract::ws::Utf8Bytes {
    axum::extract::ws::Utf8Bytes::try_from(frame.into_bytes()).expect("a frame holds UTF-8 text")
}

/// Writes what the hub queued: every frame fed, one flush per batch.
async fn write_loop(outbox: Arc<Outbox>, mut sink: Sink) {
    let mut drained = crate::hub::Drained::default();
    // Registered once for the connection rather than once per batch.
    let fell_behind = outbox.fell_behind();
    tokio::pin!(fell_behind);
    loop {
        if let Err(code) = outbox.drain(&mut drained).await {
            close(&mut sink, code).await;
            return;
        }
        tokio::select! {
            written = write_batch(&mut sink, &mut drained) => {
                if written.is_err() {
                    return;
                }
            }
            // The client stopped reading and the socket is full, so no close frame can get
            // through either: drop the connection; the client resumes from its last seq.
            _ = &mut fell_behind => return,
        }
    }
}

async fn write_batch(
    sink: &mut Sink,
    drained: &mut crate::hub::Drained,
) -> Result<(), axum::Error> {
    if std::mem::take(&mut drained.ping) {
        sink.feed(Message::Ping(Default::default())).await?;
    }
    for frame in drained.frames.drain(..) {
        sink.feed(Message::Text(text_message(frame))).await?;
    }
    // A burst leaves a large buffer behind; an idle connection should not keep it.
    drained.frames.shrink_to(BATCH_KEPT);
    sink.flush().await
}

/// Frames' room a writer keeps between batches.
const BATCH_KEPT: usize = 4;

async fn close(sink: &mut Sink, code: CloseCode) {
    let frame = CloseFrame {
        code: code.code(),
        reason: code.reason().into(),
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        // After the client's own close the WebSocket layer refuses a second one,
        // but has queued its reply (an echo, or 1002 for a bad close code): flush that.
        if sink.send(Message::Close(Some(frame))).await.is_err() {
            let _ = sink.flush().await;
        }
    })
    .await;
}
