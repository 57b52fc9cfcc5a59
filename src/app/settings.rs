//! Where a session starts: URL parameters and what the browser saved last time.
//!
//! Both are untrusted input. Parsing is pure (tested natively): a bad URL parameter becomes a
//! notice and a default; a corrupt saved value is reported and set aside, never a crash.

use super::i18n::{Lang, Msg};
use super::state::{AppState, ScenarioSource, clamp_speed};
use crate::engine::builtin::{builtin_ids, load_builtin};
use crate::engine::parse_scenario;
use crate::engine::scenario::problems::not_found_hint;
use serde::{Deserialize, Serialize};
use std::rc::Rc;
use std::sync::Arc;

/// The localStorage key of the saved session, and where a corrupt value is moved.
pub const STORAGE_KEY: &str = "lokal.session.v1";
pub const STORAGE_CORRUPT_KEY: &str = "lokal.session.v1.corrupt";

/// A notice to show: a catalogue key and its arguments.
pub type NoticeSpec = (Msg, Vec<String>);

#[derive(Clone, Debug, Default, PartialEq)]
pub struct UrlSettings {
    pub scenario: Option<String>,
    pub seed: Option<u64>,
    pub speed: Option<f64>,
    pub lang: Option<Lang>,
    pub autoplay: bool,
    /// `selftest=panic`: crash on purpose to show the crash panel (used by the browser tests,
    /// and by course authors who want to see what a learner would see).
    pub selftest_panic: bool,
}

/// Decodes `%XX` escapes and `+` as in a query string; invalid escapes stay as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads `?scenario=ID&seed=N&speed=X&lang=hi&autoplay=1`. Unknown or bad values become notices.
pub fn parse_url(query: &str) -> (UrlSettings, Vec<NoticeSpec>) {
    let mut settings = UrlSettings::default();
    let mut notices = Vec::new();
    let mut bad = |key: &str, value: &str, why: String| {
        notices.push((
            Msg::NoticeBadParam,
            vec![key.to_string(), value.to_string(), why],
        ));
    };
    for pair in query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (key, value) = (percent_decode(key), percent_decode(value));
        let shown: String = value.chars().take(40).collect();
        match key.as_str() {
            "scenario" => {
                if builtin_ids().any(|id| id == value) {
                    settings.scenario = Some(value);
                } else {
                    let hint = not_found_hint(&value, builtin_ids());
                    bad(
                        &key,
                        &shown,
                        format!("no built-in scenario of that name{hint}"),
                    );
                }
            }
            "seed" => match value.parse::<u64>() {
                Ok(seed) => settings.seed = Some(seed),
                Err(_) => bad(&key, &shown, "a seed is a whole number from 0".into()),
            },
            "speed" => match value.trim_end_matches(['x', '×']).parse::<f64>() {
                Ok(speed) if speed.is_finite() && (0.1..=100.0).contains(&speed) => {
                    settings.speed = Some(speed)
                }
                Ok(_) => bad(&key, &shown, "speed must be from 0.1 to 100".into()),
                Err(_) => bad(&key, &shown, "speed is a number, like 2".into()),
            },
            "lang" => match Lang::from_code(&value) {
                Some(lang) => settings.lang = Some(lang),
                None => bad(&key, &shown, "use en or hi".into()),
            },
            "selftest" => match value.as_str() {
                "panic" => settings.selftest_panic = true,
                _ => bad(&key, &shown, "the only self-test is panic".into()),
            },
            "autoplay" => match value.as_str() {
                "1" | "true" | "" => settings.autoplay = true,
                "0" | "false" => settings.autoplay = false,
                _ => bad(&key, &shown, "use 1 or 0".into()),
            },
            _ => {
                let hint = not_found_hint(
                    &key,
                    ["scenario", "seed", "speed", "lang", "autoplay", "selftest"],
                );
                bad(&key, &shown, format!("unknown parameter{hint}"));
            }
        }
    }
    (settings, notices)
}

/// What the browser keeps between visits, as a JSON object:
/// `{"builtin": "flipkart" | null, "custom": "<toml>" | null, "seed": 42, "speed": 1.0, "lang": "en"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredSession {
    /// A built-in scenario id, or absent when `custom` is set.
    #[serde(default)]
    pub builtin: Option<String>,
    /// The user's own scenario TOML.
    #[serde(default)]
    pub custom: Option<String>,
    pub seed: u64,
    #[serde(serialize_with = "crate::engine::json::finite")]
    pub speed: f64,
    pub lang: Lang,
}

impl StoredSession {
    /// The session as JSON; an error only if the speed is not a finite number.
    pub fn to_json(&self) -> Result<String, String> {
        serde_json::to_string(self).map_err(|e| e.to_string())
    }

    /// Reads what `to_json` (or an earlier version of the app) wrote. Anything else — not JSON
    /// by RFC 8259 (`01`, `1.`, `NaN`, a bad escape), a key twice, an unknown key, a wrong type,
    /// a missing seed — is an error saying what is wrong: the caller sets the text aside.
    pub fn from_json(text: &str) -> Result<StoredSession, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    pub fn of(state: &AppState) -> StoredSession {
        let (builtin, custom) = match &state.source {
            ScenarioSource::Builtin(id) => (Some(id.clone()), None),
            ScenarioSource::Custom(text) => (None, Some(text.to_string())),
        };
        StoredSession {
            builtin,
            custom,
            seed: state.seed,
            speed: state.speed,
            lang: state.lang,
        }
    }
}

