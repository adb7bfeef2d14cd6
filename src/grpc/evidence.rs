//! The `EvidenceService` handler: an export's files in, derived off the
//! reactor, merged with the hand-supplied metrics, assessed through the
//! maturity service's own path, provenance out. Also the one place
//! evidence errors become statuses (kept here while status.rs is being
//! reworked elsewhere).

use std::sync::Arc;

use tonic::{Request, Response, Status};

use super::auth::{Role, Tokens};
use super::convert::{metric_to_pb_value, request_from_pb, request_to_pb};
use super::limits::deadline_of;
use super::pb;
use super::pb::evidence_service_server::{EvidenceService, EvidenceServiceServer};
use super::service::MaturityApi;
use super::status::{blame_export, evidence_status, task_failed, to_status};
use crate::evidence::{self, Evidence, EvidenceError, Export, Mapping, Merged, Options};

/// The gRPC face of the evidence library, assessing through `MaturityApi`.
#[derive(Debug, Clone)]
pub struct EvidenceApi {
    api: MaturityApi,
    /// Tokens callers must present, when the server requires one.
    tokens: Option<Arc<Tokens>>,
}

/// The service, sharing `api`'s models and in-flight limit, with messages
/// up to `max_bytes`.
pub fn server(
    api: &MaturityApi,
    tokens: Option<Arc<Tokens>>,
    max_bytes: usize,
) -> EvidenceServiceServer<EvidenceApi> {
    let service = EvidenceApi {
        api: api.clone(),
        tokens,
    };
    EvidenceServiceServer::new(service)
        .max_decoding_message_size(max_bytes)
        .max_encoding_message_size(max_bytes)
}

#[tonic::async_trait]
impl EvidenceService for EvidenceApi {
    async fn assess_export(
        &self,
        request: Request<pb::AssessExportRequest>,
    ) -> Result<Response<pb::AssessExportResponse>, Status> {
        if let Some(tokens) = &self.tokens {
            tokens.authorize(request.metadata(), Role::Assess)?;
        }
        let deadline = deadline_of(request.metadata())?;
        let permit = self.api.admission().try_admit()?;
        let r = request.into_inner();
        let hand = request_from_pb(pb::AssessRequest {
            model: r.model,
            metrics: r.metrics,
            subject_id: r.subject_id,
            explain: r.explain,
            target_rank: r.target_rank,
            request_id: String::new(),
            view: 0,
            script_sha256: String::new(),
        })
        .map_err(to_status)?;
        // What the caller sent is checked as sent: a bad value the export
        // would override is still the caller's mistake.
        self.api.check_metrics(&hand)?;
        let (files, mapping, as_of) = (r.files, r.mapping, r.as_of);
        // The permit goes with the work: a caller that goes away does not
        // free its slot while its export is still being read.
        let derived = move || (derive(files, &mapping, &as_of), permit);
        let (derived, _permit) = tokio::task::spawn_blocking(derived)
            .await
            .map_err(task_failed)?;
        let derived = derived.map_err(evidence_status)?;
        let merged = evidence::merge(&derived.metrics, &hand.metrics);
        let mut assess = hand;
        assess.metrics = merged.metrics.clone();
        let assessment = self
            .api
            .evaluate("AssessExport", request_to_pb(assess), deadline)
            .await
            .map_err(|status| blame_export(status, &merged.from_evidence))?;
        Ok(Response::new(response(assessment, derived, merged)))
    }
}

/// Derives the metrics of in-memory files.
fn derive(
    files: std::collections::BTreeMap<String, Vec<u8>>,
    mapping: &str,
    as_of: &str,
) -> Result<Evidence, EvidenceError> {
    let mapping = match mapping.trim() {
        "" => Mapping::default(),
        text => match Mapping::profile(text) {
            Some(profile) => profile?,
            // One word, no TOML: a profile's name, misspelt.
            None if !text.contains(['=', '[', '\n']) => {
                let profiles: Vec<&str> = Mapping::profiles().collect();
                return Err(EvidenceError::Mapping {
                    name: format!("'{}'", crate::grpc::status::truncate(text, 64)),
                    message: format!(
                        "no such profile (there are {}); or give a mapping's TOML",
                        profiles.join(", ")
                    ),
                });
            }
            None => Mapping::parse("in the request", text)?,
        },
    };
    let options = Options::new(Some(as_of).filter(|a| !a.is_empty()), mapping)?;
    evidence::derive(&Export::Files(files), &options)
}

fn response(assessment: pb::Assessment, ev: Evidence, merged: Merged) -> pb::AssessExportResponse {
    let evidence = ev
        .metrics
        .into_iter()
        .map(|(name, value)| {
            let p = ev.provenance.get(&name).cloned();
            let p = p.unwrap_or_else(|| evidence::Provenance {
                files: Vec::new(),
                rows: 0,
                window: String::new(),
                formula: String::new(),
                computed: String::new(),
            });
            pb::EvidenceMetric {
                name,
                value: Some(metric_to_pb_value(value)),
                files: p.files,
                rows: p.rows,
                window: p.window,
                formula: p.formula,
                computed: p.computed,
            }
        })
        .collect();
    let unknown = ev
        .unknown
        .into_iter()
        .map(|(name, reason)| pb::UnknownMetric { name, reason })
        .collect();
    let disagreements = merged
        .disagreements
        .into_iter()
        .map(|d| pb::MetricDisagreement {
            metric: d.metric,
            evidence: Some(metric_to_pb_value(d.evidence)),
            supplied: Some(metric_to_pb_value(d.supplied)),
        })
        .collect();
    pb::AssessExportResponse {
        assessment: Some(assessment),
        as_of: ev.as_of,
        evidence,
        unknown,
        supplied_by_hand: merged.by_hand,
        disagreements,
        notes: ev.notes,
    }
}
