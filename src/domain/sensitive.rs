//! The confidentiality guard (sekretess): finds personal data in question text.
//!
//! It only flags and offers a redaction for the moderator; it never publishes
//! or hides anything itself. It expects text already passed through
//! `text::normalize`, so fullwidth digits and zero-width tricks are gone.

mod names;

use personnummer::Personnummer;
use phonenumber::{Type, country, metadata::DATABASE};
use regex::Regex;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlagKind {
    Personnummer,
    Samordningsnummer,
    Phone,
    Email,
    StreetAddress,
    RegistrationPlate,
    /// The name of a private person ("Kalle Svensson", "min granne Ahmed").
    PersonName,
}

impl FlagKind {
    /// Stable identifier for storage and the wire.
    pub fn code(self) -> &'static str {
        match self {
            FlagKind::Personnummer => "personnummer",
            FlagKind::Samordningsnummer => "samordningsnummer",
            FlagKind::Phone => "phone",
            FlagKind::Email => "email",
            FlagKind::StreetAddress => "street_address",
            FlagKind::RegistrationPlate => "registration_plate",
            FlagKind::PersonName => "person_name",
        }
    }
}

/// A span of personal data, in Unicode scalar values (char indices), end exclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub kind: FlagKind,
    pub start: usize,
    pub end: usize,
}

/// What a redacted span is replaced with.
const MARK: &str = "[…]";

/// A find in byte offsets, before conversion to char offsets.
type Span = (FlagKind, usize, usize);

/// Filters a regex's known false positives.
type Keep = fn(&str) -> bool;

/// Finds personal data, sorted by start and non-overlapping. Where two finds
/// overlap the earlier (then the longer) one is kept, except that an
/// identity number always beats anything else on the same digits.
pub fn scan(text: &str) -> Vec<Flag> {
    scan_with(text, &[])
}

/// [`scan`], with names that are public in this dialogue (its panel's) left alone.
pub fn scan_with(text: &str, public_names: &[&str]) -> Vec<Flag> {
    let mut found = personnummer_spans(text);
    found.extend(phone_spans(text));
    found.extend(names::disguised_email_spans(text));
    found.extend(names::person_spans(text, public_names));
    let by_regex: [(&Regex, FlagKind, Keep); 3] = [
        (&EMAIL, FlagKind::Email, |_| true),
        (&ADDRESS, FlagKind::StreetAddress, is_street),
        (&PLATE, FlagKind::RegistrationPlate, is_plate),
    ];
    for (re, kind, keep) in by_regex {
        found.extend(regex_spans(re, text, kind, keep));
    }
    let kept = resolve(found).into_iter();
    kept.map(|span| to_flag(text, span)).collect()
}

/// Replaces each flagged span with "[…]". Tolerates flags that overlap, are
/// unsorted or reach past the end, since they may come back from the store;
/// overlapping or touching spans become one mark.
pub fn redact(text: &str, flags: &[Flag]) -> String {
    let spans = merged_spans(flags);
    let mut out = String::with_capacity(text.len());
    let mut next = spans.iter().peekable();
    for (i, c) in text.chars().enumerate() {
        while next.next_if(|&&(_, end)| end <= i).is_some() {}
        match next.peek() {
            Some(&&(start, _)) if start == i => out.push_str(MARK),
            Some(&&(start, _)) if start < i => {}
            _ => out.push(c),
        }
    }
    out
}

