//! docs/schema/: the JSON Schemas of a test case and of a metrics file are
//! the ones the proto generates, and they agree with what the code reads:
//! every file the project ships passes both, and hand-written variants are
//! taken or refused by the schema and the code alike.

#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};

use maturity_engine::engine::cases::Case;
use maturity_engine::grpc::schema::files;
use serde_json::{Value, json};
use support::bin::{maturity, scratch};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn shipped(name: &str) -> Value {
    let path = root().join("docs/schema").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::validator_for(schema).unwrap()
}

/// Every case file under scripts/tests/.
fn shipped_cases() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for model in std::fs::read_dir(root().join("scripts/tests")).unwrap() {
        for file in std::fs::read_dir(model.unwrap().path()).unwrap() {
            out.push(file.unwrap().path());
        }
    }
    out.sort();
    out
}

#[test]
fn the_shipped_schemas_are_the_ones_the_proto_generates() {
    for (name, generated) in [
        ("case.schema.json", files::case_file()),
        ("metrics.schema.json", files::metrics_file()),
    ] {
        assert!(
            shipped(name) == generated,
            "docs/schema/{name} is stale: regenerate it with `maturity schema {}`",
            name.split('.').next().unwrap()
        );
    }
    let printed = support::bin::stdout(&maturity(&["schema", "case"]));
    assert_eq!(
        serde_json::from_str::<Value>(&printed).unwrap(),
        files::case_file()
    );
}

