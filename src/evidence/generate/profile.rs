//! The kinds of organisation the generator writes, each a set of habits.

use std::str::FromStr;

/// An organisation's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Documented stages with probabilities and gates, followed; timely
    /// records; an accurate forecast; recurring revenue.
    ProcessDriven,
    /// Two sellers bring most wins; few stages, loosely followed; a
    /// forecast that swings.
    HeroDependent,
    /// The CRM is filled in after the fact: stage changes saved after the
    /// close, stale open deals.
    BackFilling,
    /// The founder sells; nothing documented, no forecast, no revenue file.
    FounderLed,
}

impl Profile {
    /// Every profile.
    pub const ALL: [Profile; 4] = [
        Profile::ProcessDriven,
        Profile::HeroDependent,
        Profile::BackFilling,
        Profile::FounderLed,
    ];

    /// The profile's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::ProcessDriven => "process-driven",
            Self::HeroDependent => "hero-dependent",
            Self::BackFilling => "back-filling",
            Self::FounderLed => "founder-led",
        }
    }

    /// The habits behind the profile.
    pub(crate) fn habits(self) -> Habits {
        let base = Habits {
            open_share: 0.25,
            win: 0.3,
            qualified: 0.9,
            loss_reason: 0.9,
            fresh: 0.85,
            active: 0.95,
            backfill: 0.03,
            adherence: 0.85,
            hero_share: 0.0,
            founder_share: 0.02,
            stages: Some((6, true, true)),
            forecast_error: Some(0.05),
            recurring: true,
        };
        match self {
            Self::ProcessDriven => base,
            Self::HeroDependent => Habits {
                win: 0.22,
                qualified: 0.4,
                loss_reason: 0.3,
                fresh: 0.4,
                active: 0.5,
                backfill: 0.2,
                adherence: 0.3,
                hero_share: 0.7,
                founder_share: 0.1,
                stages: Some((4, false, false)),
                forecast_error: Some(0.35),
                recurring: false,
                ..base
            },
            Self::BackFilling => Habits {
                win: 0.25,
                qualified: 0.6,
                loss_reason: 0.5,
                fresh: 0.2,
                active: 0.6,
                backfill: 0.6,
                adherence: 0.5,
                hero_share: 0.3,
                founder_share: 0.05,
                stages: Some((5, true, false)),
                forecast_error: Some(0.2),
                ..base
            },
            Self::FounderLed => Habits {
                win: 0.35,
                qualified: 0.2,
                loss_reason: 0.1,
                fresh: 0.3,
                active: 0.4,
                backfill: 0.3,
                adherence: 0.2,
                hero_share: 0.3,
                founder_share: 0.6,
                stages: None,
                forecast_error: None,
                recurring: false,
                ..base
            },
        }
    }
}

impl FromStr for Profile {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|p| p.name()).collect();
                format!("unknown profile {text:?}; profiles: {}", names.join(", "))
            })
    }
}

/// Probabilities and choices that make up a profile.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Habits {
    /// Share of opportunities still open.
    pub(crate) open_share: f64,
    /// Chance a closed opportunity was won.
    pub(crate) win: f64,
    /// Chance an open opportunity is qualified.
    pub(crate) qualified: f64,
    /// Chance a lost opportunity has a reason.
    pub(crate) loss_reason: f64,
    /// Chance an open opportunity was touched in the last 10 days.
    pub(crate) fresh: f64,
    /// Share of sellers who use the CRM at all lately.
    pub(crate) active: f64,
    /// Chance a closed opportunity's history was saved after the close.
    pub(crate) backfill: f64,
    /// Chance a closed opportunity walked the stages in order.
    pub(crate) adherence: f64,
    /// Share of opportunities owned by the two heroes.
    pub(crate) hero_share: f64,
    /// Share of opportunities owned by the founder.
    pub(crate) founder_share: f64,
    /// Documented stages: how many, with probabilities, with exit criteria.
    pub(crate) stages: Option<(usize, bool, bool)>,
    /// How far the forecast is off, when there is one.
    pub(crate) forecast_error: Option<f64>,
    /// Whether revenue recurs (and revenue.csv is written).
    pub(crate) recurring: bool,
}
