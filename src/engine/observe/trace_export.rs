//! Traces out of Lokal: Jaeger's JSON (what Jaeger UI opens from a file) and OTLP/JSON (what an
//! OpenTelemetry collector receives), both from the same span attributes (semantics.md §8).
//!
//! Virtual time 0 is exported as 2026-01-01T00:00:00Z, so a run's traces carry plausible dates
//! and the same run always exports the same bytes.

use crate::engine::core::status::{CallRole, Status};
use crate::engine::kernel::traces::{Operation, Span, SpanEventKind, SpanKind, Trace};
use crate::engine::patterns::saga::model::step_lock;
use crate::engine::scenario::model::Scenario;
use serde::Serialize;

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

/// Writes `traces` in `format` as one JSON document. An error (naming the value) only if an
/// attribute holds a number JSON cannot: the exports refuse rather than write `null` for it.
pub fn export_traces<'a>(
    scenario: &Scenario,
    traces: impl IntoIterator<Item = &'a Trace>,
    format: TraceFormat,
) -> Result<String, String> {
    let traces: Vec<&Trace> = traces.into_iter().collect();
    let written = match format {
        TraceFormat::Jaeger => serde_json::to_string(&jaeger(scenario, &traces)),
        TraceFormat::Otlp => serde_json::to_string(&otlp(scenario, &traces)),
    };
    written.map_err(|e| format!("the traces cannot be written: {e}"))
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
            Text(scenario.patterns.saga.sagas[saga.index()].name.clone()),
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
        if let Some(step) = scenario.patterns.saga.sagas[saga.index()]
            .steps
            .get(usize::from(step))
        {
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
            .and_then(|s| {
                scenario.patterns.saga.sagas[s.index()]
                    .steps
                    .get(usize::from(step))
            })
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
            let saga = endpoint_saga_observed(scenario, span);
            let lock = saga
                .and_then(|s| scenario.patterns.saga.sagas[s].steps.get(usize::from(step)))
                .map_or_else(String::new, |s| step_lock(&s.name));
            vec![
                ("lokal.saga.run", Int(run as i64)),
                ("lokal.saga.lock", Text(lock)),
            ]
        }
    }
}

