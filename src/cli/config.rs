//! The server's settings: a TOML file (`--config`), every setting also an
//! environment variable and a flag. A flag or variable wins over the file,
//! the file over the default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::CliError;
use super::args::ServeArgs;

/// The settings file; every field is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    listen: Option<SocketAddr>,
    scripts: Option<PathBuf>,
    admin_tokens: Option<PathBuf>,
    require_token: Option<bool>,
    audit_log: Option<PathBuf>,
    no_watch: Option<bool>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    tls_client_ca: Option<PathBuf>,
    metrics_listen: Option<SocketAddr>,
    http_listen: Option<SocketAddr>,
    decision_log: Option<PathBuf>,
    decision_log_requests: Option<bool>,
    log_format: Option<String>,
    max_in_flight: Option<usize>,
    max_message_bytes: Option<usize>,
    max_streams_per_connection: Option<u32>,
    max_connections: Option<usize>,
    max_calls: Option<usize>,
    handshake_timeout_seconds: Option<u64>,
    idle_timeout_seconds: Option<u64>,
    drain_seconds: Option<u64>,
    echo: Option<bool>,
    kept_versions: Option<usize>,
}

/// The settings `serve` runs with, after merging.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address of the gRPC server.
    pub listen: SocketAddr,
    /// Scripts directory; the built-in models when absent.
    pub scripts: Option<PathBuf>,
    /// Tokens file (admin, and assessment when required).
    pub admin_tokens: Option<PathBuf>,
    /// Whether assessment calls need a token too.
    pub require_token: bool,
    /// Audit log of deployments.
    pub audit_log: Option<PathBuf>,
    /// Whether the scripts directory is left unwatched.
    pub no_watch: bool,
    /// TLS certificate chain and key (PEM); plaintext when absent.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// CA whose client certificates are required (mutual TLS).
    pub tls_client_ca: Option<PathBuf>,
    /// Address of the Prometheus metrics endpoint, when wanted.
    pub metrics_listen: Option<SocketAddr>,
    /// Address of the HTTP/JSON API, when wanted.
    pub http_listen: Option<SocketAddr>,
    /// JSON Lines file of decisions, when wanted.
    pub decision_log: Option<PathBuf>,
    /// Whether the decision log keeps whole requests (for replay).
    pub decision_log_requests: bool,
    /// Assessments in flight at once.
    pub max_in_flight: usize,
    /// Largest message, in bytes.
    pub max_message_bytes: usize,
    /// Concurrent streams per connection.
    pub max_streams_per_connection: u32,
    /// Connections open at once.
    pub max_connections: usize,
    /// gRPC calls open at once, server-wide.
    pub max_calls: usize,
    /// Time a new connection has to send its first bytes.
    pub handshake_timeout: Duration,
    /// Time a connection may go without a call; never closed when `None`.
    pub idle_timeout: Option<Duration>,
    /// Bounded wait for calls in flight at shutdown.
    pub drain: Duration,
    /// Whether to serve the load generator's echo baseline.
    pub echo: bool,
    /// Versions of each model kept for pinned requests.
    pub kept_versions: usize,
}

/// Reads the settings file, if one is named.
pub fn read_file(path: Option<&Path>) -> Result<FileSettings, CliError> {
    let Some(path) = path else {
        return Ok(FileSettings::default());
    };
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.into(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| CliError::Input {
        path: path.into(),
        message: e.to_string(),
    })
}

/// The log format the settings ask for ("text" or "json", in any case;
/// `settings` refuses any other).
pub fn log_format(args: &ServeArgs) -> String {
    let file = read_file(args.config.as_deref()).unwrap_or_default();
    format_of(args, &file)
}

fn format_of(args: &ServeArgs, file: &FileSettings) -> String {
    args.log_format
        .clone()
        .or_else(|| file.log_format.clone())
        .unwrap_or_else(|| "text".into())
        .to_ascii_lowercase()
}

