//! A built-in's description states numbers a learner will check against what they see: "8 per
//! second", "a 250 ms timeout", "up to five times". Each such statement is listed here with the
//! TOML key it describes; the test reads the number from the description text (digits or a number
//! word, in English and in Hindi) and the value from the scenario file, and they must agree. So a
//! change to either side that makes the lesson say something untrue fails here.

use std::fs;
use toml::de::{DeTable, DeValue as Value};

/// How a TOML value becomes the number the description states.
#[derive(Clone, Copy, Debug)]
enum Reading {
    /// A plain number (an integer or a float).
    Number,
    /// A duration such as "250ms", in milliseconds.
    Millis,
    /// A duration in seconds.
    Seconds,
    /// A rate such as "8/s", per second.
    PerSecond,
    /// A mean duration, stated as how many per second it serves (1 / mean).
    ServedPerSecond,
    /// A `max_attempts`, stated as the number of retries (attempts − 1).
    Retries,
    /// An exponential's mean duration (`{ exponential = "2s" }`), in seconds.
    ExponentialMeanSeconds,
}

struct Claim {
    scenario: &'static str,
    /// A phrase of the English description, holding one number.
    en: &'static str,
    /// The same statement in the Hindi description.
    hi: &'static str,
    /// Dotted path into the TOML; a number picks an array element.
    key: &'static str,
    reading: Reading,
}

const CLAIMS: &[Claim] = &[
    Claim {
        scenario: "mm1",
        en: "(8 per second)",
        hi: "(8 प्रति सेकंड)",
        key: "workload.rate",
        reading: Reading::PerSecond,
    },
    Claim {
        scenario: "mm1",
        en: "serves 10 per second",
        hi: "औसतन 10 प्रति सेकंड",
        key: "services.0.endpoints.0.service_time.exponential",
        reading: Reading::ServedPerSecond,
    },
    Claim {
        scenario: "mmc",
        en: "Ten booking counters",
        hi: "दस बुकिंग काउंटर",
        key: "services.0.workers",
        reading: Reading::Number,
    },
    Claim {
        scenario: "mmc",
        en: "nine customers arrive",
        hi: "नौ ग्राहक आते",
        key: "workload.rate",
        reading: Reading::PerSecond,
    },
    Claim {
        scenario: "mmc",
        en: "takes a second on average",
        hi: "औसतन एक सेकंड",
        key: "services.0.endpoints.0.service_time.exponential",
        reading: Reading::Seconds,
    },
    Claim {
        scenario: "tail-at-scale",
        en: "asks 100 index shards",
        hi: "100 इंडेक्स शार्ड",
        key: "services.0.endpoints.0.calls.0.fan_out",
        reading: Reading::Number,
    },
    Claim {
        scenario: "irctc-tatkal",
        en: "300 travellers",
        hi: "300 यात्री",
        key: "workload.users",
        reading: Reading::Number,
    },
    Claim {
        scenario: "irctc-tatkal",
        en: "thinks for about two seconds",
        hi: "लगभग दो सेकंड सोचता",
        key: "workload.think_time",
        reading: Reading::ExponentialMeanSeconds,
    },
    Claim {
        scenario: "flipkart",
        en: "At 40 s the flash sale",
        hi: "40 सेकंड पर फ़्लैश सेल",
        key: "workload.spikes.0.at",
        reading: Reading::Seconds,
    },
    Claim {
        scenario: "zomato-unprotected",
        en: "At 20 s the restaurant",
        hi: "20 सेकंड पर रेस्तरां",
        key: "faults.0.at",
        reading: Reading::Seconds,
    },
    Claim {
        scenario: "zomato-unprotected",
        en: "a hundred times slower",
        hi: "सौ गुना धीमी",
        key: "faults.0.factor",
        reading: Reading::Number,
    },
    Claim {
        scenario: "zomato-unprotected",
        en: "at 50 s it starts failing",
        hi: "50 सेकंड पर वह विफल",
        key: "faults.1.at",
        reading: Reading::Seconds,
    },
    Claim {
        scenario: "zomato-protected",
        en: "a 250 ms timeout",
        hi: "250 मि.से. टाइमआउट",
        key: "policies.0.timeout",
        reading: Reading::Millis,
    },
    Claim {
        scenario: "zomato-protected",
        en: "a bulkhead of 10 concurrent calls",
        hi: "10 समानांतर कॉल का बल्कहेड",
        key: "policies.0.bulkhead.max_concurrent",
        reading: Reading::Number,
    },
    Claim {
        scenario: "zomato-protected",
        en: "one jittered retry",
        hi: "एक जिटर वाला रीट्राई",
        key: "policies.0.retry.max_attempts",
        reading: Reading::Retries,
    },
    Claim {
        scenario: "zomato-retry-storm",
        en: "up to five times in all",
        hi: "कुल पाँच बार तक",
        key: "policies.0.retry.max_attempts",
        reading: Reading::Number,
    },
    Claim {
        scenario: "zomato-retry-storm",
        en: "(four retries)",
        hi: "(चार रीट्राई)",
        key: "policies.0.retry.max_attempts",
        reading: Reading::Retries,
    },
    Claim {
        scenario: "zomato-retry-storm",
        en: "20 ms apart",
        hi: "20 मि.से. के अंतर",
        key: "policies.0.retry.wait",
        reading: Reading::Millis,
    },
    Claim {
        scenario: "zomato-retry-storm",
        en: "becomes five calls",
        hi: "पाँच कॉल बन",
        key: "policies.0.retry.max_attempts",
        reading: Reading::Number,
    },
];

