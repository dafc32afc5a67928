//! Copies MapLibre GL JS from the npm installation (`frontend/node_modules`, made by
//! `npm ci --prefix frontend`) next to the compiled code, so the binary serves it itself and the
//! pages need nothing from the internet.
use std::path::PathBuf;

const FILES: &[&str] = &[
    "maplibre-gl.mjs",
    "maplibre-gl-worker.mjs",
    "maplibre-gl.css",
];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let dist = manifest.join("../../frontend/node_modules/maplibre-gl/dist");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    println!("cargo:rerun-if-changed={}", dist.display());
    for f in FILES {
        let src = dist.join(f);
        println!("cargo:rerun-if-changed={}", src.display());
        match std::fs::read(&src) {
            Ok(bytes) => std::fs::write(out.join(f), bytes).expect("OUT_DIR is writable"),
            Err(_) => {
                // Without the npm packages the server still builds and serves every page; the
                // map answers with a note on how to install it.
                println!(
                    "cargo:warning=MapLibre not found at {}: run `npm ci --prefix frontend` (scripts/demo.sh and scripts/test.sh do)",
                    src.display()
                );
                let note = if f.ends_with(".css") {
                    "/* MapLibre GL JS is not installed: run npm ci --prefix frontend and rebuild. */".to_string()
                } else {
                    "throw new Error('MapLibre GL JS is not installed: run npm ci --prefix frontend and rebuild');".to_string()
                };
                std::fs::write(out.join(f), note).expect("OUT_DIR is writable");
            }
        }
    }
}
