//! Static files, compiled into the binary: our CSS and scripts, and MapLibre GL JS as installed
//! from npm (see build.rs). Nothing is loaded from another server.

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

const FILES: &[(&str, &str, &[u8])] = &[
    (
        "admin-places.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/admin-places.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../static/favicon.svg"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("../static/app.css"),
    ),
    (
        "map.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/map.js"),
    ),
    (
        "report-form.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/report-form.js"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/app.js"),
    ),
    (
        "start.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/start.js"),
    ),
    (
        "queue.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/queue.js"),
    ),
    (
        "tip.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/tip.js"),
    ),
    (
        "pick-map.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/pick-map.js"),
    ),
    (
        "icon-192.png",
        "image/png",
        include_bytes!("../static/icon-192.png"),
    ),
    (
        "icon-512.png",
        "image/png",
        include_bytes!("../static/icon-512.png"),
    ),
    (
        "maplibre/maplibre-gl.mjs",
        "text/javascript; charset=utf-8",
        include_bytes!(concat!(env!("OUT_DIR"), "/maplibre-gl.mjs")),
    ),
    (
        "maplibre/maplibre-gl-worker.mjs",
        "text/javascript; charset=utf-8",
        include_bytes!(concat!(env!("OUT_DIR"), "/maplibre-gl-worker.mjs")),
    ),
    (
        "maplibre/maplibre-gl.css",
        "text/css; charset=utf-8",
        include_bytes!(concat!(env!("OUT_DIR"), "/maplibre-gl.css")),
    ),
];

/// A static file's bytes, gzip-compressed once when first asked for.
fn gzipped(name: &'static str, bytes: &'static [u8]) -> &'static [u8] {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<&'static str, &'static [u8]>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut map = cache.lock().unwrap_or_else(|p| p.into_inner());
    map.entry(name).or_insert_with(|| {
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let _ = std::io::Write::write_all(&mut z, bytes);
        // Kept for the life of the process: one copy per file.
        Box::leak(z.finish().unwrap_or_default().into_boxed_slice())
    })
}

/// The compressed size of a static file (for the benchmark of the report page's weight).
pub fn gzipped_size(file: &str) -> Option<usize> {
    FILES
        .iter()
        .find(|(name, ..)| *name == file)
        .map(|(name, _, bytes)| gzipped(name, bytes).len())
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().starts_with("gzip")))
}

fn file_response(
    headers: &HeaderMap,
    name: &'static str,
    mime: &'static str,
    bytes: &'static [u8],
    cache: &'static str,
) -> Response {
    let compressible = mime.starts_with("text/") || mime.contains("json") || mime.contains("svg");
    let mut res = if compressible && accepts_gzip(headers) {
        let mut r = (
            StatusCode::OK,
            [(header::CONTENT_TYPE, mime)],
            gzipped(name, bytes),
        )
            .into_response();
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        (StatusCode::OK, [(header::CONTENT_TYPE, mime)], bytes).into_response()
    };
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    res
}

pub async fn serve(headers: HeaderMap, Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(name, ..)| *name == file) {
        Some((name, mime, bytes)) => {
            file_response(&headers, name, mime, bytes, "public, max-age=3600")
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The service worker, at the root so that it may serve the whole site offline; never
/// cached by the browser's HTTP cache, so a new version is picked up at once.
pub async fn service_worker(headers: HeaderMap) -> Response {
    file_response(
        &headers,
        "sw.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../static/sw.js"),
        "no-cache",
    )
}

pub async fn manifest(headers: HeaderMap) -> Response {
    file_response(
        &headers,
        "manifest.webmanifest",
        "application/manifest+json",
        include_bytes!("../static/manifest.webmanifest"),
        "public, max-age=3600",
    )
}
