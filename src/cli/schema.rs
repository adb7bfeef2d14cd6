//! `maturity schema case|metrics`: prints the JSON Schema of a file people
//! write, generated from the proto (the files under docs/schema/).

use super::CliError;
use super::args::{SchemaArgs, SchemaFile};
use crate::grpc::schema::files;

/// Prints the schema.
pub(crate) fn run(args: SchemaArgs) -> Result<(), CliError> {
    let schema = match args.file {
        SchemaFile::Case => files::case_file(),
        SchemaFile::Metrics => files::metrics_file(),
    };
    outln!(
        "{}",
        serde_json::to_string_pretty(&schema).unwrap_or_default()
    );
    Ok(())
}
