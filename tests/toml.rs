//! Lokal reads TOML with its own small reader (to keep serde's deserialiser out of the browser
//! bundle). Here it is held to the reference reader, the `toml` crate: on every built-in
//! scenario, every TOML example in the docs and a list of tricky documents, both must give the
//! same tree — or both must refuse.

use lokal::engine::builtin::{builtin_ids, builtin_source};
use lokal::engine::scenario::toml::{Table, Value, parse};

/// Our tree in the reference crate's types, for comparison.
fn convert(value: &Value) -> toml::Value {
    match value {
        Value::String(s) => toml::Value::String(s.clone()),
        Value::Integer(i) => toml::Value::Integer(*i),
        Value::Float(f) => toml::Value::Float(*f),
        Value::Boolean(b) => toml::Value::Boolean(*b),
        Value::Array(items) => toml::Value::Array(items.iter().map(convert).collect()),
        Value::Table(table) => toml::Value::Table(convert_table(table)),
    }
}

fn convert_table(table: &Table) -> toml::Table {
    table.iter().map(|(k, v)| (k.clone(), convert(v))).collect()
}

/// NaN is not equal to itself; compare through a canonical text.
fn canonical(value: &toml::Value) -> String {
    format!("{value:?}")
}

fn same(text: &str, what: &str) {
    let ours = parse(text);
    let reference = text.parse::<toml::Table>();
    match (ours, reference) {
        (Ok(ours), Ok(reference)) => {
            let ours = toml::Value::Table(convert_table(&ours));
            let reference = toml::Value::Table(reference);
            assert_eq!(canonical(&ours), canonical(&reference), "{what}");
            // Keys in the same order too.
            if let (toml::Value::Table(a), toml::Value::Table(b)) = (&ours, &reference) {
                assert!(a.keys().eq(b.keys()), "{what}: key order differs");
            }
        }
        (Err(_), Err(_)) => {}
        (Ok(_), Err(e)) => panic!("{what}: we accepted what toml refuses: {e}"),
        (Err(e), Ok(_)) => panic!("{what}: we refused what toml accepts: {e:?}"),
    }
}

#[test]
fn every_builtin_scenario_reads_the_same() {
    for id in builtin_ids() {
        same(builtin_source(id).expect("source"), id);
    }
    same(
        &std::fs::read_to_string("benches/reference.toml").expect("bench model"),
        "benches/reference.toml",
    );
}

#[test]
fn every_toml_example_in_the_docs_reads_the_same() {
    let docs = std::fs::read_to_string("docs/scenarios.md").expect("docs");
    let mut count = 0;
    let mut rest = docs.as_str();
    while let Some(start) = rest.find("```toml\n") {
        let body = &rest[start + 8..];
        let end = body.find("```").expect("closed block");
        same(&body[..end], &format!("docs block {count}"));
        count += 1;
        rest = &body[end..];
    }
    assert!(count >= 8, "{count} blocks");
}

#[test]
fn tricky_documents_read_the_same() {
    let documents = [
        "a = 1\n",
        "a = -0\nb = +17\nc = 1_000_000\nd = 0xDEAD_beef\ne = 0o755\nf = 0b1101\n",
        "a = 3.1415\nb = -0.01\nc = 5e+22\nd = 1e06\ne = -2E-2\nf = 6.626e-34\ng = 224_617.445_991\n",
        "a = inf\nb = +inf\nc = -inf\n",
        "s = \"tab\\there \\\"q\\\" \\\\ \\u00E9 \\U0001F600\"\n",
        "s = 'C:\\Users\\nodejs'\n",
        "s = \"\"\"\nRoses\nViolets\"\"\"\n",
        "s = \"\"\"\\\n  The quick \\\n  brown fox.\\\n  \"\"\"\n",
        "s = \"\"\"Here are two quotes: \"\". Three: \"\"\\\".\"\"\"\n",
        "s = '''\nThe first newline is\ntrimmed in raw strings.\n'''\n",
        "s = ''''That's still pointless', she said.'''\n",
        "s = \"\"\"\"This,\" she said, \"is just a pointless statement.\"\"\"\"\n",
        "\"key with spaces\" = 1\n'literal key' = 2\nbare-key_1 = 3\n",
        "a.b.c = 1\na.d = 2\n",
        "site.\"google.com\" = true\n",
        "[a]\nb = 1\n[a.c]\nd = 2\n",
        "[x.y.z.w]\n[x]\nq = 1\n",
        "[[fruit]]\nname = \"apple\"\n[fruit.physical]\ncolor = \"red\"\n[[fruit.variety]]\nname = \"red delicious\"\n[[fruit]]\nname = \"banana\"\n",
        "arr = [ 1, 2, 3, ]\nnested = [ [ 1, 2 ], [\"a\", 'b'] ]\nmixed = [ 1, \"two\", 3.0 ]\n",
        "arr = [\n  1, # one\n  2, # two\n]\n",
        "t = { a = 1, b = { c = \"d\" } }\n",
        "t = { a.b = 1, a.c = 2 }\n",
        "points = [ { x = 1, y = 2 }, { x = 7, y = 8 } ]\n",
        "# only a comment\n\n   \n",
        "a = 1 # comment\r\nb = 2\r\n",
        "a = true\nb = false\n",
        // Refused by both:
        "a = 1\na = 2\n",
        "[t]\n[t]\n",
        "a = \"unclosed\n",
        "a = \n",
        "a = 1 b = 2\n",
        "[t\n",
        "a = 01\n",
        "a = 1__0\n",
        "a = _1\n",
        "a = 1_\n",
        "a = .5\n",
        "a = 5.\n",
        "a = \"\\q\"\n",
        "a = [1, 2\n",
        "a = 1\n[a]\n",
        "[[a]]\n[a]\n",
        "a = [1]\n[[a]]\n",
        "a = 99999999999999999999\n",
        "= 1\n",
        "a = tru\n",
        "a = 'x' 'y'\n",
        "a.b = 1\na = 2\n",
        "a = 1\na.b = 2\n",
        "t = { a = 1, a = 2 }\n",
    ];
    for (index, text) in documents.iter().enumerate() {
        same(text, &format!("document {index}: {text:?}"));
    }
}