fn merged_spans(flags: &[Flag]) -> Vec<(usize, usize)> {
    let mut spans: Vec<(usize, usize)> = flags.iter().map(|f| (f.start, f.end)).collect();
    spans.retain(|(start, end)| start < end);
    spans.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

fn resolve(mut found: Vec<Span>) -> Vec<Span> {
    let rank = |kind| !matches!(kind, FlagKind::Personnummer | FlagKind::Samordningsnummer);
    found.sort_by_key(|&(kind, start, end)| (rank(kind), start, std::cmp::Reverse(end)));
    let mut kept: Vec<Span> = Vec::with_capacity(found.len());
    for span in found {
        if !kept.iter().any(|k| span.1 < k.2 && k.1 < span.2) {
            kept.push(span);
        }
    }
    kept.sort_by_key(|&(_, start, _)| start);
    kept
}

fn to_flag(text: &str, (kind, start, end): Span) -> Flag {
    let [start, end] = [start, end].map(|byte| text[..byte].chars().count());
    Flag { kind, start, end }
}

fn regex_spans(re: &Regex, text: &str, kind: FlagKind, keep: Keep) -> Vec<Span> {
    let found = re.find_iter(text).filter(|m| keep(m.as_str()));
    found.map(|m| (kind, m.start(), m.end())).collect()
}

/// True when the match is not glued to more digits on either side, so that
/// a number inside a longer run (an order number, say) is not read as one.
fn digit_bounded(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
}

/// Runs `re` from every start, not just after the last match, so that a
/// candidate rejected by `accept` does not hide a valid one overlapping it.
fn candidates<'t>(
    re: &Regex,
    text: &'t str,
    mut accept: impl FnMut(&'t str, usize) -> Option<Span>,
) -> Vec<Span> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(m) = re.find_at(text, pos) {
        pos = m.start() + 1;
        if let Some(span) = accept(m.as_str(), m.start()) {
            pos = pos.max(span.2);
            out.push(span);
        }
        // The patterns start on ASCII, but never hand the regex a split char.
        while pos < text.len() && !text.is_char_boundary(pos) {
            pos += 1;
        }
    }
    out
}

// ---- Personnummer and samordningsnummer ----

static PERSONNUMMER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[0-9]{6}(?:[0-9]{2})?[-+ ]?[0-9]{4}").expect("valid regex"));

fn personnummer_spans(text: &str) -> Vec<Span> {
    candidates(&PERSONNUMMER, text, |m, start| {
        let end = start + m.len();
        let kind = identity_kind(m).filter(|_| digit_bounded(text, start, end))?;
        Some((kind, start, end))
    })
}

/// Which kind of identity number `candidate` is, if it is a valid one.
fn identity_kind(candidate: &str) -> Option<FlagKind> {
    let digits: String = candidate.chars().filter(char::is_ascii_digit).collect();
    // Without a century the crate assumes the 1900s; 000229 is only a date in 2000.
    let parsed = Personnummer::parse(&digits)
        .or_else(|_| Personnummer::parse(&format!("20{digits}")))
        .ok()?;
    if !parsed.is_coordination_number() {
        return parsed.valid().then_some(FlagKind::Personnummer);
    }
    // personnummer 3.1.1 computes the check digit over the day minus 60, but
    // Skatteverket's is over the digits as written (701063-2391 is valid), so
    // the crate checks the date and we check the digit.
    let short = &digits[digits.len() - 10..];
    (parsed.serial() > 0 && luhn_valid(short)).then_some(FlagKind::Samordningsnummer)
}

/// Luhn check over a 10-digit YYMMDDNNNC string.
fn luhn_valid(digits: &str) -> bool {
    let doubled = |(i, d): (usize, u32)| if i % 2 == 0 { d * 2 } else { d };
    let digit_sum = |d: u32| if d > 9 { d - 9 } else { d };
    let values = digits.bytes().map(|b| u32::from(b - b'0')).enumerate();
    values.map(doubled).map(digit_sum).sum::<u32>() % 10 == 0
}

// ---- Phone numbers ----

/// Swedish numbers as people write them: international (+46 / 0046, maybe
/// with "(0)"), an area code in parentheses, or national from a leading 0.
/// Public service numbers (112, 114 14, 1177, 116 000…) have no leading 0
/// and too few digits, so they never become candidates.
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
          (?:\+|00)46[\ \-]?(?:\(0\)[\ \-]?)?[1-9](?:[\ \-/]?[0-9]){5,11}
        | \(0[1-9][0-9]{0,2}\)\ ?[1-9](?:[\ \-/]?[0-9]){4,9}
        | 0[1-9](?:[\ \-/]?[0-9]){5,11}",
    )
    .expect("valid regex")
});

fn phone_spans(text: &str) -> Vec<Span> {
    candidates(&PHONE, text, |m, start| {
        longest_phone(text, m, start).map(|len| (FlagKind::Phone, start, start + len))
    })
}

