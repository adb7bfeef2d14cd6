//! The maturity engine: loads model scripts into a sandbox, validates an
//! organisation's metrics against a model and assesses it. Knows nothing of
//! gRPC. Its parts, lowest first (each imports only those above it):
//!
//! - `value`: metric values and the metrics map; imports nothing.
//! - `diagnostic`, `error`: script diagnostics and the typed errors.
//! - `sandbox`: the limited Rhai engine every script runs in, and budgets.
//! - `model`: a model and its contract: compiling, declarations, fast checks.
//! - `assessment`: what an assessment answers, as plain types.
//! - `evaluate`: validating input, outcomes, level and ceiling, dimensions
//!   and the plan.
//! - `explain`: thresholds, why not higher, and levers, found by re-running.
//! - `assess`: the pipeline from request to answer: evaluate, then explain.
//! - `scripts`: where scripts come from (a directory, or built in).
//! - [`cases`], [`suite`]: example organisations with the answer they must
//!   get, and running them as a model's tests.

mod assess;
mod assessment;
pub mod cases;
mod diagnostic;
mod error;
mod evaluate;
mod explain;
mod model;
mod sandbox;
mod scripts;
pub mod suite;
mod value;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use assessment::Comparison;
pub use assessment::{
    AssessRequest, Assessment, CriterionResult, CriterionTexts, DimensionResult, Horizon,
    Intervention, Lever, Outcome, Requirement, View,
};
pub use diagnostic::Diagnostic;
pub use error::{EngineError, LoadError, MetricViolation, SandboxLimit};
pub use evaluate::input::{MAX_METRIC_NAME, MAX_METRICS, MAX_SUBJECT_ID};
pub use evaluate::plan::MAX_NOW;
pub use model::Model;
pub(crate) use model::fields::did_you_mean;
pub use model::metric_spec::{Direction, MetricKind, MetricSpec};
pub use model::sources::ScriptSource;
pub use model::spec::{DimensionSpec, Level, ModelSpec};
pub use sandbox::{Budget, Limits};
pub use scripts::builtin::builtin_scripts;
pub use scripts::dir::{
    CaseSource, MAX_FILE_BYTES, ScriptSet, Unreadable, is_script_path, read_script_text,
    read_scripts_dir,
};
pub use value::{MetricValue, Metrics, Names, Text};

/// The loaded models and the sandbox they run in; shared read-only across
/// threads.
///
/// ```
/// use maturity_engine::engine::{AssessRequest, Engine, MetricValue};
///
/// let engine = Engine::with_builtin_models()?;
/// let mut request = AssessRequest { model: "five_stage".into(), ..Default::default() };
/// request.metrics.insert("crm_in_place".into(), MetricValue::Flag(true));
/// request.metrics.insert("crm_adoption".into(), MetricValue::Number(0.2));
///
/// let assessment = engine.assess(&request)?;
/// // Proven at the first level; the CRM criterion fails, so no higher.
/// assert_eq!((assessment.level.rank, assessment.ceiling.rank), (1, 1));
/// assert_eq!(assessment.interventions[0].id, "put_crm_to_work");
/// assert!(assessment.missing_metrics.contains(&"stages_defined".to_owned()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Engine {
    rhai: rhai::Engine,
    /// The same sandbox with room for a whole model's declaration: the data
    /// a script declares is bounded by its source size, not by the limits
    /// on what one assessment may build.
    loader: rhai::Engine,
    limits: Limits,
    models: BTreeMap<String, Arc<Model>>,
    /// Whether checks that only compare metrics with constants run as
    /// native code (always, but to verify the native path against Rhai).
    native_checks: bool,
}

impl Engine {
    /// An engine with no models, running scripts under `limits`.
    pub fn new(limits: Limits) -> Self {
        Self {
            rhai: sandbox::new_engine(&limits),
            loader: sandbox::new_engine(&limits.for_declarations()),
            limits,
            models: BTreeMap::new(),
            native_checks: true,
        }
    }

    /// The same engine, compiling models loaded from now on with every
    /// check as a script call when `native` is false: the way to prove the
    /// native path answers exactly as the scripts do.
    pub fn with_native_checks(mut self, native: bool) -> Self {
        self.native_checks = native;
        self
    }

