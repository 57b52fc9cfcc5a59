//! The engine's layers, and the UI's components, import only downwards and never in a loop.
//!
//! Like `tests/purity.rs`, this reads the source. Every module path in the code of a file under
//! `src/engine` (`crate::engine::…`, `super::…`, `self::…`, in `use` items and in expressions;
//! comments, string literals and `#[cfg(test)]` modules left out) is resolved to the module file
//! it names. The declared order is
//!
//!   core → scenario (with every pattern's `model`) → kernel → patterns → observe
//!
//! and a file may name modules of its own layer or of a lower one only. The engine's modules may
//! not go through the facade (`src/engine/mod.rs`), and the module graph must have no cycle. For
//! `src/components`, the graph of its files must have no cycle either.

mod common;

use common::rust_files;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first.
const LAYERS: [&str; 5] = ["core", "scenario", "kernel", "patterns", "observe"];

/// A module: its path below the crate root (`engine::kernel::world`).
type Module = Vec<String>;

/// `src/engine/kernel/world.rs` → `engine::kernel::world`; `…/mod.rs` names its folder.
fn module_of(src: &Path, file: &Path) -> Module {
    let relative = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file");
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" {
        parts.push(stem.to_string());
    }
    parts
}

/// The code of a file without comments, string and char literals, and its test module.
fn code_of(source: &str) -> String {
    let source = match source.find("#[cfg(test)]") {
        Some(at) => &source[..at],
        None => source,
    };
    let bytes = source.as_bytes();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &source[i..];
        if rest.starts_with("//") {
            let end = rest.find('\n').map_or(bytes.len(), |n| i + n);
            i = end;
        } else if rest.starts_with("/*") {
            let end = rest.find("*/").map_or(bytes.len(), |n| i + n + 2);
            i = end;
        } else if rest.starts_with("r#\"") || rest.starts_with("r\"") {
            let hashes = if rest.starts_with("r#") { "\"#" } else { "\"" };
            let open = if rest.starts_with("r#") { 3 } else { 2 };
            let end = rest[open..]
                .find(hashes)
                .map_or(bytes.len(), |n| i + open + n + hashes.len());
            out.push_str("\"\"");
            i = end;
        } else if bytes[i] == b'"' {
            let mut j = i + 1;
            while j < bytes.len() && bytes[j] != b'"' {
                j += if bytes[j] == b'\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            i = j + 1;
        } else if bytes[i] == b'\''
            && (rest.len() > 3 && (rest.as_bytes()[2] == b'\'' || rest.as_bytes()[1] == b'\\'))
        {
            // A char literal ('x' or '\n'), not a lifetime.
            let end = rest[1..].find('\'').map_or(bytes.len(), |n| i + n + 2);
            i = end;
        } else {
            let c = rest.chars().next().expect("a char");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Every path in `code` that starts at `crate`, `$crate`, `super` or `self`, as its segments.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let bytes = code.as_bytes();
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$';
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !is_ident(bytes[i - 1]) && bytes[i - 1] != b':';
        if !starts_word || !is_ident(bytes[i]) {
            i += 1;
            continue;
        }
        let mut segments = Vec::new();
        let mut j = i;
        loop {
            let start = j;
            while j < bytes.len() && is_ident(bytes[j]) {
                j += 1;
            }
            if start == j {
                break;
            }
            segments.push(code[start..j].to_string());
            if code[j..].starts_with("::") && j + 2 < bytes.len() && is_ident(bytes[j + 2]) {
                j += 2;
            } else if code[j..].starts_with("::{") {
                // A use-group: every item inside shares the prefix.
                let close = matching_brace(code, j + 2);
                for item in split_group(&code[j + 3..close]) {
                    let mut full = segments.clone();
                    full.extend(item);
                    paths.push(full);
                }
                j = close;
                segments.clear();
                break;
            } else {
                break;
            }
        }
        if segments.len() > 1
            && matches!(segments[0].as_str(), "crate" | "$crate" | "super" | "self")
        {
            paths.push(segments);
        }
        i = j.max(i + 1);
    }
    paths
}

fn matching_brace(code: &str, open: usize) -> usize {
    let mut depth = 0;
    for (offset, c) in code[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return open + offset;
                }
            }
            _ => {}
        }
    }
    code.len()
}

/// `a::b, c::{d, e}, self` → [[a, b], [c, d], [c, e], []].
fn split_group(group: &str) -> Vec<Vec<String>> {
    let mut items = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    let mut parts = Vec::new();
    for (offset, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&group[start..offset]);
                start = offset + 1;
            }
            _ => {}
        }
    }
    parts.push(&group[start..]);
    for part in parts {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        if let Some(brace) = part.find("::{") {
            let prefix: Vec<String> = part[..brace].split("::").map(str::to_string).collect();
            let inner_end = part.rfind('}').unwrap_or(part.len());
            for inner in split_group(&part[brace + 3..inner_end]) {
                let mut full = prefix.clone();
                full.extend(inner);
                items.push(full);
            }
        } else {
            let name = part.split(" as ").next().unwrap_or(part).trim();
            items.push(
                name.split("::")
                    .filter(|s| *s != "self")
                    .map(str::to_string)
                    .collect(),
            );
        }
    }
    items
}

