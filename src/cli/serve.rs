//! `maturity serve`: loads the models and serves them until Ctrl-C or
//! SIGTERM, reloading the scripts directory when it changes or on SIGHUP.

use std::sync::Arc;

use tokio::net::TcpListener;

use tonic::transport::{Certificate, Identity, ServerTlsConfig};

use super::CliError;
use super::args::ServeArgs;
use super::config::{self, Settings};
use crate::deploy::{self, Catalog};
use crate::engine::{Engine, Limits};
use crate::grpc::ServeOptions;
use crate::grpc::auth::Tokens;
use crate::telemetry::DecisionLog;

/// Runs the server.
pub(crate) async fn run(args: ServeArgs) -> Result<(), CliError> {
    let settings = config::settings(&args)?;
    let catalog = Arc::new(open_catalog(&settings)?);
    let tokens = match &settings.admin_tokens {
        Some(path) => Tokens::from_file(path).map_err(CliError::Config)?,
        None => Tokens::default(),
    };
    if tokens.is_empty() {
        tracing::warn!("no tokens (--admin-tokens): the admin service refuses every call");
    }
    if settings.require_token && tokens.is_empty() {
        return Err(CliError::Config(
            "--require-token needs --admin-tokens".into(),
        ));
    }
    let options = serve_options(&settings, tokens)?;
    // Kept alive for as long as the server runs.
    let _watcher = if settings.no_watch {
        None
    } else {
        deploy::watch(Arc::clone(&catalog))
            .map_err(|e| CliError::Config(format!("watching the scripts directory: {e}")))?
    };
    reload_on_hangup(Arc::clone(&catalog));
    if let Some(address) = settings.metrics_listen {
        let listener = bind(address).await?;
        if let Ok(on) = listener.local_addr() {
            tracing::info!(%on, "metrics listening on http://{on}/metrics");
        }
        tokio::spawn(crate::telemetry::serve_metrics(listener));
    }
    let listener = bind(settings.listen).await?;
    let address = listener.local_addr().map_err(|source| CliError::Bind {
        addr: settings.listen,
        source,
    })?;
    for model in catalog.snapshot().engine().models() {
        tracing::info!(model = model.id(), version = %model.spec().version, sha256 = model.sha256(), "model serving");
    }
    warn_if_too_few_files(settings.max_connections);
    let http = match settings.http_listen {
        Some(address) => {
            let listener = bind(address).await?;
            if let Ok(on) = listener.local_addr() {
                tracing::info!(%on, "HTTP/JSON API listening on http://{on}/v1/models");
            }
            if settings.tls.is_some() {
                tracing::warn!("the HTTP/JSON API is plaintext: terminate TLS in front of it");
            }
            Some(listener)
        }
        None => None,
    };
    let shutdown = shutdown_signal();
    tracing::info!(%address, tls = settings.tls.is_some(), "maturity service listening");
    crate::grpc::serve_with_http(listener, http, catalog, options, shutdown).await?;
    tracing::info!("maturity service stopped");
    Ok(())
}

async fn bind(address: std::net::SocketAddr) -> Result<TcpListener, CliError> {
    TcpListener::bind(address)
        .await
        .map_err(|source| CliError::Bind {
            addr: address,
            source,
        })
}

