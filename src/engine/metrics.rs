//! The metrics a caller supplies, and their validation against a model's
//! declaration before any script runs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::assessment::AssessRequest;
use super::error::{EngineError, MetricViolation};
use super::model::Model;

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
            Self::Text(t) => write!(f, "\"{t}\""),
        }
    }
}

/// An organisation's metrics by name.
pub type Metrics = BTreeMap<String, MetricValue>;

/// The most metrics one request may carry.
pub const MAX_METRICS: usize = 1024;
/// The longest metric name accepted, in bytes.
pub const MAX_METRIC_NAME: usize = 128;
/// The longest subject id accepted, in bytes.
pub const MAX_SUBJECT_ID: usize = 256;

/// The supplied metrics matched against one model's declaration.
#[derive(Debug)]
pub(crate) struct Resolved<'a> {
    /// Each declared metric's supplied value, by declared position.
    pub(crate) values: Vec<Option<&'a MetricValue>>,
    /// The supplied metrics the model does not read.
    pub(crate) ignored: Vec<&'a str>,
}

/// Matches `metrics` with `model`'s declarations in one pass over both
/// sorted name lists, so no name is hashed or looked up.
pub(crate) fn resolve<'a>(model: &Model, metrics: &'a Metrics) -> Resolved<'a> {
    let mut values = vec![None; model.spec().metrics.len()];
    let mut ignored = Vec::new();
    let mut declared = model.by_name().iter().peekable();
    for (name, value) in metrics {
        while declared.next_if(|(d, _)| d < name).is_some() {}
        match declared.next_if(|(d, _)| d == name) {
            Some(&(_, at)) => values[at] = Some(value),
            None => ignored.push(name.as_str()),
        }
    }
    Resolved { values, ignored }
}

/// Checks the request's size, then its metrics against `model`'s
/// declarations: returns them resolved, or every violation.
pub(crate) fn validate<'a>(
    model: &Model,
    request: &'a AssessRequest,
) -> Result<Resolved<'a>, EngineError> {
    check_size(request)?;
    let resolved = resolve(model, &request.metrics);
    // In name order, as the request lists them.
    let declared = &model.spec().metrics;
    let violations: Vec<MetricViolation> = model
        .by_name()
        .iter()
        .filter_map(|&(_, at)| {
            let spec = &declared[at];
            let rule = spec.check(resolved.values[at]?).err()?;
            Some(MetricViolation {
                metric: spec.name.clone(),
                rule,
            })
        })
        .collect();
    if violations.is_empty() {
        Ok(resolved)
    } else {
        Err(EngineError::InvalidMetrics { violations })
    }
}

fn check_size(request: &AssessRequest) -> Result<(), EngineError> {
    let metrics = &request.metrics;
    if request.subject_id.len() > MAX_SUBJECT_ID {
        return Err(EngineError::RequestTooLarge {
            field: "subject_id length".into(),
            actual: request.subject_id.len(),
            limit: MAX_SUBJECT_ID,
        });
    }
    if metrics.len() > MAX_METRICS {
        return Err(EngineError::RequestTooLarge {
            field: "metrics".into(),
            actual: metrics.len(),
            limit: MAX_METRICS,
        });
    }
    match metrics.keys().find(|name| name.len() > MAX_METRIC_NAME) {
        Some(name) => Err(EngineError::RequestTooLarge {
            field: format!("metrics[{}…] name length", shorten(name)),
            actual: name.len(),
            limit: MAX_METRIC_NAME,
        }),
        None => Ok(()),
    }
}

/// The first 32 characters of `text`, so errors never echo huge inputs.
pub(crate) fn shorten(text: &str) -> &str {
    match text.char_indices().nth(32) {
        Some((cut, _)) => &text[..cut],
        None => text,
    }
}
