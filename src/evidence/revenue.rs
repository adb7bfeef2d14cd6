//! `revenue.csv`, recurring revenue per account and month:
//! `net_revenue_retention`, `gross_churn_rate` and `recurring_revenue`.
//! Only two months per account are kept (the last complete month and the
//! one 12 months before), so memory grows with accounts, not rows.

use std::collections::HashMap;

use super::EvidenceError;
use super::contract::{OPPORTUNITIES, REVENUE};
use super::date::{format_month, parse_month};
use super::export::Export;
use super::mapping::Mapping;
use super::provenance::{Evidence, from, trim};
use super::table::Table;
use super::window::Windows;
use crate::engine::MetricValue;

/// The largest net revenue retention the vocabulary accepts.
const MAX_RETENTION: f64 = 5.0;

/// One account's recurring revenue in the base month and the last one.
#[derive(Debug, Default, Clone, Copy)]
struct Pair {
    base: f64,
    last: f64,
}

/// Reads the revenue and derives the metrics; `won_amount` is the amount
/// won in the last 4 quarters (`None` without amounts).
pub(crate) fn read(
    export: &Export,
    mapping: &Mapping,
    won_amount: Option<f64>,
    w: &Windows,
    ev: &mut Evidence,
) -> Result<(), EvidenceError> {
    let opp_file = mapping.file_name(&OPPORTUNITIES);
    let Some(table) = Table::open(export, REVENUE, mapping)? else {
        for name in [
            "net_revenue_retention",
            "gross_churn_rate",
            "recurring_revenue",
        ] {
            ev.unknown(name, "the export has no revenue.csv");
        }
        return Ok(());
    };
    let file = table.file().to_owned();
    let (account, month, amount) = (
        table.column("account_id"),
        table.column("month"),
        table.column("recurring_revenue"),
    );
    let (base, last) = (w.last_month - 12, w.last_month);
    let mut pairs: HashMap<Box<str>, Pair> = HashMap::new();
    let mut year_total = 0.0;
    let rows = table.for_each(|row| {
        let id = row.required(&account)?;
        let text = row.required(&month)?;
        let m = parse_month(text)
            .ok_or_else(|| row.problem(&month, text, "is not a month (YYYY-MM)"))?;
        let value = row
            .amount(&amount)?
            .ok_or_else(|| row.problem(&amount, "", "is empty; a number is required"))?;
        if m > base && m <= last {
            year_total += value;
        }
        if m == base || m == last {
            let pair = match pairs.get_mut(id) {
                Some(pair) => pair,
                None => pairs.entry(id.into()).or_default(),
            };
            if m == base {
                pair.base += value
            } else {
                pair.last += value
            }
        }
        Ok(())
    })?;
    let months = format!("{} against {}", format_month(last), format_month(base));
    retention(&file, &pairs, &months, ev);
    let files = [file.as_str(), &opp_file];
    recurring(files, rows, year_total, won_amount, w, ev);
    Ok(())
}

fn retention(file: &str, pairs: &HashMap<Box<str>, Pair>, months: &str, ev: &mut Evidence) {
    let kept: Vec<&Pair> = pairs.values().filter(|p| p.base > 0.0).collect();
    let base: f64 = kept.iter().map(|p| p.base).sum();
    let now: f64 = kept.iter().map(|p| p.last).sum();
    let lost: f64 = kept.iter().map(|p| (p.base - p.last).max(0.0)).sum();
    if base <= 0.0 {
        let why = format!("no recurring revenue in the base month ({months})");
        ev.unknown("net_revenue_retention", &why);
        ev.unknown("gross_churn_rate", &why);
        return;
    }
    let rows = kept.len() as u64;
    let nrr = (now / base).min(MAX_RETENTION);
    let formula = "recurring revenue now of the accounts that had some 12 months before / what they had then (at most 5)";
    let mut p = from(&[file], rows, format!("months {months}"), formula);
    p.computed = format!("{} / {} = {}", trim(now), trim(base), trim(nrr));
    ev.set("net_revenue_retention", MetricValue::Number(nrr), p);
    let formula = "sum over those accounts of max(then - now, 0) / what they had then";
    let p = from(&[file], rows, format!("months {months}"), formula);
    ev.ratio("gross_churn_rate", lost, base, p);
}

fn recurring(
    files: [&str; 2],
    rows: u64,
    year: f64,
    won: Option<f64>,
    w: &Windows,
    ev: &mut Evidence,
) {
    let name = "recurring_revenue";
    let Some(won) = won else {
        return ev.unknown(name, "opportunities.csv has no amount column");
    };
    if year <= 0.0 && won <= 0.0 {
        return ev.unknown(
            name,
            "neither recurring revenue nor won amount in the last 12 months",
        );
    }
    let value = year >= 0.5 * won;
    let window = format!(
        "months {}..{}, won {}",
        format_month(w.last_month - 11),
        format_month(w.last_month),
        w.quarters4.describe()
    );
    let formula = "recurring revenue of the last 12 complete months >= half the amount won in the last 4 quarters";
    let mut p = from(&files, rows, window, formula);
    p.computed = format!("{} >= 0.5 * {} is {value}", trim(year), trim(won));
    ev.set(name, MetricValue::Flag(value), p);
}
