//! `maturity serve`: loads the models and serves them until Ctrl-C or
//! SIGTERM, reloading the scripts directory when it changes or on SIGHUP.

use std::sync::Arc;

use tokio::net::TcpListener;

use super::CliError;
use super::args::ServeArgs;
use crate::deploy::{self, Catalog};
use crate::engine::{Engine, Limits, LoadError};
use crate::grpc::auth::Tokens;

/// Runs the server.
pub(crate) async fn run(args: ServeArgs) -> Result<(), CliError> {
    let catalog = Arc::new(open_catalog(&args)?);
    let tokens = match &args.admin_tokens {
        Some(path) => Tokens::from_file(path).map_err(CliError::Config)?,
        None => Tokens::default(),
    };
    if tokens.is_empty() {
        tracing::warn!("no admin tokens (--admin-tokens): the admin service refuses every call");
    }
    // Kept alive for as long as the server runs.
    let _watcher = if args.no_watch {
        None
    } else {
        deploy::watch(Arc::clone(&catalog))
            .map_err(|e| CliError::Config(format!("watching the scripts directory: {e}")))?
    };
    reload_on_hangup(Arc::clone(&catalog));
    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|source| CliError::Bind {
            addr: args.listen,
            source,
        })?;
    let address = listener.local_addr().map_err(|source| CliError::Bind {
        addr: args.listen,
        source,
    })?;
    for model in catalog.snapshot().engine().models() {
        tracing::info!(model = model.id(), version = %model.spec().version, sha256 = model.sha256(), "model serving");
    }
    tracing::info!(%address, "maturity service listening");
    let options = crate::grpc::ServeOptions {
        tokens,
        ..Default::default()
    };
    crate::grpc::serve(listener, catalog, options, shutdown_signal()).await?;
    tracing::info!("maturity service stopped");
    Ok(())
}

/// The models in the scripts directory (at least one must load), or the
/// built-in ones.
fn open_catalog(args: &ServeArgs) -> Result<Catalog, CliError> {
    let Some(dir) = &args.scripts else {
        return Ok(Catalog::fixed(Engine::with_builtin_models()?));
    };
    let (catalog, _) = Catalog::open(dir.clone(), Limits::default(), args.audit_log.clone())?;
    if catalog.snapshot().engine().models().next().is_none() {
        return Err(LoadError::NoModels(dir.display().to_string()).into());
    }
    Ok(catalog)
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
            let reloaded = tokio::task::spawn_blocking(move || catalog.reload()).await;
            if let Ok(Err(err)) = reloaded {
                tracing::error!(error = %err, "reload failed; the models serving are unchanged");
            }
        }
    });
    #[cfg(not(unix))]
    drop(catalog);
}

/// Completes on Ctrl-C or, on Unix, SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
