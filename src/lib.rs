//! maturity-engine scores how mature an organisation's sales function is.
//!
//! - [`engine`]: runs the Rhai model scripts and shapes assessments; no gRPC.
//! - [`grpc`]: the `maturity.v1` gRPC service over the engine; no Rhai.
//! - [`cli`]: the `maturity` command line (serve, assess, models).

pub mod cli;
pub mod deploy;
pub mod engine;
pub mod evidence;
pub mod grpc;
pub mod telemetry;
