//! The first message of a WebSocket: `hello`, and who it makes the socket's
//! holder. A participant's token, a staff member's or invitee's single-use
//! ticket, or a join code alone for a follower (read-only, not counted).

use super::AppState;
use super::connection::{Stream, read_error_code};
use crate::auth::AuthError;
use crate::domain::{Actor, Location, Role};
use crate::hub::DialogueHandle;
use crate::protocol::{self, ClientMessage, CloseCode, ErrorCode, ErrorWire};
use axum::extract::ws::Message;
use futures_util::StreamExt;
use std::time::Duration;

/// What the `hello` established; not the hello itself, so the token is not kept
/// for the connection's life.
pub(super) struct Session {
    pub(super) actor: crate::domain::Actor,
    /// The participant's token marks it a burst identity (`auth::Claims::burst`).
    pub(super) burst: bool,
    /// The client's address, against which wrong room codes count.
    pub(super) ip: std::net::IpAddr,
    pub(super) location: Location,
    pub(super) resume: Option<protocol::Position>,
    pub(super) dialogue: DialogueHandle,
    /// The session that opened this socket (staff and invitees): it closes
    /// when the session ends or no longer gives a part in the dialogue.
    pub(super) revocable: Option<crate::store::SessionRecord>,
    /// A follower's slot of its address, given back when the socket ends.
    pub(super) following: Option<super::limits::FollowerSlot>,
}

type Refused = (CloseCode, Option<ErrorWire>);

/// The first message must be a valid `hello` with a token for this dialogue.
pub(super) async fn handshake(
    state: &AppState,
    stream: &mut Stream,
    ip: std::net::IpAddr,
) -> Result<Session, Refused> {
    let timeout = Duration::from_secs(state.settings.limits.hello_timeout_secs);
    // RFC 6455 allows control frames at any time: a ping or pong before the hello
    // is answered by the WebSocket layer and skipped here, within the same deadline.
    let first = tokio::time::timeout(timeout, async {
        loop {
            match stream.next().await {
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => return other,
            }
        }
    });
    let first = match first.await {
        Err(_) => return Err((CloseCode::HelloTimeout, None)),
        Ok(None) => return Err((CloseCode::GoingAway, None)),
        Ok(Some(Err(e))) => return Err((read_error_code(&e), None)),
        Ok(Some(Ok(msg))) => msg,
    };
    let bad_hello = |message: &str| {
        (
            CloseCode::BadHello,
            Some(ErrorWire::new(ErrorCode::BadRequest, message, None)),
        )
    };
    let Message::Text(text) = first else {
        return Err(bad_hello("the first message must be a hello text frame"));
    };
    let hello = match protocol::decode(&text) {
        Ok(ClientMessage::Hello(h)) => h,
        Ok(_) => return Err(bad_hello("the first message must be hello")),
        Err(e) => {
            return Err((
                CloseCode::BadHello,
                Some(ErrorWire::new(e.code, e.message, None)),
            ));
        }
    };
    if hello.v != protocol::PROTOCOL_VERSION {
        return Err(bad_hello("unsupported protocol version"));
    }
    if let Some(code) = hello.follow.as_deref() {
        if !hello.token.is_empty() || hello.ticket.is_some() || hello.location.is_some() {
            return Err(bad_hello(
                "follow takes a join code alone: no token, ticket or location",
            ));
        }
        return by_code(state, ip, code, hello.resume).await;
    }
    let unauthorized = |e: AuthError| {
        (
            CloseCode::Unauthorized,
            Some(ErrorWire::new(ErrorCode::Unauthorized, e.to_string(), None)),
        )
    };
    let (actor, dialogue_id, revocable, burst) = match hello.ticket.as_deref() {
        Some(ticket) => {
            let (actor, dialogue, session) = by_ticket(state, ticket, hello.dialogue_id).await?;
            (actor, dialogue, session, false)
        }
        None => {
            // A bearer token is a participant's; staff and invitees open with a ticket.
            let claims = state.tokens.verify(&hello.token).map_err(unauthorized)?;
            let actor = claims.actor();
            let dialogue_id = match (claims.dlg, hello.dialogue_id, actor.role()) {
                (Some(bound), Some(asked), _) if bound != asked => {
                    return Err(unauthorized(AuthError::Invalid));
                }
                (Some(bound), _, Role::Participant) => bound,
                _ => return Err(unauthorized(AuthError::Invalid)),
            };
            (actor, dialogue_id, None, claims.burst)
        }
    };
    let not_found = || {
        (
            CloseCode::NotFound,
            Some(ErrorWire::new(
                ErrorCode::NotFound,
                "no such dialogue",
                None,
            )),
        )
    };
    let dialogue = match state.registry.get(dialogue_id).await {
        Ok(Some(d)) => d,
        Ok(None) => return Err(not_found()),
        Err(e) => {
            tracing::error!(error = %e, "store error during hello");
            return Err(storage_unavailable());
        }
    };
    Ok(Session {
        actor,
        burst,
        ip,
        location: hello.location.map(Into::into).unwrap_or_default(),
        resume: hello.resume,
        dialogue,
        revocable,
        following: None,
    })
}

