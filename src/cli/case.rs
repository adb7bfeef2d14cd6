//! `maturity case add NAME --metrics FILE`: saves an organisation's metrics
//! with the answer its model gives now as a test case, so a consultant pins
//! down today's answer before changing the model.

use std::path::Path;

use super::args::CaseAddArgs;
use super::assess::{input_error, organisation_from_json, read_json_file};
use super::{CliError, load_engine};
use crate::engine::cases::{Case, Expectation};
use crate::engine::{Horizon, Model};

/// Writes the case and says where.
pub(crate) fn add(args: CaseAddArgs) -> Result<(), CliError> {
    let valid = !args.name.is_empty()
        && args
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        let message = format!(
            "case name '{}': use letters, digits, '_' and '-' only",
            args.name
        );
        return Err(CliError::Config(message));
    }
    let path = args.metrics.as_path();
    let json = read_json_file(path)?;
    let mut request = organisation_from_json(path, &json, args.model.as_deref())?;
    request.subject_id.clone_from(&args.name);
    let engine = load_engine(Some(&args.scripts))?;
    let model = engine.model(&request.model)?;
    refuse_unread(model, path, &request.metrics)?;
    let got = engine.assess(&request)?;
    let now = got
        .interventions
        .iter()
        .filter(|i| args.with_interventions && i.horizon == Horizon::Now)
        .map(|i| i.id.to_string())
        .collect();
    let case = Case {
        name: args.name.clone(),
        model: request.model.clone(),
        why: args.why.clone(),
        subject_id: String::new(),
        target_rank: request.target_rank,
        metrics: request.metrics,
        expect: Expectation {
            rank: got.level.rank,
            level_id: got.level.id.to_string(),
            interventions_name_any_of: Vec::new(),
            criteria: Default::default(),
            now,
        },
    };
    let file = write(&args, &case)?;
    outln!(
        "saved {}: rank {} {}",
        file.display(),
        got.level.rank,
        got.level.id
    );
    Ok(())
}

/// A case naming a metric its model does not read would pin nothing.
fn refuse_unread(
    model: &Model,
    path: &Path,
    metrics: &crate::engine::Metrics,
) -> Result<(), CliError> {
    let unread: Vec<&String> = metrics
        .keys()
        .filter(|n| model.metric(n).is_none())
        .collect();
    if unread.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = unread.iter().map(|n| format!("'{n}'")).collect();
    Err(input_error(
        path,
        format!(
            "model '{}' does not read {}: remove them or fix their names",
            model.id(),
            names.join(", ")
        ),
    ))
}

fn write(args: &CaseAddArgs, case: &Case) -> Result<std::path::PathBuf, CliError> {
    let dir = args.scripts.join("tests").join(&case.model);
    let file = dir.join(format!("{}.json", case.name));
    if file.exists() && !args.force {
        return Err(CliError::Config(format!(
            "{} exists: pass --force to replace it",
            file.display()
        )));
    }
    let io = |source| CliError::Read {
        path: file.clone(),
        source,
    };
    std::fs::create_dir_all(&dir).map_err(io)?;
    let text = serde_json::to_string_pretty(case).unwrap_or_default() + "\n";
    std::fs::write(&file, text).map_err(io)?;
    Ok(file)
}
