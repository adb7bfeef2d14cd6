//! JSON Schemas read off the proto descriptors: those of the API's messages
//! (for the OpenAPI document) and those of the files people write.

pub mod descriptors;
pub mod files;
