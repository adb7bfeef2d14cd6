//! `maturity derive` on small hand-made exports: each formula's value is
//! worked out in the comment above its assertion. The export is
//! tests/fixtures/crm/full, as of 2025-06-30, so the windows are:
//! last 14 days 2025-06-17..30, last 30 days 2025-06-01..30, last 2
//! quarters 2025-01-01..06-30, last 4 quarters 2024-07-01..2025-06-30,
//! last 24 months 2023-07-01..2025-06-30, last complete quarter 2025-Q2,
//! last complete month 2025-06 (against 2024-06).
#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use support::bin::{maturity, stdout};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/crm")
        .join(name)
}

/// `maturity derive DIR --as-of AS_OF --json`.
fn derive_at(dir: &Path, as_of: &str) -> Map<String, Value> {
    let args = ["derive", dir.to_str().unwrap(), "--as-of", as_of, "--json"];
    match serde_json::from_str(&stdout(&maturity(&args))).unwrap() {
        Value::Object(metrics) => metrics,
        other => panic!("not an object: {other}"),
    }
}

fn full() -> Map<String, Value> {
    derive_at(&fixture("full"), "2025-06-30")
}

fn close(metrics: &Map<String, Value>, name: &str, expected: f64) {
    let got = metrics[name]["number"]
        .as_f64()
        .unwrap_or_else(|| panic!("{name}: {}", metrics[name]));
    assert!(
        (got - expected).abs() < 1e-9,
        "{name}: got {got}, expected {expected}"
    );
}

#[test]
fn system_of_record() {
    let m = full();
    assert_eq!(m["crm_in_place"]["flag"], true);
    // Quota-carrying sellers who had started by 2025-06-30: bob, cat, dan
    // (fay starts 2025-09-01; ann and eve carry no quota). Modified in
    // 2025-06-01..30: o8 (bob), o10 (dan). 2 / 3.
    close(&m, "crm_adoption", 2.0 / 3.0);
    // Open: o8, o9, o10. Modified 2025-06-17..30: o8 only. 1 / 3.
    close(&m, "crm_freshness", 1.0 / 3.0);
    // Closed 2024-07-01..2025-06-30: o1..o6. A change recorded on a later
    // day than the close: o3 (recorded 02-12, closed 02-10) and o5
    // (Negotiation recorded 12-02, closed 12-01). o1's "Closed Won" was
    // recorded on its close day: not back-filling. 2 / 6.
    close(&m, "crm_backfill_rate", 2.0 / 6.0);
}

#[test]
fn pipeline_outcomes() {
    let m = full();
    // Closed in the last 4 quarters: won o1 o2 o3 o4, lost o5 o6 (o7 and
    // o11 closed earlier). 4 / 6.
    close(&m, "win_rate", 4.0 / 6.0);
    // Lost: o5 (price), o6 (empty). 1 / 2.
    close(&m, "loss_reason_coverage", 0.5);
    // Open: o8 (true), o9 (false), o10 (true). 2 / 3.
    close(&m, "qualification_coverage", 2.0 / 3.0);
}

#[test]
fn documented_process() {
    let m = full();
    // Discovery, Proposal, Negotiation: 3 rows, all with a probability,
    // Negotiation without exit criteria.
    close(&m, "stages_defined", 3.0);
    assert_eq!(m["stage_probabilities_defined"]["flag"], true);
    assert_eq!(m["stage_gates_defined"]["flag"], false);
    // Closed o1..o6: o1 D<P<N, o3 D<P (stops at Proposal), o4 D<P<N
    // (listed out of order, entered in order) adhere; o2 skips Proposal,
    // o5 entered Negotiation before Proposal, o6 has no history. 3 / 6.
    close(&m, "process_adherence", 0.5);
}

#[test]
fn people() {
    let m = full();
    // bob, cat, dan carry quotas and had started.
    close(&m, "sales_reps", 3.0);
    // Won 2025-01-01..06-30: o2 bob, o3 cat, o4 ann. 3 owners.
    close(&m, "closing_reps", 3.0);
    // Won in the last 4 quarters: bob 1000 + 500, cat 2000, ann 4000 =
    // 7500; the two who won most: 4000 + 2000. 6000 / 7500.
    close(&m, "top2_rep_share_of_wins", 0.8);
    // Won deals o1 o2 o3 o4; ann (o4) is a founder. 1 / 4.
    close(&m, "founder_share_of_deals", 0.25);
}

#[test]
fn forecast() {
    let m = full();
    // 2025-Q2: the last snapshot before 04-01 is 4800 (03-31 12:00); won
    // in Q2: o4 4000. 1 - |4000 - 4800| / 4800 = 1 - 1/6.
    close(&m, "forecast_accuracy", 1.0 - 800.0 / 4800.0);
    // Q2 snapshots 5000, 4800, 4400, 4100: changes 200, 400, 300, mean
    // 300, over the last 4100.
    close(&m, "forecast_volatility", 300.0 / 4100.0);
}

