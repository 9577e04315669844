//! Text on its way into a file that another program opens: a spreadsheet (CSV)
//! or a calendar (RFC 5545). What a participant or organizer wrote must stay
//! text there, never become a formula or a line of its own.

use std::borrow::Cow;

/// A CSV cell a spreadsheet shows as text. A cell that begins with `=`, `+`,
/// `-`, `@`, a tab or a carriage return is read as a formula by Excel,
/// LibreOffice and Google Sheets (and a formula can fetch URLs or run
/// commands), so such a cell gets a leading apostrophe, as OWASP's "CSV
/// injection" page advises. Quoting the cell (the `csv` crate's job) is not
/// enough: spreadsheets strip the quotes before they look at the first character.
pub fn csv_cell(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// A value for an RFC 5545 TEXT property, before the `icalendar` crate escapes
/// it (`\`, `,`, `;` and newlines, then folds the line). What that crate cannot
/// escape is removed here: a carriage return (RFC 5545 has no escape for it, and
/// a lone CR ends a content line for some readers) and the other control
/// characters, which TEXT does not allow (section 3.3.11: only HTAB and the
/// escaped newline). A CRLF becomes the newline it meant.
pub fn ics_text(value: &str) -> String {
    value
        .chars()
        .filter(|c| *c == '\n' || *c == '\t' || !c.is_control())
        .collect()
}

/// A calendar property whose value is TEXT, escaped by the `icalendar` crate
/// even when the crate does not know the property's type (`NAME`,
/// `X-WR-CALNAME`: written raw otherwise, so a newline in a title would start a
/// property, or a whole `VEVENT`, of the title's author's choosing).
pub fn ics_property(name: &str, value: &str) -> icalendar::Property {
    icalendar::Property::new(name, ics_text(value))
        .add_parameter("VALUE", "TEXT")
        .done()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_neutralised_and_other_text_is_not() {
        for bad in ["=1+1", "+46 70", "-2", "@SUM(A1)", "\tx", "\rx"] {
            let safe = csv_cell(bad);
            assert!(safe.starts_with('\''), "{bad:?} -> {safe:?}");
            assert_eq!(&safe[1..], bad);
        }
        for good in ["", "Varför?", "12", " =x", "'quoted"] {
            assert_eq!(csv_cell(good), good);
        }
    }

    #[test]
    fn calendar_text_loses_carriage_returns_and_controls_but_keeps_newlines() {
        assert_eq!(ics_text("a\r\nb\rc\u{0}d\u{1b}e\tf"), "a\nbcde\tf");
        assert_eq!(
            ics_text("Fruängen, plan 2; hus \\A"),
            "Fruängen, plan 2; hus \\A"
        );
    }
}
