//! Problems found in a scenario: each with the field path it concerns and a plain explanation.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// A place in the scenario text: 1-based line, and column counted in characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    pub line: u32,
    pub column: u32,
}

impl Location {
    /// The location of byte `offset` in `text`.
    pub fn of(text: &str, offset: usize) -> Location {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |at| at + 1);
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let column = before[line_start..].chars().count() + 1;
        Location {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// One thing wrong with a scenario, e.g.
/// `services[1].workers: must be at least 1, got 0 (line 14, column 11)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Where: `services[1].endpoints[0].calls[2]`. Empty for the file as a whole.
    pub path: String,
    pub message: String,
    /// Where in the text the field (or the nearest table around it) was written, if known.
    pub at: Option<Location>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)?;
        if let Some(at) = self.at {
            write!(f, " ({at})")?;
        }
        Ok(())
    }
}

/// Collects every problem instead of stopping at the first, and where each field was written.
#[derive(Clone, Debug, Default)]
pub struct Problems {
    list: Vec<Problem>,
    /// Field path → byte offset of its value (or its table) in the text, noted while reading.
    places: BTreeMap<String, usize>,
    /// Problems placed by the parser itself (a syntax error): index → byte offset.
    placed: Vec<(usize, usize)>,
}

/// Enough problems to fix at once; beyond this a file is probably not a scenario at all.
const MAX_PROBLEMS: usize = 200;

impl Problems {
    /// Adds a problem. One problem per field: a second one at the same path (say, "missing"
    /// after "not a number") would only repeat the first, so it is dropped.
    pub fn add(&mut self, path: impl Into<String>, message: impl Into<String>) {
        let path = path.into();
        if self.list.len() >= MAX_PROBLEMS
            || (!path.is_empty() && self.list.iter().any(|p| p.path == path))
        {
            return;
        }
        self.list.push(Problem {
            path,
            message: message.into(),
            at: None,
        });
    }

    /// Adds a problem found at byte `offset` of the text (a syntax error has no field path).
    pub fn add_at(&mut self, path: String, message: impl Into<String>, offset: usize) {
        let before = self.list.len();
        self.add(path, message);
        if self.list.len() > before {
            self.placed.push((before, offset));
        }
    }

    /// Notes where the value at `path` was written (the first note for a path wins).
    pub fn locate(&mut self, path: String, offset: usize) {
        self.places.entry(path).or_insert(offset);
    }

    /// The problems with their places in `text`: a problem's own field if it was noted, else
    /// the nearest enclosing field or table that was (`services[0].station` missing points at
    /// the `[[services]]` table it belongs in).
    pub fn into_located(self, text: &str) -> Vec<Problem> {
        let Problems {
            mut list,
            places,
            placed,
        } = self;
        for (index, problem) in list.iter_mut().enumerate() {
            let offset = placed
                .iter()
                .find(|(i, _)| *i == index)
                .map(|(_, offset)| *offset)
                .or_else(|| {
                    let mut path = problem.path.as_str();
                    while !path.is_empty() {
                        if let Some(&offset) = places.get(path) {
                            return Some(offset);
                        }
                        path = &path[..path.rfind(['.', '[']).unwrap_or(0)];
                    }
                    None
                });
            problem.at = offset.map(|offset| Location::of(text, offset));
        }
        list
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn into_vec(self) -> Vec<Problem> {
        self.list
    }
}

/// `"did you mean \"payment\"?"` for the candidate closest to `wrong`, if one is close enough.
pub fn suggestion<'a>(wrong: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let wrong_lower = wrong.to_ascii_lowercase();
    let mut best: Option<(&str, usize)> = None;
    for &candidate in candidates {
        let distance = edit_distance(&wrong_lower, &candidate.to_ascii_lowercase());
        let allowed = (candidate.chars().count().max(wrong.chars().count()) / 3).max(1);
        if distance <= allowed && best.is_none_or(|(_, d)| distance < d) {
            best = Some((candidate, distance));
        }
    }
    best.map(|(candidate, _)| candidate)
}

/// `not found (did you mean "x"?)` or `not found; known: a, b, c` — the tail of a "not found" message.
pub fn not_found_hint<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    // Collected once so the work below is one function, not one copy per kind of iterator.
    hint_among(wrong, &candidates.into_iter().collect::<Vec<_>>())
}

fn hint_among(wrong: &str, candidates: &[&str]) -> String {
    if let Some(close) = suggestion(wrong, candidates) {
        return format!(" (did you mean \"{close}\"?)");
    }
    let known = &candidates[..candidates.len().min(12)];
    if known.is_empty() {
        String::new()
    } else {
        format!("; known: {}", known.join(", "))
    }
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_name() {
        let names = ["payment", "inventory", "gateway"];
        assert_eq!(suggestion("paymnt", &names), Some("payment"));
        assert_eq!(suggestion("Inventroy", &names), Some("inventory"));
        assert_eq!(suggestion("shipping", &names), None);
    }

    #[test]
    fn hint_lists_known_names_when_nothing_is_close() {
        let names = ["a1", "b2"];
        assert_eq!(not_found_hint("zzzz", names), "; known: a1, b2");
        assert_eq!(not_found_hint("a2", names), " (did you mean \"a1\"?)");
    }

    #[test]
    fn distance_is_levenshtein() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
