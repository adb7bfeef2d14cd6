//! Every example organisation in scripts/tests gets its expected rank, level
//! and interventions from the engine, and lands within one level on both
//! built-in models.

mod support;

use maturity_engine::engine::{Engine, Horizon, Intervention, MAX_NOW};

#[test]
fn every_case_gets_its_level_and_interventions() {
    let engine = Engine::with_builtin_models().unwrap();
    let mut failures = Vec::new();
    for (file, case) in support::load_cases() {
        let got = engine
            .assess(&case.request())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        for diff in case.differences(&got) {
            failures.push(format!("{file} ({}): {diff}", case.model));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_case_gets_something_to_do_now_aimed_at_the_next_level() {
    let engine = Engine::with_builtin_models().unwrap();
    for (file, case) in support::load_cases() {
        let got = engine.assess(&case.request()).unwrap();
        let now: Vec<&Intervention> = got
            .interventions
            .iter()
            .filter(|i| i.horizon == Horizon::Now)
            .collect();
        assert!(
            (1..=MAX_NOW).contains(&now.len()),
            "{file}: {} NOW items",
            now.len()
        );
        // Every case is complete, so the next level is what fails next.
        let next = got.next_level.as_ref().map_or(got.level.rank, |l| l.rank);
        assert!(
            got.interventions.iter().all(|i| i.target_rank == next),
            "{file}: {:?}",
            got.interventions
        );
    }
}

#[test]
fn every_case_lands_within_one_level_on_both_models() {
    let engine = Engine::with_builtin_models().unwrap();
    let mut far_apart = Vec::new();
    for (file, case) in support::load_cases() {
        let rank = |model: &str| {
            let mut request = case.request();
            request.model = model.into();
            engine.assess(&request).unwrap().level.rank
        };
        let (five, chaotic) = (rank("five_stage"), rank("chaotic_to_predictive"));
        if five.abs_diff(chaotic) > 1 {
            far_apart.push(format!(
                "{file}: five_stage {five}, chaotic_to_predictive {chaotic}"
            ));
        }
    }
    assert!(far_apart.is_empty(), "{}", far_apart.join("\n"));
}

#[test]
fn complete_cases_are_fully_confident_and_miss_nothing() {
    let engine = Engine::with_builtin_models().unwrap();
    for (file, case) in support::load_cases() {
        let got = engine.assess(&case.request()).unwrap();
        assert_eq!(got.confidence, 1.0, "{file}");
        assert!(
            got.missing_metrics.is_empty(),
            "{file}: {:?}",
            got.missing_metrics
        );
        assert!(
            got.score >= f64::from(got.level.rank) && got.score < f64::from(got.level.rank + 1),
            "{file}: {}",
            got.score
        );
    }
}
