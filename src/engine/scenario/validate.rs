//! Validation: raw scenario → the model the engine trusts.
//!
//! Runs once, collects every problem (field path + plain explanation + a suggestion for misspelt
//! names), and only builds a `Scenario` when there are none. Defaults live here, and
//! `docs/scenarios.md` documents each of them.

use super::command::{Command, MAX_SLOW_FACTOR};
use super::model::*;
use super::problems::{Problems, not_found_hint};
use super::raw::*;
use super::read::{Named, RawDist, RawDistAt, RawText};
use super::registry::PatternMask;
use super::sections::{CoreModel, validate_sections};
use crate::engine::core::dist::Distribution;
use crate::engine::core::ids::{EdgeId, EndpointId, InstanceId, LineId, ServiceId, StationId};
use crate::engine::core::time::{MAX_RATE_PER_S, SimDuration, SimTime, format_micros};

pub const DEFAULT_DURATION: SimDuration = SimDuration(60_000_000);
pub const DEFAULT_SEED: u64 = 1;
pub const DEFAULT_INSTANCES: u32 = 1;
pub const DEFAULT_WORKERS: u32 = 8;
pub const DEFAULT_QUEUE: u32 = 100;
pub const DEFAULT_LATENCY_US: f64 = 1_000.0;
pub const DEFAULT_LOCAL_LATENCY_US: f64 = 100.0;
pub const DEFAULT_THINK_TIME_US: f64 = 1_000_000.0;
pub const DEFAULT_WINDOW_SECONDS: u32 = 300;

pub const MAX_STATIONS: usize = 500;
pub const MAX_SERVICES: usize = 200;
pub const MAX_ENDPOINTS: usize = 2_000;
pub const MAX_INSTANCES_PER_SERVICE: i64 = 64;
pub const MAX_WORKERS: i64 = 100_000;
pub const MAX_QUEUE: i64 = 1_000_000;
pub const MAX_USERS: i64 = 1_000_000;
pub const MAX_USER_IDS: i64 = 100_000_000;
pub const MAX_CALLS_PER_REQUEST: u64 = 100_000;
pub const MAX_PARALLEL_CALLS: usize = 1_000;
pub const MAX_SPIKE_MULTIPLIER: f64 = 1_000.0;
/// A mean service time or latency above one hour is surely a unit mistake.
pub const MAX_MEAN_US: f64 = 3_600_000_000.0;

/// Raw scenario → validated scenario, or every problem found.
pub fn validate(raw: &RawScenario, problems: &mut Problems) -> Option<Scenario> {
    let id = raw.id.clone().unwrap_or_else(|| "custom".to_string());
    if id.trim().is_empty() {
        problems.add("id", "must not be empty");
    }
    let title = raw
        .title
        .as_ref()
        .map(to_text)
        .unwrap_or_else(|| Text::english(&id));
    let description = raw.description.as_ref().map(to_text).unwrap_or_default();
    let duration = raw.duration.unwrap_or(DEFAULT_DURATION);
    if duration.0 == 0 {
        problems.add("duration", "must be above zero, like \"60s\"");
    }
    let seed = match raw.seed {
        None => DEFAULT_SEED,
        Some(seed) if seed >= 0 => seed as u64,
        Some(seed) => {
            problems.add("seed", format!("must be zero or more, got {seed}"));
            DEFAULT_SEED
        }
    };
    let window_seconds = match raw.metrics_window {
        None => DEFAULT_WINDOW_SECONDS,
        Some(window)
            if (10_000_000..=3_600_000_000).contains(&window.0)
                && window.0.is_multiple_of(1_000_000) =>
        {
            (window.0 / 1_000_000) as u32
        }
        Some(window) => {
            problems.add(
                "metrics.window",
                format!(
                    "must be whole seconds from 10s to 3600s, got {}",
                    format_micros(window.0)
                ),
            );
            DEFAULT_WINDOW_SECONDS
        }
    };

    let (mut stations, lines) = validate_map(raw, problems);
    let station_names: Vec<String> = stations.iter().map(|s| s.name.clone()).collect();
    let services_and_endpoints = validate_services(raw, &station_names, problems);
    let network = validate_network(&raw.network, &station_names, problems);
    let (services, endpoints, instances) = services_and_endpoints;
    check_call_graph(&endpoints, problems);
    let workload = match &raw.workload {
        Some(workload) => {
            validate_workload(workload, &station_names, &services, &endpoints, problems)
        }
        None => {
            problems.add(
                "workload",
                "missing; a scenario needs a [workload] that sends requests",
            );
            None
        }
    };
    let faults = validate_faults(&raw.faults, duration, &station_names, &services, problems);
    let mut endpoints = endpoints;
    let mut edges = assign_edges(&mut endpoints);
    if let Some(workload) = &workload {
        attach_variants(
            raw,
            &mut endpoints,
            &workload.attributes.payment_methods,
            problems,
        );
    }
    let tracing = validate_tracing(raw, problems);
    let patterns = validate_sections(
        &raw.sections,
        &mut CoreModel {
            stations: &stations,
            services: &services,
            endpoints: &mut endpoints,
            edges: &mut edges,
            workload: workload.as_ref(),
        },
        problems,
    );

    for line in &lines {
        for station in &line.stations {
            stations[station.index()].lines.push(line.id);
        }
    }

    if !problems.is_empty() {
        return None;
    }
    Some(Scenario {
        id,
        title,
        description,
        duration,
        seed,
        stations,
        lines,
        services,
        endpoints,
        instances,
        network: network?,
        workload: workload?,
        faults,
        edges,
        patterns,
        tracing,
        metrics: MetricsSettings { window_seconds },
    })
}

fn to_text(raw: &RawText) -> Text {
    Text {
        en: raw.en.clone(),
        hi: raw.hi.clone(),
    }
}

