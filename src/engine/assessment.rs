//! What an assessment answers: the level, the evidence behind it and the
//! interventions that would move the organisation up.

use serde::{Deserialize, Serialize};

use crate::engine::model::spec::Level;
use crate::engine::value::{MetricValue, Metrics, Names, Text};

/// How a value must compare with a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// value >= threshold
    AtLeast,
    /// value > threshold
    MoreThan,
    /// value <= threshold
    AtMost,
    /// value < threshold
    LessThan,
    /// value == threshold (flags)
    Is,
}

impl Comparison {
    /// The comparison in plain words, e.g. "at least".
    pub fn words(self) -> &'static str {
        match self {
            Self::AtLeast => "at least",
            Self::MoreThan => "more than",
            Self::AtMost => "at most",
            Self::LessThan => "less than",
            Self::Is => "",
        }
    }

    /// Whether `value` satisfies the comparison with `threshold`.
    pub fn holds(self, value: &MetricValue, threshold: &MetricValue) -> bool {
        match (self, value, threshold) {
            (Self::AtLeast, MetricValue::Number(v), MetricValue::Number(t)) => v >= t,
            (Self::MoreThan, MetricValue::Number(v), MetricValue::Number(t)) => v > t,
            (Self::AtMost, MetricValue::Number(v), MetricValue::Number(t)) => v <= t,
            (Self::LessThan, MetricValue::Number(v), MetricValue::Number(t)) => v < t,
            (Self::Is, v, t) => v == t,
            _ => false,
        }
    }
}

/// A request to place one organisation on one model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AssessRequest {
    /// The model's id.
    pub model: String,
    /// The organisation's metrics.
    pub metrics: Metrics,
    /// The caller's id for the organisation, echoed back.
    #[serde(default)]
    pub subject_id: String,
    /// Report the values each criterion observed.
    #[serde(default)]
    pub explain: bool,
    /// Plan the work up to this rank (0: up to the next level only).
    #[serde(default)]
    pub target_rank: i32,
    /// How much of the answer to build.
    #[serde(default)]
    pub view: View,
}

/// How much of an assessment to build.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum View {
    /// Everything: criteria, requirements, the whole plan with descriptions.
    #[default]
    Full,
    /// What a platform scoring in bulk stores: level, ceiling, score,
    /// confidence, dimensions and the ids and titles of what is due now.
    /// No criteria, requirements, descriptions or explanation.
    Basic,
}

/// How one criterion comes out for one organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It holds.
    Passed,
    /// It does not hold.
    Failed,
    /// A metric it needs was not supplied, so it could go either way.
    Unknown,
    /// The organisation's own metrics say it does not apply (e.g. retention
    /// where revenue does not recur).
    NotApplicable,
}

impl Outcome {
    /// Whether it stands in no one's way: passed, or does not apply.
    pub fn holds(self) -> bool {
        matches!(self, Self::Passed | Self::NotApplicable)
    }

    /// The outcome's name, as the text report and case files write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Unknown => "unknown",
            Self::NotApplicable => "not_applicable",
        }
    }
}

/// When an intervention is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Horizon {
    /// This quarter: at most three.
    Now,
    /// The rest of the next level's work.
    Next,
    /// The levels beyond, when a roadmap was asked for.
    Later,
}

/// Where an organisation stands along one of the model's dimensions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DimensionResult {
    /// The dimension's id.
    pub id: Text,
    /// Its display name.
    pub name: Text,
    /// The highest rank up to which every criterion of the dimension holds.
    pub rank: i32,
    /// Share (0..1) of its applicable criteria that passed; 1 when none
    /// applies.
    pub score: f64,
    /// Criteria that passed.
    pub passed: u32,
    /// Criteria that apply (passed, failed or unknown).
    pub total: u32,
    /// Criteria that are unknown for want of a metric.
    pub unknown: u32,
}

impl DimensionResult {
    /// Share (0..1) of its applicable criteria that passed or might: what
    /// `score` would be if every unknown criterion held.
    pub fn possible(&self) -> f64 {
        if self.total == 0 {
            return 1.0;
        }
        f64::from(self.passed + self.unknown) / f64::from(self.total)
    }
}

/// What a criterion says of itself: the model's texts, shared by every
/// answer that quotes the criterion (one reference count per answer's
/// criterion, not one per text).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CriterionTexts {
    /// The criterion's id.
    pub id: Text,
    /// The dimension it belongs to ("" when the model has none).
    #[serde(default)]
    pub dimension: Text,
    /// What it asks.
    pub description: Text,
    /// The metrics it reads.
    pub metrics: Names,
}

