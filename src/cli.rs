//! `lokal-cli`, the headless runner: run a scenario and print its report, validate a scenario,
//! or benchmark the engine. Every bad input ends in a clear message and exit code 2, never a panic.

use crate::engine::builtin::{builtin_ids, builtin_source};
use crate::engine::command::read_command_log;
use crate::engine::histogram::{LatencyMs, format_ms as ms};
use crate::engine::time::{format_micros, parse_duration};
use crate::engine::trace_export::{TraceFormat, export_traces};
use crate::engine::{
    Engine, EngineError, RecordedCommand, Scenario, SimDuration, SimTime, parse_scenario,
};
use crate::engine::{RunReport, format_hash};
use clap::error::ErrorKind;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Exit code for bad input of any kind (clap uses the same for usage errors).
pub const EXIT_BAD_INPUT: i32 = 2;

/// Events processed between checks of the event bound and flushes of `--events`.
const CHUNK_EVENTS: u64 = 250_000;

/// Default bound on events for one run: enough for hours of a busy scenario, finite.
const DEFAULT_MAX_EVENTS: u64 = 5_000_000_000;

/// What went wrong, already worded for the user.
#[derive(Debug)]
pub struct CliError(pub String);

impl<T: std::fmt::Display> From<T> for CliError {
    fn from(value: T) -> CliError {
        CliError(value.to_string())
    }
}

/// Run Lokal scenarios without a browser.
///
/// FILE is a scenario TOML file, or builtin:ID for a built-in scenario (see `list`).
/// Durations take a unit: 250ms, 2s, 5m. Bad input of any kind exits with code 2.
#[derive(Parser, Debug)]
#[command(name = "lokal-cli", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: CliCommand,
}

#[derive(Subcommand, Debug)]
enum CliCommand {
    /// Simulate to the end and print the report
    Run(RunArgs),
    /// Simulate to the end and write every retained trace, as Jaeger JSON (opens in Jaeger UI)
    /// or OTLP/JSON (what an OpenTelemetry collector receives)
    Traces(TraceArgs),
    /// Exit 0 if the scenario is valid, else print every problem (with its line and column) and
    /// exit 2
    Validate {
        /// Scenario TOML file, or builtin:ID
        file: String,
    },
    /// Simulate the reference model (M/M/10, λ = 9/s, 2 ms network) and report simulated
    /// requests per wall-clock second and peak memory
    Bench(BenchArgs),
    /// List the built-in scenarios
    List,
}

/// What every simulating command takes.
#[derive(Args, Debug)]
struct ScenarioArgs {
    /// Scenario TOML file, or builtin:ID
    file: String,
    /// The run's seed (default: the scenario's)
    #[arg(long, value_parser = parse_count)]
    seed: Option<u64>,
    /// How long new requests arrive, like 90s (default: the scenario's)
    #[arg(long, value_parser = parse_run_duration)]
    duration: Option<SimDuration>,
    /// Replay a command log: a JSON array of {"at_us", "command"}, as the browser downloads it
    #[arg(long, value_name = "LOG.json")]
    commands: Option<PathBuf>,
    /// Stop with an error after this many events
    #[arg(long, value_name = "N", value_parser = parse_count, default_value_t = DEFAULT_MAX_EVENTS)]
    max_events: u64,
}

#[derive(Args, Debug)]
struct RunArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// Print the report as one JSON object
    #[arg(long)]
    json: bool,
    /// Write every engine event as one JSON object per line
    #[arg(long, value_name = "OUT.jsonl")]
    events: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct TraceArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// The file format
    #[arg(long, value_enum)]
    format: TraceFormatArg,
    /// Where to write the traces
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum TraceFormatArg {
    Jaeger,
    Otlp,
}

#[derive(Args, Debug)]
struct BenchArgs {
    /// Print the figures as one JSON object
    #[arg(long)]
    json: bool,
    /// How many requests to simulate (1000 to 1000000000)
    #[arg(long, value_name = "N", value_parser = parse_bench_requests, default_value_t = 2_000_000)]
    requests: u64,
    /// Switch head sampling off, to measure what tracing costs
    #[arg(long)]
    no_traces: bool,
}

/// A whole number; `_` may group digits (`10_000_000`).
fn parse_count(text: &str) -> Result<u64, String> {
    text.replace('_', "")
        .parse()
        .map_err(|_| format!("takes a whole number from 0, got \"{text}\""))
}

fn parse_bench_requests(text: &str) -> Result<u64, String> {
    let requests = parse_count(text)?;
    if (1_000..=1_000_000_000).contains(&requests) {
        Ok(requests)
    } else {
        Err("must be from 1000 to 1000000000".into())
    }
}