/// A name used as an identifier: not empty, and free of the `.` that joins `service.endpoint`.
fn check_identifier(name: &str, path: &str, what: &str, problems: &mut Problems) {
    if name.trim().is_empty() {
        problems.add(path, format!("{what} name must not be empty"));
    } else if name.contains('.') {
        problems.add(
            path,
            format!("{what} name \"{name}\" must not contain \".\" (it joins service.endpoint)"),
        );
    }
}

fn resolve_station(
    named: &Named,
    station_names: &[String],
    problems: &mut Problems,
) -> Option<StationId> {
    match station_names.iter().position(|n| *n == named.value) {
        Some(index) => Some(StationId::from_index(index)),
        None => {
            let hint = not_found_hint(&named.value, station_names.iter().map(String::as_str));
            problems.add(
                named.path.clone(),
                format!("station \"{}\" not found{hint}", named.value),
            );
            None
        }
    }
}

fn validate_map(raw: &RawScenario, problems: &mut Problems) -> (Vec<Station>, Vec<Line>) {
    let mut stations: Vec<Station> = Vec::new();
    let add_station = |name: &str, stations: &mut Vec<Station>| -> StationId {
        if let Some(existing) = stations.iter().find(|s| s.name == name) {
            return existing.id;
        }
        let id = StationId::from_index(stations.len());
        stations.push(Station {
            id,
            name: name.to_string(),
            label: Text::english(name),
            position: None,
            lines: Vec::new(),
        });
        id
    };
    for raw_station in &raw.stations {
        let Some(name) = &raw_station.name else {
            problems.add(
                format!("{}.name", raw_station.path),
                "missing; every station needs a name",
            );
            continue;
        };
        if name.trim().is_empty() {
            problems.add(format!("{}.name", raw_station.path), "must not be empty");
            continue;
        }
        if stations.iter().any(|s| &s.name == name) {
            problems.add(
                format!("{}.name", raw_station.path),
                format!("station \"{name}\" is listed twice"),
            );
            continue;
        }
        let id = add_station(name, &mut stations);
        let station = &mut stations[id.index()];
        if let Some(label) = &raw_station.label {
            station.label = to_text(label);
        }
        if let Some((x, y)) = raw_station.position {
            if x.abs() > 10_000.0 || y.abs() > 10_000.0 {
                problems.add(
                    format!("{}.position", raw_station.path),
                    "coordinates must lie within ±10000",
                );
            }
            station.position = Some((x, y));
        }
    }
    let mut lines = Vec::new();
    for (index, raw_line) in raw.lines.iter().enumerate() {
        let name = match &raw_line.name {
            Some(name) => to_text(name),
            None => {
                problems.add(
                    format!("{}.name", raw_line.path),
                    "missing; every line needs a name",
                );
                Text::english(format!("Line {}", index + 1))
            }
        };
        let style = match &raw_line.style {
            None => LineStyle::ALL[index % LineStyle::ALL.len()].1,
            Some(named) => match LineStyle::ALL.iter().find(|(key, _)| *key == named.value) {
                Some((_, style)) => *style,
                None => {
                    let hint = not_found_hint(&named.value, LineStyle::ALL.iter().map(|(k, _)| *k));
                    problems.add(
                        named.path.clone(),
                        format!("line style \"{}\" not found{hint}", named.value),
                    );
                    LineStyle::Western
                }
            },
        };
        if raw_line.stations.len() < 2 {
            problems.add(
                format!("{}.stations", raw_line.path),
                "a line joins at least two stations",
            );
        }
        let mut on_line: Vec<StationId> = Vec::new();
        for named in &raw_line.stations {
            if named.value.trim().is_empty() {
                problems.add(named.path.clone(), "station name must not be empty");
                continue;
            }
            let id = add_station(&named.value, &mut stations);
            if on_line.contains(&id) {
                problems.add(
                    named.path.clone(),
                    format!("station \"{}\" appears twice on this line", named.value),
                );
                continue;
            }
            on_line.push(id);
        }
        lines.push(Line {
            id: LineId::from_index(index),
            name,
            style,
            stations: on_line,
        });
    }
    if stations.is_empty() {
        problems.add(
            "lines",
            "no stations; add [[lines]] with stations (or [[stations]]) for the services to sit on",
        );
    }
    if stations.len() > MAX_STATIONS {
        problems.add(
            "stations",
            format!("at most {MAX_STATIONS} stations, got {}", stations.len()),
        );
    }
    (stations, lines)
}

fn int_in_range(
    value: Option<i64>,
    default: u32,
    range: std::ops::RangeInclusive<i64>,
    path: String,
    problems: &mut Problems,
) -> u32 {
    match value {
        None => default,
        Some(v) if range.contains(&v) => v as u32,
        Some(v) => {
            problems.add(
                path,
                format!("must be from {} to {}, got {v}", range.start(), range.end()),
            );
            default
        }
    }
}

type ServiceTables = (Vec<Service>, Vec<Endpoint>, Vec<InstanceSpec>);

