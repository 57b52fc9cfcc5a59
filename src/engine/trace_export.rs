//! Traces out of Lokal: Jaeger's JSON (what Jaeger UI opens from a file) and OTLP/JSON (what an
//! OpenTelemetry collector receives), both from the same span attributes (semantics.md §8).
//!
//! Virtual time 0 is exported as 2026-01-01T00:00:00Z, so a run's traces carry plausible dates
//! and the same run always exports the same bytes.

use super::events::Status;
use super::json::JsonWriter as Json;
use super::scenario::Scenario;
use super::traces::{Operation, Span, SpanEventKind, SpanKind, Trace};
use crate::engine::saga::CallRole;

/// Virtual time zero, in microseconds since the Unix epoch (2026-01-01T00:00:00Z).
pub const EXPORT_EPOCH_US: u64 = 1_767_225_600_000_000;

/// The two export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceFormat {
    Jaeger,
    Otlp,
}

impl TraceFormat {
    pub fn parse(text: &str) -> Option<TraceFormat> {
        match text {
            "jaeger" => Some(TraceFormat::Jaeger),
            "otlp" => Some(TraceFormat::Otlp),
            _ => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            TraceFormat::Jaeger => "jaeger",
            TraceFormat::Otlp => "otlp",
        }
    }
}

/// Writes `traces` in `format` as one JSON document.
pub fn export_traces<'a>(
    scenario: &Scenario,
    traces: impl IntoIterator<Item = &'a Trace>,
    format: TraceFormat,
) -> String {
    let traces: Vec<&Trace> = traces.into_iter().collect();
    match format {
        TraceFormat::Jaeger => jaeger(scenario, &traces),
        TraceFormat::Otlp => otlp(scenario, &traces),
    }
}

/// An attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum AttributeValue {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

/// A span's attributes, in a fixed order. The same list feeds both formats and the detail panel.
pub fn span_attributes(
    scenario: &Scenario,
    trace: &Trace,
    span: &Span,
) -> Vec<(&'static str, AttributeValue)> {
    use AttributeValue::{Int, Text};
    let mut attributes = Vec::new();
    match span.operation {
        Operation::Call(endpoint) => attributes.push((
            "lokal.endpoint",
            Text(scenario.endpoint(endpoint).qualified_name.clone()),
        )),
        Operation::Saga(saga) => attributes.push((
            "lokal.saga",
            Text(scenario.sagas[saga.index()].name.clone()),
        )),
    }
    attributes.push(("lokal.request", Int(trace.request.0 as i64)));
    attributes.push((
        "lokal.station",
        Text(scenario.station(span.station).name.clone()),
    ));
    if let Some(peer) = span.peer_station {
        attributes.push(("server.address", Text(scenario.station(peer).name.clone())));
    }
    if let Some(status) = span.status {
        // An answer that never came (timeout, lost, reset connection) has no HTTP status.
        let answered = !matches!(
            status,
            Status::Timeout | Status::NetworkError | Status::Reset
        );
        if answered && span.kind != SpanKind::Internal {
            attributes.push((
                "http.response.status_code",
                Int(i64::from(status.http_code())),
            ));
        }
        if !status.is_ok() {
            attributes.push(("error.type", Text(status.key().to_string())));
        }
    }
    if span.kind == SpanKind::Client {
        attributes.push(("lokal.retry.attempt", Int(i64::from(span.attempt))));
        if span.attempt > 1 {
            attributes.push((
                "http.request.resend_count",
                Int(i64::from(span.attempt - 1)),
            ));
        }
    }
    if let Some(breaker) = span.breaker {
        attributes.push((
            "lokal.circuit_breaker.state",
            Text(breaker.key().to_string()),
        ));
    }
    if let (Some(work), SpanKind::Server) = (span.work_start_us, span.kind) {
        attributes.push((
            "lokal.queue_wait_us",
            Int(work.saturating_sub(span.start_us) as i64),
        ));
    }
    let names = &scenario.workload.attributes;
    if let Some(city) = names.cities.names.get(usize::from(trace.attributes.city)) {
        attributes.push(("lokal.city", Text(city.clone())));
    }
    if let Some(method) = names
        .payment_methods
        .names
        .get(usize::from(trace.attributes.payment_method))
    {
        attributes.push(("lokal.payment_method", Text(method.clone())));
    }
    if trace.attributes.user_id > 0 {
        attributes.push((
            "enduser.id",
            Text(format!("user-{}", trace.attributes.user_id)),
        ));
    }
    if let Some(run) = span.saga_run {
        attributes.push(("lokal.saga.run", Int(run as i64)));
    }
    if let (Some(step), Some(saga)) = (span.saga_step, span.saga) {
        if let Some(step) = scenario.sagas[saga.index()].steps.get(usize::from(step)) {
            attributes.push(("lokal.saga.step", Text(step.name.clone())));
        }
        let role = match span.role {
            CallRole::SagaCompensation => "compensation",
            _ => "action",
        };
        attributes.push(("lokal.saga.role", Text(role.to_string())));
    }
    attributes
}