#[test]
fn customers() {
    let m = full();
    // Won 2023-07-01..2025-06-30: acc1 (o1, o2), acc2 (o3; o7 was
    // 2023-03), acc3 (o4). Two or more: acc1. 1 / 3.
    close(&m, "repeat_customer_rate", 1.0 / 3.0);
    // Won in the last 4 quarters 7500; from accounts that had won before
    // that deal: o2 (acc1 won o1 first) 500, o3 (acc2 won o7 in 2023)
    // 2000. 2500 / 7500.
    close(&m, "expansion_revenue_share", 1.0 / 3.0);
    // 2024-06 -> 2025-06: acc1 100 -> 150, acc2 200 -> 120, acc3 50 -> 0;
    // acc9 is new and not counted. 270 / 350.
    close(&m, "net_revenue_retention", 270.0 / 350.0);
    // Lost: acc2 80, acc3 50 (acc1 grew). 130 / 350.
    close(&m, "gross_churn_rate", 130.0 / 350.0);
    // Recurring revenue 2024-07..2025-06: 150 + 120 + 80 + 130 = 480,
    // under half of the 7500 won.
    assert_eq!(m["recurring_revenue"]["flag"], false);
}

#[test]
fn absent_inputs_leave_metrics_unknown() {
    // Only opportunities.csv: what needs the other files is not guessed.
    let dir = support::bin::scratch("evidence_only_opportunities");
    std::fs::copy(
        fixture("full/opportunities.csv"),
        dir.join("opportunities.csv"),
    )
    .unwrap();
    let m = derive_at(&dir, "2025-06-30");
    for unknown in [
        "crm_adoption",
        "crm_backfill_rate",
        "process_adherence",
        "stages_defined",
        "sales_reps",
        "founder_share_of_deals",
        "forecast_accuracy",
        "net_revenue_retention",
        "recurring_revenue",
    ] {
        assert!(
            !m.contains_key(unknown),
            "{unknown} was derived without its inputs"
        );
    }
    close(&m, "win_rate", 4.0 / 6.0);
    // The explanation says why each is unknown.
    let out = stdout(&maturity(&[
        "derive",
        dir.to_str().unwrap(),
        "--as-of",
        "2025-06-30",
    ]));
    assert!(
        out.contains("forecast_accuracy") && out.contains("the export has no forecasts.csv"),
        "{out}"
    );
}

#[test]
fn explain_gives_rows_window_and_formula() {
    let dir = fixture("full");
    let args = [
        "derive",
        dir.to_str().unwrap(),
        "--as-of",
        "2025-06-30",
        "--explain",
    ];
    let out = stdout(&maturity(&args));
    let block = out.split("\nwin_rate = ").nth(1).unwrap();
    assert!(
        block.contains("formula   won / (won + lost), by count"),
        "{block}"
    );
    assert!(block.contains("computed  4 / 6"), "{block}");
    assert!(
        block.contains("window    closed 2024-07-01..2025-06-30"),
        "{block}"
    );
    assert!(block.contains("rows      6 (opportunities.csv)"), "{block}");
    assert!(
        out.contains("1 of 16 rows of stage_history.csv name an opportunity not in the export")
    );
    // The JSON form carries the same, and assess accepts it as a case file.
    let json = stdout(&maturity(&[&args[..4], &["--json", "--explain"]].concat()));
    let value: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["provenance"]["win_rate"]["rows"], 6);
    assert_eq!(value["asOf"], "2025-06-30");
}

#[test]
fn the_metrics_file_is_what_assess_accepts() {
    let dir = support::bin::scratch("evidence_metrics_file");
    let file = dir.join("metrics.json");
    let export = fixture("full");
    let args = [
        "derive",
        export.to_str().unwrap(),
        "--as-of",
        "2025-06-30",
        "--json",
    ];
    std::fs::write(&file, stdout(&maturity(&args))).unwrap();
    let out = stdout(&maturity(&[
        "assess",
        "--model",
        "five_stage",
        "--metrics",
        file.to_str().unwrap(),
        "--json",
    ]));
    let assessment: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(assessment["model"], "five_stage");
    assert!(
        !assessment["missingMetrics"]
            .as_array()
            .is_some_and(|missing| missing.iter().any(|m| m == "win_rate"))
    );
}

#[test]
fn a_mid_quarter_as_of_moves_every_window() {
    // As of 2025-05-30 the last 4 quarters are 2024-05-31..2025-05-30 and
    // the last complete quarter is 2025-Q1. Closed in the window: o1..o5
    // (o6 closed 2025-04-15 is in, too) and o11 (2024-06-20) is in now:
    // won o1 o2 o3 o4, lost o5 o6 o11. 4 / 7.
    let m = derive_at(&fixture("full"), "2025-05-30");
    close(&m, "win_rate", 4.0 / 7.0);
    // 2025-Q1 has one snapshot (3000, taken 2024-12-30, before it began)
    // and won o2 500 + o3 2000 = 2500: 1 - 500 / 3000.
    close(&m, "forecast_accuracy", 1.0 - 500.0 / 3000.0);
    // One snapshot: no volatility.
    assert!(!m.contains_key("forecast_volatility"));
}
