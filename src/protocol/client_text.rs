//! The texts clients send, validated: the plain texts around questions (posts,
//! answers, follow-ups), poll texts, question texts and display names.

use super::ClientMsgId;
use super::DecodeError;
use super::ErrorCode;
use crate::domain::poll::MAX_POLL_TEXT_CHARS;
use crate::domain::text::{self, DisplayName, QuestionText, TextError};
use crate::domain::{PostData, Series};

/// Limits of the plain texts around questions, in characters after normalisation.
pub const POST_MAX_CHARS: usize = 1000;
pub const SOURCE_MAX_CHARS: usize = 200;
pub const ANSWER_MAX_CHARS: usize = 4000;
pub const OWNER_MAX_CHARS: usize = 200;
pub const OUTCOME_MAX_CHARS: usize = 2000;
/// A posted data series: a few columns of a few dozen rows fit well within this.
pub const CSV_MAX_BYTES: usize = 20_000;

/// Normalised text of 1 to `max` characters, or a message naming the field.
pub fn plain_text(raw: &str, max: usize, field: &str) -> Result<String, String> {
    let text = crate::domain::text::normalize(raw);
    let n = text.chars().count();
    if n == 0 || n > max {
        return Err(format!("{field} must be 1 to {max} characters"));
    }
    Ok(text)
}

/// A post's data series and its source, checked: `bad_csv` with the row and
/// column for a CSV that is no series, `bad_request` for the source.
pub fn post_data(data: &super::rest::SeriesBody) -> Result<PostData, (ErrorCode, String)> {
    if data.csv.len() > CSV_MAX_BYTES {
        let message = format!("the CSV is over {CSV_MAX_BYTES} bytes");
        return Err((ErrorCode::BadCsv, message));
    }
    let series = Series::parse(&data.csv).map_err(|e| (ErrorCode::BadCsv, e.to_string()))?;
    let source = plain_text(&data.source, SOURCE_MAX_CHARS, "data.source")
        .map_err(|m| (ErrorCode::BadRequest, m))?;
    Ok(PostData { series, source })
}

/// An optional http(s) link of at most 500 characters.
pub fn link(raw: Option<&str>) -> Result<Option<String>, String> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(l)
            if (l.starts_with("https://") || l.starts_with("http://"))
                && l.len() <= 500
                && !l.chars().any(char::is_whitespace) =>
        {
            Ok(Some(l.to_string()))
        }
        Some(_) => Err("link must be an http(s) URL of at most 500 characters".into()),
    }
}

/// A due date, `YYYY-MM-DD`.
pub fn due_date(raw: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| "due must be a date, YYYY-MM-DD".to_string())
}

/// A poll's question or option: normalised, on one line, 1 to 200 characters.
pub(super) fn poll_text(raw: &str, id: &ClientMsgId) -> Result<String, DecodeError> {
    let one_line = text::normalize(raw)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let n = one_line.chars().count();
    if n == 0 || n > MAX_POLL_TEXT_CHARS {
        return Err(DecodeError::bad_request(
            format!("poll texts are 1 to {MAX_POLL_TEXT_CHARS} characters"),
            id,
        ));
    }
    Ok(one_line)
}

pub(super) fn parse_display_name(
    raw: Option<&str>,
    id: &ClientMsgId,
) -> Result<Option<DisplayName>, DecodeError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(name) => DisplayName::parse(name)
            .map(Some)
            .map_err(|e| text_error(e, id)),
    }
}

pub(super) fn question_text(
    raw: &str,
    max_chars: usize,
    id: &ClientMsgId,
) -> Result<QuestionText, DecodeError> {
    QuestionText::parse(raw, max_chars).map_err(|e| text_error(e, id))
}

pub(super) fn text_error(e: TextError, id: &ClientMsgId) -> DecodeError {
    DecodeError::bad_request(e.to_string(), id)
}
