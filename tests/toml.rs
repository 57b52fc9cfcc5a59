//! Scenario files are read by the `toml` crate (TOML 1.1): what TOML forbids is refused with a
//! syntax error placed at its line and column, and every problem found later — a wrong type, a
//! name that does not resolve, an unknown field — names where its field was written.

use lokal::engine::builtin::{builtin_ids, builtin_source};
use lokal::engine::parse_scenario;
use lokal::engine::scenario::{Location, Problem};

/// A small valid scenario; the cases below change or extend it.
const BASE: &str = r#"id = "tiny"
[[lines]]
name = "Western"
stations = ["A", "B"]
[[services]]
name = "api"
station = "B"
[[services.endpoints]]
name = "get"
[workload]
rate = "10/s"
[[workload.mix]]
endpoint = "api.get"
"#;

fn problems(text: &str) -> Vec<Problem> {
    match parse_scenario(text) {
        Ok(_) => Vec::new(),
        Err(problems) => problems,
    }
}

/// The document is refused as TOML, at the given line.
fn refused_as_toml(text: &str, line: u32) {
    let found = problems(text);
    let syntax: Vec<&Problem> = found
        .iter()
        .filter(|p| p.message.starts_with("TOML syntax error"))
        .collect();
    assert_eq!(syntax.len(), 1, "{text:?}: {found:?}");
    let at = syntax[0].at.expect("a syntax error has a place");
    assert_eq!(at.line, line, "{text:?}: {}", syntax[0]);
    assert!(at.column >= 1);
}

#[test]
fn what_toml_forbids_is_refused_with_its_place() {
    // Each of these was accepted by the hand-written reader the `toml` crate replaced.
    // An inline table is complete: a later dotted key may not extend it…
    refused_as_toml(
        &format!("metrics = {{ window = \"60s\" }}\nmetrics.extra = 1\n{BASE}"),
        2,
    );
    // …nor a later [header] below it.
    refused_as_toml(
        &format!("tracing = {{ recent = 10 }}\n[tracing.more]\nx = 1\n{BASE}"),
        2,
    );
    // An underscore must sit between digits, also in an exponent.
    refused_as_toml(&format!("x = 1e_5\n{BASE}"), 1);
    // A carriage return not followed by a line feed may not appear in a multi-line string.
    refused_as_toml(&format!("x = \"\"\"a\rb\"\"\"\n{BASE}"), 1);
    // And the usual suspects.
    refused_as_toml(&format!("x = 01\n{BASE}"), 1);
    refused_as_toml(&format!("x = 1\nx = 2\n{BASE}"), 2);
    refused_as_toml("id = \"x\"\n[[services]\n", 2);
}

#[test]
fn every_problem_names_where_its_field_was_written() {
    let text = BASE.replace("station = \"B\"", "station = \"Q\"").replace(
        "name = \"get\"",
        "name = \"get\"\nservice_time = 5\nflavour = \"mint\"",
    );
    let found = problems(&text);
    let at = |path: &str| -> Location {
        found
            .iter()
            .find(|p| p.path == path)
            .unwrap_or_else(|| panic!("no problem at {path}: {found:?}"))
            .at
            .unwrap_or_else(|| panic!("{path} has no place"))
    };
    // A name that does not resolve: the value's own place.
    assert_eq!(
        at("services[0].station"),
        Location {
            line: 7,
            column: 11
        }
    );
    // A wrong type.
    assert_eq!(
        at("services[0].endpoints[0].service_time"),
        Location {
            line: 10,
            column: 16
        }
    );
    // An unknown field: its key.
    assert_eq!(
        at("services[0].endpoints[0].flavour"),
        Location {
            line: 11,
            column: 1
        }
    );
    let shown = found
        .iter()
        .find(|p| p.path == "services[0].endpoints[0].flavour")
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(shown.ends_with("(line 11, column 1)"), "{shown}");
}

#[test]
fn a_missing_field_points_at_its_table() {
    let text = BASE.replace("station = \"B\"\n", "");
    let found = problems(&text);
    let missing = found
        .iter()
        .find(|p| p.path.starts_with("services[0]"))
        .unwrap_or_else(|| panic!("{found:?}"));
    assert_eq!(missing.at.map(|at| at.line), Some(5), "{missing}");
}

#[test]
fn every_builtin_and_every_example_in_the_docs_reads() {
    for id in builtin_ids() {
        let text = builtin_source(id).expect("source");
        assert!(parse_scenario(text).is_ok(), "{id}");
    }
    let docs = std::fs::read_to_string("docs/scenarios.md").expect("docs");
    let mut count = 0;
    let mut rest = docs.as_str();
    while let Some(start) = rest.find("```toml\n") {
        let body = &rest[start + 8..];
        let end = body.find("```").expect("closed block");
        let syntax: Vec<Problem> = problems(&body[..end])
            .into_iter()
            .filter(|p| p.message.starts_with("TOML syntax error"))
            .collect();
        assert!(syntax.is_empty(), "docs block {count}: {syntax:?}");
        count += 1;
        rest = &body[end..];
    }
    assert!(count >= 8, "{count} blocks");
}

#[test]
fn numbers_the_parser_reads_are_checked_as_numbers() {
    // Beyond 64 bits, and infinity, are problems of the field, not crashes.
    let huge = BASE.replace("[workload]", "[workload]\nusers = 99999999999999999999999");
    assert!(
        problems(&huge).iter().any(|p| p.path == "workload.users"),
        "{:?}",
        problems(&huge)
    );
    let inf = BASE.replace("name = \"get\"", "name = \"get\"\nerror_rate = inf");
    assert!(
        problems(&inf).iter().any(
            |p| p.path == "services[0].endpoints[0].error_rate" && p.message.contains("finite")
        ),
        "{:?}",
        problems(&inf)
    );
}
