//! The OpenAPI document: OpenAPI 3.1, served, and complete (every `/api/v1` route of the
//! router is in it, with the methods it serves). Whether the answers keep to it is what
//! schemathesis checks (`tests/openapi/run.sh`, from `scripts/test.sh`).

mod common;

use axum::http::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn the_document_is_served_and_names_every_api_route() {
    let (app, ..) = common::app().await;
    let r = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc,
        serde_json::to_value(web::openapi::document()).unwrap(),
        "the served document is the generated one"
    );
    let paths = doc["paths"].as_object().unwrap();
    for (method, path) in web::ROUTES {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        let op = paths
            .get(*path)
            .and_then(|p| p.get(*method))
            .unwrap_or_else(|| panic!("{method} {path} is not in the OpenAPI document"));
        assert!(
            op["responses"].as_object().is_some_and(|r| !r.is_empty()),
            "{method} {path} documents no answer"
        );
    }
    // And nothing in the document that the router does not serve.
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            assert!(
                web::ROUTES.contains(&(method.as_str(), path.as_str())),
                "{method} {path} is documented but not served"
            );
        }
    }
    // Every call but the document itself needs the bearer token.
    assert_eq!(doc["security"], serde_json::json!([{"bearer": []}]));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

/// The report body's schema names exactly the fields the handler reads: a field added to
/// one and not the other fails here.
#[tokio::test]
async fn the_report_schema_is_the_fields_the_api_reads() {
    let doc = serde_json::to_value(web::openapi::document()).unwrap();
    let input = &doc["components"]["schemas"]["IncidentInput"];
    assert_eq!(input["additionalProperties"], Value::Bool(false));
    let mut documented: Vec<&str> = input["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    documented.sort();
    let mut read: Vec<&str> = web::INCIDENT_FIELDS.to_vec();
    read.sort();
    assert_eq!(documented, read);
}

/// schemathesis (PyPI) against a real server: it reads the served document, makes requests
/// from it (its examples, coverage and fuzzing phases) with an administrator's token over a
/// tenant with incidents, and finds no server error and no answer that breaks the document
/// (nor a bad request accepted, nor a call without the token answered).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_answer_off_the_document() {
    let python = common::python_with("schemathesis");
    let (app, _kungsor, ku, ..) = common::app().await;
    let admin = app.token(&ku[0]).await;
    let reporter = app.token(&ku[1]).await;
    // Incidents to list, page, tile, export and analyse: points, a span, one in a report.
    for (k, body) in [
        serde_json::json!({"category": "skadegorelse-klotter", "occurred_at": "2026-11-20T22:15:00+01:00", "lat": 59.4224, "lon": 16.0978, "description": "Klotter"}),
        serde_json::json!({"category": "skadegorelse-glaskross", "occurred_from": "2026-11-21T20:00:00+01:00", "occurred_to": "2026-11-22T06:00:00+01:00", "lat": 59.4230, "lon": 16.0990, "description": "Krossad ruta"}),
        serde_json::json!({"events": [{"category": "skadegorelse-klotter", "occurred_at": "2026-11-25T12:00:00+01:00", "lat": 59.4210, "lon": 16.0950, "description": "Tagg"}]}),
    ]
    .into_iter()
    .enumerate()
    {
        let r = app
            .api("POST", "/api/v1/incidents", Some(&reporter), Some(body))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{k}: {}", r.body);
    }
    let port = common::serve_on_loopback(&app).await;
    // Run in a folder of its own: schemathesis keeps a cache (of crashes it found) in its
    // working directory, and one run must not read another's.
    let work = tempfile::tempdir().unwrap();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(&python)
            .current_dir(work.path())
            .args([
                "-m",
                "schemathesis.cli",
                "run",
                &format!("http://127.0.0.1:{port}/api/v1/openapi.json"),
                "--header",
                &format!("Authorization: Bearer {admin}"),
                // Every check but one: "schema-valid data is accepted" cannot hold where
                // the rules are the municipality's (a point inside its outline, a category
                // of its own), which a schema does not say.
                "--checks",
                "all",
                "--exclude-checks",
                "positive_data_acceptance",
                "--phases",
                "examples,coverage,fuzzing",
                "--max-examples",
                "40",
                "--workers",
                "2",
                "--seed",
                "1",
                "--suppress-health-check",
                "too_slow",
                "--no-color",
            ])
            .env("SCHEMATHESIS_HOOKS", "")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = common::succeeded(&out);
    eprintln!("{stdout}");
    // It ran operations, not nothing.
    assert!(stdout.contains("passed"), "{stdout}");
}
