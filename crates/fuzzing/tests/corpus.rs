//! Runs every fuzz target over its kept corpus and its regressions: what the fuzzer found
//! once (and was fixed) stays found, on stable Rust and in every test run.

use std::path::PathBuf;

fn folder(kind: &str, target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz")
        .join(kind)
        .join(target)
}

fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir(folder(kind, target)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = dir
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_target_runs_its_corpus_and_regressions_without_a_fault() {
    for (name, run) in fuzzing::TARGETS {
        let corpus = inputs("corpus", name);
        assert!(
            !corpus.is_empty(),
            "{name}: no corpus in {}",
            folder("corpus", name).display()
        );
        let regressions = inputs("regressions", name);
        for file in corpus.iter().chain(&regressions) {
            let data = std::fs::read(file).unwrap();
            let outcome = std::panic::catch_unwind(|| run(&data));
            assert!(outcome.is_ok(), "{name}: {} fails", file.display());
        }
        eprintln!(
            "{name}: {} corpus inputs, {} regressions",
            corpus.len(),
            regressions.len()
        );
    }
}

#[test]
fn every_target_has_a_cargo_fuzz_binary() {
    let manifest = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/Cargo.toml"),
    )
    .unwrap();
    for (name, _) in fuzzing::TARGETS {
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "{name} is not in fuzz/Cargo.toml"
        );
        let src = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../../fuzz/fuzz_targets/{name}.rs"));
        let text = std::fs::read_to_string(&src).unwrap();
        assert!(
            text.contains(&format!("fuzzing::{name}(")),
            "{} does not call fuzzing::{name}",
            src.display()
        );
    }
}

/// The HTTP targets reach the handlers as a signed-in reporter, a partner and a member of the
/// public: a good seed is stored, so the fuzzer explores past the door.
#[test]
fn the_http_targets_are_signed_in_and_reach_the_store() {
    use axum::http::{Method, StatusCode};
    use fuzzing::harness::{Auth, Harness};
    let h = Harness::get();
    let seed = |t: &str, f: &str| std::fs::read(folder("corpus", t).join(f)).unwrap();
    let api = h.request(
        Method::POST,
        "/api/v1/incidents",
        Some("application/json"),
        Auth::Token,
        &seed("incident_json", "good.json"),
    );
    assert_eq!(api, Some(StatusCode::CREATED));
    let mut form = format!("csrf={}&", h.csrf).into_bytes();
    form.extend(seed("incident_form", "good.txt"));
    let page = h.request(
        Method::POST,
        "/incidents",
        Some("application/x-www-form-urlencoded"),
        Auth::Session,
        &form,
    );
    assert_eq!(page, Some(StatusCode::SEE_OTHER));
    let mut post = format!("api_key={}&jurisdiction_id=1960&", h.open311_key).into_bytes();
    post.extend(&seed("open311_form", "post.txt")[1..]);
    let open311 = h.request(
        Method::POST,
        "/open311/v2/requests.json",
        Some("application/x-www-form-urlencoded"),
        Auth::None,
        &post,
    );
    assert_eq!(open311, Some(StatusCode::OK));
    let tile = h.request(
        Method::GET,
        "/api/v1/tiles/14/8800/4700.mvt",
        None,
        Auth::Token,
        b"",
    );
    assert_eq!(tile, Some(StatusCode::OK));
}
