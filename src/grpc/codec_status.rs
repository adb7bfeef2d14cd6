//! The statuses tonic's codec gives for a request it cannot read, made the
//! ones gRPC callers expect: a message over the size limit is
//! RESOURCE_EXHAUSTED (tonic says OUT_OF_RANGE), and a body that is not a
//! valid message of its type is the caller's error, INVALID_ARGUMENT (tonic
//! says INTERNAL, which would page an operator for a client's bytes).

use tonic::codegen::http::{HeaderValue, Response};
use tonic::{Code, Status};

/// What tonic's codec says when a message is over the size limit.
const TOO_LARGE: &str = "message length too large";
/// What tonic's codec says when a body does not decode.
const UNDECODABLE: &str = "failed to decode Protobuf message";
/// What tonic's codec says when a body ends inside a message's frame.
const TRUNCATED: &str = "Unexpected EOF decoding stream";
/// What tonic's codec says when a message is flagged compressed without an
/// encoding.
const COMPRESSED: &str = "protocol error: received message with compressed-flag";

/// What tonic says when a unary call's body holds no message at all.
const EMPTY: &str = "Missing request message";

/// The code a codec error of `code` with `message` should have, if not its own.
fn corrected(code: Code, message: &str) -> Option<Code> {
    match code {
        Code::OutOfRange if message.contains(TOO_LARGE) => Some(Code::ResourceExhausted),
        Code::Internal
            if [UNDECODABLE, TRUNCATED, COMPRESSED, EMPTY]
                .iter()
                .any(|known| message.starts_with(known)) =>
        {
            Some(Code::InvalidArgument)
        }
        _ => None,
    }
}

/// Rewrites the code of a trailers-only answer (a unary request tonic could
/// not read).
pub(super) fn rewrite_response<B>(mut response: Response<B>) -> Response<B> {
    let headers = response.headers_mut();
    let code = headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map(Code::from);
    let message = headers
        .get("grpc-message")
        .and_then(|m| m.to_str().ok())
        .map(|m| m.replace("%20", " "));
    if let (Some(code), Some(message)) = (code, message) {
        if let Some(code) = corrected(code, &message) {
            let value = HeaderValue::from(code as i32);
            headers.insert("grpc-status", value);
        }
    }
    response
}

/// The same rewrite for a status a stream's item ends with.
pub(super) fn rewrite_status(status: Status) -> Status {
    match corrected(status.code(), status.message()) {
        Some(code) => Status::new(code, status.message().to_owned()),
        None => status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codec_errors_get_the_callers_codes() {
        let undecodable = Status::internal("failed to decode Protobuf message: buffer underflow");
        assert_eq!(rewrite_status(undecodable).code(), Code::InvalidArgument);
        let large = Status::out_of_range("Error, decoded message length too large: found 9 bytes");
        assert_eq!(rewrite_status(large).code(), Code::ResourceExhausted);
        let truncated = Status::internal("Unexpected EOF decoding stream.");
        assert_eq!(rewrite_status(truncated).code(), Code::InvalidArgument);
        let flagged = Status::internal(
            "protocol error: received message with compressed-flag but no grpc-encoding was specified",
        );
        assert_eq!(rewrite_status(flagged).code(), Code::InvalidArgument);
        let empty = Status::internal("Missing request message.");
        assert_eq!(rewrite_status(empty).code(), Code::InvalidArgument);
        let script = Status::internal("model 'm' failed in criterion 'c': boom");
        assert_eq!(rewrite_status(script).code(), Code::Internal);
    }
}
