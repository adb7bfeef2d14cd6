//! Reading a request's JSON as the proto3 JSON mapping reads it, where
//! serde_json and the generated readers differ: an object may not name a
//! key twice, `null` stands for a field's default, and an integer field
//! takes any integral number (`3.0`, `1e0`).

use std::fmt;

use serde::Deserializer;
use serde::de::{self, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// The JSON document in `text`, a leading UTF-8 byte-order mark skipped;
/// an error when an object names a key twice (which serde_json would let
/// the last one win silently).
pub fn parse(text: &[u8]) -> Result<Value, serde_json::Error> {
    let mut reader = serde_json::Deserializer::from_slice(super::json::without_bom(text));
    let value = reader.deserialize_any(UniqueKeys)?;
    reader.end()?;
    Ok(value)
}

/// `request` (an AssessRequest's JSON) with what the mapping reads as a
/// default made so for the generated reader: a `null` field is left out, a
/// metric whose value is `null` is not supplied (so it is reported missing,
/// never read as poor), and an integral `targetRank` or numbered `view`
/// written as a float is an integer.
pub fn defaults_made_plain(request: &mut Value) {
    let Value::Object(fields) = request else {
        return;
    };
    fields.retain(|_, value| !value.is_null());
    if let Some(Value::Object(metrics)) = fields.get_mut("metrics") {
        metrics.retain(|_, value| !value.is_null());
    }
    for name in ["targetRank", "target_rank", "view"] {
        if let Some(value) = fields.get_mut(name) {
            integral_as_integer(value);
        }
    }
}

/// A float with no fraction that fits an i32 made an integer.
fn integral_as_integer(value: &mut Value) {
    let Some(x) = value
        .as_f64()
        .filter(|_| !value.is_i64() && !value.is_u64())
    else {
        return;
    };
    if x.fract() == 0.0 && x >= f64::from(i32::MIN) && x <= f64::from(i32::MAX) {
        // In range and integral: the conversion is exact.
        *value = Value::from(x as i64);
    }
}

/// Builds a `Value` as serde_json does, refusing a repeated key.
struct UniqueKeys;

impl<'de> Visitor<'de> for UniqueKeys {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::from(n))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::from(n))
    }

    fn visit_f64<E>(self, x: f64) -> Result<Value, E> {
        Ok(Value::from(x))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Value, A::Error> {
        let mut array = Vec::new();
        while let Some(item) = items.next_element_seed(Seed)? {
            array.push(item);
        }
        Ok(Value::Array(array))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = entries.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(A::Error::custom(format!("the key \"{key}\" appears twice")));
            }
            let value = entries.next_value_seed(Seed)?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// A nested value, read by `UniqueKeys` too.
struct Seed;

impl<'de> de::DeserializeSeed<'de> for Seed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, reader: D) -> Result<Value, D::Error> {
        reader.deserialize_any(UniqueKeys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_key_twice_is_refused_at_any_depth() {
        let twice = br#"{"metrics": {"a": 1, "b": [{"c": 1, "c": 2}]}}"#;
        let err = parse(twice).unwrap_err().to_string();
        assert!(err.contains("the key \"c\" appears twice"), "{err}");
        let once = br#"{"metrics": {"a": 1.5, "b": [true, null, "x", -3]}}"#;
        let value = parse(once).unwrap();
        assert_eq!(
            value,
            json!({"metrics": {"a": 1.5, "b": [true, null, "x", -3]}})
        );
        assert!(parse(b"\xEF\xBB\xBF{}").unwrap().is_object());
        assert!(parse(b"{} {}").is_err());
    }

    #[test]
    fn nulls_are_defaults_and_integral_ranks_are_integers() {
        let mut request = json!({
            "subjectId": null, "targetRank": 3.0, "view": 1e0,
            "metrics": {"a": null, "b": 0.5}
        });
        defaults_made_plain(&mut request);
        assert_eq!(
            request,
            json!({"targetRank": 3, "view": 1, "metrics": {"b": 0.5}})
        );
        let mut fraction = json!({"targetRank": 2.5});
        defaults_made_plain(&mut fraction);
        assert_eq!(fraction, json!({"targetRank": 2.5}));
    }
}
