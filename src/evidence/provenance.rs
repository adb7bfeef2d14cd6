//! What a derivation gives: the metrics, and for each where it came from
//! (the rows used, the window, the formula with its numbers), and for each
//! metric it could not derive, why.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::engine::{MetricValue, Metrics};

/// Where one derived metric came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Provenance {
    /// The files read for it.
    pub files: Vec<String>,
    /// Rows that entered the computation (e.g. the closed opportunities).
    pub rows: u64,
    /// The window, e.g. `closed 2024-07-01..2025-06-30`; empty when none.
    pub window: String,
    /// The definition, e.g. `won / (won + lost), by count`.
    pub formula: String,
    /// The definition with this export's numbers, e.g. `42 / (42 + 58)`.
    pub computed: String,
}

/// The metrics derived from an export, with their provenance.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    /// The as-of day, `YYYY-MM-DD`.
    pub as_of: String,
    /// The mapping used (`contract` for the contract's own names).
    pub mapping: String,
    /// The derived metrics.
    pub metrics: Metrics,
    /// Where each derived metric came from.
    pub provenance: BTreeMap<String, Provenance>,
    /// Metrics of the vocabulary the export could not show, and why.
    pub unknown: BTreeMap<String, String>,
    /// Facts about the export worth knowing when reading the metrics, e.g.
    /// history rows for opportunities not in the export.
    pub notes: Vec<String>,
}

impl Evidence {
    /// Records a derived metric.
    pub(crate) fn set(&mut self, name: &str, value: MetricValue, provenance: Provenance) {
        self.unknown.remove(name);
        self.metrics.insert(name.to_owned(), value);
        self.provenance.insert(name.to_owned(), provenance);
    }

    /// Records a ratio `part / whole`, or leaves it unknown when `whole`
    /// is 0 (nothing to take a share of).
    pub(crate) fn ratio(&mut self, name: &str, part: f64, whole: f64, mut p: Provenance) {
        if whole <= 0.0 {
            let why = format!("no rows to take a share of ({}; {})", p.formula, p.window);
            self.unknown(name, &why);
            return;
        }
        // Sums of decimal amounts taken in different orders can stray past
        // the bounds by a rounding error; a share cannot.
        let share = (part / whole).clamp(0.0, 1.0);
        p.computed = format!("{} / {} = {}", trim(part), trim(whole), trim(share));
        self.set(name, MetricValue::Number(share), p);
    }

    /// Records why a metric could not be derived.
    pub(crate) fn unknown(&mut self, name: &str, why: &str) {
        if !self.metrics.contains_key(name) {
            self.unknown.insert(name.to_owned(), why.to_owned());
        }
    }
}

/// A provenance for `formula` over `rows` of `files` in `window`.
pub(crate) fn from(files: &[&str], rows: u64, window: String, formula: &str) -> Provenance {
    Provenance {
        files: files.iter().map(|f| (*f).to_owned()).collect(),
        rows,
        window,
        formula: formula.to_owned(),
        computed: String::new(),
    }
}

/// A number as short as it reads exactly (`3`, `0.25`, `1234.5`).
pub(crate) fn trim(n: f64) -> String {
    let text = format!("{n:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}