/// A span event's attributes.
pub fn event_attributes(
    scenario: &Scenario,
    span: &Span,
    kind: &SpanEventKind,
) -> Vec<(&'static str, AttributeValue)> {
    use AttributeValue::{Float, Int, Text};
    let step_name = |step: u16| {
        span.saga
            .and_then(|s| scenario.sagas[s.index()].steps.get(usize::from(step)))
            .map_or_else(|| step.to_string(), |s| s.name.clone())
    };
    match *kind {
        SpanEventKind::Retry { attempt, wait_us } => vec![
            ("lokal.retry.attempt", Int(i64::from(attempt))),
            ("lokal.retry.wait_ms", Float(wait_us as f64 / 1_000.0)),
        ],
        SpanEventKind::Timeout => Vec::new(),
        SpanEventKind::Fault { status } => vec![("lokal.fault", Text(status.key().to_string()))],
        SpanEventKind::NotPermitted { edge, reason } => vec![
            ("lokal.dependency", Text(scenario.edge_label(edge))),
            ("lokal.reason", Text(reason.key().to_string())),
        ],
        SpanEventKind::Fallback { edge } => {
            vec![("lokal.dependency", Text(scenario.edge_label(edge)))]
        }
        SpanEventKind::SagaStep { step, attempt }
        | SpanEventKind::Compensation { step, attempt } => {
            vec![
                ("lokal.saga.step", Text(step_name(step))),
                ("lokal.saga.attempt", Int(i64::from(attempt))),
            ]
        }
        SpanEventKind::LockObserved { run, step } => {
            let saga = scenario.endpoint_saga_observed(span);
            let lock = saga
                .and_then(|s| scenario.sagas[s].steps.get(usize::from(step)))
                .map_or_else(String::new, |s| crate::engine::saga::step_lock(&s.name));
            vec![
                ("lokal.saga.run", Int(run as i64)),
                ("lokal.saga.lock", Text(lock)),
            ]
        }
    }
}

impl Scenario {
    /// The saga whose locks a span's endpoint observes.
    fn endpoint_saga_observed(&self, span: &Span) -> Option<usize> {
        match span.operation {
            Operation::Call(endpoint) => self.endpoint(endpoint).observes_saga.map(|s| s.index()),
            Operation::Saga(_) => None,
        }
    }
}

/// The service name a span reports (Jaeger's process, OTLP's resource).
pub fn span_service_name(scenario: &Scenario, span: &Span) -> String {
    span.service.map_or_else(
        || "client".to_string(),
        |s| scenario.service(s).name.clone(),
    )
}

/// The operation name: the endpoint called, or the saga run.
pub fn span_operation_name(scenario: &Scenario, span: &Span) -> String {
    match span.operation {
        Operation::Call(endpoint) => scenario.endpoint(endpoint).qualified_name.clone(),
        Operation::Saga(saga) => format!("saga {}", scenario.sagas[saga.index()].name),
    }
}

/// A process: service, instance (empty for none) and station.
type Process = (String, String, String);

