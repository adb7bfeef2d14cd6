//! `stage_history.csv`, read in one streaming pass whose memory does not
//! grow with its rows: `crm_backfill_rate` and `process_adherence`. Only
//! the opportunities closed in the last 4 quarters keep state: a backfill
//! bit and the first time each documented stage was entered.

use std::collections::HashMap;

use super::EvidenceError;
use super::contract::{OPPORTUNITIES, STAGE_HISTORY, STAGES};
use super::date::DAY;
use super::export::Export;
use super::mapping::Mapping;
use super::opportunity::Opp;
use super::provenance::{Evidence, from};
use super::stages::Pipeline;
use super::table::Table;
use super::window::Windows;

/// No slot: the opportunity was not closed in the last 4 quarters.
const NONE: u32 = u32::MAX;
/// No entry into a stage yet.
const NEVER: i64 = i64::MAX;

/// Every opportunity id, and a slot for each closed in the last 4 quarters.
#[derive(Debug, Default)]
pub(crate) struct Index {
    ids: HashMap<Box<str>, u32>,
    /// The day each slot's opportunity closed.
    closed_days: Vec<i64>,
}

impl Index {
    /// Indexes `opp`; false when its id is already taken.
    pub(crate) fn insert(&mut self, opp: &Opp<'_>, w: &Windows) -> bool {
        if self.ids.contains_key(opp.id) {
            return false;
        }
        let slot = match opp.closed_at.filter(|t| w.quarters4.contains(*t)) {
            Some(t) => {
                self.closed_days.push(t.div_euclid(DAY));
                (self.closed_days.len() - 1) as u32
            }
            None => NONE,
        };
        self.ids.insert(opp.id.into(), slot);
        true
    }
}

/// What the pass keeps per slot, and what it counted.
struct State<'p> {
    backfilled: Vec<bool>,
    /// slots x stages first-entry instants, when stages are documented.
    entered: Vec<i64>,
    pipeline: Option<&'p Pipeline>,
    stages: usize,
    orphans: u64,
    undocumented: u64,
}

/// Reads the stage history and derives both metrics.
pub(crate) fn read(
    export: &Export,
    mapping: &Mapping,
    index: &Index,
    pipeline: Option<&Pipeline>,
    w: &Windows,
    ev: &mut Evidence,
) -> Result<(), EvidenceError> {
    let opp_file = mapping.file_name(&OPPORTUNITIES);
    let stages_file = mapping.file_name(&STAGES);
    let Some(table) = Table::open(export, STAGE_HISTORY, mapping)? else {
        ev.unknown("crm_backfill_rate", "the export has no stage_history.csv");
        ev.unknown("process_adherence", "the export has no stage_history.csv");
        return Ok(());
    };
    let file = table.file().to_owned();
    let (id, stage) = (table.column("opportunity_id"), table.column("stage"));
    let (entered, recorded) = (table.column("entered_at"), table.column("recorded_at"));
    let slots = index.closed_days.len();
    let stages = pipeline.map_or(0, |p| p.positions.len());
    let mut state = State {
        backfilled: vec![false; slots],
        entered: vec![NEVER; slots * stages],
        pipeline,
        stages,
        orphans: 0,
        undocumented: 0,
    };
    let rows = table.for_each(|row| {
        let opp = row.required(&id)?;
        let name = row.required(&stage)?;
        let entered_at = row.required_instant(&entered)?;
        let recorded_at = match recorded.present() {
            true => Some(row.required_instant(&recorded)?),
            false => None,
        };
        match index.ids.get(opp) {
            None => state.orphans += 1,
            Some(&NONE) => {}
            Some(&slot) => state.record(slot as usize, index, name, entered_at, recorded_at),
        }
        Ok(())
    })?;
    if state.orphans > 0 {
        ev.notes.push(format!(
            "{} of {rows} rows of {file} name an opportunity not in the export; they are not used",
            state.orphans
        ));
    }
    if state.undocumented > 0 {
        ev.notes.push(format!("{} rows of {file} for closed opportunities name a stage not in stages.csv; adherence ignores them", state.undocumented));
    }
    let files = [file.as_str(), &opp_file, &stages_file];
    state.finish(files, recorded.present(), w, ev);
    Ok(())
}

impl State<'_> {
    fn record(
        &mut self,
        slot: usize,
        index: &Index,
        stage: &str,
        entered: i64,
        recorded: Option<i64>,
    ) {
        // Days, not instants: a change saved later on the day of the close
        // (the close itself, typically) is not back-filling.
        if recorded.is_some_and(|t| t.div_euclid(DAY) > index.closed_days[slot]) {
            self.backfilled[slot] = true;
        }
        let Some(pipeline) = self.pipeline else {
            return;
        };
        match pipeline.positions.get(stage) {
            Some(&p) => {
                let first = &mut self.entered[slot * self.stages + p];
                *first = (*first).min(entered);
            }
            None => self.undocumented += 1,
        }
    }

    fn finish(self, files: [&str; 3], has_recorded: bool, w: &Windows, ev: &mut Evidence) {
        let slots = self.backfilled.len() as u64;
        let window = format!("closed {}", w.quarters4.describe());
        if has_recorded {
            let n = self.backfilled.iter().filter(|b| **b).count();
            let formula = "closed opportunities with a stage change recorded on a day after the close / closed opportunities";
            let p = from(&files[..2], slots, window.clone(), formula);
            ev.ratio("crm_backfill_rate", n as f64, slots as f64, p);
        } else {
            ev.unknown(
                "crm_backfill_rate",
                "stage_history.csv has no recorded_at column",
            );
        }
        if self.pipeline.is_none() || self.stages == 0 {
            return ev.unknown(
                "process_adherence",
                "needs stages.csv listing at least one stage",
            );
        }
        let adherent = self
            .entered
            .chunks(self.stages)
            .filter(|e| in_order(e))
            .count();
        let formula = "closed opportunities that first entered every documented stage up to the furthest they reached, in the documented order / closed opportunities";
        let p = from(&files, slots, window, formula);
        ev.ratio("process_adherence", adherent as f64, slots as f64, p);
    }
}

/// Whether first entries (by stage position) cover every stage up to the
/// furthest entered, none skipped, at non-decreasing instants.
fn in_order(first: &[i64]) -> bool {
    let Some(furthest) = first.iter().rposition(|t| *t != NEVER) else {
        return false;
    };
    let reached = &first[..=furthest];
    reached.iter().all(|t| *t != NEVER) && reached.windows(2).all(|p| p[0] <= p[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_needs_every_stage_up_to_the_furthest() {
        assert!(in_order(&[1, 2, 3, NEVER]));
        assert!(in_order(&[5, 5, NEVER]));
        assert!(!in_order(&[1, NEVER, 3]));
        assert!(!in_order(&[NEVER, 2]));
        assert!(!in_order(&[2, 1]));
        assert!(!in_order(&[NEVER, NEVER]));
    }
}
