//! Where model scripts come from: a scripts directory on disk, or the
//! models compiled into the binary.
//!
//! - `dir`: reads a scripts directory (models, helpers, test cases); the
//!   only part of the engine that touches the filesystem.
//! - `builtin`: the models the binary ships with.

pub(crate) mod builtin;
pub(crate) mod dir;
