//! `maturity generate-crm DIR`: writes a synthetic export.

use super::CliError;
use super::args::GenerateCrmArgs;

/// Writes the export.
pub(crate) fn run(_args: GenerateCrmArgs) -> Result<(), CliError> {
    Err(CliError::Failed("not yet".into()))
}
