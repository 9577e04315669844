//! The checkable invariants of docs/ARCHITECTURE.md.

use std::path::Path;

fn sources(dir: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push((
                    path.display().to_string(),
                    std::fs::read_to_string(&path).unwrap(),
                ));
            }
        }
    }
    assert!(!out.is_empty(), "no sources under {dir}");
    out
}

#[test]
fn the_domain_has_no_async_no_io_and_no_wire_format() {
    for (path, text) in sources("src/domain") {
        for banned in [
            "tokio",
            "sqlx",
            "serde_json",
            "serde::",
            "std::fs",
            "std::net",
            "SystemTime",
            "Utc::now",
            "Instant::now",
        ] {
            assert!(!text.contains(banned), "{path} mentions {banned}");
        }
        assert!(!text.contains("async fn"), "{path} has async code");
    }
}

#[test]
fn the_hub_never_imports_the_transport() {
    for (path, text) in sources("src/hub") {
        assert!(
            !text.contains("crate::transport"),
            "{path} imports the transport"
        );
    }
    for (path, text) in sources("src/domain")
        .into_iter()
        .chain(sources("src/store"))
    {
        assert!(
            !text.contains("crate::hub") && !text.contains("crate::transport"),
            "{path} points back up"
        );
    }
}
