//! JSON rules shared by everything Lokal writes and reads (command logs, sessions, exports,
//! reports): `serde_json` does the work; this module adds what it does not refuse by itself.
//!
//! - Reading goes through derived types, so serde_json's grammar holds (no `01`, `1.`, `-.5`,
//!   `NaN`, bad escapes; `1e309` is out of range) and a duplicated or unknown key is an error.
//! - Writing a float that is not finite is an error: JSON has no NaN or infinity, and
//!   serde_json would silently write `null` in its place.

use serde::Serializer;

/// Serialises an `f64`, refusing NaN and the infinities with a message naming the value.
pub fn finite<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.is_finite() {
        serializer.serialize_f64(*value)
    } else {
        Err(serde::ser::Error::custom(format!(
            "{value} is not a number JSON can hold (only finite numbers are written)"
        )))
    }
}

/// `finite` for an optional value.
pub fn finite_option<S: Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(value) => finite(value, serializer),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    #[derive(Serialize)]
    struct Speed {
        #[serde(serialize_with = "super::finite")]
        speed: f64,
    }

    #[test]
    fn non_finite_numbers_are_refused_not_written_as_null() {
        assert_eq!(
            serde_json::to_string(&Speed { speed: 2.5 }).ok().as_deref(),
            Some(r#"{"speed":2.5}"#)
        );
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let error = serde_json::to_string(&Speed { speed: bad }).expect_err("refused");
            assert!(
                error.to_string().contains("not a number JSON can hold"),
                "{error}"
            );
        }
    }
}
