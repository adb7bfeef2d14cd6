//! `maturity test [DIR]`: runs every model's test cases in a scripts
//! directory, one line per case, and fails when any case or script fails:
//! what a consultant puts in their own CI.

use std::collections::BTreeSet;

use super::CliError;
use super::args::TestArgs;
use super::error::render_load_error;
use crate::engine::suite::{CaseOutcome, run_cases};
use crate::engine::{Engine, Limits, read_scripts_dir};

/// Runs the tests and prints the outcome.
pub(crate) fn run(args: TestArgs) -> Result<(), CliError> {
    let set = read_scripts_dir(&args.dir)?;
    let mut engine = Engine::new(Limits::default());
    let load_failures = engine.load_all(&set);
    for failure in &load_failures {
        println!("FAIL {}", render_load_error(failure));
    }
    for bad in &set.unreadable {
        println!("FAIL {}: {}", bad.file, bad.reason);
    }
    let mut outcomes = Vec::new();
    for model in engine.models() {
        let cases: Vec<_> = set.cases_of(model.id()).collect();
        if cases.is_empty() {
            println!(
                "warn {}: no test cases in tests/{}/",
                model.id(),
                model.id()
            );
        }
        outcomes.extend(run_cases(&engine, model, cases));
    }
    let loaded: BTreeSet<&str> = engine.models().map(|m| m.id()).collect();
    for case in set
        .cases
        .iter()
        .filter(|c| !loaded.contains(c.model.as_str()))
    {
        outcomes.push(CaseOutcome {
            file: case.file.clone(),
            name: String::new(),
            got: None,
            failures: vec![format!("no model '{}' loaded to test", case.model)],
        });
    }
    outcomes.iter().for_each(print_outcome);
    summarise(&outcomes, load_failures.len() + set.unreadable.len())
}

fn print_outcome(outcome: &CaseOutcome) {
    let got = match &outcome.got {
        Some((rank, id)) => format!("rank {rank} {id}"),
        None => "no answer".to_owned(),
    };
    let status = if outcome.passed() { "ok  " } else { "FAIL" };
    println!("{status} {} ({}): {got}", outcome.file, outcome.name);
    for failure in &outcome.failures {
        println!("       {failure}");
    }
}

fn summarise(outcomes: &[CaseOutcome], load_failures: usize) -> Result<(), CliError> {
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    let passed = outcomes.len() - failed;
    let verdict = if failed == 0 && load_failures == 0 {
        "ok"
    } else {
        "FAILED"
    };
    println!(
        "test result: {verdict}. {passed} passed; {failed} failed; {load_failures} scripts did not load"
    );
    if verdict == "ok" {
        Ok(())
    } else {
        Err(CliError::Failed(format!(
            "{failed} test cases failed and {load_failures} scripts did not load"
        )))
    }
}
