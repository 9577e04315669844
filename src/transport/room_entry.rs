//! `enter_room` over the WebSocket: the room code a participant typed, answered
//! in order like any submission. Each wrong code counts against the client's
//! address, so four digits cannot be guessed from one address however many fresh
//! identities it makes.

use super::AppState;
use crate::domain::{Actor, Command};
use crate::hub::{DialogueHandle, Outbox, Reply};
use crate::protocol::{ClientMsgId, ErrorCode, ErrorWire};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

/// Submits the code and waits for the answer (to count a miss), then queues it.
pub(super) async fn enter(
    state: &AppState,
    (ip, actor, dialogue): (IpAddr, Actor, &DialogueHandle),
    outbox: &Arc<Outbox>,
    key: ClientMsgId,
    command: Command,
) {
    let reply = Reply::Outbox(outbox.clone(), None);
    if state.limits.room_codes_blocked(ip, Instant::now()) {
        let message = "too many wrong room codes from this address; wait a minute";
        let id = Some(key.as_str().into());
        return reply.send(Err(ErrorWire::new(ErrorCode::RateLimited, message, id)));
    }
    let outcome = dialogue.submit_and_wait(actor, key, command).await;
    if outcome
        .as_ref()
        .is_err_and(|e| e.code == ErrorCode::WrongRoomCode)
    {
        state.limits.room_code_missed(ip, Instant::now());
    }
    reply.send(outcome);
}
