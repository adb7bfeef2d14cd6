//! The values an organisation's metrics take, and the map a caller sends
//! them in. A leaf: everything else in the engine imports it, it imports
//! nothing of the engine.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One supplied metric value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MetricValue {
    /// For ratio, number and count metrics.
    Number(f64),
    /// For flag metrics.
    Flag(bool),
    /// For text metrics.
    Text(String),
}

impl MetricValue {
    /// Names the value's kind and the value itself, for error messages.
    pub fn describe(&self) -> String {
        match self {
            Self::Number(n) => format!("the number {n}"),
            Self::Flag(b) => format!("the flag {b}"),
            Self::Text(t) => format!("the text \"{}\"", shorten(t)),
        }
    }
}

impl std::fmt::Display for MetricValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::Flag(b) => write!(f, "{b}"),
            Self::Text(t) => write!(f, "\"{}\"", shorten(t)),
        }
    }
}

/// An organisation's metrics by name.
pub type Metrics = BTreeMap<String, MetricValue>;

/// The first 32 characters of `text`, so errors never echo huge inputs.
pub(crate) fn shorten(text: &str) -> &str {
    match text.char_indices().nth(32) {
        Some((cut, _)) => &text[..cut],
        None => text,
    }
}