fn validate_services(
    raw: &RawScenario,
    station_names: &[String],
    problems: &mut Problems,
) -> ServiceTables {
    if raw.services.is_empty() {
        problems.add(
            "services",
            "no services; add at least one [[services]] table",
        );
    }
    if raw.services.len() > MAX_SERVICES {
        problems.add(
            "services",
            format!(
                "at most {MAX_SERVICES} services, got {}",
                raw.services.len()
            ),
        );
    }
    // First pass: names of services and their endpoints, so calls can refer forward.
    let service_names: Vec<String> = raw
        .services
        .iter()
        .map(|s| s.name.clone().unwrap_or_default())
        .collect();
    let mut endpoint_names: Vec<(ServiceId, String)> = Vec::new();
    for (index, raw_service) in raw.services.iter().enumerate() {
        for raw_endpoint in &raw_service.endpoints {
            endpoint_names.push((
                ServiceId::from_index(index),
                raw_endpoint.name.clone().unwrap_or_default(),
            ));
        }
    }
    if endpoint_names.len() > MAX_ENDPOINTS {
        problems.add(
            "services",
            format!(
                "at most {MAX_ENDPOINTS} endpoints in all, got {}",
                endpoint_names.len()
            ),
        );
    }

    let mut services = Vec::new();
    let mut endpoints = Vec::new();
    let mut instances = Vec::new();
    for (index, raw_service) in raw.services.iter().enumerate() {
        let id = ServiceId::from_index(index);
        let path = &raw_service.path;
        let name = match &raw_service.name {
            Some(name) => {
                check_identifier(name, &format!("{path}.name"), "service", problems);
                if service_names[..index].contains(name) {
                    problems.add(
                        format!("{path}.name"),
                        format!("service \"{name}\" is defined twice"),
                    );
                }
                name.clone()
            }
            None => {
                problems.add(
                    format!("{path}.name"),
                    "missing; every service needs a name",
                );
                format!("service{index}")
            }
        };
        let station = match &raw_service.station {
            Some(named) => resolve_station(named, station_names, problems),
            None => {
                problems.add(
                    format!("{path}.station"),
                    "missing; every service sits at a station",
                );
                None
            }
        };
        let instance_count = int_in_range(
            raw_service.instances,
            DEFAULT_INSTANCES,
            1..=MAX_INSTANCES_PER_SERVICE,
            format!("{path}.instances"),
            problems,
        );
        let workers = int_in_range(
            raw_service.workers,
            DEFAULT_WORKERS,
            1..=MAX_WORKERS,
            format!("{path}.workers"),
            problems,
        );
        let queue_capacity = int_in_range(
            raw_service.queue,
            DEFAULT_QUEUE,
            0..=MAX_QUEUE,
            format!("{path}.queue"),
            problems,
        );
        let balancer = match &raw_service.balancer {
            None => Balancer::RoundRobin,
            Some(named) => match Balancer::ALL.iter().find(|(key, _)| *key == named.value) {
                Some((_, balancer)) => *balancer,
                None => {
                    let hint = not_found_hint(&named.value, Balancer::ALL.iter().map(|(k, _)| *k));
                    problems.add(
                        named.path.clone(),
                        format!("balancer \"{}\" not found{hint}", named.value),
                    );
                    Balancer::RoundRobin
                }
            },
        };
        let mut instance_ids = Vec::new();
        for ordinal in 0..instance_count {
            let instance_id = InstanceId::from_index(instances.len());
            instances.push(InstanceSpec {
                id: instance_id,
                service: id,
                ordinal,
            });
            instance_ids.push(instance_id);
        }
        if raw_service.endpoints.is_empty() {
            problems.add(
                format!("{path}.endpoints"),
                "no endpoints; add at least one [[services.endpoints]] table",
            );
        }
        let mut endpoint_ids = Vec::new();
        for (ep_index, raw_endpoint) in raw_service.endpoints.iter().enumerate() {
            let endpoint_id = EndpointId::from_index(endpoints.len());
            let ep_path = &raw_endpoint.path;
            let ep_name = match &raw_endpoint.name {
                Some(ep_name) => {
                    check_identifier(ep_name, &format!("{ep_path}.name"), "endpoint", problems);
                    if raw_service.endpoints[..ep_index]
                        .iter()
                        .any(|other| other.name.as_ref() == Some(ep_name))
                    {
                        problems.add(
                            format!("{ep_path}.name"),
                            format!(
                                "endpoint \"{ep_name}\" is defined twice in service \"{name}\""
                            ),
                        );
                    }
                    ep_name.clone()
                }
                None => {
                    problems.add(
                        format!("{ep_path}.name"),
                        "missing; every endpoint needs a name",
                    );
                    format!("endpoint{ep_index}")
                }
            };
            let work = match &raw_endpoint.service_time {
                Some(dist) => {
                    to_distribution(dist, problems).unwrap_or(Distribution::constant_us(0.0))
                }
                None => Distribution::constant_us(0.0),
            };
            let error_probability = match raw_endpoint.error_rate {
                None => 0.0,
                Some(p) if (0.0..=1.0).contains(&p) => p,
                Some(p) => {
                    problems.add(
                        format!("{ep_path}.error_rate"),
                        format!("must be from 0 to 1, got {p}"),
                    );
                    0.0
                }
            };
            let steps = raw_endpoint
                .calls
                .iter()
                .filter_map(|raw_step| {
                    let (path, calls) = match raw_step {
                        RawStep::Call(call) => (&call.path, std::slice::from_ref(call)),
                        RawStep::Parallel { path, calls } => {
                            if calls.is_empty() {
                                problems.add(
                                    format!("{path}.parallel"),
                                    "a parallel step needs at least one call",
                                );
                            }
                            (path, calls.as_slice())
                        }
                    };
                    let mut resolved = Vec::new();
                    for call in calls {
                        let copies = resolve_call(call, &service_names, &endpoint_names, problems)?;
                        resolved.extend(copies);
                    }
                    if resolved.len() > MAX_PARALLEL_CALLS {
                        problems.add(
                            path.clone(),
                            format!(
                                "at most {MAX_PARALLEL_CALLS} calls in one step, got {}",
                                resolved.len()
                            ),
                        );
                    }
                    match (raw_step, resolved.len()) {
                        (RawStep::Call(_), 1) => resolved.pop().map(Step::Call),
                        _ => Some(Step::Parallel(resolved)),
                    }
                })
                .collect();
            endpoints.push(Endpoint {
                id: endpoint_id,
                service: id,
                qualified_name: format!("{name}.{ep_name}"),
                name: ep_name,
                work,
                error_probability,
                steps,
                variants: Vec::new(),
                handler: None,
                arrival: PatternMask::EMPTY,
            });
            endpoint_ids.push(endpoint_id);
        }
        services.push(Service {
            id,
            label: raw_service
                .label
                .as_ref()
                .map(to_text)
                .unwrap_or_else(|| Text::english(&name)),
            name,
            station: station.unwrap_or(StationId(0)),
            instances: instance_ids,
            workers,
            queue_capacity,
            balancer,
            endpoints: endpoint_ids,
        });
    }
    (services, endpoints, instances)
}

