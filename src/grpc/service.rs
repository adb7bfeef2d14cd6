//! The `MaturityService` handlers: convert in, call the engine off the async
//! reactor, convert out.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::convert::{model_to_pb, request_from_pb};
use super::pb;
use super::status::{task_failed, to_status};
use crate::engine::Engine;

/// The gRPC face of an [`Engine`].
#[derive(Debug, Clone)]
pub struct MaturityApi {
    engine: Arc<Engine>,
}

impl MaturityApi {
    /// Serves `engine`'s models.
    pub fn new(engine: Arc<Engine>) -> Self {
        Self { engine }
    }
}

#[tonic::async_trait]
impl pb::maturity_service_server::MaturityService for MaturityApi {
    async fn assess(
        &self,
        request: Request<pb::AssessRequest>,
    ) -> Result<Response<pb::Assessment>, Status> {
        let request = request_from_pb(request.into_inner()).map_err(to_status)?;
        let engine = Arc::clone(&self.engine);
        // Scripts are CPU work: keep them off the reactor so one slow
        // assessment cannot stall other connections.
        let outcome = tokio::task::spawn_blocking(move || engine.assess(&request))
            .await
            .map_err(task_failed)?;
        let assessment = outcome.map_err(to_status)?;
        Ok(Response::new(assessment.into()))
    }

    async fn list_models(
        &self,
        _: Request<pb::ListModelsRequest>,
    ) -> Result<Response<pb::ListModelsResponse>, Status> {
        let models = self.engine.models().map(|m| model_to_pb(m)).collect();
        Ok(Response::new(pb::ListModelsResponse {
            models,
            failures: Vec::new(),
        }))
    }

    async fn get_model(
        &self,
        request: Request<pb::GetModelRequest>,
    ) -> Result<Response<pb::Model>, Status> {
        let model = self
            .engine
            .model(&request.get_ref().model)
            .map_err(to_status)?;
        Ok(Response::new(model_to_pb(model)))
    }
}
