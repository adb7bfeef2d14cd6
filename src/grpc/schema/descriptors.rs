//! JSON Schemas of the API's messages, read off the compiled proto
//! descriptors: the proto3 JSON mapping (lowerCamelCase names, enums by
//! name, 64-bit integers as strings, maps as objects) with the proto
//! comments as descriptions. The OpenAPI document and the schemas of the
//! files people write (docs/schema/) are both built from it.

use std::collections::{BTreeMap, BTreeSet};

use prost::Message;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, EnumDescriptorProto, FieldDescriptorProto, FileDescriptorSet};
use serde_json::{Map, Value, json};

use crate::grpc::pb;

/// How the schemas are written.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// What a reference to another type starts with, e.g.
    /// `#/components/schemas/` (OpenAPI) or `#/$defs/` (JSON Schema).
    pub refs: &'static str,
    /// As a reader of hand-written files checks them: a message admits its
    /// fields' proto names too (the mapping asks readers to accept them) and
    /// nothing else, and a MetricValue holds exactly one value.
    pub strict: bool,
}

/// The messages and enums of the API, by full name (without the leading
/// dot), with their comments.
#[derive(Debug, Default)]
pub struct Types {
    messages: BTreeMap<String, (DescriptorProto, Vec<i32>, usize)>,
    enums: BTreeMap<String, (EnumDescriptorProto, Vec<i32>, usize)>,
    comments: Vec<BTreeMap<Vec<i32>, String>>,
}

impl Types {
    /// The API's types, from the descriptor set compiled into the binary.
    pub fn of_api() -> Self {
        let set = FileDescriptorSet::decode(pb::FILE_DESCRIPTOR_SET).unwrap_or_default();
        Self::of(&set)
    }

    fn of(set: &FileDescriptorSet) -> Self {
        let mut types = Types::default();
        for (index, file) in set.file.iter().enumerate() {
            let mut comments = BTreeMap::new();
            for location in file.source_code_info.iter().flat_map(|i| &i.location) {
                let text = location.leading_comments().trim();
                if !text.is_empty() {
                    let words: Vec<&str> = text.split_whitespace().collect();
                    comments.insert(location.path.clone(), words.join(" "));
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

    /// The schemas of `roots` and of every type they use, by full name.
    pub fn closure(&self, roots: &[&str], style: Style) -> Map<String, Value> {
        let mut wanted: Vec<String> = roots.iter().map(|r| (*r).to_owned()).collect();
        let mut schemas = Map::new();
        let mut seen = BTreeSet::new();
        while let Some(name) = wanted.pop() {
            if seen.insert(name.clone()) {
                let schema = self.schema(&name, style, &mut wanted);
                schemas.insert(name, schema);
            }
        }
        schemas
    }

    /// The schema of message or enum `name`, queuing the types it uses.
    pub fn schema(&self, name: &str, style: Style, wanted: &mut Vec<String>) -> Value {
        if name == "google.rpc.Status" {
            return error_schema();
        }
        if let Some((e, path, file)) = self.enums.get(name) {
            let values: Vec<&str> = e.value.iter().map(|v| v.name()).collect();
            let mut schema = json!({ "type": "string", "enum": values });
            if style.strict {
                // Readers of the mapping take an enum's number too.
                let numbers: Vec<i32> = e.value.iter().map(|v| v.number()).collect();
                schema = json!({ "oneOf": [schema, { "type": "integer", "enum": numbers }] });
            }
            if let Some(text) = self.comment(*file, path) {
                schema["description"] = json!(text);
            }
            return schema;
        }
        let Some((_, path, file)) = self.messages.get(name) else {
            return json!({ "type": "object" });
        };
        let mut schema =
            json!({ "type": "object", "properties": self.properties(name, None, style, wanted) });
        if let Some(text) = self.comment(*file, path) {
            schema["description"] = json!(text);
        }
        if style.strict {
            schema["additionalProperties"] = json!(false);
        }
        if name == "maturity.v1.MetricValue" {
            if style.strict {
                schema["minProperties"] = json!(1);
                schema["maxProperties"] = json!(1);
            }
            // Readers also take a plain value for convenience.
            schema = json!({ "oneOf": [schema, { "type": "number" }, { "type": "boolean" }, { "type": "string" }] });
        }
        schema
    }

    /// The properties of message `name`, each field under its JSON name
    /// (and, strictly, under its proto name too), queuing the types used;
    /// with `only`, just the fields of those JSON names.
    pub fn properties(
        &self,
        name: &str,
        only: Option<&[&str]>,
        style: Style,
        wanted: &mut Vec<String>,
    ) -> Map<String, Value> {
        let mut properties = Map::new();
        let Some((message, path, file)) = self.messages.get(name) else {
            return properties;
        };
        for (i, field) in message.field.iter().enumerate() {
            if only.is_some_and(|only| !only.contains(&field.json_name())) {
                continue;
            }
            let mut schema = self.field_schema(field, style, wanted);
            let mut field_path = path.clone();
            field_path.extend([2, i as i32]);
            if let (Some(text), Some(object)) =
                (self.comment(*file, &field_path), schema.as_object_mut())
            {
                object.insert("description".into(), json!(text));
            }
            if style.strict && field.name() != field.json_name() {
                let mut alias = schema.clone();
                alias["description"] =
                    json!(format!("`{}`, by its proto name.", field.json_name()));
                properties.insert(field.name().to_owned(), alias);
            }
            properties.insert(field.json_name().to_owned(), schema);
        }
        properties
    }

    /// A field's schema: a map, a list or one value.
    fn field_schema(
        &self,
        field: &FieldDescriptorProto,
        style: Style,
        wanted: &mut Vec<String>,
    ) -> Value {
        let type_name = field.type_name().trim_start_matches('.');
        if field.r#type() == Type::Message {
            if let Some((entry, _, _)) = self.messages.get(type_name) {
                if entry.options.as_ref().is_some_and(|o| o.map_entry()) {
                    let value = entry.field.iter().find(|f| f.number() == 2);
                    let value = value.map_or(json!({}), |v| self.value_schema(v, style, wanted));
                    return json!({ "type": "object", "additionalProperties": value });
                }
            }
        }
        let one = self.value_schema(field, style, wanted);
        if field.label() == Label::Repeated {
            json!({ "type": "array", "items": one })
        } else {
            one
        }
    }

    /// The schema of one value of `field`.
    fn value_schema(
        &self,
        field: &FieldDescriptorProto,
        style: Style,
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
                let reference = json!({ "$ref": format!("{}{name}", style.refs) });
                wanted.push(name);
                reference
            }
        }
    }
}

/// The error shape: a google.rpc.Status with its code by name.
pub fn error_schema() -> Value {
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
