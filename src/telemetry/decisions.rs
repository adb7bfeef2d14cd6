//! The decision log: one JSON line per assessment (its id and time, subject,
//! model, version, script hash, input hash, level, ceiling and score, and,
//! when asked for, the whole request), written by its own thread so the
//! request path only hands over what it already has. When the writer falls
//! behind, decisions are dropped and counted rather than slowing answers.
//!
//! Keys are spelled as the proto3 JSON mapping spells the Assessment's
//! fields (`subjectId`, `scriptSha256`, ...), and `request` is an
//! AssessRequest in that mapping: `maturity replay` and `maturity diff
//! --orgs` read it back.

use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError, TrySendError};
use std::time::SystemTime;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::metrics::metrics;
use crate::engine::{AssessRequest, Assessment};

/// Decisions waiting for the writer.
const BACKLOG: usize = 16 * 1024;

/// Where decisions go.
#[derive(Debug, Clone)]
pub struct DecisionLog {
    tx: SyncSender<(SystemTime, AssessRequest, Summary)>,
    requests: bool,
}

/// What the log keeps of an assessment.
#[derive(Debug)]
struct Summary {
    assessment_id: String,
    model_version: String,
    script_sha256: String,
    level: Rung,
    ceiling: Rung,
    score: f64,
    request: Option<serde_json::Value>,
}

/// A level: its rank and id.
#[derive(Debug, Serialize)]
struct Rung {
    rank: i32,
    id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Line<'a> {
    assessment_id: &'a str,
    evaluated_at: String,
    subject_id: &'a str,
    model: &'a str,
    model_version: &'a str,
    script_sha256: &'a str,
    input_sha256: String,
    level: &'a Rung,
    ceiling: &'a Rung,
    score: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    request: Option<&'a serde_json::Value>,
}

impl DecisionLog {
    /// Appends decisions to `path` from a writer thread.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        // Decisions, and requests when kept, are the callers' business: a
        // new log is its owner's alone.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path)?;
        let (tx, rx) = mpsc::sync_channel(BACKLOG);
        std::thread::Builder::new()
            .name("maturity-decisions".into())
            .spawn(move || write_all(rx, BufWriter::new(file)))?;
        Ok(Self {
            tx,
            requests: false,
        })
    }

    /// Keeps each whole request too (`request`, in its JSON mapping), so
    /// the log can be replayed; off by default, as requests may hold what
    /// a log should not.
    pub fn with_requests(mut self, requests: bool) -> Self {
        self.requests = requests;
        self
    }

    /// Whether whole requests are kept.
    pub fn records_requests(&self) -> bool {
        self.requests
    }

    /// Queues one decision, made at `at` with id `assessment_id`, with the
    /// request in its JSON mapping when whole requests are kept; never
    /// blocks.
    pub fn record(
        &self,
        request: AssessRequest,
        assessment: &Assessment,
        assessment_id: &str,
        at: SystemTime,
        logged_request: Option<serde_json::Value>,
    ) {
        let rung = |level: &crate::engine::Level| Rung {
            rank: level.rank,
            id: level.id.to_string(),
        };
        let summary = Summary {
            assessment_id: assessment_id.to_owned(),
            model_version: assessment.model_version.to_string(),
            script_sha256: assessment.script_sha256.to_string(),
            level: rung(&assessment.level),
            ceiling: rung(&assessment.ceiling),
            score: assessment.score,
            request: logged_request.filter(|_| self.requests),
        };
        if let Err(TrySendError::Full(_)) = self.tx.try_send((at, request, summary)) {
            metrics().decision_dropped();
        }
    }
}

fn write_all(rx: Receiver<(SystemTime, AssessRequest, Summary)>, mut out: impl Write) {
    let mut next = rx.recv().ok();
    while let Some((time, request, summary)) = next {
        // The metrics map is ordered, so equal inputs hash equally.
        let input = serde_json::to_vec(&request.metrics).unwrap_or_default();
        let line = Line {
            assessment_id: &summary.assessment_id,
            evaluated_at: humantime::format_rfc3339_millis(time).to_string(),
            subject_id: &request.subject_id,
            model: &request.model,
            model_version: &summary.model_version,
            script_sha256: &summary.script_sha256,
            input_sha256: format!("{:x}", Sha256::digest(&input)),
            level: &summary.level,
            ceiling: &summary.ceiling,
            score: summary.score,
            request: summary.request.as_ref(),
        };
        if serde_json::to_writer(&mut out, &line).is_err() || out.write_all(b"\n").is_err() {
            tracing::error!("cannot write the decision log");
        }
        // Flush only when the backlog is empty, so a quiet server's log is
        // current and a busy one writes in large blocks.
        next = match rx.try_recv() {
            Ok(decision) => Some(decision),
            Err(TryRecvError::Empty) => {
                let _ = out.flush();
                rx.recv().ok()
            }
            Err(TryRecvError::Disconnected) => None,
        };
    }
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts the flushes that reach it.
    #[derive(Default)]
    struct Flushes(usize);

    impl Write for Flushes {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.0 += 1;
            Ok(())
        }
    }

    #[test]
    fn a_backlog_is_written_with_one_flush_not_one_per_line() {
        let (tx, rx) = mpsc::sync_channel(BACKLOG);
        for _ in 0..1000 {
            let rung = || Rung {
                rank: 1,
                id: "l".into(),
            };
            let summary = Summary {
                assessment_id: "a".into(),
                model_version: "1".into(),
                script_sha256: "s".into(),
                level: rung(),
                ceiling: rung(),
                score: 1.0,
                request: None,
            };
            tx.send((SystemTime::now(), AssessRequest::default(), summary))
                .unwrap();
        }
        drop(tx);
        let mut flushes = Flushes::default();
        write_all(rx, &mut flushes);
        assert_eq!(flushes.0, 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_new_log_is_readable_by_its_owner_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("decisions-mode-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("decisions.jsonl");
        let _ = std::fs::remove_file(&path);
        let _log = DecisionLog::open(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
