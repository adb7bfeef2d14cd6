//! The export's CSV files, written in the contract's own columns.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use super::profile::Habits;
use super::rng::Rng;
use super::truth::Truth;
use crate::engine::MetricValue;
use crate::evidence::date::{DAY, format_date, format_month};
use crate::evidence::window::Windows;

/// Stage names, in order; a profile documents the first few.
const STAGES: [&str; 6] = [
    "Discovery",
    "Qualification",
    "Solution",
    "Proposal",
    "Negotiation",
    "Commit",
];
/// How many stages deals walk through where none are documented.
const UNDOCUMENTED_STAGES: usize = 4;

/// Open writers for each file the profile has.
pub(crate) struct Files {
    dir: std::path::PathBuf,
    pub(crate) opportunities: BufWriter<File>,
    pub(crate) history: BufWriter<File>,
}

fn create(dir: &Path, name: &str, header: &str) -> io::Result<BufWriter<File>> {
    let mut w = BufWriter::with_capacity(1 << 20, File::create(dir.join(name))?);
    writeln!(w, "{header}")?;
    Ok(w)
}

/// An instant as `YYYY-MM-DD HH:MM:SS`.
pub(crate) fn timestamp(t: i64) -> String {
    let s = t.rem_euclid(DAY);
    format!(
        "{} {:02}:{:02}:{:02}",
        format_date(t.div_euclid(DAY)),
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

impl Files {
    /// Creates the directory and the two files every export has.
    pub(crate) fn create(dir: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        for stale in ["stages.csv", "forecasts.csv", "revenue.csv"] {
            let _ = std::fs::remove_file(dir.join(stale));
        }
        Ok(Self {
            dir: dir.into(),
            opportunities: create(
                dir,
                "opportunities.csv",
                "id,account_id,owner,created_at,closed_at,status,stage,amount,loss_reason,qualified,last_modified_at",
            )?,
            history: create(
                dir,
                "stage_history.csv",
                "opportunity_id,stage,entered_at,recorded_at",
            )?,
        })
    }

    /// team.csv: the founder, a sales leader and the quota-carrying sellers.
    pub(crate) fn team(&mut self, sellers: usize) -> io::Result<()> {
        let mut w = create(
            &self.dir,
            "team.csv",
            "seller,role,started_at,quota_carrying",
        )?;
        writeln!(w, "{},founder,2015-01-01,false", owner_name(0))?;
        writeln!(w, "leader,leader,2018-06-01,false")?;
        for i in 1..=sellers {
            writeln!(
                w,
                "{},seller,{},true",
                owner_name(i),
                format_date(16_000 + (i as i64 % 2000))
            )?;
        }
        w.flush()
    }

    /// stages.csv when the profile documents stages; the stage names deals
    /// walk through either way.
    pub(crate) fn stages(&mut self, habits: &Habits) -> io::Result<Vec<&'static str>> {
        let Some((n, probabilities, gates)) = habits.stages else {
            return Ok(STAGES[..UNDOCUMENTED_STAGES].to_vec());
        };
        let mut w = create(
            &self.dir,
            "stages.csv",
            "stage,order,probability,exit_criteria",
        )?;
        for (i, name) in STAGES[..n].iter().enumerate() {
            let p = if probabilities {
                ((i + 1) * 100 / (n + 1)).to_string()
            } else {
                String::new()
            };
            let exit = if gates {
                format!("{name} criteria met")
            } else {
                String::new()
            };
            writeln!(w, "{name},{},{p},{exit}", (i + 1) * 10)?;
        }
        w.flush()?;
        Ok(STAGES[..n].to_vec())
    }

    /// forecasts.csv: weekly snapshots of the last complete quarter (and
    /// the one before), off by up to `error` before the quarter began.
    pub(crate) fn forecasts(
        &mut self,
        truth: &mut Truth,
        error: f64,
        rng: &mut Rng,
        w: &Windows,
    ) -> io::Result<()> {
        let mut out = create(&self.dir, "forecasts.csv", "quarter,snapshot_at,amount")?;
        let (start, end) = (w.last_quarter.start, w.last_quarter.end);
        let (y, m, _) = crate::evidence::date::civil_from_days(start.div_euclid(DAY));
        let quarter = format!("{y}-Q{}", (m - 1) / 3 + 1);
        let actual = truth.last_quarter_won as f64;
        let sign = if rng.chance(0.5) { 1.0 } else { -1.0 };
        let off = error * (0.5 + rng.below(501) as f64 / 1000.0);
        let forecast = (actual * (1.0 + sign * off)).round().max(1.0);
        let early = (forecast + rng.below(2001) as f64 - 1000.0).max(0.0);
        let mut snapshots = vec![
            (start - 100 * DAY, forecast),
            (start - 14 * DAY, early),
            (start - 7 * DAY, forecast),
        ];
        let weeks = (end - start) / (7 * DAY);
        for k in 1..=weeks {
            let drift = forecast + (actual - forecast) * k as f64 / weeks as f64;
            let noise = (rng.below(1001) as f64 - 500.0) * error;
            snapshots.push((start + k * 7 * DAY - DAY, (drift + noise).round().max(0.0)));
        }
        for (t, amount) in &snapshots {
            writeln!(out, "{quarter},{},{}", timestamp(*t), *amount as u64)?;
        }
        out.flush()?;
        let amounts: Vec<f64> = snapshots.iter().map(|(_, a)| a.trunc()).collect();
        let accuracy = (1.0 - (actual - forecast).abs() / forecast).clamp(0.0, 1.0);
        truth.set("forecast_accuracy", MetricValue::Number(accuracy));
        let last = amounts.last().copied().unwrap_or(0.0);
        let changes: f64 = amounts.windows(2).map(|p| (p[1] - p[0]).abs()).sum();
        truth.share(
            "forecast_volatility",
            changes / (amounts.len() - 1) as f64,
            last,
        );
        Ok(())
    }

    /// revenue.csv: monthly recurring revenue of some accounts, some of
    /// them churning, some growing, some new.
    pub(crate) fn revenue(
        &mut self,
        truth: &mut Truth,
        opportunities: u64,
        rng: &mut Rng,
        w: &Windows,
    ) -> io::Result<()> {
        let mut out = create(
            &self.dir,
            "revenue.csv",
            "account_id,month,recurring_revenue",
        )?;
        let (base, last) = (w.last_month - 12, w.last_month);
        let accounts = (opportunities / 4).clamp(1, 5000);
        let (mut then, mut now, mut lost, mut year) = (0u64, 0u64, 0u64, 0u64);
        for a in 0..accounts {
            let starts = if rng.chance(0.8) {
                base - rng.below(12) as i64
            } else {
                base + 1 + rng.below(12) as i64
            };
            let first = 100 * (1 + rng.below(20));
            let churns_at = rng.chance(0.15).then(|| base + 1 + rng.below(12) as i64);
            let growth = 90 + rng.below(40);
            for month in starts..=last {
                if churns_at.is_some_and(|c| month >= c) {
                    break;
                }
                let amount = if month > base {
                    first * growth / 100
                } else {
                    first
                };
                writeln!(out, "a{a},{},{amount}", format_month(month))?;
                if month == base {
                    then += amount;
                }
                if month > base {
                    year += amount;
                }
                if month == last && starts <= base {
                    now += amount;
                }
            }
            if starts <= base {
                let kept = if churns_at.is_some() {
                    0
                } else {
                    first * growth / 100
                };
                lost += first.saturating_sub(kept);
            }
        }
        out.flush()?;
        if then > 0 {
            truth.set(
                "net_revenue_retention",
                MetricValue::Number((now as f64 / then as f64).min(5.0)),
            );
        }
        truth.share("gross_churn_rate", lost as f64, then as f64);
        let won = truth.won4_amount();
        if year > 0 || won > 0 {
            truth.set(
                "recurring_revenue",
                MetricValue::Flag(year as f64 >= 0.5 * won as f64),
            );
        }
        Ok(())
    }

    /// Flushes what is buffered.
    pub(crate) fn finish(mut self) -> io::Result<()> {
        self.opportunities.flush()?;
        self.history.flush()
    }
}

/// The name of owner `i`: the founder is 0, sellers 1 and up.
pub(crate) fn owner_name(i: usize) -> String {
    if i == 0 {
        "founder".into()
    } else {
        format!("seller{i}")
    }
}
