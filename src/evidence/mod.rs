//! Evidence, not self-report: derives an organisation's metrics from a CRM
//! export (a directory of CSV files, docs/evidence.md), each with where it
//! came from. Knows nothing of gRPC or the scripting language; produces the
//! engine's [`Metrics`](crate::engine::Metrics).
//!
//! - `contract`, `mapping`: the export's files and columns, and how a
//!   CRM's own names map onto them (profiles for Salesforce and HubSpot).
//! - `date`, `window`: civil dates and the windows ending at the as-of day.
//! - `export`, `table`, `opportunity`: reading files row by row, with
//!   errors naming file, line, column and value.
//! - `stages`, `team`, `opportunities`, `history`, `forecast`, `revenue`:
//!   one streaming pass per file, in that order.
//! - `system`, `pipeline`, `people`, `customers`: the metric families the
//!   opportunity pass feeds.
//! - `provenance`, `merge`: what a derivation gives, and merging it with
//!   hand-supplied metrics.
//! - [`generate`]: realistic synthetic exports whose metrics are known.

mod contract;
mod customers;
mod date;
mod error;
mod export;
mod forecast;
pub mod generate;
mod history;
mod mapping;
mod merge;
mod opportunities;
mod opportunity;
mod people;
mod pipeline;
mod provenance;
mod revenue;
mod stages;
mod system;
mod table;
mod team;
mod window;

pub use date::parse_date;
pub use error::{EvidenceError, MAX_PROBLEMS, Problem};
pub use export::Export;
pub use mapping::Mapping;
pub use merge::{Disagreement, Merged, merge};
pub use provenance::{Evidence, Provenance};
pub use window::{Span, Windows};

/// The as-of day and the mapping a derivation uses.
#[derive(Debug, Clone)]
pub struct Options {
    /// The as-of day, in days since 1970-01-01: every window ends with it.
    /// `None`: the export's latest activity (no later than today), so an
    /// export read months after it was taken is not read as months of
    /// silence.
    pub as_of: Option<i64>,
    /// How the export names its files, columns and values.
    pub mapping: Mapping,
}

impl Options {
    /// Options for `as_of` (`YYYY-MM-DD`; the export's latest activity
    /// when `None`).
    pub fn new(as_of: Option<&str>, mapping: Mapping) -> Result<Self, EvidenceError> {
        let as_of = match as_of {
            Some(text) => {
                Some(parse_date(text).ok_or_else(|| EvidenceError::AsOf(text.to_owned()))?)
            }
            None => None,
        };
        Ok(Self { as_of, mapping })
    }
}

/// Today, UTC, in days since 1970-01-01.
fn today() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(now).unwrap_or(0).div_euclid(date::DAY)
}

/// Derives every metric the export can show.
///
/// ```
/// use std::collections::BTreeMap;
/// use maturity_engine::engine::MetricValue;
/// use maturity_engine::evidence::{Export, Mapping, Options, derive};
///
/// let csv = "id,account_id,owner,created_at,closed_at,status,stage,amount,loss_reason,qualified,last_modified_at\n\
///            1,a,ann,2025-01-02,2025-03-01,won,Closed,100,,true,2025-03-01\n\
///            2,b,bob,2025-01-05,2025-04-01,lost,Closed,50,price,false,2025-04-01\n";
/// let export = Export::Files(BTreeMap::from([("opportunities.csv".into(), csv.as_bytes().to_vec())]));
/// let evidence = derive(&export, &Options::new(Some("2025-06-30"), Mapping::default())?)?;
/// assert_eq!(evidence.metrics["win_rate"], MetricValue::Number(0.5));
/// assert!(evidence.unknown.contains_key("forecast_accuracy"));
/// # Ok::<(), maturity_engine::evidence::EvidenceError>(())
/// ```
pub fn derive(export: &Export, options: &Options) -> Result<Evidence, EvidenceError> {
    let mapping = &options.mapping;
    export.check_names(mapping)?;
    let as_of = match options.as_of {
        Some(day) => day,
        None => {
            opportunities::latest_activity(export, mapping)?.map_or(today(), |d| d.min(today()))
        }
    };
    let w = Windows::ending(as_of);
    let mut ev = Evidence {
        as_of: date::format_date(as_of),
        mapping: match mapping.name.as_str() {
            "" => "contract".into(),
            name => name.into(),
        },
        ..Evidence::default()
    };
    let pipeline = stages::read(export, mapping, &mut ev)?;
    let team = team::read(export, mapping, &w, &mut ev)?;
    let pass = opportunities::read(export, mapping, &w)?;
    history::read(export, mapping, &pass.index, pipeline.as_ref(), &w, &mut ev)?;
    let (file, have) = (pass.file.as_str(), pass.have);
    pass.system.finish(file, have, team.as_ref(), &w, &mut ev);
    pass.pipeline.finish(file, have, &w, &mut ev);
    pass.people.finish(file, have, team.as_ref(), &w, &mut ev);
    let won_amount = have.amount.then(|| pass.people.won_amount());
    pass.customers
        .finish(file, have, won_amount.unwrap_or(0.0), &w, &mut ev);
    let actual = have.amount.then_some(pass.actual);
    forecast::read(export, mapping, actual, &w, &mut ev)?;
    revenue::read(export, mapping, won_amount, &w, &mut ev)?;
    Ok(ev)
}