impl StoredSession {
    /// The query string that opens exactly this (`?scenario=…&seed=…&speed=…&lang=…`): the address
    /// bar follows the state, so it is always a link to what is on screen. A custom scenario has
    /// no id to name (it stays in the saved session), so its link names only seed, speed and
    /// language.
    pub fn query(&self) -> String {
        let mut parts = Vec::new();
        if let Some(id) = &self.builtin {
            // Built-in ids are lowercase letters, digits and hyphens: nothing to escape.
            debug_assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
            parts.push(format!("scenario={id}"));
        }
        parts.push(format!("seed={}", self.seed));
        parts.push(format!("speed={}", self.speed));
        parts.push(format!("lang={}", self.lang.code()));
        format!("?{}", parts.join("&"))
    }
}

/// What a stored value says, once checked.
#[derive(Debug, PartialEq)]
pub enum StoredOutcome {
    Nothing,
    Session(StoredSession),
    /// Unreadable: the raw text should be set aside and a notice shown.
    Corrupt,
}

pub fn read_stored(raw: Option<&str>) -> StoredOutcome {
    match raw {
        None => StoredOutcome::Nothing,
        Some(text) => match StoredSession::from_json(text) {
            Ok(session) if session.speed.is_finite() => StoredOutcome::Session(session),
            _ => StoredOutcome::Corrupt,
        },
    }
}

