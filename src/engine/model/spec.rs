//! What a model script declares: its metadata, levels, metrics, criteria,
//! signals and interventions, as plain Rust values.

use rhai::FnPtr;
use serde::{Deserialize, Serialize};

use crate::engine::model::metric_spec::MetricSpec;
use crate::engine::model::predicate::Predicate;

/// A level of a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Level {
    /// 1-based position; higher is more mature.
    pub rank: i32,
    /// Stable machine id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What the level looks like.
    pub summary: String,
}

/// An action a criterion or signal recommends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterventionSpec {
    /// Stable id within the model.
    pub id: String,
    /// Short imperative title.
    pub title: String,
    /// What to do, the risk and the mistake to avoid.
    pub description: String,
    /// The metrics it would move.
    pub metrics: Vec<String>,
}

/// A capability an organisation needs for a rank and every rank above it.
#[derive(Debug, Clone)]
pub struct CriterionSpec {
    /// Stable id within the model.
    pub id: String,
    /// The rank it belongs to (2 and up: rank 1 has no criteria).
    pub rank: i32,
    /// What it asks, in plain words.
    pub description: String,
    /// The metrics it reads; it never passes unless all were supplied.
    pub metrics: Vec<String>,
    /// The script function deciding it: `|m| -> bool`.
    pub check: FnPtr,
    /// Where each of `metrics` stands in the model's declaration.
    pub(crate) positions: Vec<usize>,
    /// The check compiled to native code, when it is simple enough.
    pub(crate) native: Option<Predicate>,
    /// What to do when it does not hold.
    pub interventions: Vec<InterventionSpec>,
}

/// A symptom that shapes advice without gating any level (e.g. activity-heavy
/// KPIs): when it holds, its interventions are recommended.
#[derive(Debug, Clone)]
pub struct SignalSpec {
    /// Stable id within the model.
    pub id: String,
    /// What the symptom is.
    pub description: String,
    /// The metrics it reads; it never fires unless all were supplied.
    pub metrics: Vec<String>,
    /// The script function detecting it: `|m| -> bool`.
    pub check: FnPtr,
    /// Where each of `metrics` stands in the model's declaration.
    pub(crate) positions: Vec<usize>,
    /// The check compiled to native code, when it is simple enough.
    pub(crate) native: Option<Predicate>,
    /// What to do when it holds.
    pub interventions: Vec<InterventionSpec>,
}

/// What running one check needs: the script function, its native form
/// when it has one, and the metrics it reads with their declared positions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Check<'a> {
    pub(crate) script: &'a FnPtr,
    pub(crate) native: Option<&'a Predicate>,
    pub(crate) metrics: &'a [String],
    pub(crate) positions: &'a [usize],
}

impl CriterionSpec {
    /// The criterion's check, ready to run.
    pub(crate) fn runnable(&self) -> Check<'_> {
        Check {
            script: &self.check,
            native: self.native.as_ref(),
            metrics: &self.metrics,
            positions: &self.positions,
        }
    }
}

impl SignalSpec {
    /// The signal's check, ready to run.
    pub(crate) fn runnable(&self) -> Check<'_> {
        Check {
            script: &self.check,
            native: self.native.as_ref(),
            metrics: &self.metrics,
            positions: &self.positions,
        }
    }
}

/// Everything a model script declares.
#[derive(Debug, Clone)]
pub struct ModelSpec {
    /// Stable model id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The model's version, as the script states it.
    pub version: String,
    /// What the model measures.
    pub description: String,
    /// Levels from rank 1 upwards.
    pub levels: Vec<Level>,
    /// The metrics the model reads.
    pub metrics: Vec<MetricSpec>,
    /// Criteria in declaration order.
    pub criteria: Vec<CriterionSpec>,
    /// Signals in declaration order.
    pub signals: Vec<SignalSpec>,
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