/// Flags and variables over the file over the defaults.
pub fn settings(args: &ServeArgs) -> Result<Settings, CliError> {
    let file = read_file(args.config.as_deref())?;
    let defaults = crate::grpc::ServeOptions::default();
    let format = format_of(args, &file);
    if !["text", "json"].contains(&format.as_str()) {
        let shown: String = format.chars().take(32).collect();
        return Err(CliError::Config(format!(
            "log_format must be text or json, got '{shown}'"
        )));
    }
    let tls_cert = args.tls_cert.clone().or(file.tls_cert);
    let tls_key = args.tls_key.clone().or(file.tls_key);
    let tls = match (tls_cert, tls_key) {
        (Some(cert), Some(key)) => Some((cert, key)),
        (None, None) => None,
        _ => {
            return Err(CliError::Config(
                "TLS needs both --tls-cert and --tls-key".into(),
            ));
        }
    };
    let tls_client_ca = args.tls_client_ca.clone().or(file.tls_client_ca);
    if tls_client_ca.is_some() && tls.is_none() {
        return Err(CliError::Config(
            "--tls-client-ca needs --tls-cert and --tls-key".into(),
        ));
    }
    Ok(Settings {
        listen: args
            .listen
            .or(file.listen)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 50051))),
        scripts: args.scripts.clone().or(file.scripts),
        admin_tokens: args.admin_tokens.clone().or(file.admin_tokens),
        require_token: args.require_token || file.require_token.unwrap_or(false),
        audit_log: args.audit_log.clone().or(file.audit_log),
        no_watch: args.no_watch || file.no_watch.unwrap_or(false),
        tls,
        tls_client_ca,
        metrics_listen: args.metrics_listen.or(file.metrics_listen),
        http_listen: args.http_listen.or(file.http_listen),
        decision_log: args.decision_log.clone().or(file.decision_log),
        decision_log_requests: args.decision_log_requests
            || file.decision_log_requests.unwrap_or(false),
        max_in_flight: at_least(
            "max_in_flight",
            args.max_in_flight.or(file.max_in_flight),
            1,
        )?
        .unwrap_or(defaults.max_in_flight),
        max_message_bytes: at_least(
            "max_message_bytes",
            args.max_message_bytes.or(file.max_message_bytes),
            MIN_MESSAGE_BYTES,
        )?
        .unwrap_or(defaults.max_message_bytes),
        max_streams_per_connection: at_least(
            "max_streams_per_connection",
            args.max_streams_per_connection
                .or(file.max_streams_per_connection),
            1,
        )?
        .unwrap_or(defaults.max_streams_per_connection),
        max_connections: at_least(
            "max_connections",
            args.max_connections.or(file.max_connections),
            1,
        )?
        .unwrap_or(defaults.max_connections),
        max_calls: at_least("max_calls", args.max_calls.or(file.max_calls), 1)?
            .unwrap_or(defaults.max_calls),
        handshake_timeout: match timeout(
            "handshake_timeout_seconds",
            args.handshake_timeout_seconds
                .or(file.handshake_timeout_seconds),
        )? {
            Some(Duration::ZERO) => {
                return Err(CliError::Config(
                    "handshake_timeout_seconds must be at least 1".into(),
                ));
            }
            Some(timeout) => timeout,
            None => defaults.handshake_timeout,
        },
        idle_timeout: match timeout(
            "idle_timeout_seconds",
            args.idle_timeout_seconds.or(file.idle_timeout_seconds),
        )? {
            Some(Duration::ZERO) => None,
            Some(timeout) => Some(timeout),
            None => defaults.idle_timeout,
        },
        drain: timeout("drain_seconds", args.drain_seconds.or(file.drain_seconds))?
            .unwrap_or(defaults.drain),
        echo: args.echo || file.echo.unwrap_or(false),
        kept_versions: match args.kept_versions.or(file.kept_versions) {
            Some(0) => {
                return Err(CliError::Config(
                    "kept_versions must be at least 1 (the version serving)".into(),
                ));
            }
            Some(n) => n,
            None => crate::deploy::DEFAULT_KEPT_VERSIONS,
        },
    })
}

/// The smallest message limit that still carries a full organisation (51
/// metrics take about 1.5 KiB) and its answer's error details.
const MIN_MESSAGE_BYTES: usize = 16 * 1024;

/// The longest a timeout setting may be: one year. Timeouts become
/// deadlines (`Instant::now() + timeout`), and one near `u64::MAX` seconds
/// overflows that sum on every connection.
const MAX_TIMEOUT_SECONDS: u64 = 365 * 24 * 60 * 60;

/// `seconds` as a timeout, unless it is over [`MAX_TIMEOUT_SECONDS`].
fn timeout(name: &str, seconds: Option<u64>) -> Result<Option<Duration>, CliError> {
    match seconds {
        Some(s) if s > MAX_TIMEOUT_SECONDS => Err(CliError::Config(format!(
            "{name} must be at most {MAX_TIMEOUT_SECONDS} (one year), got {s}"
        ))),
        other => Ok(other.map(Duration::from_secs)),
    }
}

/// `value`, unless it is set below `min`: a limit no call could pass makes
/// a server that refuses everything, which is a setting's mistake.
fn at_least<T>(name: &str, value: Option<T>, min: T) -> Result<Option<T>, CliError>
where
    T: PartialOrd + std::fmt::Display + Copy,
{
    match value {
        Some(v) if v < min => Err(CliError::Config(format!(
            "{name} must be at least {min}, got {v}"
        ))),
        other => Ok(other),
    }
}