/// A span's process.
fn process_key(scenario: &Scenario, span: &Span) -> Process {
    (
        span_service_name(scenario, span),
        span.instance
            .map_or_else(String::new, |i| scenario.instance_label(i)),
        scenario.station(span.station).name.clone(),
    )
}

fn jaeger_tag(json: &mut Json, key: &str, value: &AttributeValue) {
    json.open('{');
    json.field_text("key", key);
    match value {
        AttributeValue::Text(text) => {
            json.field_text("type", "string");
            json.field_text("value", text);
        }
        AttributeValue::Int(n) => {
            json.field_text("type", "int64");
            json.field_literal("value", n);
        }
        AttributeValue::Float(x) => {
            json.field_text("type", "float64");
            json.field_literal("value", finite(*x));
        }
        AttributeValue::Bool(b) => {
            json.field_text("type", "bool");
            json.field_literal("value", b);
        }
    }
    json.close('}');
}

/// JSON has no NaN or infinity; the exports never produce them, but stay valid if they did.
fn finite(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}

fn jaeger(scenario: &Scenario, traces: &[&Trace]) -> String {
    let mut json = Json::new();
    json.open('{');
    json.key("data");
    json.open('[');
    for trace in traces {
        let trace_id = trace.id.to_string();
        let mut processes: Vec<Process> = Vec::new();
        let end = trace.end_us(0);
        json.open('{');
        json.field_text("traceID", &trace_id);
        json.key("spans");
        json.open('[');
        for span in &trace.spans {
            let key = process_key(scenario, span);
            let process = match processes.iter().position(|p| *p == key) {
                Some(index) => index,
                None => {
                    processes.push(key);
                    processes.len() - 1
                }
            };
            json.open('{');
            json.field_text("traceID", &trace_id);
            json.field_text("spanID", &span.id.to_string());
            json.field_literal("flags", 1);
            json.field_text("operationName", &span_operation_name(scenario, span));
            json.key("references");
            json.open('[');
            if let Some(parent) = span.parent {
                json.open('{');
                json.field_text("refType", "CHILD_OF");
                json.field_text("traceID", &trace_id);
                json.field_text("spanID", &parent.to_string());
                json.close('}');
            }
            json.close(']');
            json.field_literal("startTime", EXPORT_EPOCH_US + span.start_us);
            json.field_literal(
                "duration",
                span.end_us.unwrap_or(end).saturating_sub(span.start_us),
            );
            json.key("tags");
            json.open('[');
            jaeger_tag(
                &mut json,
                "span.kind",
                &AttributeValue::Text(span.kind.key().into()),
            );
            for (key, value) in span_attributes(scenario, trace, span) {
                jaeger_tag(&mut json, key, &value);
            }
            if span.is_error() {
                jaeger_tag(&mut json, "error", &AttributeValue::Bool(true));
            }
            json.close(']');
            json.key("logs");
            json.open('[');
            for event in &span.events {
                json.open('{');
                json.field_literal("timestamp", EXPORT_EPOCH_US + event.t_us);
                json.key("fields");
                json.open('[');
                jaeger_tag(
                    &mut json,
                    "event",
                    &AttributeValue::Text(event.kind.name().into()),
                );
                for (key, value) in event_attributes(scenario, span, &event.kind) {
                    jaeger_tag(&mut json, key, &value);
                }
                json.close(']');
                json.close('}');
            }
            json.close(']');
            json.field_text("processID", &format!("p{}", process + 1));
            json.field_literal("warnings", "null");
            json.close('}');
        }
        json.close(']');
        json.key("processes");
        json.open('{');
        for (index, (service, instance, station)) in processes.iter().enumerate() {
            json.key(&format!("p{}", index + 1));
            json.open('{');
            json.field_text("serviceName", service);
            json.key("tags");
            json.open('[');
            jaeger_tag(
                &mut json,
                "lokal.station",
                &AttributeValue::Text(station.clone()),
            );
            if !instance.is_empty() {
                jaeger_tag(
                    &mut json,
                    "service.instance.id",
                    &AttributeValue::Text(instance.clone()),
                );
            }
            json.close(']');
            json.close('}');
        }
        json.close('}');
        json.field_literal("warnings", "null");
        json.close('}');
    }
    json.close(']');
    json.field_literal("total", 0);
    json.field_literal("limit", 0);
    json.field_literal("offset", 0);
    json.field_literal("errors", "null");
    json.close('}');
    json.out
}

