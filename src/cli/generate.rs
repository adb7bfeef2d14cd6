//! `maturity generate-crm DIR`: writes a synthetic export, and with
//! `--truth` the metrics it shows by construction (truth.json).

use super::CliError;
use super::args::GenerateCrmArgs;
use crate::evidence::generate::{Spec, generate};
use crate::evidence::parse_date;

/// Writes the export.
pub(crate) fn run(args: GenerateCrmArgs) -> Result<(), CliError> {
    let as_of = parse_date(&args.as_of).ok_or_else(|| {
        CliError::Config(format!(
            "--as-of {:?} is not a date (YYYY-MM-DD)",
            args.as_of
        ))
    })?;
    let spec = Spec {
        profile: args.profile.parse().map_err(CliError::Config)?,
        opportunities: args.opportunities,
        sellers: args.sellers,
        history_per_opportunity: args.history_per_opportunity,
        as_of,
        seed: args.seed,
    };
    let io = |source| CliError::Read {
        path: args.dir.clone(),
        source,
    };
    let truth = generate(&spec, &args.dir).map_err(io)?;
    if args.truth {
        let json = serde_json::to_string_pretty(&truth).unwrap_or_default();
        std::fs::write(args.dir.join("truth.json"), json + "\n").map_err(io)?;
    }
    Ok(())
}
