//! Conversions between the protobuf messages and the engine's types; nothing
//! else.

use super::pb;
use super::pb::metric_value::Kind;
use crate::deploy::{DeployError, Refusal};
use crate::engine::Diagnostic;
use crate::engine::cases::{Case, Expectation};
use crate::engine::suite::CaseOutcome;
use crate::engine::{
    AssessRequest, Assessment, Comparison, CriterionResult, CriterionTexts, DimensionResult,
    Direction, EngineError, Horizon, Intervention, Level, Lever, MAX_METRIC_NAME, MAX_METRICS,
    MAX_SUBJECT_ID, MetricKind, MetricSpec, MetricValue, MetricViolation, Model, Outcome,
    Requirement, Text, View,
};

/// Reads an `AssessRequest`: its size first (the number of metrics, the
/// length of each name and of the subject id), before any work per metric;
/// then rejects metrics that carry no value.
pub fn request_from_pb(request: pb::AssessRequest) -> Result<AssessRequest, EngineError> {
    check_size(&request)?;
    let view = match pb::View::try_from(request.view) {
        Ok(pb::View::Basic) => View::Basic,
        Ok(pb::View::Unspecified) => View::Full,
        Err(_) => {
            return Err(EngineError::InvalidField {
                field: "view",
                value: request.view.to_string(),
                rule: "must be VIEW_UNSPECIFIED (0, the full answer) or VIEW_BASIC (1)".into(),
            });
        }
    };
    let mut violations = Vec::new();
    // Already in name order: collecting builds the map without searching.
    let metrics: crate::engine::Metrics = request
        .metrics
        .into_iter()
        .filter_map(|(name, value)| match value.kind {
            Some(kind) => Some((name, metric_from_pb(kind))),
            None => {
                violations.push(MetricViolation {
                    metric: name,
                    rule: "no value set: give a number, flag or text".into(),
                });
                None
            }
        })
        .collect();
    if !violations.is_empty() {
        return Err(EngineError::InvalidMetrics { violations });
    }
    Ok(AssessRequest {
        model: request.model,
        metrics,
        subject_id: request.subject_id,
        explain: request.explain,
        target_rank: request.target_rank,
        view,
    })
}

/// The request's size against the engine's limits, checked on the
/// message as decoded, before anything is copied.
fn check_size(request: &pb::AssessRequest) -> Result<(), EngineError> {
    let too_large = |field: String, actual, limit| {
        Err(EngineError::RequestTooLarge {
            field,
            actual,
            limit,
        })
    };
    if request.metrics.len() > MAX_METRICS {
        return too_large("metrics".into(), request.metrics.len(), MAX_METRICS);
    }
    if request.request_id.len() > super::stream::MAX_REQUEST_ID {
        let (actual, limit) = (request.request_id.len(), super::stream::MAX_REQUEST_ID);
        return too_large("request_id length".into(), actual, limit);
    }
    if request.subject_id.len() > MAX_SUBJECT_ID {
        let actual = request.subject_id.len();
        return too_large("subject_id length".into(), actual, MAX_SUBJECT_ID);
    }
    match request.metrics.keys().find(|n| n.len() > MAX_METRIC_NAME) {
        Some(name) => {
            let field = format!("metrics[{}…] name length", short(name));
            too_large(field, name.len(), MAX_METRIC_NAME)
        }
        None => Ok(()),
    }
}

/// The first 32 characters of `text`.
fn short(text: &str) -> &str {
    match text.char_indices().nth(32) {
        Some((cut, _)) => &text[..cut],
        None => text,
    }
}

fn metric_from_pb(kind: Kind) -> MetricValue {
    match kind {
        Kind::Number(n) => MetricValue::Number(n),
        Kind::Flag(b) => MetricValue::Flag(b),
        Kind::Text(t) => MetricValue::Text(t),
    }
}

