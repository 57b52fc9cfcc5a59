//! Reading a scenario's TOML into raw types: the shape of the file, with units parsed but nothing
//! resolved or range-checked. Wrong types, bad units and unknown fields are collected as problems,
//! each with its field path, so the author sees all of them at once.

use super::policies::RawPolicy;
use super::problems::{Problems, not_found_hint};
use crate::engine::core::time::{SimDuration, parse_duration, parse_rate};
use crate::engine::resilience::ServerLimiterConfig;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// Text in English and optionally Hindi: `"Checkout"` or `{ en = "Checkout", hi = "चेकआउट" }`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawText {
    pub en: String,
    pub hi: Option<String>,
}

/// A name that refers to something else, with the path where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Named {
    pub path: String,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RawDist {
    Constant(SimDuration),
    Uniform(SimDuration, SimDuration),
    Exponential(SimDuration),
    LogNormal {
        median: SimDuration,
        p99: SimDuration,
    },
    Mixture(Vec<(f64, RawDist)>),
}

/// A distribution with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct RawDistAt {
    pub path: String,
    pub dist: RawDist,
}

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
    pub policies: Vec<RawPolicy>,
    pub sagas: Vec<RawSaga>,
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
    pub rate_limit: Option<ServerLimiterConfig>,
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
    /// A saga whose in-flight records this endpoint reads (and so observes their semantic locks).
    pub observes_saga: Option<Named>,
}

#[derive(Clone, Debug)]
pub struct RawVariant {
    pub path: String,
    pub payment_method: Option<Named>,
    pub service_time: Option<RawDistAt>,
    pub error_rate: Option<f64>,
}

/// A `[[sagas]]` table.
#[derive(Clone, Debug, Default)]
pub struct RawSaga {
    pub path: String,
    pub name: Option<String>,
    pub label: Option<RawText>,
    pub start: Option<Named>,
    pub mode: Option<Named>,
    pub retry_initial: Option<SimDuration>,
    pub retry_multiplier: Option<f64>,
    pub retry_max: Option<SimDuration>,
    pub steps: Vec<RawSagaStep>,
}

#[derive(Clone, Debug, Default)]
pub struct RawSagaStep {
    pub path: String,
    pub name: Option<String>,
    pub action: Option<Named>,
    pub compensation: Option<Named>,
    pub pivot: Option<bool>,
    pub timeout: Option<SimDuration>,
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

/// A TOML value as the `toml` crate's parser hands it over, with its place in the text.
pub(super) type Value<'a> = DeValue<'a>;
/// A TOML table: keys in sorted order, each key and value with its span.
pub(super) type Table<'a> = DeTable<'a>;

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "text",
        Value::Integer(_) => "a whole number",
        Value::Float(_) => "a number",
        Value::Boolean(_) => "true/false",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "a list",
        Value::Table(_) => "a table",
    }
}

/// The integer the parser read, or `None` when it does not fit in 64 bits.
fn integer_of(value: &toml::de::DeInteger<'_>) -> Option<i64> {
    i64::from_str_radix(value.as_str(), value.radix()).ok()
}

/// The float the parser read (`inf` and `nan` included).
fn float_of(value: &toml::de::DeFloat<'_>) -> Option<f64> {
    value.as_str().parse().ok()
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// A TOML table being read: remembers which keys were asked for, so the rest can be reported
/// as unknown fields (with a suggestion when one is close). Every value it hands out has its
/// place noted in `problems`, so a problem found later (in validation) still names the line
/// and column where its field was written.
pub(super) struct Fields<'a> {
    pub(super) table: &'a Table<'a>,
    pub(super) path: String,
    known: Vec<&'static str>,
}

