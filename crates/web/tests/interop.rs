//! Interoperability over HTTP: the incident list exported as CSV, CSV for Excel, a real Excel
//! workbook and GeoJSON, with exactly the rows the list shows the reader.

mod common;

use axum::http::StatusCode;
use common::*;
use model::{Precision, Visibility};
use std::collections::BTreeSet;
use store::{IncidentFilter, IncidentQuery, Store};

async fn visible_ids(
    store: &dyn Store,
    user: &store::User,
    filter: IncidentFilter,
) -> BTreeSet<i64> {
    store
        .list_incidents(
            &user.actor(),
            &IncidentQuery {
                filter,
                limit: 100_000,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect()
}

fn csv_rows(bytes: &[u8], delimiter: u8) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(bytes);
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

#[tokio::test]
async fn the_list_exports_what_the_reader_may_see_in_four_formats() {
    let (app, kungsor, ku, ..) = app().await;
    let (admin, reporter, manager) = (&ku[0], &ku[1], &ku[2]);
    // 2,300 incidents of the municipality (more than a page of the export), some kept within
    // its own organisation; two of the school's reporter; one with a personal identity number
    // and one that a spreadsheet would run as a formula.
    let mut batch = Vec::new();
    for i in 0..2_300u32 {
        let mut n = store::conformance::incident(
            admin,
            if i % 3 == 0 {
                "trafik"
            } else {
                "skadegorelse-klotter"
            },
            "2026-11-01T10:00:00Z",
        );
        n.occurred_from += jiff::SignedDuration::from_mins(i64::from(i));
        n.occurred_to = n.occurred_from;
        if i % 10 == 0 {
            n.visibility = Visibility::OwnOrganisation;
        }
        if i == 5 {
            n.description = "Ring 19121212-1212 om nyckeln".into();
        }
        if i == 6 {
            n.description = "=HYPERLINK(\"http://x\")".into();
        }
        if i == 7 {
            n.precision = Precision::Municipality;
        }
        batch.push(n);
    }
    for _ in 0..2 {
        let mut n = store::conformance::incident(reporter, "nedskrapning", "2026-11-20T08:00:00Z");
        n.visibility = Visibility::OwnOrganisation;
        batch.push(n);
    }
    app.store
        .insert_incidents(kungsor.id, &batch)
        .await
        .unwrap();

    let (cookie, _) = app.login(&admin.email.to_string()).await;
    let expected = visible_ids(app.store.as_ref(), admin, IncidentFilter::default()).await;
    assert!(expected.len() > 2_000);

    // CSV: UTF-8, commas, a header, every row the admin may see and no other.
    let r = app.get("/incidents/export?format=csv", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        r.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment; filename=\"handelser-")
    );
    assert!(!r.bytes.starts_with(b"\xEF\xBB\xBF"));
    let (header, rows) = csv_rows(&r.bytes, b',');
    assert_eq!(header[0], "id");
    assert_eq!(header[2], "kategori");
    let got: BTreeSet<i64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(got.len(), rows.len(), "each row once");
    assert_eq!(got, expected);
    let text = |needle: &str| {
        rows.iter()
            .find(|r| r[10].contains(needle))
            .map(|r| r[10].clone())
    };
    assert_eq!(
        text("om nyckeln").as_deref(),
        Some("Ring [personnummer borttaget] om nyckeln")
    );
    assert_eq!(
        text("HYPERLINK").as_deref(),
        Some("'=HYPERLINK(\"http://x\")")
    );
    let coarse = rows.iter().find(|r| r[7] == "municipality").unwrap();
    assert_eq!(coarse[14], "", "a municipality-level incident has no point");
    assert!(
        rows.iter().any(|r| r[3].starts_with("2026-11-01 11:0")),
        "Swedish time"
    );

    // For Excel: a byte-order mark, semicolons and decimal commas.
    let r = app
        .get("/incidents/export?format=excel-csv", Some(&cookie))
        .await;
    assert!(r.bytes.starts_with(b"\xEF\xBB\xBF"));
    let (header, rows) = csv_rows(&r.bytes[3..], b';');
    assert_eq!(header.len(), 18);
    assert_eq!(rows.len(), expected.len());
    assert!(
        rows.iter()
            .filter(|r| !r[14].is_empty())
            .all(|r| r[14].contains(',')),
        "{:?}",
        rows[0]
    );

    // The filters of the list hold: only traffic.
    let r = app
        .get(
            "/incidents/export?format=csv&category=trafik",
            Some(&cookie),
        )
        .await;
    let (_, rows) = csv_rows(&r.bytes, b',');
    let traffic = visible_ids(
        app.store.as_ref(),
        admin,
        IncidentFilter {
            category: Some(model::CategoryCode::parse("trafik").unwrap()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(rows.len(), traffic.len());
    assert!(rows.iter().all(|r| r[1] == "trafik"));

    // A real workbook: a sheet with the header and the rows, dates as dates.
    let r = app
        .get("/incidents/export?format=xlsx", Some(&cookie))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.bytes.starts_with(b"PK"), "a zip file");
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(r.bytes.clone())).unwrap();
    use calamine::{DataType, Reader};
    assert_eq!(book.sheet_names(), vec!["Händelser".to_string()]);
    let sheet = book.worksheet_range("Händelser").unwrap();
    assert_eq!(sheet.height(), expected.len() + 1);
    assert_eq!(sheet.get((0, 2)).unwrap().to_string(), "kategori");
    let ids: BTreeSet<i64> = (1..sheet.height())
        .map(|row| sheet.get((row, 0)).unwrap().get_float().unwrap() as i64)
        .collect();
    assert_eq!(ids, expected);
    assert!(
        matches!(sheet.get((1, 3)).unwrap(), calamine::Data::DateTime(_)),
        "{:?}",
        sheet.get((1, 3))
    );

    // GeoJSON: a FeatureCollection, points in WGS84, none for a municipality-level one.
    let r = app
        .get("/incidents/export?format=geojson", Some(&cookie))
        .await;
    let doc: serde_json::Value = serde_json::from_slice(&r.bytes).unwrap();
    let features = doc["features"].as_array().unwrap();
    assert_eq!(features.len(), expected.len());
    assert!(features.iter().any(|f| f["geometry"].is_null()));
    assert!(features.iter().all(
        |f| f["geometry"].is_null() || f["geometry"]["coordinates"][1].as_f64().unwrap() > 59.0
    ));

    // In English the header and the placeholder are English.
    let r = app
        .get(
            "/incidents/export?format=csv",
            Some(&format!("{cookie}; lagesbild_lang=en")),
        )
        .await;
    let (header, rows) = csv_rows(&r.bytes, b',');
    assert_eq!(header[2], "category");
    assert!(
        rows.iter()
            .any(|r| r[10] == "Ring [personal identity number removed] om nyckeln")
    );

    // The reporter gets their own two reports and nothing of the municipality's.
    let (rc, _) = app.login(&reporter.email.to_string()).await;
    let r = app.get("/incidents/export?format=csv", Some(&rc)).await;
    let (_, rows) = csv_rows(&r.bytes, b',');
    let theirs = visible_ids(app.store.as_ref(), reporter, IncidentFilter::default()).await;
    assert_eq!(theirs.len(), 2);
    let got: BTreeSet<i64> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    assert_eq!(got, theirs);

    // The manager reads aggregated figures, not the list: no export either.
    let (mc, _) = app.login(&manager.email.to_string()).await;
    let r = app.get("/incidents/export?format=csv", Some(&mc)).await;
    assert_ne!(r.status, StatusCode::OK);
    assert!(!r.body.contains("kategorikod"));
    // Signed out: to the login page. An unknown format: 400.
    let r = app.get("/incidents/export?format=csv", None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.get("/incidents/export?format=pdf", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // Every export is in the audit log, with its format and filters.
    let log = app
        .store
        .audit_log(
            kungsor.id,
            &store::AuditFilter {
                action: Some("incident.export".into()),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(log.len(), 7);
    assert!(
        log.iter()
            .any(|e| e.after.as_deref().unwrap().contains("category=trafik"))
    );
    // The list links to the export with its filters.
    let list = app.get("/incidents?category=trafik", Some(&cookie)).await;
    assert!(
        list.body
            .contains("/incidents/export?format=xlsx&amp;category=trafik"),
        "{}",
        list.body
    );
}
