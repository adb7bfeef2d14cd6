//! Example organisations with the answer a model must give them (the format of
//! `spec/cases`), and the check that an assessment gives it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::assessment::{
    AssessRequest, Assessment, CriterionResult, Horizon, Intervention,
};
use crate::engine::value::Metrics;

/// One example organisation and what its model must say about it: an
/// AssessRequest in the proto3 JSON mapping (lowerCamelCase names; the
/// proto's own snake_case names are read too, as the mapping asks of
/// readers) with the case's name, why it exists and `expect`. A key it
/// does not know is an error, so a misspelt expectation cannot pass
/// unchecked. docs/schema/case.schema.json is its JSON Schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Case {
    /// The case's name.
    pub name: String,
    /// The model it is assessed on.
    pub model: String,
    /// Why the case exists.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub why: String,
    /// The organisation's metrics: read plain or in the API's JSON mapping
    /// (`{"number": 0.4}`), written in the mapping, as an AssessRequest's.
    pub metrics: Metrics,
    /// The subject id the request carries; the case's name when empty.
    #[serde(
        default,
        alias = "subject_id",
        skip_serializing_if = "String::is_empty"
    )]
    pub subject_id: String,
    /// The rank to plan up to, as AssessRequest.target_rank (0: the next
    /// level), which decides what `expect.now` can see.
    #[serde(default, alias = "target_rank", skip_serializing_if = "is_zero")]
    pub target_rank: i32,
    /// What the assessment must say.
    pub expect: Expectation,
}

/// What an assessment of a case must say (the proto's `Expectation`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Expectation {
    /// The rank.
    pub rank: i32,
    /// The level id.
    #[serde(alias = "level_id")]
    pub level_id: String,
    /// At least one intervention must name one of these metrics (when any).
    #[serde(
        default,
        alias = "interventions_name_any_of",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub interventions_name_any_of: Vec<String>,
    /// Criteria pinned to hold (`true`) or fail (`false`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub criteria: BTreeMap<String, bool>,
    /// Interventions (by id) that must be due now.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub now: Vec<String>,
}

fn is_zero(n: &i32) -> bool {
    *n == 0
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
            subject_id: match self.subject_id.is_empty() {
                true => self.name.clone(),
                false => self.subject_id.clone(),
            },
            explain: true,
            target_rank: self.target_rank,
            view: Default::default(),
        }
    }

    /// Every way `got` differs from what the case expects (empty when it
    /// matches): the level, the criteria that flipped it, pinned criteria and
    /// the interventions.
    pub fn differences(&self, got: &Assessment) -> Vec<String> {
        let expect = &self.expect;
        let mut out = Vec::new();
        if !got.ignored_metrics.is_empty() {
            out.push(format!(
                "metrics: the model does not read {}: a case pins only what the model reads",
                got.ignored_metrics.join(", ")
            ));
        }
        if got.level.rank != expect.rank || got.level.id != expect.level_id {
            out.push(format!(
                "level: expected rank {} '{}', got rank {} '{}'",
                expect.rank, expect.level_id, got.level.rank, got.level.id
            ));
            out.extend(flipped(expect.rank, got));
        }
        for (id, &wanted) in &expect.criteria {
            match got.criteria.iter().find(|c| &c.texts.id == id) {
                None => out.push(format!("criterion '{id}': the model has no such criterion")),
                Some(c) if c.passed != wanted => out.push(format!(
                    "criterion '{id}': expected it to {}, it {}",
                    if wanted { "hold" } else { "fail" },
                    if c.passed { "holds" } else { "fails" },
                )),
                Some(_) => {}
            }
        }
        for id in &expect.now {
            let due_now = |i: &&Intervention| i.horizon == Horizon::Now;
            if !got
                .interventions
                .iter()
                .filter(due_now)
                .any(|i| &i.id == id)
            {
                let now: Vec<&str> = got
                    .interventions
                    .iter()
                    .filter(due_now)
                    .map(|i| i.id.as_str())
                    .collect();
                out.push(format!(
                    "interventions: '{id}' is not due now (now: [{}])",
                    now.join(", ")
                ));
            }
        }
        let named = |m: &String| {
            got.interventions
                .iter()
                .any(|i| i.metrics.iter().any(|n| n == m))
        };
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

/// The criteria that put `got` at another rank than `expected`: below it,
/// those failing up to the expected rank; above it, those holding at the
/// rank just above the expected one.
fn flipped(expected: i32, got: &Assessment) -> Option<String> {
    let (verb, ids): (&str, Vec<String>) = if got.level.rank < expected {
        let failing = got
            .criteria
            .iter()
            .filter(|c| c.rank <= expected && !c.passed);
        ("now fail", failing.map(describe).collect())
    } else {
        let holding = got
            .criteria
            .iter()
            .filter(|c| c.rank == expected + 1 && c.passed);
        ("now hold", holding.map(describe).collect())
    };
    (!ids.is_empty()).then(|| format!("criteria that {verb}: {}", ids.join(", ")))
}

/// A criterion that flipped, with each metric it holds against a
/// threshold the organisation does not meet ("crm_adoption is 0.55, needs
/// at least 0.6") when the assessment was explained.
fn describe(c: &CriterionResult) -> String {
    let unmet: Vec<String> = c
        .requirements
        .iter()
        .filter(|r| !r.met)
        .map(|r| r.text())
        .collect();
    match (unmet.is_empty(), c.missing_metrics.is_empty()) {
        (false, _) => format!("{} (rank {}: {})", c.texts.id, c.rank, unmet.join("; ")),
        (true, true) => format!("{} (rank {})", c.texts.id, c.rank),
        (true, false) => format!(
            "{} (rank {}, missing {})",
            c.texts.id,
            c.rank,
            c.missing_metrics.join(", ")
        ),
    }
}
