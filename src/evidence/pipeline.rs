//! Pipeline outcomes from the opportunities alone: `win_rate`,
//! `loss_reason_coverage`, `qualification_coverage`.

use super::opportunity::{Have, Opp, Status};
use super::provenance::{Evidence, from};
use super::window::Windows;

/// What the opportunity pass counts for these metrics.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    won: u64,
    lost: u64,
    lost_with_reason: u64,
    open: u64,
    qualified: u64,
}

impl Tally {
    /// Counts one opportunity.
    pub(crate) fn add(&mut self, opp: &Opp<'_>, w: &Windows) {
        let in_window = opp.closed_at.is_some_and(|t| w.quarters4.contains(t));
        match opp.status {
            Status::Won if in_window => self.won += 1,
            Status::Lost if in_window => {
                self.lost += 1;
                self.lost_with_reason += u64::from(opp.has_loss_reason == Some(true));
            }
            Status::Open => {
                self.open += 1;
                self.qualified += u64::from(opp.qualified == Some(true));
            }
            _ => {}
        }
    }

    /// Derives the metrics.
    pub(crate) fn finish(self, file: &str, have: Have, w: &Windows, ev: &mut Evidence) {
        let closed = format!("closed {}", w.quarters4.describe());
        let formula = "won / (won + lost), by count";
        let p = from(&[file], self.won + self.lost, closed.clone(), formula);
        ev.ratio(
            "win_rate",
            self.won as f64,
            (self.won + self.lost) as f64,
            p,
        );
        if have.loss_reason {
            let formula = "lost with a non-empty loss_reason / lost";
            let p = from(&[file], self.lost, closed, formula);
            ev.ratio(
                "loss_reason_coverage",
                self.lost_with_reason as f64,
                self.lost as f64,
                p,
            );
        } else {
            ev.unknown(
                "loss_reason_coverage",
                "opportunities.csv has no loss_reason column",
            );
        }
        if have.qualified {
            let formula = "open opportunities qualified / open opportunities";
            let p = from(&[file], self.open, "open now".into(), formula);
            ev.ratio(
                "qualification_coverage",
                self.qualified as f64,
                self.open as f64,
                p,
            );
        } else {
            ev.unknown(
                "qualification_coverage",
                "opportunities.csv has no qualified column",
            );
        }
    }
}
