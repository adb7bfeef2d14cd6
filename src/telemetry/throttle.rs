//! Logging what any caller can trigger, without letting callers flood the
//! log: the first event of a kind is logged at once, then at most one line
//! per interval, which says how many were left out meanwhile.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The interval between two lines of one kind.
pub const THROTTLE: Duration = Duration::from_secs(10);

/// At most one line per interval for each key.
#[derive(Debug)]
pub struct Throttle {
    interval: Duration,
    /// When each key last logged, and how many events it has left out since.
    keys: Mutex<HashMap<String, (Instant, u64)>>,
}

impl Default for Throttle {
    fn default() -> Self {
        Self::every(THROTTLE)
    }
}

/// How many keys a throttle tracks before forgetting them all: keys are
/// model ids and fixed texts, but a bound keeps memory fixed whatever comes.
const MAX_KEYS: usize = 1024;

impl Throttle {
    /// A throttle allowing one line per [`THROTTLE`] for each key.
    pub fn new() -> Self {
        Self::default()
    }

    /// A throttle allowing one line per `interval` for each key.
    pub fn every(interval: Duration) -> Self {
        Self {
            interval,
            keys: Mutex::new(HashMap::new()),
        }
    }

    /// Whether an event of `key` may be logged now, and if so how many
    /// were left out before it.
    pub fn allow(&self, key: &str) -> Option<u64> {
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if let Some((last, suppressed)) = keys.get_mut(key) {
            if now.duration_since(*last) < self.interval {
                *suppressed += 1;
                return None;
            }
            let left_out = *suppressed;
            *last = now;
            *suppressed = 0;
            return Some(left_out);
        }
        if keys.len() >= MAX_KEYS {
            keys.clear();
        }
        keys.insert(key.to_owned(), (now, 0));
        Some(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_of_a_burst_is_allowed_per_key() {
        // An hour: no stall of the test machine lets a second line through.
        let throttle = Throttle::every(Duration::from_secs(3600));
        assert_eq!(throttle.allow("a"), Some(0));
        assert_eq!(throttle.allow("b"), Some(0));
        for _ in 0..100 {
            assert_eq!(throttle.allow("a"), None);
        }
    }
}
