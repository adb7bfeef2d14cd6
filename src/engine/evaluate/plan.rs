//! The plan: what to do, in what order and when. The failing criteria of the
//! next level the organisation can work on call for interventions (and, for
//! a roadmap, those of the levels up to the target); symptoms that hold add
//! theirs; at the top, the model's advice for staying there. Near-duplicates
//! are merged, and at most three are due now, the weightiest first.

use crate::engine::assessment::{Horizon, Intervention, Outcome};
use crate::engine::evaluate::outcome::Decided;
use crate::engine::model::spec::{InterventionSpec, ModelSpec};

/// How many interventions are due now (this quarter).
pub const MAX_NOW: usize = 3;

/// The plan for an organisation proven at `level`, up to `target_rank` when
/// it asks for more than the next level (0 when it does not).
pub(crate) fn plan(
    spec: &ModelSpec,
    decided: &[Decided],
    level: i32,
    fired_signals: &[usize],
    target_rank: i32,
) -> Vec<Intervention> {
    let top = spec.top_rank();
    // The next level with known work: the lowest rank with a failure.
    let near = spec
        .criteria
        .iter()
        .zip(decided)
        .filter(|(c, d)| c.rank > level && d.outcome == Outcome::Failed)
        .map(|(c, _)| c.rank)
        .min()
        .unwrap_or((level + 1).min(top));
    let mut items = Items::default();
    if level >= top {
        items.add(&spec.sustain, top, false, "staying at the top");
    } else {
        let goal = near.max(target_rank).min(top);
        let mut failing: Vec<_> = spec
            .criteria
            .iter()
            .zip(decided)
            .filter(|(c, d)| d.outcome == Outcome::Failed && c.rank <= goal)
            .map(|(c, _)| c)
            .collect();
        failing.sort_by_key(|c| c.rank);
        for c in failing {
            let reason = format!("criterion '{}'", c.texts.id);
            items.add(&c.interventions, c.rank, true, &reason);
        }
    }
    for &i in fired_signals {
        let signal = &spec.signals[i];
        let reason = format!("signal '{}'", signal.id);
        items.add(&signal.interventions, near, false, &reason);
    }
    items.into_plan(near)
}

/// An intervention on its way into the plan.
struct Item {
    intervention: Intervention,
    weight: f64,
    /// Position of first mention, which breaks ties.
    order: usize,
}

/// The interventions gathered so far, near-duplicates merged.
#[derive(Default)]
struct Items(Vec<Item>);

impl Items {
    fn add(&mut self, specs: &[InterventionSpec], target_rank: i32, blocking: bool, reason: &str) {
        for spec in specs {
            if let Some(item) = self.0.iter_mut().find(|i| same(&i.intervention, spec)) {
                let merged = &mut item.intervention;
                if !merged.reason.contains(reason) {
                    merged.reason = format!("{}; {reason}", merged.reason);
                }
                merged.blocking |= blocking;
                merged.target_rank = merged.target_rank.min(target_rank);
                item.weight = item.weight.max(spec.weight);
                continue;
            }
            let order = self.0.len();
            self.0.push(Item {
                intervention: Intervention {
                    id: spec.id.clone(),
                    title: spec.title.clone(),
                    description: spec.description.clone(),
                    priority: 0,
                    target_rank,
                    metrics: spec.metrics.clone(),
                    reason: reason.to_owned(),
                    horizon: Horizon::Next,
                    blocking,
                },
                weight: spec.weight,
                order,
            });
        }
    }

    /// Orders the items and gives each its horizon and priority: the work
    /// of rank `near`, weightiest and blocking first, is now (at most
    /// three) or next; that of higher ranks is later.
    fn into_plan(self, near: i32) -> Vec<Intervention> {
        let mut items = self.0;
        items.sort_by(|a, b| {
            let (x, y) = (&a.intervention, &b.intervention);
            (x.target_rank > near)
                .cmp(&(y.target_rank > near))
                .then(x.target_rank.max(near).cmp(&y.target_rank.max(near)))
                .then(b.weight.total_cmp(&a.weight))
                .then(y.blocking.cmp(&x.blocking))
                .then(a.order.cmp(&b.order))
        });
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                let mut intervention = item.intervention;
                intervention.priority = i as i32 + 1;
                intervention.horizon = if intervention.target_rank > near {
                    Horizon::Later
                } else if i < MAX_NOW {
                    Horizon::Now
                } else {
                    Horizon::Next
                };
                intervention
            })
            .collect()
    }
}

/// Whether `spec` repeats an intervention already planned: the same id, or
/// the same metrics to move (in any order; lists of a few names, so a scan
/// beats sorting copies).
fn same(planned: &Intervention, spec: &InterventionSpec) -> bool {
    let (a, b) = (&planned.metrics, &spec.metrics);
    planned.id == spec.id || (a.len() == b.len() && a.iter().all(|m| b.contains(m)))
}
