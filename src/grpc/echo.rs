//! `BenchService.Echo`: the load generator's baseline, the same transport
//! and request with no engine behind it.

use tonic::{Request, Response, Status};

use super::pb;

/// Answers every request with itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct EchoApi;

#[tonic::async_trait]
impl pb::bench_service_server::BenchService for EchoApi {
    async fn echo(
        &self,
        request: Request<pb::AssessRequest>,
    ) -> Result<Response<pb::AssessRequest>, Status> {
        Ok(Response::new(request.into_inner()))
    }
}
