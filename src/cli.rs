//! `lokal-cli`, the headless runner: run a scenario and print its report, validate a scenario,
//! or benchmark the engine. Every bad input ends in a clear message and exit code 2, never a panic.

use crate::engine::builtin::{builtin_ids, builtin_source};
use crate::engine::events::format_hash;
use crate::engine::report::{LatencyMs, RunReport, format_ms as ms};
use crate::engine::time::{format_micros, parse_duration};
use crate::engine::trace_export::{TraceFormat, export_traces};
use crate::engine::{
    Engine, EngineError, RecordedCommand, Scenario, SimDuration, SimTime, parse_scenario,
};
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Arc;

/// Exit code for bad input of any kind.
pub const EXIT_BAD_INPUT: i32 = 2;

/// Events processed between checks of the event bound and flushes of `--events`.
const CHUNK_EVENTS: u64 = 250_000;

/// Default bound on events for one run: enough for hours of a busy scenario, finite.
const DEFAULT_MAX_EVENTS: u64 = 5_000_000_000;

const USAGE: &str = "\
lokal-cli — run Lokal scenarios without a browser

USAGE:
  lokal-cli run FILE [--seed N] [--duration D] [--json] [--events OUT.jsonl]
                     [--commands LOG.json] [--max-events N]
  lokal-cli traces FILE [--seed N] [--duration D] --format jaeger|otlp --out PATH
                        [--commands LOG.json]
  lokal-cli validate FILE
  lokal-cli bench [--json] [--requests N] [--no-traces]
  lokal-cli list

