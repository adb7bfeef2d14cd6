//! The consultant's loop on the command line, run for real: `maturity test`
//! over a scripts directory and `maturity check` over script files.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;

use support::bin::{copy_scripts, maturity, scratch, stdout};

fn output_text(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Replaces `from` (which must be there) with `to` in `file`.
fn edit(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "{} has no {from:?}", file.display());
    std::fs::write(file, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn the_shipped_scripts_pass_their_tests() {
    let text = stdout(&maturity(&[
        "test",
        support::scripts_dir().to_str().unwrap(),
    ]));
    let ok_lines = text.lines().filter(|l| l.starts_with("ok ")).count();
    assert!(ok_lines >= 10, "{text}");
    assert!(
        text.contains("test result: ok. ") && text.contains(" 0 failed; 0 files did not load"),
        "{text}"
    );
}

#[test]
fn a_failing_case_shows_the_level_and_the_criteria_that_flipped() {
    let dir = scratch("test_failing_case");
    copy_scripts(&dir);
    // Demand 70% CRM adoption for Activity-Driven: the rank 2 example drops.
    edit(
        &dir.join("five_stage.rhai"),
        "m.crm_adoption >= R2.crm_adoption",
        "m.crm_adoption >= 0.7",
    );
    let output = maturity(&["test", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let text = output_text(&output);
    let fail = "FAIL tests/five_stage/five_stage_rank2_example.json (five_stage_rank2_example): rank 1 effort_driven";
    assert!(text.contains(fail), "{text}");
    assert!(
        text.contains("level: expected rank 2 'activity_driven', got rank 1 'effort_driven'"),
        "{text}"
    );
    assert!(
        text.contains(
            "criteria that now fail: crm_in_use (rank 2: crm_adoption is 0.65, needs at least 0.7)"
        ),
        "{text}"
    );
    assert!(text.contains(" passed; 1 failed;"), "{text}");
}

#[test]
fn pinned_criteria_broken_cases_and_orphan_cases_fail() {
    let dir = scratch("test_pinned");
    copy_scripts(&dir);
    let cases = dir.join("tests/five_stage");
    edit(
        &cases.join("five_stage_rank2_example.json"),
        "\"levelId\"",
        "\"criteria\": { \"crm_in_use\": false, \"no_such\": true },\n    \"levelId\"",
    );
    std::fs::write(cases.join("broken.json"), "{ \"name\": ").unwrap();
    std::fs::create_dir_all(dir.join("tests/nobody")).unwrap();
    std::fs::copy(
        cases.join("five_stage_rank1_example.json"),
        dir.join("tests/nobody/orphan.json"),
    )
    .unwrap();
    let output = maturity(&["test", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let text = output_text(&output);
    for expected in [
        "criterion 'crm_in_use': expected it to fail, it holds",
        "criterion 'no_such': the model has no such criterion",
        "FAIL tests/five_stage/broken.json",
        "not a valid case file",
        "FAIL tests/nobody/orphan.json",
        "no model 'nobody' loaded to test",
    ] {
        assert!(text.contains(expected), "wanted {expected:?} in:\n{text}");
    }
}

#[test]
fn a_script_that_does_not_load_fails_the_tests() {
    let dir = scratch("test_broken_script");
    copy_scripts(&dir);
    edit(
        &dir.join("chaotic_to_predictive.rhai"),
        "criteria: [",
        "criteria: [ oops",
    );
    let output = maturity(&["test", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let text = output_text(&output);
    assert!(text.contains("FAIL chaotic_to_predictive.rhai:"), "{text}");
    assert!(text.contains("1 file did not load"), "{text}");
    assert!(
        text.contains("no model 'chaotic_to_predictive' loaded to test"),
        "{text}"
    );
}

#[test]
fn check_accepts_the_shipped_models_with_their_hash() {
    let dir = support::scripts_dir();
    let five = dir.join("five_stage.rhai");
    let text = stdout(&maturity(&["check", five.to_str().unwrap()]));
    assert!(text.starts_with("ok   "), "{text}");
    assert!(
        text.contains("model five_stage 2.0.0 (5 levels, "),
        "{text}"
    );
    let served = stdout(&maturity(&["models"]));
    let sha = text.split("sha256 ").nth(1).unwrap().trim();
    assert!(
        served.contains(sha),
        "check and serve disagree on the hash:\n{text}\n{served}"
    );
}

#[test]
fn check_places_a_byte_that_is_not_utf8() {
    let dir = scratch("check_latin1");
    let model = dir.join("latin1.rhai");
    std::fs::write(&model, b"// ok\n// caf\xe9\n").unwrap();
    let output = maturity(&["check", model.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(all.contains("line 2, column 7"), "{all}");
}

#[test]
fn check_warns_of_a_check_that_fails_on_every_value() {
    let dir = scratch("check_failing");
    copy_scripts(&dir);
    let model = dir.join("five_stage.rhai");
    edit(
        &model,
        "check: |m| m.stages_defined >= R2.stages_defined,",
        "check: |m| m.stages_defined.len() >= R2.stages_defined,",
    );
    let text = stdout(&maturity(&["check", model.to_str().unwrap()]));
    assert!(text.starts_with("ok   "), "{text}");
    assert!(
        text.contains(
            "warning: criterion 'stages_named': the check fails on every value tried, \
             so it will fail every call: "
        ),
        "{text}"
    );
    assert!(
        text.contains("five_stage.rhai:61:41: Function not found: len (f64)"),
        "{text}"
    );
}

#[test]
fn check_names_the_checks_that_run_as_scripts() {
    let dir = scratch("check_scripted");
    copy_scripts(&dir);
    let model = dir.join("five_stage.rhai");
    let native = stdout(&maturity(&["check", model.to_str().unwrap()]));
    assert!(!native.contains("note:"), "{native}");
    edit(
        &model,
        "check: |m| m.stages_defined >= R2.stages_defined,",
        "check: |m| { let stages = m.stages_defined; stages >= R2.stages_defined },",
    );
    let text = stdout(&maturity(&["check", model.to_str().unwrap()]));
    assert!(text.starts_with("ok   "), "{text}");
    assert!(
        text.contains("note: 1 check runs as script calls, not natively")
            && text.contains("criterion 'stages_named'"),
        "{text}"
    );
}

#[test]
fn check_reports_each_mistake_at_its_line_and_column() {
    let dir = scratch("check_mistakes");
    copy_scripts(&dir);
    let model = dir.join("five_stage.rhai");
    let original = std::fs::read_to_string(&model).unwrap();
    // (edit from, edit to, message, text the caret must point at)
    let mistakes = [
        (
            "check: |m| m.stages_defined >= R2.stages_defined,",
            "check: |m| m.stages_defined >= ,",
            "Unexpected ','",
            ",",
        ),
        (
            "criteria: [",
            "criteria: [], old_criteria: [",
            "the model has no criteria",
            "criteria",
        ),
        (
            r#"name: "Activity-Driven","#,
            r#"name: "Activity-Driven", rank: 3,"#,
            "list levels from rank 1 upwards",
            "rank: 3",
        ),
        (
            "metrics: standard_vocabulary(),",
            r#"metrics: standard_vocabulary().filter(|m| m.name != "crm_adoption") + [metric("crm_adoption", "ratio", "higher", "once"), metric("crm_adoption", "ratio", "higher", "twice")],"#,
            "metric 'crm_adoption' is declared twice",
            r#""crm_adoption", "ratio", "higher", "once""#,
        ),
        (
            r#"metrics: ["stages_defined"],
            }],"#,
            r#"metrics: ["stage_count"],
            }],"#,
            "naming metric 'stage_count', which the model does not declare",
            r#""stage_count""#,
        ),
        (
            "check: |m| m.stages_defined >= R2.stages_defined,",
            "check: |m| m.stage_count >= 3,",
            "reads metric 'stage_count', which the model does not declare",
            "stage_count",
        ),
    ];
    for (from, to, message, at) in mistakes {
        std::fs::write(&model, &original).unwrap();
        edit(&model, from, to);
        let output = maturity(&["check", model.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(1), "{message}");
        let text = output_text(&output);
        assert!(
            text.starts_with(&format!("FAIL {}:", model.display())),
            "{text}"
        );
        // Every problem starts a line with the file's place; find this one.
        let first = text
            .lines()
            .map(|l| l.trim_start_matches("FAIL "))
            .find(|l| l.starts_with(&format!("{}:", model.display())) && l.contains(message))
            .unwrap_or_else(|| panic!("wanted {message:?} in:\n{text}"));
        // file:line:column: ...
        let place: Vec<usize> = first
            .trim_start_matches(&format!("{}:", model.display()))
            .splitn(3, ':')
            .take(2)
            .map(|n| n.parse().unwrap())
            .collect();
        let line = original_line(&std::fs::read_to_string(&model).unwrap(), place[0]);
        let pointed: String = line.chars().skip(place[1] - 1).collect();
        assert!(
            pointed.starts_with(at),
            "{text}\n(caret should be at {at:?})"
        );
        assert!(
            text.contains(&format!("{} | {line}", place[0])),
            "no source line in:\n{text}"
        );
    }
}

fn original_line(text: &str, line: usize) -> String {
    text.lines().nth(line - 1).unwrap().to_owned()
}

#[test]
fn check_reports_every_problem_of_a_script_at_once_with_likely_names() {
    let dir = scratch("check_all_at_once");
    copy_scripts(&dir);
    let model = dir.join("five_stage.rhai");
    // Five mistakes in one file: an unknown key that would silently not
    // apply, a standard metric given another meaning, a threshold no ratio
    // can meet, a check that returns a number, and a check that reads a
    // misspelt metric.
    edit(
        &model,
        "    metrics: standard_vocabulary(),",
        r#"    metrics: [
        #{ name: "segment", kind: "text", allowed_values: ["smb"], better: "none" },
        metric("win_rate", "count", "higher", "Deals won."),
    ] + standard_vocabulary().filter(|m| m.name != "win_rate"),"#,
    );
    edit(
        &model,
        "check: |m| m.qualification_coverage >= R3.qualification_coverage,",
        "check: |m| m.qualification_coverage >= 50,",
    );
    edit(
        &model,
        "check: |m| m.loss_reason_coverage >= R3.loss_reason_coverage,",
        "check: |m| m.loss_reason_coverage,",
    );
    edit(
        &model,
        "m.crm_adoption >= R2.crm_adoption",
        "m.crm_adoptoin >= R2.crm_adoption",
    );
    let output = maturity(&["check", model.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let text = output_text(&output);
    for wanted in [
        "unknown key 'allowed_values' (did you mean 'allowed'?)",
        "metric 'win_rate' is a ratio in [0, 1], better higher in the standard vocabulary (docs/metrics.md) but declared here as a count",
        "criterion 'standard_qualification' can never hold: no value tried meets it, its best included (qualification_coverage at 1)",
        "criterion 'loss_reasons_recorded': the check returns f64",
        "reads metric 'crm_adoptoin', which the model does not declare (did you mean 'crm_adoption'?)",
    ] {
        assert!(text.contains(wanted), "wanted {wanted:?} in:\n{text}");
    }
    // Each problem with its place: file:line:column and the source line.
    let places = text
        .lines()
        .filter(|l| l.contains(&format!("{}:", model.display())))
        .count();
    assert!(places >= 5, "{text}");
}

#[test]
fn check_suggests_the_declared_metric_a_misspelling_meant() {
    let dir = scratch("check_did_you_mean");
    copy_scripts(&dir);
    let model = dir.join("five_stage.rhai");
    edit(
        &model,
        "metrics: [\"qualification_coverage\"],\n            check",
        "metrics: [\"qualification_coverag\"],\n            check",
    );
    let text = output_text(&maturity(&["check", model.to_str().unwrap()]));
    assert!(
        text.contains("lists metric 'qualification_coverag', which the model does not declare (did you mean 'qualification_coverage'?)"),
        "{text}"
    );
}

#[test]
fn a_directory_without_models_fails_the_tests() {
    let empty = scratch("test_no_models");
    let cases = support::scripts_dir().join("tests");
    for dir in [empty.as_path(), cases.as_path()] {
        let dir = dir.to_str().unwrap();
        let output = maturity(&["test", dir]);
        assert_eq!(output.status.code(), Some(1), "{dir}");
        let text = output_text(&output);
        assert!(
            text.contains(&format!("FAIL {dir}: no model script (MODEL.rhai) here")),
            "{text}"
        );
        assert!(
            text.contains(&format!("test result: FAILED. 0 passed; 0 failed; 0 files did not load; no model found in {dir}")),
            "{text}"
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("no model found in {dir}")),
            "{stderr}"
        );
    }
}

#[test]
fn models_without_any_test_case_fail_saying_none_ran() {
    let dir = scratch("test_no_cases");
    copy_scripts(&dir);
    std::fs::remove_dir_all(dir.join("tests")).unwrap();
    let output = maturity(&["test", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let text = output_text(&output);
    assert!(text.contains("warn five_stage: no test cases"), "{text}");
    assert!(
        text.contains(
            "test result: FAILED. 0 passed; 0 failed; 0 files did not load; no test case ran"
        ),
        "{text}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no test case ran"), "{stderr}");
}

#[test]
fn a_case_file_that_does_not_load_is_counted_as_a_file() {
    let dir = scratch("test_unreadable_case");
    copy_scripts(&dir);
    std::fs::write(
        dir.join("tests/five_stage/latin1.json"),
        b"{\"name\": \"caf\xe9\"}",
    )
    .unwrap();
    let output = maturity(&["test", dir.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let text = output_text(&output);
    assert!(
        text.contains("FAIL tests/five_stage/latin1.json: not UTF-8"),
        "{text}"
    );
    assert!(text.contains("; 0 failed; 1 file did not load"), "{text}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("error: 1 file did not load"), "{stderr}");
}
