//! A metric as a model declares it: its kind, bounds and which way is better,
//! and the rule that checks a supplied value against that declaration.

use serde::{Deserialize, Serialize};

use crate::engine::value::MetricValue;

/// The kind of value a metric takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    /// A number in [0, 1].
    Ratio,
    /// A finite number, within the declared bounds.
    Number,
    /// A whole number >= 0, at most the declared maximum.
    Count,
    /// true or false.
    Flag,
    /// A string, one of the allowed values when any are declared.
    Text,
}

impl MetricKind {
    /// Parses the name a script uses for the kind.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "ratio" => Self::Ratio,
            "number" => Self::Number,
            "count" => Self::Count,
            "flag" => Self::Flag,
            "text" => Self::Text,
            _ => return None,
        })
    }

    /// The name a script uses for the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ratio => "ratio",
            Self::Number => "number",
            Self::Count => "count",
            Self::Flag => "flag",
            Self::Text => "text",
        }
    }
}

/// Which way a metric improves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Higher values are better.
    Higher,
    /// Lower values are better.
    Lower,
    /// `true` is better.
    True,
    /// `false` is better (e.g. the chief executive acting as head of sales).
    False,
    /// Neither way is better: the metric gives context only.
    None,
}

impl Direction {
    /// The name a script uses for the direction.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Higher => "higher",
            Self::Lower => "lower",
            Self::True => "true",
            Self::False => "false",
            Self::None => "none",
        }
    }

    /// Parses the name a script uses for the direction ("-" means none).
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "higher" => Self::Higher,
            "lower" => Self::Lower,
            "true" => Self::True,
            "false" => Self::False,
            "none" | "-" => Self::None,
            _ => return None,
        })
    }
}

/// The best value assumed for a metric whose better end is open.
const FAR: f64 = 1e9;

/// A metric a model reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSpec {
    /// The metric's name in the request.
    pub name: String,
    /// The kind of value it takes.
    pub kind: MetricKind,
    /// Inclusive lower bound, if any.
    pub min: Option<f64>,
    /// Inclusive upper bound, if any.
    pub max: Option<f64>,
    /// Which way is better.
    pub direction: Direction,
    /// What it measures.
    pub description: String,
    /// For text metrics, the accepted values (any when empty).
    pub allowed: Vec<String>,
}

impl MetricSpec {
    /// Checks a supplied value against the declaration, returning the broken
    /// rule in plain words (naming the expected kind, the bound and the value).
    pub fn check(&self, value: &MetricValue) -> Result<(), String> {
        match (self.kind, value) {
            (MetricKind::Flag, MetricValue::Flag(_)) => Ok(()),
            (MetricKind::Text, MetricValue::Text(text)) => self.check_text(text),
            (
                MetricKind::Ratio | MetricKind::Number | MetricKind::Count,
                MetricValue::Number(n),
            ) => self.check_number(*n),
            (kind, other) => Err(format!(
                "expected a {} ({}), got {}",
                kind.as_str(),
                self.kind_hint(),
                other.describe()
            )),
        }
    }

    fn check_number(&self, n: f64) -> Result<(), String> {
        if !n.is_finite() {
            return Err(format!("must be a finite number, got {n}"));
        }
        if self.kind == MetricKind::Count && n.fract() != 0.0 {
            return Err(format!(
                "must be a whole number, got {}",
                MetricValue::Number(n).readable()
            ));
        }
        let below = self.min.is_some_and(|min| n < min);
        let above = self.max.is_some_and(|max| n > max);
        if below || above {
            let got = MetricValue::Number(n).readable();
            return Err(format!("must be in {}, got {got}", self.range_text()));
        }
        Ok(())
    }

    fn check_text(&self, text: &str) -> Result<(), String> {
        if self.allowed.is_empty() || self.allowed.iter().any(|a| a == text) {
            Ok(())
        } else {
            let allowed = self.allowed.join(", ");
            Err(format!("must be one of [{allowed}], got \"{text}\""))
        }
    }

    /// The accepted range, e.g. "[0, 1]" or "[1, +inf)".
    pub fn range_text(&self) -> String {
        let low = self.min.map_or("(-inf".to_owned(), |v| format!("[{v}"));
        let high = self.max.map_or("+inf)".to_owned(), |v| format!("{v}]"));
        format!("{low}, {high}")
    }

    /// The value at the better end of the metric's range, far out when that
    /// end is open; `None` when neither way is better.
    pub fn best_value(&self) -> Option<MetricValue> {
        let number = |x: f64| match self.kind {
            MetricKind::Count => MetricValue::Number(x.round()),
            _ => MetricValue::Number(x),
        };
        match self.direction {
            Direction::True => Some(MetricValue::Flag(true)),
            Direction::False => Some(MetricValue::Flag(false)),
            Direction::Higher => Some(number(self.max.unwrap_or(FAR))),
            Direction::Lower => Some(number(self.min.unwrap_or(-FAR))),
            Direction::None => None,
        }
    }

    /// Values a load-time probe tries for the metric, its best one first:
    /// both flags, the allowed texts, or numbers across its range (both
    /// ends, twentieths of a bounded range, small counts and round figures),
    /// so a band (`>= 3 && <= 8`) or an exact value (`== 3`) is met by one.
    pub(crate) fn sample_values(&self) -> Vec<MetricValue> {
        let mut samples: Vec<MetricValue> = self.best_value().into_iter().collect();
        let others = match self.kind {
            MetricKind::Flag => vec![MetricValue::Flag(true), MetricValue::Flag(false)],
            MetricKind::Text if self.allowed.is_empty() => vec![MetricValue::Text(String::new())],
            MetricKind::Text => self
                .allowed
                .iter()
                .map(|a| MetricValue::Text(a.clone()))
                .take(4)
                .collect(),
            _ => self
                .sample_numbers()
                .into_iter()
                .map(MetricValue::Number)
                .collect(),
        };
        for value in others {
            if !samples.contains(&value) {
                samples.push(value);
            }
        }
        samples
    }

    /// The numbers `sample_values` tries, within the range, whole for a count.
    fn sample_numbers(&self) -> Vec<f64> {
        const ROUND: [f64; 20] = [
            12.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0, 75.0, 80.0, 90.0, 100.0, 150.0, 200.0,
            500.0, 1e3, 1e4, 1e5, 1e6, FAR,
        ];
        let (low, high) = (self.min.unwrap_or(-FAR), self.max.unwrap_or(FAR));
        let mut numbers = vec![low, high];
        if let (Some(min), Some(max)) = (self.min, self.max) {
            numbers.extend((1..20).map(|i| min + (max - min) * f64::from(i) / 20.0));
        }
        numbers.extend((0..=10).map(f64::from));
        numbers.extend(ROUND);
        numbers.extend(ROUND.map(|x| -x));
        let mut kept: Vec<f64> = Vec::new();
        for n in numbers {
            let n = if self.kind == MetricKind::Count {
                n.round()
            } else {
                n
            };
            if (low..=high).contains(&n) && !kept.contains(&n) {
                kept.push(n);
            }
        }
        kept
    }

    fn kind_hint(&self) -> &'static str {
        match self.kind {
            MetricKind::Flag => "true or false",
            MetricKind::Text => "a string",
            _ => "a number",
        }
    }
}
