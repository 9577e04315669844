//! The room code the venue screen shows (`room_code`), for the screen and staff.

use serde::Serialize;

/// The code a participant in the room types to be counted as present
/// (`enter_room`). It changes every `period_secs`; the one before stays valid
/// for a grace period after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoomCodeWire {
    pub code: String,
    /// When the next code replaces it (ms since the epoch).
    pub valid_until: i64,
    pub period_secs: u64,
}
