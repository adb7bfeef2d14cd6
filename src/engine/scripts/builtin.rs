//! The models the binary ships with, compiled in so `maturity serve` needs no
//! files.

use crate::engine::model::sources::ScriptSource;
use crate::engine::scripts::dir::ScriptSet;

const MODELS: [(&str, &str); 2] = [
    (
        "five_stage.rhai",
        include_str!("../../../scripts/five_stage.rhai"),
    ),
    (
        "chaotic_to_predictive.rhai",
        include_str!("../../../scripts/chaotic_to_predictive.rhai"),
    ),
];

/// In file-name order, as a scripts directory loads them.
const LIBS: [(&str, &str); 4] = [
    (
        "lib/dimensions.rhai",
        include_str!("../../../scripts/lib/dimensions.rhai"),
    ),
    (
        "lib/gates.rhai",
        include_str!("../../../scripts/lib/gates.rhai"),
    ),
    (
        "lib/thresholds.rhai",
        include_str!("../../../scripts/lib/thresholds.rhai"),
    ),
    (
        "lib/vocabulary.rhai",
        include_str!("../../../scripts/lib/vocabulary.rhai"),
    ),
];

/// The text of the built-in helper that declares the standard metric
/// vocabulary (`standard_vocabulary()`, docs/metrics.md).
pub(crate) const VOCABULARY: &str = LIBS[3].1;

/// The built-in model scripts and their helpers.
pub fn builtin_scripts() -> ScriptSet {
    let sources = |list: &[(&str, &str)]| {
        list.iter()
            .map(|(file, text)| ScriptSource::new(*file, *text))
            .collect()
    };
    ScriptSet {
        models: sources(&MODELS),
        libs: sources(&LIBS),
        cases: Vec::new(),
        unreadable: Vec::new(),
    }
}