/// The store failed during `hello`: the client reconnects (`CloseCode::Restarting`).
fn storage_unavailable() -> Refused {
    let error = ErrorWire::new(ErrorCode::Unavailable, "storage is unavailable", None);
    (CloseCode::Restarting, Some(error))
}

/// A `hello` with `follow`: the published dialogue of that join code, read
/// only, by a follower nobody counts (the authorization table's `follow`; the
/// socket carries no credential, so its standing is a stranger's). A code
/// that finds nothing counts against the address as on the public page.
async fn by_code(
    state: &AppState,
    ip: std::net::IpAddr,
    code: &str,
    resume: Option<protocol::Position>,
) -> Result<Session, Refused> {
    use crate::domain::access::Standing;
    use crate::domain::authorize::{Action, may};
    let refused = |code: CloseCode, error: ErrorCode, message: &str| {
        (code, Some(ErrorWire::new(error, message, None)))
    };
    if !may(Standing::Stranger, Action::Follow) {
        let message = "following needs a part in the dialogue";
        return Err(refused(
            CloseCode::Unauthorized,
            ErrorCode::Unauthorized,
            message,
        ));
    }
    let found = super::join_code::find(state, ip, code).await;
    let dialogue = found.map_err(|e| match e.code() {
        ErrorCode::NotFound => refused(CloseCode::NotFound, e.code(), "no dialogue with that code"),
        ErrorCode::RateLimited => (CloseCode::RateLimited, Some(e.0)),
        _ => (CloseCode::Restarting, Some(e.0)),
    })?;
    // The public read model says whether it is published: a draft's code is a miss.
    let published = dialogue.published().await.ok_or_else(|| {
        let message = "the dialogue is restarting; reconnect";
        refused(CloseCode::Restarting, ErrorCode::Unavailable, message)
    })?;
    if published.phase == crate::domain::Phase::Draft {
        super::join_code::missed(state, ip);
        return Err(refused(
            CloseCode::NotFound,
            ErrorCode::NotFound,
            "no dialogue with that code",
        ));
    }
    let Some(following) = state.limits.follow(ip) else {
        super::join_code::refused_join(state, "followers_per_ip").await;
        let message = "too many followers from this address; close one first";
        return Err(refused(
            CloseCode::RateLimited,
            ErrorCode::RateLimited,
            message,
        ));
    };
    Ok(Session {
        actor: Actor::Follower(uuid::Uuid::new_v4()),
        burst: false,
        ip,
        location: Location::Remote,
        resume,
        dialogue,
        revocable: None,
        following: Some(following),
    })
}

/// A `hello` with a ticket: the session behind it, and what it gives in the
/// dialogue the ticket is for (the authorization table says, not the ticket).
async fn by_ticket(
    state: &AppState,
    ticket: &str,
    asked: Option<uuid::Uuid>,
) -> Result<(Actor, uuid::Uuid, Option<crate::store::SessionRecord>), Refused> {
    let refused = |message: &str| {
        (
            CloseCode::Unauthorized,
            Some(ErrorWire::new(ErrorCode::Unauthorized, message, None)),
        )
    };
    let unavailable = |_| storage_unavailable();
    let Some((principal, session, dialogue)) = crate::identity::redeem_ticket(state, ticket)
        .await
        .map_err(unavailable)?
    else {
        return Err(refused("the ticket is unknown, used or expired"));
    };
    if asked.is_some_and(|a| a != dialogue) {
        return Err(refused("the ticket is for another dialogue"));
    }
    let standing = crate::identity::standing_in(state, &principal, dialogue)
        .await
        .map_err(unavailable)?;
    let actor = standing
        .actor(principal.id())
        .ok_or_else(|| refused("you have no part in this dialogue"))?;
    Ok((actor, dialogue, Some(session)))
}
