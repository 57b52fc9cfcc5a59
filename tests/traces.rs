//! Traces, checked from the exported files: every built-in scenario, over many seeds and with
//! random faults, exports Jaeger JSON and OTLP/JSON in which every id is non-zero lowercase hex of
//! the right length, every parent exists and every span starts within its parent's time. Plus
//! head and tail sampling, the bounded store, `traceparent`, the critical path, and that tracing
//! only observes: the run is the same with it on or off.

use lokal::engine::Status;
use lokal::engine::builtin::builtin_ids;
use lokal::engine::ids::RequestId;
use lokal::engine::rng::SimRng;
use lokal::engine::trace_export::{EXPORT_EPOCH_US, TraceFormat, export_traces};
use lokal::engine::traces::{SpanKind, Trace, head_sampled, trace_id_for};
use lokal::engine::{Command, Engine, Scenario, SimDuration, parse_scenario};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

mod common;
use common::{builtin, drive, random_fault};

fn is_hex_id(text: &str, digits: usize) -> bool {
    text.len() == digits
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        && text.chars().any(|c| c != '0')
}

/// One span as read back from a file: (id, parent, start, end) in microseconds.
type FileSpan = (String, Option<String>, u64, u64);

/// The checks of requirement 6 on spans read from a file, grouped by trace id.
fn check_file_spans(traces: &BTreeMap<String, Vec<FileSpan>>) -> Result<usize, String> {
    let mut count = 0;
    for (trace_id, spans) in traces {
        if !is_hex_id(trace_id, 32) {
            return Err(format!(
                "trace id {trace_id:?} is not 32 lowercase hex digits"
            ));
        }
        let by_id: BTreeMap<&str, &FileSpan> = spans.iter().map(|s| (s.0.as_str(), s)).collect();
        if by_id.len() != spans.len() {
            return Err(format!("trace {trace_id}: span ids repeat"));
        }
        let roots = spans.iter().filter(|s| s.1.is_none()).count();
        if roots != 1 {
            return Err(format!("trace {trace_id}: {roots} root spans"));
        }
        for (id, parent, start, end) in spans {
            if !is_hex_id(id, 16) {
                return Err(format!("span id {id:?} is not 16 lowercase hex digits"));
            }
            if end < start {
                return Err(format!("span {id} ends before it starts"));
            }
            if let Some(parent) = parent {
                if !is_hex_id(parent, 16) {
                    return Err(format!(
                        "parent id {parent:?} is not 16 lowercase hex digits"
                    ));
                }
                let Some((_, _, parent_start, parent_end)) = by_id.get(parent.as_str()) else {
                    return Err(format!(
                        "trace {trace_id}: span {id}'s parent {parent} is missing"
                    ));
                };
                if start < parent_start || start > parent_end {
                    return Err(format!(
                        "trace {trace_id}: span {id} starts at {start}, outside its parent ({parent_start}–{parent_end})"
                    ));
                }
            }
            count += 1;
        }
    }
    Ok(count)
}

fn jaeger_spans(text: &str) -> Result<BTreeMap<String, Vec<FileSpan>>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut traces = BTreeMap::new();
    for trace in value["data"].as_array().ok_or("no data array")? {
        let trace_id = trace["traceID"].as_str().ok_or("traceID")?.to_string();
        let processes = trace["processes"].as_object().ok_or("processes")?;
        let mut spans = Vec::new();
        for span in trace["spans"].as_array().ok_or("spans")? {
            if span["traceID"] != trace["traceID"] {
                return Err("a span's traceID differs from its trace's".into());
            }
            let process = span["processID"].as_str().ok_or("processID")?;
            if !processes.contains_key(process) {
                return Err(format!("process {process} is not listed"));
            }
            let start = span["startTime"].as_u64().ok_or("startTime")?;
            let duration = span["duration"].as_u64().ok_or("duration")?;
            let references = span["references"].as_array().ok_or("references")?;
            let parent = match references.as_slice() {
                [] => None,
                [reference] => {
                    if reference["refType"] != "CHILD_OF"
                        || reference["traceID"] != trace["traceID"]
                    {
                        return Err(format!("odd reference {reference}"));
                    }
                    Some(reference["spanID"].as_str().ok_or("spanID")?.to_string())
                }
                more => return Err(format!("{} references", more.len())),
            };
            for tag in span["tags"].as_array().ok_or("tags")? {
                let kind = tag["type"].as_str().unwrap_or_default();
                if !["string", "int64", "float64", "bool"].contains(&kind) {
                    return Err(format!("tag type {kind:?}"));
                }
            }
            spans.push((
                span["spanID"].as_str().ok_or("spanID")?.to_string(),
                parent,
                start,
                start + duration,
            ));
        }
        traces.insert(trace_id, spans);
    }
    Ok(traces)
}