/// The saga whose locks a span's endpoint observes.
fn endpoint_saga_observed(scenario: &Scenario, span: &Span) -> Option<usize> {
    match span.operation {
        Operation::Call(endpoint) => {
            scenario.patterns.saga.observes[endpoint.index()].map(|s| s.index())
        }
        Operation::Saga(_) => None,
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
        Operation::Saga(saga) => {
            format!("saga {}", scenario.patterns.saga.sagas[saga.index()].name)
        }
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

// ----- Jaeger JSON (jaeger `model/json/model.go`) ----------------------------------------------

#[derive(Serialize)]
struct JaegerDocument {
    data: Vec<JaegerTrace>,
    total: u32,
    limit: u32,
    offset: u32,
    errors: Option<()>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JaegerTrace {
    #[serde(rename = "traceID")]
    trace_id: String,
    spans: Vec<JaegerSpan>,
    /// `p1`, `p2`, … in the order first seen (a map in Jaeger's model; written in that order).
    processes: JaegerProcesses,
    warnings: Option<()>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JaegerSpan {
    #[serde(rename = "traceID")]
    trace_id: String,
    #[serde(rename = "spanID")]
    span_id: String,
    flags: u32,
    operation_name: String,
    references: Vec<JaegerReference>,
    start_time: u64,
    duration: u64,
    tags: Vec<JaegerTag>,
    logs: Vec<JaegerLog>,
    #[serde(rename = "processID")]
    process_id: String,
    warnings: Option<()>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JaegerReference {
    ref_type: &'static str,
    #[serde(rename = "traceID")]
    trace_id: String,
    #[serde(rename = "spanID")]
    span_id: String,
}

#[derive(Serialize)]
struct JaegerLog {
    timestamp: u64,
    fields: Vec<JaegerTag>,
}

#[derive(Serialize)]
struct JaegerTag {
    key: String,
    #[serde(flatten)]
    value: JaegerValue,
}

#[derive(Serialize)]
#[serde(tag = "type", content = "value")]
enum JaegerValue {
    #[serde(rename = "string")]
    Text(String),
    #[serde(rename = "int64")]
    Int(i64),
    #[serde(rename = "float64")]
    Float(#[serde(serialize_with = "crate::engine::core::json::finite")] f64),
    #[serde(rename = "bool")]
    Bool(bool),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JaegerProcess {
    service_name: String,
    tags: Vec<JaegerTag>,
}

/// Jaeger's process map, written as an object in the order the processes were first seen.
struct JaegerProcesses(Vec<JaegerProcess>);

impl Serialize for JaegerProcesses {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (index, process) in self.0.iter().enumerate() {
            map.serialize_entry(&format!("p{}", index + 1), process)?;
        }
        map.end()
    }
}

fn jaeger_tag(key: &str, value: &AttributeValue) -> JaegerTag {
    JaegerTag {
        key: key.to_string(),
        value: match value {
            AttributeValue::Text(text) => JaegerValue::Text(text.clone()),
            AttributeValue::Int(n) => JaegerValue::Int(*n),
            AttributeValue::Float(x) => JaegerValue::Float(*x),
            AttributeValue::Bool(b) => JaegerValue::Bool(*b),
        },
    }
}

fn jaeger(scenario: &Scenario, traces: &[&Trace]) -> JaegerDocument {
    let data = traces
        .iter()
        .map(|trace| {
            let trace_id = trace.id.to_string();
            let mut processes: Vec<Process> = Vec::new();
            let end = trace.end_us(0);
            let spans = trace
                .spans
                .iter()
                .map(|span| {
                    let key = process_key(scenario, span);
                    let process = match processes.iter().position(|p| *p == key) {
                        Some(index) => index,
                        None => {
                            processes.push(key);
                            processes.len() - 1
                        }
                    };
                    let mut tags = vec![jaeger_tag(
                        "span.kind",
                        &AttributeValue::Text(span.kind.key().into()),
                    )];
                    tags.extend(
                        span_attributes(scenario, trace, span)
                            .iter()
                            .map(|(key, value)| jaeger_tag(key, value)),
                    );
                    if span.is_error() {
                        tags.push(jaeger_tag("error", &AttributeValue::Bool(true)));
                    }
                    let logs = span
                        .events
                        .iter()
                        .map(|event| {
                            let mut fields = vec![jaeger_tag(
                                "event",
                                &AttributeValue::Text(event.kind.name().into()),
                            )];
                            fields.extend(
                                event_attributes(scenario, span, &event.kind)
                                    .iter()
                                    .map(|(key, value)| jaeger_tag(key, value)),
                            );
                            JaegerLog {
                                timestamp: EXPORT_EPOCH_US + event.t_us,
                                fields,
                            }
                        })
                        .collect();
                    JaegerSpan {
                        trace_id: trace_id.clone(),
                        span_id: span.id.to_string(),
                        flags: 1,
                        operation_name: span_operation_name(scenario, span),
                        references: span
                            .parent
                            .map(|parent| JaegerReference {
                                ref_type: "CHILD_OF",
                                trace_id: trace_id.clone(),
                                span_id: parent.to_string(),
                            })
                            .into_iter()
                            .collect(),
                        start_time: EXPORT_EPOCH_US + span.start_us,
                        duration: span.end_us.unwrap_or(end).saturating_sub(span.start_us),
                        tags,
                        logs,
                        process_id: format!("p{}", process + 1),
                        warnings: None,
                    }
                })
                .collect();
            let processes = processes
                .into_iter()
                .map(|(service, instance, station)| {
                    let mut tags =
                        vec![jaeger_tag("lokal.station", &AttributeValue::Text(station))];
                    if !instance.is_empty() {
                        tags.push(jaeger_tag(
                            "service.instance.id",
                            &AttributeValue::Text(instance),
                        ));
                    }
                    JaegerProcess {
                        service_name: service,
                        tags,
                    }
                })
                .collect();
            JaegerTrace {
                trace_id,
                spans,
                processes: JaegerProcesses(processes),
                warnings: None,
            }
        })
        .collect();
    JaegerDocument {
        data,
        total: 0,
        limit: 0,
        offset: 0,
        errors: None,
    }
}

// ----- OTLP/JSON (opentelemetry-proto `trace.proto`, JSON mapping) -----------------------------

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OtlpDocument {
    resource_spans: Vec<OtlpResourceSpans>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OtlpResourceSpans {
    resource: OtlpResource,
    scope_spans: Vec<OtlpScopeSpans>,
}

#[derive(Serialize)]
struct OtlpResource {
    attributes: Vec<OtlpAttribute>,
}

#[derive(Serialize)]
struct OtlpScopeSpans {
    scope: OtlpScope,
    spans: Vec<OtlpSpan>,
}

#[derive(Serialize)]
struct OtlpScope {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OtlpSpan {
    trace_id: String,
    span_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_span_id: Option<String>,
    name: String,
    kind: u8,
    start_time_unix_nano: String,
    end_time_unix_nano: String,
    attributes: Vec<OtlpAttribute>,
    events: Vec<OtlpEvent>,
    status: OtlpStatus,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OtlpEvent {
    time_unix_nano: String,
    name: &'static str,
    attributes: Vec<OtlpAttribute>,
}

#[derive(Serialize)]
struct OtlpStatus {
    code: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'static str>,
}

#[derive(Serialize)]
struct OtlpAttribute {
    key: String,
    value: OtlpValue,
}

/// An OTLP `AnyValue`; 64-bit integers are decimal strings in OTLP/JSON.
#[derive(Serialize)]
enum OtlpValue {
    #[serde(rename = "stringValue")]
    Text(String),
    #[serde(rename = "intValue")]
    Int(String),
    #[serde(rename = "doubleValue")]
    Float(#[serde(serialize_with = "crate::engine::core::json::finite")] f64),
    #[serde(rename = "boolValue")]
    Bool(bool),
}

fn otlp_attributes(attributes: &[(&str, AttributeValue)]) -> Vec<OtlpAttribute> {
    attributes
        .iter()
        .map(|(key, value)| OtlpAttribute {
            key: key.to_string(),
            value: match value {
                AttributeValue::Text(text) => OtlpValue::Text(text.clone()),
                AttributeValue::Int(n) => OtlpValue::Int(n.to_string()),
                AttributeValue::Float(x) => OtlpValue::Float(*x),
                AttributeValue::Bool(b) => OtlpValue::Bool(*b),
            },
        })
        .collect()
}

fn nanos(t_us: u64) -> String {
    ((EXPORT_EPOCH_US + t_us) as u128 * 1_000).to_string()
}

fn otlp(scenario: &Scenario, traces: &[&Trace]) -> OtlpDocument {
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
    let resource_spans = resources
        .into_iter()
        .map(|((service, instance, station), spans)| {
            let mut attributes = vec![
                ("service.name", AttributeValue::Text(service)),
                ("lokal.station", AttributeValue::Text(station)),
            ];
            if !instance.is_empty() {
                attributes.push(("service.instance.id", AttributeValue::Text(instance)));
            }
            let spans = spans
                .into_iter()
                .map(|(trace, span)| OtlpSpan {
                    trace_id: trace.id.to_string(),
                    span_id: span.id.to_string(),
                    parent_span_id: span.parent.map(|parent| parent.to_string()),
                    name: span_operation_name(scenario, span),
                    kind: span.kind.otlp(),
                    start_time_unix_nano: nanos(span.start_us),
                    end_time_unix_nano: nanos(span.end_us.unwrap_or(trace.end_us(0))),
                    attributes: otlp_attributes(&span_attributes(scenario, trace, span)),
                    events: span
                        .events
                        .iter()
                        .map(|event| OtlpEvent {
                            time_unix_nano: nanos(event.t_us),
                            name: event.kind.name(),
                            attributes: otlp_attributes(&event_attributes(
                                scenario,
                                span,
                                &event.kind,
                            )),
                        })
                        .collect(),
                    status: match span.status {
                        Some(Status::Ok) => OtlpStatus {
                            code: 1,
                            message: None,
                        },
                        Some(status) => OtlpStatus {
                            code: 2,
                            message: Some(status.key()),
                        },
                        None => OtlpStatus {
                            code: 0,
                            message: None,
                        },
                    },
                })
                .collect();
            OtlpResourceSpans {
                resource: OtlpResource {
                    attributes: otlp_attributes(&attributes),
                },
                scope_spans: vec![OtlpScopeSpans {
                    scope: OtlpScope {
                        name: "lokal",
                        version: env!("CARGO_PKG_VERSION"),
                    },
                    spans,
                }],
            }
        })
        .collect();
    OtlpDocument { resource_spans }
}