/// The outcome of one criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionResult {
    /// Its id, dimension, description and metrics.
    #[serde(flatten)]
    pub texts: std::sync::Arc<CriterionTexts>,
    /// The rank it belongs to.
    pub rank: i32,
    /// Whether the organisation meets it (only when `outcome` is passed).
    pub passed: bool,
    /// Passed, failed, unknown or not applicable.
    pub outcome: Outcome,
    /// "name=value" pairs it saw (empty unless explain was asked for).
    pub observed: String,
    /// The metrics it reads that were not supplied.
    pub missing_metrics: Vec<String>,
    /// What each metric is held against (empty unless explain was asked for).
    #[serde(default)]
    pub requirements: Vec<Requirement>,
}

/// The threshold a criterion holds one metric against, found by re-running
/// its check, and the value the organisation has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Requirement {
    /// The metric.
    pub metric: String,
    /// The supplied value, if any.
    pub observed: Option<MetricValue>,
    /// How the value must compare with `threshold`.
    pub comparison: Comparison,
    /// The threshold.
    pub threshold: MetricValue,
    /// Whether the supplied value meets it.
    pub met: bool,
}

impl Requirement {
    /// The requirement in plain words, e.g. "crm_adoption is 0.6, needs at least 0.85".
    pub fn text(&self) -> String {
        let threshold = self.threshold.readable();
        let needs = match self.comparison {
            Comparison::Is => threshold,
            other => format!("{} {threshold}", other.words()),
        };
        match &self.observed {
            Some(value) => {
                let verb = if self.met { "meets" } else { "needs" };
                format!("{} is {}, {verb} {needs}", self.metric, value.readable())
            }
            None => format!(
                "{} is not supplied: supply it to decide (needs {needs})",
                self.metric
            ),
        }
    }
}

/// The smallest change of one metric that helps lift the organisation to the
/// next level, found by re-running the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lever {
    /// The metric to move.
    pub metric: String,
    /// Its supplied value, if any.
    pub current: Option<MetricValue>,
    /// The value to move it to.
    pub target: MetricValue,
    /// target - current, for numbers that were supplied.
    pub change: Option<f64>,
    /// The failing criteria this change makes hold (given the other levers).
    pub criteria: Vec<String>,
    /// Whether this change alone lifts the organisation to the next level.
    pub sufficient_alone: bool,
}

/// One recommended action, in priority order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Intervention {
    /// The intervention's id.
    pub id: Text,
    /// Short imperative title.
    pub title: Text,
    /// What to do, the risk and the mistake to avoid.
    pub description: Text,
    /// 1 = first.
    pub priority: i32,
    /// The rank it helps reach.
    pub target_rank: i32,
    /// The metrics it would move.
    pub metrics: Names,
    /// The criterion or signal that called for it.
    pub reason: String,
    /// When it is due.
    pub horizon: Horizon,
    /// Whether a criterion of a level ahead calls for it, rather than a
    /// symptom or the advice for staying at the top.
    pub blocking: bool,
}

/// Where an organisation stands on a model, why, and how to move up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// The model's id.
    pub model: Text,
    /// The model's version.
    pub model_version: Text,
    /// Hex SHA-256 of the script that decided.
    pub script_sha256: Text,
    /// The request's subject id.
    pub subject_id: String,
    /// The level proven: every criterion up to it passed or does not apply.
    pub level: Level,
    /// The level above, absent at the top.
    pub next_level: Option<Level>,
    /// The highest level reached if every unknown criterion held.
    pub ceiling: Level,
    /// Rank plus the share of the next level's applicable criteria passed.
    pub score: f64,
    /// Share of the metrics that matter here that were supplied.
    pub confidence: f64,
    /// Every criterion, in declaration order.
    pub criteria: Vec<CriterionResult>,
    /// Per dimension of the model, how the organisation stands.
    #[serde(default)]
    pub dimensions: Vec<DimensionResult>,
    /// What to do next, most important first.
    pub interventions: Vec<Intervention>,
    /// Metrics that matter here but were not supplied, those that would
    /// decide the level soonest first.
    pub missing_metrics: Vec<String>,
    /// Metrics supplied that the model does not read.
    pub ignored_metrics: Vec<String>,
    /// Why the level is not one higher, in plain words (explain only).
    #[serde(default)]
    pub why_not_higher: String,
    /// The smallest changes that lift it to the next level (explain only).
    #[serde(default)]
    pub levers: Vec<Lever>,
    /// Whether all the levers together lift it to the next level.
    #[serde(default)]
    pub levers_reach_next_level: bool,
}
