//! The record's exports (JSON is in `mod.rs`; CSV here) and the calendar files,
//! for the public and for each invited panelist or moderator.

use super::lang::Lang;
use super::{download, read_published, restarting};
use crate::domain::authorize::Action;
use crate::domain::{Dialogue, Phase, Role};
use crate::identity::{Caller, authorize};
use crate::protocol::ErrorCode;
use crate::protocol::public_record;
use crate::transport::rest::public_url;
use crate::transport::{ApiError, AppState};
use axum::extract::{ConnectInfo, Path, State};
use axum::response::Response;
use std::net::SocketAddr;
use uuid::Uuid;

/// The record's questions, one row each, for spreadsheets.
pub fn record_csv_text(d: &Dialogue) -> String {
    let rec = public_record::record(d);
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "question_id",
        "asked_at",
        "origin",
        "display_name",
        "text",
        "votes",
        "votes_burst",
        "fate",
        "written_answer",
        "follow_up_owner",
        "follow_up_due",
        "follow_up_outcome",
        "attendance_verified",
        "attendance_in_room",
        "attendance_remote",
    ]);
    // The dialogue's attendance on every row (empty until it closed), counted
    // apart as the page and record.json count it: whoever typed the room code,
    // the most in the room on their word alone, and the most following remotely.
    let attendance = rec
        .figures
        .attendance
        .map_or([const { String::new() }; 3], |a| {
            [a.verified, a.in_room, a.remote].map(|n| n.to_string())
        });
    for q in &rec.questions {
        let asked = chrono::DateTime::from_timestamp_millis(q.asked_at)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        let origin = if q.origin == crate::protocol::OriginWire::InRoom {
            "in_room"
        } else {
            "remote"
        };
        let f = q.follow_up.as_ref();
        let id = q.id.to_string();
        let row = [
            id.as_str(),
            &asked,
            origin,
            q.display_name.unwrap_or(""),
            q.text,
            &q.votes.to_string(),
            &q.burst_votes.to_string(),
            q.fate.code(),
            q.answer.unwrap_or(""),
            f.map_or("", |f| f.owner),
            &f.map(|f| f.due.to_string()).unwrap_or_default(),
            f.and_then(|f| f.outcome).unwrap_or(""),
            &attendance[0],
            &attendance[1],
            &attendance[2],
        ];
        let _ = w.write_record(
            row.map(crate::transport::safe_text::csv_cell)
                .iter()
                .map(|c| c.as_ref()),
        );
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// `/d/{code}/record.csv`.
pub async fn record_csv(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let (code, body) = read_published(&state, peer, &code, record_csv_text).await?;
    Ok(download(body, "text/csv", &format!("{code}.csv")))
}

/// An RFC 5545 calendar with the meeting. The UID stays the dialogue's; SEQUENCE
/// grows when the time or place changes, so calendars update the entry.
pub fn calendar(d: &Dialogue, link: &str, note: &str) -> Option<String> {
    let event = calendar_event(d, link, note)?;
    let mut cal = icalendar::Calendar::new();
    cal.append_property(ics_property("NAME", &d.info.title))
        .append_property(ics_property("X-WR-CALNAME", &d.info.title))
        .push(event);
    Some(cal.done().to_string())
}

use crate::transport::safe_text::{ics_property, ics_text};

/// The meeting as one calendar entry (none without a start time), for a file of
/// its own or the district's calendar.
pub fn calendar_event(d: &Dialogue, link: &str, note: &str) -> Option<icalendar::Event> {
    use icalendar::{Component, EventLike};
    let start = chrono::DateTime::from_timestamp_millis(d.info.starts_at?)?;
    let end = d
        .info
        .ends_at
        .and_then(chrono::DateTime::from_timestamp_millis)
        .unwrap_or(start + chrono::Duration::hours(2));
    let location = [d.info.venue.as_str(), d.info.address.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    let mut description = String::new();
    if !d.info.purpose.is_empty() {
        description.push_str(&d.info.purpose);
        description.push_str("\n\n");
    }
    description.push_str(note);
    description.push('\n');
    description.push_str(link);
    // Every text is cleaned (ics_text) before the crate escapes it; the title
    // also names the calendar, a property the crate would write raw.
    let mut event = icalendar::Event::new();
    event
        .uid(&format!("{}@dialoghub", d.id))
        .summary(&ics_text(&d.info.title))
        .description(&ics_text(&description))
        .location(&ics_text(&location))
        .url(&ics_text(link))
        .starts(start)
        .ends(end)
        .sequence(d.schedule_sequence)
        .timestamp(chrono::Utc::now());
    if d.phase == Phase::Closed {
        event.status(icalendar::EventStatus::Confirmed);
    }
    Some(event.done())
}

fn ics(body: Option<String>, code: &str) -> Result<Response, ApiError> {
    let body = body.ok_or_else(|| {
        ApiError::new(
            ErrorCode::NotFound,
            "the dialogue has no start time yet, so no calendar file",
        )
    })?;
    Ok(download(body, "text/calendar", &format!("{code}.ics")))
}

/// `/d/{code}/calendar.ics`: for the public, with the page's link.
pub async fn public_calendar(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let base = public_url(&state).to_string();
    let (code, body) = read_published(&state, peer, &code, move |d| {
        let link = format!("{base}/d/{}", d.code);
        calendar(d, &link, Lang::Sv.t("rec_ics_public"))
    })
    .await?;
    ics(body, &code)
}

/// `/api/dialogues/{id}/invitees/{person}/calendar.ics` (organizer): for one
/// panelist or moderator. It links to their page, which asks them to use their
/// invitation or sign in: a calendar file is copied and forwarded, so it carries
/// no credential.
pub async fn invitee_calendar(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, person)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    authorize(&state, &caller, id, Action::InviteeCalendar).await?;
    let handle = state
        .registry
        .get(id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such dialogue"))?;
    let role = handle
        .read(move |d| {
            if d.panelists.iter().any(|p| p.id == person) {
                Some(Role::Panelist)
            } else if d.moderators.iter().any(|m| m.id == person) {
                Some(Role::Moderator)
            } else {
                None
            }
        })
        .await
        .ok_or_else(restarting)?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such panelist or moderator"))?;
    let page = if role == Role::Panelist {
        "panel"
    } else {
        "moderate"
    };
    let link = format!("{}/{page}?dialogue={id}", public_url(&state));
    let body = handle
        .read(move |d| calendar(d, &link, Lang::Sv.t("rec_ics_invitee")))
        .await
        .ok_or_else(restarting)?;
    ics(body, &handle.code)
}
