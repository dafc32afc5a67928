//! Fuzz targets: every parser of outside input as a function of bytes that must never panic
//! and, for what is read through HTTP, never answer a server error (5xx).
//!
//! `fuzz/fuzz_targets/<name>.rs` hands each target to libFuzzer (`cargo fuzz run <name>`,
//! see `fuzz/README.md`); `tests/corpus.rs` runs each over its kept corpus
//! (`fuzz/corpus/<name>/`) and the inputs that once found a fault (`fuzz/regressions/<name>/`),
//! so the test suite holds what the fuzzer learnt without needing a nightly compiler.
//!
//! The HTTP targets go through the whole router (middleware, extractors, handlers, the real
//! SQLite store) of one app built once per process, signed in as a reporter, with an API token
//! and an Open311 key: what a request from outside meets.
#![forbid(unsafe_code)]

pub mod harness;

use axum::http::Method;
use harness::Harness;

/// A fuzz target: bytes in, a panic for a fault.
pub type Target = fn(&[u8]);

/// Every target, by name (the name of its corpus folder and its cargo-fuzz binary).
pub const TARGETS: &[(&str, Target)] = &[
    ("polisen_json", polisen_json),
    ("import_csv", import_csv),
    ("import_geojson", import_geojson),
    ("import_mapping", import_mapping),
    ("polygon", polygon),
    ("incident_json", incident_json),
    ("incident_form", incident_form),
    ("open311_form", open311_form),
    ("filters", filters),
    ("tile_path", tile_path),
];

/// The police's events: a line of the recorded file, a whole file, and the live API's answer.
pub fn polisen_json(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = service::polisen::read_answer(&text, "Kungsör");
    let report = service::polisen::read_events(data, "Kungsör").ok();
    if let Some(r) = report {
        assert!(r.events.len() + r.errors.len() + r.summaries_skipped + r.other_places <= r.lines);
    }
}

fn import(data: &[u8], format: service::import::Format, mapping: &service::import::Mapping) {
    let h = Harness::get();
    let parsed = service::import::parse(
        data,
        format,
        mapping,
        &h.tenant,
        &h.categories,
        &h.places,
        h.org,
        h.now,
        |_, _| {},
    );
    if let Ok(p) = parsed {
        // Every row is either good or named bad, never dropped.
        assert_eq!(p.good.len() + p.bad_rows, p.rows, "rows {}", p.rows);
        assert_eq!(p.bad_rows == 0, p.errors.is_empty());
    }
}

/// A CSV file for import (bytes as uploaded: UTF-8 or Windows-1252, any separator).
pub fn import_csv(data: &[u8]) {
    import(
        data,
        service::import::Format::Csv,
        &service::import::Mapping::default(),
    );
}

/// A GeoJSON file for import.
pub fn import_geojson(data: &[u8]) {
    import(
        data,
        service::import::Format::GeoJson,
        &service::import::Mapping::default(),
    );
}

/// A column mapping file, then a small CSV read with it.
pub fn import_mapping(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(m) = service::import::Mapping::parse(&text) {
        import(
            b"id;kategori;tid;lat;lon;beskrivning\n1;skadegorelse-klotter;2026-05-01 12:00;59.42;16.09;Klotter\n",
            service::import::Format::Csv,
            &m,
        );
    }
}

/// An area drawn on the map or pasted as GeoJSON by the coordinator.
pub fn polygon(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(shape) = geo::MultiPolygon::from_pasted(&text) {
        let (lon, lat) = shape.representative_point();
        let [w, s, e, n] = shape.bbox();
        assert!(w <= e && s <= n, "bbox {:?}", shape.bbox());
        let _ = shape.contains(lon, lat);
        // What is stored reads back as the same shape.
        let again = geo::MultiPolygon::from_pasted(&shape.to_geojson().to_string())
            .expect("a stored area reads back");
        assert_eq!(again.polygons().len(), shape.polygons().len());
    }
}

/// `POST /api/v1/incidents` with any body, as a partner system sends it.
pub fn incident_json(data: &[u8]) {
    let h = Harness::get();
    h.request(
        Method::POST,
        "/api/v1/incidents",
        Some("application/json"),
        harness::Auth::Token,
        data,
    );
}

/// `POST /incidents`: the report form, signed in, with its CSRF token.
pub fn incident_form(data: &[u8]) {
    let h = Harness::get();
    let mut body = format!("csrf={}&", h.csrf).into_bytes();
    body.extend_from_slice(data);
    h.request(
        Method::POST,
        "/incidents",
        Some("application/x-www-form-urlencoded"),
        harness::Auth::Session,
        &body,
    );
}

/// Open311: a partner's `POST requests` (form, with a valid key) when the first byte is even,
/// else the public `GET requests` with the rest as its query.
pub fn open311_form(data: &[u8]) {
    let h = Harness::get();
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    if first % 2 == 0 {
        let mut body = format!("api_key={}&jurisdiction_id=1960&", h.open311_key).into_bytes();
        body.extend_from_slice(rest);
        h.request(
            Method::POST,
            "/open311/v2/requests.json",
            Some("application/x-www-form-urlencoded"),
            harness::Auth::None,
            &body,
        );
    } else {
        let path = format!("/open311/v2/requests.json?{}", harness::query(rest));
        h.request(Method::GET, &path, None, harness::Auth::None, b"");
    }
}

/// The incident filters and cursors, as a query string of the list's API, its GeoJSON, its
/// export and the list page (the first byte chooses).
pub fn filters(data: &[u8]) {
    let h = Harness::get();
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let (path, auth) = match first % 4 {
        0 => ("/api/v1/incidents", harness::Auth::Token),
        1 => ("/api/v1/incidents.geojson", harness::Auth::Token),
        2 => ("/api/v1/incidents/export", harness::Auth::Token),
        _ => ("/incidents", harness::Auth::Session),
    };
    let path = format!("{path}?{}", harness::query(rest));
    h.request(Method::GET, &path, None, auth, b"");
}

/// `GET /api/v1/tiles/{z}/{x}/{y}` with any path after `tiles/`.
pub fn tile_path(data: &[u8]) {
    let h = Harness::get();
    let path = format!("/api/v1/tiles/{}", harness::query(data));
    h.request(Method::GET, &path, None, harness::Auth::Token, b"");
}