    /// An engine serving the built-in models.
    pub fn with_builtin_models() -> Result<Self, LoadError> {
        let mut engine = Self::new(Limits::default());
        let failures = engine.load_all(&builtin_scripts());
        match failures.into_iter().next() {
            Some(err) => Err(err),
            None => Ok(engine),
        }
    }

    /// Loads every model in `scripts`, keeping those that load and returning
    /// the failures: a broken script never keeps the others from serving.
    /// Of two files declaring one id, the one named after it loads.
    pub fn load_all(&mut self, scripts: &ScriptSet) -> Vec<LoadError> {
        let mut failures = Vec::new();
        let mut compiled = Vec::new();
        for script in &scripts.models {
            match self.compile(script, &scripts.libs) {
                Ok(model) => compiled.push(model),
                Err(err) => failures.push(err),
            }
        }
        compiled.sort_by_key(|model| !model.named_after_its_file());
        for model in compiled {
            if let Err(err) = self.insert(Arc::new(model)) {
                failures.push(err);
            }
        }
        failures
    }

    /// Compiles and checks one model script and adds it to the engine.
    pub fn load(
        &mut self,
        script: &ScriptSource,
        libs: &[ScriptSource],
    ) -> Result<Arc<Model>, LoadError> {
        let model = Arc::new(self.compile(script, libs)?);
        self.insert(Arc::clone(&model))?;
        Ok(model)
    }

    /// Compiles and checks one model script without adding it.
    pub fn compile(
        &self,
        script: &ScriptSource,
        libs: &[ScriptSource],
    ) -> Result<Model, LoadError> {
        self.compile_within(script, libs, &Budget::default())
    }

    /// Compiles and checks one model script without adding it, stopping
    /// the scripts it runs when `budget`'s deadline passes or it is
    /// cancelled.
    pub fn compile_within(
        &self,
        script: &ScriptSource,
        libs: &[ScriptSource],
        budget: &Budget,
    ) -> Result<Model, LoadError> {
        let sources = (script, libs);
        Model::compile(
            (&self.loader, &self.rhai),
            &self.limits,
            sources,
            self.native_checks,
            budget,
        )
    }

    /// Adds a compiled model, unless another file already declares its id.
    pub fn insert(&mut self, model: Arc<Model>) -> Result<(), LoadError> {
        if let Some(other) = self.models.get(model.id()) {
            return Err(LoadError::DuplicateModel {
                file: model.file().to_owned(),
                model: model.id().to_owned(),
                other: other.file().to_owned(),
            });
        }
        self.models.insert(model.id().to_owned(), model);
        Ok(())
    }

    /// Places one organisation on the model the request names.
    pub fn assess(&self, request: &AssessRequest) -> Result<Assessment, EngineError> {
        self.assess_within(request, &Budget::default())
    }

    /// Places one organisation on the model the request names, stopping
    /// when the caller's deadline passes or it cancels.
    pub fn assess_within(
        &self,
        request: &AssessRequest,
        budget: &Budget,
    ) -> Result<Assessment, EngineError> {
        let model = self.model(&request.model)?;
        assess::assess(&self.rhai, &self.limits, model, request, budget)
    }

    /// Places one organisation on `model`, which need not be loaded (e.g. a
    /// candidate being tested before it replaces the live one), within the
    /// caller's `budget`.
    pub fn assess_on(
        &self,
        model: &Model,
        request: &AssessRequest,
        budget: &Budget,
    ) -> Result<Assessment, EngineError> {
        assess::assess(&self.rhai, &self.limits, model, request, budget)
    }

    /// Checks a request against its model's declarations without assessing
    /// it; returns the metrics the model does not read.
    pub fn validate(&self, request: &AssessRequest) -> Result<Vec<String>, EngineError> {
        let resolved = evaluate::input::validate(self.model(&request.model)?, request)?;
        Ok(resolved.ignored.into_iter().map(str::to_owned).collect())
    }

    /// The model with id `id`, or an error listing the models there are.
    pub fn model(&self, id: &str) -> Result<&Arc<Model>, EngineError> {
        let available = || self.models.keys().cloned().collect();
        if id.is_empty() {
            return Err(EngineError::ModelRequired {
                available: available(),
            });
        }
        self.models
            .get(id)
            .ok_or_else(|| EngineError::UnknownModel {
                model: value::shorten(id).to_owned(),
                available: available(),
            })
    }

    /// Every loaded model, ordered by id.
    pub fn models(&self) -> impl Iterator<Item = &Arc<Model>> {
        self.models.values()
    }
}