FILE is a scenario TOML file, or builtin:ID for a built-in scenario (see `list`).
Durations take a unit: 250ms, 2s, 5m.

  run       simulate to the end and print the report (--json: one JSON object)
            --events writes every engine event as one JSON object per line
            --commands replays a command log (a JSON array of {\"at_us\", \"command\"})
  traces    simulate to the end and write every retained trace: as Jaeger JSON (opens
            in Jaeger UI) or as OTLP/JSON (what an OpenTelemetry collector receives)
  validate  exit 0 if the scenario is valid, else print every problem and exit 2
  bench     simulate the reference model (M/M/10, λ = 9/s, 2 ms network) and report
            simulated requests per wall-clock second and peak memory
            (--no-traces: with head sampling off, to measure what tracing costs)
  list      the built-in scenarios
";

/// What went wrong, already worded for the user.
#[derive(Debug)]
pub struct CliError(pub String);

impl<T: std::fmt::Display> From<T> for CliError {
    fn from(value: T) -> CliError {
        CliError(value.to_string())
    }
}

struct RunOptions {
    file: String,
    seed: Option<u64>,
    duration: Option<SimDuration>,
    json: bool,
    events: Option<String>,
    commands: Option<String>,
    max_events: u64,
}

struct BenchOptions {
    json: bool,
    requests: u64,
    traces: bool,
}

/// Runs the CLI with `args` (without the program name), writing to `out`. Returns the exit code.
pub fn main_with_args(
    args: &[String],
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> i32 {
    match dispatch(args, out) {
        Ok(code) => code,
        Err(CliError(message)) => {
            let _ = writeln!(err, "lokal-cli: {message}");
            EXIT_BAD_INPUT
        }
    }
}

fn dispatch(args: &[String], out: &mut dyn std::io::Write) -> Result<i32, CliError> {
    let Some(command) = args.first() else {
        return Err(CliError(format!("no command given\n\n{USAGE}")));
    };
    let rest = &args[1..];
    match command.as_str() {
        "run" => {
            let options = parse_run_options(rest)?;
            let text = run(&options)?;
            out.write_all(text.as_bytes())?;
            Ok(0)
        }
        "traces" => {
            let (options, format, out_path) = parse_trace_options(rest)?;
            let engine = simulate(&options)?;
            let traces = engine.retained_traces();
            let text = export_traces(
                engine.scenario(),
                traces.iter().map(|trace| trace.as_ref()),
                format,
            );
            std::fs::write(&out_path, text.as_bytes())
                .map_err(|e| CliError(format!("{out_path}: {e}")))?;
            let spans: usize = traces.iter().map(|trace| trace.spans.len()).sum();
            writeln!(
                out,
                "wrote {} traces ({spans} spans) as {} to {out_path}",
                traces.len(),
                format.key()
            )?;
            Ok(0)
        }
        "validate" => {
            let [file] = rest else {
                return Err(CliError("validate takes exactly one FILE".into()));
            };
            let source = read_source(file)?;
            match parse_scenario(&source) {
                Ok(scenario) => {
                    writeln!(
                        out,
                        "{file}: valid ({} services, {} endpoints, {} stations)",
                        scenario.services.len(),
                        scenario.endpoints.len(),
                        scenario.stations.len()
                    )?;
                    Ok(0)
                }
                Err(problems) => {
                    let mut text = format!("{file}: {} problem(s)\n", problems.len());
                    for problem in problems {
                        let _ = writeln!(text, "  {problem}");
                    }
                    Err(CliError(text.trim_end().to_string()))
                }
            }
        }
        "bench" => {
            let options = parse_bench_options(rest)?;
            let text = bench(&options)?;
            out.write_all(text.as_bytes())?;
            Ok(0)
        }
        "list" => {
            for id in builtin_ids() {
                let title = builtin_source(id)
                    .and_then(|source| parse_scenario(source).ok())
                    .map(|scenario| scenario.title.en)
                    .unwrap_or_default();
                writeln!(out, "builtin:{id:<16} {title}")?;
            }
            Ok(0)
        }
        "help" | "--help" | "-h" => {
            out.write_all(USAGE.as_bytes())?;
            Ok(0)
        }
        other => Err(CliError(format!("unknown command \"{other}\"\n\n{USAGE}"))),
    }
}

fn flag_value<'a>(args: &'a [String], index: &mut usize, flag: &str) -> Result<&'a str, CliError> {
    *index += 1;
    args.get(*index)
        .map(String::as_str)
        .ok_or_else(|| CliError(format!("{flag} needs a value")))
}

fn parse_u64(text: &str, flag: &str) -> Result<u64, CliError> {
    text.replace('_', "")
        .parse()
        .map_err(|_| CliError(format!("{flag} takes a whole number, got \"{text}\"")))
}

fn parse_run_options(args: &[String]) -> Result<RunOptions, CliError> {
    let mut options = RunOptions {
        file: String::new(),
        seed: None,
        duration: None,
        json: false,
        events: None,
        commands: None,
        max_events: DEFAULT_MAX_EVENTS,
    };
    let mut index = 0;
    while index < args.len() {
        let arg = args[index].as_str();
        match arg {
            "--seed" => options.seed = Some(parse_u64(flag_value(args, &mut index, arg)?, arg)?),
            "--duration" => {
                let value = flag_value(args, &mut index, arg)?;
                let duration =
                    parse_duration(value).map_err(|e| CliError(format!("--duration: {e}")))?;
                if duration.0 == 0 {
                    return Err(CliError("--duration must be above zero".into()));
                }
                options.duration = Some(duration);
            }
            "--json" => options.json = true,
            "--events" => options.events = Some(flag_value(args, &mut index, arg)?.to_string()),
            "--commands" => options.commands = Some(flag_value(args, &mut index, arg)?.to_string()),
            "--max-events" => {
                options.max_events = parse_u64(flag_value(args, &mut index, arg)?, arg)?
            }
            flag if flag.starts_with('-') => {
                return Err(CliError(format!("unknown flag \"{flag}\" for run")));
            }
            file if options.file.is_empty() => options.file = file.to_string(),
            extra => return Err(CliError(format!("unexpected argument \"{extra}\""))),
        }
        index += 1;
    }
    if options.file.is_empty() {
        return Err(CliError("run needs a scenario FILE (or builtin:ID)".into()));
    }
    Ok(options)
}

/// `traces` takes `run`'s options plus `--format` and `--out`.
fn parse_trace_options(args: &[String]) -> Result<(RunOptions, TraceFormat, String), CliError> {
    let mut format = None;
    let mut out = None;
    let mut rest = Vec::new();
    let mut index = 0;
    while index < args.len() {
        let arg = args[index].as_str();
        match arg {
            "--format" => {
                let value = flag_value(args, &mut index, arg)?;
                format = Some(TraceFormat::parse(value).ok_or_else(|| {
                    CliError(format!("--format takes jaeger or otlp, got \"{value}\""))
                })?);
            }
            "--out" => out = Some(flag_value(args, &mut index, arg)?.to_string()),
            "--json" | "--events" => {
                return Err(CliError(format!("{arg} is a flag of run, not of traces")));
            }
            _ => rest.push(args[index].clone()),
        }
        index += 1;
    }
    let options = parse_run_options(&rest).map_err(|e| {
        CliError(
            e.0.replace(" for run", " for traces")
                .replace("run needs", "traces needs"),
        )
    })?;
    let format =
        format.ok_or_else(|| CliError("traces needs --format jaeger or --format otlp".into()))?;
    let out = out.ok_or_else(|| CliError("traces needs --out PATH".into()))?;
    Ok((options, format, out))
}

fn parse_bench_options(args: &[String]) -> Result<BenchOptions, CliError> {
    let mut options = BenchOptions {
        json: false,
        requests: 2_000_000,
        traces: true,
    };
    let mut index = 0;
    while index < args.len() {
        let arg = args[index].as_str();
        match arg {
            "--json" => options.json = true,
            "--no-traces" => options.traces = false,
            "--requests" => {
                options.requests = parse_u64(flag_value(args, &mut index, arg)?, arg)?;
                if !(1_000..=1_000_000_000).contains(&options.requests) {
                    return Err(CliError(
                        "--requests must be from 1000 to 1000000000".into(),
                    ));
                }
            }
            other => return Err(CliError(format!("unknown argument \"{other}\" for bench"))),
        }
        index += 1;
    }
    Ok(options)
}

/// The scenario text of `file`: a path, or `builtin:ID`.
pub fn read_source(file: &str) -> Result<String, CliError> {
    if let Some(id) = file.strip_prefix("builtin:") {
        return builtin_source(id).map(str::to_string).ok_or_else(|| {
            let known: Vec<&str> = builtin_ids().collect();
            CliError(format!(
                "no built-in scenario \"{id}\"; known: {}",
                known.join(", ")
            ))
        });
    }
    std::fs::read_to_string(file).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => CliError(format!("{file}: no such file")),
        std::io::ErrorKind::InvalidData => CliError(format!("{file}: not UTF-8 text")),
        _ => CliError(format!("{file}: {error}")),
    })
}

