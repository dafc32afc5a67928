//! Static files, compiled into the binary: our CSS and scripts, and MapLibre GL JS as installed
//! from npm (see build.rs). Nothing is loaded from another server.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
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

pub async fn serve(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(name, ..)| *name == file) {
        Some((_, mime, bytes)) => {
            let mut res = (StatusCode::OK, [(header::CONTENT_TYPE, *mime)], *bytes).into_response();
            res.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            );
            res
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
