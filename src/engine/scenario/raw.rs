//! The scenario's own tables as raw types: the shape of the file, with units parsed but nothing
//! resolved or range-checked. Each pattern reads its own section (`sections`); everything else is
//! read here, every problem collected with its field path.

use super::problems::Problems;
use super::read::{Fields, Named, RawDistAt, RawText, Table, Value, join, number_value, type_name};
use super::sections::{
    RawSections, read_endpoint_sections, read_service_sections, read_top_sections,
};
use crate::engine::core::time::SimDuration;

#[derive(Clone, Debug, Default)]
pub struct RawScenario {
    pub id: Option<String>,
    pub title: Option<RawText>,
    pub description: Option<RawText>,
    pub duration: Option<SimDuration>,
    pub seed: Option<i64>,
    pub lines: Vec<RawLine>,
    pub stations: Vec<RawStation>,
    pub services: Vec<RawService>,
    pub network: RawNetwork,
    pub workload: Option<RawWorkload>,
    pub faults: Vec<RawFault>,
    /// Each pattern's own section, read by its folder (`sections`).
    pub sections: RawSections,
    pub tracing: RawTracing,
    pub metrics_window: Option<SimDuration>,
}

/// `[tracing]`: head and tail sampling and the size of the trace store.
#[derive(Clone, Debug, Default)]
pub struct RawTracing {
    pub head_sampling: Option<f64>,
    pub tail_errors: Option<bool>,
    pub tail_slow: Option<SimDuration>,
    pub tail_ratio: Option<f64>,
    pub recent: Option<i64>,
    pub kept: Option<i64>,
}

#[derive(Clone, Debug, Default)]
pub struct RawLine {
    pub path: String,
    pub name: Option<RawText>,
    pub style: Option<Named>,
    pub stations: Vec<Named>,
}

#[derive(Clone, Debug, Default)]
pub struct RawStation {
    pub path: String,
    pub name: Option<String>,
    pub label: Option<RawText>,
    pub position: Option<(f64, f64)>,
}

#[derive(Clone, Debug, Default)]
pub struct RawService {
    pub path: String,
    pub name: Option<String>,
    pub label: Option<RawText>,
    pub station: Option<Named>,
    pub instances: Option<i64>,
    pub workers: Option<i64>,
    pub queue: Option<i64>,
    pub balancer: Option<Named>,
    pub endpoints: Vec<RawEndpoint>,
}

#[derive(Clone, Debug, Default)]
pub struct RawEndpoint {
    pub path: String,
    pub name: Option<String>,
    pub service_time: Option<RawDistAt>,
    pub error_rate: Option<f64>,
    pub calls: Vec<RawStep>,
    /// Behaviour per payment method: `{ payment_method = "UPI", service_time = …, error_rate = … }`.
    pub variants: Vec<RawVariant>,
}

#[derive(Clone, Debug)]
pub struct RawVariant {
    pub path: String,
    pub payment_method: Option<Named>,
    pub service_time: Option<RawDistAt>,
    pub error_rate: Option<f64>,
}

#[derive(Clone, Debug)]
pub enum RawStep {
    Call(RawCall),
    Parallel { path: String, calls: Vec<RawCall> },
}

#[derive(Clone, Debug)]
pub struct RawCall {
    /// Where the call item was written (`…calls[2]`).
    pub path: String,
    pub target: Named,
    pub timeout: Option<SimDuration>,
    /// `fan_out = 100`: this many copies of the call, all at once.
    pub fan_out: Option<i64>,
}

#[derive(Clone, Debug, Default)]
pub struct RawNetwork {
    pub latency: Option<RawDistAt>,
    pub local_latency: Option<RawDistAt>,
    pub links: Vec<RawLink>,
}

#[derive(Clone, Debug, Default)]
pub struct RawLink {
    pub path: String,
    pub between: Vec<Named>,
    pub latency: Option<RawDistAt>,
}

#[derive(Clone, Debug, Default)]
pub struct RawWorkload {
    pub path: String,
    pub mode: Option<Named>,
    pub station: Option<Named>,
    pub rate: Option<f64>,
    pub users: Option<i64>,
    pub think_time: Option<RawDistAt>,
    pub timeout: Option<SimDuration>,
    pub mix: Vec<RawMixEntry>,
    pub rate_changes: Vec<RawRateChange>,
    pub spikes: Vec<RawSpike>,
    pub attributes: RawAttributes,
}

#[derive(Clone, Debug, Default)]
pub struct RawMixEntry {
    pub path: String,
    pub endpoint: Option<Named>,
    pub weight: Option<f64>,
}

#[derive(Clone, Debug, Default)]
pub struct RawRateChange {
    pub path: String,
    pub at: Option<SimDuration>,
    pub rate: Option<f64>,
    pub ramp: Option<SimDuration>,
}

