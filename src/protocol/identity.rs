//! The shapes of staff identity over REST: the session, WebSocket tickets,
//! staff and invitations. Handlers live in `identity/`.

use crate::domain::access::{Grant, InviteeRole};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `GET /api/session`: who the session cookie signs in, and its CSRF token.
#[derive(Debug, Clone, Serialize)]
pub struct SessionWire {
    pub staff: Option<StaffWire>,
    pub invitee: Option<InviteeWire>,
    /// Send as `X-CSRF-Token` with every non-GET request of this session.
    pub csrf: String,
}

/// A staff member and their roles per district (`"*"`: the whole municipality).
#[derive(Debug, Clone, Serialize)]
pub struct StaffWire {
    pub id: Uuid,
    pub name: String,
    pub grants: Vec<GrantWire>,
}

/// One role in one district.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantWire {
    pub district: String,
    /// `admin`, `organizer` or `moderator`.
    pub role: String,
}

impl From<&Grant> for GrantWire {
    fn from(g: &Grant) -> Self {
        GrantWire {
            district: g.district.as_str().to_string(),
            role: g.role.as_str().to_string(),
        }
    }
}

/// Someone invited to one dialogue.
#[derive(Debug, Clone, Serialize)]
pub struct InviteeWire {
    pub id: Uuid,
    pub dialogue_id: Uuid,
    /// `panelist`, `screen` or `moderator`.
    pub role: &'static str,
}

impl InviteeWire {
    pub fn new(id: Uuid, dialogue_id: Uuid, role: InviteeRole) -> InviteeWire {
        InviteeWire {
            id,
            dialogue_id,
            role: role.as_str(),
        }
    }
}

/// `POST /api/ws-ticket`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketBody {
    pub dialogue_id: Uuid,
}

/// A single-use ticket for the WebSocket's `hello`.
#[derive(Debug, Clone, Serialize)]
pub struct TicketWire {
    pub ticket: String,
    /// Seconds it stays usable.
    pub expires_in: i64,
}

/// `POST /api/staff`: an admin invites a colleague.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffInviteBody {
    pub name: String,
    pub grants: Vec<GrantWire>,
}

/// `GET /api/staff?district=…`: whose staff to list (without it: every
/// district the caller administers).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffQuery {
    pub district: Option<String>,
}

/// `GET /api/staff`: the staff of the districts asked for and their roles.
#[derive(Debug, Clone, Serialize)]
pub struct StaffListWire {
    pub staff: Vec<StaffWire>,
}

/// A single-use link, for the inviter to pass on (it signs in whoever opens it first).
#[derive(Debug, Clone, Serialize)]
pub struct LinkWire {
    pub id: Uuid,
    pub link: String,
    /// Seconds it stays usable.
    pub expires_in: i64,
}
