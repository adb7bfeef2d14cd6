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

const LIBS: [(&str, &str); 1] = [(
    "lib/vocabulary.rhai",
    include_str!("../../../scripts/lib/vocabulary.rhai"),
)];

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
