//! Typed access to the fields of a map a script built, with errors that name
//! the field's path in the declaration. Reading goes on past a problem where
//! it can, so a consultant sees every problem of a script at once.

use std::cell::RefCell;

use rhai::{Array, Dynamic, FnPtr, Map};

use crate::engine::model::outline::Place;
use crate::engine::value::{Names, Text};

/// A breach of the model contract: where in the declaration, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContractError {
    pub(crate) place: Place,
    pub(crate) message: String,
}

impl ContractError {
    pub(crate) fn new(place: Place, message: String) -> Self {
        Self { place, message }
    }
}

/// The result of reading part of a declaration.
pub(crate) type Result<T> = std::result::Result<T, ContractError>;

/// The problems found so far in one declaration, and whether any left the
/// declaration incomplete (a part that could not be read).
#[derive(Debug, Default)]
pub(crate) struct Problems {
    found: RefCell<Vec<ContractError>>,
    incomplete: std::cell::Cell<bool>,
}

impl Problems {
    /// Notes a problem and reading goes on.
    pub(crate) fn push(&self, problem: ContractError) {
        self.incomplete.set(true);
        self.found.borrow_mut().push(problem);
    }

    /// Notes a problem that leaves what was read whole (an unknown key), so
    /// the rules that need the whole declaration still run.
    pub(crate) fn push_aside(&self, problem: ContractError) {
        self.found.borrow_mut().push(problem);
    }

    /// Whether a problem left part of the declaration unread or unsound.
    pub(crate) fn incomplete(&self) -> bool {
        self.incomplete.get()
    }

    /// The value of `result`, or `None` with its problem noted.
    pub(crate) fn record<T>(&self, result: Result<T>) -> Option<T> {
        result.map_err(|problem| self.push(problem)).ok()
    }

    /// Every problem noted, in the order found.
    pub(crate) fn into_vec(self) -> Vec<ContractError> {
        self.found.into_inner()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.found.borrow().is_empty()
    }
}

/// The closest of `known` to a misspelt `word`, when one is close enough to
/// be what was meant.
pub(crate) fn closest<'k>(word: &str, known: impl IntoIterator<Item = &'k str>) -> Option<&'k str> {
    let most = (word.chars().count() / 3).max(1);
    known
        .into_iter()
        .map(|k| {
            (
                strsim::jaro_winkler(word, k),
                strsim::levenshtein(word, k),
                k,
            )
        })
        .filter(|&(similar, edits, _)| similar >= 0.85 || edits <= most)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(.., k)| k)
}

/// " (did you mean 'x'?)" when `word` is close to one of `known`.
pub(crate) fn did_you_mean<'k>(word: &str, known: impl IntoIterator<Item = &'k str>) -> String {
    closest(word, known).map_or(String::new(), |k| format!(" (did you mean '{k}'?)"))
}

/// Typed access to the fields of one map, with errors naming the field path.
pub(super) struct Fields<'a> {
    map: &'a Map,
    path: String,
    problems: &'a Problems,
}

impl<'a> Fields<'a> {
    pub(super) fn new(map: &'a Map, path: String, problems: &'a Problems) -> Self {
        Self {
            map,
            path,
            problems,
        }
    }

    /// Notes every key of the map that is not one of `known`, with the
    /// likely name when it is a misspelling: an unknown key is a restriction
    /// that silently does not apply.
    pub(super) fn only(&self, known: &[&str]) {
        for key in self.map.keys() {
            if known.contains(&key.as_str()) {
                continue;
            }
            let hint = did_you_mean(key, known.iter().copied());
            let message = format!(
                "unknown key '{key}'{hint}; known keys: {}",
                known.join(", ")
            );
            self.problems.push_aside(self.error(key, message));
        }
    }

    /// Notes a problem found while reading this map, and reading goes on.
    pub(super) fn note(&self, problem: ContractError) {
        self.problems.push(problem);
    }

    pub(super) fn error(&self, key: &str, message: String) -> ContractError {
        ContractError::new(Place::at(format!("{}.{key}", self.path)), message)
    }

