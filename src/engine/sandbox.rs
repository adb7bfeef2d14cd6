//! The Rhai engine every model runs in: no I/O, no clock, no sleep, and a
//! limit on everything a script can grow (operations, call depth, expression
//! depth, strings, arrays, maps) plus a wall-clock cap per evaluation.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rhai::packages::{
    ArithmeticPackage, BasicArrayPackage, BasicIteratorPackage, BasicMapPackage, BasicMathPackage,
    BasicStringPackage, LogicPackage, MoreStringPackage, Package,
};

/// The sandbox's limits. The defaults leave built-in models far from every
/// limit while stopping runaway scripts within milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Operations one script call may perform.
    pub max_operations: u64,
    /// Nested function calls.
    pub max_call_levels: usize,
    /// Nesting of expressions (and of expressions inside functions).
    pub max_expr_depth: (usize, usize),
    /// Longest string, in bytes.
    pub max_string_size: usize,
    /// Largest array, in elements.
    pub max_array_size: usize,
    /// Largest map, in entries.
    pub max_map_size: usize,
    /// Longest script source, in bytes (compile time grows with its square).
    pub max_source_size: usize,
    /// Most functions and closures one script may define: every check is a
    /// closure, so this bounds a model's criteria.
    pub max_functions: usize,
    /// Wall-clock time one assessment may take.
    pub max_time: Duration,
    /// Wall-clock time one explained assessment may take: explaining re-runs
    /// the checks to find thresholds and levers, some fifty times the work.
    pub max_explain_time: Duration,
    /// Wall-clock time loading one model may take (off the request path, so
    /// far more generous).
    pub max_load_time: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_operations: 100_000,
            max_call_levels: 20,
            max_expr_depth: (32, 24),
            max_string_size: 16 * 1024,
            max_array_size: 4096,
            max_map_size: 4096,
            max_source_size: 256 * 1024,
            max_functions: 512,
            max_time: Duration::from_millis(250),
            max_explain_time: Duration::from_millis(2500),
            max_load_time: Duration::from_secs(2),
        }
    }
}

impl Limits {
    /// The limits for running a model script once to read its declaration:
    /// its texts may add up to as much as its source.
    pub(crate) fn for_declarations(&self) -> Self {
        Self {
            max_string_size: self.max_string_size.max(self.max_source_size),
            ..self.clone()
        }
    }

    /// The wall-clock time one assessment may take, explained or not.
    pub fn time_for(&self, explain: bool) -> Duration {
        if explain {
            self.max_explain_time
        } else {
            self.max_time
        }
    }
}

/// How often (in operations) the wall clock is read.
const CLOCK_EVERY: u64 = 1024;

/// What a caller bounds one assessment by, beyond the sandbox's own limits:
/// its deadline, and a flag it raises when it stops waiting.
#[derive(Debug, Clone, Default)]
pub struct Budget {
    /// When the caller stops waiting.
    pub deadline: Option<Instant>,
    /// Raised when the caller goes away.
    pub cancelled: Option<Arc<AtomicBool>>,
}

/// Why a running script was stopped from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The sandbox's own time limit.
    TimeLimit,
    /// The caller's deadline.
    Deadline,
    /// The caller went away.
    Cancelled,
}

impl Stop {
    /// The token a script is terminated with, read back by [`Stop::from_token`].
    pub(crate) fn token(self) -> &'static str {
        match self {
            Self::TimeLimit => "time limit reached",
            Self::Deadline => "the caller's deadline passed",
            Self::Cancelled => "the caller cancelled",
        }
    }

    /// The stop a termination token stands for.
    pub(crate) fn from_token(token: &rhai::Dynamic) -> Option<Self> {
        let text = token.clone().into_immutable_string().ok()?;
        [Self::TimeLimit, Self::Deadline, Self::Cancelled]
            .into_iter()
            .find(|stop| stop.token() == text.as_str())
    }
}

/// The bounds in force on this thread.
#[derive(Debug, Default)]
struct Watch {
    limit_at: Option<Instant>,
    budget: Budget,
}

impl Watch {
    fn check(&self) -> Option<Stop> {
        if self
            .budget
            .cancelled
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
        {
            return Some(Stop::Cancelled);
        }
        let now = Instant::now();
        if self.budget.deadline.is_some_and(|d| now >= d) {
            return Some(Stop::Deadline);
        }
        self.limit_at
            .is_some_and(|d| now >= d)
            .then_some(Stop::TimeLimit)
    }
}

thread_local! {
    /// The bounds of the evaluation running on this thread.
    static WATCH: RefCell<Option<Watch>> = const { RefCell::new(None) };
}

/// Keeps a time limit and a caller's budget in force on this thread until
/// dropped.
#[derive(Debug)]
pub(crate) struct DeadlineGuard {
    previous: Option<Watch>,
}

impl DeadlineGuard {
    /// Starts a time limit `budget` from now, within the caller's `caller`.
    pub(crate) fn start(limit: Duration, caller: Budget) -> Self {
        let watch = Watch {
            limit_at: Instant::now().checked_add(limit),
            budget: caller,
        };
        let previous = WATCH.with(|w| w.replace(Some(watch)));
        Self { previous }
    }
}

impl Drop for DeadlineGuard {
    fn drop(&mut self) {
        WATCH.with(|w| *w.borrow_mut() = self.previous.take());
    }
}

/// Whether the evaluation on this thread must stop now.
pub(crate) fn stop_now() -> Option<Stop> {
    WATCH.with(|w| w.borrow().as_ref().and_then(Watch::check))
}

/// Builds the sandboxed Rhai engine.
pub(crate) fn new_engine(limits: &Limits) -> rhai::Engine {
    let mut engine = rhai::Engine::new_raw();
    // The standard package minus LanguageCorePackage (its `sleep` blocks past
    // every limit) and minus the time package (the clock breaks determinism).
    for package in [
        ArithmeticPackage::new().as_shared_module(),
        LogicPackage::new().as_shared_module(),
        BasicStringPackage::new().as_shared_module(),
        MoreStringPackage::new().as_shared_module(),
        BasicIteratorPackage::new().as_shared_module(),
        BasicMathPackage::new().as_shared_module(),
        BasicArrayPackage::new().as_shared_module(),
        BasicMapPackage::new().as_shared_module(),
    ] {
        engine.register_global_module(package);
    }
    engine
        .set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_levels)
        .set_max_expr_depths(limits.max_expr_depth.0, limits.max_expr_depth.1)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size)
        .set_max_modules(0)
        .set_max_variables(512)
        .set_max_functions(limits.max_functions)
        .set_strict_variables(true)
        .set_fail_on_invalid_map_property(true);
    engine.on_progress(|operations| {
        if operations % CLOCK_EVERY != 0 {
            return None;
        }
        stop_now().map(|stop| stop.token().into())
    });
    engine
}
