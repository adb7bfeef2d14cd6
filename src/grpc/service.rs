//! The `MaturityService` handlers: admit, convert in, call the engine off
//! the async reactor within the caller's deadline, convert out.

use std::sync::Arc;
use std::time::Instant;

use tonic::{Request, Response, Status, Streaming};

use super::convert::{failure_to_pb, model_to_pb, request_from_pb};
use super::limits::{Admission, CancelOnDrop, deadline_of};
use super::pb;
use super::status::{task_failed, to_status};
use super::stream::{ResponseStream, assess_stream};
use crate::deploy::Catalog;
use crate::engine::Budget;

/// The gRPC face of a [`Catalog`]'s live models.
#[derive(Debug, Clone)]
pub struct MaturityApi {
    catalog: Arc<Catalog>,
    admission: Admission,
}

impl MaturityApi {
    /// Serves `catalog`'s models, at most `admission` assessments at a time.
    pub fn new(catalog: Arc<Catalog>, admission: Admission) -> Self {
        Self { catalog, admission }
    }

    /// Assesses one request off the reactor, stopping at `deadline` or when
    /// the returned future is dropped (the call was cancelled).
    pub(crate) async fn evaluate(
        &self,
        request: pb::AssessRequest,
        deadline: Option<Instant>,
    ) -> Result<pb::Assessment, Status> {
        let request = request_from_pb(request).map_err(to_status)?;
        let cancel = CancelOnDrop::default();
        let budget = Budget {
            deadline,
            cancelled: Some(cancel.flag()),
        };
        // One snapshot for the whole request: a reload meanwhile cannot
        // change the model under it.
        let snapshot = self.catalog.snapshot();
        // Scripts are CPU work: keep them off the reactor so one slow
        // assessment cannot stall other connections.
        let outcome =
            tokio::task::spawn_blocking(move || snapshot.engine().assess_within(&request, &budget))
                .await
                .map_err(task_failed)?;
        drop(cancel);
        Ok(outcome.map_err(to_status)?.into())
    }

    /// The admission limit shared by unary calls and streams.
    pub(crate) fn admission(&self) -> &Admission {
        &self.admission
    }
}

#[tonic::async_trait]
impl pb::maturity_service_server::MaturityService for MaturityApi {
    async fn assess(
        &self,
        request: Request<pb::AssessRequest>,
    ) -> Result<Response<pb::Assessment>, Status> {
        let deadline = deadline_of(request.metadata())?;
        let _permit = self.admission.try_admit()?;
        let assessment = self.evaluate(request.into_inner(), deadline).await?;
        Ok(Response::new(assessment))
    }

    type AssessStreamStream = ResponseStream;

    async fn assess_stream(
        &self,
        request: Request<Streaming<pb::AssessRequest>>,
    ) -> Result<Response<Self::AssessStreamStream>, Status> {
        let deadline = deadline_of(request.metadata())?;
        Ok(Response::new(assess_stream(
            self.clone(),
            request.into_inner(),
            deadline,
        )))
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
