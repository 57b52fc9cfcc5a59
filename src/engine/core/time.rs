//! Virtual time: integer microseconds since the start of a run.
//!
//! Integer time keeps runs bit-identical on every platform and makes the event queue's order
//! (time, insertion sequence) exact. Floating point appears only while sampling a duration and is
//! rounded to a whole microsecond at once.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Sub};

pub const MICROS_PER_SECOND: u64 = 1_000_000;

/// A point in virtual time, in microseconds since the run started.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct SimTime(pub u64);

/// A span of virtual time in microseconds.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct SimDuration(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);

    pub fn as_micros(self) -> u64 {
        self.0
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_SECOND as f64
    }

    pub fn from_secs(secs: u64) -> SimTime {
        SimTime(secs.saturating_mul(MICROS_PER_SECOND))
    }

    /// Time elapsed since `earlier`, zero if `earlier` is in the future.
    pub fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);

    pub fn from_micros(us: u64) -> SimDuration {
        SimDuration(us)
    }

    pub fn from_millis(ms: u64) -> SimDuration {
        SimDuration(ms.saturating_mul(1_000))
    }

    pub fn from_secs(secs: u64) -> SimDuration {
        SimDuration(secs.saturating_mul(MICROS_PER_SECOND))
    }

    pub fn as_micros(self) -> u64 {
        self.0
    }

    /// Whole milliseconds, truncating (Java's `Duration.toMillis()`).
    pub fn as_millis(self) -> u64 {
        self.0 / 1_000
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / MICROS_PER_SECOND as f64
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, rhs: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, rhs: SimDuration) {
        self.0 = self.0.saturating_add(rhs.0);
    }
}

impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    fn sub(self, rhs: SimTime) -> SimDuration {
        self.saturating_since(rhs)
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, rhs: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(rhs.0))
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", format_micros(self.0))
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", format_micros(self.0))
    }
}

/// Formats microseconds the way a scenario author writes them: `250ms`, `1.5s`, `40us`.
pub fn format_micros(us: u64) -> String {
    if us == 0 {
        "0s".to_string()
    } else if us.is_multiple_of(MICROS_PER_SECOND) {
        format!("{}s", us / MICROS_PER_SECOND)
    } else if us >= MICROS_PER_SECOND {
        format!("{}s", trim_decimal(us as f64 / MICROS_PER_SECOND as f64))
    } else if us.is_multiple_of(1_000) {
        format!("{}ms", us / 1_000)
    } else if us >= 1_000 {
        format!("{}ms", trim_decimal(us as f64 / 1_000.0))
    } else {
        format!("{us}us")
    }
}

