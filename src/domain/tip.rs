//! Private tips: what a participant sends to the panel privately instead of to
//! the public queue, and the signals that make a moderator move a question there.
//!
//! A tip is seen by staff (moderators, organizers) and by panelists of the kinds
//! the organizer allowed (e.g. the police); never by participants, the venue screen,
//! the public record or an export.

use super::dialogue::{Decision, Dialogue};
use super::event::{Event, Recorded};
use super::question::QuestionId;
use super::question::QuestionStatus;
use super::text::{DisplayName, QuestionText, normalize};
use super::{Actor, Timestamp};

/// Per-dialogue tip number, 1, 2, 3…
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TipId(pub u64);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tip {
    pub id: TipId,
    pub author: Actor,
    pub text: QuestionText,
    pub display_name: Option<DisplayName>,
    pub at: Timestamp,
    /// The pending question a moderator moved here, if it came that way.
    pub from_question: Option<QuestionId>,
    /// The text holds a phrase of the danger list.
    pub danger: bool,
}

/// Phrases that signal immediate danger (configurable per deployment). Matched
/// case-insensitively on normalised text, as whole words or word sequences.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DangerPhrases(Vec<String>);

impl DangerPhrases {
    pub fn new<S: AsRef<str>>(phrases: impl IntoIterator<Item = S>) -> DangerPhrases {
        DangerPhrases(
            phrases
                .into_iter()
                .map(|p| words(&normalize(p.as_ref())))
                .filter(|p| !p.is_empty())
                .collect(),
        )
    }

    /// Whether `text` holds one of the phrases.
    pub fn matches(&self, text: &str) -> bool {
        if self.0.is_empty() {
            return false;
        }
        let padded = format!(" {} ", words(text));
        self.0.iter().any(|p| padded.contains(&format!(" {p} ")))
    }
}

/// Lower-case words separated by single spaces; punctuation is a separator.
fn words(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Why the guard suggests moving a question to the private channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrivateSignal {
    /// It reads like a report of a specific crime ("jag såg … stjäla", "inbrott hos …").
    CrimeReport,
    /// It names a person ("Kalle Svensson"): a first and last name in the middle of a sentence.
    NamedPerson,
}

impl PrivateSignal {
    pub fn code(self) -> &'static str {
        match self {
            PrivateSignal::CrimeReport => "crime_report",
            PrivateSignal::NamedPerson => "named_person",
        }
    }
}

/// Word stems that, in a question, usually describe a crime that happened. The
/// guard only suggests; the moderator decides.
const CRIME_STEMS: &[&str] = &[
    "stal",
    "stulit",
    "stjäl",
    "inbrott",
    "rånade",
    "rånad",
    "misshandla",
    "slog ner",
    "knivhögg",
    "sköt",
    "hotade",
    "langar",
    "säljer knark",
    "säljer narkotika",
    "droghandel",
    "klottrade",
    "vandaliserade",
    "tände eld",
    "anmäla",
    "polisanmäla",
    "stole",
    "robbed",
    "burglary",
    "assaulted",
    "dealing drugs",
    "threatened",
];

/// Capitalised words that start many sentences or are places, not people.
const NOT_NAMES: &[&str] = &[
    "Jag",
    "Vi",
    "Det",
    "Den",
    "Varför",
    "Hur",
    "När",
    "Var",
    "Vad",
    "Kan",
    "Kommer",
    "Finns",
    "Polisen",
    "Kommunen",
    "Stockholm",
    "Stockholms",
    "Sverige",
    "Hej",
    "The",
    "I",
    "We",
];

/// What in `text` suggests it belongs in the private channel.
pub fn private_signals(text: &str) -> Vec<PrivateSignal> {
    let mut signals = Vec::new();
    let lower = format!(" {} ", words(text));
    if CRIME_STEMS
        .iter()
        .any(|stem| lower.contains(&format!(" {stem}")))
    {
        signals.push(PrivateSignal::CrimeReport);
    }
    if names_a_person(text) {
        signals.push(PrivateSignal::NamedPerson);
    }
    signals
}