fn otlp_spans(text: &str) -> Result<BTreeMap<String, Vec<FileSpan>>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut traces: BTreeMap<String, Vec<FileSpan>> = BTreeMap::new();
    let nanos = |v: &Value| -> Result<u64, String> {
        // 64-bit integers are decimal strings in OTLP/JSON.
        let text = v
            .as_str()
            .ok_or_else(|| format!("time {v} is not a string"))?;
        let n: u128 = text.parse().map_err(|_| format!("time {text:?}"))?;
        Ok((n / 1_000) as u64)
    };
    for resource in value["resourceSpans"].as_array().ok_or("resourceSpans")? {
        let attributes = resource["resource"]["attributes"]
            .as_array()
            .ok_or("resource attributes")?;
        if !attributes.iter().any(|a| a["key"] == "service.name") {
            return Err("a resource without service.name".into());
        }
        for scope in resource["scopeSpans"].as_array().ok_or("scopeSpans")? {
            for span in scope["spans"].as_array().ok_or("spans")? {
                let kind = span["kind"].as_u64().ok_or("kind is not an integer")?;
                if !(1..=3).contains(&kind) {
                    return Err(format!("kind {kind}"));
                }
                let code = span["status"]["code"]
                    .as_u64()
                    .ok_or("status code is not an integer")?;
                if !(1..=2).contains(&code) {
                    return Err(format!("status code {code} on a finished span"));
                }
                for attribute in span["attributes"].as_array().ok_or("attributes")? {
                    if let Some(int) = attribute["value"].get("intValue") {
                        int.as_str()
                            .and_then(|t| t.parse::<i64>().ok())
                            .ok_or("intValue is not a decimal string")?;
                    }
                }
                for event in span["events"].as_array().ok_or("events")? {
                    nanos(&event["timeUnixNano"])?;
                }
                let trace_id = span["traceId"].as_str().ok_or("traceId")?.to_string();
                let parent = span
                    .get("parentSpanId")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                traces.entry(trace_id).or_default().push((
                    span["spanId"].as_str().ok_or("spanId")?.to_string(),
                    parent,
                    nanos(&span["startTimeUnixNano"])?,
                    nanos(&span["endTimeUnixNano"])?,
                ));
            }
        }
    }
    Ok(traces)
}

/// Both exports of `engine`'s retained traces pass the file checks; returns the span count.
fn check_exports(engine: &Engine) -> Result<usize, String> {
    let traces = engine.retained_traces();
    for trace in &traces {
        trace.check()?;
    }
    let refs = traces.iter().map(|t| t.as_ref());
    let jaeger = export_traces(engine.scenario(), refs.clone(), TraceFormat::Jaeger)?;
    let otlp = export_traces(engine.scenario(), refs, TraceFormat::Otlp)?;
    let a = check_file_spans(&jaeger_spans(&jaeger)?).map_err(|e| format!("jaeger: {e}"))?;
    let b = check_file_spans(&otlp_spans(&otlp)?).map_err(|e| format!("otlp: {e}"))?;
    if a != b {
        return Err(format!("jaeger has {a} spans, otlp {b}"));
    }
    Ok(a)
}

fn random_faults(scenario: &Scenario, seed: u64, horizon_us: u64) -> Vec<(u64, Command)> {
    let mut rng = SimRng::derive(seed, "test/trace-faults");
    let count = 1 + rng.below(6);
    let mut commands: Vec<(u64, Command)> = (0..count)
        .map(|_| random_fault(scenario, &mut rng, horizon_us, 6_000_000, false))
        .collect();
    commands.sort_by_key(|(at, _)| *at);
    commands
}

fn run_with_faults(mut scenario: Scenario, seed: u64, seconds: u64) -> Engine {
    scenario.duration = SimDuration::from_secs(seconds);
    let commands = random_faults(&scenario, seed, seconds * 1_000_000);
    let mut engine = Engine::new(Arc::new(scenario), seed);
    drive(&mut engine, &commands, u64::MAX, |_, _| Ok(())).expect("finite, valid commands");
    engine
}

