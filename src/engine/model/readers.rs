//! Which evidence each declared metric matters to. A metric read only by
//! evidence with an `applies` condition (net revenue retention, say, which
//! applies to recurring revenue) stops mattering where that evidence does
//! not apply: it is then neither missing nor counted against confidence.

use crate::engine::model::spec::ModelSpec;

/// A piece of evidence: the criterion's index and the evidence's index
/// within it.
pub(crate) type EvidenceAt = (usize, usize);

/// For each declared metric, by declared position: `None` when it always
/// matters, else the conditional evidence that alone reads it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Readers(Vec<Option<Vec<EvidenceAt>>>);

impl Readers {
    /// Works out who reads each metric of `spec` (positions resolved).
    pub(crate) fn of(spec: &ModelSpec) -> Self {
        let mut conditional: Vec<Vec<EvidenceAt>> = vec![Vec::new(); spec.metrics.len()];
        let mut always = vec![spec.level_override.is_some(); spec.metrics.len()];
        for (ci, c) in spec.criteria.iter().enumerate() {
            for (ei, e) in c.evidence.iter().enumerate() {
                for &at in &e.check.positions {
                    match e.applies {
                        Some(_) => conditional[at].push((ci, ei)),
                        None => always[at] = true,
                    }
                }
                for &at in e.applies.iter().flat_map(|a| &a.positions) {
                    always[at] = true;
                }
            }
        }
        for &at in spec.signals.iter().flat_map(|s| &s.check.positions) {
            always[at] = true;
        }
        let readers = conditional
            .into_iter()
            .zip(always)
            .map(|(only, always)| (!always && !only.is_empty()).then_some(only))
            .collect();
        Self(readers)
    }

    /// Whether the metric at `at` matters, given whether each piece of
    /// conditional evidence applies (`applies(criterion, evidence)`).
    pub(crate) fn matters(&self, at: usize, applies: impl Fn(EvidenceAt) -> bool) -> bool {
        match self.0.get(at) {
            Some(Some(only)) => only.iter().any(|&e| applies(e)),
            _ => true,
        }
    }
}
