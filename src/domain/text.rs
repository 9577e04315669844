//! Normalisation and validated wrappers for text that people type.
//!
//! Everything a participant writes passes through [`normalize`] before it is
//! stored, shown or scanned by the confidentiality guard, so that the guard and
//! the moderator see the same characters the public would.

use std::fmt;
use unicode_normalization::UnicodeNormalization;

/// Longest display name, in characters after normalisation.
pub const DISPLAY_NAME_MAX_CHARS: usize = 60;

/// Normalises user-entered text: Unicode NFKC, removes zero-width characters
/// (U+200B..U+200D, U+2060, U+FEFF) and bidi controls (U+202A..U+202E,
/// U+2066..U+2069, U+200E, U+200F, U+061C), removes other control characters
/// except '\n', turns "\r\n"/"\r" into "\n", collapses runs of spaces/tabs into
/// one space, trims each end, and collapses 3+ newlines to 2.
///
/// Spaces at the start and end of each line are trimmed too, so that a line of
/// blanks counts as an empty line. Unicode line terminators (U+0085, U+2028,
/// U+2029, vertical tab, form feed) become '\n' rather than vanishing, so that
/// they cannot glue two words together.
pub fn normalize(raw: &str) -> String {
    // Invisible and control characters go before NFKC so that they cannot sit
    // between a base letter and its combining mark and block composition (which
    // would make normalising twice give a different text).
    let visible: String = raw
        .chars()
        .filter(|&c| !(is_invisible(c) || is_stray_control(c)))
        .collect();
    let unified = unify_whitespace(visible.nfkc());
    collapse(&unified)
}

/// A control character that is not a line break or other whitespace.
fn is_stray_control(c: char) -> bool {
    c.is_control() && !c.is_whitespace()
}

/// Characters that render as nothing, so they can hide inside a personnummer
/// or reorder what the moderator sees. Soft hyphen, the Mongolian vowel
/// separator and the invisible math operators are included beyond the listed
/// ones because they are just as invisible.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
            | '\u{061C}'
            | '\u{00AD}'
            | '\u{180E}'
    )
}

/// Maps every line break to '\n' and every other whitespace to ' ', and drops
/// the remaining control characters.
fn unify_whitespace(chars: impl Iterator<Item = char>) -> String {
    let mut out = String::new();
    let mut chars = chars.peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                // "\r\n" is one break, not two.
                chars.next_if_eq(&'\n');
                out.push('\n');
            }
            '\n' | '\u{000B}' | '\u{000C}' | '\u{0085}' | '\u{2028}' | '\u{2029}' => out.push('\n'),
            c if c.is_whitespace() => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Collapses spaces within lines and blank lines between them.
fn collapse(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut breaks = 0usize;
    for line in text.split('\n') {
        let words: Vec<&str> = line.split(' ').filter(|w| !w.is_empty()).collect();
        if words.is_empty() {
            breaks += 1;
            continue;
        }
        if !out.is_empty() {
            // One blank line keeps a paragraph; more is only padding.
            let newlines = if breaks >= 1 { 2 } else { 1 };
            out.extend(std::iter::repeat_n('\n', newlines));
        }
        out.push_str(&words.join(" "));
        breaks = 0;
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("the text is empty")]
    Empty,
    #[error("the text is too long: {actual} characters, at most {max} allowed")]
    TooLong { max: usize, actual: usize },
}

/// Normalises `raw` and checks it holds 1..=`max_chars` characters.
fn checked(raw: &str, max_chars: usize) -> Result<String, TextError> {
    let text = normalize(raw);
    let actual = text.chars().count();
    if actual == 0 {
        Err(TextError::Empty)
    } else if actual > max_chars {
        Err(TextError::TooLong {
            max: max_chars,
            actual,
        })
    } else {
        Ok(text)
    }
}

/// A question's text, normalised, 1..=max chars (counted in Unicode scalar
/// values after normalisation).
///
/// Private by type: a pending question may hold personal data, so there is
/// no Display impl and Debug prints only the length; logging one by accident
/// leaks nothing. The only way to the text is [`QuestionText::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct QuestionText(String);

impl QuestionText {
    pub fn parse(raw: &str, max_chars: usize) -> Result<Self, TextError> {
        checked(raw, max_chars).map(QuestionText)
    }

    /// Wraps text without normalising or checking it. Only for text that
    /// was validated by [`QuestionText::parse`] before and is now read back
    /// from the store; never for anything a person just typed.
    pub fn from_trusted(s: String) -> Self {
        QuestionText(s)
    }

    /// The text itself; the name is a reminder that the caller decides who sees it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn char_len(&self) -> usize {
        self.0.chars().count()
    }
}

impl fmt::Debug for QuestionText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "QuestionText(len={})", self.char_len())
    }
}

