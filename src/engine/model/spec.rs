//! What a model script declares: its metadata, levels, metrics, criteria,
//! signals and interventions, as plain Rust values.

use rhai::FnPtr;
use serde::{Deserialize, Serialize};

use crate::engine::model::metric_spec::MetricSpec;
use crate::engine::model::predicate::Predicate;
use crate::engine::value::{Names, Text};

/// A level of a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    /// 1-based position; higher is more mature.
    pub rank: i32,
    /// Stable machine id.
    pub id: Text,
    /// Display name.
    pub name: Text,
    /// What the level looks like.
    pub summary: Text,
}

/// An action a criterion, a signal or the top level recommends.
#[derive(Debug, Clone, PartialEq)]
pub struct InterventionSpec {
    /// Stable id within the model.
    pub id: Text,
    /// Short imperative title.
    pub title: Text,
    /// What to do, the risk and the mistake to avoid.
    pub description: Text,
    /// The metrics it would move.
    pub metrics: Names,
    /// How much it comes first when several are due (1 unless the script
    /// says; e.g. what makes every other change stick weighs more).
    pub weight: f64,
}

/// A script function over an organisation's metrics (`|m| -> bool`), the
/// metrics it reads and, when it only compares them with constants, its
/// native form.
#[derive(Debug, Clone)]
pub struct Condition {
    /// The metrics it reads; `m` holds those that were supplied.
    pub metrics: Vec<String>,
    /// The script function.
    pub function: FnPtr,
    /// Where each of `metrics` stands in the model's declaration.
    pub(crate) positions: Vec<usize>,
    /// The function compiled to native code, when it is simple enough.
    pub(crate) native: Option<Predicate>,
}

impl Condition {
    /// A condition on `metrics`, not yet resolved against the model.
    pub(crate) fn new(metrics: Vec<String>, function: FnPtr) -> Self {
        Self {
            metrics,
            function,
            positions: Vec::new(),
            native: None,
        }
    }

    /// Whether it runs as native code.
    pub fn is_native(&self) -> bool {
        self.native.is_some()
    }
}

/// One way of meeting a criterion: what must hold, and when this way applies
/// (e.g. net revenue retention, which applies only to recurring revenue).
#[derive(Debug, Clone)]
pub struct Evidence {
    /// When this evidence applies; always, when absent.
    pub applies: Option<Condition>,
    /// What must hold where it applies.
    pub check: Condition,
}

/// A capability an organisation needs for a rank and every rank above it.
#[derive(Debug, Clone)]
pub struct CriterionSpec {
    /// Its stable id, what it asks, its dimension ("" when the model
    /// declares none) and every metric its evidence reads (checks first,
    /// without repeats), shared with the answers that quote them.
    pub texts: std::sync::Arc<crate::engine::assessment::CriterionTexts>,
    /// The rank it belongs to (2 and up: rank 1 has no criteria).
    pub rank: i32,
    /// The ways of meeting it: it holds when any that applies holds. One,
    /// unless the script gives alternatives with `any_of`.
    pub evidence: Vec<Evidence>,
    /// What to do when it does not hold.
    pub interventions: Vec<InterventionSpec>,
}

impl CriterionSpec {
    /// Whether any of its evidence reads a metric at one of the declared
    /// `positions`.
    pub(crate) fn reads_any(&self, positions: &[usize]) -> bool {
        self.evidence.iter().any(|e| {
            let applies = e.applies.iter().flat_map(|a| &a.positions);
            e.check
                .positions
                .iter()
                .chain(applies)
                .any(|p| positions.contains(p))
        })
    }
}

/// A symptom that shapes advice without gating any level (e.g. activity-heavy
/// KPIs): when it holds, its interventions are recommended.
#[derive(Debug, Clone)]
pub struct SignalSpec {
    /// Stable id within the model.
    pub id: Text,
    /// What the symptom is.
    pub description: Text,
    /// What detects it; it fires only when it is decided and holds.
    pub check: Condition,
    /// What to do when it holds.
    pub interventions: Vec<InterventionSpec>,
}

/// An axis along which a model's criteria are grouped (e.g. leadership and
/// rhythm), so an organisation can be drawn as strong or weak on each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DimensionSpec {
    /// Stable id within the model.
    pub id: Text,
    /// Display name.
    pub name: Text,
    /// What it covers.
    pub description: Text,
}

/// Everything a model script declares.
#[derive(Debug, Clone)]
pub struct ModelSpec {
    /// Stable model id.
    pub id: Text,
    /// Display name.
    pub name: Text,
    /// The model's version, as the script states it.
    pub version: Text,
    /// What the model measures.
    pub description: Text,
    /// Levels from rank 1 upwards.
    pub levels: Vec<Level>,
    /// The metrics the model reads.
    pub metrics: Vec<MetricSpec>,
    /// Criteria in declaration order.
    pub criteria: Vec<CriterionSpec>,
    /// Signals in declaration order.
    pub signals: Vec<SignalSpec>,
    /// The dimensions criteria are grouped by (none when not declared).
    pub dimensions: Vec<DimensionSpec>,
    /// What an organisation at the top level does to stay there.
    pub sustain: Vec<InterventionSpec>,
    /// An optional script function `|m, rank| -> rank` that may override the
    /// derived level.
    pub level_override: Option<FnPtr>,
}

impl ModelSpec {
    /// The highest rank of the model.
    pub fn top_rank(&self) -> i32 {
        self.levels.len() as i32
    }

    /// The level at `rank`, if the model has one.
    pub fn level(&self, rank: i32) -> Option<&Level> {
        usize::try_from(rank - 1)
            .ok()
            .and_then(|i| self.levels.get(i))
    }
}