/// Parses a scenario file, turning its problems into one readable error.
pub fn load_scenario(file: &str) -> Result<Scenario, CliError> {
    let source = read_source(file)?;
    parse_scenario(&source).map_err(|problems| {
        let mut text = format!("{file}: {} problem(s)", problems.len());
        for problem in problems {
            let _ = write!(text, "\n  {problem}");
        }
        CliError(text)
    })
}

fn load_commands(path: &str) -> Result<Vec<RecordedCommand>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError(format!("{path}: {e}")))?;
    let mut commands: Vec<RecordedCommand> = serde_json::from_str(&text)
        .map_err(|e| CliError(format!("{path}: not a command log: {e}")))?;
    commands.sort_by_key(|command| command.at_us);
    Ok(commands)
}

/// Runs until idle (or until `until`), writing recorded events and enforcing the event bound.
fn drive(
    engine: &mut Engine,
    until: Option<SimTime>,
    events_out: &mut Option<std::io::BufWriter<std::fs::File>>,
    processed: &mut u64,
    max_events: u64,
) -> Result<(), CliError> {
    loop {
        let budget = CHUNK_EVENTS.min(max_events.saturating_sub(*processed));
        let result = match until {
            Some(target) => engine.advance_until(target, budget),
            None => engine.run_until_idle(budget),
        };
        let done = match result {
            Ok(n) => {
                *processed += n;
                true
            }
            Err(EngineError::EventBudgetExhausted { processed: n, .. }) => {
                *processed += n;
                false
            }
        };
        if let Some(writer) = events_out {
            let scenario = Arc::clone(engine.scenario());
            for event in engine.drain_events() {
                serde_json::to_writer(&mut *writer, &event.to_json(&scenario))?;
                writer.write_all(b"\n")?;
            }
        }
        if done {
            return Ok(());
        }
        if *processed >= max_events {
            return Err(CliError(format!(
                "stopped after {processed} events at virtual time {}: the event bound (--max-events {max_events}) was reached",
                engine.now()
            )));
        }
    }
}

