//! A small TOML reader for scenario files: the whole of TOML a scenario can use — comments,
//! bare, quoted and dotted keys, `[tables]` and `[[arrays of tables]]`, basic, literal and
//! multi-line strings with every escape, integers (decimal, hex, octal, binary, underscores),
//! floats (exponents, `inf`, `nan`), booleans, arrays and inline tables (across lines, with a
//! trailing comma, as TOML 1.1 allows). Dates and times are refused with a clear message: no
//! scenario field takes one.
//!
//! Why not the `toml` crate: it brings serde's deserialisation machinery into the browser
//! bundle, about a tenth of it. This reader builds the tree directly. Tables keep their keys
//! sorted, as the `toml` crate's default map does, so every consumer sees keys in the same order
//! (`tests/toml.rs` compares both readers on every built-in scenario).

use std::fmt;

/// A TOML value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    String(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    Array(Vec<Value>),
    Table(Table),
}

/// A TOML table: keys in sorted order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    entries: Vec<(String, Value)>,
}

impl Table {
    pub fn new() -> Table {
        Table::default()
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.position(key).ok().map(|i| &self.entries[i].1)
    }

    fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.position(key).ok().map(|i| &mut self.entries[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_ok()
    }

    /// Inserts `value` under `key`; returns false (changing nothing) if the key exists.
    pub fn insert(&mut self, key: String, value: Value) -> bool {
        match self.position(&key) {
            Ok(_) => false,
            Err(at) => {
                self.entries.insert(at, (key, value));
                true
            }
        }
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<'a> IntoIterator for &'a Table {
    type Item = (&'a String, &'a Value);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, Value)>,
        fn(&'a (String, Value)) -> (&'a String, &'a Value),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

/// A syntax error: where (a byte offset into the text) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.message)
    }
}

/// Reads a TOML document.
pub fn parse(text: &str) -> Result<Table, SyntaxError> {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        at: 0,
        root: Table::new(),
        current: Vec::new(),
        defined: Vec::new(),
    };
    parser.document()?;
    Ok(parser.root)
}

/// What a header's key already names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Existing {
    Nothing,
    Table,
    /// An array whose items are all tables.
    Tables,
    Other,
}

/// One step from a table to a child: a key, and for arrays of tables which element.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Key(String),
    /// The last element of the array of tables under this key.
    LastOf(String),
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    root: Table,
    /// The table that key/value lines go into (from a `[header]`).
    current: Vec<Step>,
    /// Tables defined by a header or by dotted keys, so a second definition is refused. Each is
    /// written with the array element it belongs to (`services#2.rate_limit`).
    defined: Vec<String>,
}

type Outcome<T> = Result<T, SyntaxError>;

