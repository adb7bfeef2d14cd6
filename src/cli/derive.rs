//! `maturity derive CRM_DIR`: the metrics a CRM export shows, as a table,
//! an explanation (rows, window, formula per metric) or a metrics file.

use std::fmt::Write;
use std::path::Path;

use super::CliError;
use super::args::DeriveArgs;
use crate::engine::MetricValue;
use crate::evidence::{self, Evidence, Export, Mapping, Options};

/// Derives and prints.
pub(crate) fn run(args: DeriveArgs) -> Result<(), CliError> {
    let ev = derive_dir(&args.dir, args.as_of.as_deref(), args.mapping.as_deref())?;
    if args.json {
        let json = match args.explain {
            true => serde_json::to_string_pretty(&ev),
            false => serde_json::to_string_pretty(&ev.metrics),
        };
        outln!("{}", json.unwrap_or_default());
    } else {
        out!("{}", render(&ev, &args.dir, args.explain));
    }
    Ok(())
}

/// The evidence in the export directory `dir`.
pub(crate) fn derive_dir(
    dir: &Path,
    as_of: Option<&str>,
    mapping: Option<&str>,
) -> Result<Evidence, CliError> {
    if !dir.is_dir() {
        return Err(CliError::Input {
            path: dir.into(),
            message: "not a directory: a CRM export is a directory of CSV files".into(),
        });
    }
    let options = Options::new(as_of, load_mapping(mapping)?).map_err(|e| input(dir, &e))?;
    evidence::derive(&Export::Dir(dir.into()), &options).map_err(|e| input(dir, &e))
}

/// A built-in profile by name, or a mapping file; the contract's own names
/// when `None`.
fn load_mapping(spec: Option<&str>) -> Result<Mapping, CliError> {
    let Some(spec) = spec else {
        return Ok(Mapping::default());
    };
    if let Some(profile) = Mapping::profile(spec) {
        return profile.map_err(|e| input(Path::new(spec), &e));
    }
    let path = Path::new(spec);
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.into(),
        source,
    })?;
    Mapping::parse(&path.display().to_string(), &text).map_err(|e| input(path, &e))
}

fn input(path: &Path, err: &evidence::EvidenceError) -> CliError {
    CliError::Input {
        path: path.into(),
        message: err.to_string(),
    }
}

/// The evidence for a terminal: one line per metric, or with `explain`
/// a block per metric; then what the export could not show.
pub(crate) fn render(ev: &Evidence, dir: &Path, explain: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Evidence from {} (as of {}, mapping {})",
        dir.display(),
        ev.as_of,
        ev.mapping
    );
    for (name, value) in &ev.metrics {
        let Some(p) = ev.provenance.get(name) else {
            continue;
        };
        if explain {
            let _ = writeln!(out, "\n{name} = {}", show(value));
            let _ = writeln!(out, "  formula   {}", p.formula);
            let _ = writeln!(out, "  computed  {}", p.computed);
            if !p.window.is_empty() {
                let _ = writeln!(out, "  window    {}", p.window);
            }
            let _ = writeln!(out, "  rows      {} ({})", p.rows, p.files.join(", "));
        } else {
            let _ = writeln!(out, "  {name:<30} {:<8} {}", show(value), p.computed);
        }
    }
    if !ev.unknown.is_empty() {
        let _ = writeln!(out, "\nNot shown by this export (left unknown):");
        for (name, why) in &ev.unknown {
            let _ = writeln!(out, "  {name:<30} {why}");
        }
    }
    for note in &ev.notes {
        let _ = writeln!(out, "\nNote: {note}");
    }
    out
}

/// A value as a person reads it: numbers to at most 3 decimals.
pub(crate) fn show(value: &MetricValue) -> String {
    match value {
        MetricValue::Number(n) => {
            let text = format!("{n:.3}");
            text.trim_end_matches('0').trim_end_matches('.').to_owned()
        }
        other => other.to_string(),
    }
}
