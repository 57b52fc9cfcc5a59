//! Text a course author writes in English and, optionally, Hindi.

use serde::Serialize;

/// Text a course author wrote in English and, optionally, Hindi.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Text {
    pub en: String,
    pub hi: Option<String>,
}

impl Text {
    pub fn english(text: impl Into<String>) -> Text {
        Text {
            en: text.into(),
            hi: None,
        }
    }

    /// The text in `lang` ("en" or "hi"), falling back to English.
    pub fn in_language(&self, lang: &str) -> &str {
        match (lang, &self.hi) {
            ("hi", Some(hindi)) => hindi,
            _ => &self.en,
        }
    }
}