/// Two capitalised words in a row ("Kalle Svensson"), the first not starting a sentence.
fn names_a_person(text: &str) -> bool {
    let mut sentence_start = true;
    let mut previous_capital = false;
    for raw in text.split_whitespace() {
        let word = raw.trim_matches(|c: char| !c.is_alphanumeric());
        let capital = word.chars().next().is_some_and(char::is_uppercase)
            && word.chars().skip(1).all(char::is_lowercase)
            && word.chars().count() > 1
            && !NOT_NAMES.contains(&word);
        if capital && previous_capital {
            return true;
        }
        previous_capital = capital && !sentence_start;
        sentence_start = raw.ends_with(['.', '?', '!']);
    }
    false
}

impl Dialogue {
    pub(crate) fn next_tip_id(&self) -> TipId {
        TipId(self.tips.keys().next_back().map_or(1, |t| t.0 + 1))
    }

    pub(crate) fn send_tip(
        &self,
        text: QuestionText,
        display_name: Option<DisplayName>,
    ) -> Decision {
        Decision::event(Event::TipSent {
            tip: self.next_tip_id(),
            text,
            display_name,
        })
    }

    /// Whether this actor receives private tips: staff, and panelists of an allowed kind.
    pub fn reads_tips(&self, actor: &Actor) -> bool {
        match actor {
            Actor::Organizer(_) | Actor::Moderator(_) => true,
            Actor::Panelist(id) => self
                .panelists
                .iter()
                .any(|p| p.id == *id && self.tip_recipients.contains(&p.kind)),
            Actor::Participant(_) | Actor::Screen(_) | Actor::Follower(_) => false,
        }
    }

    pub(crate) fn apply_tip(&mut self, rec: &Recorded) {
        match &rec.event {
            Event::TipSent {
                tip,
                text,
                display_name,
            } => {
                let danger = self.danger.matches(text.expose());
                self.tips.insert(
                    *tip,
                    Tip {
                        id: *tip,
                        author: rec.by,
                        text: text.clone(),
                        display_name: display_name.clone(),
                        at: rec.at,
                        from_question: None,
                        danger,
                    },
                );
            }
            Event::QuestionMovedToPrivate { question, tip } => {
                let Some(q) = self.questions.get(question) else {
                    return;
                };
                // The author's own words go to the private channel.
                let tip_value = Tip {
                    id: *tip,
                    author: q.author,
                    text: q.original.clone().unwrap_or_else(|| q.text.clone()),
                    display_name: q.display_name.clone(),
                    at: rec.at,
                    from_question: Some(*question),
                    danger: q.danger,
                };
                self.tips.insert(*tip, tip_value);
                self.set_status(*question, QuestionStatus::MovedToPrivate);
                self.leave_queue(*question);
            }
            Event::TipRecipientsSet { kinds } => self.tip_recipients = kinds.clone(),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn danger_phrases_match_whole_words_in_any_case() {
        let d = DangerPhrases::new(["han har en kniv", "hjälp", "bomb"]);
        assert!(d.matches("HJÄLP! Någon är här"));
        assert!(d.matches("Det står en man, han har en kniv."));
        assert!(!d.matches("Bombastiska planer för parken"));
        assert!(!DangerPhrases::default().matches("hjälp"));
    }

    #[test]
    fn crime_reports_and_names_are_signalled() {
        assert_eq!(
            private_signals("Jag såg grannen som stal cyklar i går"),
            vec![PrivateSignal::CrimeReport]
        );
        assert_eq!(
            private_signals("Vet ni att Kalle Svensson är skyldig?"),
            vec![PrivateSignal::NamedPerson]
        );
        assert!(private_signals("Varför är parken så mörk på kvällen?").is_empty());
        assert!(private_signals("Hur gör Stockholms stad med belysningen?").is_empty());
    }
}
