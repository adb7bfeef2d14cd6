//! The OpenAPI 3 document of the HTTP API, generated once at start from the
//! compiled proto descriptors (never written by hand): the paths come from
//! the route table, the schemas from the messages they carry, in the proto3
//! JSON mapping (lowerCamelCase names, enums by name, 64-bit integers as
//! strings, maps as objects), with the proto comments as descriptions.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use prost::Message;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FileDescriptorSet};
use serde_json::{Map, Value, json};

use super::routes::ROUTES;
use crate::grpc::pb;

/// The document, as JSON text.
pub fn document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| generate().to_string())
}

/// Messages and enums by full name (without the leading dot), with their
/// comments.
#[derive(Default)]
struct Types {
    messages: BTreeMap<String, (DescriptorProto, Vec<i32>, usize)>,
    enums: BTreeMap<String, (prost_types::EnumDescriptorProto, Vec<i32>, usize)>,
    comments: Vec<BTreeMap<Vec<i32>, String>>,
}

/// Builds the document from the descriptor set.
fn generate() -> Value {
    let set = FileDescriptorSet::decode(pb::FILE_DESCRIPTOR_SET).unwrap_or_default();
    let types = Types::of(&set);
    let mut wanted: Vec<String> = ROUTES
        .iter()
        .flat_map(|r| r.request.into_iter().chain([r.response]))
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect();
    let mut schemas = Map::new();
    let mut seen = BTreeSet::new();
    while let Some(name) = wanted.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let schema = types.schema(&name, &mut wanted);
        schemas.insert(name, schema);
    }
    schemas.insert("Error".into(), error_schema());
    let mut paths = Map::new();
    for route in ROUTES {
        let entry = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| json!({}));
        entry[route.method] = operation(route);
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "maturity-engine HTTP/JSON API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "MaturityService over HTTP/1.1 and JSON, in the proto3 JSON mapping. \
                Generated from proto/maturity/v1/maturity.proto. Errors are \
                {\"code\", \"message\", \"details\"} with the HTTP status Google's API design \
                guide gives each gRPC code. A metric's value may be written plainly \
                (0.6, true, \"text\") as well as {\"number\": 0.6}. Deadlines: a grpc-timeout \
                header or a `timeout` query parameter (2s, 500ms). Bearer tokens in \
                Authorization when the server requires them."
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } }
        }
    })
}

