//! The `AdminService` handlers: authorise, convert in, change the catalog off
//! the async reactor, convert out.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::auth::{Role, Tokens};
use super::convert::{case_from_pb, case_result_to_pb, failure_to_pb};
use super::pb;
use super::status::{deploy_status, task_failed};
use crate::deploy::Catalog;

/// The gRPC face of a [`Catalog`]'s changes.
#[derive(Debug, Clone)]
pub struct AdminApi {
    catalog: Arc<Catalog>,
    tokens: Arc<Tokens>,
}

impl AdminApi {
    /// Changes `catalog` for callers holding one of `tokens`.
    pub fn new(catalog: Arc<Catalog>, tokens: Arc<Tokens>) -> Self {
        Self { catalog, tokens }
    }

    /// Runs `work` on the catalog off the reactor, once the caller is
    /// authorised for `role`; `work` gets the caller's token name.
    async fn run<T: Send + 'static>(
        &self,
        metadata: &tonic::metadata::MetadataMap,
        role: Role,
        work: impl FnOnce(&Catalog, String) -> Result<T, Status> + Send + 'static,
    ) -> Result<Response<T>, Status> {
        let who = self.tokens.authorize(metadata, role)?;
        let catalog = Arc::clone(&self.catalog);
        tokio::task::spawn_blocking(move || work(&catalog, who))
            .await
            .map_err(task_failed)?
            .map(Response::new)
    }
}

#[tonic::async_trait]
impl pb::admin_service_server::AdminService for AdminApi {
    async fn validate_script(
        &self,
        request: Request<pb::ValidateScriptRequest>,
    ) -> Result<Response<pb::ValidateScriptResponse>, Status> {
        let (metadata, _, request) = request.into_parts();
        let file = request.file_name.clone();
        let cases = request
            .cases
            .into_iter()
            .map(case_from_pb)
            .collect::<Result<Vec<_>, _>>()?;
        self.run(&metadata, Role::Validate, move |catalog, _| {
            let v = catalog
                .validate(&file, &request.source, &cases)
                .map_err(deploy_status)?;
            let file = v.file.clone();
            let valid = v.valid();
            let (model, script_sha256) = v.model.unwrap_or_default();
            Ok(pb::ValidateScriptResponse {
                valid,
                diagnostics: v
                    .refusal
                    .map(|r| failure_to_pb(&file, &r).diagnostics)
                    .unwrap_or_default(),
                model,
                script_sha256,
                cases: v.cases.iter().map(case_result_to_pb).collect(),
            })
        })
        .await
    }

    async fn put_model(
        &self,
        request: Request<pb::PutModelRequest>,
    ) -> Result<Response<pb::PutModelResponse>, Status> {
        let (metadata, _, request) = request.into_parts();
        self.run(&metadata, Role::Deploy, move |catalog, who| {
            let put = catalog
                .put(&request.source, &request.expected_sha256, &who)
                .map_err(deploy_status)?;
            Ok(pb::PutModelResponse {
                model: put.model,
                script_sha256: put.sha256,
                previous_sha256: put.previous_sha256,
                cases: put.cases.iter().map(case_result_to_pb).collect(),
            })
        })
        .await
    }

    async fn delete_model(
        &self,
        request: Request<pb::DeleteModelRequest>,
    ) -> Result<Response<pb::DeleteModelResponse>, Status> {
        let (metadata, _, request) = request.into_parts();
        self.run(&metadata, Role::Deploy, move |catalog, who| {
            let previous = catalog
                .delete(&request.model, &request.expected_sha256, &who)
                .map_err(deploy_status)?;
            Ok(pb::DeleteModelResponse {
                model: request.model,
                previous_sha256: previous,
            })
        })
        .await
    }

    async fn reload_models(
        &self,
        request: Request<pb::ReloadModelsRequest>,
    ) -> Result<Response<pb::ReloadModelsResponse>, Status> {
        let (metadata, ..) = request.into_parts();
        self.run(&metadata, Role::Deploy, move |catalog, who| {
            tracing::info!(%who, "reload requested");
            let report = catalog.reload().map_err(deploy_status)?;
            Ok(pb::ReloadModelsResponse {
                updated: report.updated,
                removed: report.removed,
                failures: report
                    .failures
                    .iter()
                    .map(|(file, refusal)| failure_to_pb(file, refusal))
                    .collect(),
            })
        })
        .await
    }
}