#[derive(Clone, Debug, Default)]
pub struct RawSpike {
    pub path: String,
    pub at: Option<SimDuration>,
    pub duration: Option<SimDuration>,
    pub multiplier: Option<f64>,
}

#[derive(Clone, Debug, Default)]
pub struct RawAttributes {
    pub path: String,
    pub cities: Vec<(String, f64)>,
    pub payment_methods: Vec<(String, f64)>,
    pub api_versions: Vec<(String, f64)>,
    pub users: Option<i64>,
}

#[derive(Clone, Debug, Default)]
pub struct RawFault {
    pub path: String,
    pub at: Option<SimDuration>,
    pub kind: Option<Named>,
    pub service: Option<Named>,
    pub instance: Option<i64>,
    pub duration: Option<SimDuration>,
    pub factor: Option<f64>,
    pub probability: Option<f64>,
    pub stations: Vec<Named>,
}

/// Reads the whole file's structure into raw types.
pub fn read_scenario(table: &Table<'_>, problems: &mut Problems) -> RawScenario {
    let mut top = Fields::new(table, String::new());
    let mut raw = RawScenario {
        id: top.string("id", problems),
        title: top.text("title", problems),
        description: top.text("description", problems),
        duration: top.duration("duration", problems),
        seed: top.integer("seed", problems),
        ..RawScenario::default()
    };
    for mut fields in top.tables("lines", problems) {
        let line = RawLine {
            path: fields.path.clone(),
            name: fields.text("name", problems),
            style: fields.named("style", problems),
            stations: fields.names("stations", problems),
        };
        fields.finish(problems);
        raw.lines.push(line);
    }
    for mut fields in top.tables("stations", problems) {
        let position = fields.located("position", problems).and_then(|value| {
            let path = fields.at("position");
            match value {
                Value::Array(items) if items.len() == 2 => {
                    let x = number_value(items[0].get_ref(), &format!("{path}[0]"), problems);
                    let y = number_value(items[1].get_ref(), &format!("{path}[1]"), problems);
                    Some((x?, y?))
                }
                _ => {
                    problems.add(path, "expected two numbers: [x, y]");
                    None
                }
            }
        });
        let station = RawStation {
            path: fields.path.clone(),
            name: fields.string("name", problems),
            label: fields.text("label", problems),
            position,
        };
        fields.finish(problems);
        raw.stations.push(station);
    }
    let mut endpoints_read = 0;
    for (index, fields) in top.tables("services", problems).into_iter().enumerate() {
        let service = read_service(
            fields,
            index,
            &mut endpoints_read,
            &mut raw.sections,
            problems,
        );
        raw.services.push(service);
    }
    if let Some(mut fields) = top.table("network", problems) {
        raw.network.latency = fields.dist("latency", problems);
        raw.network.local_latency = fields.dist("local_latency", problems);
        for mut link in fields.tables("links", problems) {
            raw.network.links.push(RawLink {
                path: link.path.clone(),
                between: link.names("between", problems),
                latency: link.dist("latency", problems),
            });
            link.finish(problems);
        }
        fields.finish(problems);
    }
    if let Some(fields) = top.table("workload", problems) {
        raw.workload = Some(read_workload(fields, problems));
    }
    for mut fields in top.tables("faults", problems) {
        let fault = RawFault {
            path: fields.path.clone(),
            at: fields.duration("at", problems),
            kind: fields.named("kind", problems),
            service: fields.named("service", problems),
            instance: fields.integer("instance", problems),
            duration: fields.duration("duration", problems),
            factor: fields.number("factor", problems),
            probability: fields.number("probability", problems),
            stations: fields.names("stations", problems),
        };
        fields.finish(problems);
        raw.faults.push(fault);
    }
    if let Some(mut fields) = top.table("tracing", problems) {
        raw.tracing = RawTracing {
            head_sampling: fields.number("head_sampling", problems),
            tail_errors: fields.boolean("keep_errors", problems),
            tail_slow: fields.duration("keep_slower_than", problems),
            tail_ratio: fields.number("keep_ratio", problems),
            recent: fields.integer("recent", problems),
            kept: fields.integer("kept", problems),
        };
        fields.finish(problems);
    }
    if let Some(mut fields) = top.table("metrics", problems) {
        raw.metrics_window = fields.duration("window", problems);
        fields.finish(problems);
    }
    read_top_sections(&mut raw.sections, &mut top, problems);
    top.finish(problems);
    raw
}

