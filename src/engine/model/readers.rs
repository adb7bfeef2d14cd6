//! Which evidence each declared metric matters to. A metric read only by
//! evidence with an `applies` condition (net revenue retention, say, which
//! applies to recurring revenue) stops mattering where that evidence does
//! not apply, and one no check reads never matters: neither is then missing
//! nor counted in confidence.

use crate::engine::model::spec::ModelSpec;

/// A piece of evidence: the criterion's index and the evidence's index
/// within it.
pub(crate) type EvidenceAt = (usize, usize);

/// Who reads one declared metric.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Read {
    /// A check that always applies, a signal or the level rule reads it.
    Always,
    /// Only these pieces of conditional evidence read it.
    Only(Vec<EvidenceAt>),
    /// No check reads it (it is declared for interventions to name).
    Never,
}

/// For each declared metric, by declared position, who reads it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Readers(Vec<Read>);

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
            .map(|(only, always)| match (always, only.is_empty()) {
                (true, _) => Read::Always,
                (false, false) => Read::Only(only),
                (false, true) => Read::Never,
            })
            .collect();
        Self(readers)
    }

    /// Whether the metric at `at` matters, given whether each piece of
    /// conditional evidence applies (`applies(criterion, evidence)`).
    pub(crate) fn matters(&self, at: usize, applies: impl Fn(EvidenceAt) -> bool) -> bool {
        match self.0.get(at) {
            Some(Read::Only(only)) => only.iter().any(|&e| applies(e)),
            Some(Read::Never) => false,
            _ => true,
        }
    }
}
