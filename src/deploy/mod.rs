//! Serving models from a scripts directory and changing them safely while
//! they serve: every change is compiled, checked against the contract and
//! run against the model's test cases before it atomically replaces the live
//! version, so a broken edit never takes a working model down. Knows nothing
//! of gRPC.
//!
//! - `catalog`: the live models, swapped atomically, and their load status.
//! - `candidate`: compiling and testing a script before it may serve.
//! - `reload`: re-reading the directory.
//! - `admin`: validate, put and delete, with optimistic concurrency.
//! - `case_files`: test cases sent with a deploy, as the files they become.
//! - `store`: atomic writes and the audit log.
//! - `watch`: reloading when the directory changes.

mod admin;
mod candidate;
mod case_files;
mod catalog;
mod error;
mod reload;
mod store;
mod watch;

pub use admin::{PutOutcome, PutRequest, Validation};
pub use candidate::{MAX_CASES, MAX_CASES_TIME, Refusal, Stop};
pub use catalog::{Catalog, DEFAULT_KEPT_VERSIONS, FileStatus, Snapshot};
pub use error::DeployError;
pub use reload::{DEBOUNCE, ReloadReport};
pub use watch::watch;