/// The regex is greedy and may swallow a following number ("070-123 45 67 12
/// personer"), so shorter readings ending at a separator are tried too.
fn longest_phone(text: &str, candidate: &str, start: usize) -> Option<usize> {
    let separators = candidate.match_indices([' ', '-', '/']).map(|(i, _)| i);
    std::iter::once(candidate.len())
        .chain(separators.rev())
        .filter(|&len| digit_bounded(text, start, start + len))
        .find(|&len| is_personal_phone(&candidate[..len]))
}

/// Opening hours such as "0800-1700" are also valid Stockholm numbers.
static TIME_RANGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[01][0-9]|2[0-3])[0-5][0-9]-(?:[01][0-9]|2[0-3])[0-5][0-9]$")
        .expect("valid regex")
});

/// A valid Swedish number of a kind that can lead to a person.
fn is_personal_phone(candidate: &str) -> bool {
    if TIME_RANGE.is_match(candidate) {
        return false;
    }
    let Ok(number) = phonenumber::parse(Some(country::Id::SE), dialable(candidate)) else {
        return false;
    };
    number.code().value() == 46
        && number.is_valid()
        && !is_organisation(number.number_type(&DATABASE))
}

/// Toll-free, premium, shared-cost and company numbers (020, 0900, 0771,
/// 010…) belong to organisations, which a dialogue may freely mention.
fn is_organisation(kind: Type) -> bool {
    use Type::*;
    matches!(
        kind,
        TollFree | PremiumRate | SharedCost | Uan | Emergency | ShortCode | Voicemail
    )
}

/// Digits only, with the international prefix as "+46" and the "(0)" that
/// people put after it dropped.
fn dialable(candidate: &str) -> String {
    let trimmed = candidate.replace("(0)", "");
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    if trimmed.starts_with('+') {
        format!("+{digits}")
    } else if let Some(rest) = digits.strip_prefix("00") {
        format!("+{rest}")
    } else {
        digits
    }
}

// ---- E-mail ----

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)*\.\p{L}{2,}")
        .expect("valid regex")
});

// ---- Street addresses ----

/// Only a street with a house number is flagged: naming a street is what a
/// safety dialogue is about, the number is what points at a home.
static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
    let compound = "gatan|gata|vägen|väg|gränden|gränd|backen|backe|torget|torg|plan|allén|allé\
                    |alle|stigen|stig|leden|platsen|plats|kajen|kaj|promenaden|esplanaden|gången\
                    |liden|slingan|stråket";
    // Two-word names put a genitive before a bare street word: "Sergels torg 1".
    let bare = "väg|gata|gränd|backe|torg|plan|allé|plats|stig|kaj|strand";
    Regex::new(&format!(
        r"(?x)
          \b(?: (?i:\p{{L}}[\p{{L}}\-]*?(?:{compound}))
              | \p{{Lu}}\p{{Ll}}*s\ (?:{bare}) )
          \ [0-9]{{1,4}}(?:[A-Za-z]|\ [A-Z])?(?:-[0-9]{{1,4}}[A-Za-z]?)?\b
          (?i:,?\ ?(?:lgh|lägenhet)\.?\ ?[0-9]{{1,5}}\b)?"
    ))
    .expect("valid regex")
});

/// Compound words that end like a street but are not one.
const NOT_STREETS: &str = "arbetsplats arbetsplatsen parkeringsplats parkeringsplatsen \
                           våningsplan detaljplan ingången utgången halvvägen";

fn is_street(found: &str) -> bool {
    let name = found.split(' ').next().unwrap_or_default().to_lowercase();
    !NOT_STREETS.split_whitespace().any(|w| w == name)
}

// ---- Registration plates ----

/// Three letters without I, Q, V, Å, Ä, Ö; two digits; a digit or a letter
/// (not O, which would read as a zero). Uppercase as written, a whole token.
static PLATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[A-HJ-PR-UW-Z]{3}[ \-]?[0-9]{2}[0-9A-HJ-NPR-UW-Z]\b").expect("valid regex")
});

/// Uppercase words and acronyms that, followed by a number, are not a plate:
/// "SOS 112", or a shouted "JAG BOR 100 METER BORT".
const NOT_PLATES: &str = "SOS SMS GPS MSB SVT SFS DET DEN MED SOM HAR BOR SER GER TAR FAR MOR \
                          BRA KAN SKA MEN FEM TRE ATT";

