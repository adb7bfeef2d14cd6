//! The `MaturityService` handlers: admit, convert in, call the engine off
//! the async reactor within the caller's deadline, convert out.

use std::sync::Arc;
use std::time::Instant;

use tonic::{Request, Response, Status, Streaming};

use super::auth::{Role, Tokens};
use super::convert::{failure_to_pb, model_to_pb, request_from_pb};
use super::limits::{Admission, CancelOnDrop, deadline_of};
use super::pb;
use super::stamp::Stamp;
use super::status::{deploy_status, task_failed, to_status};
use super::stream::{ResponseStream, assess_stream};
use crate::deploy::{Catalog, Snapshot};
use crate::engine::{AssessRequest, Assessment, Budget, Engine, EngineError, Model};
use crate::telemetry::{DecisionLog, metrics};

/// The gRPC face of a [`Catalog`]'s live models.
#[derive(Debug, Clone)]
pub struct MaturityApi {
    catalog: Arc<Catalog>,
    admission: Admission,
    /// Tokens callers must present, when the server requires one.
    tokens: Option<Arc<Tokens>>,
    /// Where decisions are logged, when they are.
    decisions: Option<DecisionLog>,
}

impl MaturityApi {
    /// Serves `catalog`'s models, at most `admission` assessments at a time,
    /// to holders of `tokens` when given.
    pub fn new(catalog: Arc<Catalog>, admission: Admission, tokens: Option<Arc<Tokens>>) -> Self {
        Self {
            catalog,
            admission,
            tokens,
            decisions: None,
        }
    }

    /// Logs every decision to `log`.
    pub fn with_decision_log(mut self, log: Option<DecisionLog>) -> Self {
        self.decisions = log;
        self
    }

    /// Refuses callers without a token, when the server requires one.
    #[allow(clippy::result_large_err)]
    pub(crate) fn authorize<T>(&self, request: &Request<T>) -> Result<(), Status> {
        match &self.tokens {
            Some(tokens) => tokens.authorize(request.metadata(), Role::Assess).map(drop),
            None => Ok(()),
        }
    }

    /// NOT_FOUND, naming the models there are, when no model `id` serves.
    pub(crate) fn check_model(&self, id: &str) -> Result<(), Status> {
        let snapshot = self.catalog.snapshot();
        snapshot.engine().model(id).map(drop).map_err(to_status)
    }

    /// Checks `request`'s metrics against the serving version of its model
    /// without assessing it: what an assessment would refuse, refused.
    pub(crate) fn check_metrics(&self, request: &AssessRequest) -> Result<(), Status> {
        let snapshot = self.catalog.snapshot();
        snapshot
            .engine()
            .validate(request)
            .map(drop)
            .map_err(to_status)
    }

    /// Assesses one request within `deadline`, stopping when the returned
    /// future is dropped (the call was cancelled), and records it under
    /// `method`.
    pub(crate) async fn evaluate(
        &self,
        method: &'static str,
        request: pb::AssessRequest,
        deadline: Option<Instant>,
    ) -> Result<pb::Assessment, Status> {
        let started = Instant::now();
        let stamp = Stamp::now();
        let snapshot = self.catalog.snapshot();
        let (model, outcome) = match snapshot.engine().model(&request.model) {
            // A request may pin the serving version or one kept.
            Ok(serving) if !request.script_sha256.is_empty() => {
                match snapshot.pinned(serving, &request.script_sha256) {
                    Ok(model) => {
                        let run = self.run(
                            request,
                            deadline,
                            Arc::clone(&snapshot),
                            Arc::clone(&model),
                            &stamp,
                        );
                        (Some(model), run.await)
                    }
                    Err(err) => (Some(Arc::clone(serving)), Err(deploy_status(err))),
                }
            }
            Ok(model) => {
                let model = Arc::clone(model);
                let snapshot = Arc::clone(&snapshot);
                let outcome = self.run(request, deadline, snapshot, Arc::clone(&model), &stamp);
                (Some(model), outcome.await)
            }
            Err(err) => (None, Err(to_status(err))),
        };
        // A label from the caller's text only when it names a loaded model.
        let label = model.as_ref().map_or("unknown", |m| m.id());
        let (level, status) = match &outcome {
            Ok(a) => (a.level.id.as_str(), "OK".to_owned()),
            Err(status) => ("", format!("{:?}", status.code())),
        };
        metrics().request(method, label, level, &status, started.elapsed());
        let mut answer = pb::Assessment::from(outcome?);
        answer.evaluated_at = stamp.evaluated_at();
        answer.assessment_id = stamp.assessment_id;
        Ok(answer)
    }