/// One route's operation.
fn operation(route: &super::routes::Route) -> Value {
    let content_type = if route.lines {
        "application/x-ndjson"
    } else {
        "application/json"
    };
    let mut op = json!({
        "operationId": route.operation,
        "summary": route.summary,
        "security": [{}, { "bearer": [] }],
        "parameters": [{
            "name": "timeout", "in": "query", "required": false,
            "description": "The call's deadline, e.g. 2s or 500ms (or a grpc-timeout header).",
            "schema": { "type": "string" }
        }],
        "responses": {
            "200": {
                "description": "OK",
                "content": { content_type: { "schema": schema_ref(route.response) } }
            },
            "default": {
                "description": "An error: the gRPC status code by name, its message and details.",
                "content": { "application/json": { "schema": schema_ref("Error") } }
            }
        }
    });
    if route.response.is_empty() {
        op["responses"]["200"]["content"] =
            json!({ "application/json": { "schema": { "type": "object" } } });
    }
    if route.path.contains("{model}") {
        if let Some(parameters) = op["parameters"].as_array_mut() {
            parameters.push(json!({
                "name": "model", "in": "path", "required": true,
                "description": "The model's id, as /v1/models lists it.",
                "schema": { "type": "string" }
            }));
        }
    }
    if let Some(request) = route.request {
        op["requestBody"] = json!({
            "required": true,
            "content": { content_type: { "schema": schema_ref(request) } }
        });
    }
    op
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// The error shape.
fn error_schema() -> Value {
    json!({
        "type": "object",
        "description": "A failed call: a google.rpc.Status with its code by name.",
        "properties": {
            "code": { "type": "string", "description": "The gRPC status code, e.g. INVALID_ARGUMENT." },
            "message": { "type": "string" },
            "details": {
                "type": "array",
                "description": "Typed details, e.g. a google.rpc.BadRequest with fieldViolations.",
                "items": { "type": "object", "properties": { "@type": { "type": "string" } } }
            }
        },
        "required": ["code", "message"]
    })
}

impl Types {
    fn of(set: &FileDescriptorSet) -> Self {
        let mut types = Types::default();
        for (index, file) in set.file.iter().enumerate() {
            let mut comments = BTreeMap::new();
            if let Some(info) = &file.source_code_info {
                for location in &info.location {
                    let text = location.leading_comments().trim();
                    if !text.is_empty() {
                        comments.insert(
                            location.path.clone(),
                            text.split_whitespace().collect::<Vec<_>>().join(" "),
                        );
                    }
                }
            }
            types.comments.push(comments);
            let package = file.package();
            for (i, message) in file.message_type.iter().enumerate() {
                types.add_message(package, message, vec![4, i as i32], index);
            }
            for (i, e) in file.enum_type.iter().enumerate() {
                let name = format!("{package}.{}", e.name());
                types
                    .enums
                    .insert(name, (e.clone(), vec![5, i as i32], index));
            }
        }
        types
    }

    fn add_message(&mut self, scope: &str, message: &DescriptorProto, path: Vec<i32>, file: usize) {
        let name = format!("{scope}.{}", message.name());
        for (i, nested) in message.nested_type.iter().enumerate() {
            let mut nested_path = path.clone();
            nested_path.extend([3, i as i32]);
            self.add_message(&name, nested, nested_path, file);
        }
        for (i, e) in message.enum_type.iter().enumerate() {
            let mut enum_path = path.clone();
            enum_path.extend([4, i as i32]);
            self.enums
                .insert(format!("{name}.{}", e.name()), (e.clone(), enum_path, file));
        }
        self.messages.insert(name, (message.clone(), path, file));
    }

    fn comment(&self, file: usize, path: &[i32]) -> Option<&String> {
        self.comments.get(file).and_then(|c| c.get(path))
    }

    /// The schema of message or enum `name`, queuing the types it uses.
    fn schema(&self, name: &str, wanted: &mut Vec<String>) -> Value {
        if name == "google.rpc.Status" {
            return error_schema();
        }
        if let Some((e, path, file)) = self.enums.get(name) {
            let values: Vec<&str> = e.value.iter().map(|v| v.name()).collect();
            let mut schema = json!({ "type": "string", "enum": values });
            if let Some(text) = self.comment(*file, path) {
                schema["description"] = json!(text);
            }
            return schema;
        }
        let Some((message, path, file)) = self.messages.get(name) else {
            return json!({ "type": "object" });
        };
        let mut properties = Map::new();
        for (i, field) in message.field.iter().enumerate() {
            let mut schema = self.field_schema(field, wanted);
            let mut field_path = path.clone();
            field_path.extend([2, i as i32]);
            if let Some(text) = self.comment(*file, &field_path) {
                if let Some(object) = schema.as_object_mut() {
                    object.insert("description".into(), json!(text));
                }
            }
            properties.insert(field.json_name().to_owned(), schema);
        }
        let mut schema = json!({ "type": "object", "properties": properties });
        if let Some(text) = self.comment(*file, path) {
            schema["description"] = json!(text);
        }
        if name == "maturity.v1.MetricValue" {
            // Readers also take a plain value for convenience.
            schema = json!({ "oneOf": [schema, { "type": "number" }, { "type": "boolean" }, { "type": "string" }] });
        }
        schema
    }

    /// A field's schema: a map, a list or one value.
    fn field_schema(
        &self,
        field: &prost_types::FieldDescriptorProto,
        wanted: &mut Vec<String>,
    ) -> Value {
        let type_name = field.type_name().trim_start_matches('.');
        if field.r#type() == Type::Message {
            if let Some((entry, _, _)) = self.messages.get(type_name) {
                if entry.options.as_ref().is_some_and(|o| o.map_entry()) {
                    let value = entry.field.iter().find(|f| f.number() == 2);
                    let value = value.map_or(json!({}), |v| self.value_schema(v, wanted));
                    return json!({ "type": "object", "additionalProperties": value });
                }
            }
        }
        let one = self.value_schema(field, wanted);
        if field.label() == Label::Repeated {
            json!({ "type": "array", "items": one })
        } else {
            one
        }
    }

    /// The schema of one value of `field`.
    fn value_schema(
        &self,
        field: &prost_types::FieldDescriptorProto,
        wanted: &mut Vec<String>,
    ) -> Value {
        match field.r#type() {
            Type::Double | Type::Float => json!({ "type": "number" }),
            Type::Int32 | Type::Sint32 | Type::Sfixed32 => {
                json!({ "type": "integer", "format": "int32" })
            }
            Type::Uint32 | Type::Fixed32 => {
                json!({ "type": "integer", "format": "int64", "minimum": 0 })
            }
            Type::Int64 | Type::Sint64 | Type::Sfixed64 | Type::Uint64 | Type::Fixed64 => {
                json!({ "type": "string", "format": "int64" })
            }
            Type::Bool => json!({ "type": "boolean" }),
            Type::String => json!({ "type": "string" }),
            Type::Bytes => json!({ "type": "string", "format": "byte" }),
            Type::Enum | Type::Message | Type::Group => {
                let name = field.type_name().trim_start_matches('.').to_owned();
                let reference = schema_ref(&name);
                wanted.push(name);
                reference
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_describes_every_route_and_the_messages_they_carry() {
        let doc: Value = serde_json::from_str(document()).unwrap();
        for route in ROUTES {
            assert!(
                doc["paths"][route.path][route.method].is_object(),
                "{}",
                route.path
            );
        }
        let assessment = &doc["components"]["schemas"]["maturity.v1.Assessment"];
        assert!(
            assessment["properties"]["scriptSha256"].is_object(),
            "{assessment}"
        );
        assert!(assessment["properties"]["nextLevel"]["$ref"].is_string());
        let view = &doc["components"]["schemas"]["maturity.v1.View"];
        assert_eq!(view["enum"][1], "VIEW_BASIC");
        let request = &doc["components"]["schemas"]["maturity.v1.AssessRequest"];
        assert_eq!(request["properties"]["metrics"]["type"], "object");
        assert!(
            request["properties"]["subjectId"]["description"].is_string(),
            "{request}"
        );
    }
}