impl<'a> Fields<'a> {
    pub(super) fn new(table: &'a Table<'a>, path: String) -> Fields<'a> {
        Fields {
            table,
            path,
            known: Vec::new(),
        }
    }

    pub(super) fn at(&self, key: &str) -> String {
        join(&self.path, key)
    }

    pub(super) fn value(&mut self, key: &'static str) -> Option<&'a Value<'a>> {
        self.known.push(key);
        self.table.get(key).map(Spanned::get_ref)
    }

    /// Like `value`, noting where the value was written.
    fn located(&mut self, key: &'static str, problems: &mut Problems) -> Option<&'a Value<'a>> {
        self.known.push(key);
        let spanned = self.table.get(key)?;
        problems.locate(self.at(key), spanned.span().start);
        Some(spanned.get_ref())
    }

    pub(super) fn contains_key(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    fn wrong_type(&self, key: &str, expected: &str, got: &Value, problems: &mut Problems) {
        problems.add(
            self.at(key),
            format!("expected {expected}, found {}", type_name(got)),
        );
    }

    pub(super) fn string(&mut self, key: &'static str, problems: &mut Problems) -> Option<String> {
        match self.located(key, problems)? {
            Value::String(s) => Some(s.to_string()),
            other => {
                self.wrong_type(key, "text", other, problems);
                None
            }
        }
    }

    pub(super) fn boolean(&mut self, key: &'static str, problems: &mut Problems) -> Option<bool> {
        match self.located(key, problems)? {
            Value::Boolean(b) => Some(*b),
            other => {
                self.wrong_type(key, "true or false", other, problems);
                None
            }
        }
    }

    pub(super) fn named(&mut self, key: &'static str, problems: &mut Problems) -> Option<Named> {
        let value = self.string(key, problems)?;
        Some(Named {
            path: self.at(key),
            value,
        })
    }

    pub(super) fn integer(&mut self, key: &'static str, problems: &mut Problems) -> Option<i64> {
        let path = self.at(key);
        integer_value(self.located(key, problems)?, &path, problems)
    }

    pub(super) fn number(&mut self, key: &'static str, problems: &mut Problems) -> Option<f64> {
        let value = self.located(key, problems)?;
        let path = self.at(key);
        number_value(value, &path, problems)
    }

    pub(super) fn duration(
        &mut self,
        key: &'static str,
        problems: &mut Problems,
    ) -> Option<SimDuration> {
        let value = self.located(key, problems)?;
        let path = self.at(key);
        duration_value(value, &path, problems)
    }

    pub(super) fn rate(&mut self, key: &'static str, problems: &mut Problems) -> Option<f64> {
        match self.located(key, problems)? {
            Value::String(text) => match parse_rate(text) {
                Ok(rate) => Some(rate),
                Err(e) => {
                    problems.add(self.at(key), e.0);
                    None
                }
            },
            other => {
                self.wrong_type(key, "a rate with a unit, like \"200/s\"", other, problems);
                None
            }
        }
    }

    pub(super) fn text(&mut self, key: &'static str, problems: &mut Problems) -> Option<RawText> {
        let value = self.located(key, problems)?;
        let path = self.at(key);
        text_value(value, &path, problems)
    }

    pub(super) fn dist(&mut self, key: &'static str, problems: &mut Problems) -> Option<RawDistAt> {
        let value = self.located(key, problems)?;
        let path = self.at(key);
        dist_value(value, &path, problems).map(|dist| RawDistAt { path, dist })
    }

    pub(super) fn array(
        &mut self,
        key: &'static str,
        problems: &mut Problems,
    ) -> Option<&'a [Spanned<Value<'a>>]> {
        match self.located(key, problems)? {
            Value::Array(items) => Some(items),
            other => {
                self.wrong_type(key, "a list", other, problems);
                None
            }
        }
    }

    pub(super) fn table(
        &mut self,
        key: &'static str,
        problems: &mut Problems,
    ) -> Option<Fields<'a>> {
        match self.located(key, problems)? {
            Value::Table(table) => Some(Fields::new(table, self.at(key))),
            other => {
                self.wrong_type(key, "a table", other, problems);
                None
            }
        }
    }

    /// A list of tables (`[[services]]` or `services = [{..}, {..}]`), each with its indexed path.
    pub(super) fn tables(&mut self, key: &'static str, problems: &mut Problems) -> Vec<Fields<'a>> {
        let Some(items) = self.array(key, problems) else {
            return Vec::new();
        };
        let base = self.at(key);
        items
            .iter()
            .enumerate()
            .filter_map(|(index, item)| {
                let path = format!("{base}[{index}]");
                problems.locate(path.clone(), item.span().start);
                match item.get_ref() {
                    Value::Table(table) => Some(Fields::new(table, path)),
                    other => {
                        problems.add(
                            path,
                            format!("expected a table, found {}", type_name(other)),
                        );
                        None
                    }
                }
            })
            .collect()
    }

    /// Each item of a list with its indexed path, its place noted.
    pub(super) fn items(
        &mut self,
        key: &'static str,
        problems: &mut Problems,
    ) -> Vec<(String, &'a Value<'a>)> {
        let Some(items) = self.array(key, problems) else {
            return Vec::new();
        };
        let base = self.at(key);
        items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                let path = format!("{base}[{index}]");
                problems.locate(path.clone(), item.span().start);
                (path, item.get_ref())
            })
            .collect()
    }

    /// A list of names, each with its indexed path.
    pub(super) fn names(&mut self, key: &'static str, problems: &mut Problems) -> Vec<Named> {
        self.items(key, problems)
            .into_iter()
            .filter_map(|(path, item)| match item {
                Value::String(value) => Some(Named {
                    path,
                    value: value.to_string(),
                }),
                other => {
                    problems.add(path, format!("expected a name, found {}", type_name(other)));
                    None
                }
            })
            .collect()
    }

    /// `{ Mumbai = 40, Delhi = 30 }`: names with positive weights.
    pub(super) fn weights(
        &mut self,
        key: &'static str,
        problems: &mut Problems,
    ) -> Vec<(String, f64)> {
        let Some(table) = self.table(key, problems) else {
            return Vec::new();
        };
        let mut weighted = Vec::new();
        for (name, value) in table.table.iter() {
            let path = table.at(name.get_ref());
            problems.locate(path.clone(), value.span().start);
            if let Some(weight) = number_value(value.get_ref(), &path, problems) {
                weighted.push((name.get_ref().to_string(), weight));
            }
        }
        weighted
    }

    /// Reports every key that nobody asked for, where it was written.
    pub(super) fn finish(self, problems: &mut Problems) {
        for key in self.table.keys() {
            let name = key.get_ref();
            if !self.known.contains(&name.as_ref()) {
                let hint = not_found_hint(name, self.known.iter().copied());
                let path = self.at(name);
                problems.locate(path.clone(), key.span().start);
                problems.add(path, format!("unknown field \"{name}\"{hint}"));
            }
        }
    }
}

