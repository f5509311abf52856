//! Compiles the proto files under proto/ into Rust with tonic-prost-build,
//! using the vendored protoc (no system protoc needed), and writes the
//! descriptor set that server reflection serves.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    // Build scripts are single-threaded, so setting the variable here is sound.
    std::env::set_var("PROTOC", protoc);
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let protos = ["proto/ram/v1/ram.proto", "proto/ram/admin/v1/admin.proto"];
    for p in &protos {
        println!("cargo:rerun-if-changed={p}");
    }
    println!("cargo:rerun-if-changed=build.rs");
    // Type names (`prost::Name`) let the api layer find a request's
    // descriptor, which drives the generic size limits.
    let mut config = tonic_prost_build::Config::new();
    config.enable_type_names();
    tonic_prost_build::configure()
        .file_descriptor_set_path(out.join("ramd_descriptor.bin"))
        .btree_map(".")
        .compile_with_config(config, &protos, &["proto"])?;
    Ok(())
}