#[test]
fn every_exported_trace_is_well_formed_across_scenarios_seeds_and_faults() {
    let ids: Vec<&str> = builtin_ids().collect();
    let mut spans = 0;
    let mut outlived = 0;
    for seed in 1..=40u64 {
        let id = ids[(seed as usize) % ids.len()];
        let engine = run_with_faults(builtin(id), seed, 15);
        spans += check_exports(&engine).unwrap_or_else(|e| panic!("seed {seed} ({id}): {e}"));
        // Callees that outlived a caller who gave up are kept as they happened.
        for trace in engine.retained_traces() {
            for span in &trace.spans {
                if let Some(parent) = span.parent.and_then(|p| trace.span_index(p))
                    && span.end_us > trace.spans[parent].end_us
                {
                    outlived += 1;
                }
            }
        }
    }
    println!("{spans} spans checked; {outlived} outlived their parent");
    assert!(spans > 10_000, "{spans}");
    assert!(
        outlived > 0,
        "timeouts and sagas should leave some spans outliving their parents"
    );
}

#[test]
fn every_call_has_a_client_span_and_a_server_span_under_it() {
    let mut scenario = builtin("flipkart");
    scenario.faults.clear();
    scenario.duration = SimDuration::from_secs(5);
    let mut engine = Engine::new(Arc::new(scenario), 3);
    engine.run_until_idle(u64::MAX).expect("finite");
    let traces = engine.retained_traces();
    assert!(!traces.is_empty());
    for trace in &traces {
        let root = trace.root().expect("a root");
        assert_eq!(root.kind, SpanKind::Client);
        assert!(root.service.is_none(), "the root is the client's call");
        for span in &trace.spans {
            match span.kind {
                SpanKind::Client => {
                    let servers: Vec<_> = trace
                        .spans
                        .iter()
                        .filter(|s| s.parent == Some(span.id))
                        .collect();
                    // Without faults every call reaches a live instance.
                    assert_eq!(servers.len(), 1, "{span:?}");
                    assert_eq!(servers[0].kind, SpanKind::Server);
                    assert_eq!(servers[0].call, span.call);
                }
                SpanKind::Server => {
                    let parent = span
                        .parent
                        .and_then(|p| trace.span_index(p))
                        .expect("parent");
                    assert_eq!(trace.spans[parent].kind, SpanKind::Client);
                    assert!(span.instance.is_some());
                }
                SpanKind::Internal => panic!("flipkart has no sagas"),
            }
        }
    }
}

#[test]
fn tracing_only_observes_the_run_is_the_same_on_or_off() {
    for id in ["flipkart", "paytm-saga", "zomato-retry-storm"] {
        let mut on = builtin(id);
        on.duration = SimDuration::from_secs(20);
        let mut off = on.clone();
        off.tracing.head_sampling = 0.0;
        let run = |scenario: Scenario| {
            let mut engine = Engine::new(Arc::new(scenario), 9);
            engine.run_until_idle(u64::MAX).expect("finite");
            engine
        };
        let (on, off) = (run(on), run(off));
        assert_eq!(on.trace_hash(), off.trace_hash(), "{id}");
        assert!(on.trace_counters().spans > 0);
        assert_eq!(off.trace_counters().spans, 0);
        assert!(off.retained_traces().is_empty());
    }
}

#[test]
fn head_sampling_records_the_configured_share_and_the_flag_says_so() {
    let mut scenario = builtin("flipkart");
    scenario.faults.clear();
    scenario.duration = SimDuration::from_secs(300);
    scenario.tracing.head_sampling = 0.25;
    scenario.tracing.recent = 10_000;
    let seed = 4;
    let mut engine = Engine::new(Arc::new(scenario), seed);
    engine.run_until_idle(u64::MAX).expect("finite");
    let counters = engine.trace_counters();
    let share = counters.sampled as f64 / (counters.sampled + counters.unsampled) as f64;
    assert!(
        (share - 0.25).abs() < 0.015,
        "{share} of {}",
        counters.sampled + counters.unsampled
    );
    // The decision is the trace id's: recorded traces are exactly the sampled ids.
    for trace in engine.retained_traces() {
        assert!(head_sampled(trace.id, 0.25));
        let call = trace.root().and_then(|s| s.call).expect("root call");
        let header = engine.traceparent_of(trace.request, call);
        assert_eq!(
            header,
            format!("00-{}-{}-01", trace.id, trace.root().unwrap().id)
        );
    }
    // An unsampled request's header carries flags 00.
    let unsampled = (1..10_000u64)
        .map(RequestId)
        .find(|&r| !head_sampled(trace_id_for(seed, r), 0.25))
        .expect("some request is not sampled");
    let header = engine.traceparent_of(unsampled, lokal::engine::ids::CallId(1));
    assert!(
        header.starts_with("00-") && header.ends_with("-00"),
        "{header}"
    );
    let parts: Vec<&str> = header.split('-').collect();
    assert!(
        is_hex_id(parts[1], 32) && is_hex_id(parts[2], 16),
        "{header}"
    );
}