fn run(options: &RunOptions) -> Result<String, CliError> {
    let engine = simulate(options)?;
    let report = engine.report();
    Ok(if options.json {
        let mut text = serde_json::to_string(&report)?;
        text.push('\n');
        text
    } else {
        format_report(&report, &engine)
    })
}

/// Runs the scenario of `options` to the end, replaying its command log.
fn simulate(options: &RunOptions) -> Result<Engine, CliError> {
    let mut scenario = load_scenario(&options.file)?;
    if let Some(duration) = options.duration {
        scenario.duration = duration;
    }
    let seed = options.seed.unwrap_or(scenario.seed);
    let commands = match &options.commands {
        Some(path) => load_commands(path)?,
        None => Vec::new(),
    };
    let mut engine = Engine::new(Arc::new(scenario), seed);
    let mut events_out = match &options.events {
        Some(path) => {
            engine.set_recording(true);
            let file = std::fs::File::create(path).map_err(|e| CliError(format!("{path}: {e}")))?;
            Some(std::io::BufWriter::new(file))
        }
        None => None,
    };
    let mut processed = 0;
    for recorded in &commands {
        drive(
            &mut engine,
            Some(recorded.at()),
            &mut events_out,
            &mut processed,
            options.max_events,
        )?;
        let command = recorded
            .command
            .resolve(engine.scenario())
            .map_err(|e| CliError(format!("command at {}: {e}", format_micros(recorded.at_us))))?;
        engine.apply(command)?;
    }
    drive(
        &mut engine,
        None,
        &mut events_out,
        &mut processed,
        options.max_events,
    )?;
    if let Some(mut writer) = events_out {
        writer.flush()?;
    }
    Ok(engine)
}

fn latency_cells(latency: &LatencyMs) -> String {
    format!(
        "{:>8} {:>8} {:>8} {:>8} {:>8}",
        ms(latency.mean),
        ms(latency.p50),
        ms(latency.p90),
        ms(latency.p99),
        ms(latency.p99_9)
    )
}

