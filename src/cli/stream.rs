//! `maturity assess --server URL --metrics FILE.jsonl`: streams a JSON Lines
//! file to AssessStream, one organisation per line, and prints one JSON line
//! per answer. The file is read as the server takes requests, so a million
//! lines use no more memory than a few.

use std::io::Write;
use std::path::Path;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

use super::args::AssessArgs;
use super::assess::{input_error, request_from_json};
use super::{CliError, connect};
use crate::grpc::convert::request_to_pb;
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
    let mut client = connect(url).await?;
    let (tx, rx) = mpsc::channel(READ_AHEAD);
    let reader = tokio::spawn(read_lines(args.clone(), BufReader::new(file), tx));
    let mut answers = client
        .assess_stream(ReceiverStream::new(rx))
        .await?
        .into_inner();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (mut assessed, mut failed) = (0u64, 0u64);
    while let Some(answer) = answers.message().await? {
        match &answer.outcome {
            Some(Outcome::Error(_)) | None => failed += 1,
            Some(Outcome::Assessment(_)) => assessed += 1,
        }
        // An AssessStreamResponse in the proto3 JSON mapping, as the HTTP
        // API streams them; written straight out, never through a
        // serde_json::Value: a portfolio may be a million lines.
        let _ = serde_json::to_writer(&mut out, &answer);
        let _ = writeln!(out);
    }
    let _ = out.flush();
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

/// Sends one request per non-empty line; its request_id is the line's
/// "request_id" field, else its line number.
async fn read_lines(
    args: AssessArgs,
    file: BufReader<tokio::fs::File>,
    tx: mpsc::Sender<pb::AssessRequest>,
) -> Result<(), CliError> {
    let path = args.metrics.clone();
    let mut lines = file.lines();
    let mut number = 0u64;
    while let Some(line) = lines.next_line().await.map_err(|source| CliError::Read {
        path: path.clone(),
        source,
    })? {
        number += 1;
        if line.trim().is_empty() {
            continue;
        }
        let at = |message: String| input_error(&path, format!("line {number}: {message}"));
        let value: Value = serde_json::from_str(&line).map_err(|e| at(e.to_string()))?;
        let request = request_from_json(
            &args,
            Path::new(&format!("{}:{number}", path.display())),
            &value,
        )?;
        let mut request = request_to_pb(request);
        // Bulk answers carry explanations only when asked.
        request.explain = args.explain;
        request.request_id = match value.get("requestId").or(value.get("request_id")) {
            Some(Value::String(id)) => id.clone(),
            _ => number.to_string(),
        };
        if tx.send(request).await.is_err() {
            break;
        }
    }
    Ok(())
}
