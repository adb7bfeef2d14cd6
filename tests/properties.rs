//! Properties over random organisations on both built-in models: improving a
//! metric never lowers the rank, removing data never raises it, and the same
//! input always gets the same answer, and checks compiled to native code
//! answer exactly as their scripts do.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::LazyLock;

use maturity_engine::engine::{
    AssessRequest, Direction, Engine, MetricKind, MetricSpec, MetricValue, Metrics, builtin_scripts,
};
use proptest::prelude::*;

static ENGINE: LazyLock<Engine> = LazyLock::new(|| Engine::with_builtin_models().unwrap());
/// The built-in models with every check rewritten so it cannot be compiled
/// natively: each one runs as a script call.
static SCRIPTED: LazyLock<Engine> = LazyLock::new(|| {
    let mut scripts = builtin_scripts();
    for model in &mut scripts.models {
        let checks = model.text.matches("check: |m| ").count();
        model.text = model
            .text
            .lines()
            .map(|line| match line.split_once("check: |m| ") {
                Some((indent, rest)) => {
                    let body = rest.strip_suffix(',').unwrap();
                    format!("{indent}check: |m| {{ let ok = {body}; if ok {{ true }} else {{ false }} }},\n")
                }
                None => format!("{line}\n"),
            })
            .collect();
        assert!(checks > 20 && model.text.matches("let ok = ").count() == checks);
    }
    let mut engine = Engine::new(Default::default());
    assert!(engine.load_all(&scripts).is_empty());
    engine
});
const MODELS: [&str; 2] = ["five_stage", "chaotic_to_predictive"];

/// The metric's value at position `u` (0..=1) of its range.
fn value_at(spec: &MetricSpec, u: f64) -> MetricValue {
    let (low, high) = (spec.min.unwrap_or(0.0), spec.max.unwrap_or(20.0));
    match spec.kind {
        MetricKind::Flag => MetricValue::Flag(u >= 0.5),
        MetricKind::Count => MetricValue::Number((low + u * (high.min(20.0) - low)).round()),
        // Two decimals, so thresholds such as 0.75 are hit exactly.
        _ => MetricValue::Number(((low + u * (high - low)) * 100.0).round() / 100.0),
    }
}

/// The example cases of `model`, from rank 1 to the top.
fn archetypes(model: &str) -> Vec<Metrics> {
    support::load_cases()
        .into_iter()
        .filter(|(_, c)| c.model == model)
        .map(|(_, c)| c.metrics)
        .collect()
}

/// A random organisation near one of the model's archetypes: each metric is
/// the archetype's value or, where `jolt` says so, a random point of its
/// range; it is left out where `present` says so. Staying near archetypes
/// keeps organisations close to every level's thresholds.
fn organisation(
    model: &str,
    base: &prop::sample::Index,
    points: &[f64],
    jolt: &[bool],
    present: &[bool],
) -> Metrics {
    let specs = &ENGINE.model(model).unwrap().spec().metrics;
    let archetypes = archetypes(model);
    let archetype = base.get(&archetypes);
    specs
        .iter()
        .enumerate()
        .filter(|(i, _)| present[i % present.len()])
        .map(|(i, spec)| {
            let value = match archetype.get(&spec.name) {
                Some(value) if !jolt[i % jolt.len()] => value.clone(),
                _ => value_at(spec, points[i % points.len()]),
            };
            (spec.name.clone(), value)
        })
        .collect()
}

/// `value` moved in the metric's better direction by `step` of what is left.
fn improved(spec: &MetricSpec, value: &MetricValue, step: f64) -> Option<MetricValue> {
    let MetricValue::Number(n) = *value else {
        return (spec.direction == Direction::True).then_some(MetricValue::Flag(true));
    };
    let target = match spec.direction {
        Direction::Higher => spec.max.unwrap_or(n + 20.0),
        Direction::Lower => spec.min.unwrap_or(0.0),
        _ => return None,
    };
    let moved = n + step * (target - n);
    Some(MetricValue::Number(if spec.kind == MetricKind::Count {
        moved.round()
    } else {
        moved
    }))
}