fn is_plate(found: &str) -> bool {
    // The regex only matches ASCII, so the letters are the first three bytes.
    !NOT_PLATES.split_whitespace().any(|w| w == &found[..3])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::normalize;
    use FlagKind as K;

    fn kinds(text: &str) -> Vec<K> {
        scan(text).into_iter().map(|f| f.kind).collect()
    }

    /// Puts each `|`-separated case into `sentence` (at `{}`) and checks that
    /// exactly that case is flagged, as `kind`.
    fn assert_flagged(kind: K, sentence: &str, cases: &str) {
        for case in cases.split('|') {
            let text = sentence.replace("{}", case);
            let chars: Vec<char> = text.chars().collect();
            let span = |f: Flag| (f.kind, chars[f.start..f.end].iter().collect());
            let found: Vec<(K, String)> = scan(&text).into_iter().map(span).collect();
            assert_eq!(found, [(kind, case.into())], "{text}");
        }
    }

    fn assert_clean(texts: &str) {
        for text in texts.split('|') {
            assert_eq!(scan(text), [], "{text}");
        }
    }

    fn flag(kind: K, start: usize, end: usize) -> Flag {
        Flag { kind, start, end }
    }

    #[test]
    fn personnummer_with_and_without_century_and_separator() {
        let forms = "811228-9874|8112289874|811228+9874|811228 9874|19811228-9874|198112289874";
        assert_flagged(K::Personnummer, "Mitt nummer är {}.", forms);
    }

    #[test]
    fn failed_checksum_or_longer_digit_run_is_not_a_personnummer() {
        assert!(!kinds("811228-9875").contains(&K::Personnummer));
        assert_clean("Ordernummer 8112289875|ärende 08112289874 och 81122898741");
    }

    #[test]
    fn samordningsnummer_is_flagged_as_such() {
        let forms = "701063-2391|19701063-2391";
        assert_flagged(K::Samordningsnummer, "Han har {}.", forms);
        // The crate alone would accept 2394 (a check digit over day 03).
        assert_clean("Han har 701063-2394.|Han har 701063-2392.");
    }

    #[test]
    fn mobile_and_landline_phones_are_flagged() {
        let phones = "070-123 45 67|0701234567|+46 70 123 45 67|+46701234567|0046 70 123 45 67\
                      |+46 (0)70-123 45 67|08-123 456 78|08 1234567|(08) 123 45 67|031-12 34 56";
        assert_flagged(K::Phone, "Ring {} ikväll", phones);
        // A greedy candidate that swallowed the next number is trimmed back.
        assert_flagged(K::Phone, "ring {} 12 gånger", "070-123 45 67");
    }

    #[test]
    fn public_service_and_organisation_numbers_are_not_flagged() {
        assert_clean(
            "Ring 112 om det brinner|Polisen nås på 114 14 och 11414|Vården 1177|Ring 113 13\
             |Barnjouren 116 000|Skatteverket 0771-567 567|Gratis på 020-123 456|Öppet 0800-1700",
        );
    }

    #[test]
    fn personnummer_wins_over_phone_on_the_same_digits() {
        // Both a valid mobile number and a valid personnummer (070123-4569).
        assert!(is_personal_phone("0701234569"));
        assert_eq!(scan("0701234569"), [flag(K::Personnummer, 0, 10)]);
    }

    #[test]
    fn email_is_flagged() {
        let emails = "åsa.berg+dialog@exempel.se|a@b.se";
        assert_flagged(K::Email, "Mejla {}.", emails);
        assert_clean("Vi ses @ torget");
    }

    #[test]
    fn street_with_number_is_flagged() {
        let addresses = "Storgatan 12|Hägerstensvägen 5B|Sveavägen 12 A|Drottninggatan 3, lgh 1102\
                         |Långholmsgatan 40|Sergels torg 1|STORGATAN 7|Ringvägen 5-7";
        assert_flagged(K::StreetAddress, "Hon bor på {} nu", addresses);
    }

    #[test]
    fn street_without_number_is_not_flagged() {
        assert_clean(
            "Det är mörkt på Storgatan|Storgatan och Sveavägen behöver mer ljus\
             |På Hägerstensvägen, 3 lampor är trasiga|Jag har sett det på vägen 3 gånger\
             |Det hände på min arbetsplats 2 gånger|Storgatan 12345",
        );
    }

    #[test]
    fn registration_plate_is_flagged() {
        let plates = "ABC 123|ABC123|ABC-12D|XYZ 99H";
        assert_flagged(K::RegistrationPlate, "En bil {} står där", plates);
    }

    #[test]
    fn ordinary_text_has_no_plates() {
        assert_clean(
            "Det är mörkt vid busshållplatsen och buss 123 går sällan efter kl 22.\
             |abc 123 är gemener|Ring SOS 112 direkt|Ring SOS112|JAG BOR 100 METER BORT\
             |XABC 123 och ABC 1234 och IQV 123 och ÅÄÖ 123 och ABC 12O",
        );
    }

    #[test]
    fn spans_are_in_chars_with_multibyte_letters() {
        let text = "Åsa på Hägerstensvägen 5 ringer från 070-123 45 67";
        let street = flag(K::StreetAddress, 7, 24);
        assert_eq!(scan(text), [street, flag(K::Phone, 37, 50)]);
    }

    #[test]
    fn overlapping_finds_keep_the_earlier_longer_one() {
        let text = "Till 0701234567@exempel.se eller Storgatan 1, ABC 123, 811228-9874";
        let expected = [
            K::Email,
            K::StreetAddress,
            K::RegistrationPlate,
            K::Personnummer,
        ];
        assert_eq!(kinds(text), expected);
        assert!(scan(text).windows(2).all(|w| w[0].end <= w[1].start));
    }

    #[test]
    fn redact_replaces_spans() {
        let text = "Åsa på Storgatan 12, tel 070-123 45 67.";
        assert_eq!(redact(text, &scan(text)), "Åsa på […], tel […].");
        assert_eq!(redact("inget", &[]), "inget");
    }

    #[test]
    fn redact_tolerates_bad_flags() {
        let bad = [3..5, 1..4, 5..99].map(|r| flag(K::Email, r.start, r.end));
        assert_eq!(redact("abcdef", &bad), "a[…]");
        assert_eq!(redact("abcdef", &[flag(K::Email, 4, 2)]), "abcdef");
    }

    #[test]
    fn normalised_fullwidth_and_zero_width_digits_are_caught() {
        let fullwidth = "pnr ８１１２２８－９８７４";
        assert_clean(fullwidth);
        assert_eq!(kinds(&normalize(fullwidth)), [K::Personnummer]);
        let hidden = "pnr 8\u{200B}1122\u{200D}8-98\u{FEFF}74";
        assert_eq!(kinds(&normalize(hidden)), [K::Personnummer]);
        let phone = normalize("ring ０７０１２３４５６７");
        assert_eq!(kinds(&phone), [K::Phone]);
    }

    #[test]
    fn named_private_persons_are_flagged_and_masked() {
        assert_flagged(
            K::PersonName,
            "Jag såg {} stjäla cyklar vid skolan",
            "Kalle Svensson",
        );
        assert_flagged(K::PersonName, "Min granne {} spelar hög musik", "Jonte");
        assert_flagged(K::PersonName, "Varför får {} parkera på gräset?", "Ahmed");
        let text = "Jag såg Kalle Svensson stjäla cyklar";
        assert_eq!(redact(text, &scan(text)), "Jag såg […] stjäla cyklar");
        // Sentence starts, words that are also names, and the dialogue's own panel.
        assert_clean(
            "Per person räknat är det få poliser.|Stig inte in i tunneln.|Bo i Rinkeby är bra.",
        );
        assert_eq!(scan_with("Anna Lind, vad gör polisen?", &["Anna Lind"]), []);
    }

    #[test]
    fn disguised_email_addresses_are_flagged() {
        let disguised = "namn [at] domän punkt se|anna(at)exempel.se|kalle snabel-a gmail punkt com\
                         |olle at telia dot com|lisa (at) bredband (dot) nu";
        assert_flagged(K::Email, "Skriv till {} tack", disguised);
        assert_clean(
            "Vi ses at home efter mötet|Punkt tre på dagordningen|Hemsidan stockholm punkt se",
        );
    }

    #[test]
    fn codes_are_stable() {
        assert_eq!(K::StreetAddress.code(), "street_address");
        assert_eq!(K::RegistrationPlate.code(), "registration_plate");
        assert_eq!(K::Samordningsnummer.code(), "samordningsnummer");
    }
}
