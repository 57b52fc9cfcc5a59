//! JSON in and out: the browser writes the command log and the CLI reads it back, both with
//! serde_json; reading is strict (RFC 8259, no key twice, no unknown key) and writing refuses a
//! number JSON cannot hold instead of writing `null` for it.

use lokal::app::settings::StoredSession;
use lokal::engine::command::{
    CommandSpec, KernelCommandSpec, RecordedCommand, command_log_json, read_command_log,
};
use lokal::engine::resilience::{BreakerState, Fallback, PolicyChange};
use lokal::engine::scenario::registry::PatternCommandSpec;

fn set_policy(from: &str, to: &str, change: PolicyChange) -> CommandSpec {
    CommandSpec::Pattern(PatternCommandSpec::Resilience(
        lokal::engine::resilience::CommandSpec::SetPolicy {
            from: from.into(),
            to: to.into(),
            change,
        },
    ))
}

fn every_command() -> Vec<RecordedCommand> {
    let knobs = vec![
        PolicyChange::TimeoutUs(Some(250_000)),
        PolicyChange::TimeoutUs(None),
        PolicyChange::RetryMaxAttempts(3),
        PolicyChange::RetryJitter(0.5),
        PolicyChange::RetryBudgetPercent(Some(20.0)),
        PolicyChange::RetryBudgetPercent(None),
        PolicyChange::BreakerEnabled(true),
        PolicyChange::BreakerFailureRate(37.5),
        PolicyChange::BreakerSlowCallRate(100.0),
        PolicyChange::BreakerSlowCallDurationUs(60_000_000),
        PolicyChange::BreakerMinimumCalls(10),
        PolicyChange::BreakerWindowSize(100),
        PolicyChange::BreakerWaitInOpenUs(5_000_000),
        PolicyChange::BreakerPermittedInHalfOpen(4),
        PolicyChange::BreakerState(BreakerState::ForcedOpen),
        PolicyChange::BreakerState(BreakerState::MetricsOnly),
        PolicyChange::BulkheadMaxConcurrent(Some(25)),
        PolicyChange::BulkheadMaxConcurrent(None),
        PolicyChange::RateLimitPerPeriod(Some(7)),
        PolicyChange::Fallback(Some(Fallback::Static)),
        PolicyChange::Fallback(Some(Fallback::Cached)),
        PolicyChange::Fallback(None),
    ];
    let kernel = vec![
        KernelCommandSpec::Crash {
            service: "pay\"ment".into(),
            instance: 2,
            duration_us: Some(5_000_000),
        },
        KernelCommandSpec::Crash {
            service: "payment".into(),
            instance: 0,
            duration_us: None,
        },
        KernelCommandSpec::Restart {
            service: "payment".into(),
            instance: 1,
        },
        KernelCommandSpec::Slow {
            service: "search".into(),
            instance: None,
            factor: 5.0,
            duration_us: Some(1),
        },
        KernelCommandSpec::Slow {
            service: "search".into(),
            instance: Some(3),
            factor: 2.25,
            duration_us: None,
        },
        KernelCommandSpec::Errors {
            service: "कैटलॉग".into(),
            instance: Some(0),
            probability: 0.125,
            duration_us: None,
        },
        KernelCommandSpec::Partition {
            a: "Dadar".into(),
            b: "Bandra\\West".into(),
            duration_us: Some(10),
        },
        KernelCommandSpec::Heal {},
    ];
    let mut commands: Vec<CommandSpec> = kernel.into_iter().map(CommandSpec::Kernel).collect();
    commands.extend(
        knobs
            .into_iter()
            .map(|change| set_policy("api", "search", change)),
    );
    commands
        .into_iter()
        .enumerate()
        .map(|(i, command)| RecordedCommand {
            at_us: i as u64 * 1_000_003,
            command,
        })
        .collect()
}

