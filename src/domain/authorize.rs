//! THE one table of who may do what, for REST and WebSocket alike.
//!
//! A request is an [`Action`]; who asks is a [`Standing`] towards the dialogue
//! (or the district) it concerns, worked out by `access::standing`. `may` is one
//! exhaustive `match` with no default arm: a new action does not compile until
//! its row is written. A WebSocket command's row is the command's own row in
//! `rights` (the roles, and the phases in which they may), so the two never
//! disagree. `docs/protocol.md` prints this table (a test checks it is current).

use super::Role;
use super::access::Standing;
use super::command::Command;
use super::dialogue::rights;

/// What someone asks of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    /// `POST /api/dialogues` (in a district).
    CreateDialogue,
    /// `GET /api/dialogues`, `GET /api/overview` (the district's dialogues).
    ListDialogues,
    /// `POST /api/staff`, `GET /api/staff`, `DELETE /api/staff/{id}` (in a district).
    ManageStaff,
    /// `GET /api/dialogues/{id}`: the staff view, pending text included.
    ViewStaff,
    /// `PUT /api/dialogues/{id}/info`.
    SetInfo,
    /// `POST /api/dialogues/{id}/phase`.
    SetPhase,
    /// `POST /api/dialogues/{id}/panelists`, `…/moderators`, `…/screen`, and
    /// `POST …/invitees/{person}/link` (a fresh link for a lost one).
    Invite,
    /// `DELETE /api/dialogues/{id}/people/{person}`: takes a panelist, moderator
    /// or screen off the dialogue and ends their sessions.
    RemovePerson,
    /// `POST /api/dialogues/{id}/posts`.
    PostInfo,
    /// `POST /api/dialogues/{id}/questions/{q}/outcome`.
    RecordOutcome,
    /// `POST /api/districts/{district}/posts` (in a district): an information
    /// post, with a data series, on the district's page.
    PostDistrictInfo,
    /// `GET /api/dialogues/{id}/audit`.
    ExportAudit,
    /// `POST /api/dialogues/{id}/erasures`.
    Erase,
    /// `PUT /api/dialogues/{id}/tip-recipients`.
    SetTipRecipients,
    /// `GET /api/dialogues/{id}/invitees/{person}/calendar.ics`.
    InviteeCalendar,
    /// `POST /api/ws-ticket`: a socket to the dialogue.
    OpenSocket,
    /// `read_pending` over the WebSocket: a page of the moderator's queue.
    ReadPending,
    /// `room_code` over the WebSocket: the code the venue screen shows, which
    /// counts a participant who types it as in the room.
    SeeRoomCode,
    /// `POST /api/dialogues/{id}/photos`: a participant's photo for an observation.
    UploadPhoto,
    /// `GET /api/dialogues/{id}/photos/{photo}` and `POST …/photos/{photo}/preview`:
    /// a photo before it is published, and a blurred preview of it.
    ViewPhoto,
    /// `POST /api/dialogues/{id}/photos/{photo}/approve` and `…/reject`.
    ModeratePhoto,
    /// What the public reads: `GET /d/{code}` and its exports (the record, a walk's
    /// report, GeoJSON, Open311), published photos.
    ReadPublic,
    /// `hello` with `follow` (a join code) over the WebSocket: the dialogue's
    /// public events, live, without joining and without a credential.
    Follow,
    /// `POST /api/receipts/{receipt}/mail`, `DELETE …/mail` and the receipt page's
    /// `POST /r/{receipt}/mail`: leaving or withdrawing an address for e-mail notes
    /// on the receipt's question.
    ReceiptMail,
    /// `POST /u/{token}`: ending the e-mail notes whose note carried the token.
    Unsubscribe,
    /// `POST /c/{token}`: confirming the address whose confirmation message
    /// carried the token, before any note goes to it.
    ConfirmMail,
    /// A command over the WebSocket.
    Submit(&'a Command),
}

use Standing::*;

