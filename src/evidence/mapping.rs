//! The mapping file (TOML): how an export names its files, columns, dates
//! and status and role values, so a CRM's report export is read as it is.
//! Built-in profiles cover Salesforce and HubSpot report exports.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::EvidenceError;
use super::contract::{FILES, FileSpec, ROLES, STATUSES};
use super::date::DateOrder;

/// The key of a value map that catches every value not listed.
pub(crate) const ANY_OTHER: &str = "*";

/// The built-in profiles, by name.
const PROFILES: [(&str, &str); 2] = [
    ("salesforce", include_str!("profiles/salesforce.toml")),
    ("hubspot", include_str!("profiles/hubspot.toml")),
];

/// How one file of the export is named and laid out.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileMapping {
    /// The file's name in the export directory (default `KEY.csv`).
    pub file: Option<String>,
    /// Contract column -> the export's header for it.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// Contract columns the export does not have; metrics that need them
    /// are left out.
    #[serde(default)]
    pub absent: Vec<String>,
}

/// Value maps: the export's value -> the contract's (`"*"` for any other).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueMaps {
    /// Onto `open`, `won`, `lost`.
    #[serde(default)]
    pub status: BTreeMap<String, String>,
    /// Onto `seller`, `leader`, `founder`, `executive`.
    #[serde(default)]
    pub role: BTreeMap<String, String>,
}

/// A whole mapping; the default reads the contract's own names. Unknown
/// top-level tables are refused by the check, as serde cannot deny them
/// next to a flattened map.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Mapping {
    /// What the mapping is for (shown in explanations).
    #[serde(default)]
    pub name: String,
    /// How dates are written: `y-m-d` (default), `m/d/y` or `d/m/y`.
    #[serde(default)]
    pub dates: DateOrder,
    /// Files by contract key (`opportunities`, `stage_history`, ...).
    #[serde(flatten)]
    pub files: BTreeMap<String, FileMapping>,
    /// Value maps.
    #[serde(default)]
    pub values: ValueMaps,
}

impl Mapping {
    /// A built-in profile (`salesforce`, `hubspot`) or a TOML file's text,
    /// checked against the contract.
    pub fn parse(name: &str, text: &str) -> Result<Self, EvidenceError> {
        let error = |message: String| EvidenceError::Mapping {
            name: name.to_owned(),
            message,
        };
        let mut mapping: Self = toml::from_str(text).map_err(|e| error(e.to_string()))?;
        if mapping.name.is_empty() {
            mapping.name = name.to_owned();
        }
        mapping.check().map_err(error)?;
        Ok(mapping)
    }

    /// The built-in profile `name`, if there is one.
    pub fn profile(name: &str) -> Option<Result<Self, EvidenceError>> {
        PROFILES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, text)| Self::parse(n, text))
    }

    /// The names of the built-in profiles.
    pub fn profiles() -> impl Iterator<Item = &'static str> {
        PROFILES.iter().map(|(name, _)| *name)
    }

    /// The file name `spec` has in the export.
    pub(crate) fn file_name(&self, spec: &FileSpec) -> String {
        self.files
            .get(spec.key)
            .and_then(|f| f.file.clone())
            .unwrap_or_else(|| spec.default_name())
    }

    /// The export's header for a contract column, or `None` when the
    /// mapping declares it absent.
    pub(crate) fn column(&self, spec: &FileSpec, column: &str) -> Option<String> {
        let file = self.files.get(spec.key);
        if file.is_some_and(|f| f.absent.iter().any(|a| a == column)) {
            return None;
        }
        let renamed = file.and_then(|f| f.columns.get(column));
        Some(renamed.cloned().unwrap_or_else(|| column.to_owned()))
    }

    fn check(&self) -> Result<(), String> {
        for (key, file) in &self.files {
            let spec = FILES
                .iter()
                .find(|s| s.key == key)
                .ok_or_else(|| format!("[{key}] is not a file of the export"))?;
            for column in file.columns.keys().chain(&file.absent) {
                if !spec.columns.contains(&column.as_str()) {
                    return Err(format!("[{key}]: {column:?} is not a column of {key}"));
                }
            }
            if let Some(column) = file.absent.iter().find(|c| spec.keys.contains(&c.as_str())) {
                return Err(format!("[{key}]: {column:?} cannot be absent"));
            }
        }
        check_values("status", &self.values.status, &STATUSES)?;
        check_values("role", &self.values.role, &ROLES)
    }
}

fn check_values(
    what: &str,
    map: &BTreeMap<String, String>,
    allowed: &[&str],
) -> Result<(), String> {
    match map.values().find(|v| !allowed.contains(&v.as_str())) {
        Some(bad) => Err(format!(
            "[values.{what}]: {bad:?} is not one of {}",
            allowed.join(", ")
        )),
        None => Ok(()),
    }
}

/// Maps an export value onto the contract's `allowed` values: through the
/// mapping's `map` first (exact, then `"*"`), else the value itself,
/// case-insensitively.
pub(crate) fn map_value<'a>(
    value: &str,
    map: &'a BTreeMap<String, String>,
    allowed: &[&'static str],
) -> Option<&'a str> {
    if let Some(mapped) = map.get(value) {
        return Some(mapped);
    }
    let own = allowed.iter().find(|a| a.eq_ignore_ascii_case(value));
    own.copied()
        .or_else(|| map.get(ANY_OTHER).map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profiles_are_valid() {
        for name in Mapping::profiles() {
            let mapping = Mapping::profile(name).unwrap().unwrap();
            assert_eq!(mapping.name, name);
        }
    }

    #[test]
    fn unknown_columns_and_values_are_refused() {
        let bad_column = "[opportunities.columns]\nidd = \"Id\"\n";
        let err = Mapping::parse("m", bad_column).unwrap_err().to_string();
        assert!(
            err.contains("\"idd\" is not a column of opportunities"),
            "{err}"
        );
        let bad_value = "[values.status]\n\"Closed Won\" = \"victory\"\n";
        let err = Mapping::parse("m", bad_value).unwrap_err().to_string();
        assert!(
            err.contains("\"victory\" is not one of open, won, lost"),
            "{err}"
        );
        let key_absent = "[opportunities]\nabsent = [\"id\"]\n";
        assert!(Mapping::parse("m", key_absent).is_err());
    }

    #[test]
    fn values_map_exactly_then_by_wildcard() {
        let map: BTreeMap<String, String> = [("Closed Won", "won"), ("*", "open")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert_eq!(map_value("Closed Won", &map, &STATUSES), Some("won"));
        assert_eq!(map_value("LOST", &map, &STATUSES), Some("lost"));
        assert_eq!(map_value("Discovery", &map, &STATUSES), Some("open"));
        assert_eq!(map_value("Discovery", &BTreeMap::new(), &STATUSES), None);
    }
}
