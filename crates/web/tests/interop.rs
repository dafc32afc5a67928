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

fn hidden(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\" value=\""))
        .unwrap_or_else(|| panic!("no {name} in {html}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}

fn tipper_cookie(r: &Resp) -> String {
    r.headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| c.starts_with("lagesbild_tipper="))
        .map(|c| c.split(';').next().unwrap().to_string())
        .expect("the tip page sets its cookie")
}

#[tokio::test]
async fn a_citizen_tips_and_the_coordinator_answers() {
    let (app, kungsor, ku, ..) = app().await;
    let admin = &ku[0];
    // The public page needs no sign-in and offers the top-level categories only.
    let page = app.get("/tips/1960", None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("value=\"otrygg-plats\""));
    assert!(!page.body.contains("value=\"otrygg-plats-belysning\""));
    assert_eq!(
        app.get("/tips/9999", None).await.status,
        StatusCode::NOT_FOUND
    );
    let cookie = tipper_cookie(&page);
    let token = hidden(&page.body, "token");
    let form = |token: &str| {
        vec![
            ("token", token.to_string()),
            ("category", "otrygg-plats".to_string()),
            (
                "description",
                "Mörkt i gångtunneln, lampan trasig. Ring 070-123 45 67".to_string(),
            ),
            ("place_text", "Gångtunneln vid stationen".to_string()),
            ("lat", "59.4224".to_string()),
            ("lon", "16.0978".to_string()),
            ("email", "tipsare@example.se".to_string()),
        ]
    };
    let send = |token: String, cookie: String| {
        let app = &app;
        async move {
            let f = form(&token);
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form("/tips/1960", Some(&cookie), &pairs).await
        }
    };
    // At once, as a script would: refused, and what was typed is kept.
    let r = send(token.clone(), cookie.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("för snabbt") && r.body.contains("lampan trasig"),
        "{}",
        r.body
    );
    // A person takes a while.
    app.advance_minutes(1);
    let r = send(token.clone(), cookie.clone()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let receipt = r.location().to_string();
    assert!(receipt.starts_with("/tips/kvitto/"));
    // The same form twice is refused; a filled hidden field too.
    let r = send(token.clone(), cookie.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("gått ut eller skickats redan"),
        "{}",
        r.body
    );
    let page = app.get("/tips/1960", Some(&cookie)).await;
    let mut bot = form(&hidden(&page.body, "token"));
    bot.push(("website", "http://spam.example".into()));
    app.advance_minutes(1);
    let pairs: Vec<(&str, &str)> = bot.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        app.post_form("/tips/1960", Some(&cookie), &pairs)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // The receipt: received, the phone number removed, the link not sent anywhere.
    let r = app.get(&receipt, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Mottaget"), "{}", r.body);
    assert!(r.body.contains("En personuppgift togs bort"), "{}", r.body);
    assert_eq!(r.headers["referrer-policy"], "no-referrer");
    assert_eq!(
        app.get("/tips/kvitto/gissat", None).await.status,
        StatusCode::NOT_FOUND
    );
    let stored = app.store.tips(kungsor.id, None, 10).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].description,
        "Mörkt i gångtunneln, lampan trasig. Ring [telefonnummer borttaget]"
    );

    // Five tips an hour from one browser; a sixth waits. Another browser on the same
    // network (a school's pupils) is not stopped by it.
    for i in 0..5 {
        let page = app.get("/tips/1960", Some(&cookie)).await;
        app.advance_minutes(1);
        let r = send(hidden(&page.body, "token"), cookie.clone()).await;
        let want = if i < 4 {
            StatusCode::SEE_OTHER
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(r.status, want, "tip {i}: {}", r.body);
    }
    let other = app.get("/tips/1960", None).await;
    let other_cookie = tipper_cookie(&other);
    app.advance_minutes(1);
    let r = send(hidden(&other.body, "token"), other_cookie).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // The coordinator's queue: accept the first tip with an answer and a note.
    let (ac, csrf) = app.login(&admin.email.to_string()).await;
    let q = app.get("/admin/tips", Some(&ac)).await;
    assert_eq!(q.status, StatusCode::OK, "{}", q.body);
    assert!(q.body.contains("Gångtunneln vid stationen"));
    let first = stored[0].id;
    let r = app
        .post_form(
            &format!("/admin/tips/{first}"),
            Some(&ac),
            &[
                ("csrf", &csrf),
                ("decision", "reject"),
                ("public_answer", ""),
            ],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a rejection needs a reason"
    );
    let r = app
        .post_form(
            &format!("/admin/tips/{first}"),
            Some(&ac),
            &[
                ("csrf", &csrf),
                ("decision", "accept"),
                ("category", "otrygg-plats-belysning"),
                (
                    "public_answer",
                    "Tack! Belysningen är anmäld och lagas i veckan.",
                ),
                ("internal_note", "Gatukontoret ärende 4711"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let tip = app.store.tip(kungsor.id, first).await.unwrap().unwrap();
    assert_eq!(tip.status, model::TipStatus::Accepted);
    let incident = app
        .store
        .incident(&admin.actor(), tip.incident_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(incident.category.as_str(), "otrygg-plats-belysning");
    assert_eq!(incident.source, model::Source::Public);
    assert_eq!(incident.precision, Precision::Exact);
    assert!(!incident.description.contains("070"));
    // The tipster sees the status and the answer, never the note.
    let r = app.get(&receipt, None).await;
    assert!(r.body.contains("inlagt i lägesbilden") && r.body.contains("lagas i veckan"));
    assert!(!r.body.contains("4711"));
    // A second decision on the same tip is refused; others may not moderate.
    let r = app
        .post_form(
            &format!("/admin/tips/{first}"),
            Some(&ac),
            &[
                ("csrf", &csrf),
                ("decision", "reject"),
                ("public_answer", "x"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let (rc, rcsrf) = app.login(&ku[1].email.to_string()).await;
    assert_eq!(
        app.get("/admin/tips", Some(&rc)).await.status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .post_form(
            &format!("/admin/tips/{}", stored[0].id),
            Some(&rc),
            &[
                ("csrf", &rcsrf),
                ("decision", "reject"),
                ("public_answer", "x"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Merge another into the incident.
    let second = app
        .store
        .tips(kungsor.id, Some(model::TipStatus::New), 10)
        .await
        .unwrap()[0]
        .id;
    let r = app
        .post_form(
            &format!("/admin/tips/{second}"),
            Some(&ac),
            &[
                ("csrf", &csrf),
                ("decision", "merge"),
                ("incident", &incident.id.to_string()),
                ("public_answer", "Det här känner vi redan till."),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        app.store
            .tip(kungsor.id, second)
            .await
            .unwrap()
            .unwrap()
            .incident_id,
        Some(incident.id)
    );
}