/// `"payment.charge"`, or `"payment"` when that service has exactly one endpoint.
fn resolve_endpoint(
    named: &Named,
    service_names: &[String],
    endpoint_names: &[(ServiceId, String)],
    problems: &mut Problems,
) -> Option<EndpointId> {
    let (service_name, endpoint_name) = match named.value.split_once('.') {
        Some((service, endpoint)) => (service, Some(endpoint)),
        None => (named.value.as_str(), None),
    };
    let Some(service_index) = service_names.iter().position(|n| n == service_name) else {
        let hint = not_found_hint(service_name, service_names.iter().map(String::as_str));
        problems.add(
            named.path.clone(),
            format!("service \"{service_name}\" not found{hint}"),
        );
        return None;
    };
    let service = ServiceId::from_index(service_index);
    let of_service: Vec<(usize, &str)> = endpoint_names
        .iter()
        .enumerate()
        .filter(|(_, (s, _))| *s == service)
        .map(|(index, (_, name))| (index, name.as_str()))
        .collect();
    match endpoint_name {
        None if of_service.len() == 1 => Some(EndpointId::from_index(of_service[0].0)),
        None => {
            let names: Vec<&str> = of_service.iter().map(|(_, n)| *n).collect();
            problems.add(
                named.path.clone(),
                format!(
                    "service \"{service_name}\" has {} endpoints; name one, like \"{service_name}.{}\"",
                    names.len(),
                    names.first().copied().unwrap_or("endpoint")
                ),
            );
            None
        }
        Some(endpoint_name) => {
            match of_service.iter().find(|(_, n)| *n == endpoint_name) {
                Some((index, _)) => Some(EndpointId::from_index(*index)),
                None => {
                    let hint = not_found_hint(endpoint_name, of_service.iter().map(|(_, n)| *n));
                    problems.add(
                    named.path.clone(),
                    format!("endpoint \"{endpoint_name}\" not found in service \"{service_name}\"{hint}"),
                );
                    None
                }
            }
        }
    }
}

/// One call, or `fan_out` copies of it.
fn resolve_call(
    call: &RawCall,
    service_names: &[String],
    endpoint_names: &[(ServiceId, String)],
    problems: &mut Problems,
) -> Option<Vec<CallSpec>> {
    let target = resolve_endpoint(&call.target, service_names, endpoint_names, problems)?;
    if call.timeout == Some(SimDuration::ZERO) {
        problems.add(format!("{}.timeout", call.path), "must be above zero");
    }
    let copies = match call.fan_out {
        None => 1,
        Some(n) if (1..=MAX_PARALLEL_CALLS as i64).contains(&n) => n as usize,
        Some(n) => {
            problems.add(
                format!("{}.fan_out", call.path),
                format!("must be from 1 to {MAX_PARALLEL_CALLS}, got {n}"),
            );
            return None;
        }
    };
    Some(vec![
        CallSpec {
            target,
            timeout: call.timeout,
            // Assigned once every call is known (`assign_edges`).
            edge: EdgeId(0),
        };
        copies
    ])
}

/// A raw distribution, checked (also used for variants).
pub(super) fn distribution(raw: &RawDistAt, problems: &mut Problems) -> Option<Distribution> {
    to_distribution(raw, problems)
}

fn to_distribution(raw: &RawDistAt, problems: &mut Problems) -> Option<Distribution> {
    let dist = convert_dist(&raw.dist, &raw.path, problems)?;
    let mean = dist.mean_us();
    if !(mean.is_finite() && mean <= MAX_MEAN_US) {
        problems.add(
            raw.path.clone(),
            "its mean is above one hour; check the units",
        );
        return None;
    }
    Some(dist)
}

fn convert_dist(raw: &RawDist, path: &str, problems: &mut Problems) -> Option<Distribution> {
    match raw {
        RawDist::Constant(value) => Some(Distribution::constant_us(value.0 as f64)),
        RawDist::Uniform(low, high) => {
            if low > high {
                problems.add(
                    path,
                    format!(
                        "uniform low {} is above high {}",
                        format_micros(low.0),
                        format_micros(high.0)
                    ),
                );
                return None;
            }
            Some(Distribution::Uniform {
                low_us: low.0 as f64,
                high_us: high.0 as f64,
            })
        }
        RawDist::Exponential(mean) => {
            if mean.0 == 0 {
                problems.add(path, "an exponential mean must be above zero");
                return None;
            }
            Some(Distribution::Exponential {
                mean_us: mean.0 as f64,
            })
        }
        RawDist::LogNormal { median, p99 } => {
            if median.0 == 0 || p99 <= median {
                problems.add(
                    path,
                    format!(
                        "a log-normal needs 0 < median < p99, got median {} and p99 {}",
                        format_micros(median.0),
                        format_micros(p99.0)
                    ),
                );
                return None;
            }
            Some(Distribution::log_normal(median.0 as f64, p99.0 as f64))
        }
        RawDist::Mixture(components) => {
            if components.is_empty() {
                problems.add(path, "a mixture needs at least one component");
                return None;
            }
            let mut converted = Vec::new();
            for (index, (weight, component)) in components.iter().enumerate() {
                let component_path = format!("{path}.mixture[{index}]");
                converted.push((*weight, convert_dist(component, &component_path, problems)?));
            }
            Some(Distribution::mixture(converted))
        }
    }
}