/// The gRPC server's options from the settings: tokens, TLS, decision log
/// and limits.
fn serve_options(settings: &Settings, tokens: Tokens) -> Result<ServeOptions, CliError> {
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|source| CliError::Read {
            path: path.into(),
            source,
        })
    };
    let tls = match &settings.tls {
        Some((cert, key)) => {
            // Each file is refused here, by name, before the server says
            // it listens, rather than by the first handshake.
            let refused = |files: String| move |source| CliError::Tls { files, source };
            let mut tls =
                ServerTlsConfig::new().identity(Identity::from_pem(read(cert)?, read(key)?));
            check_tls(&tls).map_err(refused(format!(
                "certificate {} with key {}",
                cert.display(),
                key.display()
            )))?;
            if let Some(ca) = &settings.tls_client_ca {
                tls = tls.client_ca_root(Certificate::from_pem(read(ca)?));
                check_tls(&tls).map_err(refused(format!("client CA {}", ca.display())))?;
            }
            Some(tls)
        }
        None => None,
    };
    let decisions = match &settings.decision_log {
        Some(path) => Some(
            DecisionLog::open(path)
                .map_err(|source| CliError::Read {
                    path: path.clone(),
                    source,
                })?
                .with_requests(settings.decision_log_requests),
        ),
        None => None,
    };
    Ok(ServeOptions {
        tokens,
        require_token: settings.require_token,
        tls,
        decisions,
        max_in_flight: settings.max_in_flight,
        max_message_bytes: settings.max_message_bytes,
        max_streams_per_connection: settings.max_streams_per_connection,
        max_connections: settings.max_connections,
        max_calls: settings.max_calls,
        handshake_timeout: settings.handshake_timeout,
        idle_timeout: settings.idle_timeout,
        drain: settings.drain,
        echo: settings.echo,
        ..ServeOptions::default()
    })
}

/// The models in the scripts directory, or the built-in ones.
///
/// A directory where no model loads still serves, unready: restarting a
/// server whose models were all deleted (or are all being fixed) must not
/// crash-loop, and a model deployed with PutModel or written to the
/// directory makes it ready.
fn open_catalog(settings: &Settings) -> Result<Catalog, CliError> {
    let Some(dir) = &settings.scripts else {
        return Ok(Catalog::fixed(Engine::with_builtin_models()?));
    };
    let (catalog, _) = Catalog::open(dir.clone(), Limits::default(), settings.audit_log.clone())?;
    let catalog = catalog.with_kept_versions(settings.kept_versions);
    if catalog.snapshot().engine().models().next().is_none() {
        tracing::warn!(
            dir = %dir.display(),
            "no model loaded: health reports NOT_SERVING until one does (write a model script to the directory or deploy one with PutModel)"
        );
    }
    Ok(catalog)
}

/// Warns when the process may not open `max_connections` sockets: past its
/// open files limit, accepting fails instead of shedding cleanly.
fn warn_if_too_few_files(max_connections: usize) {
    // Scripts, logs, the watcher and listeners need some files of their own.
    const SPARE: u64 = 64;
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let soft = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|n| n.parse::<u64>().ok());
    if let Some(soft) = soft.filter(|&soft| (max_connections as u64) + SPARE > soft) {
        tracing::warn!(
            max_connections,
            open_files_limit = soft,
            "max_connections is near the open files limit: raise it (ulimit -n) or lower max_connections"
        );
    }
}

/// Reloads the catalog on every SIGHUP (Unix only).
fn reload_on_hangup(catalog: Arc<Catalog>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut hangup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        else {
            tracing::warn!("cannot listen for SIGHUP; reload with the ReloadModels call instead");
            return;
        };
        while hangup.recv().await.is_some() {
            tracing::info!("SIGHUP: reloading");
            let catalog = Arc::clone(&catalog);
            match tokio::task::spawn_blocking(move || catalog.reload()).await {
                Ok(Ok(_)) => {}
                Ok(Err(err)) => {
                    tracing::error!(error = %err, "SIGHUP reload failed; the models serving are unchanged")
                }
                Err(err) => {
                    tracing::error!(error = %err, "SIGHUP reload panicked; the models serving are unchanged")
                }
            }
        }
    });
    #[cfg(not(unix))]
    drop(catalog);
}

/// Whether `tls` can serve: its files read as certificates and keys that
/// fit together.
fn check_tls(tls: &ServerTlsConfig) -> Result<(), tonic::transport::Error> {
    tonic::transport::Server::builder()
        .tls_config(tls.clone())
        .map(drop)
}

/// Completes on Ctrl-C or, on Unix, SIGTERM. The handlers are installed at
/// once, not when the future is first polled: a SIGTERM sent as soon as the
/// server says it listens drains it rather than killing it.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        )
    };
    async move {
        #[cfg(unix)]
        match signals {
            (Ok(mut interrupt), Ok(mut terminate)) => {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            }
            _ => std::future::pending::<()>().await,
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
