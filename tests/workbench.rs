//! The consultant's workbench, run as the binary: `diff` shows what a
//! change does to a portfolio before it is deployed (exit 0, 1 or 2, as
//! diff(1)), and `case add` pins an organisation's answer down as a case.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;

use support::bin::{copy_scripts, maturity, scratch};

fn text(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A portfolio of the shipped five_stage examples, one per line, as a
/// platform scoring in bulk would send them (basic view): diff still
/// compares whole answers, so it can say which criteria flipped.
fn portfolio(dir: &Path) -> std::path::PathBuf {
    let lines: Vec<String> = support::load_cases()
        .into_iter()
        .filter(|(_, c)| c.model == "five_stage")
        .map(|(_, c)| {
            serde_json::json!({ "subject_id": c.name, "metrics": c.metrics, "view": "VIEW_BASIC" })
                .to_string()
        })
        .collect();
    let file = dir.join("orgs.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    file
}

#[test]
fn diff_shows_who_moves_and_why_and_exits_as_diff_does() {
    let dir = scratch("diff_portfolio");
    let (old, new) = (dir.join("old"), dir.join("new"));
    copy_scripts(&old);
    copy_scripts(&new);
    let orgs = portfolio(&dir);
    let args = |new: &Path| {
        let (o, n) = (old.join("five_stage.rhai"), new.join("five_stage.rhai"));
        vec![
            "diff".to_owned(),
            o.display().to_string(),
            n.display().to_string(),
            "--orgs".into(),
            orgs.display().to_string(),
        ]
    };
    let run = |args: Vec<String>| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        maturity(&refs)
    };
    // The same model: nothing changes, exit 0.
    let same = run(args(&old));
    assert_eq!(same.status.code(), Some(0), "{}", text(&same));
    assert!(
        text(&same).contains(" moved up, 0 moved down, 0 changed otherwise, "),
        "{}",
        text(&same)
    );

    // A stricter CRM threshold for Activity-Driven moves the rank 2 example down.
    let model = new.join("five_stage.rhai");
    let source = std::fs::read_to_string(&model).unwrap();
    std::fs::write(
        &model,
        source.replacen(
            "m.crm_adoption >= R2.crm_adoption",
            "m.crm_adoption >= 0.7",
            1,
        ),
    )
    .unwrap();
    let changed = run(args(&new));
    assert_eq!(changed.status.code(), Some(1));
    let out = text(&changed);
    assert!(
        out.contains("five_stage_rank2_example (five_stage): level 2 -> 1, ceiling 2 -> 1"),
        "{out}"
    );
    assert!(out.contains("    crm_in_use: passed -> failed"), "{out}");
    assert!(out.contains(" 0 moved up, "), "{out}");

    let mut json_args = args(&new);
    json_args.push("--json".into());
    let json: serde_json::Value = serde_json::from_str(&text(&run(json_args))).unwrap();
    assert!(json["summary"]["movedDown"].as_u64().unwrap() >= 1);
    // The JSON spells names and outcomes as the API's JSON does.
    let flip = &json["changes"][0]["flipped"][0];
    assert_eq!(flip["criterion"], "crm_in_use");
    assert_eq!(flip["before"], "OUTCOME_PASSED");
    assert_eq!(flip["after"], "OUTCOME_FAILED");

    // A portfolio that cannot be read is trouble: exit 2.
    let mut broken = args(&new);
    broken[4] = dir.join("nowhere.jsonl").display().to_string();
    assert_eq!(run(broken).status.code(), Some(2));
    // An organisation the model refuses is named by its line and subject.
    let bad = dir.join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"crm_in_place\": true}\n{\"subject_id\": \"acme\", \"metrics\": {\"crm_adoption\": 2}}\n",
    )
    .unwrap();
    let mut refused = args(&new);
    refused[4] = bad.display().to_string();
    let output = run(refused);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bad.jsonl: line 2 (acme), on ")
            && stderr.contains("metrics[crm_adoption]"),
        "{stderr}"
    );
}

#[test]
fn case_add_pins_the_current_answer_and_refuses_metrics_the_model_does_not_read() {
    let dir = scratch("case_add");
    copy_scripts(&dir);
    let org = dir.join("org.json");
    std::fs::write(
        &org,
        r#"{"crm_in_place": true, "crm_adoption": 0.2, "stages_defined": 4}"#,
    )
    .unwrap();
    let scripts = dir.to_str().unwrap();
    let added = maturity(&[
        "case",
        "add",
        "acme_pilot",
        "--metrics",
        org.to_str().unwrap(),
        "--model",
        "five_stage",
        "--scripts",
        scripts,
        "--why",
        "the pilot client's numbers",
        "--with-interventions",
    ]);
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert!(text(&added).contains("tests/five_stage/acme_pilot.json: rank 1 effort_driven"));
    let saved: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("tests/five_stage/acme_pilot.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(saved["expect"]["rank"], 1);
    assert_eq!(saved["why"], "the pilot client's numbers");
    assert_eq!(saved["expect"]["now"][0], "put_crm_to_work");
    // The new case passes with the rest.
    let tested = maturity(&["test", scripts]);
    assert!(
        text(&tested).contains("ok   tests/five_stage/acme_pilot.json"),
        "{}",
        text(&tested)
    );

    // Adding it again needs --force.
    let again = maturity(&[
        "case",
        "add",
        "acme_pilot",
        "--metrics",
        org.to_str().unwrap(),
        "--model",
        "five_stage",
        "--scripts",
        scripts,
    ]);
    assert_eq!(again.status.code(), Some(1));

    // A metric the model does not read is an error, not silently ignored.
    std::fs::write(&org, r#"{"crm_in_place": true, "crm_adoptoin": 0.2}"#).unwrap();
    let refused = maturity(&[
        "case",
        "add",
        "typo",
        "--metrics",
        org.to_str().unwrap(),
        "--model",
        "five_stage",
        "--scripts",
        scripts,
    ]);
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("model 'five_stage' does not read 'crm_adoptoin'"),
        "{err}"
    );
}

#[test]
fn a_case_naming_a_metric_the_model_does_not_read_fails() {
    let dir = scratch("case_unread");
    copy_scripts(&dir);
    let case = dir.join("tests/five_stage/five_stage_rank1_example.json");
    let text = std::fs::read_to_string(&case).unwrap();
    std::fs::write(
        &case,
        text.replacen("\"crm_adoption\"", "\"crm_adoptoin\"", 1),
    )
    .unwrap();
    let tested = maturity(&["test", dir.to_str().unwrap()]);
    assert_eq!(tested.status.code(), Some(1));
    let out = String::from_utf8_lossy(&tested.stdout);
    assert!(
        out.contains("metrics: the model does not read crm_adoptoin"),
        "{out}"
    );
}