fn validate_network(
    raw: &RawNetwork,
    station_names: &[String],
    problems: &mut Problems,
) -> Option<Network> {
    let default_latency = match &raw.latency {
        Some(dist) => to_distribution(dist, problems)?,
        None => Distribution::constant_us(DEFAULT_LATENCY_US),
    };
    let local_latency = match &raw.local_latency {
        Some(dist) => to_distribution(dist, problems)?,
        None => Distribution::constant_us(DEFAULT_LOCAL_LATENCY_US),
    };
    let station_count = station_names.len();
    let mut latencies = vec![default_latency, local_latency];
    let mut matrix = vec![0u16; station_count * station_count];
    for station in 0..station_count {
        matrix[station * station_count + station] = 1;
    }
    let mut seen_pairs: Vec<(usize, usize)> = Vec::new();
    for link in &raw.links {
        if link.between.len() != 2 {
            problems.add(
                format!("{}.between", link.path),
                "a link names exactly two stations: [\"A\", \"B\"]",
            );
            continue;
        }
        let a = resolve_station(&link.between[0], station_names, problems);
        let b = resolve_station(&link.between[1], station_names, problems);
        let latency = match &link.latency {
            Some(dist) => to_distribution(dist, problems),
            None => {
                problems.add(
                    format!("{}.latency", link.path),
                    "missing; give the link's latency, like \"5ms\"",
                );
                None
            }
        };
        let (Some(a), Some(b), Some(latency)) = (a, b, latency) else {
            continue;
        };
        let pair = (a.index().min(b.index()), a.index().max(b.index()));
        if seen_pairs.contains(&pair) {
            problems.add(
                link.path.clone(),
                "this pair of stations already has a link",
            );
            continue;
        }
        seen_pairs.push(pair);
        if latencies.len() >= usize::from(u16::MAX) {
            problems.add(link.path.clone(), "too many links");
            continue;
        }
        let index = latencies.len() as u16;
        latencies.push(latency);
        matrix[a.index() * station_count + b.index()] = index;
        matrix[b.index() * station_count + a.index()] = index;
    }
    Some(Network {
        latencies,
        matrix,
        station_count,
    })
}

/// No endpoint may (indirectly) call itself, and no request may fan out into more than
/// `MAX_CALLS_PER_REQUEST` calls.
fn check_call_graph(endpoints: &[Endpoint], problems: &mut Problems) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Visiting,
        Done,
    }
    fn visit(
        index: usize,
        endpoints: &[Endpoint],
        marks: &mut [Mark],
        calls: &mut [u64],
        stack: &mut Vec<usize>,
        problems: &mut Problems,
    ) -> bool {
        match marks[index] {
            Mark::Done => return true,
            Mark::Visiting => {
                let start = stack.iter().position(|&i| i == index).unwrap_or(0);
                let cycle: Vec<&str> = stack[start..]
                    .iter()
                    .chain(std::iter::once(&index))
                    .map(|&i| endpoints[i].qualified_name.as_str())
                    .collect();
                problems.add(
                    format!("services (endpoint {})", endpoints[index].qualified_name),
                    format!("calls go round in a cycle: {}", cycle.join(" → ")),
                );
                return false;
            }
            Mark::New => {}
        }
        marks[index] = Mark::Visiting;
        stack.push(index);
        let mut total: u64 = 1;
        let mut ok = true;
        for step in &endpoints[index].steps {
            for call in step.calls() {
                let target = call.target.index();
                if visit(target, endpoints, marks, calls, stack, problems) {
                    total = total.saturating_add(calls[target]);
                } else {
                    ok = false;
                }
            }
        }
        stack.pop();
        marks[index] = Mark::Done;
        calls[index] = total;
        ok
    }
    let mut marks = vec![Mark::New; endpoints.len()];
    let mut calls = vec![0u64; endpoints.len()];
    for index in 0..endpoints.len() {
        let mut stack = Vec::new();
        if visit(
            index, endpoints, &mut marks, &mut calls, &mut stack, problems,
        ) && calls[index] > MAX_CALLS_PER_REQUEST
        {
            problems.add(
                format!("services (endpoint {})", endpoints[index].qualified_name),
                format!(
                    "one request here makes {} calls in all; at most {MAX_CALLS_PER_REQUEST} are allowed",
                    calls[index]
                ),
            );
        }
    }
}

fn weighted_names(raw: &[(String, f64)], path: String, problems: &mut Problems) -> WeightedNames {
    let mut names = Vec::new();
    let mut cumulative_weights = Vec::new();
    let mut total = 0.0;
    for (name, weight) in raw {
        if weight.is_nan() || *weight <= 0.0 {
            problems.add(
                format!("{path}.{name}"),
                format!("weight must be above zero, got {weight}"),
            );
            continue;
        }
        total += weight;
        names.push(name.clone());
        cumulative_weights.push(total);
    }
    WeightedNames {
        names,
        cumulative_weights,
    }
}

