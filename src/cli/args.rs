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
    Serve(Box<ServeArgs>),
    /// Assess one organisation from a JSON file of metrics.
    Assess(AssessArgs),
    /// List the models with their levels and script hashes.
    Models(ModelsArgs),
    /// Run every model's test cases (DIR/tests/MODEL/*.json).
    Test(TestArgs),
    /// Compile model scripts and check them against the model contract.
    Check(CheckArgs),
    /// Load a server with realistic organisations and report throughput,
    /// latency percentiles, errors and the server's peak RSS.
    Bench(BenchArgs),
    /// Derive the metrics from a CRM export (a directory of CSV files, see
    /// docs/evidence.md) and print them, or with --json a metrics file for
    /// `assess --metrics`.
    Derive(DeriveArgs),
    /// Write a realistic synthetic CRM export whose metrics are known.
    GenerateCrm(GenerateCrmArgs),
    /// Compare two versions of a model over a portfolio of organisations
    /// (or a decision log): exit 0 when nothing changed, 1 when something
    /// did, 2 on error.
    Diff(DiffArgs),
    /// Re-assess the requests of a decision log (written with
    /// --decision-log-requests) on the models of a scripts directory and
    /// show what changed against the logged answers: exit 0 when nothing
    /// changed, 1 when something did, 2 on error.
    Replay(ReplayArgs),
    /// Work with test cases: `case add` saves an organisation with its
    /// current answer.
    #[command(subcommand)]
    Case(CaseCommand),
    /// Write a self-contained HTML report of one organisation for the client.
    Report(ReportArgs),
    /// Deploy a model script with its test cases (tests/MODEL/*.json beside
    /// it) to a running server through PutModel, replacing the version
    /// serving there.
    Deploy(DeployArgs),
    /// Print the JSON Schema of a file people write (generated from the
    /// proto; docs/schema/ holds them): a test case or a metrics file.
    Schema(SchemaArgs),
    /// Measure how cost grows with the work (criteria, metrics supplied,
    /// script size, models loaded) on generated models, and draw each curve
    /// as an SVG chart.
    BenchScaling(ScalingArgs),
}

/// Flags of `maturity bench-scaling`.
#[derive(Debug, Args)]
pub struct ScalingArgs {
    /// Where to write the charts (scaling-*.svg).
    #[arg(long, default_value = "docs/scaling")]
    pub out: PathBuf,
    /// Small sizes and short timings: a smoke run, not a measurement.
    #[arg(long)]
    pub quick: bool,
}

/// Flags of `maturity schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which file's schema.
    #[arg(value_enum)]
    pub file: SchemaFile,
}

/// The files `maturity schema` describes.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SchemaFile {
    /// A test case (tests/MODEL/NAME.json).
    Case,
    /// A metrics file, as `maturity assess --metrics` reads it.
    Metrics,
}

/// Flags of `maturity deploy`.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// The model script; its cases are read from tests/MODEL/ in its folder.
    #[arg(value_parser = any_path)]
    pub script: PathBuf,
    /// The server (e.g. http://127.0.0.1:50051).
    #[arg(long)]
    pub server: String,
    /// A token with the deploy role.
    #[arg(long, env = "MATURITY_TOKEN", hide_env_values = true)]
    pub token: String,
    /// The script hash of the version your edit started from (as
    /// `maturity models` shows it; "none" for a new model): the deploy is
    /// refused (ABORTED) if the server serves anything else, so a change
    /// made meanwhile is never overwritten. Without it, whatever serves at
    /// the moment of the deploy is replaced.
    #[arg(long)]
    pub expected_sha256: Option<String>,
}

/// Flags of `maturity diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The version before: a model script, or a scripts directory.
    pub old: PathBuf,
    /// The version after: a model script, or a scripts directory.
    pub new: PathBuf,
    /// The organisations, one JSON object per line: metrics, or an object
    /// with "metrics" (and "model", "subject_id"); a decision log written
    /// with --decision-log-requests works as it is.
    #[arg(long)]
    pub orgs: PathBuf,
    /// The model to assess on, where a line names none (defaults to the
    /// model of OLD when it is a single script).
    #[arg(long)]
    pub model: Option<String>,
    /// Print the comparison as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Flags of `maturity replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The decision log (JSON Lines); lines without a request are skipped
    /// and counted.
    pub log: PathBuf,
    /// The scripts directory to re-assess on.
    #[arg(long)]
    pub scripts: PathBuf,
    /// Print the comparison as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `maturity case` subcommands.
#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Save an organisation's metrics with the answer its model now gives as
    /// a test case (DIR/tests/MODEL/NAME.json).
    Add(CaseAddArgs),
}

