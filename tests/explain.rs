//! Explanations and levers are derived by re-running the script: thresholds
//! follow the script when it changes, levers really lift the organisation,
//! and each lever is the smallest change that does.
#![allow(clippy::unwrap_used)]

mod support;

use maturity_engine::engine::{
    AssessRequest, Assessment, Comparison, Engine, MetricValue, Metrics,
};
use support::{custom_model, engine_with, load_cases};

fn assess(engine: &Engine, model: &str, metrics: &Metrics, explain: bool) -> Assessment {
    engine
        .assess(&AssessRequest {
            model: model.into(),
            metrics: metrics.clone(),
            explain,
            ..Default::default()
        })
        .unwrap()
}

fn x(value: f64) -> Metrics {
    let mut m = Metrics::new();
    m.insert("x".into(), MetricValue::Number(value));
    m
}

#[test]
fn thresholds_follow_the_script_not_a_hand_written_copy() {
    for (check, comparison, threshold) in [
        ("|m| m.x >= 0.37", Comparison::AtLeast, 0.37),
        ("|m| m.x >= 0.42", Comparison::AtLeast, 0.42),
        ("|m| m.x > 0.5", Comparison::MoreThan, 0.5),
        ("|m| 1.0 - m.x <= 0.25", Comparison::AtLeast, 0.75),
    ] {
        let engine = engine_with(&[custom_model("m", check, "")]);
        let a = assess(&engine, "m", &x(0.1), true);
        let r = &a.criteria[0].requirements[0];
        assert_eq!(
            (r.metric.as_str(), r.comparison),
            ("x", comparison),
            "{check}"
        );
        assert_eq!(r.threshold, MetricValue::Number(threshold), "{check}");
        assert!(!r.met);
        assert_eq!(r.observed, Some(MetricValue::Number(0.1)));
    }
}

#[test]
fn why_not_higher_names_the_failing_criterion_and_its_threshold() {
    let engine = engine_with(&[custom_model("m", "|m| m.x >= 0.6", "")]);
    let low = assess(&engine, "m", &x(0.25), true);
    assert_eq!(
        low.why_not_higher,
        "Not High yet: none of its 1 criteria hold. gate: x is 0.25, needs at least 0.6."
    );
    let high = assess(&engine, "m", &x(0.9), true);
    assert_eq!(high.why_not_higher, "High is the top level of this model.");
    assert!(high.levers.is_empty());
}

/// A criterion that failed on what was supplied is explained by that, not
/// by asking for a metric that could not have changed the verdict.
#[test]
fn a_failed_criterion_is_explained_by_what_was_supplied() {
    let engine = Engine::with_builtin_models().unwrap();
    let mut metrics = Metrics::new();
    metrics.insert("crm_in_place".into(), MetricValue::Flag(false));
    let a = assess(&engine, "five_stage", &metrics, true);
    assert!(
        a.why_not_higher.starts_with(
            "Not Activity-Driven yet: 1 of its 5 criteria does not hold and 4 are undecided \
             for want of data. crm_in_use: crm_in_place is false, needs true. "
        ),
        "{}",
        a.why_not_higher
    );
    assert!(
        !a.why_not_higher.contains("crm_adoption"),
        "{}",
        a.why_not_higher
    );
}

#[test]
fn nothing_is_explained_unless_asked() {
    let engine = engine_with(&[custom_model("m", "|m| m.x >= 0.6", "")]);
    let a = assess(&engine, "m", &x(0.25), false);
    assert!(a.why_not_higher.is_empty() && a.levers.is_empty());
    assert!(a.criteria.iter().all(|c| c.requirements.is_empty()));
}

#[test]
fn a_lever_is_the_least_change_that_makes_its_criterion_hold() {
    let engine = engine_with(&[custom_model("m", "|m| m.x >= 0.6", "")]);
    let a = assess(&engine, "m", &x(0.25), true);
    assert_eq!(a.levers.len(), 1);
    let lever = &a.levers[0];
    assert_eq!(lever.metric, "x");
    assert_eq!(lever.target, MetricValue::Number(0.6));
    assert_eq!(lever.change, Some(0.35));
    assert!(lever.sufficient_alone && a.levers_reach_next_level);
    assert_eq!(lever.criteria, ["gate"]);
}