fn otlp_attributes(json: &mut Json, attributes: &[(&str, AttributeValue)]) {
    json.open('[');
    for (key, value) in attributes {
        json.open('{');
        json.field_text("key", key);
        json.key("value");
        json.open('{');
        match value {
            AttributeValue::Text(text) => json.field_text("stringValue", text),
            // OTLP/JSON writes 64-bit integers as decimal strings.
            AttributeValue::Int(n) => json.field_text("intValue", &n.to_string()),
            AttributeValue::Float(x) => json.field_literal("doubleValue", finite(*x)),
            AttributeValue::Bool(b) => json.field_literal("boolValue", b),
        }
        json.close('}');
        json.close('}');
    }
    json.close(']');
}

fn nanos(t_us: u64) -> String {
    ((EXPORT_EPOCH_US + t_us) as u128 * 1_000).to_string()
}

fn otlp(scenario: &Scenario, traces: &[&Trace]) -> String {
    // One resource per process, in the order first seen; its spans in trace order.
    let mut resources: Vec<(Process, Vec<(&Trace, &Span)>)> = Vec::new();
    for trace in traces {
        for span in &trace.spans {
            let key = process_key(scenario, span);
            match resources.iter_mut().find(|(k, _)| *k == key) {
                Some((_, spans)) => spans.push((trace, span)),
                None => resources.push((key, vec![(trace, span)])),
            }
        }
    }
    let mut json = Json::new();
    json.open('{');
    json.key("resourceSpans");
    json.open('[');
    for ((service, instance, station), spans) in resources {
        json.open('{');
        json.key("resource");
        json.open('{');
        json.key("attributes");
        let mut attributes = vec![
            ("service.name", AttributeValue::Text(service)),
            ("lokal.station", AttributeValue::Text(station)),
        ];
        if !instance.is_empty() {
            attributes.push(("service.instance.id", AttributeValue::Text(instance)));
        }
        otlp_attributes(&mut json, &attributes);
        json.close('}');
        json.key("scopeSpans");
        json.open('[');
        json.open('{');
        json.key("scope");
        json.open('{');
        json.field_text("name", "lokal");
        json.field_text("version", env!("CARGO_PKG_VERSION"));
        json.close('}');
        json.key("spans");
        json.open('[');
        for (trace, span) in spans {
            json.open('{');
            json.field_text("traceId", &trace.id.to_string());
            json.field_text("spanId", &span.id.to_string());
            if let Some(parent) = span.parent {
                json.field_text("parentSpanId", &parent.to_string());
            }
            json.field_text("name", &span_operation_name(scenario, span));
            json.field_literal("kind", span.kind.otlp());
            json.field_text("startTimeUnixNano", &nanos(span.start_us));
            json.field_text(
                "endTimeUnixNano",
                &nanos(span.end_us.unwrap_or(trace.end_us(0))),
            );
            json.key("attributes");
            otlp_attributes(&mut json, &span_attributes(scenario, trace, span));
            json.key("events");
            json.open('[');
            for event in &span.events {
                json.open('{');
                json.field_text("timeUnixNano", &nanos(event.t_us));
                json.field_text("name", event.kind.name());
                json.key("attributes");
                otlp_attributes(&mut json, &event_attributes(scenario, span, &event.kind));
                json.close('}');
            }
            json.close(']');
            json.key("status");
            json.open('{');
            match span.status {
                Some(Status::Ok) => json.field_literal("code", 1),
                Some(status) => {
                    json.field_literal("code", 2);
                    json.field_text("message", status.key());
                }
                None => json.field_literal("code", 0),
            }
            json.close('}');
            json.close('}');
        }
        json.close(']');
        json.close('}');
        json.close(']');
        json.close('}');
    }
    json.close(']');
    json.close('}');
    json.out
}