/// Flags of `maturity case add`.
#[derive(Debug, Args)]
pub struct CaseAddArgs {
    /// The case's name (its file name, without .json).
    pub name: String,
    /// JSON file of the organisation's metrics (as `assess` reads it).
    #[arg(long)]
    pub metrics: PathBuf,
    /// The model; defaults to the file's "model" field.
    #[arg(long)]
    pub model: Option<String>,
    /// The scripts directory the case belongs to.
    #[arg(long, default_value = "scripts")]
    pub scripts: PathBuf,
    /// Why the case exists, in one line.
    #[arg(long, default_value = "")]
    pub why: String,
    /// Also pin the interventions now due (their ids must stay due now).
    #[arg(long)]
    pub with_interventions: bool,
    /// Replace a case of the same name.
    #[arg(long)]
    pub force: bool,
}

/// Flags of `maturity report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// JSON file of the organisation's metrics (as `assess` reads it).
    #[arg(long)]
    pub metrics: PathBuf,
    /// The model; defaults to the file's "model" field.
    #[arg(long)]
    pub model: Option<String>,
    /// Use the models in this directory.
    #[arg(long)]
    pub scripts: Option<PathBuf>,
    /// Plan the work up to this rank.
    #[arg(long, default_value_t = 0)]
    pub target_rank: i32,
    /// The organisation's name on the report (default: the file's subject).
    #[arg(long)]
    pub organisation: Option<String>,
    /// Where to write the HTML file.
    #[arg(long, default_value = "report.html")]
    pub out: PathBuf,
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

/// Flags of `maturity serve`. Each also reads an environment variable and
/// a key of the `--config` file (the flag's name with `_` for `-`).
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TOML settings file; flags and variables override it.
    #[arg(long, env = "MATURITY_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:50051].
    #[arg(long, env = "MATURITY_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Serve the models in this directory instead of the built-in ones; it is
    /// watched, and each edit is checked and tested before it goes live.
    #[arg(long, env = "MATURITY_SCRIPTS")]
    pub scripts: Option<PathBuf>,
    /// Tokens file: one `name role token` per line, role `assess`, `validate`
    /// or `deploy`. Without it the admin service refuses every call.
    #[arg(long, env = "MATURITY_ADMIN_TOKENS")]
    pub admin_tokens: Option<PathBuf>,
    /// Require a token (any role) for assessment calls too.
    #[arg(long, env = "MATURITY_REQUIRE_TOKEN")]
    pub require_token: bool,
    /// Where deployments are recorded (JSON Lines) [default:
    /// SCRIPTS/audit.log.jsonl].
    #[arg(long, env = "MATURITY_AUDIT_LOG")]
    pub audit_log: Option<PathBuf>,
    /// Do not watch the scripts directory (reload with SIGHUP or ReloadModels).
    #[arg(long, env = "MATURITY_NO_WATCH")]
    pub no_watch: bool,
    /// TLS certificate chain (PEM); serve plaintext without it.
    #[arg(long, env = "MATURITY_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, env = "MATURITY_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// Require client certificates signed by this CA (mutual TLS).
    #[arg(long, env = "MATURITY_TLS_CLIENT_CA")]
    pub tls_client_ca: Option<PathBuf>,
    /// Serve Prometheus metrics over HTTP on this address (GET /metrics).
    #[arg(long, env = "MATURITY_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// Serve the HTTP/JSON API on this address too (POST
    /// /v1/models/{model}:assess, GET /v1/models, GET /v1/openapi.json):
    /// the same models, tokens, limits and decision log as gRPC. Plaintext
    /// HTTP/1.1: put TLS in front of it.
    #[arg(long, env = "MATURITY_HTTP_LISTEN")]
    pub http_listen: Option<SocketAddr>,
    /// Append every decision to this JSON Lines file, off the request path.
    #[arg(long, env = "MATURITY_DECISION_LOG")]
    pub decision_log: Option<PathBuf>,
    /// Keep each whole request in the decision log too (its `request`, in
    /// the proto3 JSON mapping), so `maturity replay` can re-assess it. Off
    /// by default: requests may hold what a log should not.
    #[arg(long, env = "MATURITY_DECISION_LOG_REQUESTS")]
    pub decision_log_requests: bool,
    /// Log format: text or json [default: text].
    #[arg(long, env = "MATURITY_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Assessments in flight at once, server-wide [default: 256].
    #[arg(long, env = "MATURITY_MAX_IN_FLIGHT")]
    pub max_in_flight: Option<usize>,
    /// Largest request or response message, in bytes [default: 1048576].
    #[arg(long, env = "MATURITY_MAX_MESSAGE_BYTES")]
    pub max_message_bytes: Option<usize>,
    /// Concurrent HTTP/2 streams per connection [default: 4096].
    #[arg(long, env = "MATURITY_MAX_STREAMS_PER_CONNECTION")]
    pub max_streams_per_connection: Option<u32>,
    /// Connections open at once; more are closed at once and logged
    /// [default: 512].
    #[arg(long, env = "MATURITY_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// gRPC calls open at once, server-wide; more are refused at once with
    /// RESOURCE_EXHAUSTED [default: 4096].
    #[arg(long, env = "MATURITY_MAX_CALLS")]
    pub max_calls: Option<usize>,
    /// Seconds a new connection may take to send its first bytes (the HTTP/2
    /// preface or a TLS ClientHello) before it is closed [default: 5].
    #[arg(long, env = "MATURITY_HANDSHAKE_TIMEOUT_SECONDS")]
    pub handshake_timeout_seconds: Option<u64>,
    /// Seconds a connection may go without a call in flight before it is
    /// closed; 0 never closes one [default: 300].
    #[arg(long, env = "MATURITY_IDLE_TIMEOUT_SECONDS")]
    pub idle_timeout_seconds: Option<u64>,
    /// Seconds calls in flight may take to finish at shutdown [default: 10].
    #[arg(long, env = "MATURITY_DRAIN_SECONDS")]
    pub drain_seconds: Option<u64>,
    /// Versions of each model kept, the serving one included, so a request
    /// can pin one (AssessRequest.script_sha256) during a rollout
    /// [default: 3].
    #[arg(long, env = "MATURITY_KEPT_VERSIONS")]
    pub kept_versions: Option<usize>,
    /// Serve BenchService.Echo, the baseline of `maturity bench --mode echo`.
    #[arg(long, env = "MATURITY_ECHO")]
    pub echo: bool,
}

