//! The `AdminService` handlers: authorise first, then convert in, change
//! the catalog off the async reactor within the caller's deadline, convert
//! out. A caller that goes away stops the work it started.

use std::sync::Arc;

use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};

use super::auth::{Role, Tokens};
use super::convert::{case_from_pb, case_result_to_pb, failure_to_pb};
use super::limits::{CancelOnDrop, deadline_of};
use super::pb;
use super::status::{deploy_status, task_failed};
use crate::deploy::{Catalog, DeployError, MAX_CASES, PutRequest};
use crate::engine::Budget;
use crate::engine::cases::Case;

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
    /// authorised for `role`; `work` gets the caller's token name and the
    /// budget its deadline and cancellation set.
    async fn run<T: Send + 'static>(
        &self,
        metadata: &MetadataMap,
        role: Role,
        work: impl FnOnce(&Catalog, String, Budget) -> Result<T, Status> + Send + 'static,
    ) -> Result<Response<T>, Status> {
        let who = self.tokens.authorize(metadata, role)?;
        let cancel = CancelOnDrop::default();
        let budget = Budget {
            deadline: deadline_of(metadata)?,
            cancelled: Some(cancel.flag()),
        };
        let catalog = Arc::clone(&self.catalog);
        let outcome = tokio::task::spawn_blocking(move || work(&catalog, who, budget)).await;
        drop(cancel);
        outcome.map_err(task_failed)?.map(Response::new)
    }
}

/// An interceptor that refuses a caller holding no token that allows any
/// admin call before its request is decoded: a megabyte of tiny case
/// metrics would take ten times that once decoded. Each call still checks
/// the role it needs.
pub fn token_before_body(
    tokens: Arc<Tokens>,
) -> impl FnMut(Request<()>) -> Result<Request<()>, Status> + Clone {
    move |call: Request<()>| {
        tokens.authorize(call.metadata(), Role::Validate)?;
        Ok(call)
    }
}

#[tonic::async_trait]
impl pb::admin_service_server::AdminService for AdminApi {
    async fn validate_script(
        &self,
        request: Request<pb::ValidateScriptRequest>,
    ) -> Result<Response<pb::ValidateScriptResponse>, Status> {
        let (metadata, _, request) = request.into_parts();
        self.run(&metadata, Role::Validate, move |catalog, _, budget| {
            let cases = cases_from_pb(request.cases)?;
            let file = request.file_name;
            let v = catalog
                .validate(&file, &request.source, &cases, &budget)
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
                warnings: v.warnings,
            })
        })
        .await
    }

    async fn put_model(
        &self,
        request: Request<pb::PutModelRequest>,
    ) -> Result<Response<pb::PutModelResponse>, Status> {
        let (metadata, _, request) = request.into_parts();
        self.run(&metadata, Role::Deploy, move |catalog, who, budget| {
            let cases = cases_from_pb(request.cases)?;
            let put = PutRequest {
                source: &request.source,
                expected_sha256: &request.expected_sha256,
                cases: &cases,
            };
            let put = catalog.put(put, &who, &budget).map_err(deploy_status)?;
            Ok(pb::PutModelResponse {
                model: put.model,
                script_sha256: put.sha256,
                previous_sha256: put.previous_sha256,
                cases: put.cases.iter().map(case_result_to_pb).collect(),
                warnings: put.warnings,
                unchanged: put.unchanged,
            })
        })
        .await
    }

    async fn delete_model(
        &self,
        request: Request<pb::DeleteModelRequest>,
    ) -> Result<Response<pb::DeleteModelResponse>, Status> {
        let (metadata, _, request) = request.into_parts();
        self.run(&metadata, Role::Deploy, move |catalog, who, _| {
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
        self.run(&metadata, Role::Deploy, move |catalog, who, _| {
            tracing::info!(who = %crate::telemetry::one_line(&who), "reload requested");
            let report = catalog.reload().map_err(deploy_status)?;
            // Every file refused as things now stand: one refused before and
            // unchanged since is still broken, and an empty list says all is
            // well.
            let snapshot = catalog.snapshot();
            let failures = snapshot
                .files()
                .filter_map(|s| Some(failure_to_pb(&s.file, s.refusal.as_ref()?)))
                .collect();
            Ok(pb::ReloadModelsResponse {
                updated: report.updated,
                removed: report.removed,
                failures,
            })
        })
        .await
    }
}

/// The test cases of a call, at most [`MAX_CASES`] of them.
fn cases_from_pb(cases: Vec<pb::TestCase>) -> Result<Vec<Case>, Status> {
    let count = cases.len();
    if count > MAX_CASES {
        let limit = MAX_CASES;
        return Err(deploy_status(DeployError::TooManyCases { count, limit }));
    }
    cases
        .into_iter()
        .enumerate()
        .map(|(i, case)| case_from_pb(i, case))
        .collect::<Result<Vec<_>, _>>()
        .map_err(deploy_status)
}
