//! The scenario editor's text logic, without a browser: where a problem's line and column are in
//! the text box, which lines have problems, and whether a file sets its own seed.

use crate::engine::Problem;
use std::collections::BTreeSet;

/// Whether a scenario file sets its own seed (a top-level `seed = …`).
pub fn file_sets_seed(text: &str) -> bool {
    toml::de::DeTable::parse(text).is_ok_and(|table| table.get_ref().contains_key("seed"))
}

/// The offset a text box's selection uses (UTF-16 code units) of `line`, `column` (both from 1,
/// the column counted in characters, as problems give them); past the end it is the end.
pub fn utf16_offset(text: &str, line: u32, column: u32) -> u32 {
    let mut offset = 0usize;
    for (index, content) in text.split('\n').enumerate() {
        if index + 1 == line as usize {
            let within: usize = content
                .chars()
                .take(column.saturating_sub(1) as usize)
                .map(char::len_utf16)
                .sum();
            return u32::try_from(offset + within).unwrap_or(u32::MAX);
        }
        offset += content.encode_utf16().count() + 1;
    }
    u32::try_from(text.encode_utf16().count()).unwrap_or(u32::MAX)
}

/// The lines (from 1) that have a problem.
pub fn problem_lines(problems: &[Problem]) -> BTreeSet<u32> {
    problems
        .iter()
        .filter_map(|p| p.at.map(|at| at.line))
        .collect()
}

/// How many lines the text box shows (a final newline starts one more).
pub fn line_count(text: &str) -> usize {
    text.split('\n').count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::parse_scenario;

    #[test]
    fn a_problems_place_is_found_in_the_text_box() {
        let text = "id = \"x\"\ntitle = \"दादर\"\nworkers = 0";
        assert_eq!(utf16_offset(text, 1, 1), 0);
        assert_eq!(utf16_offset(text, 2, 1), 9);
        // Devanagari is one UTF-16 unit a character; the column counts characters.
        assert_eq!(utf16_offset(text, 2, 10), 9 + 9);
        assert_eq!(utf16_offset(text, 3, 11), 9 + 15 + 10);
        assert_eq!(
            utf16_offset(text, 99, 1),
            text.encode_utf16().count() as u32
        );
        // An emoji is two units.
        assert_eq!(utf16_offset("🚆x", 1, 2), 2);
        assert_eq!(line_count("a\nb\n"), 3);
    }

    #[test]
    fn the_lines_with_problems_are_the_ones_validation_names() {
        let source = crate::engine::builtin::builtin_source("mm1").expect("mm1");
        let broken = source.replace("workers = 1", "workers = 0");
        let line = broken
            .lines()
            .position(|l| l == "workers = 0")
            .expect("edited") as u32
            + 1;
        let Err(problems) = parse_scenario(&broken) else {
            panic!("0 workers is refused")
        };
        assert!(problem_lines(&problems).contains(&line), "{problems:?}");
    }
}
