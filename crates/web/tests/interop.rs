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
            .any(|r| r[10] == "Ring [identity number removed] om nyckeln")
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

/// A partner system's Open311 key, made as the coordinator makes it.
async fn open311_key(app: &App, tenant: &store::Tenant, label: &str) -> (String, i64) {
    let key = service::auth::new_secret();
    let k = app
        .store
        .create_open311_key(&store::NewOpen311Key {
            tenant_id: tenant.id,
            label: label.into(),
            key_hash: service::auth::hash_secret(&key),
            created_by: None,
            created_at: app.now(),
        })
        .await
        .unwrap();
    (key, k.id)
}

async fn post311(app: &App, path: &str, form: &[(&str, &str)]) -> Resp {
    app.post_form(path, None, form).await
}

#[tokio::test]
async fn open311_in_json_and_xml_with_keys_jurisdictions_and_the_public_rules() {
    let (app, kungsor, ku, other, _) = app().await;
    let (key, key_id) = open311_key(&app, &kungsor, "Felanmälan-appen").await;
    let (other_key, _) = open311_key(&app, &other, "Grannkommunens app").await;
    // Services: the top-level categories; a definition with the `occurred` attribute.
    let r = app
        .get("/open311/v2/services.json?jurisdiction_id=1960", None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let services = r.json();
    assert!(
        services
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["service_code"] == "otrygg-plats")
    );
    assert!(
        !services
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["service_code"] == "otrygg-plats-belysning")
    );
    let r = app
        .get("/open311/v2/services.xml?jurisdiction_id=1960", None)
        .await;
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/xml")
    );
    let doc = roxmltree::Document::parse(&r.body).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "services");
    assert!(
        doc.root_element()
            .children()
            .filter(|n| n.is_element())
            .all(|n| n.tag_name().name() == "service")
    );
    let r = app
        .get(
            "/open311/v2/services/otrygg-plats.json?jurisdiction_id=1960",
            None,
        )
        .await;
    assert_eq!(r.json()["attributes"][0]["code"], "occurred");
    let r = app
        .get(
            "/open311/v2/services/finns-inte.xml?jurisdiction_id=1960",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        r.body
            .contains("<errors><error><code>404</code><description>"),
        "{}",
        r.body
    );
    // One deployment, several municipalities: the jurisdiction is required, and must exist.
    let r = app.get("/open311/v2/services.json", None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()[0]["code"], 400);
    assert_eq!(
        app.get("/open311/v2/services.json?jurisdiction_id=0000", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/open311/v2/services.csv?jurisdiction_id=1960", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // POST with the key: into the tip queue.
    let good = |k: &'static str| -> Vec<(&'static str, String)> {
        vec![
            ("api_key", k.to_string()),
            ("jurisdiction_id", "1960".into()),
            ("service_code", "otrygg-plats".into()),
            ("lat", "59.4224".into()),
            ("long", "16.0978".into()),
            ("address_string", "Storgatan 12".into()),
            ("description", "Lampan vid busshållplatsen är trasig".into()),
            ("attribute[occurred]", "2026-11-26T21:30:00+01:00".into()),
            ("first_name", "Anna".into()),
        ]
    };
    let key: &'static str = Box::leak(key.into_boxed_str());
    let other_key: &'static str = Box::leak(other_key.into_boxed_str());
    let form = good(key);
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post311(&app, "/open311/v2/requests.json", &pairs).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let created = r.json()[0].clone();
    let id: i64 = created["service_request_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let tip = app.store.tip(kungsor.id, id).await.unwrap().unwrap();
    assert_eq!(tip.channel, model::TipChannel::Open311);
    assert_eq!(tip.partner_id, Some(key_id));
    assert_eq!(
        tip.occurred_at,
        Some("2026-11-26T20:30:00Z".parse().unwrap())
    );
    assert!(!format!("{tip:?}").contains("Anna"), "names are not kept");
    // A second one with a phone number in it, in XML.
    let mut form = good(key);
    form[6].1 = "Ring mig på 070-123 45 67".into();
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post311(&app, "/open311/v2/requests.xml", &pairs).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let doc = roxmltree::Document::parse(&r.body).unwrap();
    let second: i64 = doc
        .descendants()
        .find(|n| n.has_tag_name("service_request_id"))
        .unwrap()
        .text()
        .unwrap()
        .parse()
        .unwrap();
    // The other municipality's key, a revoked key, no key: 403.
    for k in [other_key, "", "fel"] {
        let form = good(k);
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = post311(&app, "/open311/v2/requests.json", &pairs).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{k}: {}", r.body);
        assert_eq!(r.json()[0]["code"], 403);
    }
    // Bad values: 400, each named.
    let mut form = good(key);
    form[2].1 = "skadegorelse-klotter".into();
    form[3].1 = "59.33".into();
    form[4].1 = "18.06".into();
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post311(&app, "/open311/v2/requests.json", &pairs).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let text = r.body.clone();
    assert!(
        text.contains("service_code") && text.contains("lat/long"),
        "{text}"
    );

    // GET requests: both, open, with the public rules.
    let r = app
        .get("/open311/v2/requests.json?jurisdiction_id=1960", None)
        .await;
    let list = r.json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let first = list
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["service_request_id"].as_str() == Some(id.to_string().as_str()))
        .unwrap();
    assert_eq!(first["status"], "open");
    assert_eq!(first["description"], "Lampan vid busshållplatsen är trasig");
    assert!(
        first["address"].is_null(),
        "an address may be a home: never shown"
    );
    let (lat, lon) = (
        first["lat"].as_f64().unwrap(),
        first["long"].as_f64().unwrap(),
    );
    assert!(
        lat != 59.4224 && (lat - 59.4224).abs() < 0.003 && (lon - 16.0978).abs() < 0.005,
        "{lat} {lon}"
    );
    let screened = list
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["service_request_id"].as_str() == Some(second.to_string().as_str()))
        .unwrap();
    assert!(
        screened["description"].is_null(),
        "text with screened data is not published"
    );
    assert!(!r.body.contains("070"));
    // The coordinator answers the first; it is closed with the answer as status notes.
    app.store
        .moderate_tip(
            kungsor.id,
            id,
            &store::TipDecision {
                moderation: store::Moderation::Reject,
                public_answer: "Lampan är lagad.".into(),
                internal_note: "Gatukontoret".into(),
                by: ku[0].id,
                at: app.now(),
            },
        )
        .await
        .unwrap();
    let r = app
        .get(
            &format!("/open311/v2/requests/{id}.xml?jurisdiction_id=1960"),
            None,
        )
        .await;
    let doc = roxmltree::Document::parse(&r.body).unwrap();
    let field = |name: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name(name))
            .and_then(|n| n.text())
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(field("status"), "closed");
    assert_eq!(field("status_notes"), "Lampan är lagad.");
    assert!(!r.body.contains("Gatukontoret"));
    let r = app
        .get(
            "/open311/v2/requests.json?jurisdiction_id=1960&status=open",
            None,
        )
        .await;
    assert_eq!(r.json().as_array().unwrap().len(), 1);
    let r = app
        .get(
            "/open311/v2/requests.json?jurisdiction_id=1960&status=gone",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app
        .get(&format!("/open311/v2/requests.json?jurisdiction_id=1960&service_request_id={id},{second}&status=open"), None)
        .await;
    assert_eq!(
        r.json().as_array().unwrap().len(),
        2,
        "ids override the other filters"
    );
    let r = app
        .get("/open311/v2/requests.json?jurisdiction_id=1960&start_date=2025-01-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", None)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "more than 90 days");
    // Another municipality sees none of them; a token finds its request.
    let r = app
        .get("/open311/v2/requests.json?jurisdiction_id=1984", None)
        .await;
    assert_eq!(r.json().as_array().unwrap().len(), 0);
    let token = created["token"].as_str().unwrap();
    let r = app
        .get(
            &format!("/open311/v2/tokens/{token}.json?jurisdiction_id=1960"),
            None,
        )
        .await;
    assert_eq!(r.json()[0]["service_request_id"], id.to_string());
    assert_eq!(
        app.get(
            &format!("/open311/v2/tokens/{token}.json?jurisdiction_id=1984"),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    // A revoked key opens nothing.
    app.store
        .revoke_open311_key(kungsor.id, key_id, None, app.now())
        .await
        .unwrap();
    let form = good(key);
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        post311(&app, "/open311/v2/requests.json", &pairs)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Discovery.
    let r = app.get("/open311/v2/discovery.json", None).await;
    assert_eq!(
        r.json()["endpoints"][0]["specification"],
        "http://wiki.open311.org/GeoReport_v2"
    );
}

/// The PyPI Open311 client (`georeport`) and `requests` against a real server, every answer
/// validated against the specification's schemas (tests/open311/).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_open311_client_gets_and_posts() {
    let python = common::python_with("georeport, jsonschema");
    let (app, kungsor, ..) = app().await;
    let (key, _) = open311_key(&app, &kungsor, "Testklient").await;
    let port = common::serve_on_loopback(&app).await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/open311/client.py");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(&python)
            .arg(script)
            .args([
                &format!("http://127.0.0.1:{port}/open311/v2"),
                "1960",
                &key,
                "otrygg-plats",
            ])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = common::succeeded(&out);
    let found: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert!(
        found["services"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "otrygg-plats")
    );
    assert_eq!(found["attributes"], serde_json::json!(["occurred"]));
    assert_eq!(found["requests"].as_array().unwrap().len(), 2, "{found}");
    assert_eq!(found["open"], 2);
    assert!(found["no_location"].as_str().unwrap().contains("location"));
    assert!(found["one"]["address"].is_null());
    // Both landed in the coordinator's queue.
    let queue = app
        .store
        .tips(kungsor.id, Some(model::TipStatus::New), 10)
        .await
        .unwrap();
    assert_eq!(queue.len(), 2);
    assert!(
        queue
            .iter()
            .all(|t| t.channel == model::TipChannel::Open311)
    );
}