fn validate_workload(
    raw: &RawWorkload,
    station_names: &[String],
    services: &[Service],
    endpoints: &[Endpoint],
    problems: &mut Problems,
) -> Option<Workload> {
    let path = &raw.path;
    let service_names: Vec<String> = services.iter().map(|s| s.name.clone()).collect();
    let endpoint_names: Vec<(ServiceId, String)> = endpoints
        .iter()
        .map(|e| (e.service, e.name.clone()))
        .collect();

    if raw.mix.is_empty() {
        problems.add(
            format!("{path}.mix"),
            "missing; list the entry endpoints, like [[workload.mix]] endpoint = \"gateway.browse\"",
        );
    }
    let mut mix = EndpointMix {
        endpoints: Vec::new(),
        cumulative_weights: Vec::new(),
    };
    let mut total = 0.0;
    for entry in &raw.mix {
        let weight = entry.weight.unwrap_or(1.0);
        if weight.is_nan() || weight <= 0.0 {
            problems.add(
                format!("{}.weight", entry.path),
                format!("must be above zero, got {weight}"),
            );
        }
        let Some(named) = &entry.endpoint else {
            problems.add(
                format!("{}.endpoint", entry.path),
                "missing; name the endpoint, like \"gateway.browse\"",
            );
            continue;
        };
        if let Some(endpoint) = resolve_endpoint(named, &service_names, &endpoint_names, problems) {
            total += weight;
            mix.endpoints.push(endpoint);
            mix.cumulative_weights.push(total);
        }
    }

    let station = match &raw.station {
        Some(named) => resolve_station(named, station_names, problems),
        None => mix
            .endpoints
            .first()
            .map(|&e| services[endpoints[e.index()].service.index()].station),
    };

    let mode_name = raw
        .mode
        .as_ref()
        .map(|m| m.value.as_str())
        .unwrap_or("open");
    let mode = match mode_name {
        "open" => {
            if raw.users.is_some() {
                problems.add(
                    format!("{path}.users"),
                    "users is for mode = \"closed\"; an open workload takes a rate",
                );
            }
            if raw.think_time.is_some() {
                problems.add(
                    format!("{path}.think_time"),
                    "think_time is for mode = \"closed\"",
                );
            }
            let base_per_s = match raw.rate {
                Some(rate) => rate,
                None => {
                    problems.add(
                        format!("{path}.rate"),
                        "missing; an open workload needs a rate, like \"200/s\"",
                    );
                    0.0
                }
            };
            let profile = validate_profile(raw, base_per_s, problems);
            WorkloadMode::Open(profile)
        }
        "closed" => {
            if raw.rate.is_some() {
                problems.add(
                    format!("{path}.rate"),
                    "rate is for mode = \"open\"; a closed workload takes users and think_time",
                );
            }
            if !raw.rate_changes.is_empty() || !raw.spikes.is_empty() {
                problems.add(
                    format!("{path}.mode"),
                    "rate_changes and spikes need mode = \"open\"",
                );
            }
            let users = match raw.users {
                Some(users) => int_in_range(
                    Some(users),
                    1,
                    1..=MAX_USERS,
                    format!("{path}.users"),
                    problems,
                ),
                None => {
                    problems.add(
                        format!("{path}.users"),
                        "missing; a closed workload needs a number of users",
                    );
                    1
                }
            };
            let think_time = match &raw.think_time {
                Some(dist) => {
                    to_distribution(dist, problems).unwrap_or(Distribution::constant_us(0.0))
                }
                None => Distribution::Exponential {
                    mean_us: DEFAULT_THINK_TIME_US,
                },
            };
            WorkloadMode::Closed { users, think_time }
        }
        other => {
            let hint = not_found_hint(other, ["open", "closed"]);
            problems.add(
                raw.mode
                    .as_ref()
                    .map(|m| m.path.clone())
                    .unwrap_or_default(),
                format!("mode \"{other}\" not found{hint}"),
            );
            WorkloadMode::Open(RateProfile::constant(0.0))
        }
    };
    if raw.timeout == Some(SimDuration::ZERO) {
        problems.add(format!("{path}.timeout"), "must be above zero");
    }
    let attributes = AttributeSpec {
        cities: weighted_names(
            &raw.attributes.cities,
            format!("{}.cities", raw.attributes.path),
            problems,
        ),
        payment_methods: weighted_names(
            &raw.attributes.payment_methods,
            format!("{}.payment_methods", raw.attributes.path),
            problems,
        ),
        api_versions: weighted_names(
            &raw.attributes.api_versions,
            format!("{}.api_versions", raw.attributes.path),
            problems,
        ),
        users: int_in_range(
            raw.attributes.users,
            0,
            1..=MAX_USER_IDS,
            format!("{}.users", raw.attributes.path),
            problems,
        ),
    };
    Some(Workload {
        station: station?,
        mode,
        mix,
        timeout: raw.timeout,
        attributes,
    })
}

fn validate_profile(raw: &RawWorkload, base_per_s: f64, problems: &mut Problems) -> RateProfile {
    let mut changes: Vec<RateChange> = Vec::new();
    for change in &raw.rate_changes {
        let (Some(at), Some(rate)) = (change.at, change.rate) else {
            if change.at.is_none() {
                problems.add(
                    format!("{}.at", change.path),
                    "missing; when does the rate change?",
                );
            }
            if change.rate.is_none() {
                problems.add(
                    format!("{}.rate", change.path),
                    "missing; the new rate, like \"400/s\"",
                );
            }
            continue;
        };
        if let Some(previous) = changes.last() {
            let previous_end = previous.at + previous.ramp.unwrap_or_default();
            if SimTime(at.0) < previous_end {
                problems.add(
                    format!("{}.at", change.path),
                    format!(
                        "rate changes must be in time order and not overlap; this one starts at {} before the previous one ends at {}",
                        format_micros(at.0),
                        format_micros(previous_end.0)
                    ),
                );
            }
        }
        if change.ramp == Some(SimDuration::ZERO) {
            problems.add(
                format!("{}.ramp", change.path),
                "must be above zero (leave it out for a step)",
            );
        }
        changes.push(RateChange {
            at: SimTime(at.0),
            rate_per_s: rate,
            ramp: change.ramp,
        });
    }
    let mut spikes = Vec::new();
    for spike in &raw.spikes {
        let at = spike.at.unwrap_or_else(|| {
            problems.add(
                format!("{}.at", spike.path),
                "missing; when does the spike start?",
            );
            SimDuration::ZERO
        });
        let duration = spike.duration.unwrap_or_else(|| {
            problems.add(
                format!("{}.duration", spike.path),
                "missing; how long does the spike last?",
            );
            SimDuration::ZERO
        });
        let multiplier = spike.multiplier.unwrap_or_else(|| {
            problems.add(
                format!("{}.multiplier", spike.path),
                "missing; how many times the normal rate?",
            );
            1.0
        });
        if spike.duration == Some(SimDuration::ZERO) {
            problems.add(format!("{}.duration", spike.path), "must be above zero");
        }
        if !(multiplier > 0.0 && multiplier <= MAX_SPIKE_MULTIPLIER) {
            problems.add(
                format!("{}.multiplier", spike.path),
                format!("must be above 0 and at most {MAX_SPIKE_MULTIPLIER}, got {multiplier}"),
            );
        }
        spikes.push(Spike {
            at: SimTime(at.0),
            duration,
            multiplier,
        });
    }
    let profile = RateProfile {
        base_per_s,
        changes,
        spikes,
    };
    let peak = profile.max_rate();
    if peak > MAX_RATE_PER_S {
        problems.add(
            format!("{}.spikes", raw.path),
            format!("the rate peaks at {peak:.0}/s; at most {MAX_RATE_PER_S:.0}/s is allowed"),
        );
    }
    profile
}

