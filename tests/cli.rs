//! The headless runner, driven as a user drives it: through its command line.

use std::process::{Command, Output};

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lokal-cli"))
        .args(args)
        .output()
        .expect("lokal-cli runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn temp_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("lokal-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir.join(name)
}

/// A bad input: exit code 2, a message naming the problem, no panic, no backtrace.
fn assert_clean_failure(output: &Output, expected: &str) {
    assert_eq!(output.status.code(), Some(2), "stderr: {}", stderr(output));
    let err = stderr(output);
    assert!(err.contains(expected), "expected {expected:?} in: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
}

#[test]
fn run_json_has_every_figure_by_name() {
    let output = cli(&["run", "builtin:flipkart", "--duration", "10s", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value =
        serde_json::from_str(&stdout(&output)).expect("one JSON object");
    for key in [
        "arrived",
        "completed",
        "failed",
        "rejected",
        "timed_out",
        "throughput_per_s",
        "events_processed",
        "trace_hash",
    ] {
        assert!(report.get(key).is_some(), "missing {key}");
    }
    for key in ["mean", "p50", "p90", "p99", "p99_9"] {
        assert!(
            report["latency_ms"].get(key).is_some(),
            "missing latency_ms.{key}"
        );
    }
    assert_eq!(report["endpoints"].as_array().map(Vec::len), Some(2));
    let hash = report["trace_hash"].as_str().unwrap_or_default();
    assert_eq!(hash.len(), 16);
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
    let arrived = report["arrived"].as_u64().unwrap_or(0);
    let ended: u64 = ["completed", "failed", "rejected", "timed_out", "in_flight"]
        .iter()
        .map(|k| report[k].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(arrived, ended);
}

#[test]
fn run_prints_a_readable_report() {
    let output = cli(&["run", "builtin:mm1", "--duration", "30s", "--seed", "4"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for expected in [
        "requests    arrived",
        "latency     mean",
        "p99.9",
        "ticket.buy",
        "trace_hash  ",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn same_seed_same_hash_other_seed_other_hash() {
    let hash = |seed: &str| {
        let output = cli(&[
            "run",
            "builtin:irctc-tatkal",
            "--duration",
            "15s",
            "--seed",
            seed,
            "--json",
        ]);
        let report: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("json");
        report["trace_hash"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(hash("3"), hash("3"));
    assert_ne!(hash("3"), hash("4"));
}

#[test]
fn events_are_written_one_json_object_per_line() {
    let path = temp_path("events.jsonl");
    let path_text = path.to_string_lossy().to_string();
    let output = cli(&[
        "run",
        "builtin:flipkart",
        "--duration",
        "3s",
        "--json",
        "--events",
        &path_text,
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("json");
    let text = std::fs::read_to_string(&path).expect("events file");
    let mut lines = 0;
    let mut last_t = 0;
    for line in text.lines() {
        let event: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
        let t = event["t_us"].as_u64().expect("t_us");
        assert!(t >= last_t, "events are in time order");
        last_t = t;
        assert!(event["kind"].is_string(), "kind");
        lines += 1;
    }
    assert_eq!(Some(lines), report["events_processed"].as_u64());
    assert!(
        text.contains("\"kind\":\"hop_departed\"")
            && text.contains("\"kind\":\"request_completed\"")
    );
}

#[test]
fn a_command_log_file_replays() {
    let path = temp_path("commands.json");
    std::fs::write(
        &path,
        r#"[{"at_us": 2000000, "command": {"kind": "crash", "service": "payment", "instance": 0}},
            {"at_us": 4000000, "command": {"kind": "heal"}}]"#,
    )
    .expect("write");
    let path_text = path.to_string_lossy().to_string();
    let with = cli(&[
        "run",
        "builtin:flipkart",
        "--duration",
        "8s",
        "--json",
        "--commands",
        &path_text,
    ]);
    assert!(with.status.success(), "{}", stderr(&with));
    let with: serde_json::Value = serde_json::from_str(&stdout(&with)).expect("json");
    assert_eq!(with["commands_applied"], 2);
    let without = cli(&["run", "builtin:flipkart", "--duration", "8s", "--json"]);
    let without: serde_json::Value = serde_json::from_str(&stdout(&without)).expect("json");
    assert_ne!(with["trace_hash"], without["trace_hash"]);

    std::fs::write(
        &path,
        r#"[{"at_us": 1, "command": {"kind": "crash", "service": "paymnt"}}]"#,
    )
    .expect("write");
    assert_clean_failure(
        &cli(&["run", "builtin:flipkart", "--commands", &path_text]),
        "service \"paymnt\" not found",
    );
}

#[test]
fn validate_accepts_good_and_lists_every_problem_of_bad() {
    let good = cli(&["validate", "scenarios/flipkart.toml"]);
    assert!(good.status.success(), "{}", stderr(&good));
    assert!(stdout(&good).contains("valid"));

    let path = temp_path("bad.toml");
    let bad = std::fs::read_to_string("scenarios/flipkart.toml")
        .expect("fixture")
        .replace(
            "calls = [{ call = \"search.query\"",
            "calls = [{ call = \"serch.query\"",
        )
        .replace("workers = 24", "workers = -3");
    std::fs::write(&path, bad).expect("write");
    let output = cli(&["validate", &path.to_string_lossy()]);
    assert_clean_failure(&output, "2 problem(s)");
    let err = stderr(&output);
    assert!(
        err.contains("service \"serch\" not found (did you mean \"search\"?)"),
        "{err}"
    );
    assert!(
        err.contains("services[6].workers: must be from 1 to 100000, got -3"),
        "{err}"
    );
}

#[test]
fn bad_input_is_a_clear_error_with_exit_code_2() {
    assert_clean_failure(
        &cli(&["run", "no/such/file.toml"]),
        "no/such/file.toml: no such file",
    );
    assert_clean_failure(
        &cli(&["run", "builtin:nope"]),
        "no built-in scenario \"nope\"",
    );
    assert_clean_failure(
        &cli(&["run", "builtin:mm1", "--seed", "banana"]),
        "invalid value 'banana' for '--seed <SEED>': takes a whole number",
    );
    assert_clean_failure(
        &cli(&["run", "builtin:mm1", "--duration", "5"]),
        "--duration",
    );
    assert_clean_failure(
        &cli(&["run", "builtin:mm1", "--frobnicate"]),
        "unexpected argument '--frobnicate'",
    );
    assert_clean_failure(
        &cli(&["run"]),
        "the following required arguments were not provided",
    );
    assert_clean_failure(&cli(&["explode"]), "unrecognized subcommand 'explode'");
    assert_clean_failure(&cli(&[]), "Usage: lokal-cli <COMMAND>");
    assert_clean_failure(
        &cli(&["bench", "--requests", "5"]),
        "must be from 1000 to 1000000000",
    );
    assert_clean_failure(
        &cli(&["run", "builtin:flipkart", "--max-events", "1000"]),
        "the event bound",
    );

    let path = temp_path("syntax.toml");
    std::fs::write(&path, "id = \"x\"\n[[services]\n").expect("write");
    assert_clean_failure(&cli(&["run", &path.to_string_lossy()]), "line 2, column");
    std::fs::write(&path, [0xff, 0xfe, 0x00]).expect("write");
    assert_clean_failure(&cli(&["run", &path.to_string_lossy()]), "not UTF-8");
}

#[test]
fn bench_json_reports_speed_and_memory() {
    let output = cli(&["bench", "--json", "--requests", "20000"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let bench: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("json");
    assert!(bench["requests_per_s"].as_f64().is_some_and(|v| v > 0.0));
    assert!(bench["peak_rss_mb"].as_f64().is_some_and(|v| v > 0.0));
    assert!(bench["requests"].as_u64().is_some_and(|v| v >= 19_000));
}

#[test]
fn list_names_the_builtins() {
    let output = cli(&["list"]);
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(
        text.contains("builtin:mm1") && text.contains("builtin:flipkart"),
        "{text}"
    );
}

#[test]
fn the_reference_hash_is_what_the_cli_prints() {
    use lokal::engine::observe::reference::{
        REFERENCE_SCENARIO, REFERENCE_SECONDS, REFERENCE_SEED, reference_trace_hash,
    };
    let output = cli(&[
        "run",
        &format!("builtin:{REFERENCE_SCENARIO}"),
        "--duration",
        &format!("{REFERENCE_SECONDS}s"),
        "--seed",
        &REFERENCE_SEED.to_string(),
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("json");
    let expected = reference_trace_hash().map(lokal::engine::format_hash);
    assert_eq!(report["trace_hash"].as_str(), expected.as_deref());
}

#[test]
fn every_subcommand_has_help_and_the_runner_a_version() {
    for command in ["run", "traces", "validate", "bench", "list"] {
        let output = cli(&[command, "--help"]);
        assert!(output.status.success(), "{command}: {}", stderr(&output));
        assert!(stdout(&output).contains("Usage: lokal-cli"), "{command}");
    }
    let help = stdout(&cli(&["run", "--help"]));
    for flag in [
        "--seed",
        "--duration",
        "--json",
        "--events",
        "--commands",
        "--max-events",
    ] {
        assert!(help.contains(flag), "run --help lacks {flag}:\n{help}");
    }
    let version = cli(&["--version"]);
    assert!(version.status.success());
    assert_eq!(
        stdout(&version).trim(),
        format!("lokal-cli {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn flags_take_their_value_either_way_and_once() {
    let hash = |args: &[&str]| -> String {
        let output = cli(args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        let report: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("json");
        report["trace_hash"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(
        hash(&[
            "run",
            "builtin:mm1",
            "--duration",
            "5s",
            "--json",
            "--seed=7"
        ]),
        hash(&[
            "run",
            "builtin:mm1",
            "--duration=5s",
            "--json",
            "--seed",
            "7"
        ])
    );
    assert_clean_failure(
        &cli(&["run", "builtin:mm1", "--seed", "1", "--seed", "2"]),
        "cannot be used multiple times",
    );
    assert_clean_failure(
        &cli(&["run", "builtin:mm1", "--json", "--json"]),
        "cannot be used multiple times",
    );
}

#[cfg(unix)]
#[test]
fn an_argument_that_is_not_utf8_is_a_usage_error() {
    use std::os::unix::ffi::OsStrExt;
    let output = Command::new(env!("CARGO_BIN_EXE_lokal-cli"))
        .arg("validate")
        .arg(std::ffi::OsStr::from_bytes(b"scen\xffario.toml"))
        .output()
        .expect("lokal-cli runs");
    assert_clean_failure(&output, "invalid UTF-8");
}

#[test]
fn a_file_over_the_size_limit_is_refused_before_it_is_read() {
    let limit = lokal::engine::MAX_SCENARIO_BYTES;
    // A valid scenario padded with a comment to one byte over the limit: refused for its size
    // alone, with the figures, as the browser's file picker refuses it.
    let source = lokal::engine::builtin::builtin_source("mm1").expect("mm1");
    let padding = limit + 1 - source.len() - 2;
    let text = format!("{source}\n#{}", "x".repeat(padding));
    assert_eq!(text.len(), limit + 1);
    let path = temp_path("too-long.toml");
    std::fs::write(&path, &text).expect("write");
    let output = cli(&["validate", path.to_str().expect("utf-8 path")]);
    assert_clean_failure(
        &output,
        &format!(
            "the file is {} bytes; a scenario may be at most {limit} bytes",
            limit + 1
        ),
    );
    // The same text handed over in memory (the editor's Apply) meets the same limit, and one
    // byte less is read as usual.
    let problems = lokal::engine::parse_scenario(&text).expect_err("too long");
    assert_eq!(problems.len(), 1, "{problems:?}");
    let at_limit = &text[..limit];
    assert!(
        lokal::engine::parse_scenario(at_limit).is_ok(),
        "a file at the limit is read"
    );
}