/// Those who run a district's dialogues.
const ORGANIZERS: &[Standing] = &[Organizer, DistrictAdmin, MunicipalityAdmin];
/// Staff who see a dialogue's pending questions.
const STAFF: &[Standing] = &[Moderator, Organizer, DistrictAdmin, MunicipalityAdmin];
/// Anyone, with or without a credential.
const EVERYONE: &[Standing] = &[
    Stranger,
    Participant,
    Screen,
    Panelist,
    Moderator,
    Organizer,
    DistrictAdmin,
    MunicipalityAdmin,
    Holder,
];
/// Those who manage a district's staff.
const ADMINS: &[Standing] = &[DistrictAdmin, MunicipalityAdmin];
/// Everyone with a part in the dialogue.
const ANY_PART: &[Standing] = &[
    Participant,
    Screen,
    Panelist,
    Moderator,
    Organizer,
    DistrictAdmin,
    MunicipalityAdmin,
];

/// The standings that may take `action` (for a command: the standings whose role
/// `rights` names; the phase rule is the dialogue's to apply).
pub fn allowed(action: Action<'_>) -> Vec<Standing> {
    let row: &[Standing] = match action {
        Action::CreateDialogue => ORGANIZERS,
        Action::ListDialogues => STAFF,
        Action::ManageStaff => ADMINS,
        Action::ViewStaff => STAFF,
        Action::SetInfo => ORGANIZERS,
        Action::SetPhase => ORGANIZERS,
        Action::Invite => ORGANIZERS,
        Action::RemovePerson => ORGANIZERS,
        Action::PostInfo => ORGANIZERS,
        Action::RecordOutcome => ORGANIZERS,
        Action::PostDistrictInfo => ORGANIZERS,
        Action::ExportAudit => ORGANIZERS,
        Action::Erase => ORGANIZERS,
        Action::SetTipRecipients => ORGANIZERS,
        Action::InviteeCalendar => ORGANIZERS,
        Action::OpenSocket => ANY_PART,
        Action::ReadPending => STAFF,
        // The screen shows it to the room; staff may read it out. Never participants.
        Action::SeeRoomCode => &[
            Screen,
            Moderator,
            Organizer,
            DistrictAdmin,
            MunicipalityAdmin,
        ],
        // An observation's photo comes from who observes (`observe`: participants).
        Action::UploadPhoto => &[Participant],
        Action::ViewPhoto => STAFF,
        Action::ModeratePhoto => STAFF,
        Action::ReadPublic => EVERYONE,
        // What the public page shows, as it happens: whoever may read the page.
        Action::Follow => EVERYONE,
        // Capabilities: the secret in the path is the credential, whoever sends it.
        Action::ReceiptMail => &[Holder],
        Action::Unsubscribe => &[Holder],
        Action::ConfirmMail => &[Holder],
        Action::Submit(cmd) => {
            let roles = rights(cmd).roles;
            return Standing::ALL
                .into_iter()
                .filter(|s| role_of(*s).is_some_and(|r| roles.contains(&r)))
                .collect();
        }
    };
    row.to_vec()
}

/// Whether someone of `standing` may take `action`.
pub fn may(standing: Standing, action: Action<'_>) -> bool {
    allowed(action).contains(&standing)
}

/// Whether a socket's role may take `action`: a socket knows its holder by the
/// role the dialogue's rules use (an organizer, district admin and municipality
/// admin all act as `organizer`), as for commands.
pub fn role_may(role: Role, action: Action<'_>) -> bool {
    allowed(action)
        .into_iter()
        .any(|s| role_of(s) == Some(role))
}

/// The role the dialogue's own rules know a standing by.
pub fn role_of(standing: Standing) -> Option<Role> {
    match standing {
        Stranger | Holder => None,
        Participant => Some(Role::Participant),
        Screen => Some(Role::Screen),
        Panelist => Some(Role::Panelist),
        Moderator => Some(Role::Moderator),
        Organizer | DistrictAdmin | MunicipalityAdmin => Some(Role::Organizer),
    }
}