/// A metric value as protobuf.
pub fn metric_to_pb_value(value: MetricValue) -> pb::MetricValue {
    let kind = match value {
        MetricValue::Number(n) => Kind::Number(n),
        MetricValue::Flag(b) => Kind::Flag(b),
        MetricValue::Text(t) => Kind::Text(t),
    };
    pb::MetricValue { kind: Some(kind) }
}

/// A protobuf metric value, if it carries one.
pub fn metric_from_pb_value(value: pb::MetricValue) -> Option<MetricValue> {
    value.kind.map(metric_from_pb)
}

/// Writes an engine request as protobuf (for clients).
pub fn request_to_pb(request: AssessRequest) -> pb::AssessRequest {
    let metrics = request
        .metrics
        .into_iter()
        .map(|(name, value)| (name, metric_to_pb_value(value)))
        .collect();
    pb::AssessRequest {
        model: request.model,
        metrics,
        subject_id: request.subject_id,
        explain: request.explain,
        request_id: String::new(),
        script_sha256: String::new(),
        target_rank: request.target_rank,
        view: match request.view {
            View::Basic => pb::View::Basic,
            View::Full => pb::View::Unspecified,
        }
        .into(),
    }
}

impl From<Level> for pb::Level {
    fn from(l: Level) -> Self {
        Self {
            rank: l.rank,
            id: l.id.as_str().to_owned(),
            name: l.name.as_str().to_owned(),
            summary: l.summary.as_str().to_owned(),
        }
    }
}

impl From<pb::Level> for Level {
    fn from(l: pb::Level) -> Self {
        Self {
            rank: l.rank,
            id: l.id.into(),
            name: l.name.into(),
            summary: l.summary.into(),
        }
    }
}

impl From<Assessment> for pb::Assessment {
    fn from(a: Assessment) -> Self {
        Self {
            model: a.model.as_str().to_owned(),
            model_version: a.model_version.as_str().to_owned(),
            script_sha256: a.script_sha256.as_str().to_owned(),
            subject_id: a.subject_id,
            level: Some(a.level.into()),
            next_level: a.next_level.map(Into::into),
            ceiling: Some(a.ceiling.into()),
            dimensions: a.dimensions.into_iter().map(Into::into).collect(),
            score: a.score,
            confidence: a.confidence,
            criteria: a.criteria.into_iter().map(Into::into).collect(),
            interventions: a.interventions.into_iter().map(Into::into).collect(),
            missing_metrics: a.missing_metrics,
            ignored_metrics: a.ignored_metrics,
            why_not_higher: a.why_not_higher,
            levers: a.levers.into_iter().map(Into::into).collect(),
            levers_reach_next_level: a.levers_reach_next_level,
            // Stamped by the server, never by the engine.
            assessment_id: String::new(),
            evaluated_at: String::new(),
        }
    }
}

impl From<pb::Assessment> for Assessment {
    fn from(a: pb::Assessment) -> Self {
        Self {
            model: a.model.into(),
            model_version: a.model_version.into(),
            script_sha256: a.script_sha256.into(),
            subject_id: a.subject_id,
            level: a.level.map(Into::into).unwrap_or_else(unset_level),
            next_level: a.next_level.map(Into::into),
            ceiling: a.ceiling.map(Into::into).unwrap_or_else(unset_level),
            dimensions: a.dimensions.into_iter().map(Into::into).collect(),
            score: a.score,
            confidence: a.confidence,
            criteria: a.criteria.into_iter().map(Into::into).collect(),
            interventions: a.interventions.into_iter().map(Into::into).collect(),
            missing_metrics: a.missing_metrics,
            ignored_metrics: a.ignored_metrics,
            why_not_higher: a.why_not_higher,
            levers: a.levers.into_iter().map(Into::into).collect(),
            levers_reach_next_level: a.levers_reach_next_level,
        }
    }
}

fn unset_level() -> Level {
    Level {
        rank: 0,
        id: String::new().into(),
        name: String::new().into(),
        summary: String::new().into(),
    }
}