    /// Assesses `request` on `model`. An assessment that runs natively
    /// costs microseconds and runs right here; one that runs scripts is CPU
    /// work of unknown length, so it runs off the reactor where it cannot
    /// stall other connections.
    async fn run(
        &self,
        request: pb::AssessRequest,
        deadline: Option<Instant>,
        snapshot: Arc<Snapshot>,
        model: Arc<Model>,
        stamp: &Stamp,
    ) -> Result<Assessment, Status> {
        // The request as it came, in its JSON mapping, when the decision log
        // keeps requests (so they can be replayed).
        let logged_request = self
            .decisions
            .as_ref()
            .filter(|log| log.records_requests())
            .and_then(|_| serde_json::to_value(&request).ok());
        let request = request_from_pb(request).map_err(to_status)?;
        let cancel = CancelOnDrop::default();
        let budget = Budget {
            deadline,
            cancelled: Some(cancel.flag()),
        };
        let assess = move |engine: &Engine, model: &Model, request: AssessRequest| {
            let started = Instant::now();
            let outcome = engine.assess_on(model, &request, &budget);
            if let Err(EngineError::Cancelled { .. }) = &outcome {
                tracing::debug!(model = %crate::telemetry::one_line(model.id()), "assessment stopped: the caller went away");
            }
            (request, outcome, started.elapsed())
        };
        let (request, outcome, took) = if model.evaluates_natively() && !request.explain {
            assess(snapshot.engine(), &model, request)
        } else {
            // The snapshot is the request's own: a reload meanwhile cannot
            // change the model under it.
            let model = Arc::clone(&model);
            tokio::task::spawn_blocking(move || assess(snapshot.engine(), &model, request))
                .await
                .map_err(task_failed)?
        };
        drop(cancel);
        let assessment = outcome.map_err(to_status)?;
        metrics().evaluation(&assessment.model, took);
        if let Some(log) = &self.decisions {
            log.record(
                request,
                &assessment,
                &stamp.assessment_id,
                stamp.at,
                logged_request,
            );
        }
        Ok(assessment)
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
        self.authorize(&request)?;
        let deadline = deadline_of(request.metadata())?;
        let _permit = self.admission.try_admit()?;
        let assessment = self
            .evaluate("Assess", request.into_inner(), deadline)
            .await?;
        Ok(Response::new(assessment))
    }

    type AssessStreamStream = ResponseStream;

    async fn assess_stream(
        &self,
        request: Request<Streaming<pb::AssessRequest>>,
    ) -> Result<Response<Self::AssessStreamStream>, Status> {
        self.authorize(&request)?;
        let deadline = deadline_of(request.metadata())?;
        Ok(Response::new(assess_stream(
            self.clone(),
            request.into_inner(),
            deadline,
        )))
    }

    async fn list_models(
        &self,
        request: Request<pb::ListModelsRequest>,
    ) -> Result<Response<pb::ListModelsResponse>, Status> {
        self.authorize(&request)?;
        let snapshot = self.catalog.snapshot();
        let models = snapshot
            .engine()
            .models()
            .map(|m| described(&snapshot, m))
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
        self.authorize(&request)?;
        let snapshot = self.catalog.snapshot();
        let model = snapshot
            .engine()
            .model(&request.get_ref().model)
            .map_err(to_status)?;
        Ok(Response::new(described(&snapshot, model)))
    }
}

/// `model` as ListModels and GetModel describe it: with why its newest edit
/// was refused, if it was, and the versions kept for pinning.
fn described(snapshot: &Snapshot, model: &Arc<Model>) -> pb::Model {
    let mut reply = model_to_pb(model);
    if let Some(refusal) = snapshot.refusal_of(model) {
        reply.load_error = refusal.to_string();
    }
    reply.kept_versions = snapshot
        .versions(model)
        .map(|m| pb::ModelVersion {
            script_sha256: m.sha256().to_owned(),
            version: m.spec().version.to_string(),
            serving: Arc::ptr_eq(m, model),
        })
        .collect();
    reply
}
