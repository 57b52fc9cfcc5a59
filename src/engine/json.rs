//! JSON without serde_json: a writer for what the app saves and exports (trace files, the
//! command log, the session) and a reader for what it loads back (the session). serde_json and
//! its derives cost the browser bundle about 16 KB gzipped; these cost a fraction of that.
//! The CLI still reads command logs with serde (`tests/json.rs`: both agree).

use std::fmt::Write as _;

/// A minimal JSON writer: documents are written straight into one string. The browser bundle
/// carries no serde_json, and the output is byte-stable.
pub struct JsonWriter {
    pub out: String,
    /// Per open object or array: whether it still has no member.
    empty: Vec<bool>,
}

impl Default for JsonWriter {
    fn default() -> Self {
        JsonWriter::new()
    }
}

impl JsonWriter {
    pub fn new() -> JsonWriter {
        JsonWriter {
            out: String::with_capacity(64 * 1024),
            empty: Vec::new(),
        }
    }

    fn separate(&mut self) {
        if let Some(empty) = self.empty.last_mut() {
            if !*empty {
                self.out.push(',');
            }
            *empty = false;
        }
    }

    pub fn open(&mut self, bracket: char) {
        self.separate();
        self.out.push(bracket);
        self.empty.push(true);
    }

    pub fn close(&mut self, bracket: char) {
        self.empty.pop();
        self.out.push(bracket);
    }

    /// A member's key; its value follows.
    pub fn key(&mut self, key: &str) {
        self.separate();
        self.text_raw(key);
        self.out.push(':');
        // The value that follows must not add another comma.
        if let Some(empty) = self.empty.last_mut() {
            *empty = true;
        }
    }

    fn text_raw(&mut self, text: &str) {
        self.out.push('"');
        for c in text.chars() {
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\t' => self.out.push_str("\\t"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(self.out, "\\u{:04x}", c as u32);
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }

    pub fn text(&mut self, text: &str) {
        self.separate();
        self.text_raw(text);
        self.after_value();
    }

    /// A number, `true`, `false` or `null`, already in JSON form.
    pub fn literal(&mut self, literal: impl std::fmt::Display) {
        self.separate();
        let _ = write!(self.out, "{literal}");
        self.after_value();
    }

    fn after_value(&mut self) {
        if let Some(empty) = self.empty.last_mut() {
            *empty = false;
        }
    }

    pub fn field_text(&mut self, key: &str, value: &str) {
        self.key(key);
        self.text(value);
    }

    pub fn field_literal(&mut self, key: &str, value: impl std::fmt::Display) {
        self.key(key);
        self.literal(value);
    }
}

/// A JSON value as read. Numbers keep their text, so a `u64` seed survives exactly.
#[derive(Clone, Debug, PartialEq)]
pub enum JsonValue {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<JsonValue>),
    Object(Vec<(String, JsonValue)>),
}

impl JsonValue {
    pub fn get(&self, key: &str) -> Option<&JsonValue> {
        match self {
            JsonValue::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            JsonValue::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            JsonValue::Number(n) => n.parse().ok(),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            JsonValue::Number(n) => n.parse().ok(),
            _ => None,
        }
    }
}

/// Reads one JSON document (RFC 8259). The error says what was wrong and at which byte.
pub fn parse_json(text: &str) -> Result<JsonValue, String> {
    let mut reader = Reader {
        text,
        at: 0,
        depth: 0,
    };
    reader.space();
    let value = reader.value()?;
    reader.space();
    if reader.at != text.len() {
        return Err(format!("unexpected text at byte {}", reader.at));
    }
    Ok(value)
}