/// An optional display name: normalised, at most [`DISPLAY_NAME_MAX_CHARS`]
/// characters, on one line (newlines become spaces).
///
/// Private by type like [`QuestionText`]: a name is personal data, so Debug
/// prints only the length and there is no Display impl.
#[derive(Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        // A name is shown on one line, so line breaks are only separators.
        let one_line = normalize(raw)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        checked(&one_line, DISPLAY_NAME_MAX_CHARS).map(DisplayName)
    }

    /// Wraps a name without normalising or checking it. Only for a name that
    /// was validated by [`DisplayName::parse`] before and is now read back
    /// from the store; never for anything a person just typed.
    pub fn from_trusted(s: String) -> Self {
        DisplayName(s)
    }

    /// The name itself; the name is a reminder that the caller decides who sees it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DisplayName(len={})", self.0.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_control_character_cannot_block_composition() {
        // Found by fuzzing: normalising must be idempotent.
        let once = normalize("A\u{1}\u{30a}sa");
        assert_eq!(once, "Åsa");
        assert_eq!(normalize(&once), once);
    }

    #[test]
    fn removes_zero_width_and_bidi_characters() {
        let raw = "a\u{200B}b\u{200C}c\u{200D}d\u{2060}e\u{FEFF}f\u{202E}g\u{2066}h\u{2069}i\u{200E}j\u{200F}k\u{061C}l";
        assert_eq!(normalize(raw), "abcdefghijkl");
    }

    #[test]
    fn applies_nfkc() {
        assert_eq!(normalize("０７０－１２３"), "070-123");
        assert_eq!(normalize("ﬁka"), "fika");
        // Decomposed å (a + ring) composes to one character.
        assert_eq!(normalize("A\u{030A}sa"), "Åsa");
    }

    #[test]
    fn zero_width_inside_a_letter_does_not_block_composition() {
        assert_eq!(normalize("A\u{200B}\u{030A}sa"), "Åsa");
    }

    #[test]
    fn removes_control_characters_but_keeps_newlines() {
        assert_eq!(normalize("a\u{0007}b\u{0000}c\nd\u{009B}e"), "abc\nde");
    }

    #[test]
    fn turns_carriage_returns_into_newlines() {
        assert_eq!(normalize("a\r\nb\rc"), "a\nb\nc");
    }

    #[test]
    fn collapses_spaces_and_tabs_and_trims() {
        assert_eq!(normalize("  hej \t\t  på   dig \u{00A0} "), "hej på dig");
    }

    #[test]
    fn collapses_three_or_more_newlines_to_two() {
        assert_eq!(normalize("a\n\n\n\n\nb\n\nc\nd"), "a\n\nb\n\nc\nd");
        assert_eq!(normalize("a\n \n \t \nb"), "a\n\nb");
        assert_eq!(normalize("\n\n a \n\n\n"), "a");
    }

    #[test]
    fn line_separators_become_newlines_not_glue() {
        assert_eq!(normalize("a\u{2028}b\u{000C}c"), "a\nb\nc");
    }

    #[test]
    fn question_text_is_normalised_and_counted_in_chars() {
        let q = QuestionText::parse("  Varför är det mörkt på Åsögatan?\u{200B} ", 500).unwrap();
        assert_eq!(q.expose(), "Varför är det mörkt på Åsögatan?");
        assert_eq!(q.char_len(), 32);
        // 3 chars but 6 bytes: the limit is in chars.
        assert!(QuestionText::parse("åäö", 3).is_ok());
    }

    #[test]
    fn question_text_debug_hides_the_text() {
        let q = QuestionText::parse("Hemlig fråga om grannen", 500).unwrap();
        let debug = format!("{q:?}");
        assert_eq!(debug, "QuestionText(len=23)");
        assert!(!debug.contains("grannen"));
    }

    #[test]
    fn empty_question_is_rejected_after_normalisation() {
        assert_eq!(QuestionText::parse("", 500), Err(TextError::Empty));
        assert_eq!(
            QuestionText::parse(" \u{200B}\n\t ", 500),
            Err(TextError::Empty)
        );
    }

    #[test]
    fn too_long_question_is_rejected() {
        let err = QuestionText::parse(&"å".repeat(11), 10).unwrap_err();
        assert_eq!(
            err,
            TextError::TooLong {
                max: 10,
                actual: 11
            }
        );
        assert_eq!(
            err.to_string(),
            "the text is too long: 11 characters, at most 10 allowed"
        );
    }

    #[test]
    fn display_name_is_one_line_and_private() {
        let name = DisplayName::parse(" Åsa\n\n  Berg ").unwrap();
        assert_eq!(name.expose(), "Åsa Berg");
        assert_eq!(format!("{name:?}"), "DisplayName(len=8)");
    }

    #[test]
    fn display_name_limits() {
        assert!(DisplayName::parse(&"x".repeat(DISPLAY_NAME_MAX_CHARS)).is_ok());
        assert_eq!(
            DisplayName::parse(&"x".repeat(61)),
            Err(TextError::TooLong {
                max: 60,
                actual: 61
            })
        );
        assert_eq!(DisplayName::parse("\u{FEFF}"), Err(TextError::Empty));
    }

    #[test]
    fn from_trusted_keeps_text_as_is() {
        assert_eq!(QuestionText::from_trusted(" a ".into()).expose(), " a ");
        assert_eq!(DisplayName::from_trusted("b".into()).expose(), "b");
    }
}