#[test]
fn the_tail_policy_keeps_errors_and_slow_traces_and_the_store_stays_bounded() {
    let mut scenario = builtin("zomato-unprotected");
    scenario.duration = SimDuration::from_secs(40);
    scenario.tracing.recent = 20;
    scenario.tracing.kept = 50;
    scenario.tracing.keep_slower_than = Some(SimDuration::from_millis(800));
    let mut engine = Engine::new(Arc::new(scenario), 2);
    let mut most = 0;
    while engine
        .advance_until(engine.now() + SimDuration::from_millis(500), u64::MAX)
        .is_ok()
    {
        most = most.max(engine.retained_traces().len());
        if engine.is_idle() {
            break;
        }
    }
    let counters = engine.trace_counters();
    assert!(counters.kept_error > 100, "{counters:?}");
    assert!(counters.kept_slow > 0, "{counters:?}");
    assert!(
        most <= 70,
        "the store held {most} traces, more than recent + kept"
    );
    let retained = engine.retained_traces();
    // Apart from the 20 most recent, every retained trace was kept by the tail policy.
    let recent_cut = retained.len().saturating_sub(20);
    for trace in &retained[..recent_cut] {
        match trace.keep {
            Some(lokal::engine::traces::KeepReason::Error) => assert!(trace.has_error()),
            Some(lokal::engine::traces::KeepReason::Slow) => {
                assert!(!trace.has_error());
                assert!(trace.duration_us(0) > 800_000);
            }
            other => panic!("an old trace kept for {other:?}"),
        }
    }
    // In completion order.
    assert!(retained.windows(2).all(|w| w[0].sequence < w[1].sequence));
}

fn chain_scenario() -> Scenario {
    // front calls a (10 ms) then b (30 ms) in sequence, then c and d in parallel (5 ms, 50 ms).
    parse_scenario(
        r#"
        id = "chain"
        duration = "1s"
        [[lines]]
        name = "L"
        stations = ["A", "B"]
        [network]
        latency = "1ms"
        local_latency = "0us"
        [[services]]
        name = "front"
        station = "A"
        [[services.endpoints]]
        name = "go"
        service_time = "2ms"
        calls = ["a.x", "b.x", { parallel = ["c.x", "d.x"] }]
        [[services]]
        name = "a"
        station = "B"
        [[services.endpoints]]
        name = "x"
        service_time = "10ms"
        [[services]]
        name = "b"
        station = "B"
        [[services.endpoints]]
        name = "x"
        service_time = "30ms"
        [[services]]
        name = "c"
        station = "B"
        [[services.endpoints]]
        name = "x"
        service_time = "5ms"
        [[services]]
        name = "d"
        station = "B"
        [[services.endpoints]]
        name = "x"
        service_time = "50ms"
        [workload]
        station = "A"
        rate = "5/s"
        [[workload.mix]]
        endpoint = "front.go"
        "#,
    )
    .unwrap_or_else(|p| panic!("{p:#?}"))
}

fn critical_services(trace: &Trace) -> Vec<String> {
    let mut names: Vec<String> = trace
        .critical_path(0)
        .iter()
        .filter_map(|&(i, _, _)| {
            let span = &trace.spans[i];
            (span.kind == SpanKind::Server).then(|| format!("{:?}", span.operation))
        })
        .collect();
    names.dedup();
    names
}