fn multipart(csrf: &str, name: &str, file: &[u8], mapping: &str) -> (String, Vec<u8>) {
    let b = "----lagesbildgrans";
    let mut body = Vec::new();
    for (k, v) in [("csrf", csrf), ("mapping", mapping)] {
        body.extend(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend(
        format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n")
            .as_bytes(),
    );
    body.extend(file);
    body.extend(format!("\r\n--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

async fn upload(app: &App, cookie: &str, csrf: &str, file: &[u8], mapping: &str) -> Resp {
    let (ct, body) = multipart(csrf, "felanmalan.csv", file, mapping);
    app.send(
        axum::http::Request::post("/admin/import")
            .header("content-type", ct)
            .header("cookie", cookie)
            .body(axum::body::Body::from(body))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn the_coordinator_imports_a_spreadsheet_after_a_preview() {
    let (app, kungsor, ku, ..) = app().await;
    let (cookie, csrf) = app.login(&ku[0].email.to_string()).await;
    let page = app.get("/admin/import", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    let file = "Ärendenr;Kategori;Datum;Latitud;Longitud;Beskrivning\n\
                F-1;Klotter;2026-11-01 14:30;59,4224;16,0978;Klotter på elskåpet\n\
                F-2;Klotter;igår;59,4224;16,0978;\n"
        .as_bytes();
    let count = || async {
        app.store
            .count_incidents(
                &ku[0].actor(),
                &IncidentFilter {
                    source: Some(model::Source::ImportCsv),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
    };
    // The preview: the columns as read, the good row as it will be stored, the bad one
    // named by row, column and value; nothing stored yet.
    let r = upload(&app, &cookie, &csrf, file, "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("2 rader, 1 går att importera, 1 är fel"),
        "{}",
        r.body
    );
    assert!(r.body.contains("<code>Ärendenr</code>"));
    assert!(r.body.contains("Klotter på elskåpet"));
    assert!(
        r.body.contains("<code>igår</code>") && r.body.contains("Inget datum"),
        "{}",
        r.body
    );
    assert_eq!(count().await, 0);
    let action = |body: &str| {
        let at = body.find("action=\"/admin/import/").unwrap() + 8;
        body[at..at + body[at..].find('"').unwrap()].to_string()
    };
    // Nothing kept when a row is wrong, unless asked.
    let r = app
        .post_form(
            &action(&r.body),
            Some(&cookie),
            &[("csrf", &csrf), ("on_error", "nothing")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("ingenting sparades"), "{}", r.body);
    assert_eq!(count().await, 0);
    let r = upload(&app, &cookie, &csrf, file, "").await;
    let store_at = action(&r.body);
    let r = app
        .post_form(
            &store_at,
            Some(&cookie),
            &[("csrf", &csrf), ("on_error", "keep")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("1 nya, 0 ändrade, 0 oförändrade"),
        "{}",
        r.body
    );
    assert_eq!(count().await, 1);
    // The upload is used once.
    let r = app
        .post_form(
            &store_at,
            Some(&cookie),
            &[("csrf", &csrf), ("on_error", "keep")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A mapping for other column names; a wrong mapping is said, not a crash.
    let other = "Typ,Inträffade,lat,lon\nKlotter,2026-11-02,59.4224,16.0978\n".as_bytes();
    let r = upload(
        &app,
        &cookie,
        &csrf,
        other,
        r#"{"columns": {"category": "Typ", "date": "Inträffade"}}"#,
    )
    .await;
    assert!(
        r.body.contains("1 går att importera, 0 är fel"),
        "{}",
        r.body
    );
    let r = upload(&app, &cookie, &csrf, other, r#"{"kolumner": {}}"#).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("mapping"), "{}", r.body);
    // Only the coordinator imports, and with the form's token.
    let r = upload(&app, &cookie, "fel", file, "").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let (rc, rcsrf) = app.login(&ku[1].email.to_string()).await;
    assert_eq!(
        upload(&app, &rc, &rcsrf, file, "").await.status,
        StatusCode::NOT_FOUND
    );
    // Audited with the file's digest.
    let log = app
        .store
        .audit_log(
            kungsor.id,
            &store::AuditFilter {
                action: Some("import.file".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].user_id, Some(ku[0].id));
}
