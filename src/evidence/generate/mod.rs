//! Realistic synthetic exports, from a few sellers to thousands, for tests
//! and benchmarks. Each profile is a set of habits (how often deals are
//! won, qualified, touched, back-filled, walked through the stages); the
//! generator counts what it writes as it writes it, so the metrics the
//! export shows are known by construction ([`generate`] returns them).
//!
//! - `profile`: the organisations and their habits.
//! - `rng`: the seeded random source.
//! - `deal`: one opportunity's fields and stage history.
//! - `files`: the CSV writers; `truth`: the counts.

mod deal;
mod files;
mod profile;
mod rng;
mod truth;

use std::io;
use std::path::Path;

pub use profile::Profile;

use self::deal::Deals;
use self::files::Files;
use self::rng::Rng;
use self::truth::Truth;
use super::window::Windows;
use crate::engine::{MetricValue, Metrics};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The kind of organisation.
    pub profile: Profile,
    /// Opportunities to write.
    pub opportunities: u64,
    /// Quota-carrying sellers (at least 1).
    pub sellers: u32,
    /// Stage-history rows per opportunity, on average (at least 1).
    pub history_per_opportunity: u32,
    /// The as-of day the windows end, in days since 1970-01-01.
    pub as_of: i64,
    /// The seed: the same spec writes the same export.
    pub seed: u64,
}

/// Writes the export into `dir` and returns the metrics it shows.
pub fn generate(spec: &Spec, dir: &Path) -> io::Result<Metrics> {
    let habits = spec.profile.habits();
    let w = Windows::ending(spec.as_of);
    let sellers = spec.sellers.max(1) as usize;
    let mut rng = Rng::new(spec.seed);
    let mut files = Files::create(dir)?;
    let active: Vec<bool> = (0..=sellers)
        .map(|i| i == 0 || rng.chance(habits.active))
        .collect();
    files.team(sellers)?;
    let stage_names = files.stages(&habits)?;
    let mut truth = Truth::new(sellers + 1);
    let mut deals = Deals::new(habits, sellers, &stage_names, spec, &active);
    for i in 0..spec.opportunities {
        let written = deals.write(i, &mut rng, &mut files)?;
        truth.add(&written, &w);
    }
    truth.finish_opportunities(sellers, habits.stages.is_some(), &w);
    known_pipeline(&mut truth, &habits);
    if let Some(error) = habits.forecast_error {
        files.forecasts(&mut truth, error, &mut rng, &w)?;
    }
    if habits.recurring {
        files.revenue(&mut truth, spec.opportunities, &mut rng, &w)?;
    }
    files.finish()?;
    Ok(truth.metrics)
}

/// The documented pipeline's metrics, as the profile writes it.
fn known_pipeline(truth: &mut Truth, habits: &profile::Habits) {
    if let Some((n, probabilities, gates)) = habits.stages {
        truth.set("stages_defined", MetricValue::Number(n as f64));
        truth.set(
            "stage_probabilities_defined",
            MetricValue::Flag(probabilities),
        );
        truth.set("stage_gates_defined", MetricValue::Flag(gates));
    }
}
