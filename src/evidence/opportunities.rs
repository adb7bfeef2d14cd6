//! The one streaming pass over `opportunities.csv`: each row is parsed once
//! and fed to every metric family's tally, and closed opportunities are
//! indexed for the stage-history pass.

use super::contract::OPPORTUNITIES;
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