/// Every action but commands with its name, for the printed table and the
/// matrix test (REST, and the WebSocket's `read_pending` and `room_code`).
pub const REST_ACTIONS: [(Action<'static>, &str); 26] = [
    (Action::CreateDialogue, "create_dialogue"),
    (Action::ListDialogues, "list_dialogues"),
    (Action::ManageStaff, "manage_staff"),
    (Action::ViewStaff, "view_staff"),
    (Action::SetInfo, "set_info"),
    (Action::SetPhase, "set_phase"),
    (Action::Invite, "invite"),
    (Action::RemovePerson, "remove_person"),
    (Action::PostInfo, "post_info"),
    (Action::RecordOutcome, "record_outcome"),
    (Action::PostDistrictInfo, "post_district_info"),
    (Action::ExportAudit, "export_audit"),
    (Action::Erase, "erase"),
    (Action::SetTipRecipients, "set_tip_recipients"),
    (Action::InviteeCalendar, "invitee_calendar"),
    (Action::OpenSocket, "open_socket"),
    (Action::ReadPending, "read_pending"),
    (Action::SeeRoomCode, "see_room_code"),
    (Action::UploadPhoto, "upload_photo"),
    (Action::ViewPhoto, "view_photo"),
    (Action::ModeratePhoto, "moderate_photo"),
    (Action::ReadPublic, "read_public"),
    (Action::Follow, "follow"),
    (Action::ReceiptMail, "receipt_mail"),
    (Action::Unsubscribe, "unsubscribe"),
    (Action::ConfirmMail, "confirm_mail"),
];

/// The name of an action, for security events.
pub fn name(action: Action<'_>) -> &'static str {
    match action {
        Action::Submit(_) => "submit",
        other => REST_ACTIONS
            .iter()
            .find(|(a, _)| *a == other)
            .map_or("unknown", |(_, n)| n),
    }
}

/// The table as Markdown: one row per REST action, one column per standing.
pub fn markdown() -> String {
    let mut out = String::from("| action |");
    for s in Standing::ALL {
        out.push_str(&format!(" {} |", s.as_str()));
    }
    out.push_str("\n|---|");
    for _ in Standing::ALL {
        out.push_str("---|");
    }
    out.push('\n');
    for (action, name) in REST_ACTIONS {
        out.push_str(&format!("| `{name}` |"));
        for s in Standing::ALL {
            out.push_str(if may(s, action) { " yes |" } else { " no |" });
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strangers_may_only_read_and_only_admins_manage_staff() {
        for (action, name) in REST_ACTIONS {
            assert_eq!(
                may(Stranger, action),
                matches!(action, Action::ReadPublic | Action::Follow),
                "{name}"
            );
        }
        assert!(!may(Participant, Action::ViewPhoto));
        assert!(may(Moderator, Action::ModeratePhoto));
        assert!(!may(Panelist, Action::ModeratePhoto));
        assert!(!may(Organizer, Action::ManageStaff));
        assert!(may(DistrictAdmin, Action::ManageStaff));
        assert!(!may(Moderator, Action::ExportAudit));
        assert!(may(Moderator, Action::ViewStaff));
        assert!(!may(Panelist, Action::ViewStaff));
        assert!(may(Screen, Action::SeeRoomCode));
        assert!(!may(Participant, Action::SeeRoomCode));
        assert!(!may(Panelist, Action::SeeRoomCode));
    }

    #[test]
    fn a_secret_in_a_link_is_a_capability_and_nothing_more() {
        for (action, name) in REST_ACTIONS {
            let capability = matches!(
                action,
                Action::ReceiptMail | Action::Unsubscribe | Action::ConfirmMail
            );
            assert_eq!(
                may(Holder, action),
                capability || matches!(action, Action::ReadPublic | Action::Follow),
                "{name}"
            );
            if capability {
                assert_eq!(allowed(action), [Holder], "{name}: the secret alone");
            }
        }
        assert!(!may(Holder, Action::Submit(&Command::OpenInvitation)));
    }

    #[test]
    fn a_command_row_is_its_rights_row() {
        let ask = Command::OpenInvitation;
        assert!(may(Moderator, Action::Submit(&ask)));
        assert!(may(Panelist, Action::Submit(&ask)));
        assert!(!may(Organizer, Action::Submit(&ask)));
        assert!(!may(Stranger, Action::Submit(&ask)));
    }
}