const FAULT_KINDS: [&str; 6] = ["crash", "restart", "slow", "errors", "partition", "heal"];

fn validate_faults(
    raw_faults: &[RawFault],
    duration: SimDuration,
    station_names: &[String],
    services: &[Service],
    problems: &mut Problems,
) -> Vec<ScheduledFault> {
    let mut faults = Vec::new();
    for raw in raw_faults {
        let path = &raw.path;
        let Some(at) = raw.at else {
            problems.add(
                format!("{path}.at"),
                "missing; when does the fault start, like \"20s\"?",
            );
            continue;
        };
        if at >= duration {
            problems.add(
                format!("{path}.at"),
                format!(
                    "{} is not before the scenario ends at {}",
                    format_micros(at.0),
                    format_micros(duration.0)
                ),
            );
        }
        let Some(kind) = &raw.kind else {
            problems.add(
                format!("{path}.kind"),
                format!("missing; one of {}", FAULT_KINDS.join(", ")),
            );
            continue;
        };
        let uses = |field: &str| -> bool {
            matches!(
                (kind.value.as_str(), field),
                (
                    "crash" | "restart" | "slow" | "errors",
                    "service" | "instance"
                ) | ("crash" | "slow" | "errors" | "partition", "duration")
                    | ("slow", "factor")
                    | ("errors", "probability")
                    | ("partition", "stations")
            )
        };
        if !FAULT_KINDS.contains(&kind.value.as_str()) {
            let hint = not_found_hint(&kind.value, FAULT_KINDS);
            problems.add(
                kind.path.clone(),
                format!("fault kind \"{}\" not found{hint}", kind.value),
            );
            continue;
        }
        let present = [
            ("service", raw.service.is_some()),
            ("instance", raw.instance.is_some()),
            ("duration", raw.duration.is_some()),
            ("factor", raw.factor.is_some()),
            ("probability", raw.probability.is_some()),
            ("stations", !raw.stations.is_empty()),
        ];
        for (field, is_present) in present {
            if is_present && !uses(field) {
                problems.add(
                    format!("{path}.{field}"),
                    format!("{field} does not apply to a \"{}\" fault", kind.value),
                );
            }
        }
        let service = if uses("service") {
            match &raw.service {
                Some(named) => match services.iter().position(|s| s.name == named.value) {
                    Some(index) => Some(ServiceId::from_index(index)),
                    None => {
                        let hint =
                            not_found_hint(&named.value, services.iter().map(|s| s.name.as_str()));
                        problems.add(
                            named.path.clone(),
                            format!("service \"{}\" not found{hint}", named.value),
                        );
                        None
                    }
                },
                None => {
                    problems.add(
                        format!("{path}.service"),
                        "missing; which service does the fault hit?",
                    );
                    None
                }
            }
        } else {
            None
        };
        let instance = match raw.instance {
            None => None,
            Some(i) if (0..MAX_INSTANCES_PER_SERVICE).contains(&i) => Some(i as u32),
            Some(i) => {
                problems.add(
                    format!("{path}.instance"),
                    format!("must be an instance number from 0, got {i}"),
                );
                None
            }
        };
        let command = match kind.value.as_str() {
            "crash" => service.map(|service| Command::Crash {
                service,
                instance: instance.unwrap_or(0),
                duration: raw.duration,
            }),
            "restart" => service.map(|service| Command::Restart {
                service,
                instance: instance.unwrap_or(0),
            }),
            "slow" => {
                let factor = raw.factor.unwrap_or_else(|| {
                    problems.add(
                        format!("{path}.factor"),
                        "missing; how many times slower, like 5?",
                    );
                    1.0
                });
                if raw.factor.is_some() && !(factor > 0.0 && factor <= MAX_SLOW_FACTOR) {
                    problems.add(
                        format!("{path}.factor"),
                        format!("must be above 0 and at most {MAX_SLOW_FACTOR}, got {factor}"),
                    );
                }
                service.map(|service| Command::Slow {
                    service,
                    instance,
                    factor,
                    duration: raw.duration,
                })
            }
            "errors" => {
                let probability = raw.probability.unwrap_or_else(|| {
                    problems.add(
                        format!("{path}.probability"),
                        "missing; the chance a call fails, from 0 to 1",
                    );
                    0.0
                });
                if !(0.0..=1.0).contains(&probability) {
                    problems.add(
                        format!("{path}.probability"),
                        format!("must be from 0 to 1, got {probability}"),
                    );
                }
                service.map(|service| Command::Errors {
                    service,
                    instance,
                    probability,
                    duration: raw.duration,
                })
            }
            "partition" => {
                if raw.stations.len() != 2 {
                    problems.add(
                        format!("{path}.stations"),
                        "a partition names exactly two stations: [\"A\", \"B\"]",
                    );
                    None
                } else {
                    let a = resolve_station(&raw.stations[0], station_names, problems);
                    let b = resolve_station(&raw.stations[1], station_names, problems);
                    match (a, b) {
                        (Some(a), Some(b)) => Some(Command::Partition {
                            a,
                            b,
                            duration: raw.duration,
                        }),
                        _ => None,
                    }
                }
            }
            _ => Some(Command::Heal),
        };
        if raw.duration == Some(SimDuration::ZERO) {
            problems.add(
                format!("{path}.duration"),
                "must be above zero (leave it out for a fault that lasts)",
            );
        }
        let Some(command) = command else { continue };
        // Instance numbers and station pairs are checked the same way as at run time.
        if let Some(service) = match &command {
            Command::Crash { service, .. }
            | Command::Restart { service, .. }
            | Command::Slow { service, .. }
            | Command::Errors { service, .. } => Some(*service),
            _ => None,
        } {
            let count = services[service.index()].instances.len();
            let wanted = match &command {
                Command::Crash { instance, .. } | Command::Restart { instance, .. } => {
                    Some(*instance)
                }
                Command::Slow { instance, .. } | Command::Errors { instance, .. } => *instance,
                _ => None,
            };
            if let Some(wanted) = wanted
                && wanted as usize >= count
            {
                problems.add(
                    format!("{path}.instance"),
                    format!(
                        "service \"{}\" has {count} instance(s), numbered from 0; there is no instance {wanted}",
                        services[service.index()].name
                    ),
                );
            }
        }
        if let Command::Partition { a, b, .. } = &command
            && a == b
        {
            problems.add(
                format!("{path}.stations"),
                "a partition needs two different stations",
            );
        }
        faults.push(ScheduledFault {
            at: SimTime(at.0),
            command,
        });
    }
    faults.sort_by_key(|fault| fault.at);
    faults
}