impl Parser<'_> {
    fn error<T>(&self, message: impl Into<String>) -> Outcome<T> {
        Err(SyntaxError {
            offset: self.at.min(self.bytes.len()),
            message: message.into(),
        })
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.at + ahead).copied()
    }

    fn starts_with(&self, s: &str) -> bool {
        self.bytes[self.at..].starts_with(s.as_bytes())
    }

    /// Spaces and tabs.
    fn blank(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }

    fn comment(&mut self) -> Outcome<()> {
        if self.peek() == Some(b'#') {
            while let Some(c) = self.peek() {
                if c == b'\n' {
                    break;
                }
                if c == b'\r' && self.peek_at(1) == Some(b'\n') {
                    break;
                }
                if (c < 0x20 && c != b'\t') || c == 0x7f {
                    return self.error("control characters are not allowed in comments");
                }
                self.at += 1;
            }
        }
        Ok(())
    }

    /// The end of a line: optional blanks and comment, then a newline or the end.
    fn end_of_line(&mut self) -> Outcome<()> {
        self.blank();
        self.comment()?;
        match self.peek() {
            None => Ok(()),
            Some(b'\n') => {
                self.at += 1;
                Ok(())
            }
            Some(b'\r') if self.peek_at(1) == Some(b'\n') => {
                self.at += 2;
                Ok(())
            }
            Some(_) => self.error("expected the end of the line"),
        }
    }

    /// Blanks, comments and newlines (inside arrays and inline tables).
    fn whitespace_and_comments(&mut self) -> Outcome<()> {
        loop {
            self.blank();
            self.comment()?;
            match self.peek() {
                Some(b'\n') => self.at += 1,
                Some(b'\r') if self.peek_at(1) == Some(b'\n') => self.at += 2,
                _ => return Ok(()),
            }
        }
    }

    fn document(&mut self) -> Outcome<()> {
        if self.starts_with("\u{feff}") {
            self.at += 3;
        }
        loop {
            self.blank();
            match self.peek() {
                None => return Ok(()),
                Some(b'#' | b'\n' | b'\r') => self.end_of_line()?,
                Some(b'[') => {
                    self.header()?;
                    self.end_of_line()?;
                }
                Some(_) => {
                    self.key_value_line()?;
                    self.end_of_line()?;
                }
            }
        }
    }

    /// A key: bare or quoted segments separated by dots.
    fn key(&mut self) -> Outcome<Vec<String>> {
        let mut segments = Vec::new();
        loop {
            self.blank();
            let segment = match self.peek() {
                Some(b'"') => {
                    if self.starts_with("\"\"\"") {
                        return self.error("a key cannot be a multi-line string");
                    }
                    self.basic_string()?
                }
                Some(b'\'') => {
                    if self.starts_with("'''") {
                        return self.error("a key cannot be a multi-line string");
                    }
                    self.literal_string()?
                }
                Some(c) if is_bare(c) => {
                    let start = self.at;
                    while self.peek().is_some_and(is_bare) {
                        self.at += 1;
                    }
                    self.text[start..self.at].to_string()
                }
                _ => return self.error("expected a key"),
            };
            segments.push(segment);
            self.blank();
            if self.peek() == Some(b'.') {
                self.at += 1;
            } else {
                return Ok(segments);
            }
        }
    }

    fn header(&mut self) -> Outcome<()> {
        let array = self.starts_with("[[");
        self.at += if array { 2 } else { 1 };
        let key = self.key()?;
        self.blank();
        let close = if array { "]]" } else { "]" };
        if !self.starts_with(close) {
            return self.error(format!("expected `{close}` to close the table header"));
        }
        let header_at = self.at;
        self.at += close.len();
        let (parents, last) = key.split_at(key.len() - 1);
        let last = last[0].clone();
        let mut path = Vec::new();
        for segment in parents {
            let step = self.descend_for_header(&path, segment, header_at)?;
            path.push(step);
        }
        let (existing, prefix) = {
            let (table, prefix) = self.resolve(&path, header_at)?;
            let existing = match table.get(&last) {
                None => Existing::Nothing,
                Some(Value::Table(_)) => Existing::Table,
                Some(Value::Array(items)) if items.iter().all(|v| matches!(v, Value::Table(_))) => {
                    Existing::Tables
                }
                Some(_) => Existing::Other,
            };
            (existing, prefix)
        };
        let name = format!("{prefix}{last}");
        self.at = header_at;
        match (array, existing) {
            (true, Existing::Tables) if self.defined.contains(&format!("{name}=")) => {
                return self.error(format!(
                    "`{name}` was given as a list; it cannot grow with `[[{name}]]`"
                ));
            }
            (true, Existing::Nothing | Existing::Tables) => {}
            (true, _) => {
                return self.error(format!(
                    "`{name}` is already a value, not an array of tables"
                ));
            }
            (false, Existing::Table) if self.defined.contains(&name) => {
                return self.error(format!("table `[{name}]` is defined twice"));
            }
            (false, Existing::Nothing | Existing::Table) => {}
            (false, _) => return self.error(format!("`{name}` is already a value, not a table")),
        }
        self.at = header_at + close.len();
        let (table, _) = self.resolve(&path, header_at)?;
        if array {
            match table.get_mut(&last) {
                Some(Value::Array(items)) => items.push(Value::Table(Table::new())),
                _ => {
                    table.insert(last.clone(), Value::Array(vec![Value::Table(Table::new())]));
                }
            }
            path.push(Step::LastOf(last));
        } else {
            if !table.contains_key(&last) {
                table.insert(last.clone(), Value::Table(Table::new()));
            }
            self.defined.push(name);
            path.push(Step::Key(last));
        }
        self.current = path;
        Ok(())
    }

    /// A header's parent segment: an existing table, the last table of an array of tables, or
    /// a new (implicit) table.
    fn descend_for_header(&mut self, path: &[Step], segment: &str, at: usize) -> Outcome<Step> {
        let (table, name) = self.resolve(path, at)?;
        match table.get(segment) {
            None => {
                table.insert(segment.to_string(), Value::Table(Table::new()));
                Ok(Step::Key(segment.to_string()))
            }
            Some(Value::Table(_)) => Ok(Step::Key(segment.to_string())),
            Some(Value::Array(items))
                if items.last().is_some_and(|v| matches!(v, Value::Table(_))) =>
            {
                Ok(Step::LastOf(segment.to_string()))
            }
            Some(_) => {
                self.at = at;
                self.error(format!("`{name}{segment}` is already a value, not a table"))
            }
        }
    }

    /// The table at `path` from the root, and its name with a trailing dot (for messages and
    /// the record of definitions).
    fn resolve(&mut self, path: &[Step], at: usize) -> Outcome<(&mut Table, String)> {
        let mut name = String::new();
        let mut table = &mut self.root;
        for step in path {
            let (key, last) = match step {
                Step::Key(key) => (key, false),
                Step::LastOf(key) => (key, true),
            };
            let next = match table.get_mut(key) {
                Some(Value::Table(inner)) if !last => inner,
                Some(Value::Array(items)) if last => {
                    let index = items.len() - 1;
                    let _ = write_name(&mut name, key, Some(index));
                    match items.last_mut() {
                        Some(Value::Table(inner)) => {
                            table = inner;
                            continue;
                        }
                        _ => {
                            return Err(SyntaxError {
                                offset: at,
                                message: format!("`{key}` is not an array of tables"),
                            });
                        }
                    }
                }
                _ => {
                    return Err(SyntaxError {
                        offset: at,
                        message: format!("`{name}{key}` is not a table"),
                    });
                }
            };
            let _ = write_name(&mut name, key, None);
            table = next;
        }
        Ok((table, name))
    }

    fn key_value_line(&mut self) -> Outcome<()> {
        let key_at = self.at;
        let key = self.key()?;
        self.blank();
        if self.peek() != Some(b'=') {
            return self.error("expected `=` after the key");
        }
        self.at += 1;
        self.blank();
        let value = self.value()?;
        let current = self.current.clone();
        let (table, prefix) = self.resolve(&current, key_at)?;
        let is_array = matches!(value, Value::Array(_));
        let defined = insert_dotted(table, &key, value).map_err(|message| SyntaxError {
            offset: key_at,
            message: format!("{prefix}{message}"),
        })?;
        if is_array {
            // A list given as a value may not be extended by `[[…]]` headers later.
            self.defined.push(format!("{prefix}{}=", key.join(".")));
        }
        // Tables made by dotted keys count as defined: `[a.b]` after `a.b.c = 1` is an error.
        for name in defined {
            self.defined.push(format!("{prefix}{name}"));
        }
        Ok(())
    }

    fn value(&mut self) -> Outcome<Value> {
        match self.peek() {
            Some(b'"') => {
                if self.starts_with("\"\"\"") {
                    self.multiline_basic().map(Value::String)
                } else {
                    self.basic_string().map(Value::String)
                }
            }
            Some(b'\'') => {
                if self.starts_with("'''") {
                    self.multiline_literal().map(Value::String)
                } else {
                    self.literal_string().map(Value::String)
                }
            }
            Some(b'[') => self.array(),
            Some(b'{') => self.inline_table(),
            Some(b't') if self.starts_with("true") && !self.peek_at(4).is_some_and(is_bare) => {
                self.at += 4;
                Ok(Value::Boolean(true))
            }
            Some(b'f') if self.starts_with("false") && !self.peek_at(5).is_some_and(is_bare) => {
                self.at += 5;
                Ok(Value::Boolean(false))
            }
            Some(c) if c == b'+' || c == b'-' || c.is_ascii_digit() || c == b'i' || c == b'n' => {
                self.number()
            }
            None => self.error("expected a value after `=`"),
            Some(_) => self.error(
                "expected a value: text in quotes, a number, true or false, [a list] or { a table }",
            ),
        }
    }

    fn number(&mut self) -> Outcome<Value> {
        let start = self.at;
        while self.peek().is_some_and(|c| {
            c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.' | b'_' | b':')
        }) {
            self.at += 1;
        }
        let token = &self.text[start..self.at];
        let fail = |parser: &mut Self, what: &str| {
            parser.at = start;
            parser.error(format!("`{token}` is not {what}"))
        };
        if token.contains(':') || (token.len() >= 8 && token.as_bytes().get(4) == Some(&b'-')) {
            return fail(
                self,
                "a value a scenario takes (dates and times are not used)",
            );
        }
        let (sign, body) = match token.as_bytes().first() {
            Some(b'+') => (1i64, &token[1..]),
            Some(b'-') => (-1, &token[1..]),
            _ => (1, token),
        };
        match body {
            "inf" => return Ok(Value::Float(f64::INFINITY * sign as f64)),
            "nan" => return Ok(Value::Float(f64::NAN)),
            _ => {}
        }
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
            if let Some(digits) = body.strip_prefix(prefix) {
                if sign != 1 || token.starts_with('+') {
                    return fail(self, "a number (a sign is not allowed before 0x, 0o or 0b)");
                }
                if !underscores_ok(digits) {
                    return fail(self, "a number (underscores go between digits)");
                }
                return match i64::from_str_radix(&digits.replace('_', ""), radix) {
                    Ok(n) => Ok(Value::Integer(n)),
                    Err(_) => fail(self, "a number that fits in 64 bits"),
                };
            }
        }
        if body.is_empty() {
            return fail(self, "a number");
        }
        if !underscores_ok(body) {
            return fail(self, "a number (underscores go between digits)");
        }
        let plain = body.replace('_', "");
        let is_float = plain.contains(['.', 'e', 'E']);
        let digits_end = plain
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(plain.len());
        if digits_end > 1 && plain.starts_with('0') {
            return fail(self, "a number (leading zeros are not allowed)");
        }
        if is_float {
            // TOML wants digits on both sides of the point.
            let ok = plain.split(['e', 'E']).next().is_some_and(|mantissa| {
                mantissa
                    .split_once('.')
                    .is_none_or(|(a, b)| !a.is_empty() && !b.is_empty())
            });
            return match plain.parse::<f64>() {
                Ok(x) if ok => Ok(Value::Float(x * sign as f64)),
                _ => fail(self, "a number"),
            };
        }
        if !plain.bytes().all(|c| c.is_ascii_digit()) {
            return fail(self, "a number");
        }
        let text = if sign < 0 { format!("-{plain}") } else { plain };
        match text.parse::<i64>() {
            Ok(n) => Ok(Value::Integer(n)),
            Err(_) => fail(self, "a number that fits in 64 bits"),
        }
    }

    fn array(&mut self) -> Outcome<Value> {
        self.at += 1;
        let mut items = Vec::new();
        loop {
            self.whitespace_and_comments()?;
            if self.peek() == Some(b']') {
                self.at += 1;
                return Ok(Value::Array(items));
            }
            items.push(self.value()?);
            self.whitespace_and_comments()?;
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {}
                _ => return self.error("expected `,` or `]` in the list"),
            }
        }
    }

    fn inline_table(&mut self) -> Outcome<Value> {
        self.at += 1;
        let mut table = Table::new();
        loop {
            self.whitespace_and_comments()?;
            if self.peek() == Some(b'}') {
                self.at += 1;
                return Ok(Value::Table(table));
            }
            let key_at = self.at;
            let key = self.key()?;
            self.blank();
            if self.peek() != Some(b'=') {
                return self.error("expected `=` after the key");
            }
            self.at += 1;
            self.whitespace_and_comments()?;
            let value = self.value()?;
            insert_dotted(&mut table, &key, value).map_err(|message| SyntaxError {
                offset: key_at,
                message,
            })?;
            self.whitespace_and_comments()?;
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {}
                _ => return self.error("expected `,` or `}` in the inline table"),
            }
        }
    }

    fn basic_string(&mut self) -> Outcome<String> {
        self.at += 1;
        let mut out = String::new();
        loop {
            let start = self.at;
            while let Some(c) = self.peek() {
                if c == b'"' || c == b'\\' || c == b'\n' || (c < 0x20 && c != b'\t') || c == 0x7f {
                    break;
                }
                self.at += 1;
            }
            out.push_str(&self.text[start..self.at]);
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => self.escape(&mut out)?,
                None | Some(b'\n') | Some(b'\r') => {
                    return self.error("this text has no closing quote on its line");
                }
                Some(_) => return self.error("control characters must be escaped in text"),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Outcome<()> {
        let escape_at = self.at;
        self.at += 1;
        let Some(c) = self.peek() else {
            return self.error("the text ends inside an escape");
        };
        self.at += 1;
        let simple = match c {
            b'b' => Some('\u{8}'),
            b't' => Some('\t'),
            b'n' => Some('\n'),
            b'f' => Some('\u{c}'),
            b'r' => Some('\r'),
            b'e' => Some('\u{1b}'),
            b'"' => Some('"'),
            b'\\' => Some('\\'),
            _ => None,
        };
        if let Some(ch) = simple {
            out.push(ch);
            return Ok(());
        }
        let digits = match c {
            b'x' => 2,
            b'u' => 4,
            b'U' => 8,
            _ => {
                self.at = escape_at;
                return self.error(format!("unknown escape `\\{}`", c as char));
            }
        };
        let hex = self.text.get(self.at..self.at + digits).unwrap_or("");
        let code = (hex.len() == digits && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| u32::from_str_radix(hex, 16).ok())
            .flatten()
            .and_then(char::from_u32);
        match code {
            Some(ch) => {
                self.at += digits;
                out.push(ch);
                Ok(())
            }
            None => {
                self.at = escape_at;
                self.error("not a valid unicode escape")
            }
        }
    }

    fn literal_string(&mut self) -> Outcome<String> {
        self.at += 1;
        let start = self.at;
        while let Some(c) = self.peek() {
            match c {
                b'\'' => {
                    let text = self.text[start..self.at].to_string();
                    self.at += 1;
                    return Ok(text);
                }
                b'\n' | b'\r' => break,
                c if (c < 0x20 && c != b'\t') || c == 0x7f => {
                    return self.error("control characters are not allowed in text");
                }
                _ => self.at += 1,
            }
        }
        self.error("this text has no closing quote on its line")
    }

    /// Skips the newline right after an opening `"""` or `'''`.
    fn skip_first_newline(&mut self) {
        if self.peek() == Some(b'\n') {
            self.at += 1;
        } else if self.starts_with("\r\n") {
            self.at += 2;
        }
    }

    fn multiline_basic(&mut self) -> Outcome<String> {
        self.at += 3;
        self.skip_first_newline();
        let mut out = String::new();
        loop {
            let start = self.at;
            while let Some(c) = self.peek() {
                if c == b'"'
                    || c == b'\\'
                    || (c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r'))
                    || c == 0x7f
                {
                    break;
                }
                self.at += 1;
            }
            out.push_str(&self.text[start..self.at]);
            match self.peek() {
                Some(b'"') => {
                    if self.starts_with("\"\"\"") {
                        // Up to two more quotes may end the text: `""""` is `"` then the close.
                        let mut run = 3;
                        while run < 5 && self.peek_at(run) == Some(b'"') {
                            run += 1;
                        }
                        for _ in 3..run {
                            out.push('"');
                        }
                        self.at += run;
                        return Ok(out);
                    }
                    out.push('"');
                    self.at += 1;
                }
                Some(b'\\') => {
                    // A backslash at the end of a line trims the newline and leading space.
                    let mut probe = self.at + 1;
                    while matches!(self.bytes.get(probe), Some(b' ' | b'\t')) {
                        probe += 1;
                    }
                    if matches!(self.bytes.get(probe), Some(b'\n' | b'\r')) {
                        self.at = probe;
                        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                            self.at += 1;
                        }
                    } else {
                        self.escape(&mut out)?;
                    }
                }
                None => return self.error("this text has no closing `\"\"\"`"),
                Some(_) => return self.error("control characters must be escaped in text"),
            }
        }
    }

    fn multiline_literal(&mut self) -> Outcome<String> {
        self.at += 3;
        self.skip_first_newline();
        let start = self.at;
        loop {
            match self.peek() {
                None => return self.error("this text has no closing `'''`"),
                Some(b'\'') if self.starts_with("'''") => {
                    let mut run = 3;
                    while run < 5 && self.peek_at(run) == Some(b'\'') {
                        run += 1;
                    }
                    let end = self.at + run - 3;
                    let text = self.text[start..end].to_string();
                    self.at += run;
                    return Ok(text);
                }
                Some(c) if c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r') => {
                    return self.error("control characters are not allowed in text");
                }
                Some(_) => self.at += 1,
            }
        }
    }
}