fn rank(model: &str, metrics: Metrics) -> i32 {
    ENGINE
        .assess(&AssessRequest {
            model: model.into(),
            metrics,
            ..Default::default()
        })
        .unwrap()
        .level
        .rank
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn improving_any_metric_never_lowers_the_rank(
        model in prop::sample::select(&MODELS[..]),
        base in any::<prop::sample::Index>(),
        points in prop::collection::vec(0.0..=1.0f64, 43),
        jolt in prop::collection::vec(prop::bool::weighted(0.2), 43),
        present in prop::collection::vec(prop::bool::weighted(0.95), 43),
        step in 0.0..=1.0f64,
    ) {
        let before = organisation(model, &base, &points, &jolt, &present);
        let old = rank(model, before.clone());
        for spec in &ENGINE.model(model).unwrap().spec().metrics {
            let Some(value) = before.get(&spec.name) else { continue };
            let Some(better) = improved(spec, value, step) else { continue };
            let mut after = before.clone();
            after.insert(spec.name.clone(), better.clone());
            let new = rank(model, after);
            prop_assert!(new >= old, "{model}: {} {:?} -> {:?} lowered rank {} to {}", spec.name, value, better, old, new);
        }
    }

    #[test]
    fn removing_data_never_raises_the_rank(
        model in prop::sample::select(&MODELS[..]),
        base in any::<prop::sample::Index>(),
        points in prop::collection::vec(0.0..=1.0f64, 43),
        jolt in prop::collection::vec(prop::bool::weighted(0.2), 43),
        dropped in prop::collection::vec(prop::bool::weighted(0.1), 43),
    ) {
        let full = organisation(model, &base, &points, &jolt, &[true]);
        let names: Vec<String> = full.keys().cloned().collect();
        let mut partial = full.clone();
        for (i, name) in names.iter().enumerate() {
            if dropped[i % dropped.len()] {
                partial.remove(name);
            }
        }
        let (all, some) = (rank(model, full.clone()), rank(model, partial.clone()));
        prop_assert!(some <= all, "{model}: dropping data raised rank {all} to {some}");
        let confidence = |m: Metrics| ENGINE.assess(&AssessRequest { model: model.into(), metrics: m, ..Default::default() }).unwrap().confidence;
        prop_assert!(confidence(partial) <= confidence(full));
    }

    #[test]
    fn the_same_organisation_gets_the_same_answer(
        model in prop::sample::select(&MODELS[..]),
        base in any::<prop::sample::Index>(),
        points in prop::collection::vec(0.0..=1.0f64, 43),
        present in prop::collection::vec(prop::bool::weighted(0.8), 43),
    ) {
        let metrics = organisation(model, &base, &points, &[true], &present);
        let request = AssessRequest { model: model.into(), metrics, subject_id: "s".into(), explain: true, target_rank: 0 };
        let first = serde_json::to_string(&ENGINE.assess(&request).unwrap()).unwrap();
        let second = serde_json::to_string(&ENGINE.assess(&request).unwrap()).unwrap();
        prop_assert_eq!(first, second);
    }

    #[test]
    fn native_checks_answer_as_the_scripts_do(
        model in prop::sample::select(&MODELS[..]),
        base in any::<prop::sample::Index>(),
        points in prop::collection::vec(0.0..=1.0f64, 43),
        jolt in prop::collection::vec(prop::bool::weighted(0.3), 43),
        present in prop::collection::vec(prop::bool::weighted(0.9), 43),
        ulps in prop::collection::vec(-2i64..=2, 43),
    ) {
        let mut metrics = organisation(model, &base, &points, &jolt, &present);
        // A step or two off the round values, where Rhai's float comparisons
        // (equal within a relative epsilon) differ from plain ones.
        for (i, spec) in ENGINE.model(model).unwrap().spec().metrics.iter().enumerate() {
            if let Some(MetricValue::Number(n)) = metrics.get_mut(&spec.name) {
                let nudged = f64::from_bits((n.to_bits() as i64 + ulps[i]) as u64);
                let inside = spec.min.is_none_or(|m| nudged >= m) && spec.max.is_none_or(|m| nudged <= m);
                if spec.kind != MetricKind::Count && *n > 0.0 && inside {
                    *n = nudged;
                }
            }
        }
        let request = AssessRequest { model: model.into(), metrics, subject_id: "s".into(), explain: true, target_rank: 0 };
        let mut native = ENGINE.assess(&request).unwrap();
        let scripted = SCRIPTED.assess(&request).unwrap();
        native.script_sha256.clone_from(&scripted.script_sha256);
        prop_assert_eq!(native, scripted);
    }
}
