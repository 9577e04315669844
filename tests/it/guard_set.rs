//! The confidentiality guard on its labelled set (tests/guard/labelled.tsv):
//! recall and precision per kind, printed, and held above the figures in
//! docs/reliability.md. A find counts as right only with the right kind and the
//! exact span.

use crate::harness::report;
use dialoghub::domain::sensitive::{FlagKind, scan_with};
use dialoghub::domain::text::normalize;
use std::collections::BTreeMap;

/// Public in the set's dialogue: its panel and moderator.
const PANEL: &[&str] = &["Anna Lind", "Per Polis", "Maja Moderator"];

#[derive(Default)]
struct Tally {
    right: u32,
    wrong: u32,
    missed: u32,
}

#[test]
fn the_guard_on_its_labelled_set() {
    let set = include_str!("../guard/labelled.tsv");
    let mut by_kind: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut misses = Vec::new();
    let mut texts = 0;
    for line in set.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        texts += 1;
        let (text, labels) = line.split_once('\t').unwrap_or((line, ""));
        let text = normalize(text);
        let mut expected: Vec<(String, String)> = labels
            .split(" | ")
            .filter(|l| !l.is_empty())
            .map(|l| {
                let (k, v) = l.split_once('=').expect("kind=span");
                (k.to_string(), v.to_string())
            })
            .collect();
        let chars: Vec<char> = text.chars().collect();
        for flag in scan_with(&text, PANEL) {
            let span: String = chars[flag.start..flag.end].iter().collect();
            let kind = flag.kind.code();
            let tally = by_kind.entry(kind).or_default();
            match expected.iter().position(|(k, v)| k == kind && *v == span) {
                Some(i) => {
                    expected.remove(i);
                    tally.right += 1;
                }
                None => {
                    tally.wrong += 1;
                    misses.push(format!("false {kind} {span:?} in {text:?}"));
                }
            }
        }
        for (kind, span) in expected {
            let kind = code_of(&kind);
            by_kind.entry(kind).or_default().missed += 1;
            misses.push(format!("missed {kind} {span:?} in {text:?}"));
        }
    }
    report(&format!("guard on {texts} labelled texts:"));
    report("kind                 found  false  missed  recall  precision");
    let mut figures = BTreeMap::new();
    for (kind, t) in &by_kind {
        let recall = f64::from(t.right) / f64::from((t.right + t.missed).max(1));
        let precision = f64::from(t.right) / f64::from((t.right + t.wrong).max(1));
        report(&format!(
            "{kind:<20} {:>5}  {:>5}  {:>6}  {:>5.1} %  {:>7.1} %",
            t.right,
            t.wrong,
            t.missed,
            recall * 100.0,
            precision * 100.0
        ));
        figures.insert(*kind, (recall, precision));
    }
    for m in &misses {
        report(m);
    }
    // The kinds the guard had before keep the precision they had: every find right.
    for kind in [
        "personnummer",
        "samordningsnummer",
        "phone",
        "street_address",
        "registration_plate",
    ] {
        let (recall, precision) = figures[kind];
        assert_eq!((recall, precision), (1.0, 1.0), "{kind}");
    }
    let (recall, precision) = figures["email"];
    assert!(
        recall >= 0.95 && precision >= 0.95,
        "email {recall} {precision}"
    );
    let (recall, precision) = figures["person_name"];
    assert!(
        recall >= 0.90 && precision >= 0.90,
        "person_name {recall} {precision}"
    );
}

fn code_of(kind: &str) -> &'static str {
    use FlagKind::*;
    let all = [
        Personnummer,
        Samordningsnummer,
        Phone,
        Email,
        StreetAddress,
        RegistrationPlate,
        PersonName,
    ];
    all.into_iter()
        .map(FlagKind::code)
        .find(|c| *c == kind)
        .expect("a known kind")
}
