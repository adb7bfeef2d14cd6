//! The values an organisation's metrics take, and the map a caller sends
//! them in. A leaf: everything else in the engine imports it, it imports
//! nothing of the engine.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One supplied metric value. Read plain (`0.6`, `true`, `"text"`) or as
/// the API's JSON mapping writes it (`{"number": 0.6}`, `{"flag": true}`,
/// `{"text": "text"}`); written in the mapping, so every JSON the project
/// writes has one shape.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged, try_from = "ReadValue")]
pub enum MetricValue {
    /// For ratio, number and count metrics.
    Number(f64),
    /// For flag metrics.
    Flag(bool),
    /// For text metrics.
    Text(String),
}

/// What a metric value is read from: plain, or as its JSON mapping.
#[derive(Deserialize)]
#[serde(untagged)]
enum ReadValue {
    Number(f64),
    Flag(bool),
    Text(String),
    Mapped(Mapped),
}

/// A MetricValue in the API's JSON mapping: exactly one of its fields.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Mapped {
    number: Option<f64>,
    flag: Option<bool>,
    text: Option<String>,
}

impl Serialize for MetricValue {
    fn serialize<S: serde::Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = out.serialize_map(Some(1))?;
        match self {
            Self::Number(n) => map.serialize_entry("number", n)?,
            Self::Flag(b) => map.serialize_entry("flag", b)?,
            Self::Text(t) => map.serialize_entry("text", t)?,
        }
        map.end()
    }
}

impl TryFrom<ReadValue> for MetricValue {
    type Error = &'static str;

    fn try_from(read: ReadValue) -> Result<Self, Self::Error> {
        Ok(match read {
            ReadValue::Number(n) => Self::Number(n),
            ReadValue::Flag(b) => Self::Flag(b),
            ReadValue::Text(t) => Self::Text(t),
            ReadValue::Mapped(Mapped {
                number: Some(n),
                flag: None,
                text: None,
            }) => Self::Number(n),
            ReadValue::Mapped(Mapped {
                number: None,
                flag: Some(b),
                text: None,
            }) => Self::Flag(b),
            ReadValue::Mapped(Mapped {
                number: None,
                flag: None,
                text: Some(t),
            }) => Self::Text(t),
            ReadValue::Mapped(_) => {
                return Err("a metric value holds exactly one of number, flag or text");
            }
        })
    }
}

impl MetricValue {
    /// Names the value's kind and the value itself, for error messages.
    pub fn describe(&self) -> String {
        match self {
            Self::Number(n) => format!("the number {n}"),
            Self::Flag(b) => format!("the flag {b}"),
            Self::Text(t) => format!("the text \"{}\"", shorten(t)),
        }
    }
}

impl MetricValue {
    /// The value as a person reads it in a report: a number to six
    /// significant digits (0.458333, not 0.45833333333333426; whole numbers
    /// as they are), anything else as displayed.
    pub fn readable(&self) -> String {
        match self {
            Self::Number(n) => readable_number(*n),
            other => other.to_string(),
        }
    }
}

/// `n` to six significant digits, without trailing zeros; in exponent
/// form beyond a quadrillion, where whole numbers would run to hundreds of
/// digits.
fn readable_number(n: f64) -> String {
    if n.is_finite() && n.abs() >= 1e15 {
        return format!("{n:e}");
    }
    if n == 0.0 || !n.is_finite() || n.fract() == 0.0 {
        return n.to_string();
    }
    let decimals = 5 - n.abs().log10().floor() as i32;
    if decimals <= 0 {
        return format!("{n:.0}");
    }
    let text = format!("{n:.*}", decimals as usize);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

impl std::fmt::Display for MetricValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::Flag(b) => write!(f, "{b}"),
            Self::Text(t) => write!(f, "\"{}\"", shorten(t)),
        }
    }
}

/// An organisation's metrics by name.
pub type Metrics = BTreeMap<String, MetricValue>;

/// The first 32 characters of `text`, so errors never echo huge inputs.
pub(crate) fn shorten(text: &str) -> &str {
    match text.char_indices().nth(32) {
        Some((cut, _)) => &text[..cut],
        None => text,
    }
}

/// A text a model declares (an id, a name, a description, a title), shared
/// by every answer that quotes it instead of copied into each: cloning one
/// is a reference count, not an allocation.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Text(std::sync::Arc<str>);

impl Text {
    /// The text as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Text {
    /// As a `str` displays, padding and width included.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&*self.0, f)
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Self {
        Self(text.into())
    }
}

impl From<String> for Text {
    fn from(text: String) -> Self {
        Self(text.into())
    }
}

impl From<Text> for String {
    fn from(text: Text) -> Self {
        text.0.to_string()
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        **self == *other.0
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        **self == *other.0
    }
}

/// A list of names a model declares (the metrics a criterion reads),
/// shared by every answer that quotes it.
pub type Names = std::sync::Arc<[Text]>;

#[cfg(test)]
mod readable_tests {
    use super::MetricValue;

    #[test]
    fn numbers_read_to_six_significant_digits_and_huge_ones_in_exponent_form() {
        let read = |n: f64| MetricValue::Number(n).readable();
        assert_eq!(read(0.45833333333333426), "0.458333");
        assert_eq!(read(0.6666666666666671), "0.666667");
        assert_eq!(read(0.6), "0.6");
        assert_eq!(read(30.25), "30.25");
        assert_eq!(read(-0.05), "-0.05");
        assert_eq!(read(1_000_000.0), "1000000");
        assert_eq!(read(1234567.89), "1234568");
        assert_eq!(read(0.0), "0");
        assert_eq!(read(0.094_017_094_017_094_02), "0.0940171");
        assert_eq!(read(1.7e308), "1.7e308");
        assert_eq!(read(-4.7e18), "-4.7e18");
        assert_eq!(MetricValue::Flag(true).readable(), "true");
    }
}
