//! Which notes a subscribed question calls for, and their words. Pure: the
//! dialogue's state comes in, the changes due come out.
//!
//! A question gets at most two notes: one when its fate is final (answered live
//! or in writing, a follow-up promised, merged, not reached at the close,
//! rejected with a reason, moved to the private channel, hidden), and one when
//! the follow-up it led to is done (its outcome recorded). Each is keyed by the
//! change, so seeing the same state again queues nothing.

use crate::domain::{Dialogue, Fate, QuestionId};
use crate::protocol::FateWire;

/// The change a note tells of, as the outbox keys it.
pub const FATE: &str = "fate";
pub const FOLLOW_UP_DONE: &str = "follow_up_done";

/// What a question's state calls for: `(change, fate code)` for every note due
/// by now. `None` when the question is not (or no longer) in the dialogue.
pub fn due(d: &Dialogue, question: u64) -> Option<Vec<(&'static str, &'static str)>> {
    let q = d.questions.get(&QuestionId(question))?;
    let fate = q.fate(d.phase);
    let code = FateWire::from(fate).code();
    let mut out = Vec::new();
    if !matches!(fate, Fate::Pending | Fate::Queued) {
        out.push((FATE, code));
    }
    if q.follow_up.as_ref().is_some_and(|f| f.done_at.is_some()) {
        out.push((FOLLOW_UP_DONE, code));
    }
    Some(out)
}

/// One note's words, Swedish first, then English.
pub struct Note {
    pub subject: String,
    pub body: String,
}

/// Where the note points: the receipt page and the single-use unsubscribe link.
pub struct Links<'a> {
    pub public_url: &'a str,
    pub receipt: &'a str,
    pub unsubscribe_token: &'a str,
}

/// The words of a note. `text(en, key)` looks a string up in the pages' locale
/// files, so the fates read as they do on the receipt page.
pub fn compose(
    change: &str,
    fate: &str,
    title: &str,
    links: &Links<'_>,
    text: impl Fn(bool, &str) -> &'static str,
) -> Note {
    let base = links.public_url.trim_end_matches('/');
    let receipt = format!("{base}/r/{}", links.receipt);
    let stop = format!("{base}/u/{}", links.unsubscribe_token);
    let part = |en: bool| {
        let what = if change == FOLLOW_UP_DONE {
            text(en, "mail_follow_up_done").to_string()
        } else {
            text(en, "mail_fate").replace("{fate}", text(en, &format!("rec_fate_{fate}")))
        };
        let q = if en { "?lang=en" } else { "" };
        format!(
            "{}\n\n{}\n\n{}\n{receipt}{q}\n\n{}\n{stop}{q}\n",
            text(en, "mail_hello"),
            what.replace("{title}", title),
            text(en, "mail_read_more"),
            text(en, "mail_why_and_stop"),
        )
    };
    let subject_key = if change == FOLLOW_UP_DONE {
        "mail_subject_follow_up"
    } else {
        "mail_subject_fate"
    };
    Note {
        subject: format!("{} / {}", text(false, subject_key), text(true, subject_key)),
        body: format!("{}\n-- \n\n{}", part(false), part(true)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(en: bool, key: &str) -> &'static str {
        crate::transport::locale_text(en, key)
    }

    #[test]
    fn a_note_is_swedish_first_with_the_receipt_and_the_unsubscribe_link() {
        let links = Links {
            public_url: "https://dialog.example.se/",
            receipt: "RQ4C78-PZ3WQ8NDKE",
            unsubscribe_token: "ab12",
        };
        let note = compose(
            FATE,
            "answered_live",
            "Trygghetsdialog Hägersten",
            &links,
            words,
        );
        assert_eq!(
            note.subject,
            "Besked om din fråga / News about your question"
        );
        let sv = note
            .body
            .find("Besvarad på mötet")
            .expect("the fate in Swedish");
        let en = note
            .body
            .find("Answered at the meeting")
            .expect("and in English");
        assert!(sv < en);
        assert!(note.body.contains("Trygghetsdialog Hägersten"));
        assert!(
            note.body
                .contains("https://dialog.example.se/r/RQ4C78-PZ3WQ8NDKE\n")
        );
        assert!(
            note.body
                .contains("https://dialog.example.se/u/ab12?lang=en\n")
        );
        let done = compose(FOLLOW_UP_DONE, "follow_up", "T", &links, words);
        assert!(
            done.body
                .contains("Uppföljningen som din fråga i T ledde till är klar.")
        );
    }
}