#[test]
fn the_critical_path_runs_through_the_sequential_calls_and_the_slower_parallel_one() {
    let scenario = chain_scenario();
    let endpoint = |name: &str| scenario.endpoint_named(name).expect(name);
    let (a, b, c, d) = (
        endpoint("a.x"),
        endpoint("b.x"),
        endpoint("c.x"),
        endpoint("d.x"),
    );
    let mut engine = Engine::new(Arc::new(scenario), 1);
    engine.run_until_idle(u64::MAX).expect("finite");
    let traces = engine.retained_traces();
    assert!(!traces.is_empty());
    for trace in &traces {
        let segments = trace.critical_path(0);
        // The segments tile the root span exactly, latest first, with no gap or overlap.
        let root = trace.root().unwrap();
        let total: u64 = segments.iter().map(|&(_, s, e)| e - s).sum();
        assert_eq!(total, root.end_us.unwrap() - root.start_us);
        for pair in segments.windows(2) {
            assert_eq!(pair[0].1, pair[1].2, "segments must be contiguous");
        }
        for &(index, start, end) in &segments {
            let span = &trace.spans[index];
            assert!(start >= span.start_us && end <= span.end_us.unwrap());
        }
        let path = critical_services(trace);
        let names = |ids: &[lokal::engine::ids::EndpointId]| -> Vec<String> {
            ids.iter()
                .map(|e| format!("{:?}", lokal::engine::traces::Operation::Call(*e)))
                .collect()
        };
        // Walking back from the end: d (the slower parallel call), then b, then a; never c.
        let front = format!("{:?}", root.operation);
        let expected: Vec<String> = names(&[d, b, a]);
        let on_path: Vec<String> = path.into_iter().filter(|n| *n != front).collect();
        assert_eq!(on_path, expected);
        assert!(!on_path.contains(&names(&[c])[0]));
    }
}

#[test]
fn a_failed_call_marks_its_spans_and_the_error_events() {
    let mut scenario = builtin("zomato-retry-storm");
    scenario.duration = SimDuration::from_secs(30);
    let mut engine = Engine::new(Arc::new(scenario), 6);
    engine.run_until_idle(u64::MAX).expect("finite");
    let mut retries = 0;
    let mut timeouts = 0;
    let mut retried_spans = 0;
    for trace in engine.retained_traces() {
        for span in &trace.spans {
            for event in &span.events {
                match event.kind {
                    lokal::engine::traces::SpanEventKind::Retry { .. } => {
                        retries += 1;
                        assert_eq!(
                            span.kind,
                            SpanKind::Server,
                            "the caller's handler schedules retries"
                        );
                    }
                    lokal::engine::traces::SpanEventKind::Timeout => {
                        timeouts += 1;
                        assert_eq!(span.status, Some(Status::Timeout));
                        assert_eq!(span.kind, SpanKind::Client);
                    }
                    _ => {}
                }
                assert!(event.t_us >= span.start_us && span.end_us.is_none_or(|e| event.t_us <= e));
            }
            // A retry attempt's client span follows the retry its caller scheduled.
            if span.kind == SpanKind::Client && span.attempt > 1 && span.saga.is_none() {
                let caller = span
                    .parent
                    .and_then(|p| trace.span_index(p))
                    .expect("caller");
                let scheduled = trace.spans[caller].events.iter().any(|e| {
                    matches!(e.kind, lokal::engine::traces::SpanEventKind::Retry { attempt, .. } if attempt == span.attempt)
                        && e.t_us <= span.start_us
                });
                assert!(
                    scheduled,
                    "attempt {} without its retry event",
                    span.attempt
                );
                retried_spans += 1;
            }
        }
    }
    assert!(
        retries > 0 && timeouts > 0 && retried_spans > 0,
        "{retries} retries, {timeouts} timeouts, {retried_spans} retried attempts"
    );
}

#[test]
fn exports_are_reproducible_and_start_at_the_export_epoch() {
    let run = || {
        let mut scenario = builtin("paytm-saga");
        scenario.duration = SimDuration::from_secs(10);
        let mut engine = Engine::new(Arc::new(scenario), 12);
        engine.run_until_idle(u64::MAX).expect("finite");
        let traces = engine.retained_traces();
        export_traces(
            engine.scenario(),
            traces.iter().map(|t| t.as_ref()),
            TraceFormat::Jaeger,
        )
        .expect("writes")
    };
    let first = run();
    assert_eq!(first, run());
    let spans = jaeger_spans(&first).expect("parses");
    let earliest = spans.values().flatten().map(|s| s.2).min().expect("spans");
    assert!((EXPORT_EPOCH_US..EXPORT_EPOCH_US + 10_000_000).contains(&earliest));
}
