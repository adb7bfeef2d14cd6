//! Messages over the size limit answer RESOURCE_EXHAUSTED, as gRPC
//! specifies; tonic's codec says OUT_OF_RANGE, so its answer is rewritten.

use tonic::codegen::http::{HeaderValue, Response};
use tonic::{Code, Status};

/// What tonic's codec says when a message is over the size limit.
const TOO_LARGE: &str = "message length too large";

/// Rewrites a trailers-only OUT_OF_RANGE "message length too large" answer
/// (a unary request over the limit) to RESOURCE_EXHAUSTED.
pub(super) fn rewrite_response<B>(mut response: Response<B>) -> Response<B> {
    let headers = response.headers_mut();
    let out_of_range = headers
        .get("grpc-status")
        .is_some_and(|v| v.as_bytes() == b"11");
    let too_large = headers
        .get("grpc-message")
        .and_then(|m| m.to_str().ok())
        .is_some_and(|m| m.replace("%20", " ").contains(TOO_LARGE));
    if out_of_range && too_large {
        headers.insert("grpc-status", HeaderValue::from_static("8"));
    }
    response
}

/// The same rewrite for a status a stream ends with.
pub(super) fn rewrite_status(status: Status) -> Status {
    if status.code() == Code::OutOfRange && status.message().contains(TOO_LARGE) {
        Status::resource_exhausted(status.message().to_owned())
    } else {
        status
    }
}
