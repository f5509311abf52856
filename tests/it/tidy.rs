//! Source tidiness: every Rust file says what it holds in a `//!` line, and
//! the core stays transport-free.

use std::fs;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn files(under: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join(under), &mut out);
    assert!(!out.is_empty(), "no Rust files under {under}");
    out
}

#[test]
fn every_file_starts_with_a_module_doc() {
    for path in files("src").into_iter().chain(files("tests")) {
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("//!"),
            "{} does not start with a //! line",
            path.display()
        );
    }
}

#[test]
fn the_core_knows_no_transport() {
    let forbidden = [
        "tonic",
        "prost",
        "tokio",
        "crate::pb",
        "crate::api",
        "hyper",
    ];
    for path in files("src/core") {
        let text = fs::read_to_string(&path).unwrap();
        for line in text.lines().map(str::trim) {
            if !(line.starts_with("use ") || line.starts_with("pub use ")) {
                continue;
            }
            for f in forbidden {
                assert!(!line.contains(f), "{} imports {f}: {line}", path.display());
            }
        }
    }
}
