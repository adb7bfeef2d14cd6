//! Example organisations with the answer a model must give them (the format of
//! `spec/cases`), and the check that an assessment gives it.

use serde::{Deserialize, Serialize};

use super::assessment::{AssessRequest, Assessment};
use super::metrics::Metrics;

/// One example organisation and what its model must say about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// The case's name.
    pub name: String,
    /// The model it is assessed on.
    pub model: String,
    /// Why the case exists.
    #[serde(default)]
    pub why: String,
    /// The organisation's metrics.
    pub metrics: Metrics,
    /// What the assessment must say.
    pub expect: Expectation,
}

/// What an assessment of a case must say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expectation {
    /// The rank.
    pub rank: i32,
    /// The level id.
    pub level_id: String,
    /// At least one intervention must name one of these metrics (when any).
    #[serde(default)]
    pub interventions_name_any_of: Vec<String>,
}

impl Case {
    /// Parses a case from its JSON text.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The request that assesses this case.
    pub fn request(&self) -> AssessRequest {
        AssessRequest {
            model: self.model.clone(),
            metrics: self.metrics.clone(),
            subject_id: self.name.clone(),
            explain: true,
        }
    }

    /// Every way `got` differs from what the case expects (empty when it matches).
    pub fn differences(&self, got: &Assessment) -> Vec<String> {
        let expect = &self.expect;
        let mut out = Vec::new();
        if got.level.rank != expect.rank || got.level.id != expect.level_id {
            out.push(format!(
                "level: expected rank {} '{}', got rank {} '{}'",
                expect.rank, expect.level_id, got.level.rank, got.level.id
            ));
        }
        let named = |m: &String| got.interventions.iter().any(|i| i.metrics.contains(m));
        let wanted = &expect.interventions_name_any_of;
        if !wanted.is_empty() && !wanted.iter().any(named) {
            out.push(format!(
                "interventions: none names any of [{}]",
                wanted.join(", ")
            ));
        }
        out
    }
}
