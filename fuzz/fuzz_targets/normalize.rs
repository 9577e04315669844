//! Question-text normalisation: never panics, is idempotent, and what it lets
//! through parses as a question of the same text.
#![no_main]

use dialoghub::domain::text::{DisplayName, QuestionText, normalize};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let once = normalize(raw);
    let twice = normalize(&once);
    assert_eq!(once, twice, "normalize is not idempotent on {raw:?}");
    assert!(!once.starts_with([' ', '\n']) && !once.ends_with([' ', '\n']));
    assert!(!once.contains("\n\n\n") && !once.contains("  "));
    if let Ok(q) = QuestionText::parse(raw, usize::MAX) {
        assert_eq!(q.expose(), once);
    } else {
        assert!(once.is_empty());
    }
    if let Ok(name) = DisplayName::parse(raw) {
        assert!(!name.expose().contains('\n'));
    }
});