/// The report as a person reads it.
pub fn format_report(report: &RunReport, engine: &Engine) -> String {
    let scenario = engine.scenario();
    let mut text = String::new();
    let _ = writeln!(
        text,
        "scenario    {} — {}",
        report.scenario, scenario.title.en
    );
    let _ = writeln!(text, "seed        {} ({})", report.seed, report.rng);
    let _ = writeln!(
        text,
        "simulated   {:.1} s of virtual time, {} events",
        report.virtual_seconds, report.events_processed
    );
    let _ = writeln!(text);
    let _ = writeln!(
        text,
        "requests    arrived {}  completed {} (degraded {})  failed {}  rejected {}  timed out {}  in flight {}",
        report.arrived,
        report.completed,
        report.degraded,
        report.failed,
        report.rejected,
        report.timed_out,
        report.in_flight
    );
    let _ = writeln!(
        text,
        "latency     mean {} ms  p50 {} ms  p90 {} ms  p99 {} ms  p99.9 {} ms  (successful requests)",
        ms(report.latency_ms.mean),
        ms(report.latency_ms.p50),
        ms(report.latency_ms.p90),
        ms(report.latency_ms.p99),
        ms(report.latency_ms.p99_9)
    );
    let _ = writeln!(
        text,
        "throughput  {:.2} requests/s",
        report.throughput_per_s
    );
    let _ = writeln!(text);
    let _ = writeln!(
        text,
        "{:<24} {:>9} {:>9} {:>7} {:>8} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "endpoint",
        "arrived",
        "completed",
        "failed",
        "rejected",
        "timed out",
        "mean ms",
        "p50",
        "p90",
        "p99",
        "p99.9"
    );
    for endpoint in &report.endpoints {
        let _ = writeln!(
            text,
            "{:<24} {:>9} {:>9} {:>7} {:>8} {:>9} {}",
            endpoint.endpoint,
            endpoint.arrived,
            endpoint.completed,
            endpoint.failed,
            endpoint.rejected,
            endpoint.timed_out,
            latency_cells(&endpoint.latency_ms)
        );
    }
    let _ = writeln!(text);
    let _ = writeln!(
        text,
        "{:<24} {:>9} {:>9} {:>7} {:>8} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "service",
        "arrived",
        "completed",
        "failed",
        "rejected",
        "busy %",
        "mean ms",
        "p50",
        "p90",
        "p99",
        "p99.9"
    );
    for service in &report.services {
        let _ = writeln!(
            text,
            "{:<24} {:>9} {:>9} {:>7} {:>8} {:>9.1} {}",
            service.service,
            service.arrived,
            service.completed,
            service.failed,
            service.rejected,
            service.utilisation * 100.0,
            latency_cells(&service.latency_ms)
        );
    }
    if !report.edges.is_empty() {
        let _ = writeln!(text);
        let _ = writeln!(
            text,
            "{:<26} {:>7} {:>7} {:>8} {:>7} | {:>8} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>7}  breaker",
            "edge",
            "calls",
            "success",
            "fallback",
            "failed",
            "attempts",
            "retries",
            "errors",
            "timeout",
            "short",
            "bulkhd",
            "limited",
            "error %",
        );
        for edge in &report.edges {
            let _ = writeln!(
                text,
                "{:<26} {:>7} {:>7} {:>8} {:>7} | {:>8} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>7.1}  {}",
                edge.edge,
                edge.calls,
                edge.success,
                edge.fallback_served,
                edge.failed,
                edge.attempts_sent,
                edge.retries,
                edge.failure,
                edge.timeout,
                edge.short_circuited,
                edge.bulkhead_rejected,
                edge.rate_limited,
                edge.error_percentage,
                match edge.breaker_state {
                    Some(state) => format!(
                        "{state} after {} transitions",
                        edge.breaker_transitions.len()
                    ),
                    None => "—".to_string(),
                }
            );
        }
    }
    for saga in &report.sagas {
        let _ = writeln!(text);
        let _ = writeln!(
            text,
            "saga {}: started {}  completed {}  compensated {}  running {}  compensations {}  retries {}  locks observed {}",
            saga.saga,
            saga.started,
            saga.completed,
            saga.compensated,
            saga.running,
            saga.compensations_run,
            saga.retries,
            saga.lock_observations
        );
    }
    let traces = &report.traces;
    let _ = writeln!(text);
    let _ = writeln!(
        text,
        "traces      head sampling {:.0}%: {} recorded, {} not; {} complete, {} open, {} spans; tail kept {} errors, {} slow, {} by ratio; {} retained",
        traces.head_sampling * 100.0,
        traces.counters.sampled,
        traces.counters.unsampled,
        traces.counters.completed,
        traces.open,
        traces.counters.spans,
        traces.counters.kept_error,
        traces.counters.kept_slow,
        traces.counters.kept_ratio,
        traces.retained
    );
    let _ = writeln!(text);
    let _ = writeln!(text, "trace_hash  {}", report.trace_hash);
    text
}

