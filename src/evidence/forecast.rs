//! `forecasts.csv` against what was won: `forecast_accuracy` and
//! `forecast_volatility`, for the last complete quarter. Only that
//! quarter's snapshots are kept, so memory does not grow with the file.

use std::collections::HashSet;

use super::EvidenceError;
use super::contract::FORECASTS;
use super::date::{DAY, format_date, parse_quarter};
use super::export::Export;
use super::mapping::Mapping;
use super::opportunity::{Opp, Status};
use super::provenance::{Evidence, from, trim};
use super::table::Table;
use super::window::Windows;
use crate::engine::MetricValue;

/// What was won in the last complete quarter, counted by the opportunity pass.
#[derive(Debug, Default)]
pub(crate) struct Actual {
    /// The opportunities file.
    pub(crate) file: String,
    amount: f64,
    deals: u64,
}

impl Actual {
    /// Nothing won yet, in `file`.
    pub(crate) fn new(file: &str) -> Self {
        Self {
            file: file.to_owned(),
            ..Self::default()
        }
    }

    /// Counts one opportunity.
    pub(crate) fn add(&mut self, opp: &Opp<'_>, w: &Windows) {
        if opp.status == Status::Won && opp.closed_at.is_some_and(|t| w.last_quarter.contains(t)) {
            self.amount += opp.amount;
            self.deals += 1;
        }
    }
}

/// Reads the forecasts and derives both metrics; `actual` is `None` when
/// the opportunities have no amounts.
pub(crate) fn read(
    export: &Export,
    mapping: &Mapping,
    actual: Option<Actual>,
    w: &Windows,
    ev: &mut Evidence,
) -> Result<(), EvidenceError> {
    let Some(table) = Table::open(export, FORECASTS, mapping)? else {
        ev.unknown("forecast_accuracy", "the export has no forecasts.csv");
        ev.unknown("forecast_volatility", "the export has no forecasts.csv");
        return Ok(());
    };
    let file = table.file().to_owned();
    let (quarter, snapshot, amount) = (
        table.column("quarter"),
        table.column("snapshot_at"),
        table.column("amount"),
    );
    let target = w.last_quarter.start.div_euclid(DAY);
    let mut snapshots: Vec<(i64, f64)> = Vec::new();
    let mut times = HashSet::new();
    table.for_each(|row| {
        let text = row.required(&quarter)?;
        let q = parse_quarter(text)
            .ok_or_else(|| row.problem(&quarter, text, "is not a quarter (YYYY-Qn)"))?;
        let at = row.required_instant(&snapshot)?;
        let value = row
            .amount(&amount)?
            .ok_or_else(|| row.problem(&amount, "", "is empty; a number is required"))?;
        if q == target && at < w.end {
            if !times.insert(at) {
                return Err(row.problem(
                    &snapshot,
                    row.text(&snapshot)?.unwrap_or_default(),
                    "is a second snapshot of the same quarter at the same time",
                ));
            }
            snapshots.push((at, value));
        }
        Ok(())
    })?;
    snapshots.sort_by_key(|(t, _)| *t);
    let quarter_name = format!(
        "{}..{}",
        format_date(target),
        format_date(w.last_quarter.end.div_euclid(DAY) - 1)
    );
    accuracy(&file, &snapshots, actual, w, &quarter_name, ev);
    volatility(&file, &snapshots, &quarter_name, ev);
    Ok(())
}

fn accuracy(
    file: &str,
    snapshots: &[(i64, f64)],
    actual: Option<Actual>,
    w: &Windows,
    quarter: &str,
    ev: &mut Evidence,
) {
    let name = "forecast_accuracy";
    let Some(actual) = actual else {
        return ev.unknown(name, "opportunities.csv has no amount column");
    };
    let before = snapshots
        .iter()
        .rev()
        .find(|(t, _)| *t < w.last_quarter.start);
    let Some(&(_, forecast)) = before.filter(|(_, f)| *f > 0.0) else {
        return ev.unknown(
            name,
            &format!("no snapshot above 0 taken before the quarter {quarter} began"),
        );
    };
    let value = (1.0 - (actual.amount - forecast).abs() / forecast).clamp(0.0, 1.0);
    let formula = "1 - |actual - forecast| / forecast, clamped to [0, 1]; forecast = last snapshot before the quarter began, actual = won amount closed in it";
    let mut p = from(
        &[file, &actual.file],
        actual.deals,
        format!("quarter {quarter}"),
        formula,
    );
    p.computed = format!(
        "1 - |{} - {}| / {} = {}",
        trim(actual.amount),
        trim(forecast),
        trim(forecast),
        trim(value)
    );
    ev.set(name, MetricValue::Number(value), p);
}

fn volatility(file: &str, snapshots: &[(i64, f64)], quarter: &str, ev: &mut Evidence) {
    let name = "forecast_volatility";
    let last = snapshots.last().map_or(0.0, |(_, a)| *a);
    if snapshots.len() < 2 || last <= 0.0 {
        return ev.unknown(
            name,
            &format!("needs two or more snapshots of the quarter {quarter}, the last above 0"),
        );
    }
    let changes: f64 = snapshots.windows(2).map(|p| (p[1].1 - p[0].1).abs()).sum();
    let mean = changes / (snapshots.len() - 1) as f64;
    let value = (mean / last).min(1.0);
    let formula =
        "mean |change| between consecutive snapshots of the quarter / its last snapshot, at most 1";
    let mut p = from(
        &[file],
        snapshots.len() as u64,
        format!("quarter {quarter}"),
        formula,
    );
    p.computed = format!("{} / {} = {}", trim(mean), trim(last), trim(value));
    ev.set(name, MetricValue::Number(value), p);
}
