//! The OpenAPI 3 document of the HTTP API, generated once at start from the
//! compiled proto descriptors (never written by hand): the paths come from
//! the route table, the schemas from the messages they carry, in the proto3
//! JSON mapping (lowerCamelCase names, enums by name, 64-bit integers as
//! strings, maps as objects), with the proto comments as descriptions.

use std::sync::OnceLock;

use serde_json::{Map, Value, json};

use super::routes::ROUTES;
use crate::grpc::schema::descriptors::{Style, Types, error_schema};

/// The document, as JSON text.
pub fn document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| generate().to_string())
}

/// Builds the document from the descriptor set.
fn generate() -> Value {
    let roots: Vec<&str> = ROUTES
        .iter()
        .flat_map(|r| r.request.into_iter().chain([r.response]))
        .filter(|name| !name.is_empty())
        .collect();
    let style = Style {
        refs: "#/components/schemas/",
        strict: false,
    };
    let mut schemas = Types::of_api().closure(&roots, style);
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