/// Peak and current resident memory in MB, from /proc (Linux); `None` elsewhere.
fn memory_mb() -> Option<(f64, f64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

/// The reference model of `bench`.
pub const BENCH_REFERENCE: &str = include_str!("../benches/reference.toml");

fn bench(options: &BenchOptions) -> Result<String, CliError> {
    let mut scenario = parse_scenario(BENCH_REFERENCE)
        .map_err(|problems| CliError(format!("the reference model is invalid: {problems:?}")))?;
    let rate = 9.0;
    let seconds = (options.requests as f64 / rate).ceil() as u64;
    scenario.duration = SimDuration::from_secs(seconds);
    if !options.traces {
        scenario.tracing.head_sampling = 0.0;
    }
    let head_sampling = scenario.tracing.head_sampling;
    let mut engine = Engine::new(Arc::new(scenario), 1);
    let started = std::time::Instant::now();
    let mut rss_checkpoints_mb = Vec::new();
    let mut events = 0;
    for tenth in 1..=10u64 {
        let target = SimTime::from_secs(seconds * tenth / 10);
        events += engine
            .advance_until(target, u64::MAX)
            .map_err(|e| CliError(e.to_string()))?;
        if let Some((_, rss)) = memory_mb() {
            rss_checkpoints_mb.push((engine.metrics().client.counters.arrived, rss));
        }
    }
    events += engine
        .run_until_idle(u64::MAX)
        .map_err(|e| CliError(e.to_string()))?;
    let wall = started.elapsed().as_secs_f64();
    let report = engine.report();
    let requests_per_s = report.arrived as f64 / wall;
    let events_per_s = events as f64 / wall;
    let (peak_rss_mb, _) = memory_mb().unwrap_or((0.0, 0.0));
    if options.json {
        let value = serde_json::json!({
            "model": "M/M/10, lambda 9/s, mean service 1 s, 2 ms network each way",
            "requests": report.arrived,
            "events": events,
            "wall_seconds": wall,
            "requests_per_s": requests_per_s,
            "events_per_s": events_per_s,
            "peak_rss_mb": peak_rss_mb,
            "rss_mb_by_requests": rss_checkpoints_mb,
            "mean_response_s": report.latency_ms.mean / 1_000.0,
            "head_sampling": head_sampling,
            "spans": report.traces.counters.spans,
            "trace_hash": format_hash(engine.trace_hash()),
        });
        return Ok(format!("{value}\n"));
    }
    let mut text = String::new();
    let _ = writeln!(
        text,
        "model        M/M/10, λ = 9/s, mean service 1 s, 2 ms network each way"
    );
    let _ = writeln!(
        text,
        "requests     {} ({} events) in {wall:.2} s of wall-clock time",
        report.arrived, events
    );
    let _ = writeln!(
        text,
        "speed        {requests_per_s:.0} simulated requests/s, {events_per_s:.0} events/s"
    );
    let _ = writeln!(
        text,
        "tracing      head sampling {:.0}%, {} spans recorded, {} traces retained",
        head_sampling * 100.0,
        report.traces.counters.spans,
        report.traces.retained
    );
    let _ = writeln!(text, "memory       peak {peak_rss_mb:.1} MB resident");
    for (requests, rss) in &rss_checkpoints_mb {
        let _ = writeln!(text, "             {rss:>7.1} MB after {requests} requests");
    }
    let _ = writeln!(
        text,
        "check        mean response {:.4} s (theory: 1.6687 s + 4 ms network)",
        report.latency_ms.mean / 1_000.0
    );
    Ok(text)
}
