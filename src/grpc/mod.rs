//! The `maturity.v1` gRPC service: a thin layer that converts requests, calls
//! the engine and converts answers. Knows nothing of the scripting language.
//!
//! - `pb`: the generated protobuf types and the descriptor set.
//! - `service`: the `MaturityService` handlers.
//! - `admin`, `auth`: the `AdminService` handlers and their bearer tokens.
//! - `convert`: protobuf <-> engine types.
//! - `status`: the one place engine errors become gRPC statuses.

pub mod admin;
pub mod auth;
pub mod convert;
pub mod service;
pub mod status;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Server;

use crate::deploy::Catalog;
use admin::AdminApi;
use auth::Tokens;
use pb::admin_service_server::AdminServiceServer;
use pb::maturity_service_server::MaturityServiceServer;
use service::MaturityApi;

/// The generated protobuf types of `maturity.v1`.
#[allow(missing_docs, unreachable_pub, clippy::all)]
pub mod pb {
    tonic::include_proto!("maturity.v1");

    /// The encoded descriptor set, served by reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        tonic::include_file_descriptor_set!("maturity_descriptor");
}

/// Errors that stop the server.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The transport failed.
    #[error("gRPC transport: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// The reflection service could not be built from the descriptors.
    #[error("reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
}

/// Serves the maturity and admin services, health checking and reflection
/// on `listener` until `shutdown` completes. Admin calls need one of
/// `tokens`.
pub async fn serve(
    listener: TcpListener,
    catalog: Arc<Catalog>,
    tokens: Tokens,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_serving::<MaturityServiceServer<MaturityApi>>()
        .await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    Server::builder()
        .add_service(health_service)
        .add_service(reflection)
        .add_service(MaturityServiceServer::new(MaturityApi::new(Arc::clone(
            &catalog,
        ))))
        .add_service(AdminServiceServer::new(AdminApi::new(
            catalog,
            Arc::new(tokens),
        )))
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await?;
    Ok(())
}