/// The starting state from what was stored and the URL; the URL wins where both speak.
pub fn starting_state(
    stored: StoredOutcome,
    url: &UrlSettings,
    browser_lang: Lang,
) -> (AppState, Vec<NoticeSpec>) {
    let mut notices = Vec::new();
    let mut state = AppState::initial(url.lang.unwrap_or(browser_lang));
    match stored {
        StoredOutcome::Nothing => {}
        StoredOutcome::Corrupt => notices.push((Msg::NoticeStoredCorrupt, Vec::new())),
        StoredOutcome::Session(session) => {
            if let Some(custom) = &session.custom {
                match parse_scenario(custom) {
                    Ok(scenario) => {
                        state = AppState::new(
                            ScenarioSource::Custom(Rc::from(custom.as_str())),
                            Arc::new(scenario),
                            session.seed,
                            session.speed,
                            session.lang,
                        );
                    }
                    Err(_) => notices.push((Msg::NoticeStoredScenarioInvalid, Vec::new())),
                }
            } else if let Some(Some(Ok(scenario))) = session.builtin.as_deref().map(load_builtin) {
                state = AppState::new(
                    ScenarioSource::Builtin(scenario.id.clone()),
                    Arc::new(scenario),
                    session.seed,
                    session.speed,
                    session.lang,
                );
            }
            if let Some(lang) = url.lang {
                state.lang = lang;
            }
        }
    }
    if let Some(id) = &url.scenario
        && let Some(Ok(scenario)) = load_builtin(id)
    {
        let lang = state.lang;
        let speed = state.speed;
        state = AppState::new(
            ScenarioSource::Builtin(id.clone()),
            Arc::new(scenario),
            state.seed,
            speed,
            lang,
        );
        state.seed = state.scenario.seed;
    }
    if let Some(seed) = url.seed {
        state.seed = seed;
    }
    if let Some(speed) = url.speed {
        state.speed = clamp_speed(speed);
    }
    state.playing = url.autoplay;
    state.selftest_panic = url.selftest_panic;
    (state, notices)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_bar_query_opens_the_same_state_again() {
        for id in builtin_ids() {
            for (seed, speed, lang) in [
                (1, 1.0, Lang::En),
                (u64::MAX, 0.1, Lang::Hi),
                (7, 100.0, Lang::En),
            ] {
                let session = StoredSession {
                    builtin: Some(id.to_string()),
                    custom: None,
                    seed,
                    speed,
                    lang,
                };
                let query = session.query();
                let (url, notices) = parse_url(&query);
                assert!(notices.is_empty(), "{query}: {notices:?}");
                let (state, _) = starting_state(StoredOutcome::Nothing, &url, Lang::En);
                assert_eq!(StoredSession::of(&state), session, "{query}");
            }
        }
        // A custom scenario keeps its text in the session; the link names no scenario.
        let custom = StoredSession {
            builtin: None,
            custom: Some("id = \"x\"".into()),
            seed: 3,
            speed: 2.0,
            lang: Lang::Hi,
        };
        assert_eq!(custom.query(), "?seed=3&speed=2&lang=hi");
    }

    #[test]
    fn good_parameters_are_read() {
        let (settings, notices) = parse_url("?scenario=mm1&seed=42&speed=2.5&lang=hi&autoplay=1");
        assert!(notices.is_empty(), "{notices:?}");
        assert_eq!(
            settings,
            UrlSettings {
                scenario: Some("mm1".into()),
                seed: Some(42),
                speed: Some(2.5),
                lang: Some(Lang::Hi),
                autoplay: true,
                selftest_panic: false,
            }
        );
    }

    #[test]
    fn bad_parameters_become_notices_and_defaults() {
        let (settings, notices) =
            parse_url("scenario=flipcart&seed=-1&speed=9000&lang=fr&autoplay=maybe&colour=red");
        assert_eq!(settings, UrlSettings::default());
        assert_eq!(notices.len(), 6, "{notices:?}");
        assert!(
            notices[0].1[2].contains("did you mean \"flipkart\""),
            "{:?}",
            notices[0]
        );
        assert_eq!(notices[1].1[0], "seed");
        assert!(notices[2].1[2].contains("0.1 to 100"));
    }

    #[test]
    fn escapes_are_decoded_and_long_values_shortened() {
        let (settings, _) = parse_url("scenario=tail%2Dat%2Dscale");
        assert_eq!(settings.scenario.as_deref(), Some("tail-at-scale"));
        let long = "x".repeat(500);
        let (_, notices) = parse_url(&format!("seed={long}%"));
        assert_eq!(notices[0].1[1].len(), 40);
    }

    #[test]
    fn corrupt_storage_is_reported_not_fatal() {
        assert_eq!(read_stored(Some("{not json")), StoredOutcome::Corrupt);
        assert_eq!(
            read_stored(Some(r#"{"seed": "x"}"#)),
            StoredOutcome::Corrupt
        );
        assert_eq!(read_stored(None), StoredOutcome::Nothing);
        let (state, notices) =
            starting_state(StoredOutcome::Corrupt, &UrlSettings::default(), Lang::En);
        assert_eq!(notices, vec![(Msg::NoticeStoredCorrupt, Vec::new())]);
        assert_eq!(state.scenario.id, "flipkart");
    }

    #[test]
    fn a_saved_session_round_trips_and_the_url_wins() {
        let mut state = AppState::initial(Lang::Hi);
        state.seed = 99;
        state.speed = 5.0;
        let text = StoredSession::of(&state).to_json().expect("a finite speed");
        let stored = read_stored(Some(&text));
        let (restored, notices) = starting_state(stored, &UrlSettings::default(), Lang::En);
        assert!(notices.is_empty());
        assert_eq!(
            (restored.seed, restored.speed, restored.lang),
            (99, 5.0, Lang::Hi)
        );

        let (url, _) = parse_url("seed=7&lang=en");
        let (restored, _) = starting_state(read_stored(Some(&text)), &url, Lang::Hi);
        assert_eq!((restored.seed, restored.lang), (7, Lang::En));
    }

    #[test]
    fn the_session_reader_is_strict_json() {
        let good = r#"{"builtin":"mm1","custom":null,"seed":7,"speed":2.0,"lang":"hi"}"#;
        assert!(matches!(read_stored(Some(good)), StoredOutcome::Session(_)));
        // Each of these was accepted by the hand-written reader this one replaced.
        for bad in [
            r#"{"builtin":"mm1","seed":01,"speed":2.0,"lang":"hi"}"#,
            r#"{"builtin":"mm1","seed":7,"speed":1.,"lang":"hi"}"#,
            r#"{"builtin":"mm1","seed":7,"speed":-.5,"lang":"hi"}"#,
            r#"{"builtin":"mm1","seed":7,"seed":8,"speed":2.0,"lang":"hi"}"#,
            r#"{"builtin":"\u+041","seed":7,"speed":2.0,"lang":"hi"}"#,
            r#"{"builtin":"mm1","seed":7,"speed":1e309,"lang":"hi"}"#,
        ] {
            assert_eq!(read_stored(Some(bad)), StoredOutcome::Corrupt, "{bad}");
            assert!(StoredSession::from_json(bad).is_err(), "{bad}");
        }
        let duplicate = StoredSession::from_json(
            r#"{"builtin":"mm1","seed":7,"seed":8,"speed":2.0,"lang":"hi"}"#,
        );
        assert!(
            duplicate
                .as_ref()
                .is_err_and(|e| e.contains("duplicate field")),
            "{duplicate:?}"
        );
    }

    #[test]
    fn a_session_with_a_speed_that_is_not_a_number_is_not_written() {
        let mut session = StoredSession::of(&AppState::initial(Lang::En));
        session.speed = f64::NAN;
        let error = session.to_json().expect_err("refused");
        assert!(error.contains("not a number JSON can hold"), "{error}");
    }

    #[test]
    fn a_saved_custom_scenario_that_no_longer_validates_is_set_aside() {
        let session = StoredSession {
            builtin: None,
            custom: Some("[[services]]".into()),
            seed: 1,
            speed: 1.0,
            lang: Lang::En,
        };
        let (state, notices) = starting_state(
            StoredOutcome::Session(session),
            &UrlSettings::default(),
            Lang::En,
        );
        assert_eq!(
            notices,
            vec![(Msg::NoticeStoredScenarioInvalid, Vec::new())]
        );
        assert_eq!(state.scenario.id, "flipkart");
    }
}
