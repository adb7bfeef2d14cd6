//! What the generator wrote, counted as it writes it: the metrics the
//! export shows by construction, without reading it back.

use std::collections::HashMap;

use crate::engine::{MetricValue, Metrics};
use crate::evidence::window::Windows;

/// One opportunity as the generator decided it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Written {
    /// 0 is the founder, 1.. the sellers.
    pub(crate) owner: usize,
    pub(crate) account: u64,
    pub(crate) won: Option<bool>,
    pub(crate) closed_at: i64,
    pub(crate) amount: u64,
    pub(crate) qualified: bool,
    pub(crate) loss_reason: bool,
    pub(crate) modified_at: i64,
    pub(crate) backfilled: bool,
    pub(crate) adherent: bool,
}

/// The counts behind every metric.
#[derive(Debug, Default)]
pub(crate) struct Truth {
    open: u64,
    open_qualified: u64,
    open_fresh: u64,
    active: Vec<bool>,
    closing: Vec<bool>,
    won_by_owner: Vec<u64>,
    won4: u64,
    lost4: u64,
    lost4_reason: u64,
    founder_won4: u64,
    backfilled4: u64,
    adherent4: u64,
    /// Won deals per account: (closed at, amount, in the last 4 quarters).
    wins: HashMap<u64, Vec<(i64, u64)>>,
    /// Won in the last complete quarter.
    pub(crate) last_quarter_won: u64,
    pub(crate) metrics: Metrics,
}

impl Truth {
    /// Counts for `owners` people (founder included).
    pub(crate) fn new(owners: usize) -> Self {
        Self {
            active: vec![false; owners],
            closing: vec![false; owners],
            won_by_owner: vec![0; owners],
            ..Self::default()
        }
    }

    /// Counts one written opportunity.
    pub(crate) fn add(&mut self, o: &Written, w: &Windows) {
        self.active[o.owner] |= w.days30.contains(o.modified_at);
        let Some(won) = o.won else {
            self.open += 1;
            self.open_qualified += u64::from(o.qualified);
            self.open_fresh += u64::from(w.days14.contains(o.modified_at));
            return;
        };
        if won {
            self.wins
                .entry(o.account)
                .or_default()
                .push((o.closed_at, o.amount));
            self.closing[o.owner] |= w.quarters2.contains(o.closed_at);
            if w.last_quarter.contains(o.closed_at) {
                self.last_quarter_won += o.amount;
            }
        }
        if !w.quarters4.contains(o.closed_at) {
            return;
        }
        self.backfilled4 += u64::from(o.backfilled);
        self.adherent4 += u64::from(o.adherent);
        if won {
            self.won4 += 1;
            self.won_by_owner[o.owner] += o.amount;
            self.founder_won4 += u64::from(o.owner == 0);
        } else {
            self.lost4 += 1;
            self.lost4_reason += u64::from(o.loss_reason);
        }
    }

    /// Records a metric known by construction.
    pub(crate) fn set(&mut self, name: &str, value: MetricValue) {
        self.metrics.insert(name.to_owned(), value);
    }

    /// Records `part / whole`, unless there is nothing to take a share of.
    pub(crate) fn share(&mut self, name: &str, part: f64, whole: f64) {
        if whole > 0.0 {
            self.set(name, MetricValue::Number((part / whole).min(1.0)));
        }
    }

    /// The amount won in the last 4 quarters.
    pub(crate) fn won4_amount(&self) -> u64 {
        self.won_by_owner.iter().sum()
    }

    /// Derives the opportunity metrics; `sellers` carry quotas (owners
    /// 1..=sellers), `stages` says whether adherence can be measured.
    pub(crate) fn finish_opportunities(&mut self, sellers: usize, stages: bool, w: &Windows) {
        let closed4 = (self.won4 + self.lost4) as f64;
        self.set("crm_in_place", MetricValue::Flag(true));
        let active = self.active[1..=sellers].iter().filter(|a| **a).count();
        self.share("crm_adoption", active as f64, sellers as f64);
        self.share("crm_freshness", self.open_fresh as f64, self.open as f64);
        self.share("crm_backfill_rate", self.backfilled4 as f64, closed4);
        self.share("win_rate", self.won4 as f64, closed4);
        self.share(
            "loss_reason_coverage",
            self.lost4_reason as f64,
            self.lost4 as f64,
        );
        self.share(
            "qualification_coverage",
            self.open_qualified as f64,
            self.open as f64,
        );
        if stages {
            self.share("process_adherence", self.adherent4 as f64, closed4);
        }
        self.set("sales_reps", MetricValue::Number(sellers as f64));
        let closing = self.closing.iter().filter(|c| **c).count();
        self.set("closing_reps", MetricValue::Number(closing as f64));
        let mut sums = self.won_by_owner.clone();
        sums.sort_unstable_by(|a, b| b.cmp(a));
        let total = self.won4_amount() as f64;
        self.share(
            "top2_rep_share_of_wins",
            (sums[0] + sums.get(1).copied().unwrap_or(0)) as f64,
            total,
        );
        self.share(
            "founder_share_of_deals",
            self.founder_won4 as f64,
            self.won4 as f64,
        );
        self.customers(w);
    }

    fn customers(&mut self, w: &Windows) {
        let (mut buyers, mut repeat, mut expansion) = (0u64, 0u64, 0u64);
        for deals in self.wins.values() {
            let recent = deals
                .iter()
                .filter(|(t, _)| w.months24.contains(*t))
                .count();
            buyers += u64::from(recent >= 1);
            repeat += u64::from(recent >= 2);
            let first = deals.iter().map(|(t, _)| *t).min().unwrap_or(i64::MAX);
            expansion += deals
                .iter()
                .filter(|(t, _)| *t > first && w.quarters4.contains(*t))
                .map(|(_, a)| a)
                .sum::<u64>();
        }
        self.share("repeat_customer_rate", repeat as f64, buyers as f64);
        let total = self.won4_amount() as f64;
        self.share("expansion_revenue_share", expansion as f64, total);
    }
}
