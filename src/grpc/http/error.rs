//! The one place gRPC status codes become HTTP status codes, as Google's API
//! design guide maps them, and errors become JSON answers.

use std::error::Error;

use axum::extract::rejection::PathRejection;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tonic::{Code, Status};

use crate::grpc::json::status_json;

/// The HTTP status of a gRPC status code (Google API design guide, "Error
/// codes"; CANCELLED is the de-facto 499 "client closed request").
pub fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Cancelled => StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST),
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
    }
}

/// A failed call's answer: the status's HTTP code and its JSON.
pub(super) fn error_response(status: &Status) -> Response {
    respond(http_status(status.code()), status)
}

/// A request body over the size limit: 413, with the RESOURCE_EXHAUSTED a
/// gRPC call of that size gets, so a client does not retry it as it would
/// a 429.
pub(super) fn too_large(limit: usize) -> Response {
    let status = Status::resource_exhausted(format!(
        "request body over {limit} bytes, the server's limit (--max-message-bytes)"
    ));
    respond(StatusCode::PAYLOAD_TOO_LARGE, &status)
}

/// The answer to a request body that could not be read in full: 413 over
/// `limit`, else as `body_status` says.
pub(super) fn unreadable_body(err: &axum::Error, limit: usize) -> Response {
    if causes(err).any(|e| e.is::<http_body_util::LengthLimitError>()) {
        return too_large(limit);
    }
    error_response(&body_status(err))
}

/// Why a request body could not be read: the status a stalled body ended
/// with (DEADLINE_EXCEEDED), or INVALID_ARGUMENT naming the fault.
pub(super) fn body_status(err: &axum::Error) -> Status {
    causes(err)
        .find_map(|e| e.downcast_ref::<Status>())
        .cloned()
        .unwrap_or_else(|| Status::invalid_argument(format!("reading the body: {err}")))
}

/// `err` and the errors beneath it, outermost first.
fn causes<'a>(err: &'a axum::Error) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    let first: &'a (dyn Error + 'static) = err;
    std::iter::successors(Some(first), |e| Error::source(*e))
}

/// A route called with a method it does not take: 405 with the allowed
/// ones (axum's `Allow` header stays), and UNIMPLEMENTED, what gRPC says of
/// a method it lacks.
pub(super) fn wrong_method(method: &str, path: &str) -> Response {
    let status = Status::unimplemented(format!(
        "{method} {path}: not a method of this route; see /v1/openapi.json"
    ));
    respond(StatusCode::METHOD_NOT_ALLOWED, &status)
}

/// A path whose parameters do not decode (e.g. `%ff`, not UTF-8):
/// INVALID_ARGUMENT in the JSON error shape, naming the path and why.
pub(super) fn bad_path(rejection: &PathRejection, path: &str) -> Response {
    let path = crate::grpc::status::truncate(path, 128);
    error_response(&Status::invalid_argument(format!(
        "{path}: {}",
        rejection.body_text()
    )))
}

/// A method route (`:assess`) called with GET: 405, `Allow: POST`.
pub(super) fn only_post(message: String) -> Response {
    let status = Status::unimplemented(message);
    let mut response = respond(StatusCode::METHOD_NOT_ALLOWED, &status);
    let post = axum::http::HeaderValue::from_static("POST");
    response.headers_mut().insert(header::ALLOW, post);
    response
}

/// `body` as JSON with `code`.
pub(super) fn json_response(code: StatusCode, body: String) -> Response {
    (code, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn respond(code: StatusCode, status: &Status) -> Response {
    json_response(code, status_json(status).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_as_the_api_design_guide_says() {
        assert_eq!(http_status(Code::InvalidArgument), StatusCode::BAD_REQUEST);
        assert_eq!(
            http_status(Code::FailedPrecondition),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(http_status(Code::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(http_status(Code::Unauthenticated), StatusCode::UNAUTHORIZED);
        assert_eq!(http_status(Code::PermissionDenied), StatusCode::FORBIDDEN);
        assert_eq!(
            http_status(Code::ResourceExhausted),
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(
            http_status(Code::DeadlineExceeded),
            StatusCode::GATEWAY_TIMEOUT
        );
        assert_eq!(http_status(Code::Cancelled).as_u16(), 499);
        assert_eq!(
            http_status(Code::Unavailable),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(http_status(Code::Aborted), StatusCode::CONFLICT);
        assert_eq!(
            http_status(Code::Internal),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            http_status(Code::Unimplemented),
            StatusCode::NOT_IMPLEMENTED
        );
    }
}
