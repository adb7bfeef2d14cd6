//! The metrics a caller supplies, checked against a model's declaration
//! before any script runs and resolved to the model's declared positions.

use crate::engine::assessment::AssessRequest;
use crate::engine::error::{EngineError, MetricViolation};
use crate::engine::model::Model;
use crate::engine::value::{MetricValue, Metrics, shorten};

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
    check_target(model, request.target_rank)?;
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

/// A target rank is 0 (the next level only) or one of the model's ranks.
fn check_target(model: &Model, target_rank: i32) -> Result<(), EngineError> {
    let top = model.spec().top_rank();
    if target_rank == 0 || (1..=top).contains(&target_rank) {
        return Ok(());
    }
    Err(EngineError::InvalidField {
        field: "target_rank",
        value: target_rank.to_string(),
        rule: format!(
            "is outside 1..={top}, the ranks of model '{}' (0 plans the next level only)",
            model.id()
        ),
    })
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
