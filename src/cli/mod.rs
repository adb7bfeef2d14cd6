//! The `maturity` command line: `serve`, `assess`, `models`, `test` and
//! `check`.
//!
//! - `args`: the flags (clap).
//! - `serve`: runs the gRPC service.
//! - `assess`: assesses one organisation, locally or on a server.
//! - `models`: lists the models.
//! - `test`: runs the models' test cases.
//! - `check`: checks scripts against the model contract.
//! - `report`: the readable report of an assessment.
//! - `derive`, `crm`, `generate`: metrics from a CRM export, `assess
//!   --crm`, and synthetic exports.
//! - `diff`: two versions of a model compared over a portfolio.
//! - `case`: saving an organisation as a test case.
//! - `report_html`: the self-contained HTML report for a client.
//! - `output`: standard output that a closed pipe ends quietly.

#[macro_use]
mod output;
pub mod args;
mod assess;
mod bench;
mod bench_scaling;
mod bench_suite;
mod case;
mod channel;
mod check;
pub mod config;
mod crm;
mod deploy;
mod derive;
mod diff;
mod error;
mod generate;
mod models;
mod report;
mod report_html;
mod schema;
mod serve;
mod stream;
mod test;

use std::path::Path;

pub use args::{Cli, Command};
pub use error::CliError;

use crate::engine::{Engine, Limits, read_scripts_dir};
use crate::grpc::pb::maturity_service_client::MaturityServiceClient;

/// Runs one command to completion.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Serve(args) => serve::run(*args).await,
        Command::Assess(args) => assess::run(args).await,
        Command::Models(args) => models::run(args).await,
        Command::Test(args) => test::run(args),
        Command::Check(args) => check::run(args),
        Command::Bench(args) => bench::run(args).await,
        Command::Derive(args) => derive::run(args),
        Command::GenerateCrm(args) => generate::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Replay(args) => diff::replay(args),
        Command::Case(args::CaseCommand::Add(args)) => case::add(args),
        Command::Report(args) => report_html::run(args),
        Command::Deploy(args) => deploy::run(args).await,
        Command::BenchScaling(args) => bench_scaling::run(args),
        Command::Schema(args) => schema::run(args),
    }
}

/// The log format the command asks for: "json" or "text".
pub fn log_format(cli: &Cli) -> String {
    match &cli.command {
        Command::Serve(args) => config::log_format(args),
        _ => "text".into(),
    }
}

/// The engine for local commands: the models in `scripts`, or the built-in ones.
///
/// Scripts that fail to load are logged and left out; it is an error only
/// when no model loads at all.
pub fn load_engine(scripts: Option<&Path>) -> Result<Engine, CliError> {
    let Some(dir) = scripts else {
        return Ok(Engine::with_builtin_models()?);
    };
    let mut engine = Engine::new(Limits::default());
    let set = read_scripts_dir(dir)?;
    for bad in &set.unreadable {
        tracing::error!(file = %crate::telemetry::one_line(&bad.file), reason = %bad.reason, "file not read");
    }
    for failure in engine.load_all(&set) {
        let rendered = error::render_load_error(&failure);
        tracing::error!("model not loaded: {rendered}");
    }
    if engine.models().next().is_none() {
        return Err(CliError::Load(crate::engine::LoadError::NoModels(
            dir.display().to_string(),
        )));
    }
    Ok(engine)
}

async fn connect(url: &str) -> Result<MaturityServiceClient<tonic::transport::Channel>, CliError> {
    Ok(MaturityServiceClient::new(channel::connect(url).await?))
}
