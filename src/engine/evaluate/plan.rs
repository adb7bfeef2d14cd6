//! Chooses and orders the interventions for an organisation: first what blocks
//! the next level, then what the symptoms it shows call for.

use crate::engine::assessment::{CriterionResult, Intervention};
use crate::engine::model::spec::{InterventionSpec, ModelSpec};

/// The interventions for an organisation at `rank`, most important first.
///
/// Below the top there is always at least one: the failing criteria of the
/// next rank (or, when a script override holds the level down, all of them),
/// followed by those of every signal that fired.
pub(crate) fn recommend(
    spec: &ModelSpec,
    rank: i32,
    criteria: &[CriterionResult],
    fired_signals: &[usize],
) -> Vec<Intervention> {
    let target = (rank + 1).min(spec.top_rank());
    let mut list = Interventions::default();
    if rank < spec.top_rank() {
        let blocking: Vec<_> = spec
            .criteria
            .iter()
            .zip(criteria)
            .filter(|(c, _)| c.rank == target)
            .collect();
        let any_failed = blocking.iter().any(|(_, result)| !result.passed);
        for (c, result) in blocking {
            if !result.passed || !any_failed {
                list.add(&c.interventions, target, &format!("criterion '{}'", c.id));
            }
        }
    }
    for &i in fired_signals {
        let signal = &spec.signals[i];
        list.add(
            &signal.interventions,
            target,
            &format!("signal '{}'", signal.id),
        );
    }
    list.items
}

/// An ordered list of interventions without repeats (a handful, so a scan
/// beats hashing every id).
#[derive(Default)]
struct Interventions {
    items: Vec<Intervention>,
}

impl Interventions {
    fn add(&mut self, specs: &[InterventionSpec], target_rank: i32, reason: &str) {
        for spec in specs {
            if self.items.iter().any(|i| i.id == spec.id) {
                continue;
            }
            self.items.push(Intervention {
                id: spec.id.clone(),
                title: spec.title.clone(),
                description: spec.description.clone(),
                priority: self.items.len() as i32 + 1,
                target_rank,
                metrics: spec.metrics.clone(),
                reason: reason.to_owned(),
            });
        }
    }
}
