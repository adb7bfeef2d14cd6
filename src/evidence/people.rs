//! Who closes: `closing_reps`, `top2_rep_share_of_wins`,
//! `founder_share_of_deals`. (`sales_reps` comes from team.csv alone.)

use std::collections::{HashMap, HashSet};

use super::opportunity::{Have, Opp, Status};
use super::provenance::{Evidence, from};
use super::team::Team;
use super::window::Windows;
use crate::engine::MetricValue;

/// Deals and amount one owner won in the last 4 quarters.
#[derive(Debug, Default, Clone, Copy)]
struct Won {
    deals: u64,
    amount: f64,
}

/// What the opportunity pass counts for these metrics.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Owners of a deal won in the last 2 quarters.
    closers: HashSet<String>,
    /// What each owner won in the last 4 quarters.
    won_by_owner: HashMap<String, Won>,
    /// Won deals, last 4 quarters.
    won: u64,
}

impl Tally {
    /// Counts one opportunity.
    pub(crate) fn add(&mut self, opp: &Opp<'_>, w: &Windows) {
        let Some(closed) = opp.closed_at.filter(|_| opp.status == Status::Won) else {
            return;
        };
        if w.quarters2.contains(closed) && !self.closers.contains(opp.owner) {
            self.closers.insert(opp.owner.to_owned());
        }
        if w.quarters4.contains(closed) {
            self.won += 1;
            if !self.won_by_owner.contains_key(opp.owner) {
                self.won_by_owner
                    .insert(opp.owner.to_owned(), Won::default());
            }
            if let Some(won) = self.won_by_owner.get_mut(opp.owner) {
                won.deals += 1;
                won.amount += opp.amount;
            }
        }
    }

    /// The amount won in the last 4 quarters.
    pub(crate) fn won_amount(&self) -> f64 {
        self.won_by_owner.values().map(|w| w.amount).sum()
    }

    /// Derives the metrics.
    pub(crate) fn finish(
        &self,
        file: &str,
        have: Have,
        team: Option<&Team>,
        w: &Windows,
        ev: &mut Evidence,
    ) {
        let n = self.closers.len() as u64;
        let formula = "distinct owners of an opportunity won in the last 2 quarters";
        let mut p = from(
            &[file],
            n,
            format!("won {}", w.quarters2.describe()),
            formula,
        );
        p.computed = n.to_string();
        ev.set("closing_reps", MetricValue::Number(n as f64), p);
        let won = format!("won {}", w.quarters4.describe());
        if have.amount {
            let mut sums: Vec<f64> = self.won_by_owner.values().map(|w| w.amount).collect();
            sums.sort_by(|a, b| b.total_cmp(a));
            let top2: f64 = sums.iter().take(2).sum();
            let formula = "won amount of the two owners who won most / won amount";
            let p = from(&[file], self.won, won.clone(), formula);
            ev.ratio("top2_rep_share_of_wins", top2, self.won_amount(), p);
        } else {
            ev.unknown(
                "top2_rep_share_of_wins",
                "opportunities.csv has no amount column",
            );
        }
        match team.filter(|t| t.has_roles) {
            Some(team) => self.founder_share(file, team, won, ev),
            None => ev.unknown("founder_share_of_deals", "needs team.csv with roles"),
        }
    }

    fn founder_share(&self, file: &str, team: &Team, won: String, ev: &mut Evidence) {
        let (mut led, mut unlisted) = (0, 0);
        for (owner, w) in &self.won_by_owner {
            match team.members.get(owner) {
                Some(m) if m.founder_or_executive == Some(true) => led += w.deals,
                Some(_) => {}
                None => unlisted += w.deals,
            }
        }
        if unlisted > 0 {
            ev.notes.push(format!(
                "{unlisted} won opportunities have an owner not in team.csv; they count as not founder-led"
            ));
        }
        let formula = "won opportunities owned by a founder or executive / won opportunities";
        let p = from(&[file, &team.file], self.won, won, formula);
        ev.ratio("founder_share_of_deals", led as f64, self.won as f64, p);
    }
}
