//! `maturity serve`: loads the models and serves them until Ctrl-C or SIGTERM.

use std::sync::Arc;

use tokio::net::TcpListener;

use super::args::ServeArgs;
use super::{CliError, load_engine};

/// Runs the server.
pub(crate) async fn run(args: ServeArgs) -> Result<(), CliError> {
    let engine = Arc::new(load_engine(args.scripts.as_deref())?);
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
    for model in engine.models() {
        tracing::info!(model = model.id(), version = %model.spec().version, sha256 = model.sha256(), "model loaded");
    }
    tracing::info!(%address, "maturity service listening");
    crate::grpc::serve(listener, engine, shutdown_signal()).await?;
    tracing::info!("maturity service stopped");
    Ok(())
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
