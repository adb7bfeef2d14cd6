//! What the server stamps on each assessment and the engine never could (it
//! knows no clock and no randomness, so its answers stay reproducible): a
//! unique id and the time of the answer.

use std::time::SystemTime;

/// One assessment's id and time.
#[derive(Debug, Clone)]
pub struct Stamp {
    /// A random UUID v4, e.g. "7c9e6679-7425-40de-944b-e07fc1f90ae7".
    pub assessment_id: String,
    /// When it was made.
    pub at: SystemTime,
}

impl Stamp {
    /// A fresh id, now.
    pub fn now() -> Self {
        Self {
            assessment_id: uuid::Uuid::new_v4().to_string(),
            at: SystemTime::now(),
        }
    }

    /// The time in RFC 3339, UTC, to the millisecond.
    pub fn evaluated_at(&self) -> String {
        humantime::format_rfc3339_millis(self.at).to_string()
    }
}