#[test]
fn every_shipped_case_file_passes_the_schemas_and_the_reader() {
    let case = validator(&shipped("case.schema.json"));
    let metrics = validator(&shipped("metrics.schema.json"));
    let cases = shipped_cases();
    assert!(cases.len() > 50, "{}", cases.len());
    for path in cases {
        let text = std::fs::read_to_string(&path).unwrap();
        let json: Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = case.iter_errors(&json).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        assert!(metrics.is_valid(&json), "{}", path.display());
        Case::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

#[test]
fn a_case_is_written_in_the_mapping_and_the_schema_names_every_key_it_writes() {
    let text = r#"{"name": "n", "model": "five_stage", "why": "w",
        "metrics": {"win_rate": 0.3}, "subject_id": "acme", "target_rank": 4,
        "expect": {"rank": 2, "level_id": "activity_driven",
                   "interventions_name_any_of": ["win_rate"],
                   "criteria": {"crm_in_use": true}, "now": ["measure_outcomes"]}}"#;
    let case = Case::from_json(text).unwrap();
    assert_eq!(case.target_rank, 4);
    assert_eq!(case.request().subject_id, "acme");
    let written = serde_json::to_value(&case).unwrap();
    assert_eq!(written["metrics"]["win_rate"], json!({"number": 0.3}));
    assert_eq!(written["expect"]["levelId"], "activity_driven");
    let schema = shipped("case.schema.json");
    let expectation = &schema["$defs"]["maturity.v1.Expectation"]["properties"];
    for key in written.as_object().unwrap().keys() {
        assert!(schema["properties"][key].is_object(), "{key}");
    }
    for key in written["expect"].as_object().unwrap().keys() {
        assert!(expectation[key].is_object(), "{key}");
    }
    assert!(validator(&schema).is_valid(&written));
}

/// Hand-written case files, each taken (true) or refused (false) by both
/// the schema and the reader.
#[test]
fn the_case_schema_and_the_reader_take_and_refuse_the_same_files() {
    let base = json!({
        "name": "n", "model": "five_stage",
        "metrics": {"win_rate": {"number": 0.3}, "crm_in_place": true},
        "expect": {"rank": 1, "levelId": "effort_driven"}
    });
    let with = |pointer: &str, value: Value| {
        let mut doc = base.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        doc.pointer_mut(parent).unwrap()[key] = value;
        doc
    };
    let without = |key: &str| {
        let mut doc = base.clone();
        doc.as_object_mut().unwrap().remove(key);
        doc
    };
    let variants = [
        ("as written", base.clone(), true),
        (
            "proto names",
            json!({"name": "n", "model": "m", "metrics": {}, "subject_id": "s",
            "expect": {"rank": 1, "level_id": "x", "interventions_name_any_of": []}}),
            true,
        ),
        ("a subject and a plan", with("/targetRank", json!(3)), true),
        (
            "a text metric",
            with("/metrics/segment", json!({"text": "smb"})),
            true,
        ),
        ("no expect", without("expect"), false),
        ("no metrics", without("metrics"), false),
        ("no name", without("name"), false),
        (
            "explain is the runner's",
            with("/explain", json!(true)),
            false,
        ),
        ("a misspelt key", with("/expct", json!({})), false),
        (
            "a misspelt expectation",
            with("/expect/nows", json!([])),
            false,
        ),
        ("no level id", with("/expect", json!({"rank": 1})), false),
        ("a rank as text", with("/expect/rank", json!("1")), false),
        (
            "two kinds in one value",
            with("/metrics/x", json!({"number": 1, "flag": true})),
            false,
        ),
        ("an empty value", with("/metrics/x", json!({})), false),
        ("a list", with("/metrics/x", json!([1])), false),
        ("a why that is a number", with("/why", json!(3)), false),
    ];
    let schema = validator(&shipped("case.schema.json"));
    for (what, doc, taken) in variants {
        assert_eq!(schema.is_valid(&doc), taken, "schema, {what}: {doc}");
        let read = Case::from_json(&doc.to_string());
        assert_eq!(read.is_ok(), taken, "reader, {what}: {doc} {read:?}");
    }
}

/// Metrics files, each taken or refused by both the schema and `maturity
/// assess --metrics` (the reader every command shares).
#[test]
fn the_metrics_schema_and_assess_take_and_refuse_the_same_files() {
    let dir = scratch("schema_metrics");
    let request = json!({"model": "five_stage", "metrics": {"win_rate": 0.3}});
    let with = |key: &str, value: Value| {
        let mut doc = request.clone();
        doc[key] = value;
        doc
    };
    let variants = [
        (
            "plain metrics",
            json!({"win_rate": 0.3, "crm_in_place": true}),
            true,
        ),
        ("mapped metrics", json!({"win_rate": {"number": 0.3}}), true),
        ("a request", request.clone(), true),
        (
            "the request's other fields",
            json!({"model": "five_stage", "metrics": {},
            "subjectId": "acme", "explain": true, "requestId": "r", "targetRank": 4,
            "view": "VIEW_BASIC", "scriptSha256": ""}),
            true,
        ),
        (
            "proto names",
            json!({"metrics": {}, "subject_id": "a", "target_rank": 4}),
            true,
        ),
        (
            "a case file",
            with("expect", json!({"rank": 1, "levelId": "effort_driven"})),
            true,
        ),
        (
            "a misspelt request key",
            with("subjectid", json!("a")),
            false,
        ),
        ("an unknown view", with("view", json!("VIEW_NOPE")), false),
        (
            "a broken expectation",
            with("expect", json!({"rank": 1})),
            false,
        ),
        ("a list value", json!({"win_rate": [0.3]}), false),
        (
            "two kinds in one value",
            json!({"win_rate": {"number": 0.3, "flag": true}}),
            false,
        ),
        (
            "a value of no kind",
            json!({"win_rate": {"numbr": 0.3}}),
            false,
        ),
        ("a name that is a number", with("name", json!(7)), false),
    ];
    let schema = validator(&shipped("metrics.schema.json"));
    for (i, (what, doc, taken)) in variants.into_iter().enumerate() {
        assert_eq!(schema.is_valid(&doc), taken, "schema, {what}: {doc}");
        let path = dir.join(format!("{i}.json"));
        std::fs::write(&path, doc.to_string()).unwrap();
        let out = maturity(&[
            "assess",
            "--metrics",
            path.to_str().unwrap(),
            "--model",
            "five_stage",
            "--json",
        ]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.success(),
            taken,
            "assess, {what}: {doc}\n{stderr}"
        );
    }
}