fn trim_decimal(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Why a duration or rate text could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitError(pub String);

impl fmt::Display for UnitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Splits `"1.5ms"` into the number `1.5` and the unit `"ms"`.
fn split_number_unit(text: &str) -> Option<(f64, &str)> {
    let trimmed = text.trim();
    let unit_start = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(unit_start);
    let number: String = number.chars().filter(|&c| c != '_').collect();
    if number.is_empty() {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    Some((value, unit.trim()))
}

/// Largest duration a scenario may name: 365 days. Beyond that a value is surely a typo.
pub const MAX_DURATION_US: u64 = 365 * 24 * 3600 * MICROS_PER_SECOND;

/// Reads a duration such as `"250ms"`, `"2s"`, `"1.5m"`, `"40us"`, `"1h"`.
pub fn parse_duration(text: &str) -> Result<SimDuration, UnitError> {
    let Some((value, unit)) = split_number_unit(text) else {
        return Err(UnitError(format!(
            "\"{text}\" is not a duration; write a number and a unit, like \"250ms\" or \"2s\""
        )));
    };
    let micros_per_unit = match unit {
        "us" | "µs" => 1.0,
        "ms" => 1_000.0,
        "s" => 1_000_000.0,
        "m" | "min" => 60_000_000.0,
        "h" => 3_600_000_000.0,
        "" => {
            return Err(UnitError(format!(
                "\"{text}\" has no unit; write \"{text}ms\" or \"{text}s\""
            )));
        }
        other => {
            return Err(UnitError(format!(
                "unknown time unit \"{other}\" in \"{text}\"; use us, ms, s, m or h"
            )));
        }
    };
    let micros = value * micros_per_unit;
    if !micros.is_finite() || micros > MAX_DURATION_US as f64 {
        return Err(UnitError(format!(
            "\"{text}\" is longer than the 365 days a scenario may span"
        )));
    }
    Ok(SimDuration(round_to_u64(micros)))
}

/// Largest arrival rate a scenario may name, per second.
pub const MAX_RATE_PER_S: f64 = 10_000_000.0;

/// Reads a rate such as `"200/s"`, `"30/min"`, `"5000/h"` or `"200rps"`, in requests per second.
pub fn parse_rate(text: &str) -> Result<f64, UnitError> {
    let Some((value, unit)) = split_number_unit(text) else {
        return Err(UnitError(format!(
            "\"{text}\" is not a rate; write a number and a unit, like \"200/s\""
        )));
    };
    let per_second = match unit.trim_start_matches('/') {
        "s" | "sec" | "rps" => value,
        "m" | "min" => value / 60.0,
        "h" => value / 3600.0,
        "" => {
            return Err(UnitError(format!(
                "\"{text}\" has no unit; write \"{text}/s\""
            )));
        }
        other => {
            return Err(UnitError(format!(
                "unknown rate unit \"{other}\" in \"{text}\"; use /s, /min or /h"
            )));
        }
    };
    if !per_second.is_finite() || per_second > MAX_RATE_PER_S {
        return Err(UnitError(format!(
            "\"{text}\" is above the 10,000,000/s a scenario may ask for"
        )));
    }
    Ok(per_second)
}

/// Rounds a non-negative float to the nearest whole number, saturating; NaN becomes 0.
pub fn round_to_u64(value: f64) -> u64 {
    if value.is_nan() || value <= 0.0 {
        0
    } else if value >= u64::MAX as f64 {
        u64::MAX
    } else {
        (value + 0.5) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_milliseconds_truncate_as_javas_to_millis() {
        assert_eq!(SimDuration(1_999).as_millis(), 1);
        assert_eq!(SimDuration(999).as_millis(), 0);
        assert_eq!(SimDuration::from_millis(7), SimDuration(7_000));
    }

    #[test]
    fn durations_read_every_unit() {
        assert_eq!(parse_duration("250ms"), Ok(SimDuration(250_000)));
        assert_eq!(parse_duration("2s"), Ok(SimDuration(2_000_000)));
        assert_eq!(parse_duration("1.5s"), Ok(SimDuration(1_500_000)));
        assert_eq!(parse_duration("40us"), Ok(SimDuration(40)));
        assert_eq!(parse_duration("2m"), Ok(SimDuration(120_000_000)));
        assert_eq!(parse_duration("1h"), Ok(SimDuration(3_600_000_000)));
        assert_eq!(parse_duration(" 0.1ms "), Ok(SimDuration(100)));
        assert_eq!(parse_duration("1_000ms"), Ok(SimDuration(1_000_000)));
    }

    #[test]
    fn bad_durations_say_why() {
        assert!(parse_duration("250").unwrap_err().0.contains("no unit"));
        assert!(
            parse_duration("5 parsecs")
                .unwrap_err()
                .0
                .contains("unknown time unit")
        );
        assert!(
            parse_duration("fast")
                .unwrap_err()
                .0
                .contains("not a duration")
        );
        assert!(parse_duration("-3s").is_err());
        assert!(parse_duration("400d").is_err());
        assert!(
            parse_duration("99999999h")
                .unwrap_err()
                .0
                .contains("365 days")
        );
    }

    #[test]
    fn rates_read_every_unit() {
        assert_eq!(parse_rate("200/s"), Ok(200.0));
        assert_eq!(parse_rate("60/min"), Ok(1.0));
        assert_eq!(parse_rate("7200/h"), Ok(2.0));
        assert_eq!(parse_rate("9rps"), Ok(9.0));
        assert!(parse_rate("200").is_err());
        assert!(parse_rate("1e9/s").is_err());
        assert!(parse_rate("20000000/s").is_err());
    }

    #[test]
    fn formatting_round_trips_through_parsing() {
        for us in [
            0, 7, 1_000, 1_500, 250_000, 1_000_000, 1_500_000, 90_000_000,
        ] {
            let text = format_micros(us);
            assert_eq!(parse_duration(&text), Ok(SimDuration(us)), "{text}");
        }
    }
}
