//! The `MaturityService` handlers: convert in, call the engine off the async
//! reactor, convert out.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::convert::failure_to_pb;
use super::convert::{model_to_pb, request_from_pb};
use super::pb;
use super::status::{task_failed, to_status};
use crate::deploy::Catalog;

/// The gRPC face of a [`Catalog`]'s live models.
#[derive(Debug, Clone)]
pub struct MaturityApi {
    catalog: Arc<Catalog>,
}

impl MaturityApi {
    /// Serves `catalog`'s models.
    pub fn new(catalog: Arc<Catalog>) -> Self {
        Self { catalog }
    }
}

#[tonic::async_trait]
impl pb::maturity_service_server::MaturityService for MaturityApi {
    async fn assess(
        &self,
        request: Request<pb::AssessRequest>,
    ) -> Result<Response<pb::Assessment>, Status> {
        let request = request_from_pb(request.into_inner()).map_err(to_status)?;
        // One snapshot for the whole request: a reload meanwhile cannot
        // change the model under it.
        let snapshot = self.catalog.snapshot();
        // Scripts are CPU work: keep them off the reactor so one slow
        // assessment cannot stall other connections.
        let outcome = tokio::task::spawn_blocking(move || snapshot.engine().assess(&request))
            .await
            .map_err(task_failed)?;
        let assessment = outcome.map_err(to_status)?;
        Ok(Response::new(assessment.into()))
    }

    async fn list_models(
        &self,
        _: Request<pb::ListModelsRequest>,
    ) -> Result<Response<pb::ListModelsResponse>, Status> {
        let snapshot = self.catalog.snapshot();
        let models = snapshot
            .engine()
            .models()
            .map(|m| {
                let mut model = model_to_pb(m);
                if let Some(refusal) = snapshot.refusal_of(m) {
                    model.load_error = refusal.to_string();
                }
                model
            })
            .collect();
        let failures = snapshot
            .failures()
            .map(|(file, refusal)| failure_to_pb(file, refusal))
            .collect();
        Ok(Response::new(pb::ListModelsResponse { models, failures }))
    }

    async fn get_model(
        &self,
        request: Request<pb::GetModelRequest>,
    ) -> Result<Response<pb::Model>, Status> {
        let snapshot = self.catalog.snapshot();
        let model = snapshot
            .engine()
            .model(&request.get_ref().model)
            .map_err(to_status)?;
        let mut reply = model_to_pb(model);
        if let Some(refusal) = snapshot.refusal_of(model) {
            reply.load_error = refusal.to_string();
        }
        Ok(Response::new(reply))
    }
}
