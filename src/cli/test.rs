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
        outln!("FAIL {}", render_load_error(failure));
    }
    for bad in &set.unreadable {
        outln!("FAIL {}: {}", bad.file, bad.reason);
    }
    let mut outcomes = Vec::new();
    for model in engine.models() {
        let cases: Vec<_> = set.cases_of(model.id()).collect();
        if cases.is_empty() {
            outln!(
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
    for outcome in &outcomes {
        print_outcome(outcome)?;
    }
    let found = !set.models.is_empty() || set.unreadable.iter().any(|u| u.is_model());
    let dir = args.dir.display().to_string();
    if !found {
        outln!(
            "FAIL {dir}: no model script (MODEL.rhai) here; a scripts directory holds them, with their cases in tests/MODEL/*.json"
        );
    }
    let tally = Tally {
        outcomes: &outcomes,
        unloaded: load_failures.len() + set.unreadable.len(),
        no_model: (!found).then_some(dir),
    };
    summarise(&tally)
}

/// What a run amounts to, for its summary line.
struct Tally<'a> {
    /// Every case's outcome.
    outcomes: &'a [CaseOutcome],
    /// Files (scripts, helpers, cases) that could not be read or compiled.
    unloaded: usize,
    /// The directory, when it holds no model script at all.
    no_model: Option<String>,
}

fn print_outcome(outcome: &CaseOutcome) -> Result<(), CliError> {
    let got = match &outcome.got {
        Some((rank, id)) => format!("rank {rank} {id}"),
        None => "no answer".to_owned(),
    };
    let status = if outcome.passed() { "ok  " } else { "FAIL" };
    outln!("{status} {} ({}): {got}", outcome.file, outcome.name);
    for failure in &outcome.failures {
        outln!("       {failure}");
    }
    Ok(())
}

fn summarise(tally: &Tally<'_>) -> Result<(), CliError> {
    let failed = tally.outcomes.iter().filter(|o| !o.passed()).count();
    let passed = tally.outcomes.len() - failed;
    let unloaded = count(tally.unloaded, "file", "files");
    // Nothing tested is not a pass: the directory is likely the wrong one.
    let untested = match &tally.no_model {
        Some(dir) => Some(format!("no model found in {dir}")),
        None if tally.outcomes.is_empty() => Some("no test case ran".to_owned()),
        None => None,
    };
    let mut problems = Vec::new();
    if failed > 0 {
        problems.push(format!(
            "{} failed",
            count(failed, "test case", "test cases")
        ));
    }
    if tally.unloaded > 0 {
        problems.push(format!("{unloaded} did not load"));
    }
    problems.extend(untested.clone());
    let verdict = if problems.is_empty() { "ok" } else { "FAILED" };
    let untested = untested.map(|u| format!("; {u}")).unwrap_or_default();
    outln!(
        "test result: {verdict}. {passed} passed; {failed} failed; {unloaded} did not load{untested}"
    );
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CliError::Failed(problems.join("; ")))
    }
}

/// `n` with the noun that agrees with it: "1 file", "2 files".
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
