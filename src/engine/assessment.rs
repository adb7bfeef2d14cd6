//! What an assessment answers: the level, the evidence behind it and the
//! interventions that would move the organisation up.

use serde::{Deserialize, Serialize};

use super::metrics::Metrics;
use super::spec::Level;

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
}