fn parse_run_duration(text: &str) -> Result<SimDuration, String> {
    let duration = parse_duration(text).map_err(|e| e.to_string())?;
    if duration.0 == 0 {
        return Err("must be above zero".into());
    }
    Ok(duration)
}

/// Runs the CLI with `args` (without the program name), writing to `out` and `err`. Returns the
/// exit code: 0, or 2 for bad input of any kind (usage, files, scenarios, command logs).
pub fn main_with_args<I, T>(
    args: I,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let program = std::iter::once(std::ffi::OsString::from("lokal-cli"));
    let cli = match Cli::try_parse_from(program.chain(args.into_iter().map(Into::into))) {
        Ok(cli) => cli,
        Err(error) => {
            let text = error.render().to_string();
            return match error.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    let _ = out.write_all(text.as_bytes());
                    0
                }
                _ => {
                    let _ = err.write_all(text.as_bytes());
                    EXIT_BAD_INPUT
                }
            };
        }
    };
    match dispatch(cli.command, out) {
        Ok(code) => code,
        Err(CliError(message)) => {
            let _ = writeln!(err, "lokal-cli: {message}");
            EXIT_BAD_INPUT
        }
    }
}

fn dispatch(command: CliCommand, out: &mut dyn std::io::Write) -> Result<i32, CliError> {
    match command {
        CliCommand::Run(args) => {
            let text = run(&args)?;
            out.write_all(text.as_bytes())?;
            Ok(0)
        }
        CliCommand::Traces(args) => {
            let engine = simulate(&args.scenario, None)?;
            let traces = engine.retained_traces();
            let format = match args.format {
                TraceFormatArg::Jaeger => TraceFormat::Jaeger,
                TraceFormatArg::Otlp => TraceFormat::Otlp,
            };
            let text = export_traces(
                engine.scenario(),
                traces.iter().map(|trace| trace.as_ref()),
                format,
            )?;
            let out_path = args.out.display().to_string();
            std::fs::write(&args.out, text.as_bytes())
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
        CliCommand::Validate { file } => {
            let source = read_source(&file)?;
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
        CliCommand::Bench(args) => {
            let text = bench(&args)?;
            out.write_all(text.as_bytes())?;
            Ok(0)
        }
        CliCommand::List => {
            for id in builtin_ids() {
                let title = builtin_source(id)
                    .and_then(|source| parse_scenario(source).ok())
                    .map(|scenario| scenario.title.en)
                    .unwrap_or_default();
                writeln!(out, "builtin:{id:<16} {title}")?;
            }
            Ok(0)
        }
    }
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
    // Refused before it is read: a huge file would cost its size in memory first.
    if let Ok(meta) = std::fs::metadata(file)
        && meta.len() > crate::engine::MAX_SCENARIO_BYTES as u64
    {
        return Err(CliError(format!(
            "{file}: {}",
            crate::engine::too_long(meta.len())
        )));
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

fn load_commands(path: &Path) -> Result<Vec<RecordedCommand>, CliError> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| CliError(format!("{shown}: {e}")))?;
    let mut commands = read_command_log(&text)
        .map_err(|e| CliError(format!("{shown}: not a command log: {e}")))?;
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

fn run(args: &RunArgs) -> Result<String, CliError> {
    let engine = simulate(&args.scenario, args.events.as_deref())?;
    let report = engine.report();
    Ok(if args.json {
        let mut text = serde_json::to_string(&report)?;
        text.push('\n');
        text
    } else {
        format_report(&report, &engine)
    })
}

/// Runs the scenario of `options` to the end, replaying its command log and writing its
/// events to `events` if asked.
fn simulate(options: &ScenarioArgs, events: Option<&Path>) -> Result<Engine, CliError> {
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
    let mut events_out = match events {
        Some(path) => {
            engine.set_recording(true);
            let file = std::fs::File::create(path)
                .map_err(|e| CliError(format!("{}: {e}", path.display())))?;
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
    Engine::write_pattern_reports(&report.patterns, &mut text);
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

fn bench(options: &BenchArgs) -> Result<String, CliError> {
    let mut scenario = parse_scenario(BENCH_REFERENCE)
        .map_err(|problems| CliError(format!("the reference model is invalid: {problems:?}")))?;
    let rate = 9.0;
    let seconds = (options.requests as f64 / rate).ceil() as u64;
    scenario.duration = SimDuration::from_secs(seconds);
    if options.no_traces {
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
