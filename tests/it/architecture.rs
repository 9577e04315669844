//! The checkable invariants of docs/ARCHITECTURE.md.

use std::path::Path;

/// Every file under `dir` (relative to the crate) whose name ends in `ext`, with its text.
fn files(dir: &str, ext: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut stack = vec![root];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == ext) {
                let name = path
                    .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                    .unwrap()
                    .display()
                    .to_string();
                out.push((name, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    assert!(!out.is_empty(), "no .{ext} files under {dir}");
    out
}

fn sources(dir: &str) -> Vec<(String, String)> {
    files(dir, "rs")
}

/// The code of a file without its unit tests (`#[cfg(test)] mod tests` comes last).
fn without_tests(text: &str) -> &str {
    text.split("#[cfg(test)]").next().unwrap_or(text)
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
        ] {
            assert!(!text.contains(banned), "{path} mentions {banned}");
        }
        assert!(!text.contains("async fn"), "{path} has async code");
    }
}

/// Time and chance come in as values: the domain decides the same way on every
/// node and in every replay of the log.
#[test]
fn the_domain_reads_no_clock_and_draws_no_random_numbers() {
    for (path, text) in sources("src/domain") {
        for banned in [
            "rand::",
            "use rand",
            "SystemTime",
            "Utc::now",
            "Local::now",
            "Instant::now",
            "tokio",
        ] {
            assert!(!text.contains(banned), "{path} mentions {banned}");
        }
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

/// Wire shapes live in `src/protocol/`, so a renamed type elsewhere can never
/// silently change what clients see. Allowed besides: the stored log's own format
/// (`src/log.rs` or `src/log/`, versioned below the protocol), the settings
/// (`src/config.rs` reads its file with `Deserialize`, and writes nothing), and the
/// signed token's claims (`src/auth.rs`: the token is a format of its own).
#[test]
fn only_the_protocol_and_the_log_derive_serde_traits() {
    let allowed = |path: &str| {
        path.starts_with("src/protocol/")
            || path == "src/log.rs"
            || path.starts_with("src/log/")
            || path == "src/auth.rs"
    };
    for (path, text) in sources("src") {
        if allowed(&path) {
            continue;
        }
        for line in text.lines() {
            let derives = line.trim_start().starts_with("#[derive(");
            let by_hand = line.contains("impl Serialize for")
                || line.contains("impl serde::Serialize for")
                || line.contains("Deserialize<'de> for");
            // "Deserialize" contains "Serialize": look for the latter on its own.
            let serialize =
                (derives && line.replace("Deserialize", "").contains("Serialize")) || by_hand;
            let deserialize = derives && line.contains("Deserialize");
            if path == "src/config.rs" {
                assert!(
                    !serialize,
                    "{path}: settings are read, never written: {line}"
                );
                continue;
            }
            assert!(
                !serialize && !deserialize,
                "{path} defines a serde shape outside src/protocol/: {line}"
            );
        }
    }
}

/// Settings are a leaf: every layer may read them, and they pull in no layer.
#[test]
fn the_settings_import_nothing_of_the_crate() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/config.rs");
    let text = std::fs::read_to_string(path).unwrap();
    let code = without_tests(&text);
    for banned in ["crate::", "super::"] {
        assert!(
            !code.contains(banned),
            "src/config.rs uses {banned}: settings must be a leaf"
        );
    }
}

/// A file past a few hundred lines holds several concepts; split it along a seam
/// a reader can name.
#[test]
fn no_source_file_is_over_600_lines_and_no_script_over_500() {
    let too_long = |(path, text): &(String, String), max: usize| {
        let lines = text.lines().count();
        (lines > max).then(|| format!("{path}: {lines}"))
    };
    let long: Vec<String> = sources("src")
        .iter()
        .filter_map(|f| too_long(f, 600))
        .chain(
            files("web-client/js", "js")
                .iter()
                .filter_map(|f| too_long(f, 500)),
        )
        .collect();
    assert!(long.is_empty(), "files over the limit: {long:?}");
}

/// `docs/protocol.md` is the contract: every public item of `src/protocol/` is in it
/// (its last section lists them by file).
#[test]
fn every_public_item_of_the_protocol_is_in_its_document() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/protocol.md"))
            .unwrap();
    let mut missing = Vec::new();
    for (path, text) in sources("src/protocol") {
        for line in without_tests(&text).lines() {
            let rest = line
                .strip_prefix("pub ")
                .and_then(|l| {
                    ["const fn ", "fn ", "struct ", "enum ", "const ", "type "]
                        .iter()
                        .find_map(|k| l.strip_prefix(k))
                })
                .or_else(|| line.strip_prefix("wire_enum!("));
            let Some(rest) = rest else { continue };
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && !doc.contains(&format!("`{name}`")) {
                missing.push(format!("{path}: {name}"));
            }
        }
    }
    assert!(missing.is_empty(), "not in docs/protocol.md: {missing:?}");
}