/// Flags of `maturity bench`.
#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// The server to load (e.g. http://127.0.0.1:50051).
    #[arg(long)]
    pub server: String,
    /// A token (any role) sent with every call, as `authorization: Bearer
    /// TOKEN`, for a server started with --require-token.
    #[arg(long, env = "MATURITY_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// What to call: assess (unary), stream (AssessStream), echo (the
    /// baseline; the server needs --echo) or http (Assess through the
    /// HTTP/JSON API; --server is then the --http-listen address).
    #[arg(long, default_value = "assess")]
    pub mode: String,
    /// Calls (or streams) in flight at once.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Seconds to run.
    #[arg(long, default_value_t = 10)]
    pub duration: u64,
    /// HTTP/2 connections the calls are spread over, as a platform's
    /// client pool would (each connection is one task on either side).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub connections: u16,
    /// The server's process id, to report its peak RSS (Linux).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// The answer asked for in assess and stream modes: full (criteria,
    /// plan, evidence) or basic (the standing and what is due now), as a
    /// platform scoring in bulk would ask.
    #[arg(long, value_enum, default_value = "full")]
    pub view: AnswerView,
    /// Run echo, Assess (full), AssessStream (basic) and AssessStream
    /// (full) in turn for --rounds rounds of --duration seconds each, and
    /// print one markdown table: medians, spread across rounds, server CPU
    /// per request, peak RSS and every figure as a ratio to echo in the
    /// same round. The server needs --echo; --mode and --view are ignored.
    #[arg(long)]
    pub suite: bool,
    /// Rounds of the suite.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub rounds: u32,
    /// The same server's HTTP/JSON address (its --http-listen, e.g.
    /// http://127.0.0.1:8080): the suite then runs unary Assess through the
    /// HTTP API too.
    #[arg(long)]
    pub http: Option<String>,
}

/// The answer asked for (`--view` of `bench` and `assess`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AnswerView {
    /// Every criterion, the plan and the evidence.
    Full,
    /// Level, ceiling, score, dimensions and what is due now.
    Basic,
}

impl From<AnswerView> for crate::engine::View {
    fn from(view: AnswerView) -> Self {
        match view {
            AnswerView::Full => Self::Full,
            AnswerView::Basic => Self::Basic,
        }
    }
}