impl From<DimensionResult> for pb::Dimension {
    fn from(d: DimensionResult) -> Self {
        Self {
            id: d.id.as_str().to_owned(),
            name: d.name.as_str().to_owned(),
            rank: d.rank,
            score: d.score,
            passed: d.passed as i32,
            total: d.total as i32,
            unknown: d.unknown as i32,
        }
    }
}

impl From<pb::Dimension> for DimensionResult {
    fn from(d: pb::Dimension) -> Self {
        let count = |n: i32| u32::try_from(n).unwrap_or(0);
        Self {
            id: d.id.into(),
            name: d.name.into(),
            rank: d.rank,
            score: d.score,
            passed: count(d.passed),
            total: count(d.total),
            unknown: count(d.unknown),
        }
    }
}

/// An outcome as the API spells it.
pub(crate) fn outcome_to_pb(o: Outcome) -> pb::Outcome {
    match o {
        Outcome::Passed => pb::Outcome::Passed,
        Outcome::Failed => pb::Outcome::Failed,
        Outcome::Unknown => pb::Outcome::Unknown,
        Outcome::NotApplicable => pb::Outcome::NotApplicable,
    }
}

/// An outcome from a server; an unspecified one (an older server) is read
/// from `passed`.
fn outcome_from_pb(o: pb::Outcome, passed: bool) -> Outcome {
    match o {
        pb::Outcome::Passed => Outcome::Passed,
        pb::Outcome::Failed => Outcome::Failed,
        pb::Outcome::Unknown => Outcome::Unknown,
        pb::Outcome::NotApplicable => Outcome::NotApplicable,
        pb::Outcome::Unspecified if passed => Outcome::Passed,
        pb::Outcome::Unspecified => Outcome::Failed,
    }
}

fn horizon_to_pb(h: Horizon) -> pb::Horizon {
    match h {
        Horizon::Now => pb::Horizon::Now,
        Horizon::Next => pb::Horizon::Next,
        Horizon::Later => pb::Horizon::Later,
    }
}

fn horizon_from_pb(h: pb::Horizon) -> Horizon {
    match h {
        pb::Horizon::Now => Horizon::Now,
        pb::Horizon::Later => Horizon::Later,
        pb::Horizon::Next | pb::Horizon::Unspecified => Horizon::Next,
    }
}

