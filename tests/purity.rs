//! The engine stays pure: no browser crates, no wall clock, no I/O, no hash-map iteration, no
//! randomness but its seeded streams, and no platform maths (libm only), so a run is the same bit
//! for bit natively and in wasm32. This test reads the source of `src/engine` and fails on any
//! forbidden use.

mod common;

use common::rust_files;
use std::path::Path;

/// (pattern, why it is forbidden). Patterns are matched on code with comments removed.
const FORBIDDEN: &[(&str, &str)] = &[
    ("yew", "the engine must not import the UI framework"),
    ("web_sys", "the engine must not touch the browser"),
    ("js_sys", "the engine must not touch JavaScript"),
    ("gloo", "the engine must not touch the browser"),
    (
        "wasm_bindgen",
        "the engine must not depend on wasm bindings",
    ),
    ("Instant::now", "the engine never reads the wall clock"),
    ("SystemTime", "the engine never reads the wall clock"),
    ("std::time", "virtual time only"),
    ("std::fs", "the engine does no I/O"),
    ("std::io", "the engine does no I/O"),
    ("std::net", "the engine does no I/O"),
    ("std::env", "the engine reads no environment"),
    (
        "std::thread",
        "the engine is single-threaded and synchronous",
    ),
    ("println!", "the engine does no I/O"),
    ("eprintln!", "the engine does no I/O"),
    ("print!", "the engine does no I/O"),
    (
        "HashMap",
        "hash-map iteration order is not deterministic; use Vec or BTreeMap",
    ),
    (
        "HashSet",
        "hash-set iteration order is not deterministic; use Vec or BTreeSet",
    ),
    (
        "thread_rng",
        "randomness comes only from the seeded streams",
    ),
    (
        "rand::rng()",
        "randomness comes only from the seeded streams",
    ),
    (
        "from_entropy",
        "randomness comes only from the seeded streams",
    ),
    ("OsRng", "randomness comes only from the seeded streams"),
    ("getrandom", "randomness comes only from the seeded streams"),
    (
        ".ln(",
        "use libm::log so wasm32 and native agree bit for bit",
    ),
    (".log(", "use libm::log"),
    (".log2(", "use libm::log2"),
    (".log10(", "use libm::log10"),
    (".exp(", "use libm::exp"),
    (".powf(", "use libm::pow"),
    (".powi(", "use libm::pow"),
    (".sin(", "use libm::sin"),
    (".cos(", "use libm::cos"),
    (".tan(", "use libm::tan"),
];

fn strip_comments(line: &str) -> &str {
    match line.find("//") {
        Some(at) => &line[..at],
        None => line,
    }
}

/// Every forbidden use in `source`, as `line: pattern — why`.
fn findings(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (number, line) in source.lines().enumerate() {
        let code = strip_comments(line);
        for (pattern, why) in FORBIDDEN {
            let hit = if pattern.chars().all(|c| c.is_alphanumeric() || c == '_') {
                // A bare name must appear as a whole path segment, not inside another word.
                code.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .any(|word| word == *pattern)
            } else {
                code.contains(pattern)
            };
            if hit {
                found.push(format!("{}: `{pattern}` — {why}", number + 1));
            }
        }
    }
    found
}

#[test]
fn the_engine_imports_nothing_impure() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/engine");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(files.len() > 10, "found only {} engine files", files.len());
    let mut report = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).expect("utf-8 source");
        for finding in findings(&source) {
            report.push(format!("{}:{finding}", file.display()));
        }
    }
    assert!(
        report.is_empty(),
        "the engine is not pure:\n{}",
        report.join("\n")
    );
}

#[test]
fn the_scanner_catches_what_it_should() {
    assert_eq!(findings("use web_sys::Window;").len(), 1);
    assert_eq!(findings("let t = std::time::Instant::now();").len(), 2);
    assert_eq!(
        findings("let m: HashMap<u32, u32> = HashMap::new();").len(),
        1
    );
    assert_eq!(findings("let y = x.ln();").len(), 1);
    assert!(findings("let y = libm::log(x); // not x.ln()").is_empty());
    assert!(findings("let yewtree = 1;").is_empty(), "whole words only");
}
