//! The evidence commands as a consultant uses them: a CRM's own export
//! read through a mapping profile, `assess --crm`, and bad exports refused
//! with the file, line, column and value.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use support::bin::{maturity, scratch, stdout};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/crm")
        .join(name)
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The command's error output; it must have failed and printed no metrics.
fn failure(args: &[&str]) -> String {
    let out = maturity(args);
    assert!(
        !out.status.success(),
        "succeeded: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(out.stdout.is_empty(), "printed metrics despite the error");
    String::from_utf8(out.stderr).unwrap()
}

/// An export of the full fixture with opportunities.csv replaced by `csv`.
fn with_opportunities(name: &str, csv: &str) -> PathBuf {
    let dir = scratch(name);
    for file in ["team.csv", "stages.csv", "stage_history.csv"] {
        std::fs::copy(fixture("full").join(file), dir.join(file)).unwrap();
    }
    std::fs::write(dir.join("opportunities.csv"), csv).unwrap();
    dir
}

const HEADER: &str = "id,account_id,owner,created_at,closed_at,status,stage,amount,loss_reason,qualified,last_modified_at\n";

#[test]
fn a_salesforce_report_export_reads_as_it_is() {
    // Salesforce's report columns, m/d/y dates with AM/PM times, a UTF-8
    // byte-order mark, won and lost from "Stage", roles from the org.
    let dir = fixture("salesforce");
    let out = stdout(&maturity(&[
        "derive",
        path(&dir),
        "--as-of",
        "2025-06-30",
        "--mapping",
        "salesforce",
        "--json",
    ]));
    let mapped: Value = serde_json::from_str(&out).unwrap();
    // Each value in its JSON mapping: {"number": 0.5}.
    let m = |name: &str| mapped[name]["number"].clone();
    // Closed 2024-07-01..2025-06-30: 006A1 won, 006A2 won, 006A3 lost.
    // 006A4 and 006A5 are open: their future close dates are ignored. 2 / 3.
    assert_eq!(m("win_rate").as_f64().unwrap(), 2.0 / 3.0);
    // Open and modified 2025-06-17..30: 006A4 (6/20) of 006A4, 006A5.
    assert_eq!(m("crm_freshness"), 0.5);
    // "Allow Forecasting" sellers Bob and Cat; only Cat modified one
    // (006A4) in June.
    assert_eq!(m("crm_adoption"), 0.5);
    // 006A2 closed 2/10 and its "Closed Won" was saved 2/12: 1 of 3.
    assert_eq!(m("crm_backfill_rate").as_f64().unwrap(), 1.0 / 3.0);
    // The CEO owns no won deal; "Account Executive" maps to seller.
    assert_eq!(m("founder_share_of_deals"), 0.0);
    assert_eq!(m("sales_reps"), 2.0);
    // Standard Salesforce has no loss reason or qualification field.
    assert!(mapped.get("loss_reason_coverage").is_none());
    assert!(mapped.get("qualification_coverage").is_none());
}

#[test]
fn assess_crm_says_where_each_metric_came_from() {
    let dir = scratch("evidence_assess_crm");
    let hand = dir.join("hand.json");
    // By hand: a win rate the export contradicts, and what no export shows.
    std::fs::write(&hand, r#"{"win_rate": 0.9, "playbook_exists": true}"#).unwrap();
    let export = fixture("full");
    let base = [
        "assess",
        "--crm",
        path(&export),
        "--as-of",
        "2025-06-30",
        "--model",
        "five_stage",
        "--metrics",
        path(&hand),
    ];
    let text = stdout(&maturity(&base));
    let sources = text
        .split("Where the metrics came from")
        .nth(1)
        .expect(&text);
    let line = |name: &str| {
        sources
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap()
            .to_owned()
    };
    assert!(
        line("win_rate ").contains("0.667")
            && line("win_rate ").contains("the metrics file said 0.9"),
        "{sources}"
    );
    assert!(line("playbook_exists").ends_with("by hand"), "{sources}");
    assert!(line("crm_adoption").ends_with("export"), "{sources}");
    assert!(
        sources.contains("22 from the export, 1 by hand, 1 where they disagree"),
        "{sources}"
    );
    // The level line of the usual report comes first.
    assert!(text.find("Level ").unwrap() < text.find("Where the metrics came from").unwrap());
    let json: Value =
        serde_json::from_str(&stdout(&maturity(&[&base[..], &["--json"]].concat()))).unwrap();
    let merged = &json["evidence"]["merged"];
    assert_eq!(
        merged["metrics"]["win_rate"]["number"].as_f64().unwrap(),
        2.0 / 3.0
    );
    assert_eq!(merged["disagreements"][0]["metric"], "win_rate");
    assert_eq!(merged["byHand"], serde_json::json!(["playbook_exists"]));
    assert!(
        !json["missingMetrics"]
            .as_array()
            .is_some_and(|missing| missing.iter().any(|m| m == "crm_adoption"))
    );
    // A value the file gives out of range is refused, though the export
    // gives that metric too and would have won.
    std::fs::write(&hand, r#"{"crm_adoption": 7}"#).unwrap();
    let err = failure(&base);
    assert!(err.contains("metrics[crm_adoption]"), "{err}");
}

#[test]
fn assess_crm_without_a_model_says_what_to_pass() {
    let err = failure(&["assess", "--crm", path(&fixture("full"))]);
    assert!(err.contains("--crm needs --model"), "{err}");
}

#[test]
fn a_missing_column_is_named() {
    let dir = with_opportunities(
        "evidence_missing_column",
        "id,owner,closed_at\no1,bob,2025-01-01\n",
    );
    let err = failure(&["derive", path(&dir), "--as-of", "2025-06-30"]);
    assert!(
        err.contains("opportunities.csv: no column \"account_id\""),
        "{err}"
    );
    assert!(
        err.contains("the header has: id, owner, closed_at"),
        "{err}"
    );
    // Through a mapping, the export's own name is given, and the contract's.
    let dir = scratch("evidence_missing_mapped_column");
    std::fs::write(dir.join("opportunities.csv"), "id,owner\n").unwrap();
    let err = failure(&[
        "derive",
        path(&dir),
        "--as-of",
        "2025-06-30",
        "--mapping",
        "salesforce",
    ]);
    assert!(
        err.contains("no column \"Opportunity ID\" (the mapping's name for id)"),
        "{err}"
    );
}

#[test]
fn a_value_that_does_not_parse_names_file_line_column_and_value() {
    let csv = format!(
        "{HEADER}o1,a,bob,2025-01-02,2025-03-01,won,Closed,100,,true,2025-03-01\n\
         o2,a,bob,2025-01-02,2025-03-01,won,Closed,12.5x,,true,2025-03-01\n\
         o3,a,bob,2025-01-02,31/03/2025,lost,Closed,10,,true,2025-03-01\n\
         o4,a,bob,2025-01-02,2025-03-01,won,Closed,1e308,,true,2025-03-01\n"
    );
    let dir = with_opportunities("evidence_bad_value", &csv);
    let err = failure(&["derive", path(&dir), "--as-of", "2025-06-30"]);
    assert!(
        err.contains("opportunities.csv:3: column amount: \"12.5x\" is not an amount"),
        "{err}"
    );
    // An amount so large that sums would overflow is the row's fault too.
    assert!(
        err.contains(
            "opportunities.csv:5: column amount: \"1e308\" is not an amount from 0 to 1e15"
        ),
        "{err}"
    );
    // Both bad rows are reported: no row is dropped and none hides another.
    assert!(
        err.contains("opportunities.csv:4: column closed_at: \"31/03/2025\" is not a date"),
        "{err}"
    );
}

#[test]
fn an_unknown_status_is_refused_not_skipped() {
    let csv =
        format!("{HEADER}o1,a,bob,2025-01-02,2025-03-01,pending,Closed,100,,true,2025-03-01\n");
    let dir = with_opportunities("evidence_unknown_status", &csv);
    let err = failure(&["derive", path(&dir), "--as-of", "2025-06-30"]);
    assert!(
        err.contains(
            "opportunities.csv:2: column status: \"pending\" is not a status (open, won, lost)"
        ),
        "{err}"
    );
    assert!(err.contains("[values.status]"), "{err}");
}

#[test]
fn row_problems_in_every_file_are_refused() {
    let dir = with_opportunities(
        "evidence_bad_history",
        &std::fs::read_to_string(fixture("full/opportunities.csv")).unwrap(),
    );
    let history = "opportunity_id,stage,entered_at,recorded_at\no1,Discovery,yesterday,2024-08-01\no1,Proposal,2024-08-20\n";
    std::fs::write(dir.join("stage_history.csv"), history).unwrap();
    let err = failure(&["derive", path(&dir), "--as-of", "2025-06-30"]);
    assert!(
        err.contains("stage_history.csv:2: column entered_at: \"yesterday\""),
        "{err}"
    );
    // A short row is a CSV error on its own line, not a silent gap.
    assert!(err.contains("stage_history.csv:3:"), "{err}");
    std::fs::write(
        dir.join("stage_history.csv"),
        "opportunity_id,stage,entered_at,recorded_at\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("team.csv"),
        "seller,role,started_at,quota_carrying\nann,ceo,2020-01-01,false\n",
    )
    .unwrap();
    let err = failure(&["derive", path(&dir), "--as-of", "2025-06-30"]);
    assert!(
        err.contains("team.csv:2: column role: \"ceo\" is not a role"),
        "{err}"
    );
}

#[test]
fn duplicate_ids_and_missing_files_are_refused() {
    let csv = format!(
        "{HEADER}o1,a,bob,2025-01-02,2025-03-01,won,Closed,100,,true,2025-03-01\n\
         o1,a,bob,2025-01-02,2025-03-01,won,Closed,100,,true,2025-03-01\n"
    );
    let dir = with_opportunities("evidence_duplicate", &csv);
    let err = failure(&["derive", path(&dir), "--as-of", "2025-06-30"]);
    assert!(
        err.contains("opportunities.csv:3: column id: \"o1\" is the id of an earlier row too"),
        "{err}"
    );
    let empty = scratch("evidence_empty_export");
    let err = failure(&["derive", path(&empty)]);
    assert!(
        err.contains("opportunities.csv: required, but the export has no such file"),
        "{err}"
    );
    let err = failure(&["derive", path(&fixture("full")), "--as-of", "2025-02-30"]);
    assert!(err.contains("is not a date"), "{err}");
}

#[test]
fn without_an_as_of_day_the_windows_end_at_the_exports_latest_activity() {
    // The fixture's last creation or modification is 2025-06-25 (an open
    // deal's planned close, 2025-07-30, is not activity); read today, its
    // sellers would all look idle.
    let text = stdout(&maturity(&["derive", path(&fixture("full"))]));
    assert!(text.contains("(as of 2025-06-25,"), "{text}");
    let adoption = text
        .lines()
        .find(|l| l.trim_start().starts_with("crm_adoption"))
        .unwrap();
    assert!(adoption.contains("2 / 3"), "{adoption}");
}

#[test]
fn an_empty_or_utf16_file_is_named_for_what_it_is() {
    let empty = with_opportunities("evidence_empty_file", "");
    let err = failure(&["derive", path(&empty), "--as-of", "2025-06-30"]);
    assert!(
        err.contains(
            "opportunities.csv:1: the file is empty: its first line must name the columns"
        ),
        "{err}"
    );
    let dir = with_opportunities("evidence_utf16_file", "");
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(HEADER.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    std::fs::write(dir.join("opportunities.csv"), utf16).unwrap();
    let err = failure(&["derive", path(&dir), "--as-of", "2025-06-30"]);
    assert!(
        err.contains("opportunities.csv:1: the file is not UTF-8 text"),
        "{err}"
    );
    assert!(!err.contains("Utf8 {"), "{err}");
}