/// Flags of `maturity assess`.
#[derive(Debug, Clone, Args)]
pub struct AssessArgs {
    /// The model to assess on; defaults to the file's "model" field.
    #[arg(long)]
    pub model: Option<String>,
    /// JSON file: an object of metrics, or an AssessRequest in its JSON
    /// mapping such as a case file (docs/schema/metrics.schema.json). A
    /// .jsonl file (one such object per line) is streamed to --server,
    /// printing one JSON line per answer. Required unless --crm.
    #[arg(long, default_value = "", hide_default_value = true, value_parser = any_path)]
    pub metrics: PathBuf,
    /// The file, given without --metrics (`maturity assess orgs.jsonl
    /// --server URL`).
    #[arg(value_name = "FILE", conflicts_with = "metrics")]
    pub file: Option<PathBuf>,
    /// The answer to ask for: full (criteria, plan, evidence) or basic (the
    /// standing and what is due now), as bulk scoring would. The default is
    /// the file's own `view`, else full.
    #[arg(long, value_enum)]
    pub view: Option<AnswerView>,
    /// Ask a running server (e.g. http://127.0.0.1:50051) instead of assessing locally.
    #[arg(long)]
    pub server: Option<String>,
    /// A token (any role) sent to --server with every call, as
    /// `authorization: Bearer TOKEN`, for a server started with
    /// --require-token.
    #[arg(long, env = "MATURITY_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
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
    /// Plan the work up to this rank, not only the next level (a roadmap:
    /// the levels beyond come as "later").
    #[arg(long, default_value_t = 0)]
    pub target_rank: i32,
    /// The subject id to echo back.
    #[arg(long, default_value = "")]
    pub subject: String,
    /// Derive the metrics from a CRM export first (see `derive`).
    #[command(flatten)]
    pub evidence: EvidenceArgs,
}

/// A path, empty when not given (clap's own parser refuses empty paths).
fn any_path(text: &str) -> Result<PathBuf, std::convert::Infallible> {
    Ok(PathBuf::from(text))
}

/// Where `assess` takes evidence from.
#[derive(Debug, Clone, Args)]
pub struct EvidenceArgs {
    /// Derive the metrics from this CRM export directory and assess them;
    /// --metrics may add the metrics the export cannot show (the export
    /// wins where both give one).
    #[arg(long, value_name = "CRM_DIR")]
    pub crm: Option<PathBuf>,
    /// The day the export's windows end (YYYY-MM-DD) [default: the export's
    /// latest activity, no later than today, UTC].
    #[arg(long, requires = "crm")]
    pub as_of: Option<String>,
    /// The export's mapping: `salesforce`, `hubspot` or a TOML file
    /// [default: the contract's own names].
    #[arg(long, requires = "crm")]
    pub mapping: Option<String>,
}

/// Flags of `maturity derive`.
#[derive(Debug, Clone, Args)]
pub struct DeriveArgs {
    /// The export directory (opportunities.csv and the optional files).
    pub dir: PathBuf,
    /// The day the export's windows end (YYYY-MM-DD) [default: the export's
    /// latest activity, no later than today, UTC].
    #[arg(long)]
    pub as_of: Option<String>,
    /// The export's mapping: `salesforce`, `hubspot` or a TOML file
    /// [default: the contract's own names].
    #[arg(long)]
    pub mapping: Option<String>,
    /// Print a metrics file (JSON) that `assess --metrics` accepts; with
    /// --explain, the provenance too.
    #[arg(long)]
    pub json: bool,
    /// Print, per metric, the rows used, the window and the formula.
    #[arg(long)]
    pub explain: bool,
}

/// Flags of `maturity generate-crm`.
#[derive(Debug, Clone, Args)]
pub struct GenerateCrmArgs {
    /// The directory to write the export into (created if missing).
    pub dir: PathBuf,
    /// The organisation: process-driven, hero-dependent, back-filling or
    /// founder-led.
    #[arg(long, default_value = "process-driven")]
    pub profile: String,
    /// Opportunities to write.
    #[arg(long, default_value_t = 2000)]
    pub opportunities: u64,
    /// Quota-carrying sellers.
    #[arg(long, default_value_t = 12)]
    pub sellers: u32,
    /// Stage-history rows per opportunity, on average (at least 1).
    #[arg(long, default_value_t = 5)]
    pub history_per_opportunity: u32,
    /// The as-of day the windows end (YYYY-MM-DD).
    #[arg(long, default_value = "2025-06-30")]
    pub as_of: String,
    /// Seed of the random choices: the same seed writes the same export.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Also write truth.json: the metrics the export shows by construction.
    #[arg(long)]
    pub truth: bool,
}

/// Flags of `maturity models`.
#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// Ask a running server instead of listing local models.
    #[arg(long)]
    pub server: Option<String>,
    /// A token (any role) sent to --server, as `authorization: Bearer
    /// TOKEN`, for a server started with --require-token.
    #[arg(long, env = "MATURITY_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// List the models in this directory (local only).
    #[arg(long, conflicts_with = "server")]
    pub scripts: Option<PathBuf>,
    /// Print a ListModelsResponse in the proto3 JSON mapping (what the
    /// HTTP API's GET /v1/models answers).
    #[arg(long)]
    pub json: bool,
}
