//! What can stop a command, each with what the user needs to fix it.

use std::path::PathBuf;

use thiserror::Error;

use crate::engine::{EngineError, LoadError};
use crate::grpc::ServeError;

/// An error that ends a command.
#[derive(Debug, Error)]
pub enum CliError {
    /// A model could not be loaded.
    #[error("{}", render_load_error(.0))]
    Load(#[from] LoadError),
    /// The engine refused the assessment.
    #[error("{0}")]
    Engine(#[from] EngineError),
    /// A file could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not the JSON expected.
    #[error("{}: {message}", path.display())]
    Input {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The server could not be reached.
    #[error("cannot connect to {url}: {}", causes(source))]
    Connect {
        /// The server's URL.
        url: String,
        /// Why.
        source: tonic::transport::Error,
    },
    /// The server's TLS files cannot serve TLS.
    #[error("TLS {files}: {}", causes(source))]
    Tls {
        /// The files refused, e.g. "certificate server.pem with key server.key".
        files: String,
        /// Why.
        source: tonic::transport::Error,
    },
    /// Standard output could not be written (its reader may have gone).
    #[error("writing to standard output: {0}")]
    Output(std::io::Error),
    /// The server answered with an error.
    #[error("server: {} ({:?})", .0.message(), .0.code())]
    Status(#[from] tonic::Status),
    /// The server stopped with an error.
    #[error("{0}")]
    Serve(#[from] ServeError),
    /// A deployment or the scripts directory failed.
    #[error("{0}")]
    Deploy(#[from] crate::deploy::DeployError),
    /// A setting is wrong.
    #[error("{0}")]
    Config(String),
    /// Checks or tests ran and some failed (the details are already printed).
    #[error("{0}")]
    Failed(String),
    /// A comparison found differences (the details are already printed).
    #[error("{0}")]
    Differ(String),
    /// A comparison could not be made: exit status 2, as diff(1).
    #[error("{0}")]
    Trouble(Box<CliError>),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

impl CliError {
    /// The exit status for this error: 2 when a comparison could not be
    /// made, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Trouble(_) => 2,
            _ => 1,
        }
    }
}

/// A load error, with the offending script line when there is one.
pub(crate) fn render_load_error(err: &LoadError) -> String {
    err.render()
}

/// `err` and the errors beneath it, joined: tonic's transport error says
/// only "transport error", the TLS or socket error under it says why.
fn causes(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