/// Every caller→callee pair the call graph uses becomes an edge (sorted, so ids are stable), and
/// each call learns its edge. Patterns attach to edges later (`sections`).
fn assign_edges(endpoints: &mut [Endpoint]) -> Vec<Edge> {
    let mut pairs: Vec<(ServiceId, ServiceId)> = Vec::new();
    let callers: Vec<ServiceId> = endpoints.iter().map(|e| e.service).collect();
    let target_service: Vec<ServiceId> = endpoints.iter().map(|e| e.service).collect();
    for (endpoint, &caller) in endpoints.iter().zip(&callers) {
        for step in &endpoint.steps {
            for call in step.calls() {
                let pair = (caller, target_service[call.target.index()]);
                if let Err(at) = pairs.binary_search(&pair) {
                    pairs.insert(at, pair);
                }
            }
        }
    }
    for (endpoint, &caller) in endpoints.iter_mut().zip(&callers) {
        for step in &mut endpoint.steps {
            let calls: &mut [CallSpec] = match step {
                Step::Call(call) => std::slice::from_mut(call),
                Step::Parallel(calls) => calls,
            };
            for call in calls {
                let pair = (caller, target_service[call.target.index()]);
                if let Some(index) = pairs.iter().position(|&p| p == pair) {
                    call.edge = EdgeId::from_index(index);
                }
            }
        }
    }
    pairs
        .into_iter()
        .map(|(from, to)| Edge {
            from,
            to,
            guard: None,
        })
        .collect()
}

/// Variants by payment method, resolved against the workload's payment methods.
fn attach_variants(
    raw: &RawScenario,
    endpoints: &mut [Endpoint],
    payment_methods: &WeightedNames,
    problems: &mut Problems,
) {
    let raw_endpoints = raw.services.iter().flat_map(|s| s.endpoints.iter());
    for (raw_endpoint, endpoint) in raw_endpoints.zip(endpoints.iter_mut()) {
        for raw_variant in &raw_endpoint.variants {
            let Some(named) = &raw_variant.payment_method else {
                problems.add(
                    format!("{}.payment_method", raw_variant.path),
                    "missing; which payment method, like \"UPI\"?",
                );
                continue;
            };
            let Some(index) = payment_methods.names.iter().position(|n| *n == named.value) else {
                let hint = not_found_hint(
                    &named.value,
                    payment_methods.names.iter().map(String::as_str),
                );
                let known = if payment_methods.is_empty() {
                    "; list it in [workload.attributes] payment_methods first".to_string()
                } else {
                    hint
                };
                problems.add(
                    named.path.clone(),
                    format!("payment method \"{}\" not found{known}", named.value),
                );
                continue;
            };
            let work = match &raw_variant.service_time {
                Some(dist) => distribution(dist, problems).unwrap_or_else(|| endpoint.work.clone()),
                None => endpoint.work.clone(),
            };
            let error_probability = match raw_variant.error_rate {
                None => endpoint.error_probability,
                Some(p) if (0.0..=1.0).contains(&p) => p,
                Some(p) => {
                    problems.add(
                        format!("{}.error_rate", raw_variant.path),
                        format!("must be from 0 to 1, got {p}"),
                    );
                    endpoint.error_probability
                }
            };
            endpoint.variants.push(Variant {
                payment_method: index as u16,
                work,
                error_probability,
            });
        }
    }
}

fn validate_tracing(raw: &RawScenario, problems: &mut Problems) -> TracingSettings {
    let defaults = TracingSettings::default();
    let t = &raw.tracing;
    let share = |value: Option<f64>, key: &str, default: f64, problems: &mut Problems| match value {
        None => default,
        Some(v) if (0.0..=1.0).contains(&v) => v,
        Some(v) => {
            problems.add(
                format!("tracing.{key}"),
                format!("a share from 0 to 1, got {v}"),
            );
            default
        }
    };
    let count = |value: Option<i64>, key: &str, default: u32, min: i64, problems: &mut Problems| {
        match value {
            None => default,
            Some(v) if (min..=10_000).contains(&v) => v as u32,
            Some(v) => {
                problems.add(
                    format!("tracing.{key}"),
                    format!("must be from {min} to 10000, got {v}"),
                );
                default
            }
        }
    };
    TracingSettings {
        head_sampling: share(
            t.head_sampling,
            "head_sampling",
            defaults.head_sampling,
            problems,
        ),
        keep_errors: t.tail_errors.unwrap_or(defaults.keep_errors),
        keep_slower_than: t.tail_slow,
        keep_ratio: share(t.tail_ratio, "keep_ratio", defaults.keep_ratio, problems),
        recent: count(t.recent, "recent", defaults.recent, 1, problems),
        kept: count(t.kept, "kept", defaults.kept, 0, problems),
    }
}