fn is_bare(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// Underscores only between digits.
fn underscores_ok(digits: &str) -> bool {
    let bytes = digits.as_bytes();
    bytes.iter().enumerate().all(|(i, &b)| {
        b != b'_'
            || (i > 0
                && i + 1 < bytes.len()
                && bytes[i - 1].is_ascii_hexdigit()
                && bytes[i + 1].is_ascii_hexdigit())
    })
}

fn write_name(name: &mut String, key: &str, index: Option<usize>) -> fmt::Result {
    use fmt::Write as _;
    match index {
        Some(index) => write!(name, "{key}#{index}."),
        None => write!(name, "{key}."),
    }
}

/// Puts `value` at the dotted `key` inside `table`, making the tables on the way. Returns the
/// names of the tables it made (relative to `table`). A key that exists is an error.
fn insert_dotted(table: &mut Table, key: &[String], value: Value) -> Result<Vec<String>, String> {
    let mut made = Vec::new();
    let mut name = String::new();
    let mut here = table;
    for segment in &key[..key.len() - 1] {
        name.push_str(segment);
        if !here.contains_key(segment) {
            here.insert(segment.clone(), Value::Table(Table::new()));
            made.push(name.clone());
        }
        here = match here.get_mut(segment) {
            Some(Value::Table(inner)) => inner,
            _ => return Err(format!("`{name}` is already a value, not a table")),
        };
        name.push('.');
    }
    let last = &key[key.len() - 1];
    if here.insert(last.clone(), value) {
        Ok(made)
    } else {
        Err(format!("`{name}{last}` is given twice"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(table: &'a Table, path: &[&str]) -> &'a Value {
        let mut value = table.get(path[0]).unwrap_or_else(|| panic!("{path:?}"));
        for key in &path[1..] {
            value = match value {
                Value::Table(t) => t.get(key).unwrap_or_else(|| panic!("{path:?}")),
                _ => panic!("{path:?}"),
            };
        }
        value
    }

    #[test]
    fn reads_what_scenarios_write() {
        let doc = parse(
            r#"
# a comment
id = "shop" # trailing comment
"quoted key" = 'literal \n stays'
a.b.c = 1_000
hex = 0xff
neg = -3
float = 6.5e-1
big = +inf
yes = true
list = [ 1, 2,
  3, # comment in a list
]
inline = { x = 1, y.z = "w", }
multi = """
line one\
   continued "quoted" \u00e9"""
raw = '''
no \escapes'''

[[services]]
name = "a"
[services.rate_limit]
kind = "token_bucket"
[[services.endpoints]]
name = "e1"
[[services]]
name = "b"
"#,
        )
        .expect("parses");
        assert_eq!(get(&doc, &["id"]), &Value::String("shop".into()));
        assert_eq!(
            get(&doc, &["quoted key"]),
            &Value::String("literal \\n stays".into())
        );
        assert_eq!(get(&doc, &["a", "b", "c"]), &Value::Integer(1000));
        assert_eq!(get(&doc, &["hex"]), &Value::Integer(255));
        assert_eq!(get(&doc, &["neg"]), &Value::Integer(-3));
        assert_eq!(get(&doc, &["float"]), &Value::Float(0.65));
        assert_eq!(get(&doc, &["big"]), &Value::Float(f64::INFINITY));
        assert_eq!(get(&doc, &["yes"]), &Value::Boolean(true));
        assert_eq!(
            get(&doc, &["list"]),
            &Value::Array(vec![
                Value::Integer(1),
                Value::Integer(2),
                Value::Integer(3)
            ])
        );
        assert_eq!(get(&doc, &["inline", "y", "z"]), &Value::String("w".into()));
        assert_eq!(
            get(&doc, &["multi"]),
            &Value::String("line onecontinued \"quoted\" é".into())
        );
        assert_eq!(get(&doc, &["raw"]), &Value::String("no \\escapes".into()));
        let Value::Array(services) = get(&doc, &["services"]) else {
            panic!()
        };
        assert_eq!(services.len(), 2);
        let Value::Table(first) = &services[0] else {
            panic!()
        };
        assert_eq!(
            get(first, &["rate_limit", "kind"]),
            &Value::String("token_bucket".into())
        );
        assert_eq!(get(first, &["name"]), &Value::String("a".into()));
        assert!(matches!(get(first, &["endpoints"]), Value::Array(e) if e.len() == 1));
        // Keys come out sorted, as the toml crate's map gives them.
        let keys: Vec<&String> = doc.keys().collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }

    #[test]
    fn refuses_what_toml_refuses_and_says_where() {
        for (text, needle) in [
            ("a = 1\na = 2\n", "given twice"),
            ("[t]\n[t]\n", "defined twice"),
            ("a = \"open\n", "closing quote"),
            ("a = \n", "expected a value"),
            ("a = 1 2\n", "end of the line"),
            ("[t\n", "close the table header"),
            ("a = 01\n", "leading zeros"),
            ("a = 1__0\n", "underscores"),
            ("a = 1979-05-27\n", "dates"),
            ("a = \"\\q\"\n", "unknown escape"),
            ("a = [1, 2\n", "in the list"),
            ("a = {x = 1\n", "inline table"),
            ("a = 1\n[a]\n", "not a table"),
            ("a.b = 1\n[a.b]\n", "not a table"),
            ("a = 99999999999999999999\n", "64 bits"),
            ("a = .5\n", "a number"),
            ("= 1\n", "expected a key"),
        ] {
            let error = parse(text).expect_err(text);
            assert!(
                error.message.contains(needle),
                "{text:?}: {:?} lacks {needle:?}",
                error.message
            );
            assert!(error.offset <= text.len());
        }
    }

    #[test]
    fn an_array_of_tables_cannot_be_redefined_as_a_table() {
        assert!(parse("[[a]]\nx = 1\n[a]\n").is_err());
        assert!(parse("a = [1]\n[[a]]\n").is_err());
        assert!(
            parse("[a.b]\n[a]\nc = 1\n").is_ok(),
            "an implicit table may be defined later"
        );
    }
}
