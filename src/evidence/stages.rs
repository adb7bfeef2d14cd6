//! `stages.csv`, the documented pipeline: `stages_defined`,
//! `stage_probabilities_defined`, `stage_gates_defined`, and the stage
//! order that process adherence is held against.

use std::collections::{HashMap, HashSet};

use super::EvidenceError;
use super::contract::STAGES;
use super::export::Export;
use super::mapping::Mapping;
use super::provenance::{Evidence, from};
use super::table::Table;
use crate::engine::MetricValue;

/// The documented stages, each with its 0-based position in the order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pipeline {
    /// Stage name -> position.
    pub(crate) positions: HashMap<String, usize>,
}

struct StageRow {
    name: String,
    order: i64,
    probability: bool,
    gate: bool,
}

/// Reads the pipeline and derives its metrics; `None` without stages.csv.
pub(crate) fn read(
    export: &Export,
    mapping: &Mapping,
    ev: &mut Evidence,
) -> Result<Option<Pipeline>, EvidenceError> {
    let Some(table) = Table::open(export, STAGES, mapping)? else {
        for metric in [
            "stages_defined",
            "stage_probabilities_defined",
            "stage_gates_defined",
        ] {
            ev.unknown(metric, "the export has no stages.csv");
        }
        return Ok(None);
    };
    let file = table.file().to_owned();
    let (stage, order) = (table.column("stage"), table.column("order"));
    let (probability, exit) = (table.column("probability"), table.column("exit_criteria"));
    let present = (probability.present(), exit.present());
    let mut rows: Vec<StageRow> = Vec::new();
    // Seen names and orders: a repeat is found in constant time, so a
    // megabyte of stages costs milliseconds, not seconds.
    let (mut names, mut orders) = (HashSet::new(), HashSet::new());
    table.for_each(|row| {
        let name = row.required(&stage)?;
        let text = row.required(&order)?;
        let order_value = text
            .parse::<i64>()
            .map_err(|_| row.problem(&order, text, "is not a whole number"))?;
        if !names.insert(name.to_owned()) {
            return Err(row.problem(&stage, name, "is listed twice"));
        }
        if !orders.insert(order_value) {
            return Err(row.problem(&order, text, "is the order of another stage too"));
        }
        let has_probability = match row.text(&probability)? {
            None | Some("") => false,
            Some(text) => match text.parse::<f64>() {
                Ok(p) if (0.0..=100.0).contains(&p) => true,
                _ => {
                    let rule = "is not a probability (0..1 or 0..100)";
                    return Err(row.problem(&probability, text, rule));
                }
            },
        };
        let gate = row.text(&exit)?.is_some_and(|t| !t.is_empty());
        rows.push(StageRow {
            name: name.to_owned(),
            order: order_value,
            probability: has_probability,
            gate,
        });
        Ok(())
    })?;
    derive(&file, &rows, present, ev);
    rows.sort_by_key(|r| r.order);
    let positions = rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| (r.name, i))
        .collect();
    Ok(Some(Pipeline { positions }))
}

fn derive(file: &str, rows: &[StageRow], present: (bool, bool), ev: &mut Evidence) {
    let n = rows.len() as u64;
    let mut p = from(&[file], n, String::new(), "rows of stages.csv");
    p.computed = n.to_string();
    ev.set("stages_defined", MetricValue::Number(n as f64), p);
    let every = |with: usize, metric: &str, formula: &str, ev: &mut Evidence| {
        let all = n > 0 && with as u64 == n;
        let mut p = from(&[file], n, String::new(), formula);
        p.computed = format!("{with} of {n} stages");
        ev.set(metric, MetricValue::Flag(all), p);
    };
    let probabilities = "stage_probabilities_defined";
    if present.0 {
        let with = rows.iter().filter(|r| r.probability).count();
        let formula = "every stage has a probability (false with no stages)";
        every(with, probabilities, formula, ev);
    } else {
        ev.unknown(probabilities, "stages.csv has no probability column");
    }
    if present.1 {
        let with = rows.iter().filter(|r| r.gate).count();
        let formula = "every stage has exit criteria (false with no stages)";
        every(with, "stage_gates_defined", formula, ev);
    } else {
        ev.unknown(
            "stage_gates_defined",
            "stages.csv has no exit_criteria column",
        );
    }
}
