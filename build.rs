//! Compiles the protobuf API with protox, so the build needs no `protoc`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = [
        "proto/maturity/v1/maturity.proto",
        "proto/google/rpc/status.proto",
        // Not imported by the API, but served by reflection so a client
        // without stubs can decode the details of an error
        // (google.rpc.BadRequest).
        "proto/google/rpc/error_details.proto",
    ];
    for proto in protos {
        println!("cargo:rerun-if-changed={proto}");
    }
    let descriptors = protox::compile(protos, ["proto"])?;
    let out_dir = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    // Reflection serves these descriptors; compile_fds does not write them.
    let encoded = prost::Message::encode_to_vec(&descriptors);
    std::fs::write(out_dir.join("maturity_descriptor.bin"), &encoded)?;
    tonic_prost_build::configure()
        // google.rpc.Status is tonic-types' own, so statuses convert freely.
        .extern_path(".google.rpc", "::tonic_types::pb")
        // Metrics arrive as a map: decoded into a sorted map, they become the
        // engine's own (sorted) map without hashing a single name.
        .btree_map(".")
        // Counts an AssessRequest's metrics before decoding them.
        .codec_path("crate::grpc::codec::WireCodec")
        .compile_fds(descriptors)?;
    // The proto3 JSON mapping of every maturity.v1 message, as serde impls.
    // AssessStreamResponse carries a google.rpc.Status (tonic-types' type,
    // which has no serde impls): its JSON is written by hand, in the error
    // shape of the HTTP API.
    pbjson_build::Builder::new()
        .register_descriptors(&encoded)?
        .btree_map(["."])
        .exclude([".maturity.v1.AssessStreamResponse"])
        .build(&[".maturity.v1"])?;
    Ok(())
}