#[test]
fn a_missing_metric_is_something_to_supply_not_a_lever() {
    let engine = engine_with(&[custom_model("m", "|m| m.x >= 0.6", "")]);
    let a = assess(&engine, "m", &Metrics::new(), true);
    assert!(a.levers.is_empty(), "{:?}", a.levers);
    assert_eq!((a.level.rank, a.ceiling.rank), (1, 2));
    let r = &a.criteria[0].requirements[0];
    assert_eq!(
        r.text(),
        "x is not supplied: supply it to decide (needs at least 0.6)"
    );
    assert!(
        a.why_not_higher
            .contains("are undecided for want of data. gate: supply x to decide."),
        "{}",
        a.why_not_higher
    );
}

#[test]
fn levers_that_only_work_together_say_so() {
    // Both x and n must move: neither alone lifts the organisation.
    let mut script = custom_model("m", "|m| m.x >= 0.5 && m.n >= 10", "");
    script.text = script
        .text
        .replace(r#"metrics: ["x"],"#, r#"metrics: ["x", "n"],"#);
    let engine = engine_with(&[script]);
    let mut metrics = x(0.2);
    metrics.insert("n".into(), MetricValue::Number(3.0));
    let a = assess(&engine, "m", &metrics, true);
    let found: Vec<(&str, &MetricValue, bool)> = a
        .levers
        .iter()
        .map(|l| (l.metric.as_str(), &l.target, l.sufficient_alone))
        .collect();
    assert_eq!(
        found,
        [
            ("x", &MetricValue::Number(0.5), false),
            ("n", &MetricValue::Number(10.0), false)
        ]
    );
    assert!(a.levers_reach_next_level);
}

/// For every example organisation below the top: applying all levers lifts
/// it exactly one level when the engine says they do, a lever marked
/// enough alone really is, and holding any numeric lever a little short of
/// its target keeps the organisation where it is.
#[test]
fn levers_of_every_case_lift_it_and_none_is_larger_than_needed() {
    let engine = Engine::with_builtin_models().unwrap();
    for (file, case) in load_cases() {
        let a = assess(&engine, &case.model, &case.metrics, true);
        if a.next_level.is_none() {
            continue;
        }
        assert!(!a.levers.is_empty(), "{file}: no levers below the top");
        // The examples supply every metric, so the levers must be complete.
        assert!(a.levers_reach_next_level, "{file}: {:?}", a.levers);
        let apply = |skip: Option<usize>, short: bool| {
            let mut m = case.metrics.clone();
            for (i, l) in a.levers.iter().enumerate() {
                let target = match (&l.current, &l.target) {
                    (Some(MetricValue::Number(from)), MetricValue::Number(to))
                        if short && Some(i) == skip =>
                    {
                        // One step short: a whole unit for whole numbers.
                        let whole = to.fract() == 0.0 && from.fract() == 0.0;
                        let step = if whole {
                            (to - from).signum()
                        } else {
                            (to - from) * 0.01
                        };
                        MetricValue::Number(to - step)
                    }
                    _ if !short && Some(i) == skip => continue,
                    (_, target) => target.clone(),
                };
                m.insert(l.metric.clone(), target);
            }
            assess(&engine, &case.model, &m, false).level.rank
        };
        assert_eq!(
            a.levers_reach_next_level,
            apply(None, false) > a.level.rank,
            "{file}"
        );
        for (i, l) in a.levers.iter().enumerate() {
            let mut alone = case.metrics.clone();
            alone.insert(l.metric.clone(), l.target.clone());
            let lifted = assess(&engine, &case.model, &alone, false).level.rank > a.level.rank;
            assert_eq!(l.sufficient_alone, lifted, "{file}: {}", l.metric);
            // A lever on one side of an `||` is redundant when the other
            // side's lever is applied: only a needed lever must be exact.
            let needed = apply(Some(i), false) == a.level.rank;
            if a.levers_reach_next_level
                && needed
                && matches!(l.current, Some(MetricValue::Number(_)))
            {
                assert_eq!(
                    apply(Some(i), true),
                    a.level.rank,
                    "{file}: {} short",
                    l.metric
                );
            }
        }
    }
}