struct Reader<'a> {
    text: &'a str,
    at: usize,
    depth: u32,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn fail<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at byte {}", self.at))
    }

    fn word(&mut self, word: &str, value: JsonValue) -> Result<JsonValue, String> {
        if self.text[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(value)
        } else {
            self.fail("unexpected text")
        }
    }

    fn value(&mut self) -> Result<JsonValue, String> {
        match self.peek() {
            Some(b'{') => self.nested(|r| r.object()),
            Some(b'[') => self.nested(|r| r.array()),
            Some(b'"') => self.string().map(JsonValue::String),
            Some(b't') => self.word("true", JsonValue::Bool(true)),
            Some(b'f') => self.word("false", JsonValue::Bool(false)),
            Some(b'n') => self.word("null", JsonValue::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => self.fail("expected a value"),
        }
    }

    /// Guards the stack against absurdly deep documents.
    fn nested(
        &mut self,
        read: impl FnOnce(&mut Self) -> Result<JsonValue, String>,
    ) -> Result<JsonValue, String> {
        self.depth += 1;
        if self.depth > 64 {
            return self.fail("nested too deeply");
        }
        let value = read(self);
        self.depth -= 1;
        value
    }

    fn object(&mut self) -> Result<JsonValue, String> {
        self.at += 1;
        let mut members = Vec::new();
        self.space();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(JsonValue::Object(members));
        }
        loop {
            self.space();
            if self.peek() != Some(b'"') {
                return self.fail("expected a key");
            }
            let key = self.string()?;
            self.space();
            if self.peek() != Some(b':') {
                return self.fail("expected `:`");
            }
            self.at += 1;
            self.space();
            members.push((key, self.value()?));
            self.space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(JsonValue::Object(members));
                }
                _ => return self.fail("expected `,` or `}`"),
            }
        }
    }

    fn array(&mut self) -> Result<JsonValue, String> {
        self.at += 1;
        let mut items = Vec::new();
        self.space();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(JsonValue::Array(items));
        }
        loop {
            self.space();
            items.push(self.value()?);
            self.space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(JsonValue::Array(items));
                }
                _ => return self.fail("expected `,` or `]`"),
            }
        }
    }

    fn number(&mut self) -> Result<JsonValue, String> {
        let start = self.at;
        while matches!(
            self.peek(),
            Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
        ) {
            self.at += 1;
        }
        let text = &self.text[start..self.at];
        if text.parse::<f64>().is_err() {
            self.at = start;
            return self.fail("not a number");
        }
        Ok(JsonValue::Number(text.to_string()))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self.text.get(self.at..self.at + 4).unwrap_or("");
        match u32::from_str_radix(digits, 16) {
            Ok(code) if digits.len() == 4 => {
                self.at += 4;
                Ok(code)
            }
            _ => self.fail("a bad \\u escape"),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.at += 1;
        let mut out = String::new();
        loop {
            let start = self.at;
            while let Some(c) = self.peek() {
                if c == b'"' || c == b'\\' || c < 0x20 {
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
                Some(b'\\') => {
                    self.at += 1;
                    let c = self.peek();
                    self.at += 1;
                    match c {
                        Some(b'"') => out.push('"'),
                        Some(b'\\') => out.push('\\'),
                        Some(b'/') => out.push('/'),
                        Some(b'b') => out.push('\u{8}'),
                        Some(b'f') => out.push('\u{c}'),
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') => {
                            let mut code = self.hex4()?;
                            if (0xD800..0xDC00).contains(&code) {
                                // A surrogate pair: the low half must follow.
                                if !self.text[self.at..].starts_with("\\u") {
                                    return self.fail("a lone surrogate");
                                }
                                self.at += 2;
                                let low = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    return self.fail("a bad surrogate pair");
                                }
                                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                            }
                            match char::from_u32(code) {
                                Some(ch) => out.push(ch),
                                None => return self.fail("a bad \\u escape"),
                            }
                        }
                        _ => return self.fail("an unknown escape"),
                    }
                }
                _ => return self.fail("an unterminated string"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_escaped_text_that_reads_back() {
        let tricky = "quote \" back \\ newline \n tab \t bell \u{7} é 😀";
        let mut json = JsonWriter::new();
        json.open('{');
        json.field_text("text", tricky);
        json.field_literal("n", 18_446_744_073_709_551_615u64);
        json.key("list");
        json.open('[');
        json.literal(1);
        json.text("two");
        json.literal("null");
        json.close(']');
        json.close('}');
        let value = parse_json(&json.out).expect("valid JSON");
        assert_eq!(value.get("text").and_then(JsonValue::as_str), Some(tricky));
        assert_eq!(value.get("n").and_then(JsonValue::as_u64), Some(u64::MAX));
        assert_eq!(
            value.get("list"),
            Some(&JsonValue::Array(vec![
                JsonValue::Number("1".into()),
                JsonValue::String("two".into()),
                JsonValue::Null
            ]))
        );
    }

    #[test]
    fn reads_surrogate_pairs_and_refuses_broken_documents() {
        let value = parse_json(r#"{"a": "\ud83d\ude00 \u00e9", "b": [true, false, -1.5e3]}"#)
            .expect("valid");
        assert_eq!(value.get("a").and_then(JsonValue::as_str), Some("😀 é"));
        assert_eq!(
            value.get("b").and_then(|b| match b {
                JsonValue::Array(items) => items[2].as_f64(),
                _ => None,
            }),
            Some(-1500.0)
        );
        for bad in [
            "",
            "{",
            "{\"a\" 1}",
            "[1,]x",
            "\"open",
            "\"\\ud83d\"",
            "tru",
            "{\"a\":1}}",
            "01x",
        ] {
            assert!(parse_json(bad).is_err(), "{bad:?}");
        }
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert!(
            parse_json(&deep).is_err(),
            "absurd nesting is refused, not a stack overflow"
        );
    }
}
