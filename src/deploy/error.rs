//! What can stop a deployment, each with what the caller needs to fix it.

use thiserror::Error;

use super::candidate::Refusal;

/// Why a reload, put or delete did not happen.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DeployError {
    /// The server runs its built-in models and has no directory to change.
    #[error("the server runs its built-in models; start it with --scripts DIR to deploy")]
    NoScriptsDir,
    /// The script was refused: it does not load or its test cases fail.
    #[error("{0}")]
    Refused(Box<Refusal>),
    /// The model changed since the caller read its hash.
    #[error(
        "model '{model}' is at sha256 '{actual}', not the expected '{expected}': read it again and retry"
    )]
    Stale {
        /// The model id.
        model: String,
        /// The hash the caller expected ("" for "no such model").
        expected: String,
        /// The hash serving ("" when there is no such model).
        actual: String,
    },
    /// No model has this id.
    #[error("model '{0}' not found")]
    UnknownModel(String),
    /// A request pins a version of a model that neither serves nor is kept.
    #[error(
        "model '{model}' serves script_sha256 '{serving}', not the pinned '{pinned}', and keeps no such earlier version (kept: {kept}); pin one of those or none"
    )]
    NotKept {
        /// The model id.
        model: String,
        /// The hash the request pins (shortened when long).
        pinned: String,
        /// The hash serving.
        serving: String,
        /// The hashes kept, newest first, comma-separated.
        kept: String,
    },
    /// A request names a version by something that is not a script hash.
    #[error("{field}: '{pinned}' is not a SHA-256 (64 hex digits)")]
    NotASha256 {
        /// The request's field (`script_sha256`, `expected_sha256`).
        field: &'static str,
        /// What it holds (shortened when long).
        pinned: String,
    },
    /// The directory changed since it was last loaded: a deploy would
    /// overwrite an edit no one has seen served.
    #[error(
        "{file} (or a helper or case it reads) changed on disk since the server last loaded it; a reload is on its way: read the serving hash again and retry"
    )]
    UnseenEdit {
        /// The model's file.
        file: String,
    },
    /// A new model's file would replace one that serves another model.
    #[error(
        "model '{model}' would be saved to {file}, which serves model '{other}': delete '{other}' first, or give the new model another id"
    )]
    FileServesAnother {
        /// The new model's id.
        model: String,
        /// The file both would use.
        file: String,
        /// The model that file serves.
        other: String,
    },
    /// The model id cannot name a script file.
    #[error("model id '{id}' cannot name a script file: {rule}")]
    BadModelId {
        /// The id, shortened.
        id: String,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// A test case given with the call is malformed.
    #[error("cases[{index}] ('{name}'): {reason}")]
    InvalidCase {
        /// Its position in the call.
        index: usize,
        /// Its name, shortened.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The call carries more test cases than one validation may run.
    #[error("cases: {count} exceeds the limit of {limit}")]
    TooManyCases {
        /// How many it carries.
        count: usize,
        /// The most allowed.
        limit: usize,
    },
    /// The file name given is longer than a script file's name may be.
    #[error("file_name: {length} bytes exceeds the limit of {limit}")]
    FileNameTooLong {
        /// Its length, in bytes.
        length: usize,
        /// The most allowed.
        limit: usize,
    },
    /// The audit record could not be written, so the change was not made.
    #[error("cannot write the audit log {path}: {source}; the change was refused, nothing changed")]
    Audit {
        /// The audit log.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The directory or a file in it could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

impl DeployError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.display().to_string(),
            source,
        }
    }
}
