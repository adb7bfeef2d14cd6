//! The command line's flags.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Scores how mature an organisation's sales function is.
#[derive(Debug, Parser)]
#[command(name = "maturity", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the gRPC API (maturity.v1, health, reflection).
    Serve(ServeArgs),
    /// Assess one organisation from a JSON file of metrics.
    Assess(AssessArgs),
    /// List the models with their levels and script hashes.
    Models(ModelsArgs),
    /// Run every model's test cases (DIR/tests/MODEL/*.json).
    Test(TestArgs),
    /// Compile model scripts and check them against the model contract.
    Check(CheckArgs),
}

/// Flags of `maturity test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// The scripts directory: models, lib/ helpers and tests/MODEL/ cases.
    #[arg(default_value = "scripts")]
    pub dir: PathBuf,
}

/// Flags of `maturity check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Model scripts to check; each compiles with the helpers in its directory's lib/.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Flags of `maturity serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "MATURITY_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    /// Serve the models in this directory instead of the built-in ones; it is
    /// watched, and each edit is checked and tested before it goes live.
    #[arg(long, env = "MATURITY_SCRIPTS")]
    pub scripts: Option<PathBuf>,
    /// Admin tokens file: one `name role token` per line, role `deploy` or
    /// `validate`. Without it the admin service refuses every call.
    #[arg(long, env = "MATURITY_ADMIN_TOKENS")]
    pub admin_tokens: Option<PathBuf>,
    /// Where deployments are recorded (JSON Lines); defaults to
    /// SCRIPTS/audit.log.jsonl.
    #[arg(long, env = "MATURITY_AUDIT_LOG")]
    pub audit_log: Option<PathBuf>,
    /// Do not watch the scripts directory (reload with SIGHUP or ReloadModels).
    #[arg(long, env = "MATURITY_NO_WATCH")]
    pub no_watch: bool,
}

/// Flags of `maturity assess`.
#[derive(Debug, Clone, Args)]
pub struct AssessArgs {
    /// The model to assess on; defaults to the file's "model" field.
    #[arg(long)]
    pub model: Option<String>,
    /// JSON file: an object of metrics, or a case file with "metrics" (and
    /// "model"). A .jsonl file (one such object per line) is streamed to
    /// --server, printing one JSON line per answer.
    #[arg(long)]
    pub metrics: PathBuf,
    /// Ask a running server (e.g. http://127.0.0.1:50051) instead of assessing locally.
    #[arg(long)]
    pub server: Option<String>,
    /// Use the models in this directory (local assessment only).
    #[arg(long, conflicts_with = "server")]
    pub scripts: Option<PathBuf>,
    /// Print the assessment as JSON.
    #[arg(long)]
    pub json: bool,
    /// Explain every level's criteria (the report otherwise stops at the next
    /// level); with --json, include observed values, thresholds and levers.
    #[arg(long)]
    pub explain: bool,
    /// The subject id to echo back.
    #[arg(long, default_value = "")]
    pub subject: String,
}

/// Flags of `maturity models`.
#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// Ask a running server instead of listing local models.
    #[arg(long)]
    pub server: Option<String>,
    /// List the models in this directory (local only).
    #[arg(long, conflicts_with = "server")]
    pub scripts: Option<PathBuf>,
}