/// The modules a path names: the longest prefix that is a module (a wildcard segment like a
/// macro's `$module` matches every module at its place).
fn resolve(path: &[String], from: &Module, modules: &BTreeSet<Module>) -> Vec<Module> {
    let mut absolute: Vec<String> = Vec::new();
    let mut rest = path;
    match path[0].as_str() {
        "crate" | "$crate" => rest = &path[1..],
        "self" => {
            absolute = from.clone();
            rest = &path[1..];
        }
        "super" => {
            absolute = from.clone();
            while rest.first().is_some_and(|s| s == "super") {
                absolute.pop();
                rest = &rest[1..];
            }
        }
        _ => return Vec::new(),
    }
    let mut candidates: Vec<Module> = vec![absolute];
    let mut resolved: Vec<Module> = Vec::new();
    for segment in rest {
        let mut next = Vec::new();
        for candidate in &candidates {
            if segment.starts_with('$') {
                for module in modules {
                    if module.len() == candidate.len() + 1 && module.starts_with(candidate) {
                        next.push(module.clone());
                    }
                }
            } else {
                let mut extended = candidate.clone();
                extended.push(segment.clone());
                if modules.contains(&extended) {
                    next.push(extended);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        candidates = next;
    }
    for candidate in candidates {
        if modules.contains(&candidate) {
            resolved.push(candidate);
        }
    }
    resolved
}

/// The layer of an engine module (index into `LAYERS`), or `None` for the facade.
fn layer_of(module: &Module) -> Option<usize> {
    let top = module.get(1)?;
    let base = LAYERS.iter().position(|l| l == top)?;
    // A pattern's `model` sits with the scenario, below the kernel.
    if top == "patterns" && module.get(3).is_some_and(|m| m == "model") {
        return Some(1);
    }
    Some(base)
}

/// The first cycle in `edges`, as a list of modules.
fn find_cycle(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Option<Vec<Module>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut marks: BTreeMap<&Module, Mark> = edges.keys().map(|m| (m, Mark::New)).collect();
    fn visit<'a>(
        module: &'a Module,
        edges: &'a BTreeMap<Module, BTreeSet<Module>>,
        marks: &mut BTreeMap<&'a Module, Mark>,
        stack: &mut Vec<&'a Module>,
    ) -> Option<Vec<Module>> {
        marks.insert(module, Mark::Open);
        stack.push(module);
        for next in edges.get(module).into_iter().flatten() {
            match marks.get(next).copied().unwrap_or(Mark::Done) {
                Mark::Open => {
                    let start = stack.iter().position(|m| *m == next).unwrap_or(0);
                    let mut cycle: Vec<Module> =
                        stack[start..].iter().map(|m| (*m).clone()).collect();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(cycle) = visit(next, edges, marks, stack) {
                        return Some(cycle);
                    }
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        marks.insert(module, Mark::Done);
        None
    }
    let modules: Vec<&Module> = edges.keys().collect();
    for module in modules {
        if marks[module] == Mark::New {
            let mut stack = Vec::new();
            if let Some(cycle) = visit(module, edges, &mut marks, &mut stack) {
                return Some(cycle);
            }
        }
    }
    None
}

/// The module graph of the files under `root` (a folder of `src`).
fn graph(
    root: &str,
) -> (
    BTreeMap<Module, BTreeSet<Module>>,
    BTreeMap<Module, PathBuf>,
) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src.join(root), &mut files);
    let mut paths_of: BTreeMap<Module, PathBuf> = BTreeMap::new();
    for file in &files {
        paths_of.insert(module_of(&src, file), file.clone());
    }
    let modules: BTreeSet<Module> = paths_of.keys().cloned().collect();
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (module, file) in &paths_of {
        let code = code_of(&std::fs::read_to_string(file).expect("utf-8 source"));
        let targets = edges.entry(module.clone()).or_default();
        for path in paths_in(&code) {
            for target in resolve(&path, module, &modules) {
                if target != *module {
                    targets.insert(target);
                }
            }
        }
    }
    (edges, paths_of)
}

fn name(module: &Module) -> String {
    module.join("::")
}

#[test]
fn engine_modules_import_only_their_own_layer_or_lower_ones() {
    let (edges, paths_of) = graph("engine");
    assert!(
        paths_of.len() > 40,
        "found only {} engine files",
        paths_of.len()
    );
    let facade: Module = vec!["engine".to_string()];
    let mut report = Vec::new();
    for (module, targets) in &edges {
        if *module == facade {
            continue;
        }
        let Some(layer) = layer_of(module) else {
            report.push(format!("{} is in no layer", name(module)));
            continue;
        };
        for target in targets {
            if *target == facade {
                report.push(format!(
                    "{} goes through the facade (src/engine/mod.rs); name the module itself",
                    name(module)
                ));
                continue;
            }
            let Some(target_layer) = layer_of(target) else {
                continue;
            };
            if target_layer > layer {
                report.push(format!(
                    "{} ({}) imports {} ({}), a higher layer",
                    name(module),
                    LAYERS[layer],
                    name(target),
                    LAYERS[target_layer]
                ));
            }
        }
    }
    assert!(report.is_empty(), "layering broken:\n{}", report.join("\n"));
}

#[test]
fn engine_modules_import_each_other_in_no_loop() {
    let (mut edges, _) = graph("engine");
    // The facade re-exports everything and nothing inside imports it (checked above).
    edges.remove(&vec!["engine".to_string()]);
    if let Some(cycle) = find_cycle(&edges) {
        panic!(
            "the engine's modules import each other in a loop: {}",
            cycle.iter().map(name).collect::<Vec<_>>().join(" → ")
        );
    }
}

#[test]
fn the_components_import_each_other_in_no_loop() {
    let (edges, paths_of) = graph("components");
    assert!(
        paths_of.len() > 10,
        "found only {} component files",
        paths_of.len()
    );
    if let Some(cycle) = find_cycle(&edges) {
        panic!(
            "the components import each other in a loop: {}",
            cycle.iter().map(name).collect::<Vec<_>>().join(" → ")
        );
    }
}

/// The one door of requirement 9: components read what the player's live view and pattern views
/// hold, and ask for changes through actions; none reaches into the engine itself.
fn reaches_into_the_engine(code: &str) -> Vec<&'static str> {
    [
        ".engine()",
        "engine::Engine",
        "engine::kernel",
        "engine::Engine::",
    ]
    .into_iter()
    .filter(|needle| code.contains(needle))
    .collect()
}

#[test]
fn the_components_do_not_reach_into_the_engine() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src.join("components"), &mut files);
    let mut found = Vec::new();
    for file in &files {
        let code = code_of(&std::fs::read_to_string(file).expect("readable"));
        for needle in reaches_into_the_engine(&code) {
            found.push(format!("{}: `{needle}`", file.display()));
        }
    }
    assert!(files.len() > 10);
    assert!(
        found.is_empty(),
        "components reaching into the engine:\n{}",
        found.join("\n")
    );
    // The check itself can fail.
    let bad = code_of("let n = player.engine().now(); // .engine() in a comment is fine\n");
    assert_eq!(reaches_into_the_engine(&bad), vec![".engine()"]);
    assert!(reaches_into_the_engine(&code_of("let s = \".engine()\";\n")).is_empty());
}