/// Reads `[[services]]` table number `index` and its endpoints (numbered on from
/// `endpoints_read`, the endpoints of the services before it), with the patterns' fields in them.
fn read_service(
    mut fields: Fields<'_>,
    index: usize,
    endpoints_read: &mut usize,
    sections: &mut RawSections,
    problems: &mut Problems,
) -> RawService {
    let mut service = RawService {
        path: fields.path.clone(),
        name: fields.string("name", problems),
        label: fields.text("label", problems),
        station: fields.named("station", problems),
        instances: fields.integer("instances", problems),
        workers: fields.integer("workers", problems),
        queue: fields.integer("queue", problems),
        balancer: fields.named("balancer", problems),
        endpoints: Vec::new(),
    };
    for mut ep in fields.tables("endpoints", problems) {
        let mut endpoint = RawEndpoint {
            path: ep.path.clone(),
            name: ep.string("name", problems),
            service_time: ep.dist("service_time", problems),
            error_rate: ep.number("error_rate", problems),
            calls: Vec::new(),
            variants: Vec::new(),
        };
        for mut variant in ep.tables("variants", problems) {
            endpoint.variants.push(RawVariant {
                path: variant.path.clone(),
                payment_method: variant.named("payment_method", problems),
                service_time: variant.dist("service_time", problems),
                error_rate: variant.number("error_rate", problems),
            });
            variant.finish(problems);
        }
        for (path, item) in ep.items("calls", problems) {
            if let Some(step) = read_step(item, path, problems) {
                endpoint.calls.push(step);
            }
        }
        read_endpoint_sections(sections, *endpoints_read, &mut ep, problems);
        *endpoints_read += 1;
        ep.finish(problems);
        service.endpoints.push(endpoint);
    }
    read_service_sections(sections, index, &mut fields, problems);
    fields.finish(problems);
    service
}

/// A step: `"svc.ep"`, `{ call = "svc.ep", timeout = "200ms" }` or `{ parallel = [..] }`.
fn read_step(item: &Value, path: String, problems: &mut Problems) -> Option<RawStep> {
    if let Value::Table(table) = item
        && table.contains_key("parallel")
    {
        let mut fields = Fields::new(table, path.clone());
        let mut calls = Vec::new();
        for (inner_path, inner) in fields.items("parallel", problems) {
            if let Some(call) = read_call(inner, inner_path, problems) {
                calls.push(call);
            }
        }
        fields.finish(problems);
        return Some(RawStep::Parallel { path, calls });
    }
    read_call(item, path, problems).map(RawStep::Call)
}

fn read_call(item: &Value, path: String, problems: &mut Problems) -> Option<RawCall> {
    match item {
        Value::String(target) => Some(RawCall {
            path: path.clone(),
            target: Named {
                path,
                value: target.to_string(),
            },
            timeout: None,
            fan_out: None,
        }),
        Value::Table(table) => {
            let mut fields = Fields::new(table, path.clone());
            let target = fields.named("call", problems);
            let timeout = fields.duration("timeout", problems);
            let fan_out = fields.integer("fan_out", problems);
            fields.finish(problems);
            match target {
                Some(target) => Some(RawCall {
                    path: path.clone(),
                    target,
                    timeout,
                    fan_out,
                }),
                None => {
                    problems.add(
                        join(&path, "call"),
                        "missing; name the endpoint to call, like \"payment.charge\"",
                    );
                    None
                }
            }
        }
        other => {
            problems.add(
                path,
                format!(
                    "expected \"service.endpoint\", {{ call = \"…\", timeout = \"…\" }} or {{ parallel = [..] }}, found {}",
                    type_name(other)
                ),
            );
            None
        }
    }
}

fn read_workload(mut fields: Fields<'_>, problems: &mut Problems) -> RawWorkload {
    let mut workload = RawWorkload {
        path: fields.path.clone(),
        mode: fields.named("mode", problems),
        station: fields.named("station", problems),
        rate: fields.rate("rate", problems),
        users: fields.integer("users", problems),
        think_time: fields.dist("think_time", problems),
        timeout: fields.duration("timeout", problems),
        ..RawWorkload::default()
    };
    for mut entry in fields.tables("mix", problems) {
        workload.mix.push(RawMixEntry {
            path: entry.path.clone(),
            endpoint: entry.named("endpoint", problems),
            weight: entry.number("weight", problems),
        });
        entry.finish(problems);
    }
    for mut change in fields.tables("rate_changes", problems) {
        workload.rate_changes.push(RawRateChange {
            path: change.path.clone(),
            at: change.duration("at", problems),
            rate: change.rate("rate", problems),
            ramp: change.duration("ramp", problems),
        });
        change.finish(problems);
    }
    for mut spike in fields.tables("spikes", problems) {
        workload.spikes.push(RawSpike {
            path: spike.path.clone(),
            at: spike.duration("at", problems),
            duration: spike.duration("duration", problems),
            multiplier: spike.number("multiplier", problems),
        });
        spike.finish(problems);
    }
    if let Some(mut attributes) = fields.table("attributes", problems) {
        workload.attributes = RawAttributes {
            path: attributes.path.clone(),
            cities: attributes.weights("cities", problems),
            payment_methods: attributes.weights("payment_methods", problems),
            api_versions: attributes.weights("api_versions", problems),
            users: attributes.integer("users", problems),
        };
        attributes.finish(problems);
    }
    fields.finish(problems);
    workload
}