impl From<CriterionResult> for pb::CriterionResult {
    fn from(c: CriterionResult) -> Self {
        Self {
            id: c.texts.id.as_str().to_owned(),
            rank: c.rank,
            passed: c.passed,
            outcome: outcome_to_pb(c.outcome).into(),
            dimension: c.texts.dimension.as_str().to_owned(),
            description: c.texts.description.as_str().to_owned(),
            metrics: c
                .texts
                .metrics
                .iter()
                .map(|m| m.as_str().to_owned())
                .collect(),
            observed: c.observed,
            missing_metrics: c.missing_metrics,
            requirements: c.requirements.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<pb::CriterionResult> for CriterionResult {
    fn from(c: pb::CriterionResult) -> Self {
        Self {
            outcome: outcome_from_pb(c.outcome(), c.passed),
            texts: std::sync::Arc::new(CriterionTexts {
                id: c.id.into(),
                dimension: c.dimension.into(),
                description: c.description.into(),
                metrics: c.metrics.into_iter().map(Text::from).collect(),
            }),
            rank: c.rank,
            passed: c.passed,
            observed: c.observed,
            missing_metrics: c.missing_metrics,
            requirements: c
                .requirements
                .into_iter()
                .filter_map(requirement_from_pb)
                .collect(),
        }
    }
}

impl From<Requirement> for pb::Requirement {
    fn from(r: Requirement) -> Self {
        let comparison = match r.comparison {
            Comparison::AtLeast => pb::Comparison::AtLeast,
            Comparison::MoreThan => pb::Comparison::MoreThan,
            Comparison::AtMost => pb::Comparison::AtMost,
            Comparison::LessThan => pb::Comparison::LessThan,
            Comparison::Is => pb::Comparison::Is,
        };
        Self {
            text: r.text(),
            metric: r.metric,
            observed: r.observed.map(metric_to_pb_value),
            comparison: comparison.into(),
            threshold: Some(metric_to_pb_value(r.threshold)),
            met: r.met,
        }
    }
}

/// A requirement from a server; `None` when it names no known comparison.
fn requirement_from_pb(r: pb::Requirement) -> Option<Requirement> {
    let comparison = match r.comparison() {
        pb::Comparison::AtLeast => Comparison::AtLeast,
        pb::Comparison::MoreThan => Comparison::MoreThan,
        pb::Comparison::AtMost => Comparison::AtMost,
        pb::Comparison::LessThan => Comparison::LessThan,
        pb::Comparison::Is => Comparison::Is,
        pb::Comparison::Unspecified => return None,
    };
    Some(Requirement {
        metric: r.metric,
        observed: r.observed.and_then(metric_from_pb_value),
        comparison,
        threshold: r.threshold.and_then(metric_from_pb_value)?,
        met: r.met,
    })
}

impl From<Lever> for pb::Lever {
    fn from(l: Lever) -> Self {
        Self {
            metric: l.metric,
            current: l.current.map(metric_to_pb_value),
            target: Some(metric_to_pb_value(l.target)),
            change: l.change,
            criteria: l.criteria,
            sufficient_alone: l.sufficient_alone,
        }
    }
}

impl From<pb::Lever> for Lever {
    fn from(l: pb::Lever) -> Self {
        Self {
            metric: l.metric,
            current: l.current.and_then(metric_from_pb_value),
            target: l
                .target
                .and_then(metric_from_pb_value)
                .unwrap_or(MetricValue::Number(f64::NAN)),
            change: l.change,
            criteria: l.criteria,
            sufficient_alone: l.sufficient_alone,
        }
    }
}

impl From<Intervention> for pb::Intervention {
    fn from(i: Intervention) -> Self {
        Self {
            id: i.id.as_str().to_owned(),
            title: i.title.as_str().to_owned(),
            description: i.description.as_str().to_owned(),
            priority: i.priority,
            target_rank: i.target_rank,
            metrics: i.metrics.iter().map(|m| m.as_str().to_owned()).collect(),
            reason: i.reason,
            horizon: horizon_to_pb(i.horizon).into(),
            blocking: i.blocking,
        }
    }
}

impl From<pb::Intervention> for Intervention {
    fn from(i: pb::Intervention) -> Self {
        Self {
            horizon: horizon_from_pb(i.horizon()),
            blocking: i.blocking,
            id: i.id.into(),
            title: i.title.into(),
            description: i.description.into(),
            priority: i.priority,
            target_rank: i.target_rank,
            metrics: i.metrics.into_iter().map(Text::from).collect(),
            reason: i.reason,
        }
    }
}

/// Describes a loaded model.
pub fn model_to_pb(model: &Model) -> pb::Model {
    let spec = model.spec();
    pb::Model {
        id: spec.id.as_str().to_owned(),
        name: spec.name.as_str().to_owned(),
        version: spec.version.as_str().to_owned(),
        description: spec.description.as_str().to_owned(),
        levels: spec.levels.iter().cloned().map(Into::into).collect(),
        script_sha256: model.sha256().to_owned(),
        metrics: spec.metrics.iter().map(metric_to_pb).collect(),
        file: model.file().to_owned(),
        load_error: String::new(),
        // The versions kept are the catalog's to say.
        kept_versions: Vec::new(),
        dimensions: spec
            .dimensions
            .iter()
            .map(|d| pb::DimensionSpec {
                id: d.id.as_str().to_owned(),
                name: d.name.as_str().to_owned(),
                description: d.description.as_str().to_owned(),
            })
            .collect(),
    }
}

fn metric_to_pb(m: &MetricSpec) -> pb::MetricSpec {
    let kind = match m.kind {
        MetricKind::Ratio => pb::MetricKind::Ratio,
        MetricKind::Number => pb::MetricKind::Number,
        MetricKind::Count => pb::MetricKind::Count,
        MetricKind::Flag => pb::MetricKind::Flag,
        MetricKind::Text => pb::MetricKind::Text,
    };
    let direction = match m.direction {
        Direction::Higher => pb::Direction::Higher,
        Direction::Lower => pb::Direction::Lower,
        Direction::True => pb::Direction::True,
        Direction::None => pb::Direction::None,
        Direction::False => pb::Direction::False,
    };
    pb::MetricSpec {
        name: m.name.as_str().to_owned(),
        kind: kind.into(),
        min: m.min,
        max: m.max,
        direction: direction.into(),
        description: m.description.as_str().to_owned(),
        allowed_values: m.allowed.clone(),
    }
}

/// A diagnostic as protobuf.
pub fn diagnostic_to_pb(d: &Diagnostic) -> pb::Diagnostic {
    pb::Diagnostic {
        file: d.file.clone(),
        line: u32::try_from(d.line).unwrap_or(u32::MAX),
        column: u32::try_from(d.column).unwrap_or(u32::MAX),
        message: d.message.clone(),
        source_line: d.source_line.clone().unwrap_or_default(),
    }
}

/// A refused script file as protobuf.
pub fn failure_to_pb(file: &str, refusal: &Refusal) -> pb::ScriptFailure {
    pb::ScriptFailure {
        file: file.to_owned(),
        error: refusal.to_string(),
        diagnostics: refusal.diagnostics().iter().map(diagnostic_to_pb).collect(),
    }
}

/// A test case's outcome as protobuf.
pub fn case_result_to_pb(o: &CaseOutcome) -> pb::CaseResult {
    let (rank, level_id) = o.got.clone().unwrap_or_default();
    pb::CaseResult {
        name: if o.name.is_empty() {
            o.file.clone()
        } else {
            o.name.clone()
        },
        passed: o.passed(),
        rank,
        level_id,
        failures: o.failures.clone(),
    }
}

/// A test case as protobuf, to send with a deploy.
pub fn case_to_pb(case: Case) -> pb::TestCase {
    pb::TestCase {
        name: case.name,
        metrics: case
            .metrics
            .into_iter()
            .map(|(name, value)| (name, metric_to_pb_value(value)))
            .collect(),
        expect_rank: case.expect.rank,
        expect_level_id: case.expect.level_id,
        expect_interventions_name_any_of: case.expect.interventions_name_any_of,
        expect_criteria: case.expect.criteria.into_iter().collect(),
        expect_now: case.expect.now,
    }
}

/// A test case from a request (the `index`th), or the error naming the
/// metric with no value.
pub fn case_from_pb(index: usize, case: pb::TestCase) -> Result<Case, DeployError> {
    let mut metrics = crate::engine::Metrics::new();
    for (name, value) in case.metrics {
        let value = metric_from_pb_value(value).ok_or_else(|| DeployError::InvalidCase {
            index,
            name: short(&case.name).to_owned(),
            reason: format!(
                "metrics[{}]: no value set: give a number, flag or text",
                short(&name)
            ),
        })?;
        metrics.insert(name, value);
    }
    Ok(Case {
        name: case.name,
        model: String::new(),
        why: String::new(),
        metrics,
        subject_id: String::new(),
        target_rank: 0,
        expect: Expectation {
            rank: case.expect_rank,
            level_id: case.expect_level_id,
            interventions_name_any_of: case.expect_interventions_name_any_of,
            criteria: case.expect_criteria.into_iter().collect(),
            now: case.expect_now,
        },
    })
}