/// The one number a phrase states: digits, or a number word in English or Hindi.
fn number_in(phrase: &str) -> f64 {
    let words: &[(&str, f64)] = &[
        ("one", 1.0),
        ("a second", 1.0),
        ("two", 2.0),
        ("four", 4.0),
        ("five", 5.0),
        ("nine", 9.0),
        ("ten", 10.0),
        ("a hundred", 100.0),
        ("एक", 1.0),
        ("दो", 2.0),
        ("चार", 4.0),
        ("पाँच", 5.0),
        ("नौ", 9.0),
        ("दस", 10.0),
        ("सौ", 100.0),
    ];
    let digits: String = phrase
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    if !digits.is_empty() {
        return digits.trim_end_matches('.').parse().unwrap();
    }
    let lower = phrase.to_lowercase();
    let found: Vec<f64> = words
        .iter()
        .filter(|(word, _)| {
            lower
                .split(|c: char| !c.is_alphanumeric() && !matches!(c, '\u{0900}'..='\u{097F}'))
                .collect::<Vec<_>>()
                .windows(word.split(' ').count())
                .any(|window| window.join(" ") == *word)
        })
        .map(|&(_, n)| n)
        .collect();
    assert_eq!(found.len(), 1, "one number in {phrase:?}, found {found:?}");
    found[0]
}

fn lookup<'a>(root: &'a Value<'a>, key: &str) -> &'a Value<'a> {
    key.split('.')
        .fold(root, |value, part| match (value, part.parse::<usize>()) {
            (Value::Array(items), Ok(index)) => items[index].get_ref(),
            (Value::Table(table), Err(_)) => table
                .get(part)
                .unwrap_or_else(|| panic!("{key}: no {part}"))
                .get_ref(),
            _ => panic!("{key}: cannot take {part} here"),
        })
}

fn duration_s(text: &str) -> f64 {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .unwrap_or_else(|_| panic!("duration {text:?}"));
    number
        * match unit {
            "us" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" | "min" => 60.0,
            other => panic!("unit {other:?} in {text:?}"),
        }
}

fn read(value: &Value, reading: Reading) -> f64 {
    let as_number = |v: &Value| match v {
        Value::Integer(i) => i.as_str().parse::<f64>().unwrap(),
        Value::Float(f) => f.as_str().parse::<f64>().unwrap(),
        other => panic!("a number, not {other:?}"),
    };
    let as_text = |v: &Value| match v {
        Value::String(text) => text.to_string(),
        other => panic!("a string, not {other:?}"),
    };
    match reading {
        Reading::Number => as_number(value),
        Reading::Retries => as_number(value) - 1.0,
        Reading::Millis => duration_s(&as_text(value)) * 1e3,
        Reading::Seconds => duration_s(&as_text(value)),
        Reading::ServedPerSecond => 1.0 / duration_s(&as_text(value)),
        Reading::ExponentialMeanSeconds => duration_s(&as_text(lookup(value, "exponential"))),
        Reading::PerSecond => {
            let text = as_text(value);
            text.strip_suffix("/s")
                .expect("a rate per second")
                .parse()
                .unwrap()
        }
    }
}

#[test]
fn descriptions_state_the_numbers_their_scenarios_hold() {
    for claim in CLAIMS {
        let path = format!("scenarios/{}.toml", claim.scenario);
        let source = fs::read_to_string(&path).unwrap();
        let root = Value::Table(DeTable::parse(&source).unwrap().into_inner());
        let value = read(lookup(&root, claim.key), claim.reading);
        for (language, phrase) in [("en", claim.en), ("hi", claim.hi)] {
            let Value::String(text) = lookup(&root, &format!("description.{language}")) else {
                panic!("{path}: description.{language} is not text")
            };
            assert!(
                text.contains(phrase),
                "{path}: the {language} description no longer says {phrase:?}:\n{text}"
            );
            let stated = number_in(phrase);
            assert!(
                (stated - value).abs() < 1e-9 * value.abs().max(1.0),
                "{path}: the {language} description says {phrase:?} ({stated}) but {} reads {value}",
                claim.key
            );
        }
    }
}

#[test]
fn the_number_reader_reads_digits_and_words_and_refuses_two() {
    assert_eq!(number_in("(8 per second)"), 8.0);
    assert_eq!(number_in("250 मि.से. टाइमआउट"), 250.0);
    assert_eq!(number_in("up to five times in all"), 5.0);
    assert_eq!(number_in("कुल पाँच बार तक"), 5.0);
    assert_eq!(number_in("a hundred times slower"), 100.0);
    assert!(std::panic::catch_unwind(|| number_in("two or four")).is_err());
}
