//! The system of record: `crm_in_place`, `crm_adoption`, `crm_freshness`.
//! (`crm_backfill_rate` needs the stage history: see `history`.)

use std::collections::HashSet;

use super::opportunity::{Have, Opp, Status};
use super::provenance::{Evidence, from};
use super::team::Team;
use super::window::Windows;
use crate::engine::MetricValue;

/// What the opportunity pass counts for these metrics.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Owners of an opportunity modified in the last 30 days.
    active_owners: HashSet<String>,
    open: u64,
    fresh: u64,
}

impl Tally {
    /// Counts one opportunity.
    pub(crate) fn add(&mut self, opp: &Opp<'_>, w: &Windows) {
        let Some(modified) = opp.modified_at else {
            return;
        };
        if w.days30.contains(modified) && !self.active_owners.contains(opp.owner) {
            self.active_owners.insert(opp.owner.to_owned());
        }
        if opp.status == Status::Open {
            self.open += 1;
            self.fresh += u64::from(w.days14.contains(modified));
        }
    }

    /// Derives the metrics.
    pub(crate) fn finish(
        self,
        file: &str,
        have: Have,
        team: Option<&Team>,
        w: &Windows,
        ev: &mut Evidence,
    ) {
        let mut p = from(&[file], 1, String::new(), "an opportunities export exists");
        p.computed = "true".into();
        ev.set("crm_in_place", MetricValue::Flag(true), p);
        if !have.modified {
            let why = "opportunities.csv has no last_modified_at column";
            ev.unknown("crm_adoption", why);
            ev.unknown("crm_freshness", why);
            return;
        }
        let window = format!("open, modified {}", w.days14.describe());
        let formula = "open opportunities modified in the last 14 days / open opportunities";
        let p = from(&[file], self.open, window, formula);
        ev.ratio("crm_freshness", self.fresh as f64, self.open as f64, p);
        match team.filter(|t| t.has_quotas) {
            Some(team) => {
                let sellers: Vec<&str> = team.quota_carrying().collect();
                let active = sellers
                    .iter()
                    .filter(|s| self.active_owners.contains(**s))
                    .count();
                let window = format!("modified {}", w.days30.describe());
                let formula = "quota-carrying sellers owning an opportunity modified in the last 30 days / quota-carrying sellers";
                let p = from(&[file, &team.file], sellers.len() as u64, window, formula);
                ev.ratio("crm_adoption", active as f64, sellers.len() as f64, p);
            }
            None => ev.unknown("crm_adoption", "needs team.csv with quota_carrying"),
        }
    }
}