fn integer_value(value: &Value, path: &str, problems: &mut Problems) -> Option<i64> {
    match value {
        Value::Integer(i) => match integer_of(i) {
            Some(i) => Some(i),
            None => {
                problems.add(path, "is too large for a whole number");
                None
            }
        },
        other => {
            problems.add(
                path,
                format!("expected a whole number, found {}", type_name(other)),
            );
            None
        }
    }
}

fn number_value(value: &Value, path: &str, problems: &mut Problems) -> Option<f64> {
    match value {
        Value::Integer(i) => match integer_of(i) {
            Some(i) => Some(i as f64),
            None => {
                problems.add(path, "is too large for a whole number");
                None
            }
        },
        Value::Float(f) => match float_of(f) {
            Some(f) if f.is_finite() => Some(f),
            _ => {
                problems.add(path, "must be a finite number");
                None
            }
        },
        other => {
            problems.add(
                path,
                format!("expected a number, found {}", type_name(other)),
            );
            None
        }
    }
}

fn duration_value(value: &Value, path: &str, problems: &mut Problems) -> Option<SimDuration> {
    match value {
        Value::String(text) => match parse_duration(text) {
            Ok(duration) => Some(duration),
            Err(e) => {
                problems.add(path, e.0);
                None
            }
        },
        Value::Integer(i) if integer_of(i) == Some(0) => Some(SimDuration::ZERO),
        other => {
            problems.add(
                path,
                format!(
                    "expected a duration with a unit, like \"250ms\", found {}",
                    type_name(other)
                ),
            );
            None
        }
    }
}

