//! Evidence beside self-report: a metrics file may add what an export
//! cannot show; where both give a metric the evidence wins, and where they
//! differ the difference is kept to be reported.

use serde::Serialize;

use crate::engine::{MetricValue, Metrics};

/// Numbers closer than this agree (rounding in a hand-typed file).
const TOLERANCE: f64 = 1e-9;

/// A metric the export and the metrics file give different values.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Disagreement {
    /// The metric.
    pub metric: String,
    /// What the export shows (used).
    pub evidence: MetricValue,
    /// What the metrics file said.
    pub supplied: MetricValue,
}

/// The metrics to assess, and where each came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Merged {
    /// Evidence and hand-supplied metrics together, the evidence winning.
    pub metrics: Metrics,
    /// Names of the metrics taken from the export.
    pub from_evidence: Vec<String>,
    /// Names of the metrics only the metrics file gave.
    pub by_hand: Vec<String>,
    /// Metrics both gave, with different values.
    pub disagreements: Vec<Disagreement>,
}

/// Merges `supplied` (by hand) under `evidence`.
pub fn merge(evidence: &Metrics, supplied: &Metrics) -> Merged {
    let mut merged = Merged {
        metrics: evidence.clone(),
        from_evidence: evidence.keys().cloned().collect(),
        ..Merged::default()
    };
    for (name, value) in supplied {
        match evidence.get(name) {
            None => {
                merged.by_hand.push(name.clone());
                merged.metrics.insert(name.clone(), value.clone());
            }
            Some(shown) if !agree(shown, value) => merged.disagreements.push(Disagreement {
                metric: name.clone(),
                evidence: shown.clone(),
                supplied: value.clone(),
            }),
            Some(_) => {}
        }
    }
    merged
}

fn agree(a: &MetricValue, b: &MetricValue) -> bool {
    match (a, b) {
        (MetricValue::Number(x), MetricValue::Number(y)) => (x - y).abs() <= TOLERANCE,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_wins_and_differences_are_kept() {
        let evidence: Metrics = [
            ("win_rate".to_owned(), MetricValue::Number(0.25)),
            ("crm_in_place".to_owned(), MetricValue::Flag(true)),
        ]
        .into();
        let supplied: Metrics = [
            ("win_rate".to_owned(), MetricValue::Number(0.4)),
            ("crm_in_place".to_owned(), MetricValue::Flag(true)),
            ("playbook_exists".to_owned(), MetricValue::Flag(true)),
        ]
        .into();
        let merged = merge(&evidence, &supplied);
        assert_eq!(merged.metrics["win_rate"], MetricValue::Number(0.25));
        assert_eq!(merged.by_hand, ["playbook_exists"]);
        assert_eq!(merged.from_evidence, ["crm_in_place", "win_rate"]);
        assert_eq!(merged.disagreements.len(), 1);
        assert_eq!(merged.disagreements[0].supplied, MetricValue::Number(0.4));
    }
}