    pub(super) fn get(&self, key: &str) -> Option<&'a Dynamic> {
        self.map.get(key).filter(|v| !v.is_unit())
    }

    pub(super) fn required(&self, key: &str) -> Result<&'a Dynamic> {
        self.get(key)
            .ok_or_else(|| self.error(key, "is required".into()))
    }

    pub(super) fn typed<T: Clone + 'static>(
        &self,
        key: &str,
        value: &Dynamic,
        expected: &str,
    ) -> Result<T> {
        value.clone().try_cast::<T>().ok_or_else(|| {
            self.error(
                key,
                format!("must be {expected}, got {}", value.type_name()),
            )
        })
    }

    pub(super) fn string(&self, key: &str) -> Result<String> {
        let text: rhai::ImmutableString = self.typed(key, self.required(key)?, "a string")?;
        if text.trim().is_empty() {
            return Err(self.error(key, "must not be empty".into()));
        }
        Ok(text.to_string())
    }

    pub(super) fn text(&self, key: &str) -> Result<Text> {
        self.string(key).map(Text::from)
    }

    pub(super) fn optional_text(&self, key: &str) -> Result<Text> {
        self.optional_string(key).map(Text::from)
    }

    pub(super) fn names(&self, key: &str) -> Result<Names> {
        Ok(self.strings(key)?.into_iter().map(Text::from).collect())
    }

    pub(super) fn optional_string(&self, key: &str) -> Result<String> {
        match self.get(key) {
            None => Ok(String::new()),
            Some(_) => self.string(key),
        }
    }

    pub(super) fn int(&self, key: &str) -> Result<i32> {
        let value: rhai::INT = self.typed(key, self.required(key)?, "a whole number")?;
        i32::try_from(value).map_err(|_| self.error(key, format!("{value} is out of range")))
    }

    pub(super) fn optional_int(&self, key: &str) -> Result<Option<i32>> {
        self.get(key).map(|_| self.int(key)).transpose()
    }

    pub(super) fn optional_number(&self, key: &str) -> Result<Option<f64>> {
        let Some(value) = self.get(key) else {
            return Ok(None);
        };
        let number = value
            .as_float()
            .or_else(|_| value.as_int().map(|i| i as f64));
        match number {
            Ok(n) if n.is_finite() => Ok(Some(n)),
            _ => Err(self.error(key, format!("must be a finite number, got {value}"))),
        }
    }

    pub(super) fn function(&self, key: &str) -> Result<FnPtr> {
        self.typed(
            key,
            self.required(key)?,
            "a function such as |m| m.win_rate >= 0.3",
        )
    }

    pub(super) fn optional_fn(&self, key: &str) -> Result<Option<FnPtr>> {
        self.get(key).map(|_| self.function(key)).transpose()
    }

    pub(super) fn array(&self, key: &str) -> Result<Array> {
        self.typed(key, self.required(key)?, "an array")
    }

    pub(super) fn strings(&self, key: &str) -> Result<Vec<String>> {
        let items = self.array(key)?;
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let text: rhai::ImmutableString =
                self.typed(&format!("{key}[{i}]"), item, "a string")?;
            out.push(text.to_string());
        }
        Ok(out)
    }

    pub(super) fn optional_strings(&self, key: &str) -> Result<Vec<String>> {
        self.get(key).map_or(Ok(Vec::new()), |_| self.strings(key))
    }

    /// The items of the list `key`, each read as a map by `read`. An item
    /// that cannot be read is noted and left out, and the rest are read.
    pub(super) fn list<T>(
        &self,
        key: &str,
        read: impl Fn(&Fields<'_>, usize) -> Result<T>,
    ) -> Result<Vec<T>> {
        let items = self.array(key)?;
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = format!("{}.{key}[{i}]", self.path);
            let Some(map) = item.read_lock::<Map>() else {
                let message = format!("must be a map, got {}", item.type_name());
                self.note(ContractError::new(Place::at(path), message));
                continue;
            };
            let fields = Fields::new(&map, path, self.problems);
            if let Some(value) = self.problems.record(read(&fields, i)) {
                out.push(value);
            }
        }
        Ok(out)
    }

    pub(super) fn optional_list<T>(
        &self,
        key: &str,
        read: impl Fn(&Fields<'_>, usize) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.get(key)
            .map_or(Ok(Vec::new()), |_| self.list(key, read))
    }
}
