//! Every example organisation in scripts/tests gets its expected rank, level
//! and interventions from the engine.

mod support;

use maturity_engine::engine::Engine;

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
fn every_case_below_the_top_gets_an_intervention() {
    let engine = Engine::with_builtin_models().unwrap();
    for (file, case) in support::load_cases() {
        let got = engine.assess(&case.request()).unwrap();
        if got.next_level.is_some() {
            assert!(
                !got.interventions.is_empty(),
                "{file}: no intervention below the top"
            );
            let targets: Vec<i32> = got.interventions.iter().map(|i| i.target_rank).collect();
            assert!(
                targets.iter().all(|&t| t == got.level.rank + 1),
                "{file}: {targets:?}"
            );
        }
    }
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
