//! One opportunity at a time: its fields and its stage history, decided
//! by the profile's habits and written at once.

use std::io::{self, Write};

use super::Spec;
use super::files::{Files, owner_name, timestamp};
use super::profile::Habits;
use super::rng::Rng;
use super::truth::Written;
use crate::evidence::date::{DAY, format_date};

/// Writes opportunities for one organisation.
pub(crate) struct Deals<'a> {
    habits: Habits,
    sellers: usize,
    stages: &'a [&'static str],
    history: u64,
    as_of: i64,
    active: &'a [bool],
    accounts: u64,
}

/// When a deal's history runs and how it is recorded.
struct Span {
    start: i64,
    end: i64,
    /// When every row was saved, for a back-filled deal.
    saved_late: Option<i64>,
}

impl<'a> Deals<'a> {
    /// Deals for `sellers` sellers walking `stages`; `active[i]` says
    /// whether owner `i` has used the CRM lately.
    pub(crate) fn new(
        habits: Habits,
        sellers: usize,
        stages: &'a [&'static str],
        spec: &Spec,
        active: &'a [bool],
    ) -> Self {
        Self {
            habits,
            sellers,
            stages,
            history: u64::from(spec.history_per_opportunity.max(1)),
            as_of: spec.as_of,
            active,
            accounts: (spec.opportunities / 5).max(1),
        }
    }

    fn owner(&self, rng: &mut Rng) -> usize {
        if rng.chance(self.habits.founder_share) {
            0
        } else if rng.chance(self.habits.hero_share) {
            1 + rng.below(self.sellers.min(2) as u64) as usize
        } else {
            1 + rng.below(self.sellers as u64) as usize
        }
    }

    /// Decides and writes opportunity `i` and its history.
    pub(crate) fn write(
        &mut self,
        i: u64,
        rng: &mut Rng,
        files: &mut Files,
    ) -> io::Result<Written> {
        let h = self.habits;
        let owner = self.owner(rng);
        // A seller who has not used the CRM lately touched nothing in the
        // last 35 days, and closed nothing in the last 60.
        let quiet = !self.active[owner];
        let a = self.as_of;
        let won = (!rng.chance(h.open_share)).then(|| rng.chance(h.win));
        let (created, closed) = match won {
            None => (a - rng.range(if quiet { 35 } else { 1 }, 180), 0),
            Some(_) => {
                let close = rng.range(a - 900, if quiet { a - 60 } else { a - 1 });
                (close - rng.range(5, 120), close)
            }
        };
        let modified = match won {
            None => self.open_modified(rng, quiet, created),
            Some(_) => closed * DAY + 12 * 3600,
        };
        let backfilled = won.is_some() && rng.chance(h.backfill);
        let span = Span {
            start: created * DAY,
            end: if won.is_some() {
                closed * DAY
            } else {
                modified
            },
            saved_late: backfilled.then(|| (closed + rng.range(1, 20)) * DAY + 10 * 3600),
        };
        let (adherent, stage) = self.history(i, won, &span, rng, files)?;
        let o = Written {
            owner,
            account: rng.below(self.accounts),
            won,
            closed_at: closed * DAY,
            amount: 1000 * rng.range(1, 50) as u64 + rng.below(1000),
            qualified: rng.chance(if won.is_none() { h.qualified } else { 0.5 }),
            loss_reason: won == Some(false) && rng.chance(h.loss_reason),
            modified_at: span.saved_late.unwrap_or(modified),
            backfilled,
            adherent,
        };
        self.row(i, created, &o, stage, files)?;
        Ok(o)
    }

    fn open_modified(&self, rng: &mut Rng, quiet: bool, created: i64) -> i64 {
        let day = if !quiet && rng.chance(self.habits.fresh) {
            self.as_of - rng.range(0, 9)
        } else {
            self.as_of - rng.range(if quiet { 35 } else { 20 }, 120)
        };
        (day * DAY + rng.below(DAY as u64) as i64).max(created * DAY + 3600)
    }

    fn row(
        &self,
        i: u64,
        created: i64,
        o: &Written,
        stage: &str,
        files: &mut Files,
    ) -> io::Result<()> {
        let (status, closed) = match o.won {
            None => ("open", String::new()),
            Some(true) => ("won", format_date(o.closed_at / DAY)),
            Some(false) => ("lost", format_date(o.closed_at / DAY)),
        };
        let reason = if o.loss_reason { "price" } else { "" };
        writeln!(
            files.opportunities,
            "o{i},a{},{},{},{closed},{status},{stage},{},{reason},{},{}",
            o.account,
            owner_name(o.owner),
            format_date(created),
            o.amount,
            o.qualified,
            timestamp(o.modified_at)
        )
    }

    /// Writes the deal's stage history; whether it walked the stages in
    /// order, and the stage it is in now.
    fn history(
        &self,
        i: u64,
        won: Option<bool>,
        span: &Span,
        rng: &mut Rng,
        files: &mut Files,
    ) -> io::Result<(bool, &'static str)> {
        let n = self.stages.len();
        let mut reached = 1 + rng.below(n as u64) as usize;
        if won == Some(true) {
            reached = n;
        }
        let adherent = n < 2 || rng.chance(self.habits.adherence);
        let mut path: Vec<usize> = (0..reached).collect();
        if !adherent {
            if reached == 1 {
                path.push(1);
            }
            let skipped = rng.below(path.len() as u64 - 1) as usize;
            path.remove(skipped);
        }
        let length = span.end - span.start;
        let firsts: Vec<i64> = (0..path.len())
            .map(|j| span.start + (j as i64 + 1) * length / (path.len() as i64 + 1))
            .collect();
        for (stage, at) in path.iter().zip(&firsts) {
            self.entry(i, self.stages[*stage], *at, span, files)?;
        }
        let target = 1 + rng.below(2 * self.history - 1);
        let closing = u64::from(won.is_some());
        for _ in (path.len() as u64 + closing)..target {
            let j = rng.below(path.len() as u64) as usize;
            let again = firsts[j] + 1 + rng.below((span.end - firsts[j]).max(1) as u64) as i64;
            self.entry(i, self.stages[path[j]], again.min(span.end), span, files)?;
        }
        let now = match won {
            None => self.stages[path[path.len() - 1]],
            Some(true) => "Closed Won",
            Some(false) => "Closed Lost",
        };
        if won.is_some() {
            self.entry(i, now, span.end, span, files)?;
        }
        Ok((adherent, now))
    }

    fn entry(
        &self,
        i: u64,
        stage: &str,
        at: i64,
        span: &Span,
        files: &mut Files,
    ) -> io::Result<()> {
        let saved = span.saved_late.unwrap_or(at);
        writeln!(
            files.history,
            "o{i},{stage},{},{}",
            timestamp(at),
            timestamp(saved)
        )
    }
}