#[test]
fn the_command_log_the_browser_writes_is_what_the_cli_reads() {
    let log = every_command();
    let text = command_log_json(&log).expect("writes");
    let read = read_command_log(&text).unwrap_or_else(|e| panic!("refused: {e}\n{text}"));
    assert_eq!(read, log);
    assert_eq!(text.lines().count(), log.len() + 2, "one command per line");
    let empty = read_command_log(&command_log_json(&[]).expect("writes")).expect("empty log");
    assert!(empty.is_empty());
}

#[test]
fn a_command_log_is_read_strictly() {
    let good = r#"[{"at_us": 5, "command": {"kind": "crash", "service": "api", "instance": 0}}]"#;
    assert_eq!(read_command_log(good).map(|log| log.len()), Ok(1));
    for (bad, why) in [
        (
            r#"[{"at_us": 05, "command": {"kind": "heal"}}]"#,
            "leading zero",
        ),
        (
            r#"[{"at_us": 5, "command": {"kind": "slow", "service": "a", "factor": 2.}}]"#,
            "`2.`",
        ),
        (
            r#"[{"at_us": 5, "command": {"kind": "slow", "service": "a", "factor": -.5}}]"#,
            "`-.5`",
        ),
        (
            r#"[{"at_us": 5, "at_us": 6, "command": {"kind": "heal"}}]"#,
            "duplicate field",
        ),
        (
            r#"[{"at_us": 5, "command": {"kind": "crash", "service": "a", "service": "b"}}]"#,
            "duplicate field",
        ),
        (
            r#"[{"at_us": 5, "command": {"kind": "crash", "service": "\u+041"}}]"#,
            "escape",
        ),
        (
            r#"[{"at_us": 5, "command": {"kind": "slow", "service": "a", "factor": 1e309}}]"#,
            "out of range",
        ),
        (
            r#"[{"at_us": 5, "command": {"kind": "heal", "extra": 1}}]"#,
            "unknown field",
        ),
        (
            r#"[{"at_us": 5, "command": {"kind": "explode"}}]"#,
            "unknown variant",
        ),
    ] {
        let result = read_command_log(bad);
        assert!(result.is_err(), "{bad} was accepted");
        let message = result.err().unwrap_or_default();
        assert!(!message.is_empty(), "{bad}: {why}");
    }
    let duplicate = read_command_log(r#"[{"at_us": 5, "at_us": 6, "command": {"kind": "heal"}}]"#);
    assert!(
        duplicate
            .as_ref()
            .is_err_and(|e| e.contains("duplicate field `at_us`")),
        "{duplicate:?}"
    );
}

#[test]
fn a_number_json_cannot_hold_is_refused_when_written() {
    for command in [
        CommandSpec::Kernel(KernelCommandSpec::Slow {
            service: "a".into(),
            instance: None,
            factor: f64::NAN,
            duration_us: None,
        }),
        set_policy(
            "a",
            "b",
            PolicyChange::RetryBudgetPercent(Some(f64::INFINITY)),
        ),
    ] {
        let log = [RecordedCommand { at_us: 1, command }];
        let error = command_log_json(&log).expect_err("refused");
        assert!(error.contains("not a number JSON can hold"), "{error}");
    }
}

#[test]
fn a_session_saved_by_an_earlier_version_is_still_read() {
    let old = r#"{"builtin":null,"custom":"id = \"x\"\n# ✓ é\n","seed":18446744073709551615,"speed":0.25,"lang":"hi"}"#;
    let session = StoredSession::from_json(old).expect("reads the old format");
    assert_eq!(session.seed, u64::MAX);
    assert_eq!(session.custom.as_deref(), Some("id = \"x\"\n# ✓ é\n"));
    let again = session.to_json().expect("writes");
    assert_eq!(StoredSession::from_json(&again), Ok(session));
    for bad in [
        r#"{"seed":1,"speed":1.0,"lang":"fr"}"#,
        r#"{"seed":-1,"speed":1.0,"lang":"en"}"#,
        r#"{"seed":1,"speed":1.0,"lang":"en","extra":true}"#,
        r#"{"speed":1.0,"lang":"en"}"#,
        r#"[1,2]"#,
        "not json",
    ] {
        assert!(StoredSession::from_json(bad).is_err(), "{bad}");
    }
}