fn text_value(value: &Value, path: &str, problems: &mut Problems) -> Option<RawText> {
    match value {
        Value::String(en) => Some(RawText {
            en: en.to_string(),
            hi: None,
        }),
        Value::Table(table) => {
            let mut fields = Fields::new(table, path.to_string());
            let en = fields.string("en", problems);
            let hi = fields.string("hi", problems);
            fields.finish(problems);
            match en {
                Some(en) => Some(RawText { en, hi }),
                None => {
                    problems.add(join(path, "en"), "missing; the English text is required");
                    None
                }
            }
        }
        other => {
            problems.add(
                path,
                format!(
                    "expected text or {{ en = \"…\", hi = \"…\" }}, found {}",
                    type_name(other)
                ),
            );
            None
        }
    }
}

const DIST_KINDS: [&str; 5] = ["constant", "uniform", "exponential", "lognormal", "mixture"];

/// `"10ms"` (constant) or a table with exactly one of the distribution keys.
fn dist_value(value: &Value, path: &str, problems: &mut Problems) -> Option<RawDist> {
    match value {
        Value::String(_) => duration_value(value, path, problems).map(RawDist::Constant),
        Value::Table(table) => {
            let mut fields = Fields::new(table, path.to_string());
            let dist = dist_fields(&mut fields, problems);
            fields.finish(problems);
            dist
        }
        other => {
            problems.add(
                path,
                format!(
                    "expected a duration like \"10ms\" or a distribution like {{ exponential = \"10ms\" }}, found {}",
                    type_name(other)
                ),
            );
            None
        }
    }
}

fn dist_fields(fields: &mut Fields<'_>, problems: &mut Problems) -> Option<RawDist> {
    let present: Vec<&str> = DIST_KINDS
        .iter()
        .copied()
        .filter(|kind| fields.contains_key(kind))
        .collect();
    if present.len() != 1 {
        let message = if present.is_empty() {
            format!("a distribution needs one of: {}", DIST_KINDS.join(", "))
        } else {
            format!(
                "a distribution takes exactly one of {}, found {}",
                DIST_KINDS.join(", "),
                present.join(" and ")
            )
        };
        problems.add(fields.path.clone(), message);
        // Mark them known so they are not also reported as unknown fields.
        for kind in DIST_KINDS {
            fields.value(kind);
        }
        return None;
    }
    match present[0] {
        "constant" => fields.duration("constant", problems).map(RawDist::Constant),
        "exponential" => fields
            .duration("exponential", problems)
            .map(RawDist::Exponential),
        "uniform" => {
            let path = fields.at("uniform");
            let items = fields.array("uniform", problems)?;
            if items.len() != 2 {
                problems.add(path, "expected two durations: [low, high]");
                return None;
            }
            let low = duration_value(items[0].get_ref(), &format!("{path}[0]"), problems);
            let high = duration_value(items[1].get_ref(), &format!("{path}[1]"), problems);
            Some(RawDist::Uniform(low?, high?))
        }
        "lognormal" => {
            let mut inner = fields.table("lognormal", problems)?;
            let median = inner.duration("median", problems);
            let p99 = inner.duration("p99", problems);
            let path = inner.path.clone();
            inner.finish(problems);
            match (median, p99) {
                (Some(median), Some(p99)) => Some(RawDist::LogNormal { median, p99 }),
                (median, p99) => {
                    if median.is_none() {
                        problems.add(
                            join(&path, "median"),
                            "missing; give the median, like \"20ms\"",
                        );
                    }
                    if p99.is_none() {
                        problems.add(
                            join(&path, "p99"),
                            "missing; give the 99th percentile, like \"200ms\"",
                        );
                    }
                    None
                }
            }
        }
        _ => {
            let path = fields.at("mixture");
            let items = fields.array("mixture", problems)?;
            let mut components = Vec::new();
            let mut complete = true;
            for (index, item) in items.iter().enumerate() {
                let item_path = format!("{path}[{index}]");
                problems.locate(item_path.clone(), item.span().start);
                let Value::Table(table) = item.get_ref() else {
                    problems.add(
                        item_path,
                        format!("expected a table like {{ weight = 0.9, exponential = \"10ms\" }}, found {}", type_name(item.get_ref())),
                    );
                    complete = false;
                    continue;
                };
                let mut component = Fields::new(table, item_path);
                let weight = component.number("weight", problems);
                let dist = dist_fields(&mut component, problems);
                match weight {
                    None if table.get("weight").is_none() => problems.add(
                        component.at("weight"),
                        "missing; every mixture component needs a weight",
                    ),
                    Some(w) if w <= 0.0 => problems.add(
                        component.at("weight"),
                        format!("must be above zero, got {w}"),
                    ),
                    _ => {}
                }
                component.finish(problems);
                match (weight, dist) {
                    (Some(weight), Some(dist)) => components.push((weight, dist)),
                    _ => complete = false,
                }
            }
            complete.then_some(RawDist::Mixture(components))
        }
    }
}

