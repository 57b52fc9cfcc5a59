//! The browser writes the command log with its own small JSON writer; the CLI reads it with
//! serde. Every command kind and every knob must survive the trip unchanged.

use lokal::engine::command::{CommandSpec, RecordedCommand, command_log_json};
use lokal::engine::resilience::{BreakerState, Fallback, PolicyChange};

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
    let mut commands = vec![
        CommandSpec::Crash {
            service: "pay\"ment".into(),
            instance: 2,
            duration_us: Some(5_000_000),
        },
        CommandSpec::Crash {
            service: "payment".into(),
            instance: 0,
            duration_us: None,
        },
        CommandSpec::Restart {
            service: "payment".into(),
            instance: 1,
        },
        CommandSpec::Slow {
            service: "search".into(),
            instance: None,
            factor: 5.0,
            duration_us: Some(1),
        },
        CommandSpec::Slow {
            service: "search".into(),
            instance: Some(3),
            factor: 2.25,
            duration_us: None,
        },
        CommandSpec::Errors {
            service: "कैटलॉग".into(),
            instance: Some(0),
            probability: 0.125,
            duration_us: None,
        },
        CommandSpec::Partition {
            a: "Dadar".into(),
            b: "Bandra\\West".into(),
            duration_us: Some(10),
        },
        CommandSpec::Heal,
    ];
    commands.extend(knobs.into_iter().map(|change| CommandSpec::SetPolicy {
        from: "api".into(),
        to: "search".into(),
        change,
    }));
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
    let text = command_log_json(&log);
    let read: Vec<RecordedCommand> = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("serde refused the log: {e}\n{text}"));
    assert_eq!(read, log);
    // And the empty log.
    let empty: Vec<RecordedCommand> =
        serde_json::from_str(&command_log_json(&[])).expect("empty log");
    assert!(empty.is_empty());
}

#[test]
fn a_session_saved_by_serde_is_still_read() {
    use lokal::app::settings::StoredSession;
    let old = r#"{"builtin":null,"custom":"id = \"x\"\n# ✓ é\n","seed":18446744073709551615,"speed":0.25,"lang":"hi"}"#;
    let session = StoredSession::from_json(old).expect("reads the old format");
    assert_eq!(session.seed, u64::MAX);
    assert_eq!(session.custom.as_deref(), Some("id = \"x\"\n# ✓ é\n"));
    assert_eq!(StoredSession::from_json(&session.to_json()), Some(session));
    for bad in [
        r#"{"seed":1,"speed":1.0,"lang":"fr"}"#,
        r#"{"seed":-1,"speed":1.0,"lang":"en"}"#,
        r#"{"seed":1,"speed":1.0,"lang":"en","extra":true}"#,
        r#"{"speed":1.0,"lang":"en"}"#,
        r#"[1,2]"#,
        "not json",
    ] {
        assert!(StoredSession::from_json(bad).is_none(), "{bad}");
    }
}
