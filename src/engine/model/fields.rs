//! Typed access to the fields of a map a script built, with errors that name
//! the field's path in the declaration.

use rhai::{Array, Dynamic, FnPtr, Map};

use crate::engine::model::outline::Place;

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

/// Typed access to the fields of one map, with errors naming the field path.
pub(super) struct Fields<'a> {
    map: &'a Map,
    path: String,
}

impl<'a> Fields<'a> {
    pub(super) fn new(map: &'a Map, path: String) -> Self {
        Self { map, path }
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

    pub(super) fn list<T>(
        &self,
        key: &str,
        read: impl Fn(&Fields<'_>, usize) -> Result<T>,
    ) -> Result<Vec<T>> {
        let items = self.array(key)?;
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = format!("{}.{key}[{i}]", self.path);
            let map = item.read_lock::<Map>().ok_or_else(|| {
                let message = format!("must be a map, got {}", item.type_name());
                ContractError::new(Place::at(path.clone()), message)
            })?;
            out.push(read(&Fields::new(&map, path), i)?);
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
