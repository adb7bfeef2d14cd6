//! The one streaming pass over `opportunities.csv`: each row is parsed once
//! and fed to every metric family's tally, and closed opportunities are
//! indexed for the stage-history pass.

use super::contract::OPPORTUNITIES;
use super::date::DAY;
use super::export::Export;
use super::forecast::Actual;
use super::history::Index;
use super::mapping::Mapping;
use super::opportunity::{Columns, Have};
use super::table::Table;
use super::window::Windows;
use super::{EvidenceError, customers, people, pipeline, system};

/// Everything the pass counted.
#[derive(Debug)]
pub(crate) struct Pass {
    /// The file's name in the export.
    pub(crate) file: String,
    /// Which optional columns it has.
    pub(crate) have: Have,
    /// Rows read.
    pub(crate) rows: u64,
    pub(crate) system: system::Tally,
    pub(crate) pipeline: pipeline::Tally,
    pub(crate) people: people::Tally,
    pub(crate) customers: customers::Tally,
    pub(crate) actual: Actual,
    pub(crate) index: Index,
}

/// Reads opportunities.csv (required) in one pass.
pub(crate) fn read(export: &Export, mapping: &Mapping, w: &Windows) -> Result<Pass, EvidenceError> {
    let table = Table::open(export, OPPORTUNITIES, mapping)?
        .ok_or_else(|| EvidenceError::MissingFile(mapping.file_name(&OPPORTUNITIES)))?;
    let columns = Columns::of(&table);
    let file = table.file().to_owned();
    let mut pass = Pass {
        have: columns.have(),
        rows: 0,
        system: system::Tally::default(),
        pipeline: pipeline::Tally::default(),
        people: people::Tally::default(),
        customers: customers::Tally::default(),
        actual: Actual::new(&file),
        index: Index::default(),
        file,
    };
    pass.rows = table.for_each(|row| {
        let opp = columns.parse(row, mapping)?;
        if !pass.index.insert(&opp, w) {
            return Err(row.problem(
                &columns.id_column(),
                opp.id,
                "is the id of an earlier row too",
            ));
        }
        pass.system.add(&opp, w);
        pass.pipeline.add(&opp, w);
        pass.people.add(&opp, w);
        pass.customers.add(&opp, w);
        pass.actual.add(&opp, w);
        Ok(())
    })?;
    Ok(pass)
}

/// The day of the latest activity opportunities.csv records (a creation or
/// a modification; an open deal's `closed_at` is a plan, not activity), if
/// any: when the export was taken, near enough. Rows and dates that do not
/// parse are left to the pass that reports them.
pub(crate) fn latest_activity(
    export: &Export,
    mapping: &Mapping,
) -> Result<Option<i64>, EvidenceError> {
    let Some(table) = Table::open(export, OPPORTUNITIES, mapping)? else {
        return Ok(None);
    };
    let columns = ["created_at", "last_modified_at"].map(|c| table.column(c));
    let mut latest: Option<i64> = None;
    // Problems are reported by `read`; here a row only offers its dates.
    let _ = table.for_each(|row| {
        for column in &columns {
            if let Ok(Some(instant)) = row.instant(column) {
                latest = latest.max(Some(instant.div_euclid(DAY)));
            }
        }
        Ok(())
    });
    Ok(latest)
}
