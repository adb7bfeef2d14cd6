//! Customers from the opportunities: `repeat_customer_rate` and
//! `expansion_revenue_share`. (Retention and churn come from revenue.csv:
//! see `revenue`.)

use std::collections::HashMap;

use super::opportunity::{Have, Opp, Status};
use super::provenance::{Evidence, from};
use super::window::Windows;

/// One account's wins, kept in constant space.
#[derive(Debug, Clone, Copy)]
struct Account {
    /// When it first won (any time).
    first_won_at: i64,
    /// The amount won at exactly that instant.
    first_amount: f64,
    /// The amount won in the last 4 quarters.
    window_amount: f64,
    /// Deals won in the last 24 months.
    wins_24m: u32,
}

/// What the opportunity pass counts for these metrics.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    accounts: HashMap<Box<str>, Account>,
}

impl Tally {
    /// Counts one opportunity.
    pub(crate) fn add(&mut self, opp: &Opp<'_>, w: &Windows) {
        let (Some(account), Some(at), Status::Won) = (opp.account, opp.closed_at, opp.status)
        else {
            return;
        };
        let entry = match self.accounts.get_mut(account) {
            Some(entry) => entry,
            None => self.accounts.entry(account.into()).or_insert(Account {
                first_won_at: i64::MAX,
                first_amount: 0.0,
                window_amount: 0.0,
                wins_24m: 0,
            }),
        };
        if at < entry.first_won_at {
            (entry.first_won_at, entry.first_amount) = (at, opp.amount);
        } else if at == entry.first_won_at {
            entry.first_amount += opp.amount;
        }
        if w.quarters4.contains(at) {
            entry.window_amount += opp.amount;
        }
        entry.wins_24m += u32::from(w.months24.contains(at));
    }

    /// Derives the metrics; `won_amount` is everything won in the last 4
    /// quarters, with or without an account.
    pub(crate) fn finish(
        self,
        file: &str,
        have: Have,
        won_amount: f64,
        w: &Windows,
        ev: &mut Evidence,
    ) {
        if !have.account {
            let why = "opportunities.csv has no account_id column";
            ev.unknown("repeat_customer_rate", why);
            ev.unknown("expansion_revenue_share", why);
            return;
        }
        let buyers = self.accounts.values().filter(|a| a.wins_24m >= 1).count();
        let repeat = self.accounts.values().filter(|a| a.wins_24m >= 2).count();
        let window = format!("won {}", w.months24.describe());
        let formula = "accounts with two or more won opportunities / accounts with one or more, last 24 months";
        let p = from(&[file], buyers as u64, window, formula);
        ev.ratio("repeat_customer_rate", repeat as f64, buyers as f64, p);
        if !have.amount {
            ev.unknown(
                "expansion_revenue_share",
                "opportunities.csv has no amount column",
            );
            return;
        }
        let expansion: f64 = self
            .accounts
            .values()
            .map(|a| match w.quarters4.contains(a.first_won_at) {
                true => (a.window_amount - a.first_amount).max(0.0),
                false => a.window_amount,
            })
            .sum();
        let window = format!("won {}", w.quarters4.describe());
        let formula =
            "won amount from accounts that had won an opportunity before that one / won amount";
        let p = from(&[file], self.accounts.len() as u64, window, formula);
        ev.ratio("expansion_revenue_share", expansion, won_amount, p);
    }
}
