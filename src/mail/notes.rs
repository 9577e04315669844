//! Which notes a subscribed question calls for, and their words. Pure: the
//! dialogue's state comes in, the changes due come out.
//!
//! A question gets one note when its fate is final (answered live or in
//! writing, a follow-up promised, merged, not reached at the close, rejected
//! with a reason, moved to the private channel, hidden), one when the follow-up
//! it led to is done (its outcome recorded), and, for a walk's observation, one
//! for every change of status of an action it led to. Each is keyed by the
//! change, so seeing the same state again queues nothing.

use crate::domain::walk::Action;
use crate::domain::{Dialogue, Fate, QuestionId};
use crate::protocol::FateWire;
use crate::protocol::walk_report::action_status_wire;

/// The change a note tells of, as the outbox keys it.
pub const FATE: &str = "fate";
/// Not a change: the one message an address gets before it is confirmed,
/// queued when it is left (`MailStore::mail_subscribe`).
pub const CONFIRM: &str = "confirm";
pub const FOLLOW_UP_DONE: &str = "follow_up_done";
/// An action's change of status: `action:{action}:{line of its history}`.
const ACTION: &str = "action:";

/// One note due: what changed (the outbox's key), what it came to (a fate's
/// code, or an action's new status), and whether nothing can follow it, so
/// the address goes once it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub change: String,
    pub outcome: &'static str,
    pub last: bool,
}

/// Whether a note on the change ends what a subscription can lead to: the
/// follow-up done, or a fate after which nothing more comes.
pub fn ends_subscription(change: &str, outcome: &str) -> bool {
    change == FOLLOW_UP_DONE
        || (change == FATE && matches!(outcome, "rejected" | "moved_to_private" | "merged"))
}

/// Whether a note tells of an action's change of status.
pub fn is_action(change: &str) -> bool {
    change.starts_with(ACTION)
}

/// Every note the question's state calls for by now. `None` when the question
/// is not (or no longer) in the dialogue.
pub fn due(d: &Dialogue, question: u64) -> Option<Vec<Due>> {
    let id = QuestionId(question);
    let q = d.questions.get(&id)?;
    let fate = d.fate(q);
    let code = FateWire::from(fate).code();
    let mut out = Vec::new();
    let mut push = |change: String, outcome: &'static str, last: bool| {
        out.push(Due {
            change,
            outcome,
            last,
        })
    };
    if !matches!(fate, Fate::Pending | Fate::Queued) {
        push(FATE.into(), code, ends_subscription(FATE, code));
    }
    if q.follow_up.as_ref().is_some_and(|f| f.done_at.is_some()) {
        push(FOLLOW_UP_DONE.into(), code, true);
    }
    let actions: Vec<&Action> = d
        .walk
        .iter()
        .flat_map(|w| w.actions.values())
        .filter(|a| a.observations.contains(&id))
        .collect();
    // The change that closed the last open action ends the subscription.
    let all_closed = actions.iter().all(|a| a.status().is_closed());
    let closing = actions
        .iter()
        .map(|a| (a.updated_at(), a.id, a.history.len() - 1))
        .max();
    for a in &actions {
        // The first line is the action made (`reported`): not a change of status.
        for (line, change) in a.history.iter().enumerate().skip(1) {
            let last = all_closed && closing == Some((change.at, a.id, line));
            push(
                format!("{ACTION}{}:{line}", a.id.0),
                action_status_wire(change.status),
                last && change.status.is_closed(),
            );
        }
    }
    Some(out)
}

/// One note's words, Swedish first, then English.
pub struct Note {
    pub subject: String,
    pub body: String,
}

/// Where the note points: the receipt page, the single-use unsubscribe link,
/// and in a confirmation the single-use confirm link.
pub struct Links<'a> {
    pub public_url: &'a str,
    pub receipt: &'a str,
    pub unsubscribe_token: &'a str,
    pub confirm_token: Option<&'a str>,
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
    let q = |en: bool| if en { "?lang=en" } else { "" };
    if let Some(token) = links.confirm_token {
        let confirm = format!("{base}/c/{token}");
        let part = |en: bool| {
            let q = q(en);
            format!(
                "{}\n\n{}\n{confirm}{q}\n\n{}\n{receipt}{q}\n\n{}\n{stop}{q}\n",
                text(en, "mail_hello"),
                text(en, "mail_confirm_ask").replace("{title}", title),
                text(en, "mail_confirm_receipt"),
                text(en, "mail_confirm_not_you"),
            )
        };
        return Note {
            subject: format!(
                "{} / {}",
                text(false, "mail_subject_confirm"),
                text(true, "mail_subject_confirm")
            ),
            body: format!("{}\n-- \n\n{}", part(false), part(true)),
        };
    }
    let part = |en: bool| {
        let what = if change == FOLLOW_UP_DONE {
            text(en, "mail_follow_up_done").to_string()
        } else if is_action(change) {
            text(en, "mail_action_status")
                .replace("{status}", text(en, &format!("rec_walk_status_{fate}")))
        } else {
            text(en, "mail_fate").replace("{fate}", text(en, &format!("rec_fate_{fate}")))
        };
        let q = q(en);
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
    } else if is_action(change) {
        "mail_subject_action"
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
            confirm_token: None,
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
        let action = compose("action:2:1", "in_progress", "T", &links, words);
        assert_eq!(
            action.subject,
            "Ny status för åtgärden efter din iakttagelse / New status for the action on your observation"
        );
        assert!(
            action
                .body
                .contains("ledde till har fått ny status: Pågår.")
        );
        assert!(
            action
                .body
                .contains("led to has a new status: In progress.")
        );
        assert!(is_action("action:2:1") && !is_action(FATE));
        let asking = Links {
            confirm_token: Some("cd34"),
            ..links
        };
        let confirmation = compose(CONFIRM, "", "T", &asking, words);
        assert_eq!(
            confirmation.subject,
            "Bekräfta att du vill ha brev om din fråga / Confirm that you want notes about your question"
        );
        let body = &confirmation.body;
        let link = |path: &str| body.find(path).unwrap_or_else(|| panic!("{path}: {body}"));
        assert!(link("https://dialog.example.se/c/cd34\n") < link("/c/cd34?lang=en\n"));
        link("https://dialog.example.se/r/RQ4C78-PZ3WQ8NDKE\n");
        link("https://dialog.example.se/u/ab12?lang=en\n");
        assert!(ends_subscription(FOLLOW_UP_DONE, "follow_up"));
        assert!(ends_subscription(FATE, "merged") && !ends_subscription(FATE, "answered_live"));
    }
}