/// Parses the TOML text with the `toml` crate. A syntax error is one problem, placed where the
/// parser found it.
pub fn parse_toml(text: &str) -> Result<Spanned<Table<'_>>, Problems> {
    DeTable::parse(text).map_err(|error| {
        let mut problems = Problems::default();
        problems.add_at(
            String::new(),
            format!("TOML syntax error: {}", error.message().trim_end()),
            error.span().map_or(0, |span| span.start),
        );
        problems
    })
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
    for fields in top.tables("services", problems) {
        raw.services.push(read_service(fields, problems));
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
    for fields in top.tables("policies", problems) {
        raw.policies
            .push(super::policies::read_policy(fields, problems));
    }
    for fields in top.tables("sagas", problems) {
        raw.sagas.push(read_saga(fields, problems));
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
    top.finish(problems);
    raw
}

fn read_saga(mut fields: Fields<'_>, problems: &mut Problems) -> RawSaga {
    let mut saga = RawSaga {
        path: fields.path.clone(),
        name: fields.string("name", problems),
        label: fields.text("label", problems),
        start: fields.named("start", problems),
        mode: fields.named("mode", problems),
        ..RawSaga::default()
    };
    if let Some(mut retry) = fields.table("compensation_retry", problems) {
        saga.retry_initial = retry.duration("initial", problems);
        saga.retry_multiplier = retry.number("multiplier", problems);
        saga.retry_max = retry.duration("max", problems);
        retry.finish(problems);
    }
    for mut step in fields.tables("steps", problems) {
        saga.steps.push(RawSagaStep {
            path: step.path.clone(),
            name: step.string("name", problems),
            action: step.named("action", problems),
            compensation: step.named("compensation", problems),
            pivot: step.boolean("pivot", problems),
            timeout: step.duration("timeout", problems),
        });
        step.finish(problems);
    }
    fields.finish(problems);
    saga
}

fn read_service(mut fields: Fields<'_>, problems: &mut Problems) -> RawService {
    let mut service = RawService {
        path: fields.path.clone(),
        name: fields.string("name", problems),
        label: fields.text("label", problems),
        station: fields.named("station", problems),
        instances: fields.integer("instances", problems),
        workers: fields.integer("workers", problems),
        queue: fields.integer("queue", problems),
        balancer: fields.named("balancer", problems),
        rate_limit: None,
        endpoints: Vec::new(),
    };
    service.rate_limit = fields
        .table("rate_limit", problems)
        .and_then(|table| super::policies::read_server_limiter(table, problems));
    for mut ep in fields.tables("endpoints", problems) {
        let mut endpoint = RawEndpoint {
            path: ep.path.clone(),
            name: ep.string("name", problems),
            service_time: ep.dist("service_time", problems),
            error_rate: ep.number("error_rate", problems),
            calls: Vec::new(),
            variants: Vec::new(),
            observes_saga: ep.named("observes_saga", problems),
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
        ep.finish(problems);
        service.endpoints.push(endpoint);
    }
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