#[test]
fn the_checker_finds_what_it_should() {
    let modules: BTreeSet<Module> = [
        "engine",
        "engine::core",
        "engine::core::ids",
        "engine::kernel",
        "engine::kernel::world",
        "engine::patterns",
        "engine::patterns::saga",
        "engine::patterns::saga::model",
        "engine::patterns::resilience",
        "engine::patterns::resilience::model",
    ]
    .iter()
    .map(|m| m.split("::").map(str::to_string).collect())
    .collect();
    let world: Module = ["engine", "kernel", "world"].map(String::from).to_vec();
    let code = code_of(
        "use super::super::core::ids::CallId; // crate::engine::observe\n\
         use crate::engine::patterns::{saga::model::Spec, resilience};\n\
         let s = \"crate::engine::patterns::x\";\n\
         fn f() -> $crate::engine::patterns::$module::model::Spec { todo!() }\n",
    );
    let found: BTreeSet<String> = paths_in(&code)
        .iter()
        .flat_map(|p| resolve(p, &world, &modules))
        .map(|m| name(&m))
        .collect();
    assert_eq!(
        found,
        [
            "engine::core::ids",
            "engine::patterns::resilience",
            "engine::patterns::resilience::model",
            "engine::patterns::saga::model",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        "comments and strings are skipped, groups and macro wildcards are resolved"
    );
    assert_eq!(layer_of(&world), Some(2));
    let model: Module = ["engine", "patterns", "saga", "model", "state"]
        .map(String::from)
        .to_vec();
    assert_eq!(
        layer_of(&model),
        Some(1),
        "a pattern's model sits with the scenario"
    );
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    let a: Module = vec!["a".into()];
    let b: Module = vec!["b".into()];
    edges.entry(a.clone()).or_default().insert(b.clone());
    assert!(find_cycle(&edges).is_none());
    edges.entry(b.clone()).or_default().insert(a.clone());
    assert!(find_cycle(&edges).is_some(), "a ↔ b is a loop");
}
