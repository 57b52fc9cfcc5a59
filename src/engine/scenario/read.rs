//! Reading TOML field by field: the kit every section reader uses, the scenario's own and each
//! pattern's. The `toml` crate parses the text into a spanned tree; `Fields` walks one table of
//! it, turning values into the raw types (with units parsed), collecting every problem with its
//! field path, and noting where each value was written so that a problem found later still names
//! its line and column. Keys nobody asked for are reported as unknown fields, with a suggestion.

use super::problems::{Problems, not_found_hint};
use crate::engine::core::time::{SimDuration, parse_duration, parse_rate};
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

/// A TOML value as the `toml` crate's parser hands it over, with its place in the text.
pub type Value<'a> = DeValue<'a>;
/// A TOML table: keys in sorted order, each key and value with its span.
pub type Table<'a> = DeTable<'a>;

pub fn type_name(value: &Value) -> &'static str {
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

pub fn join(path: &str, key: &str) -> String {
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
pub struct Fields<'a> {
    pub table: &'a Table<'a>,
    pub path: String,
    known: Vec<&'static str>,
}

impl<'a> Fields<'a> {
    pub fn new(table: &'a Table<'a>, path: String) -> Fields<'a> {
        Fields {
            table,
            path,
            known: Vec::new(),
        }
    }

    pub fn at(&self, key: &str) -> String {
        join(&self.path, key)
    }

    pub fn value(&mut self, key: &'static str) -> Option<&'a Value<'a>> {
        self.known.push(key);
        self.table.get(key).map(Spanned::get_ref)
    }

    /// Like `value`, noting where the value was written.
    pub fn located(&mut self, key: &'static str, problems: &mut Problems) -> Option<&'a Value<'a>> {
        self.known.push(key);
        let spanned = self.table.get(key)?;
        problems.locate(self.at(key), spanned.span().start);
        Some(spanned.get_ref())
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    fn wrong_type(&self, key: &str, expected: &str, got: &Value, problems: &mut Problems) {
        problems.add(
            self.at(key),
            format!("expected {expected}, found {}", type_name(got)),
        );
    }

    pub fn string(&mut self, key: &'static str, problems: &mut Problems) -> Option<String> {
        match self.located(key, problems)? {
            Value::String(s) => Some(s.to_string()),
            other => {
                self.wrong_type(key, "text", other, problems);
                None
            }
        }
    }

    pub fn boolean(&mut self, key: &'static str, problems: &mut Problems) -> Option<bool> {
        match self.located(key, problems)? {
            Value::Boolean(b) => Some(*b),
            other => {
                self.wrong_type(key, "true or false", other, problems);
                None
            }
        }
    }

    pub fn named(&mut self, key: &'static str, problems: &mut Problems) -> Option<Named> {
        let value = self.string(key, problems)?;
        Some(Named {
            path: self.at(key),
            value,
        })
    }

    pub fn integer(&mut self, key: &'static str, problems: &mut Problems) -> Option<i64> {
        let path = self.at(key);
        integer_value(self.located(key, problems)?, &path, problems)
    }

    pub fn number(&mut self, key: &'static str, problems: &mut Problems) -> Option<f64> {
        let value = self.located(key, problems)?;
        let path = self.at(key);
        number_value(value, &path, problems)
    }

    pub fn duration(&mut self, key: &'static str, problems: &mut Problems) -> Option<SimDuration> {
        let value = self.located(key, problems)?;
        let path = self.at(key);
        duration_value(value, &path, problems)
    }

    pub fn rate(&mut self, key: &'static str, problems: &mut Problems) -> Option<f64> {
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

    pub fn text(&mut self, key: &'static str, problems: &mut Problems) -> Option<RawText> {
        let value = self.located(key, problems)?;
        let path = self.at(key);
        text_value(value, &path, problems)
    }

    pub fn dist(&mut self, key: &'static str, problems: &mut Problems) -> Option<RawDistAt> {
        let value = self.located(key, problems)?;
        let path = self.at(key);
        dist_value(value, &path, problems).map(|dist| RawDistAt { path, dist })
    }

    pub fn array(
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

    pub fn table(&mut self, key: &'static str, problems: &mut Problems) -> Option<Fields<'a>> {
        match self.located(key, problems)? {
            Value::Table(table) => Some(Fields::new(table, self.at(key))),
            other => {
                self.wrong_type(key, "a table", other, problems);
                None
            }
        }
    }

    /// A list of tables (`[[services]]` or `services = [{..}, {..}]`), each with its indexed path.
    pub fn tables(&mut self, key: &'static str, problems: &mut Problems) -> Vec<Fields<'a>> {
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
    pub fn items(
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
    pub fn names(&mut self, key: &'static str, problems: &mut Problems) -> Vec<Named> {
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
    pub fn weights(&mut self, key: &'static str, problems: &mut Problems) -> Vec<(String, f64)> {
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
    pub fn finish(self, problems: &mut Problems) {
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

pub fn integer_value(value: &Value, path: &str, problems: &mut Problems) -> Option<i64> {
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

pub fn number_value(value: &Value, path: &str, problems: &mut Problems) -> Option<f64> {
    match value {
        Value::Integer(_) => integer_value(value, path, problems).map(|i| i as f64),
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

pub fn duration_value(value: &Value, path: &str, problems: &mut Problems) -> Option<SimDuration> {
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
