//! Generated exports, whose metrics are known by construction: the binary
//! writes them (`generate-crm --truth`) and derives them, and the two must
//! agree; over many generated exports every ratio stays in [0, 1] and one
//! more won deal never lowers the win rate.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};

use maturity_engine::engine::{MetricValue, Metrics};
use maturity_engine::evidence::generate::{Profile, Spec, generate};
use maturity_engine::evidence::{Export, Mapping, Options, derive, parse_date};
use proptest::prelude::*;
use serde_json::Value;
use support::bin::{maturity, scratch, stdout};

const AS_OF: &str = "2025-06-30";

/// The vocabulary's ratios that an export can show.
const RATIOS: [&str; 14] = [
    "crm_adoption",
    "crm_freshness",
    "crm_backfill_rate",
    "win_rate",
    "loss_reason_coverage",
    "qualification_coverage",
    "process_adherence",
    "top2_rep_share_of_wins",
    "founder_share_of_deals",
    "forecast_accuracy",
    "forecast_volatility",
    "repeat_customer_rate",
    "expansion_revenue_share",
    "gross_churn_rate",
];

fn json_file(path: &Path) -> serde_json::Map<String, Value> {
    match serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap() {
        Value::Object(map) => map,
        other => panic!("{other}"),
    }
}

fn assert_same(
    truth: &serde_json::Map<String, Value>,
    derived: &serde_json::Map<String, Value>,
    what: &str,
) {
    let names = |m: &serde_json::Map<String, Value>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(truth), names(derived), "{what}: different metrics");
    for (name, expected) in truth {
        let got = &derived[name];
        match (expected.as_f64(), got.as_f64()) {
            (Some(e), Some(g)) => {
                assert!((e - g).abs() < 1e-9, "{what}: {name} is {g}, built as {e}")
            }
            _ => assert_eq!(expected, got, "{what}: {name}"),
        }
    }
}

#[test]
fn derived_metrics_are_the_ones_built_in() {
    for profile in [
        "process-driven",
        "hero-dependent",
        "back-filling",
        "founder-led",
    ] {
        for (sellers, opportunities) in [("2", "150"), ("40", "4000")] {
            let dir = scratch(&format!("generated_{profile}_{sellers}"));
            let args = [
                "generate-crm",
                dir.to_str().unwrap(),
                "--profile",
                profile,
                "--sellers",
                sellers,
                "--opportunities",
                opportunities,
                "--as-of",
                AS_OF,
                "--truth",
            ];
            stdout(&maturity(&args));
            let out = stdout(&maturity(&[
                "derive",
                dir.to_str().unwrap(),
                "--as-of",
                AS_OF,
                "--json",
            ]));
            let derived = match serde_json::from_str(&out).unwrap() {
                Value::Object(map) => map,
                other => panic!("{other}"),
            };
            let truth = json_file(&dir.join("truth.json"));
            assert_same(&truth, &derived, &format!("{profile}, {sellers} sellers"));
        }
    }
}

fn spec(profile: Profile, opportunities: u64, sellers: u32, seed: u64) -> Spec {
    Spec {
        profile,
        opportunities,
        sellers,
        history_per_opportunity: 3,
        as_of: parse_date(AS_OF).unwrap(),
        seed,
    }
}

fn derive_dir(dir: &Path) -> Metrics {
    let options = Options::new(Some(AS_OF), Mapping::default()).unwrap();
    derive(&Export::Dir(dir.into()), &options).unwrap().metrics
}

fn number(m: &Metrics, name: &str) -> Option<f64> {
    match m.get(name) {
        Some(MetricValue::Number(n)) => Some(*n),
        _ => None,
    }
}

fn case_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn each_profile_shows_its_habits() {
    let at = |p: Profile| {
        let dir = case_dir(&format!("habits_{}", p.name()));
        generate(&spec(p, 3000, 20, 3), &dir).unwrap()
    };
    let (process, hero, backfill) = (
        at(Profile::ProcessDriven),
        at(Profile::HeroDependent),
        at(Profile::BackFilling),
    );
    let top2 = |m: &Metrics| number(m, "top2_rep_share_of_wins").unwrap();
    assert!(
        top2(&hero) > 0.5 && top2(&process) < 0.3,
        "{} {}",
        top2(&hero),
        top2(&process)
    );
    let backfilled = |m: &Metrics| number(m, "crm_backfill_rate").unwrap();
    assert!(backfilled(&backfill) > 0.4 && backfilled(&process) < 0.1);
    let adherence = |m: &Metrics| number(m, "process_adherence").unwrap();
    assert!(adherence(&process) > 0.7 && adherence(&hero) < 0.5);
    let founder = at(Profile::FounderLed);
    assert!(number(&founder, "founder_share_of_deals").unwrap() > 0.4);
    assert!(!founder.contains_key("stages_defined") && !founder.contains_key("forecast_accuracy"));
}

fn any_profile() -> impl Strategy<Value = Profile> {
    prop::sample::select(Profile::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn every_ratio_is_a_share(profile in any_profile(), opportunities in 1u64..400, sellers in 1u32..30, seed in any::<u64>()) {
        let dir = case_dir("property_ratios");
        generate(&spec(profile, opportunities, sellers, seed), &dir).unwrap();
        let metrics = derive_dir(&dir);
        for name in RATIOS {
            if let Some(n) = number(&metrics, name) {
                prop_assert!((0.0..=1.0).contains(&n), "{name} = {n}");
            }
        }
        if let Some(nrr) = number(&metrics, "net_revenue_retention") {
            prop_assert!((0.0..=5.0).contains(&nrr));
        }
    }

    #[test]
    fn a_won_deal_never_lowers_the_win_rate(profile in any_profile(), opportunities in 1u64..300, seed in any::<u64>(), days_ago in 0i64..365, amount in 0u32..100_000) {
        let dir = case_dir("property_win_rate");
        generate(&spec(profile, opportunities, 5, seed), &dir).unwrap();
        let before = number(&derive_dir(&dir), "win_rate");
        let closed = parse_date(AS_OF).unwrap() - days_ago;
        let (y, m, d) = civil(closed);
        let mut file = std::fs::OpenOptions::new().append(true).open(dir.join("opportunities.csv")).unwrap();
        writeln!(file, "extra,a1,seller1,2024-01-01,{y:04}-{m:02}-{d:02},won,Closed Won,{amount},,true,2024-01-01").unwrap();
        let after = number(&derive_dir(&dir), "win_rate").unwrap();
        prop_assert!(after >= before.unwrap_or(0.0), "{before:?} -> {after}");
    }
}

/// Year, month, day of days since 1970-01-01 (for writing a row).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}
