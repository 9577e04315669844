//! The confidentiality guard on normalised text: its spans are in bounds, sorted
//! and do not overlap, and redacting with them never panics and masks every span.
#![no_main]

use dialoghub::domain::sensitive::{redact, scan};
use dialoghub::domain::text::normalize;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let text = normalize(raw);
    let chars = text.chars().count();
    let flags = scan(&text);
    let mut last_end = 0;
    for f in &flags {
        assert!(f.start < f.end, "empty span {f:?}");
        assert!(f.end <= chars, "span {f:?} past the end ({chars} chars)");
        assert!(
            f.start >= last_end,
            "spans overlap or are unsorted: {flags:?}"
        );
        last_end = f.end;
    }
    let redacted = redact(&text, &flags);
    // NFKC turns "…" into "...", so every "[…]" in the output is a mark the guard put there,
    // and taking the marks out leaves exactly the text outside the spans.
    let marks = redacted.matches("[…]").count();
    assert!(marks <= flags.len() && (marks > 0) == !flags.is_empty());
    let kept: String = text
        .chars()
        .enumerate()
        .filter(|(i, _)| !flags.iter().any(|f| (f.start..f.end).contains(i)))
        .map(|(_, c)| c)
        .collect();
    assert_eq!(redacted.replace("[…]", ""), kept);
});
