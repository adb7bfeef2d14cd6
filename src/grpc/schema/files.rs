//! The JSON Schemas of the files people write by hand, generated from the
//! proto descriptors (shipped as docs/schema/*.schema.json, printed by
//! `maturity schema`): a test case, and a metrics file as `maturity assess
//! --metrics` reads it.

use serde_json::{Map, Value, json};

use super::descriptors::{Style, Types};

const STYLE: Style = Style {
    refs: "#/$defs/",
    strict: true,
};
const REQUEST: &str = "maturity.v1.AssessRequest";
const EXPECTATION: &str = "maturity.v1.Expectation";
const DRAFT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The fields of an AssessRequest a case may set; the others (explain,
/// view, requestId, scriptSha256) are the test runner's to choose.
const CASE_FIELDS: [&str; 4] = ["model", "metrics", "subjectId", "targetRank"];

/// A test case file (tests/MODEL/NAME.json).
pub fn case_file() -> Value {
    let types = Types::of_api();
    let mut wanted = Vec::new();
    let mut properties = case_own_properties();
    properties.extend(types.properties(REQUEST, Some(&CASE_FIELDS), STYLE, &mut wanted));
    properties.insert(
        "expect".into(),
        json!({ "$ref": format!("{}{EXPECTATION}", STYLE.refs) }),
    );
    wanted.push(EXPECTATION.into());
    let defs = definitions(&types, wanted);
    json!({
        "$schema": DRAFT,
        "title": "maturity-engine test case",
        "description": "An example organisation and what its model must say about it: an \
            AssessRequest in the proto3 JSON mapping (model, metrics, and optionally subjectId \
            and targetRank) with the case's name, why it exists and expect. Generated from \
            proto/maturity/v1/maturity.proto by `maturity schema case`.",
        "type": "object",
        "properties": properties,
        "required": ["name", "model", "metrics", "expect"],
        "additionalProperties": false,
        "$defs": defs,
    })
}

/// A metrics file: an object of metrics by name, or an AssessRequest in
/// the proto3 JSON mapping (which a case file is too).
pub fn metrics_file() -> Value {
    let types = Types::of_api();
    let mut wanted = Vec::new();
    let mut properties = types.properties(REQUEST, None, STYLE, &mut wanted);
    properties.extend(case_own_properties());
    properties.insert(
        "expect".into(),
        json!({ "$ref": format!("{}{EXPECTATION}", STYLE.refs) }),
    );
    wanted.push(EXPECTATION.into());
    let defs = definitions(&types, wanted);
    let metric = json!({ "$ref": format!("{}maturity.v1.MetricValue", STYLE.refs) });
    json!({
        "$schema": DRAFT,
        "title": "maturity-engine metrics file",
        "description": "One organisation, as `maturity assess --metrics` reads it: an object of \
            metric name to value (plain, or a MetricValue in the proto3 JSON mapping), or an \
            AssessRequest in the proto3 JSON mapping (with \"metrics\"), which may carry a \
            case file's name, why and expect. Generated from proto/maturity/v1/maturity.proto \
            by `maturity schema metrics`.",
        "anyOf": [
            {
                "title": "An AssessRequest",
                "type": "object",
                "properties": properties,
                "required": ["metrics"],
                "additionalProperties": false
            },
            {
                "title": "An object of metrics",
                "type": "object",
                "additionalProperties": metric,
                "not": { "required": ["metrics"], "properties": { "metrics": { "type": "object" } } }
            }
        ],
        "$defs": defs,
    })
}

/// A case's own keys, beside the request's.
fn case_own_properties() -> Map<String, Value> {
    let mut properties = Map::new();
    properties.insert(
        "name".into(),
        json!({ "type": "string", "description": "The case's name; the subject id when subjectId is absent." }),
    );
    properties.insert(
        "why".into(),
        json!({ "type": "string", "description": "Why the case exists." }),
    );
    properties
}

/// The schemas of the types used, an expectation naming its rank and its
/// level (by either spelling), as the reader requires.
fn definitions(types: &Types, wanted: Vec<String>) -> Map<String, Value> {
    let roots: Vec<&str> = wanted.iter().map(String::as_str).collect();
    let mut defs = types.closure(&roots, STYLE);
    if let Some(Value::Object(expectation)) = defs.get_mut(EXPECTATION) {
        expectation.insert("required".into(), json!(["rank"]));
        let level = json!([{ "required": ["levelId"] }, { "required": ["level_id"] }]);
        expectation.insert("anyOf".into(), level);
    }
    defs
}
