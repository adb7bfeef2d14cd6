//! What an assessment answers: the level, the evidence behind it and the
//! interventions that would move the organisation up.

use serde::{Deserialize, Serialize};

use crate::engine::model::spec::Level;
use crate::engine::value::{MetricValue, Metrics};

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
}

/// The outcome of one criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionResult {
    /// The criterion's id.
    pub id: String,
    /// The rank it belongs to.
    pub rank: i32,
    /// Whether the organisation meets it.
    pub passed: bool,
    /// What it asks.
    pub description: String,
    /// The metrics it reads.
    pub metrics: Vec<String>,
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
        let observed = match &self.observed {
            Some(value) => format!("is {value}"),
            None => "is missing".to_owned(),
        };
        let needs = match self.comparison {
            Comparison::Is => format!("{}", self.threshold),
            other => format!("{} {}", other.words(), self.threshold),
        };
        let verb = if self.met { "meets" } else { "needs" };
        format!("{} {observed}, {verb} {needs}", self.metric)
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
    pub id: String,
    /// Short imperative title.
    pub title: String,
    /// What to do, the risk and the mistake to avoid.
    pub description: String,
    /// 1 = first.
    pub priority: i32,
    /// The rank it helps reach.
    pub target_rank: i32,
    /// The metrics it would move.
    pub metrics: Vec<String>,
    /// The criterion or signal that called for it.
    pub reason: String,
}

/// Where an organisation stands on a model, why, and how to move up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// The model's id.
    pub model: String,
    /// The model's version.
    pub model_version: String,
    /// Hex SHA-256 of the script that decided.
    pub script_sha256: String,
    /// The request's subject id.
    pub subject_id: String,
    /// The level reached.
    pub level: Level,
    /// The level above, absent at the top.
    pub next_level: Option<Level>,
    /// Rank plus the share of the next level's criteria already met.
    pub score: f64,
    /// Share of the model's metrics that were supplied.
    pub confidence: f64,
    /// Every criterion, in declaration order.
    pub criteria: Vec<CriterionResult>,
    /// What to do next, most important first.
    pub interventions: Vec<Intervention>,
    /// Metrics the model reads that were not supplied.
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
