//! `AssessStream`: many assessments over one stream. A few items are
//! assessed at once and answered in request order; the answer channel is
//! bounded, so a slow reader stops the reading of requests and HTTP/2 flow
//! control slows the writer: memory stays bounded whatever the stream's
//! length. One bad item gets its own error; only a broken transport ends
//! the stream.

use std::pin::Pin;
use std::time::Instant;

use futures_util::{Stream, StreamExt};
use prost::Message;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Status, Streaming};

use super::pb;
use super::pb::assess_stream_response::Outcome;
use super::service::MaturityApi;

/// Items of one stream assessed at once, and answers buffered for a slow
/// reader.
const WINDOW: usize = 8;

/// The answers of one stream.
pub type ResponseStream =
    Pin<Box<dyn Stream<Item = Result<pb::AssessStreamResponse, Status>> + Send + 'static>>;

/// Answers every request of `input`, within the call's `deadline`.
pub(crate) fn assess_stream(
    api: MaturityApi,
    input: Streaming<pb::AssessRequest>,
    deadline: Option<Instant>,
) -> ResponseStream {
    let (tx, rx) = mpsc::channel(WINDOW);
    tokio::spawn(async move {
        let answers = input
            .map(|item| {
                let api = api.clone();
                async move {
                    let request = item.map_err(super::codec_status::rewrite_status)?;
                    Ok::<_, Status>(answer(&api, request, deadline).await)
                }
            })
            .buffered(WINDOW);
        tokio::pin!(answers);
        loop {
            let next = tokio::select! {
                // The caller went away: dropping `answers` cancels the work.
                () = tx.closed() => break,
                next = answers.next() => next,
            };
            let Some(next) = next else { break };
            let ends = next.is_err();
            if tx.send(next).await.is_err() || ends {
                break;
            }
        }
    });
    Box::pin(ReceiverStream::new(rx))
}

/// The longest `request_id` a stream item may carry, in bytes.
pub(crate) const MAX_REQUEST_ID: usize = 256;

/// The answer to one streamed request: its assessment or its error.
pub(crate) async fn answer(
    api: &MaturityApi,
    request: pb::AssessRequest,
    deadline: Option<Instant>,
) -> pb::AssessStreamResponse {
    // An over-long id is refused below; it is not echoed back whole.
    let request_id = super::status::truncate(&request.request_id, MAX_REQUEST_ID);
    let _permit = api.admission().admit().await;
    let outcome = match api.evaluate("AssessStream", request, deadline).await {
        Ok(assessment) => Outcome::Assessment(assessment),
        Err(status) => Outcome::Error(rpc_status(&status)),
    };
    pb::AssessStreamResponse {
        request_id,
        outcome: Some(outcome),
    }
}

/// A status as the google.rpc.Status a unary call would carry, details
/// included.
pub(crate) fn rpc_status(status: &Status) -> tonic_types::pb::Status {
    let details = tonic_types::pb::Status::decode(status.details()).unwrap_or_default();
    tonic_types::pb::Status {
        code: status.code() as i32,
        message: status.message().to_owned(),
        details: details.details,
    }
}
