//! `maturity assess --server URL --metrics FILE.jsonl`: streams a JSON Lines
//! file to AssessStream, one organisation per line, and prints one JSON line
//! per answer. The file is read as the server takes requests, so a million
//! lines use no more memory than a few.

use std::io::Write;
use std::path::Path;

use prost::Message;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::args::AssessArgs;
use super::assess::{input_error, request_from_json};
use super::deploy::Bearer;
use super::{CliError, connect};
use crate::grpc::ServeOptions;
use crate::grpc::convert::request_to_pb;
use crate::grpc::json::without_bom;
use crate::grpc::json_input;
use crate::grpc::pb;
use crate::grpc::pb::assess_stream_response::Outcome;

/// Requests read ahead of the server.
const READ_AHEAD: usize = 64;

/// Streams the file and prints the answers.
pub(crate) async fn run(args: &AssessArgs) -> Result<(), CliError> {
    let Some(url) = &args.server else {
        return Err(input_error(
            &args.metrics,
            "a .jsonl file is streamed to a server: pass --server URL".into(),
        ));
    };
    let file = tokio::fs::File::open(&args.metrics)
        .await
        .map_err(|source| CliError::Read {
            path: args.metrics.clone(),
            source,
        })?;
    let bearer = Bearer::new(args.token.as_deref())?;
    let mut client = connect(url).await?;
    let (tx, rx) = mpsc::channel(READ_AHEAD);
    let (slots_tx, mut slots) = mpsc::channel(READ_AHEAD);
    let reader = tokio::spawn(read_lines(args.clone(), BufReader::new(file), tx, slots_tx));
    let mut answers = client
        .assess_stream(bearer.request(ReceiverStream::new(rx)))
        .await?
        .into_inner();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (mut assessed, mut failed) = (0u64, 0u64);
    // Each line's answer in the file's order: the server's, in the order
    // the requests went, or the line's own refusal.
    while let Some(slot) = slots.recv().await {
        let answer = match slot {
            Slot::Refused(answer) => *answer,
            Slot::Sent => match answers.message().await? {
                Some(answer) => answer,
                None => break,
            },
        };
        match &answer.outcome {
            Some(Outcome::Error(_)) | None => failed += 1,
            Some(Outcome::Assessment(_)) => assessed += 1,
        }
        // An AssessStreamResponse in the proto3 JSON mapping, as the HTTP
        // API streams them; written straight out, never through a
        // serde_json::Value: a portfolio may be a million lines.
        serde_json::to_writer(&mut out, &answer)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
            .map_err(CliError::Output)?;
    }
    out.flush().map_err(CliError::Output)?;
    reader
        .await
        .map_err(|e| CliError::Config(format!("reading the file: {e}")))??;
    let summary = format!("{assessed} assessed, {failed} failed");
    if failed > 0 {
        // Every answer is printed; the exit status says not all were good.
        return Err(CliError::Failed(summary));
    }
    eprintln!("{summary}");
    Ok(())
}

/// What became of one line of the file.
enum Slot {
    /// Its request went to the server, whose answer comes in turn.
    Sent,
    /// It is not a request (not UTF-8, not JSON, or not an organisation):
    /// its answer is this refusal, and the lines after it go on.
    Refused(Box<pb::AssessStreamResponse>),
}

/// Sends one request per non-empty line, and says in `slots` what became
/// of each; a request's request_id is the line's "request_id" field, else
/// its line number.
async fn read_lines(
    args: AssessArgs,
    mut file: BufReader<tokio::fs::File>,
    tx: mpsc::Sender<pb::AssessRequest>,
    slots: mpsc::Sender<Slot>,
) -> Result<(), CliError> {
    let path = args.metrics.clone();
    // Read as bytes, not text: a line that is not UTF-8 is refused in its
    // place, as any other line that is not JSON, instead of ending the run.
    let mut bytes = Vec::new();
    let mut number = 0u64;
    loop {
        bytes.clear();
        let read = file
            .read_until(b'\n', &mut bytes)
            .await
            .map_err(|source| CliError::Read {
                path: path.clone(),
                source,
            })?;
        if read == 0 {
            break;
        }
        number += 1;
        let line = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
        let line = without_bom(line.strip_suffix(b"\r").unwrap_or(line));
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let read = std::str::from_utf8(line)
            .map_err(|e| format!("not UTF-8: {e}"))
            .and_then(|text| json_input::parse(text.as_bytes()).map_err(|e| e.to_string()))
            .map_err(|e| input_error(&path, format!("line {number}: {e}")))
            .and_then(|value| {
                let at = format!("{}:{number}", path.display());
                let request = request_from_json(&args, Path::new(&at), &value)?;
                Ok((value, request))
            });
        let (value, request) = match read {
            Ok(read) => read,
            Err(err) => {
                if slots
                    .send(Slot::Refused(Box::new(refusal(number, &err))))
                    .await
                    .is_err()
                {
                    break;
                }
                continue;
            }
        };
        let mut request = request_to_pb(request);
        // Bulk answers carry explanations only when asked.
        request.explain = args.explain;
        request.request_id = match value.get("requestId").or(value.get("request_id")) {
            Some(Value::String(id)) => id.clone(),
            _ => number.to_string(),
        };
        let slot = match over_limit(&request) {
            Some(why) => {
                let err = input_error(&path, format!("line {number}: {why}"));
                Slot::Refused(Box::new(refusal(number, &err)))
            }
            None if tx.send(request).await.is_err() => break,
            None => Slot::Sent,
        };
        if slots.send(slot).await.is_err() {
            break;
        }
    }
    Ok(())
}

/// Why `request` cannot be sent, if it is larger than a server takes by
/// default: it would end the stream there, and every line after it with it.
fn over_limit(request: &pb::AssessRequest) -> Option<String> {
    let limit = ServeOptions::default().max_message_bytes;
    let size = request.encoded_len();
    (size > limit).then(|| {
        format!("a request of {size} bytes, over the {limit}-byte message limit a server takes by default (max_message_bytes)")
    })
}

/// The answer for line `number`, which is not a request: INVALID_ARGUMENT,
/// as the server would refuse it, with the line number as its id.
fn refusal(number: u64, err: &CliError) -> pb::AssessStreamResponse {
    pb::AssessStreamResponse {
        request_id: number.to_string(),
        outcome: Some(Outcome::Error(tonic_types::pb::Status {
            code: tonic::Code::InvalidArgument as i32,
            message: err.to_string(),
            details: Vec::new(),
        })),
    }
}
