//! HTTP tests: the whole router over a real SQLite store in a temporary directory.

mod common;
use common::*;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use jiff::Timestamp;
use serde_json::{Value, json};
use std::sync::atomic::Ordering;

#[tokio::test]
async fn login_logout_and_protected_pages() {
    let (app, ..) = app().await;
    let r = app.get("/incidents", None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login?next=%2Fincidents");

    let r = app
        .post_form(
            "/login",
            None,
            &[
                ("email", "admin@k1960.example"),
                ("password", "fel lösenord!!"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("Fel e-postadress eller lösenord."));
    assert!(r.headers.get(header::SET_COOKIE).is_none());
    let r = app
        .post_form(
            "/login",
            None,
            &[("email", "ingen@k1960.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let (cookie, csrf) = app.login("ADMIN@k1960.example").await;
    let r = app.get("/incidents", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("admin 1960"));
    // Logging out without the CSRF token is refused; with it the session ends.
    assert_eq!(
        app.post_form("/logout", Some(&cookie), &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .post_form("/logout", Some(&cookie), &[("csrf", &csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/incidents", Some(&cookie)).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn report_through_the_form_then_list_and_detail() {
    let (app, ..) = app().await;
    let (cookie, csrf) = app.login("rapportor@k1960.example").await;
    let r = app
        .post_form("/incidents", Some(&cookie), &good_form(&csrf))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let detail_url = r.location().to_string();
    assert!(detail_url.ends_with("?saved=1"), "{detail_url}");
    let d = app.get(&detail_url, Some(&cookie)).await;
    assert_eq!(d.status, StatusCode::OK);
    assert!(d.body.contains("Klotter på gaveln mot parkeringen"));
    assert!(d.body.contains("2026-11-26 22:15"));
    assert!(d.body.contains("Klotter"));
    assert!(d.body.contains("Skapad som Ny"));
    // SWEREF 99 TM shown in whole metres (N 6587601.867 for this point).
    assert!(d.body.contains("N 6587602, E"), "{}", d.body);

    let list = app
        .get("/incidents?category=skadegorelse", Some(&cookie))
        .await;
    assert!(
        list.body.contains("Klotter"),
        "parent category includes the child"
    );
    assert!(list.body.contains("En händelse"));
    let none = app.get("/incidents?category=trafik", Some(&cookie)).await;
    assert!(none.body.contains("Inga händelser matchar filtret."));
    let bad = app.get("/incidents?from=igår", Some(&cookie)).await;
    assert!(bad.body.contains("Förstod inte datumet igår"));
}

#[tokio::test]
async fn invalid_form_keeps_values_and_shows_errors_by_the_fields() {
    let (app, ..) = app().await;
    let (cookie, csrf) = app.login("rapportor@k1960.example").await;
    let r = app
        .post_form(
            "/incidents",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("category", ""),
                ("occurred_from", "2026-11-26T22:15"),
                ("lat", "91,5"),
                ("lon", "16.09"),
                ("description", "Kvar efter felet"),
                ("persons_involved", "många"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let b = &r.body;
    assert!(
        b.contains(r#"<p class="error" id="category-error">Vad hände? måste fyllas i.</p>"#),
        "{b}"
    );
    assert!(b.contains(
        r#"id="lat-error">Latituden måste vara ett tal mellan -90 och 90 (du skrev 91,5)."#
    ));
    assert!(b.contains(r#"id="persons_involved-error">"#));
    assert!(b.contains(r#"value="91,5""#), "value kept");
    assert!(b.contains(r#"value="16.09""#));
    assert!(b.contains(">Kvar efter felet</textarea>"));
    assert!(b.contains(r#"value="2026-11-26T22:15""#));
    assert!(b.contains(r#"aria-invalid="true""#));
    assert!(
        b.contains(r##"<a href="#category">"##),
        "error summary links to the field"
    );
    // Nothing was stored.
    let list = app.get("/incidents", Some(&cookie)).await;
    assert!(list.body.contains("Inga händelser"));
}

#[tokio::test]
async fn personal_data_is_refused_and_shown_to_the_reporter() {
    let (app, ..) = app().await;
    let (cookie, csrf) = app.login("rapportor@k1960.example").await;
    let mut form = good_form(&csrf);
    form.retain(|(k, _)| *k != "description");
    form.push((
        "description",
        "Eleven 081103-3968 sprayade, mamman nås på 070-123 45 67",
    ));
    let r = app.post_form("/incidents", Some(&cookie), &form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("Ta bort detta innan du skickar: 081103-3968, 070-123 45 67."),
        "{}",
        r.body
    );
    assert!(
        app.get("/incidents", Some(&cookie))
            .await
            .body
            .contains("Inga händelser")
    );
}

#[tokio::test]
async fn a_place_outside_the_municipality_needs_confirmation() {
    let (app, ..) = app().await;
    let (cookie, csrf) = app.login("rapportor@k1960.example").await;
    let mut form = good_form(&csrf);
    form.retain(|(k, _)| *k != "lat" && *k != "lon");
    form.push(("lat", "59.3293"));
    form.push(("lon", "18.0686")); // Stockholm
    let r = app.post_form("/incidents", Some(&cookie), &form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("ligger utanför kommunen"));
    assert!(r.body.contains(r#"name="confirm_outside""#));
    form.push(("confirm_outside", "true"));
    let r = app.post_form("/incidents", Some(&cookie), &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
}

#[tokio::test]
async fn forms_need_the_csrf_token_and_same_origin() {
    let (app, ..) = app().await;
    let (cookie, csrf) = app.login("rapportor@k1960.example").await;
    let mut form = good_form("wrong");
    assert_eq!(
        app.post_form("/incidents", Some(&cookie), &form)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    form[0] = ("csrf", &csrf);
    let req = Request::post("/incidents")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &cookie)
        .header("sec-fetch-site", "cross-site")
        .body(Body::from(format!("csrf={csrf}&category=trafik")))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn status_changes_by_coordinator_with_history() {
    let (app, ..) = app().await;
    let (rc, rcsrf) = app.login("rapportor@k1960.example").await;
    let r = app
        .post_form("/incidents", Some(&rc), &good_form(&rcsrf))
        .await;
    let id = r
        .location()
        .trim_start_matches("/incidents/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    // A reporter cannot change status.
    let r = app
        .post_form(
            &format!("/incidents/{id}/status"),
            Some(&rc),
            &[("csrf", &rcsrf), ("to", "closed")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let (ac, acsrf) = app.login("admin@k1960.example").await;
    let r = app
        .post_form(
            &format!("/incidents/{id}/status"),
            Some(&ac),
            &[("csrf", &acsrf), ("to", "reviewed"), ("comment", "Kollat")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let d = app.get(&format!("/incidents/{id}"), Some(&rc)).await;
    assert!(d.body.contains("Ny → Granskad"), "{}", d.body);
    assert!(d.body.contains("Kollat"));
    assert!(d.body.contains("admin 1960"));
}

/// Issue 20: Dubblett asks which incident it repeats and links to it; the reporter's start
/// page tells them what happened to their reports.
#[tokio::test]
async fn a_duplicate_names_its_original_and_the_reporter_hears_of_it() {
    let (app, ..) = app().await;
    let (rc, rcsrf) = app.login("rapportor@k1960.example").await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let r = app
            .post_form("/incidents", Some(&rc), &good_form(&rcsrf))
            .await;
        ids.push(
            r.location()
                .trim_start_matches("/incidents/")
                .split('?')
                .next()
                .unwrap()
                .to_string(),
        );
    }
    let (first, second) = (&ids[0], &ids[1]);
    let (ac, acsrf) = app.login("admin@k1960.example").await;
    let page = app.get(&format!("/incidents/{second}"), Some(&ac)).await;
    assert!(
        page.body.contains("Dubblett av händelse nr"),
        "{}",
        page.body
    );
    // Coordinates the Swedish way, beside a small map of where it happened.
    assert!(
        page.body
            .contains(r#"<title id="incident-map-chart-title">Var det hände</title>"#),
        "{}",
        page.body
    );
    let coords = page.body.split("° N, ").next().unwrap();
    let coords = &coords[coords.rfind("<dd>").unwrap() + 4..];
    assert!(coords.contains(',') && !coords.contains('.'), "{coords}");
    // Without the number, or with one that is not there: nothing changes, the page says why.
    for (value, expect) in [
        ("", "duplicate-missing"),
        ("999999", "duplicate-unknown"),
        (second.as_str(), "duplicate-unknown"),
    ] {
        let r = app
            .post_form(
                &format!("/incidents/{second}/status"),
                Some(&ac),
                &[
                    ("csrf", &acsrf),
                    ("to", "duplicate"),
                    ("duplicate_of", value),
                    ("comment", ""),
                ],
            )
            .await;
        assert_eq!(r.location(), format!("/incidents/{second}?status={expect}"));
    }
    let page = app
        .get(
            &format!("/incidents/{second}?status=duplicate-missing"),
            Some(&ac),
        )
        .await;
    assert!(
        page.body
            .contains("Ange numret på händelsen som den här är en dubblett av.")
    );
    assert!(
        page.body
            .contains("<span class=\"status status-new\">Ny</span>"),
        "still new"
    );
    let r = app
        .post_form(
            &format!("/incidents/{second}/status"),
            Some(&ac),
            &[
                ("csrf", &acsrf),
                ("to", "duplicate"),
                ("duplicate_of", &format!("#{first}")),
                ("comment", "Samma som den förra"),
            ],
        )
        .await;
    assert_eq!(r.location(), format!("/incidents/{second}?status=1"));
    let page = app.get(&format!("/incidents/{second}"), Some(&rc)).await;
    assert!(
        page.body.contains(&format!(
            "<dt>Dubblett av</dt><dd><a href=\"/incidents/{first}\">"
        )),
        "{}",
        page.body
    );
    // The reporter's start page: the news, with the link and the comment.
    let start = app.get("/", Some(&rc)).await;
    assert!(
        start
            .body
            .contains("Nytt om dina rapporter de senaste 14 dagarna"),
        "{}",
        start.body
    );
    assert!(
        start.body.contains(
            "fick den status <span class=\"status status-duplicate\">Dubblett</span> – Dubblett av"
        ),
        "{}",
        start.body
    );
    assert!(start.body.contains("Samma som den förra"));
    // In English.
    let start = app
        .get("/", Some(&format!("{rc}; lagesbild_lang=en")))
        .await;
    assert!(
        start
            .body
            .contains("News about your reports in the last 14 days"),
        "{}",
        start.body
    );
}

#[tokio::test]
async fn api_create_list_get_geojson() {
    let (app, _k, ku, ..) = app().await;
    let token = app.token(&ku[1]).await;
    let body = json!({
        "category": "skadegorelse-glaskross",
        "occurred_from": "2026-11-26T22:00:00+01:00",
        "occurred_to": "2026-11-27T06:00:00+01:00",
        "lat": 59.4224, "lon": 16.0978,
        "description": "Krossad ruta",
        "persons_involved": 0,
        "visibility": "police_and_coordinator"
    });
    let r = app
        .api("POST", "/api/v1/incidents", Some(&token), Some(body))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let created = r.json();
    let id = created["id"].as_i64().unwrap();
    assert_eq!(r.location(), format!("/api/v1/incidents/{id}"));
    assert_eq!(created["occurred_from"], "2026-11-26T21:00:00Z");
    assert_eq!(created["occurred_to"], "2026-11-27T05:00:00Z");
    assert_eq!(created["visibility"], "police_and_coordinator");
    assert_eq!(created["source"], "api");
    assert!((created["sweref99tm"]["e"].as_f64().unwrap() - 562_295.107).abs() < 0.001);

    let one = app
        .api(
            "GET",
            &format!("/api/v1/incidents/{id}"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.json()["description"], "Krossad ruta");

    let list = app
        .api(
            "GET",
            "/api/v1/incidents?from=2026-11-01&to=2026-11-30&category=skadegorelse-glaskross",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(list.status, StatusCode::OK);
    let items = list.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    let outside = app
        .api(
            "GET",
            "/api/v1/incidents?bbox=10,50,11,51",
            Some(&token),
            None,
        )
        .await;
    assert!(outside.json()["items"].as_array().unwrap().is_empty());

    let gj = app
        .api("GET", "/api/v1/incidents.geojson", Some(&token), None)
        .await;
    assert_eq!(gj.status, StatusCode::OK);
    assert_eq!(
        gj.headers.get(header::CONTENT_TYPE).unwrap(),
        "application/geo+json"
    );
    let v = gj.json();
    assert_eq!(v["type"], "FeatureCollection");
    assert_eq!(
        v["features"][0]["geometry"]["coordinates"],
        json!([16.0978, 59.4224])
    );
    assert!(v.get("crs").is_none());

    // A police event known only to municipality level is never a point.
    let mut ev = store::conformance::incident(&ku[0], "trafik", "2026-11-25T10:00:00Z");
    ev.precision = model::Precision::Municipality;
    ev.municipality_code = Some("1960".into());
    ev.source = model::Source::ImportPolisen;
    ev.external_id = Some("650297".into());
    ev.user_id = None;
    app.store
        .import_incidents(ku[0].tenant_id, &[ev])
        .await
        .unwrap();
    let gj = app
        .api(
            "GET",
            "/api/v1/incidents.geojson?source=import:polisen",
            Some(&token),
            None,
        )
        .await
        .json();
    assert_eq!(gj["features"].as_array().unwrap().len(), 1);
    assert!(gj["features"][0]["geometry"].is_null());
    assert_eq!(gj["features"][0]["properties"]["municipality_code"], "1960");
    // The reporter sees others' shared reports on the map only (the tenant's default view);
    // the coordinator sees them as records too.
    let mine = app
        .api(
            "GET",
            "/api/v1/incidents?source=import:polisen",
            Some(&token),
            None,
        )
        .await
        .json();
    assert!(mine["items"].as_array().unwrap().is_empty());
    let admin_token = app.token(&ku[0]).await;
    let list = app
        .api(
            "GET",
            "/api/v1/incidents?source=import:polisen",
            Some(&admin_token),
            None,
        )
        .await
        .json();
    assert!(list["items"][0]["lat"].is_null() && list["items"][0]["lon"].is_null());
    assert_eq!(list["items"][0]["precision"], "municipality");

    let cats = app
        .api("GET", "/api/v1/categories", Some(&token), None)
        .await;
    assert!(
        cats.json()
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "narkotika")
    );
    assert_eq!(app.get("/healthz", None).await.json()["status"], "ok");
}

#[tokio::test]
async fn api_keyset_paging_covers_everything_once() {
    let (app, _k, ku, ..) = app().await;
    let token = app.token(&ku[0]).await;
    for h in 0..7 {
        let body = json!({"category": "trafik", "occurred_at": format!("2026-11-20T{:02}:00:00Z", 10 + h / 2), "lat": 59.42, "lon": 16.1, "description": "Fortkörning"});
        assert_eq!(
            app.api("POST", "/api/v1/incidents", Some(&token), Some(body))
                .await
                .status,
            StatusCode::CREATED
        );
    }
    let mut seen = Vec::new();
    let mut url = "/api/v1/incidents?limit=3".to_string();
    loop {
        let page = app.api("GET", &url, Some(&token), None).await.json();
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_i64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/incidents?limit=3&cursor={c}"),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(seen.len(), 7);
    assert_eq!(sorted.len(), 7);
}

#[tokio::test]
async fn api_validation_errors_are_422_lists_of_field_and_message() {
    let (app, _k, ku, ..) = app().await;
    let token = app.token(&ku[1]).await;
    let r = app
        .api("POST", "/api/v1/incidents", Some(&token), Some(json!({"category": "ufo", "lat": 59.4, "occurred_at": "sen kväll", "name": "Kalle"})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = r.json();
    let fields: Vec<&str> = errors
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["name"], "unknown fields are refused first");
    let r = app
        .api(
            "POST",
            "/api/v1/incidents",
            Some(&token),
            Some(json!({"category": "ufo", "lat": 59.4, "occurred_at": "sen kväll"})),
        )
        .await;
    let errors = r.json();
    let fields: Vec<&str> = errors
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["occurred_at", "lon", "description"]);
    assert!(errors[0]["message"].as_str().unwrap().contains("sen kväll"));
    // A well-formed but unknown category is checked against the taxonomy.
    let r = app
        .api("POST", "/api/v1/incidents", Some(&token), Some(json!({"category": "ufo", "lat": 59.4224, "lon": 16.0978, "occurred_at": "2026-11-27T08:00:00Z", "description": "Ljus på himlen"})))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()[0]["field"], "category");
    // English on request.
    let req = Request::post("/api/v1/incidents")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::ACCEPT_LANGUAGE, "en-GB")
        .body(Body::from(r#"{"category":"trafik"}"#))
        .unwrap();
    let r = app.send(req).await;
    assert!(
        r.body.contains("Description must be filled in."),
        "{}",
        r.body
    );

    assert_eq!(
        app.api("GET", "/api/v1/incidents", None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.api("GET", "/api/v1/incidents", Some("nonsense"), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.api("GET", "/api/v1/incidents?limit=0", Some(&token), None)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Readers do not report.
    let reader = app.token(&ku[2]).await;
    let r = app
        .api("POST", "/api/v1/incidents", Some(&reader), Some(json!({"category": "trafik", "lat": 59.4224, "lon": 16.0978, "occurred_at": "2026-11-27T08:00:00Z"})))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn tenant_isolation_over_http() {
    let (app, _k, ku, _a, au) = app().await;
    let kt = app.token(&ku[0]).await;
    let at = app.token(&au[0]).await;
    let r = app
        .api("POST", "/api/v1/incidents", Some(&kt), Some(json!({"category": "trafik", "lat": 59.4224, "lon": 16.0978, "occurred_at": "2026-11-27T08:00:00Z", "description": "Kungsörs"})))
        .await;
    let id = r.json()["id"].as_i64().unwrap();
    // Arboga's admin sees nothing of it, anywhere, and gets 404 (not 403) for the id.
    let r = app
        .api("GET", &format!("/api/v1/incidents/{id}"), Some(&at), None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(!r.body.contains("Kungsörs"));
    assert!(
        app.api("GET", "/api/v1/incidents", Some(&at), None)
            .await
            .json()["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        app.api("GET", "/api/v1/incidents.geojson", Some(&at), None)
            .await
            .json()["features"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let (cookie, _) = app.login("admin@k1984.example").await;
    let page = app.get(&format!("/incidents/{id}"), Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.body.contains("Kungsörs"));
    assert!(
        !app.get("/incidents", Some(&cookie))
            .await
            .body
            .contains("Kungsörs")
    );
    // Arboga's categories and tenant outline are its own.
    assert_eq!(
        app.api("GET", "/api/v1/tenant", Some(&at), None)
            .await
            .json()["code"],
        "1984"
    );
}

#[tokio::test]
async fn english_pages_and_security_headers() {
    let (app, ..) = app().await;
    let r = app.get("/lang/en?back=/login", None).await;
    assert_eq!(r.location(), "/login");
    let set = r.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    assert!(set.starts_with("lagesbild_lang=en"));
    let r = app.get("/login", Some("lagesbild_lang=en")).await;
    assert!(r.body.contains(r#"<html lang="en">"#));
    assert!(r.body.contains("Sign in"));
    let r = app.get("/login", None).await;
    assert!(r.body.contains(r#"<html lang="sv">"#));
    assert!(r.body.contains("Logga in"));
    let csp = r
        .headers
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        csp.contains("script-src 'self'")
            && !csp.contains("unsafe-inline")
            && csp.contains("frame-ancestors 'none'")
    );
    assert_eq!(
        r.headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(),
        "nosniff"
    );
    // No open redirect.
    assert_eq!(
        app.get("/lang/en?back=//evil.example", None)
            .await
            .location(),
        "/"
    );
    // MapLibre is served by the binary itself.
    let js = app.get("/static/maplibre/maplibre-gl.mjs", None).await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(
        js.body.len() > 100_000,
        "MapLibre missing: run npm ci --prefix frontend"
    );
    assert_eq!(
        app.get("/static/nope.js", None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn audit_log_page_and_export_for_admins_only() {
    let (app, ..) = app().await;
    let (rc, rcsrf) = app.login("rapportor@k1960.example").await;
    let mut form = good_form(&rcsrf);
    form.retain(|(k, _)| *k != "visibility");
    form.push(("visibility", "police_and_coordinator"));
    let r = app.post_form("/incidents", Some(&rc), &form).await;
    let detail = r.location().split('?').next().unwrap().to_string();
    let id = detail.trim_start_matches("/incidents/").to_string();
    // The reporter may not see the log.
    assert_eq!(
        app.get("/admin/audit", Some(&rc)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/admin/audit.csv", Some(&rc)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/admin/audit", None).await.status,
        StatusCode::SEE_OTHER
    );
    let wrong = app
        .post_form(
            "/login",
            None,
            &[
                ("email", "admin@k1960.example"),
                ("password", "fel fel fel fel"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);

    let (ac, _) = app.login("admin@k1960.example").await;
    // The coordinator reads the restricted incident: logged.
    assert_eq!(app.get(&detail, Some(&ac)).await.status, StatusCode::OK);
    let page = app.get("/admin/audit", Some(&ac)).await;
    assert_eq!(page.status, StatusCode::OK);
    let b = &page.body;
    assert!(b.contains("Kedjan är obruten"), "{b}");
    for row in [
        "Begränsad händelse läst",
        "Händelse rapporterad",
        "Misslyckad inloggning",
        "Inloggning",
    ] {
        assert!(b.contains(&format!("<td>{row}</td>")), "{row}");
    }
    let only_reads = app
        .get("/admin/audit?action=incident.read", Some(&ac))
        .await;
    assert!(only_reads.body.contains("<td>Begränsad händelse läst</td>"));
    assert!(!only_reads.body.contains("<td>Händelse rapporterad</td>"));

    let csv = app.get("/admin/audit.csv", Some(&ac)).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.body
            .starts_with("\u{feff}seq,at,user_id,user_name,action,")
    );
    let reads: Vec<&str> = csv
        .body
        .lines()
        .filter(|l| l.contains(",incident.read,"))
        .collect();
    assert_eq!(reads.len(), 1);
    assert!(
        reads[0].contains(&format!(",incident,{id},")),
        "{}",
        reads[0]
    );
}

#[tokio::test]
async fn idle_sessions_end_and_activity_keeps_them() {
    let (app, ..) = app().await;
    let (cookie, _) = app.login("rapportor@k1960.example").await;
    app.advance_minutes(20);
    assert_eq!(
        app.get("/incidents", Some(&cookie)).await.status,
        StatusCode::OK
    );
    app.advance_minutes(20);
    assert_eq!(
        app.get("/incidents", Some(&cookie)).await.status,
        StatusCode::OK,
        "activity 20 min ago"
    );
    app.advance_minutes(31);
    let r = app.get("/incidents", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "idle for 31 minutes");
    assert!(r.location().starts_with("/login"));
    // The absolute lifetime (12 h) ends a session even when it is used.
    let (cookie, _) = app.login("rapportor@k1960.example").await;
    for _ in 0..25 {
        app.advance_minutes(29);
        let _ = app.get("/incidents", Some(&cookie)).await;
    }
    assert_eq!(
        app.get("/incidents", Some(&cookie)).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_account() {
    let (app, ..) = app().await;
    for _ in 0..5 {
        let r = app
            .post_form(
                "/login",
                None,
                &[
                    ("email", "admin@k1960.example"),
                    ("password", "fel lösenord igen"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused now, with a clear message.
    let r = app
        .post_form(
            "/login",
            None,
            &[("email", "admin@k1960.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        r.body
            .contains("För många misslyckade inloggningsförsök. Vänta 15 minuter"),
        "{}",
        r.body
    );
    // Another account is not affected; after the window the account may try again.
    app.login("rapportor@k1960.example").await;
    app.advance_minutes(16);
    app.login("admin@k1960.example").await;
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session() {
    let (app, ..) = app().await;
    let (phone, phone_csrf) = app.login("rapportor@k1960.example").await;
    let (desk, _) = app.login("rapportor@k1960.example").await;
    let (other, _) = app.login("admin@k1960.example").await;
    let page = app.get("/account", Some(&phone)).await;
    assert!(page.body.contains("Logga ut på alla enheter"));
    assert!(page.body.contains("Rapportör"));
    let r = app
        .post_form("/logout-all", Some(&phone), &[("csrf", &phone_csrf)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/incidents", Some(&phone)).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.get("/incidents", Some(&desk)).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.get("/incidents", Some(&other)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn reporters_see_their_own_reports_and_readers_no_incidents() {
    let (app, kungsor, ku, ..) = app().await;
    let admin = app.token(&ku[0]).await;
    let reporter = app.token(&ku[1]).await;
    let reader = app.token(&ku[2]).await;
    let body = |d: &str| json!({"category": "trafik", "lat": 59.4224, "lon": 16.0978, "occurred_at": "2026-11-27T08:00:00Z", "description": d});
    let theirs = app
        .api(
            "POST",
            "/api/v1/incidents",
            Some(&admin),
            Some(body("kommunens")),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let mine = app
        .api(
            "POST",
            "/api/v1/incidents",
            Some(&reporter),
            Some(body("min egen")),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let ids = |v: Value, key: &str| -> Vec<i64> {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect()
    };
    // Default view: the reporter's list holds their own; the map also the shared ones.
    assert_eq!(
        ids(
            app.api("GET", "/api/v1/incidents", Some(&reporter), None)
                .await
                .json(),
            "items"
        ),
        vec![mine]
    );
    let mut on_map = ids(
        app.api("GET", "/api/v1/incidents.geojson", Some(&reporter), None)
            .await
            .json(),
        "features",
    );
    on_map.sort();
    assert_eq!(on_map, vec![theirs, mine]);
    assert_eq!(
        app.api(
            "GET",
            &format!("/api/v1/incidents/{theirs}"),
            Some(&reporter),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    // The tenant may share more, or less.
    app.store
        .set_reporter_view(kungsor.id, model::ReporterView::Shared)
        .await
        .unwrap();
    assert_eq!(
        ids(
            app.api("GET", "/api/v1/incidents", Some(&reporter), None)
                .await
                .json(),
            "items"
        )
        .len(),
        2
    );
    app.store
        .set_reporter_view(kungsor.id, model::ReporterView::Own)
        .await
        .unwrap();
    assert_eq!(
        ids(
            app.api("GET", "/api/v1/incidents.geojson", Some(&reporter), None)
                .await
                .json(),
            "features"
        ),
        vec![mine]
    );
    // Managers read reports and aggregated figures, not incidents.
    assert!(
        ids(
            app.api("GET", "/api/v1/incidents", Some(&reader), None)
                .await
                .json(),
            "items"
        )
        .is_empty()
    );
    assert!(
        ids(
            app.api("GET", "/api/v1/incidents.geojson", Some(&reader), None)
                .await
                .json(),
            "features"
        )
        .is_empty()
    );
    assert_eq!(
        app.api(
            "GET",
            &format!("/api/v1/incidents/{mine}"),
            Some(&reader),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let (cookie, _) = app.login("chef@k1960.example").await;
    assert_eq!(
        app.get("/incidents/new", Some(&cookie)).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        !app.get("/incidents", Some(&cookie))
            .await
            .body
            .contains("Rapportera</a>"),
        "no report link for readers"
    );
}

#[tokio::test]
async fn coordinators_and_police_need_a_second_factor() {
    let (app, ..) = app().await;
    // The password alone does not sign a coordinator in.
    let r = app
        .post_form(
            "/login",
            None,
            &[
                ("email", "admin@k1960.example"),
                ("password", PASSWORD),
                ("next", "/map"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/login/second-factor/setup?next=%2Fmap");
    let pending = session_cookie(&r);
    assert_eq!(
        app.get("/incidents", Some(&pending)).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.get("/api/v1/incidents", Some(&pending)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let page = app
        .get("/login/second-factor/setup?next=%2Fmap", Some(&pending))
        .await;
    // A QR code: an SVG image as a data URI (minijinja writes "/" as "&#x2f;" in attributes).
    assert!(page.body.contains("svg+xml;base64,PD94"), "{}", page.body);
    assert!(page.body.contains("Ställ in tvåstegsverifiering"));
    let secret = attr(&page.body, "data-secret");
    // Reloading shows the same secret until it is confirmed.
    assert_eq!(
        attr(
            &app.get("/login/second-factor/setup", Some(&pending))
                .await
                .body,
            "data-secret"
        ),
        secret
    );
    let csrf = csrf_of(&page.body);
    let wrong = app
        .post_form(
            "/login/second-factor/setup",
            Some(&pending),
            &[("csrf", &csrf), ("code", "000000")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let code = service::totp::code(&secret, app.now()).unwrap();
    let ok = app
        .post_form(
            "/login/second-factor/setup",
            Some(&pending),
            &[("csrf", &csrf), ("code", &code), ("next", "/map")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let codes: Vec<String> = ok
        .body
        .split("<li><code>")
        .skip(1)
        .map(|c| c.split('<').next().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 10);
    let full = session_cookie(&ok);
    assert_eq!(app.get("/map", Some(&full)).await.status, StatusCode::OK);
    assert_eq!(
        app.get("/incidents", Some(&pending)).await.status,
        StatusCode::SEE_OTHER,
        "the pending session ended"
    );

    // Next time: the code is asked for; a used code, a wrong code and a reused recovery code fail.
    let (c, csrf) = password_step(&app).await;
    let r = app
        .post_form(
            "/login/second-factor",
            Some(&c),
            &[("csrf", &csrf), ("code", &code)],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "the code used at setup does not work again"
    );
    let r = app
        .post_form(
            "/login/second-factor",
            Some(&c),
            &[("csrf", &csrf), ("code", &codes[3])],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "a recovery code works");
    let (c, csrf) = password_step(&app).await;
    let r = app
        .post_form(
            "/login/second-factor",
            Some(&c),
            &[("csrf", &csrf), ("code", &codes[3])],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "but only once");
    app.clock.fetch_add(30, Ordering::SeqCst);
    let fresh = service::totp::code(&secret, app.now()).unwrap();
    let r = app
        .post_form(
            "/login/second-factor",
            Some(&c),
            &[("csrf", &csrf), ("code", &fresh)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/incidents", Some(&session_cookie(&r)))
            .await
            .status,
        StatusCode::OK
    );
    // Reporters sign in with the password alone.
    let r = app
        .post_form(
            "/login",
            None,
            &[("email", "rapportor@k1960.example"), ("password", PASSWORD)],
        )
        .await;
    // Signed in, everyone starts on their own start page.
    assert_eq!(r.location(), "/");
}

/// The coordinator's password step, leaving a session that waits for the code.
async fn password_step(app: &App) -> (String, String) {
    let r = app
        .post_form(
            "/login",
            None,
            &[("email", "admin@k1960.example"), ("password", PASSWORD)],
        )
        .await;
    assert!(
        r.location().starts_with("/login/second-factor?"),
        "{}",
        r.location()
    );
    let c = session_cookie(&r);
    let page = app.get(r.location(), Some(&c)).await;
    (c, csrf_of(&page.body))
}

fn notice_value(body: &str, prefix: &str) -> String {
    let start = body
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix:?} in page: {body}"))
        + prefix.len();
    body[start..].split('<').next().unwrap().trim().to_string()
}

#[tokio::test]
async fn the_coordinator_administers_users_without_a_programmer() {
    let (app, ..) = app().await;
    let (ac, csrf) = app.login("admin@k1960.example").await;
    let page = app.get("/admin/users", Some(&ac)).await;
    assert_eq!(page.status, StatusCode::OK);
    let skola = attr(
        &page.body[page.body.find("id=\"new-org\"").unwrap()..],
        "value",
    );
    let r = app
        .post_form(
            "/admin/users",
            Some(&ac),
            &[
                ("csrf", &csrf),
                ("name", "Ny Väktare"),
                ("email", "vakt@k1960.example"),
                ("org", &skola),
                ("role", "reporter"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let password = notice_value(&r.body, "Lösenord att lämna över: vakt@k1960.example: ");
    assert_eq!(password.chars().count(), 16);
    // The new reporter signs in with it.
    let login = app
        .post_form(
            "/login",
            None,
            &[("email", "vakt@k1960.example"), ("password", &password)],
        )
        .await;
    assert_eq!(login.location(), "/");
    let vakt = session_cookie(&login);
    // Bad input is refused with the reason, nothing stored.
    let r = app
        .post_form(
            "/admin/users",
            Some(&ac),
            &[
                ("csrf", &csrf),
                ("email", "inte-en-adress"),
                ("org", &skola),
                ("role", "reporter"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Ogiltig e-postadress: inte-en-adress"));
    let r = app
        .post_form(
            "/admin/users",
            Some(&ac),
            &[
                ("csrf", &csrf),
                ("email", "vakt@k1960.example"),
                ("org", &skola),
                ("role", "reporter"),
            ],
        )
        .await;
    assert!(
        // The same words as for an address of another municipality (see tests/security.rs).
        r.body
            .contains("Adressen vakt@k1960.example kan inte användas för ett nytt konto"),
        "{}",
        r.body
    );

    // Disabling ends the user's sessions; a new password can be issued.
    let users = app.store.users(1).await.unwrap();
    let v = users
        .iter()
        .find(|u| u.email.as_str() == "vakt@k1960.example")
        .unwrap();
    let org = v.org_id.to_string();
    let r = app
        .post_form(
            &format!("/admin/users/{}", v.id),
            Some(&ac),
            &[
                ("csrf", &csrf),
                ("name", "Väktare"),
                ("org", &org),
                ("role", "reporter"),
                ("disabled", "on"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        app.get("/incidents", Some(&vakt)).await.status,
        StatusCode::SEE_OTHER
    );
    let again = app
        .post_form(
            "/login",
            None,
            &[("email", "vakt@k1960.example"), ("password", &password)],
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::UNAUTHORIZED,
        "a disabled account cannot sign in"
    );
    // The coordinator cannot lock themself out.
    let me = users
        .iter()
        .find(|u| u.email.as_str() == "admin@k1960.example")
        .unwrap();
    let r = app
        .post_form(
            &format!("/admin/users/{}", me.id),
            Some(&ac),
            &[
                ("csrf", &csrf),
                ("name", "x"),
                ("org", &me.org_id.to_string()),
                ("role", "reporter"),
            ],
        )
        .await;
    assert!(
        r.body
            .contains("Du kan inte ta bort din egen administratörsroll")
    );
    // Others may not see the page at all.
    let (rc, _) = app.login("rapportor@k1960.example").await;
    assert_eq!(
        app.get("/admin/users", Some(&rc)).await.status,
        StatusCode::NOT_FOUND
    );
    let audit = app.get("/admin/audit?action=user.update", Some(&ac)).await;
    assert!(audit.body.contains("<td>Användare ändrad</td>"));
}

#[tokio::test]
async fn categories_are_added_renamed_and_retired_without_losing_history() {
    let (app, ..) = app().await;
    let (ac, csrf) = app.login("admin@k1960.example").await;
    let add = [
        ("csrf", csrf.as_str()),
        ("code", "eldning"),
        ("parent", "skadegorelse"),
        ("name_sv", "Eldning"),
        ("name_en", "Fires"),
        ("color", "#AA3300"),
        ("retention_months", "36"),
    ];
    let r = app.post_form("/admin/categories", Some(&ac), &add).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let cats = app.store.categories(1).await.unwrap();
    let c = cats.iter().find(|c| c.code.as_str() == "eldning").unwrap();
    assert_eq!(
        (
            c.parent.as_ref().unwrap().as_str(),
            c.color.as_str(),
            c.retention_months
        ),
        ("skadegorelse", "#aa3300", Some(36))
    );
    // A report with it, then retire it: the report keeps its category, new reports cannot use it.
    let (rc, rcsrf) = app.login("rapportor@k1960.example").await;
    let mut form = good_form(&rcsrf);
    form[1] = ("category", "eldning");
    let r = app.post_form("/incidents", Some(&rc), &form).await;
    let detail = r.location().split('?').next().unwrap().to_string();
    let retire = [
        ("csrf", csrf.as_str()),
        ("code", "eldning"),
        ("name_sv", "Eldning (gammal)"),
        ("name_en", "Fires (old)"),
        ("color", "#aa3300"),
        ("retired", "on"),
    ];
    assert_eq!(
        app.post_form("/admin/categories", Some(&ac), &retire)
            .await
            .status,
        StatusCode::OK
    );
    assert!(
        app.get(&detail, Some(&rc))
            .await
            .body
            .contains("Eldning (gammal)")
    );
    let r = app.post_form("/incidents", Some(&rc), &form).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a retired category cannot be chosen"
    );
    let bad = [
        ("csrf", csrf.as_str()),
        ("code", "Eldning!"),
        ("name_sv", "x"),
        ("name_en", "x"),
        ("color", "#aa3300"),
    ];
    assert!(
        app.post_form("/admin/categories", Some(&ac), &bad)
            .await
            .body
            .contains("Ogiltig kod Eldning!")
    );
}

#[tokio::test]
async fn areas_are_validated_and_take_in_earlier_incidents() {
    let (app, ..) = app().await;
    let (rc, rcsrf) = app.login("rapportor@k1960.example").await;
    app.post_form("/incidents", Some(&rc), &good_form(&rcsrf))
        .await; // at 59.4224, 16.0978
    let (ac, csrf) = app.login("admin@k1960.example").await;
    let bowtie = r#"{"type":"Polygon","coordinates":[[[16.09,59.42],[16.11,59.43],[16.11,59.42],[16.09,59.43],[16.09,59.42]]]}"#;
    let r = app
        .post_form(
            "/admin/places",
            Some(&ac),
            &[
                ("csrf", &csrf),
                ("name", "Torget"),
                ("kind", "area"),
                ("geometry", bowtie),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("the ring crosses itself"), "{}", r.body);
    assert!(r.body.contains("Torget"), "the name is kept");
    let open_ring =
        r#"{"type":"Polygon","coordinates":[[[16.09,59.42],[16.11,59.42],[16.11,59.43]]]}"#;
    let r = app
        .post_form(
            "/admin/places",
            Some(&ac),
            &[
                ("csrf", &csrf),
                ("name", "Torget"),
                ("kind", "area"),
                ("geometry", open_ring),
            ],
        )
        .await;
    assert!(r.body.contains("at least 4 positions"), "{}", r.body);
    let stockholm = r#"{"type":"Polygon","coordinates":[[[18.0,59.3],[18.1,59.3],[18.1,59.4],[18.0,59.4],[18.0,59.3]]]}"#;
    let r = app
        .post_form(
            "/admin/places",
            Some(&ac),
            &[
                ("csrf", &csrf),
                ("name", "Fel"),
                ("kind", "area"),
                ("geometry", stockholm),
            ],
        )
        .await;
    assert!(r.body.contains("ligger utanför kommunen"));
    let square = r#"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[16.09,59.42],[16.11,59.42],[16.11,59.43],[16.09,59.43],[16.09,59.42]]]}}"#;
    let r = app
        .post_form(
            "/admin/places",
            Some(&ac),
            &[
                ("csrf", &csrf),
                ("name", "Torget"),
                ("kind", "area"),
                ("geometry", square),
                ("is_school", "on"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let place = app
        .store
        .places(1)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.name == "Torget")
        .unwrap();
    assert!(place.is_school);
    // The incident reported before the area existed is now in it.
    let list = app
        .get(&format!("/incidents?area={}", place.id), Some(&ac))
        .await;
    assert!(list.body.contains("En händelse"), "{}", list.body);
    let r = app
        .post_form(
            "/admin/places",
            Some(&ac),
            &[
                ("csrf", &csrf),
                ("name", "Busshållplatsen"),
                ("kind", "point"),
                ("lat", "59,4230"),
                ("lon", "16,0990"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn tenant_settings_change_defaults_and_are_audited() {
    let (app, ..) = app().await;
    let (ac, csrf) = app.login("admin@k1960.example").await;
    let page = app.get("/admin/settings", Some(&ac)).await;
    assert!(
        page.body
            .contains("Egna i listan, andras delade som punkter på kartan")
    );
    let form = [
        ("csrf", csrf.as_str()),
        ("default_visibility", "police_and_coordinator"),
        ("reporter_view", "shared"),
        ("retention_action", "delete"),
        ("map_style_url", ""),
    ];
    assert_eq!(
        app.post_form("/admin/settings", Some(&ac), &form)
            .await
            .status,
        StatusCode::OK
    );
    let t = app.store.tenant(1).await.unwrap().unwrap();
    assert_eq!(
        t.default_visibility,
        model::Visibility::PoliceAndCoordinator
    );
    assert_eq!(t.reporter_view, model::ReporterView::Shared);
    assert_eq!(t.retention_action, model::RetentionAction::Delete);
    // The report form now proposes the new default.
    let (rc, _) = app.login("rapportor@k1960.example").await;
    let f = app.get("/incidents/new", Some(&rc)).await;
    assert!(f.body.contains(r#"value="police_and_coordinator" checked"#));
    let bad = [
        ("csrf", csrf.as_str()),
        ("default_visibility", "all_partners"),
        ("reporter_view", "map"),
        ("retention_action", "anonymise"),
        ("map_style_url", "javascript:alert(1)"),
    ];
    let r = app.post_form("/admin/settings", Some(&ac), &bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("Adressen måste börja med https:"),
        "{}",
        r.body
    );
    assert!(
        app.get("/admin/audit?action=tenant.settings", Some(&ac))
            .await
            .body
            .contains("<td>Inställningar ändrade</td>")
    );
    // A tenant's own base map is allowed by the pages that show a map, and only those.
    let with_map = [
        ("csrf", csrf.as_str()),
        ("default_visibility", "all_partners"),
        ("reporter_view", "map"),
        ("retention_action", "anonymise"),
        ("map_style_url", "https://tiles.example.org/style.json"),
    ];
    assert_eq!(
        app.post_form("/admin/settings", Some(&ac), &with_map)
            .await
            .status,
        StatusCode::OK
    );
    let map = app.get("/map", Some(&ac)).await;
    let csp = map
        .headers
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        csp.contains("connect-src 'self' https://tiles.example.org"),
        "{csp}"
    );
    let list = app.get("/incidents", Some(&ac)).await;
    assert!(
        !list
            .headers
            .get(header::CONTENT_SECURITY_POLICY)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("tiles.example.org")
    );
}

#[tokio::test]
async fn the_coordinator_redacts_personal_data_from_stored_text() {
    let (app, kungsor, ku, ..) = app().await;
    // Text stored before screening existed (or imported) may hold personal data.
    let mut n = store::conformance::incident(&ku[1], "trafik", "2026-11-20T10:00:00Z");
    n.description = "Ring Anna på 070-123 45 67 om bilen".into();
    let id = app.store.insert_incidents(kungsor.id, &[n]).await.unwrap()[0];
    let (ac, csrf) = app.login("admin@k1960.example").await;
    let page = app.get(&format!("/incidents/{id}"), Some(&ac)).await;
    assert!(
        page.body.contains("Granskningen hittade: 070-123 45 67"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Ring Anna på [telefonnummer borttaget] om bilen</textarea>")
    );
    let r = app
        .post_form(
            &format!("/incidents/{id}/redact"),
            Some(&ac),
            &[
                ("csrf", &csrf),
                (
                    "description",
                    "Ring [namn] på [telefonnummer borttaget] om bilen",
                ),
                ("place_text", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let after = app
        .get(&format!("/incidents/{id}?status=redacted"), Some(&ac))
        .await;
    assert!(after.body.contains("Texten är redigerad."));
    assert!(!after.body.contains("070-123") && !after.body.contains("Anna"));
    let audit = app
        .get("/admin/audit.csv?action=incident.redact", Some(&ac))
        .await;
    assert_eq!(audit.body.lines().count(), 2, "{}", audit.body);
    assert!(!audit.body.contains("070-123"));
    // Reporters cannot redact.
    let (rc, rcsrf) = app.login("rapportor@k1960.example").await;
    let r = app
        .post_form(
            &format!("/incidents/{id}/redact"),
            Some(&rc),
            &[("csrf", &rcsrf), ("description", "x")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn users_change_their_own_password() {
    let (app, ..) = app().await;
    let (rc, csrf) = app.login("rapportor@k1960.example").await;
    let change = |cur: &str, new: &str, rep: &str| {
        let fields = [
            ("csrf".to_string(), csrf.clone()),
            ("current".to_string(), cur.to_string()),
            ("new".to_string(), new.to_string()),
            ("repeat".to_string(), rep.to_string()),
        ];
        let (app, rc) = (&app, rc.clone());
        async move {
            let pairs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            app.post_form("/account/password", Some(&rc), &pairs).await
        }
    };
    let phrase = "tre gula bilar på torget";
    let r = change("fel lösenord här", phrase, phrase).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Det nuvarande lösenordet stämmer inte."));
    assert!(
        change(PASSWORD, phrase, "tre gula bilar")
            .await
            .body
            .contains("De nya lösenorden är inte lika.")
    );
    let weak = change(PASSWORD, "123456789012", "123456789012").await;
    assert!(
        weak.body.contains("Lösenordet kan inte användas"),
        "{}",
        weak.body
    );
    let r = change(PASSWORD, phrase, phrase).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/incidents", Some(&rc)).await.status,
        StatusCode::SEE_OTHER,
        "sessions end"
    );
    let old = app
        .post_form(
            "/login",
            None,
            &[("email", "rapportor@k1960.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    let new = app
        .post_form(
            "/login",
            None,
            &[("email", "rapportor@k1960.example"), ("password", phrase)],
        )
        .await;
    assert_eq!(new.location(), "/");
}

#[tokio::test]
async fn hot_spots_of_what_the_caller_may_see() {
    let (app, kungsor, ku, ..) = app().await;
    // A cluster at Kungsör's centre, and a spread over a few kilometres.
    let mut batch = Vec::new();
    for i in 0..400u32 {
        let mut n = store::conformance::incident(&ku[0], "trafik", "2026-11-20T10:00:00Z");
        let (de, dn) = if i % 2 == 0 {
            (((i * 37) % 90) as f64, ((i * 53) % 90) as f64)
        } else {
            (
                ((i * 7919) % 4000) as f64 - 2000.0,
                ((i * 104_729) % 4000) as f64 - 2000.0,
            )
        };
        n.e = 562_295.0 + de;
        n.n = 6_587_601.0 + dn;
        let (lon, lat) = geo::from_sweref99tm(geo::Sweref99Tm { e: n.e, n: n.n });
        n.lon = lon;
        n.lat = lat;
        batch.push(n);
    }
    app.store
        .insert_incidents(kungsor.id, &batch)
        .await
        .unwrap();
    let admin = app.token(&ku[0]).await;
    let r = app
        .api(
            "GET",
            "/api/v1/hotspots.geojson?cell=100",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers.get(header::CONTENT_TYPE).unwrap(),
        "application/geo+json"
    );
    let v = r.json();
    let hot: Vec<&Value> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["bin"] == 3)
        .collect();
    assert!(!hot.is_empty(), "{v}");
    // The hottest cell lies at the cluster, near 16.0978, 59.4224.
    let c = &hot
        .iter()
        .max_by(|a, b| {
            a["properties"]["z"]
                .as_f64()
                .unwrap()
                .total_cmp(&b["properties"]["z"].as_f64().unwrap())
        })
        .unwrap()["geometry"]["coordinates"][0][0];
    assert!(
        (c[0].as_f64().unwrap() - 16.0978).abs() < 0.01
            && (c[1].as_f64().unwrap() - 59.4224).abs() < 0.01,
        "{c}"
    );
    // The same incidents as a vector tile (zoom 12 around the cluster): every located one the
    // admin may see there, none for a reader; a tile that does not exist is 422.
    let n = 4096.0f64;
    let (lon, lat) = (16.0978f64, 59.4224f64);
    let (tx, ty) = (
        ((lon + 180.0) / 360.0 * n) as u32,
        ((1.0
            - (lat.to_radians().tan() + 1.0 / lat.to_radians().cos()).ln() / std::f64::consts::PI)
            / 2.0
            * n) as u32,
    );
    let r = app
        .api(
            "GET",
            &format!("/api/v1/tiles/12/{tx}/{ty}.mvt"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers.get(header::CONTENT_TYPE).unwrap(),
        "application/vnd.mapbox-vector-tile"
    );
    let tile = geo::tile::TileId::parse(12, tx, ty).unwrap();
    let [w, s_, e, n_] = tile.bounds_wgs84();
    let expected = batch
        .iter()
        .filter(|b| b.lon >= w && b.lon <= e && b.lat >= s_ && b.lat <= n_)
        .count();
    let got = geo::tile::decode_points(r.body_bytes(), "incidents").unwrap();
    assert!(expected > 200, "{expected}");
    // At zoom 12 points gather into cells: the counts add up to every point in the tile.
    let counted: usize = got
        .iter()
        .map(|f| {
            f.properties
                .iter()
                .find(|(k, _)| k == "count")
                .map(|(_, v)| v.parse::<usize>().unwrap())
                .unwrap()
        })
        .sum();
    assert_eq!(counted, expected);
    assert!(got.len() < expected, "the cluster is gathered");
    let reader_tile = app
        .api(
            "GET",
            &format!("/api/v1/tiles/12/{tx}/{ty}"),
            Some(&app.token(&ku[2]).await),
            None,
        )
        .await;
    assert_eq!(reader_tile.status, StatusCode::OK);
    assert!(reader_tile.body.is_empty());
    assert_eq!(
        app.api("GET", "/api/v1/tiles/3/9/1", Some(&admin), None)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Local Moran's I: the cluster is a high-high cluster, significant by permutation.
    let m = app
        .api(
            "GET",
            "/api/v1/hotspots.geojson?cell=100&method=moran",
            Some(&admin),
            None,
        )
        .await
        .json();
    let hh: Vec<&Value> = m["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["quadrant"] == 1)
        .collect();
    assert!(!hh.is_empty(), "{m}");
    assert!(
        hh.iter()
            .all(|f| f["properties"]["p_sim"].as_f64().unwrap() <= 0.05)
    );
    let top = hh
        .iter()
        .max_by(|a, b| {
            a["properties"]["count"]
                .as_f64()
                .unwrap()
                .total_cmp(&b["properties"]["count"].as_f64().unwrap())
        })
        .unwrap()["geometry"]["coordinates"][0][0]
        .clone();
    assert!(
        (top[0].as_f64().unwrap() - 16.0978).abs() < 0.01
            && (top[1].as_f64().unwrap() - 59.4224).abs() < 0.01,
        "{top}"
    );
    assert_eq!(
        app.api(
            "GET",
            "/api/v1/hotspots.geojson?method=kriging",
            Some(&admin),
            None
        )
        .await
        .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Readers see no incidents, so no hot spots; bad parameters are 422.
    let reader = app.token(&ku[2]).await;
    assert!(
        app.api("GET", "/api/v1/hotspots.geojson", Some(&reader), None)
            .await
            .json()["features"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        app.api("GET", "/api/v1/hotspots.geojson?cell=5", Some(&admin), None)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.api(
            "GET",
            "/api/v1/hotspots.geojson?weights=rook",
            Some(&admin),
            None
        )
        .await
        .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn analysis_of_the_period_api_page_and_density() {
    let (app, kungsor, ku, ..) = app().await;
    let now = app.now().as_second();
    let at = |days_ago: f64| {
        Timestamp::from_second(now - (days_ago * 86_400.0) as i64)
            .unwrap()
            .to_string()
    };
    // The last 28 days: 15 pairs, each two incidents 30 m and a day apart, 800 m between pairs;
    // the 28 days before: 5 incidents spread out.
    let mut batch = Vec::new();
    let mut push = |when: String, de: f64, dn: f64| {
        let mut n = store::conformance::incident(&ku[0], "trafik", &when);
        n.e = 562_295.0 + de;
        n.n = 6_587_601.0 + dn;
        let (lon, lat) = geo::from_sweref99tm(geo::Sweref99Tm { e: n.e, n: n.n });
        n.lon = lon;
        n.lat = lat;
        batch.push(n);
    };
    for k in 0..15 {
        let d = 2.0 + k as f64 * 1.7;
        let de = (k % 4) as f64 * 800.0 - 1200.0;
        let dn = (k / 4) as f64 * 800.0 - 1200.0;
        push(at(d + 1.0), de, dn);
        push(at(d), de + 30.0, dn);
    }
    for k in 0..5 {
        push(at(30.0 + 4.0 * k as f64), k as f64 * 500.0, -2000.0);
    }
    app.store
        .insert_incidents(kungsor.id, &batch)
        .await
        .unwrap();
    // An area drawn afterwards around the southern row of pairs (8 incidents, all recent).
    let corner = |de: f64, dn: f64| {
        let (lon, lat) = geo::from_sweref99tm(geo::Sweref99Tm {
            e: 562_295.0 + de,
            n: 6_587_601.0 + dn,
        });
        format!("[{lon},{lat}]")
    };
    let ring = [
        corner(-1300.0, -1300.0),
        corner(1400.0, -1300.0),
        corner(1400.0, -1100.0),
        corner(-1300.0, -1100.0),
        corner(-1300.0, -1300.0),
    ]
    .join(",");
    app.store
        .create_place(&store::NewPlace {
            by: None,
            tenant_id: kungsor.id,
            name: "Södra raden".into(),
            kind: store::PlaceKind::Area,
            is_school: false,
            geometry_geojson: format!(r#"{{"type":"Polygon","coordinates":[[{ring}]]}}"#),
            lon: 16.1,
            lat: 59.42,
            is_demo: false,
        })
        .await
        .unwrap();
    let admin = app.token(&ku[0]).await;
    let r = app
        .api("GET", "/api/v1/analysis?days=28", Some(&admin), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    assert_eq!(v["areas"][0]["name"], "Södra raden", "{v}");
    assert_eq!(v["areas"][0]["after"], 8, "{v}");
    assert_eq!(v["areas"][0]["before"], 0, "{v}");
    assert_eq!(v["total"]["before"], 5, "{v}");
    assert_eq!(v["total"]["after"], 30, "{v}");
    assert_eq!(v["total"]["change"], "up");
    assert_eq!(v["categories"][0]["category"], "trafik");
    assert_eq!(v["weekly"].as_array().unwrap().len(), 4);
    let per_hour: f64 = v["weekday_hour"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|x| x.as_f64().unwrap())
        .sum();
    assert!((per_hour - 30.0).abs() < 1e-9, "{per_hour}");
    // The pairs are near repeats: the closest band holds them, well above chance.
    let first = &v["near_repeat"][0];
    assert_eq!(first["space_to"], 100.0);
    assert!(first["observed"].as_u64().unwrap() >= 15, "{first}");
    assert!(
        v["near_repeat_warning"]["ratio"].as_f64().unwrap() > 1.2,
        "{v}"
    );
    // Another category: nothing in it.
    let none = app
        .api(
            "GET",
            "/api/v1/analysis?days=28&category=brand",
            Some(&admin),
            None,
        )
        .await
        .json();
    assert_eq!(none["total"]["after"], 0);
    assert!(none["near_repeat"].is_null());
    // Readers see no incidents; bad periods are refused with the field named.
    let reader = app.token(&ku[2]).await;
    let rv = app
        .api("GET", "/api/v1/analysis", Some(&reader), None)
        .await
        .json();
    assert_eq!(rv["total"]["after"], 0);
    let bad = app
        .api("GET", "/api/v1/analysis?days=3", Some(&admin), None)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()[0]["field"], "days");

    // Density: polygons with the densest cell at a pair.
    let r = app
        .api(
            "GET",
            "/api/v1/density.geojson?cell=50&bandwidth=200",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    let features = v["features"].as_array().unwrap();
    assert!(!features.is_empty());
    let top = features
        .iter()
        .max_by(|a, b| {
            a["properties"]["density"]
                .as_f64()
                .unwrap()
                .total_cmp(&b["properties"]["density"].as_f64().unwrap())
        })
        .unwrap();
    assert_eq!(top["properties"]["level"], 5);
    assert!(
        features
            .iter()
            .all(|f| f["properties"]["density"].as_f64().unwrap() > 0.0)
    );
    assert_eq!(
        app.api(
            "GET",
            "/api/v1/density.geojson?bandwidth=20",
            Some(&admin),
            None
        )
        .await
        .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // The page, in Swedish, with the warning and the tables.
    let (cookie, _) = app.login("admin@k1960.example").await;
    let page = app.get("/analysis?days=28", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for text in [
        "Analys av lägesbilden",
        "Varning: upprepade händelser nära varandra",
        "säkerställd ökning",
        "När i veckan händer det?",
        "Upprepas händelser nära varandra i tid och rum?",
        "Per område",
        "Södra raden",
        // Charts with their text equivalents.
        r#"<title id="analysis-weekly-chart-title">Händelser per vecka</title>"#,
        r#"<title id="analysis-change-chart-title">Förändring per kategori</title>"#,
        r#"<title id="analysis-week-chart-title">Händelser per veckodag och timme</title>"#,
        "Förändring per kategori mot föregående 28 dagar, störst ökning först:",
    ] {
        assert!(page.body.contains(text), "{text}");
    }
    // The methods are named once, in the footnote, not in the running text.
    let (text, method) = page.body.split_once(r#"id="analysis-method""#).unwrap();
    for jargon in ["Knox", "Mann–Kendall", "aoristisk", "Gi*"] {
        assert!(!text.contains(jargon), "{jargon} in the running text");
    }
    assert!(method.contains("Knox-test") && method.contains("Mann–Kendall"));
}

#[tokio::test]
async fn the_map_draws_tiles_when_a_municipality_has_many_incidents() {
    let (app, kungsor, ku, ..) = app().await;
    let (cookie, _) = app.login("admin@k1960.example").await;
    let page = app.get("/map", Some(&cookie)).await;
    assert!(
        page.body.contains(r#"data-tiles="0""#),
        "few incidents: GeoJSON"
    );
    let forced = app.get("/map?tiles=1", Some(&cookie)).await;
    assert!(forced.body.contains(r#"data-tiles="1""#));
    assert!(forced.body.contains("/api/v1/tiles/{z}/{x}/{y}.mvt"));
    // Past the limit the page itself chooses tiles.
    let when = Timestamp::from_second(app.now().as_second() - 86_400)
        .unwrap()
        .to_string();
    let batch: Vec<_> = (0..=web::MAP_GEOJSON_MAX)
        .map(|_| store::conformance::incident(&ku[0], "trafik", &when))
        .collect();
    app.store
        .insert_incidents(kungsor.id, &batch)
        .await
        .unwrap();
    let many = app.get("/map", Some(&cookie)).await;
    assert!(many.body.contains(r#"data-tiles="1""#));
    assert!(
        many.body.contains("analyssidan"),
        "the summary points to the analysis page"
    );
}

#[tokio::test]
async fn an_action_is_planned_shown_overdue_and_closed_with_a_note() {
    let (app, _kungsor, ku, ..) = app().await;
    let (cookie, csrf) = app.login("admin@k1960.example").await;
    let reporter = &ku[1];
    // Every bad field is named, nothing is stored.
    let bad = app
        .post_form(
            "/actions",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("title", ""),
                ("owner_org_id", &ku[0].org_id.to_string()),
                ("due_on", "snart"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Fältet måste fyllas i."), "{}", bad.body);
    assert!(
        bad.body.contains("Förstod inte datumet snart"),
        "{}",
        bad.body
    );
    assert!(
        app.get("/actions", Some(&cookie))
            .await
            .body
            .contains("Inga åtgärder här ännu.")
    );
    // Due yesterday, owned by the school's reporter.
    let yesterday =
        (app.now().to_zoned(service::stockholm()).date() - jiff::Span::new().days(1)).to_string();
    let made = app
        .post_form(
            "/actions",
            Some(&cookie),
            &[
                ("csrf", &csrf),
                ("title", "Klipp buskarna vid gångtunneln"),
                ("description", "Skymmer sikten på kvällen."),
                ("owner_org_id", &reporter.org_id.to_string()),
                ("owner_user_id", &reporter.id.to_string()),
                ("due_on", &yesterday),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let at = made
        .headers
        .get(header::LOCATION)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let page = app.get(&at, Some(&cookie)).await;
    assert!(page.body.contains("Klipp buskarna vid gångtunneln") && page.body.contains("Försenad"));
    // Overdue: on the coordinator's start page and on the owner's.
    let start = app.get("/incidents", Some(&cookie)).await;
    assert!(start.body.contains("Försenade åtgärder") && start.body.contains("Klipp buskarna"));
    let (rc, rcsrf) = app.login("rapportor@k1960.example").await;
    assert!(
        app.get("/incidents", Some(&rc))
            .await
            .body
            .contains("Klipp buskarna")
    );
    // The manager reads it, but its start page holds no one else's overdue work… of another org.
    let (mc, _) = app.login("chef@k1960.example").await;
    assert_eq!(app.get(&at, Some(&mc)).await.status, StatusCode::OK);
    assert!(
        !app.get("/incidents", Some(&mc))
            .await
            .body
            .contains("Klipp buskarna")
    );
    // The owner closes it: not without a note, then with one.
    let status = format!("{at}/status");
    let no_note = app
        .post_form(
            &status,
            Some(&rc),
            &[("csrf", &rcsrf), ("to", "done"), ("note", "")],
        )
        .await;
    assert_eq!(no_note.status, StatusCode::SEE_OTHER);
    assert!(app.get(&at, Some(&rc)).await.body.contains("Planerad"));
    let back = no_note
        .headers
        .get(header::LOCATION)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        app.get(&back, Some(&rc))
            .await
            .body
            .contains("Statusen ändrades inte")
    );
    let done = app
        .post_form(
            &status,
            Some(&rc),
            &[
                ("csrf", &rcsrf),
                ("to", "done"),
                ("note", "Buskarna klipptes den 20:e."),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let closed = app.get(&at, Some(&rc)).await;
    assert!(closed.body.contains("Genomförd") && closed.body.contains("Buskarna klipptes"));
    assert!(!closed.body.contains("Försenad"));
    assert!(
        !app.get("/incidents", Some(&cookie))
            .await
            .body
            .contains("Försenade åtgärder")
    );
    // The audit trail has both steps.
    let audit = app.get("/admin/audit", Some(&cookie)).await;
    assert!(audit.body.contains("Åtgärd skapad") && audit.body.contains("Åtgärdens status ändrad"));
}

#[tokio::test]
async fn an_action_shows_its_effect_weighed_by_the_displacement_quotient() {
    let (app, kungsor, ku, ..) = app().await;
    let square = |w: f64, s: f64| {
        format!(
            r#"{{"type":"Polygon","coordinates":[[[{w},{s}],[{e},{s}],[{e},{n}],[{w},{n}],[{w},{s}]]]}}"#,
            e = w + 0.01,
            n = s + 0.005
        )
    };
    let mut areas = Vec::new();
    for (name, w, s) in [
        ("Torget", 16.09, 59.42),
        ("Runt torget", 16.11, 59.42),
        ("Hamnen", 16.20, 59.40),
    ] {
        areas.push(
            app.store
                .create_place(&store::NewPlace {
                    by: None,
                    tenant_id: kungsor.id,
                    name: name.into(),
                    kind: store::PlaceKind::Area,
                    is_school: false,
                    geometry_geojson: square(w, s),
                    lon: w,
                    lat: s,
                    is_demo: false,
                })
                .await
                .unwrap(),
        );
    }
    let now = app.now();
    let ago = |days: i64| (now - jiff::SignedDuration::from_hours(days * 24)).to_string();
    // Treated 10 → 2, buffer 5 → 4, control 10 → 10 over 60 days on each side.
    let mut batch = Vec::new();
    for (k, before, after) in [(0usize, 10, 2), (1, 5, 4), (2, 10, 10)] {
        for (n, days) in [(before, 90), (after, 30)] {
            for _ in 0..n {
                let mut i = store::conformance::incident(&ku[0], "trafik", &ago(days));
                (i.lon, i.lat) = (areas[k].lon + 0.005, areas[k].lat + 0.0025);
                i.area_ids = vec![areas[k].id];
                batch.push(i);
            }
        }
    }
    app.store
        .insert_incidents(kungsor.id, &batch)
        .await
        .unwrap();
    let id = |k: usize| areas[k].id.to_string();
    let action = app
        .store
        .create_action(&store::NewAction {
            tenant_id: kungsor.id,
            action: model::ActionDraft {
                title: "Kameror vid torget".into(),
                owner_org_id: ku[0].org_id.to_string(),
                area_id: id(0),
                buffer_area_id: id(1),
                control_area_id: id(2),
                due_on: "2026-12-31".into(),
                ..Default::default()
            }
            .validate()
            .unwrap(),
            created_by: Some(ku[0].id),
            created_at: now - jiff::SignedDuration::from_hours(60 * 24),
        })
        .await
        .unwrap();
    let (cookie, _) = app.login("admin@k1960.example").await;
    let page = app
        .get(&format!("/actions/{}", action.id), Some(&cookie))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Händelser 60 dagar före och efter"),
        "{}",
        page.body
    );
    for row in [
        "Behandlat område</th><td>10</td><td>2</td>",
        "Buffertområde</th><td>5</td><td>4</td>",
        "Kontrollområde</th><td>10</td><td>10</td>",
    ] {
        assert!(page.body.contains(row), "{row}");
    }
    assert!(
        page.body
            .contains("Räknat mot kontrollområdet spred sig nyttan till buffertområdet."),
        "{}",
        page.body
    );
    // In Swedish, with a decimal comma.
    assert!(page.body.contains("(WDQ 0,1"), "{}", page.body);
    // Without a control area there is nothing to weigh against.
    let plain = app
        .store
        .create_action(&store::NewAction {
            tenant_id: kungsor.id,
            action: model::ActionDraft {
                title: "Städa".into(),
                owner_org_id: ku[0].org_id.to_string(),
                area_id: id(0),
                due_on: "2026-12-31".into(),
                ..Default::default()
            }
            .validate()
            .unwrap(),
            created_by: None,
            created_at: now,
        })
        .await
        .unwrap();
    let page = app
        .get(&format!("/actions/{}", plain.id), Some(&cookie))
        .await;
    assert!(
        page.body
            .contains("Ange åtgärdens område, ett buffertområde och ett kontrollområde")
    );
}

/// The lägesbild page and its PDF: each reader at their level, the period and area chosen in
/// the query, bad dates named.
#[tokio::test]
async fn lagesbild_page_and_pdf_at_each_level() {
    let (app, _k, ku, ..) = app().await;
    let token = app.token(&ku[1]).await;
    // Three shared reports and one for police and coordinator only, in the last two weeks
    // (NOW is 2026-11-27; the default period is 2026-11-13 – 2026-11-26).
    for (day, visibility, text) in [
        (20, "all_partners", "Krossad ruta vid entrén"),
        (21, "all_partners", "Krossad ruta vid cykelstället"),
        (22, "all_partners", "Krossad ruta i trapphuset"),
        (
            23,
            "police_and_coordinator",
            "Begränsad iakttagelse vid skolan",
        ),
    ] {
        let body = json!({
            "category": "skadegorelse-glaskross",
            "occurred_from": format!("2026-11-{day}T22:00:00+01:00"),
            "lat": 59.4224, "lon": 16.0978,
            "description": text,
            "persons_involved": 3,
            "visibility": visibility
        });
        let r = app
            .api("POST", "/api/v1/incidents", Some(&token), Some(body))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let (admin, _) = app.login("admin@k1960.example").await;
    let page = app.get("/lagesbild", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("Perioden 2026-11-13 – 2026-11-26 (14 dagar)."),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Begränsad: polis och säkerhetssamordnare")
    );
    // All four in the total, the restricted one among the notable incidents, marked.
    assert!(
        page.body
            .contains(r#"<th scope="row">Alla händelser</th><td>4</td>"#),
        "{}",
        page.body
    );
    assert!(page.body.contains("Begränsad iakttagelse vid skolan"));
    assert!(page.body.contains("(begränsad)"));
    assert!(
        page.body
            .contains(r#"href="/lagesbild.pdf?from=2026-11-13&amp;to=2026-11-26""#),
        "{}",
        page.body
    );

    // The PDF: the same period, served as an attachment.
    let pdf = app
        .get("/lagesbild.pdf?from=2026-11-13&to=2026-11-26", Some(&admin))
        .await;
    assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.body);
    assert_eq!(pdf.headers[header::CONTENT_TYPE], "application/pdf");
    assert_eq!(
        pdf.headers[header::CONTENT_DISPOSITION],
        "attachment; filename=\"lagesbild-1960-2026-11-13-2026-11-26.pdf\""
    );
    assert!(pdf.bytes.starts_with(b"%PDF-"));

    // The reporter sees what partners share: three, no restricted one.
    let (rep, _) = app.login("rapportor@k1960.example").await;
    let page = app.get("/lagesbild", Some(&rep)).await;
    assert!(page.body.contains("Samverkansparter"));
    // The reporter wrote all four, so they see their own restricted one too.
    assert!(
        page.body
            .contains(r#"<th scope="row">Alla händelser</th><td>4</td>"#),
        "{}",
        page.body
    );

    // Management: the coordinator's figures, no single incidents.
    let (chef, _) = app.login("chef@k1960.example").await;
    let page = app.get("/lagesbild", Some(&chef)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("Ledning: endast sammanställda uppgifter")
    );
    assert!(
        page.body
            .contains(r#"<th scope="row">Alla händelser</th><td>4</td>"#),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("Krossad ruta"),
        "no incident text for management"
    );
    assert!(!page.body.contains("Särskilda händelser"));

    // A period without them, and the year before.
    let page = app
        .get("/lagesbild?from=2026-10-01&to=2026-10-14", Some(&admin))
        .await;
    assert!(
        page.body
            .contains(r#"<th scope="row">Alla händelser</th><td>0</td>"#),
        "{}",
        page.body
    );

    // Bad input is named, field by field, and nothing is made.
    let page = app.get("/lagesbild?from=2026-13-01", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.body.contains("Förstod inte datumet 2026-13-01"),
        "{}",
        page.body
    );
    let page = app
        .get("/lagesbild?from=2026-11-20&to=2026-11-10", Some(&admin))
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.body.contains("Sluttiden måste vara efter starttiden."),
        "{}",
        page.body
    );
    let page = app
        .get("/lagesbild?from=2025-01-01&to=2026-11-10", Some(&admin))
        .await;
    assert!(page.body.contains("högst 366 dagar"), "{}", page.body);
    let page = app.get("/lagesbild?area=999999", Some(&admin)).await;
    assert!(page.body.contains("Ogiltigt val: 999999"), "{}", page.body);
    let pdf = app.get("/lagesbild.pdf?to=nej", Some(&admin)).await;
    assert_eq!(pdf.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(pdf.body.contains("Förstod inte datumet nej"));
}

/// Issue 20: the lägesbild draws its figures as charts with text equivalents, in words without
/// method names, the same on the page and in the PDF, and a year is compared with the same
/// dates a year earlier.
#[tokio::test]
async fn lagesbild_charts_words_and_the_comparison_they_name() {
    let (app, _k, ku, ..) = app().await;
    let token = app.token(&ku[1]).await;
    for day in [16, 18, 20, 21, 22, 23] {
        let body = json!({
            "category": "skadegorelse-glaskross",
            "occurred_from": format!("2026-11-{day}T22:00:00+01:00"),
            "lat": 59.4224, "lon": 16.0978,
            "description": "Krossad ruta",
            "visibility": "all_partners"
        });
        let r = app
            .api("POST", "/api/v1/incidents", Some(&token), Some(body))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let (admin, _) = app.login("admin@k1960.example").await;
    let page = app.get("/lagesbild", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let b = &page.body;
    for text in [
        // Weekly bars with dates, an axis and the verdict in words.
        r#"<title id="lb-weekly-chart-title">Händelser per vecka</title>"#,
        "Veckan som börjar",
        ">13 nov<",
        "Jämförelseperioden: 30 okt 0, 6 nov 0. Perioden: 13 nov 2, 20 nov 4.",
        "Perioden har 6 händelser mot 0 i jämförelseperioden. 4 hela veckor är för få för att säga om antalet stiger eller sjunker vecka för vecka.",
        // Change per category, ranked, significance marked.
        r#"<title id="lb-change-chart-title">Förändring per kategori</title>"#,
        "+6 (6 mot 0) ▲ säkerställd",
        "Förändring per kategori mot perioden före (2026-10-30 – 2026-11-12)",
        // Time of day × weekday.
        r#"<title id="lb-week-chart-title">Händelser per veckodag och timme</title>"#,
        "Flest händelser:",
        // The map with its legend in words.
        r#"<title id="lb-map-chart-title">Karta: hot spots och täthet</title>"#,
        "Hot spot, mycket säker (99 %)",
        "Jämförs med perioden före, 2026-10-30 – 2026-11-12 (lika lång), och med samma datum i fjol, 2025-11-13 – 2025-11-26.",
        "▲ från 0, säkerställd ökning",
    ] {
        assert!(b.contains(text), "{text} in {b}");
    }
    assert!(!b.contains("Ingen säker förändring"), "{b}");
    let (text, method) = b.split_once(r#"id="lb-method""#).unwrap();
    for jargon in [
        "Gi*",
        "FDR",
        "Mann–Kendall",
        "kvartisk",
        "aoristisk",
        "Knox",
    ] {
        assert!(!text.contains(jargon), "{jargon} in the running text");
    }
    assert!(method.contains("Getis–Ord Gi*") && method.contains("Mann–Kendall"));

    // The PDF carries the same charts (their words are text in the PDF).
    let pdf = app
        .get("/lagesbild.pdf?from=2026-11-13&to=2026-11-26", Some(&admin))
        .await;
    assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.body);
    let text = pdf_text(&pdf.bytes);
    for t in [
        "Veckan som börjar",
        "13 nov",
        "+6 (6 mot 0) ▲ säkerställd",
        "Hot spot, mycket säker (99 %)",
        "Perioden har 6 händelser mot 0 i jämförelseperioden.",
    ] {
        assert!(text.contains(t), "{t} in the PDF: {text}");
    }

    // A year is compared with the same dates a year earlier, and says so.
    let page = app
        .get("/lagesbild?from=2026-01-01&to=2026-11-26", Some(&admin))
        .await;
    assert!(
        page.body.contains("Perioden är längre än ett halvår och jämförs därför med samma datum ett år tidigare, 2025-01-01 – 2025-11-26."),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Förändring per kategori mot samma datum i fjol (2025-01-01 – 2025-11-26)")
    );
    let pdf = app
        .get("/lagesbild.pdf?from=2026-01-01&to=2026-11-26", Some(&admin))
        .await;
    let text = pdf_text(&pdf.bytes);
    assert!(text.contains("2025-01-01 – 2025-11-26"), "{text}");
    assert!(
        !text.contains("2025-01-31"),
        "no period of the same length before: {text}"
    );

    // In English too.
    let english = format!("{admin}; lagesbild_lang=en");
    let page = app.get("/lagesbild", Some(&english)).await;
    for text in [
        r#"<title id="lb-weekly-chart-title">Incidents per week</title>"#,
        "Week starting",
        "+6 (6 vs 0) ▲ significant",
        "The period has 6 incidents against 0 in the comparison period.",
    ] {
        assert!(page.body.contains(text), "{text} in {}", page.body);
    }
}

/// A hot spot case: promoted from a cluster's box, worked through the steps with a visit log,
/// an action made from it, the personal data of residents refused.
#[tokio::test]
async fn hot_spot_case_from_a_cluster_to_an_action() {
    let (app, _k, ku, ..) = app().await;
    let (admin, csrf) = app.login("admin@k1960.example").await;
    // Kungsör's centre, a 400 m box (SWEREF 99 TM).
    let form = [
        ("csrf", csrf.as_str()),
        ("title", "Hot spot vid torget"),
        ("description", "Kluster i lägesbilden"),
        ("e0", "562000"),
        ("n0", "6588600"),
        ("e1", "562400"),
        ("n1", "6589000"),
    ];
    let r = app.post_form("/cases", Some(&admin), &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let case_url = r.location().to_string();
    let id: i64 = case_url.trim_start_matches("/cases/").parse().unwrap();
    // The box became an area of the municipality, named after the case.
    let places = app.store.places(ku[0].tenant_id).await.unwrap();
    let area = places
        .iter()
        .find(|p| p.name == "Hot spot vid torget (hot spot)")
        .unwrap();
    assert_eq!(area.kind, store::PlaceKind::Area);
    let page = app.get(&case_url, Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("<h1>Hot spot vid torget</h1>"),
        "{}",
        page.body
    );
    // The EST steps drawn as steps: the current one marked, numbered, with its state.
    let current = |body: &str| -> String {
        let at = body.find(r#"aria-current="step""#).expect("a current step");
        let rest = &body[at..];
        let name = rest.find(r#"<span class="step-name">"#).unwrap() + 24;
        rest[name..name + rest[name..].find('<').unwrap()].to_string()
    };
    assert_eq!(current(&page.body), "Kartläggning", "{}", page.body);
    assert!(page.body.contains(r#"<li class="step-todo">"#));
    assert!(page.body.contains("pågår sedan"));
    // The area on a map.
    assert!(
        page.body.contains(
            r#"<title id="case-map-chart-title">Karta över Hot spot vid torget (hot spot)</title>"#
        ) && page.body.contains("Karta över området"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Händelser per vecka i området (26 veckor)")
    );

    // A visit; one naming a resident by identity number is refused and nothing is stored.
    let visit = |learnt: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("on", "2026-11-20".to_string()),
            ("who", "Fastighetsvärd, fritidsgården".to_string()),
            ("learnt", learnt.to_string()),
        ]
    };
    let send = |v: Vec<(&'static str, String)>| {
        let app = &app;
        let admin = admin.clone();
        let url = format!("{case_url}/visits");
        async move {
            let form: Vec<(&str, &str)> = v.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form(&url, Some(&admin), &form).await
        }
    };
    let r = send(visit("Belysningen vid kiosken är trasig sedan oktober.")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = send(visit("Boende 19811218-9876 klagar.")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("19811218-9876"),
        "the refused value is named: {}",
        r.body
    );
    let page = app.get(&case_url, Some(&admin)).await;
    assert!(
        page.body
            .contains("Belysningen vid kiosken är trasig sedan oktober.")
    );
    assert!(!page.body.contains("klagar"));

    // The next step, with a note.
    let r = app
        .post_form(
            &format!("{case_url}/step"),
            Some(&admin),
            &[
                ("csrf", csrf.as_str()),
                ("step", "analys"),
                ("note", "Kvällar och helger."),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&case_url, Some(&admin)).await;
    assert_eq!(current(&page.body), "Analys", "{}", page.body);
    assert!(
        page.body
            .contains(r#"<li class="step-done"><span class="step-no" aria-hidden="true">✓</span>"#),
        "{}",
        page.body
    );
    assert!(page.body.contains("Kvällar och helger."));

    // An action from the case: the form carries the case, the case lists the action.
    let form = app
        .get(
            &format!("/actions/new?record={id}&area={}", area.id),
            Some(&admin),
        )
        .await;
    assert!(
        form.body
            .contains(&format!(r#"name="record_id" value="{id}""#)),
        "{}",
        form.body
    );
    let org = ku[0].org_id.to_string();
    let rid = id.to_string();
    let r = app
        .post_form(
            "/actions",
            Some(&admin),
            &[
                ("csrf", csrf.as_str()),
                ("title", "Laga belysningen vid kiosken"),
                ("owner_org_id", org.as_str()),
                ("due_on", "2026-12-15"),
                ("record_id", rid.as_str()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&case_url, Some(&admin)).await;
    assert!(
        page.body.contains("Laga belysningen vid kiosken"),
        "{}",
        page.body
    );
    // An action cannot name a record that does not exist.
    let r = app
        .post_form(
            "/actions",
            Some(&admin),
            &[
                ("csrf", csrf.as_str()),
                ("title", "Fel koppling"),
                ("owner_org_id", org.as_str()),
                ("due_on", "2026-12-15"),
                ("record_id", "99999"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Ogiltigt val: 99999"), "{}", r.body);
    // The list; hot spot cases are the coordinator's and the police's: a reporter does not
    // use them (web::access), the page is not there for them.
    assert!(
        app.get("/cases", Some(&admin))
            .await
            .body
            .contains("Hot spot vid torget")
    );
    let (rep, rcsrf) = app.login("rapportor@k1960.example").await;
    let page = app.get(&case_url, Some(&rep)).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(!page.body.contains("Hot spot vid torget"));
    let r = app
        .post_form(
            &format!("{case_url}/step"),
            Some(&rep),
            &[("csrf", rcsrf.as_str()), ("step", "avslutad")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A box that is no box is refused.
    let r = app
        .post_form(
            "/cases",
            Some(&admin),
            &[
                ("csrf", csrf.as_str()),
                ("title", "X"),
                ("e0", "5"),
                ("n0", "5"),
                ("e1", "1"),
                ("n1", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// The samverkansmöte: the agenda from the lägesbild (an overdue action on it), notes, a
/// decision that creates its action in one step, a focus area on everyone's start page and
/// carried into the next agenda, the minutes as PDF.
#[tokio::test]
async fn a_meeting_from_agenda_to_minutes() {
    let (app, _k, ku, ..) = app().await;
    let (admin, csrf) = app.login("admin@k1960.example").await;
    let org = ku[0].org_id.to_string();
    let r = app
        .post_form(
            "/actions",
            Some(&admin),
            &[
                ("csrf", csrf.as_str()),
                ("title", "Röj buskarna vid gångtunneln"),
                ("owner_org_id", org.as_str()),
                ("due_on", "2026-11-20"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app
        .post_form(
            "/meetings",
            Some(&admin),
            &[
                ("csrf", csrf.as_str()),
                ("held_on", "2026-11-27"),
                ("kind", "samverkan"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let url = r.location().to_string();
    let id: i64 = url.trim_start_matches("/meetings/").parse().unwrap();
    let page = app.get(&url, Some(&admin)).await;
    assert!(
        page.body
            .contains("Lägesbilden för 2026-11-13 – 2026-11-26."),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("Försenad åtgärd: Röj buskarna vid gångtunneln"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Övriga frågor"));

    // Notes on the first item (the overdue action) and the attendees.
    let r = app
        .post_form(
            &format!("{url}/notes"),
            Some(&admin),
            &[
                ("csrf", csrf.as_str()),
                ("attendees", "Kommunpolisen, säkerhetssamordnaren"),
                ("notes_0", "Gatukontoret tar det nästa vecka."),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // A personal identity number in the notes is refused, the earlier notes stay.
    let r = app
        .post_form(
            &format!("{url}/notes"),
            Some(&admin),
            &[("csrf", csrf.as_str()), ("notes_0", "Ring 070-123 45 67")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = app.get(&url, Some(&admin)).await;
    assert!(page.body.contains("Gatukontoret tar det nästa vecka."));

    // A decision creates its action, linked to the meeting.
    let r = app
        .post_form(
            &format!("{url}/decisions"),
            Some(&admin),
            &[
                ("csrf", csrf.as_str()),
                ("decision", "Extra tillsyn vid torget fredagskvällar"),
                ("owner_org_id", org.as_str()),
                ("due_on", "2026-12-18"),
                ("area_id", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let actions = app
        .store
        .actions(ku[0].tenant_id, &store::ActionFilter::default())
        .await
        .unwrap();
    let a = actions
        .iter()
        .find(|a| a.title == "Extra tillsyn vid torget fredagskvällar")
        .unwrap();
    assert_eq!(a.record_id, Some(id));
    assert_eq!(a.due_on, jiff::civil::date(2026, 12, 18));
    // A decision without a date creates nothing.
    let r = app
        .post_form(
            &format!("{url}/decisions"),
            Some(&admin),
            &[
                ("csrf", csrf.as_str()),
                ("decision", "Utan datum"),
                ("owner_org_id", org.as_str()),
                ("due_on", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.store
            .actions(ku[0].tenant_id, &store::ActionFilter::default())
            .await
            .unwrap()
            .len(),
        2
    );

    // A focus area: on the start page of everyone, and in the next meeting's agenda.
    let r = app
        .post_form(
            &format!("{url}/focus"),
            Some(&admin),
            &[
                ("csrf", csrf.as_str()),
                ("focus_title", "Torget fredagskvällar"),
                ("focus_area", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let (rep, rcsrf) = app.login("rapportor@k1960.example").await;
    let start = app.get("/incidents", Some(&rep)).await;
    assert!(
        start.body.contains("Fokusområden just nu"),
        "{}",
        start.body
    );
    assert!(start.body.contains("<li>Torget fredagskvällar</li>"));
    let r = app
        .post_form(
            "/meetings",
            Some(&admin),
            &[
                ("csrf", csrf.as_str()),
                ("held_on", "2026-12-11"),
                ("kind", "samverkan"),
            ],
        )
        .await;
    let next = app.get(r.location(), Some(&admin)).await;
    assert!(
        next.body
            .contains("Uppföljning av fokusområde: Torget fredagskvällar"),
        "{}",
        next.body
    );

    // The minutes as PDF: the notes, the decision and its action, the focus area.
    let pdf = app.get(&format!("{url}/minutes.pdf"), Some(&rep)).await;
    assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.body);
    assert_eq!(pdf.headers[header::CONTENT_TYPE], "application/pdf");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.pdf");
    std::fs::write(&path, &pdf.bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args([path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils; scripts/test.sh installs it)");
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        "Samverkansmöte Kungsör 2026-11-27",
        "Kommunpolisen, säkerhetssamordnaren",
        "Gatukontoret tar det nästa vecka.",
        "Extra tillsyn vid torget fredagskvällar",
        &format!("#{}", a.id),
        "Torget fredagskvällar",
        "Sida 1 av",
    ] {
        assert!(text.contains(want), "{want:?} not in the minutes:\n{text}");
    }
    // Reporters read but do not hold meetings.
    let r = app
        .post_form(
            &format!("{url}/focus"),
            Some(&rep),
            &[("csrf", rcsrf.as_str()), ("focus_title", "X")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// Medborgarlöften: a promise, an activity with an indicator, its follow-up; the lägesbild,
/// the meeting agenda and the yearly follow-up PDF show it.
#[tokio::test]
async fn promises_activities_follow_up_and_report() {
    let (app, _k, ku, ..) = app().await;
    let (admin, csrf) = app.login("admin@k1960.example").await;
    let r = app
        .post_form(
            "/promises",
            Some(&admin),
            &[
                ("csrf", csrf.as_str()),
                ("year", "2026"),
                ("title", "Trygg skolväg"),
                ("text", "Vi gör skolvägen tryggare."),
                ("parties", "Polisen och kommunen"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/promises?year=2026");
    let records = app
        .store
        .records(ku[0].tenant_id, model::RecordKind::Promise, None)
        .await
        .unwrap();
    let pid = records[0].id;
    // An activity ending before it starts is refused; a good one is kept.
    let bad = app
        .post_form(
            &format!("/promises/{pid}/activities"),
            Some(&admin),
            &[
                ("csrf", csrf.as_str()),
                ("title", "Vandring"),
                ("responsible", "Kommunen"),
                ("planned_from", "2026-05-01"),
                ("planned_to", "2026-04-01"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("Sluttiden måste vara efter starttiden."),
        "{}",
        bad.body
    );
    let r = app
        .post_form(
            &format!("/promises/{pid}/activities"),
            Some(&admin),
            &[
                ("csrf", csrf.as_str()),
                ("title", "Trygghetsvandringar vid skolorna"),
                ("responsible", "Kommunen, polisen"),
                ("planned_from", "2026-09-01"),
                ("planned_to", "2026-12-05"),
                ("indicator", "Vandringar"),
                ("target", "4"),
                ("unit", "st"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let aid = app
        .store
        .records(ku[0].tenant_id, model::RecordKind::Activity, Some(pid))
        .await
        .unwrap()[0]
        .id;
    // Follow-up: in progress, 3 of 4 walks; a measured value that is no number is refused.
    let r = app
        .post_form(
            &format!("/activities/{aid}"),
            Some(&admin),
            &[
                ("csrf", csrf.as_str()),
                ("status", "in_progress"),
                ("measured_0", "tre"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_form(
            &format!("/activities/{aid}"),
            Some(&admin),
            &[
                ("csrf", csrf.as_str()),
                ("status", "in_progress"),
                ("measured_0", "3"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get("/promises?year=2026", Some(&admin)).await;
    assert!(
        page.body.contains("Trygghetsvandringar vid skolorna"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("75 % av målen uppnått."),
        "{}",
        page.body
    );
    // The lägesbild of the period shows the year's promises.
    let lb = app.get("/lagesbild", Some(&admin)).await;
    assert!(lb.body.contains("Medborgarlöften 2026"), "{}", lb.body);
    assert!(
        lb.body
            .contains("Trygghetsvandringar vid skolorna – Pågår (75 %)"),
        "{}",
        lb.body
    );
    // A meeting on 2026-11-27 gets the activity due 2026-12-05 on its agenda.
    let r = app
        .post_form(
            "/meetings",
            Some(&admin),
            &[
                ("csrf", csrf.as_str()),
                ("held_on", "2026-11-27"),
                ("kind", "samverkan"),
            ],
        )
        .await;
    let meeting_url = r.location().to_string();
    let m = app.get(&meeting_url, Some(&admin)).await;
    assert!(
        m.body
            .contains("Aktivitet i medborgarlöftet: Trygghetsvandringar vid skolorna"),
        "{}",
        m.body
    );
    // …and the activity lists the meeting that followed it up.
    let page = app.get("/promises?year=2026", Some(&admin)).await;
    assert!(
        page.body.contains(&format!(
            r#"Följt upp på möten: <a href="{meeting_url}">2026-11-27</a>"#
        )),
        "{}",
        page.body
    );
    // The yearly follow-up as PDF.
    let pdf = app
        .get("/promises/follow-up.pdf?year=2026", Some(&admin))
        .await;
    assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.body);
    let text = pdf_text(&pdf.bytes);
    for want in [
        "Uppföljning av medborgarlöften Kungsör 2026",
        "Trygg skolväg",
        "Trygghetsvandringar vid",
        "Vandringar: 4 / 3 st",
        "Genomförda aktiviteter: 0 / 1",
        "Sida 1 av",
    ] {
        assert!(text.contains(want), "{want:?} not in\n{text}");
    }
    let r = app.get("/promises?year=tjugo", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// The school view: incidents on and around the school by school time, and the mobilisation
/// list kept by the coordinator (addresses checked).
#[tokio::test]
async fn school_view_and_mobilisation_list() {
    let (app, _k, ku, ..) = app().await;
    // A school ground in Kungsör: 16.090–16.094 E, 59.420–59.422 N.
    let school = app
        .store
        .create_place(&store::NewPlace { by: None,
            tenant_id: ku[0].tenant_id,
            name: "Kungsgårdsskolan".into(),
            kind: store::PlaceKind::Area,
            is_school: true,
            geometry_geojson: r#"{"type":"Polygon","coordinates":[[[16.090,59.420],[16.094,59.420],[16.094,59.422],[16.090,59.422],[16.090,59.420]]]}"#.into(),
            lon: 16.092,
            lat: 59.421,
            is_demo: false,
        })
        .await
        .unwrap();
    let token = app.token(&ku[1]).await;
    for (when, lat, lon) in [
        // Tuesday 09:00 on the school ground: school hours.
        ("2026-11-10T09:00:00+01:00", 59.421, 16.092),
        // Saturday night 100 m north of it: around, weekend.
        ("2026-11-14T23:00:00+01:00", 59.4229, 16.092),
        // Far away: not the school's.
        ("2026-11-14T23:00:00+01:00", 59.43, 16.15),
    ] {
        let body = json!({
            "category": "skadegorelse-glaskross", "occurred_from": when,
            "lat": lat, "lon": lon, "description": "Krossad ruta", "visibility": "all_partners"
        });
        let r = app
            .api("POST", "/api/v1/incidents", Some(&token), Some(body))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let (admin, csrf) = app.login("admin@k1960.example").await;
    let url = format!("/schools/{}", school.id);
    assert!(
        app.get("/schools", Some(&admin))
            .await
            .body
            .contains("Kungsgårdsskolan")
    );
    let page = app.get(&url, Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("en händelse på skolans område och 1 runt omkring"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(r#"<th scope="row">Skoltid</th><td>1</td><td>50 %</td>"#),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(r#"<th scope="row">Helger</th><td>1</td>"#),
        "{}",
        page.body
    );

    // The mobilisation list: a contact added, a bad address refused, a contact removed.
    let add = |org: &'static str, role: &'static str, email: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("organisation", org.to_string()),
            ("role", role.to_string()),
            ("email", email.to_string()),
        ]
    };
    for (form, status) in [
        (
            add("Kungsgårdsskolan", "Rektor", "rektor@kungsor.example"),
            StatusCode::SEE_OTHER,
        ),
        (
            add("Socialtjänsten", "Fältassistent", "falt@kungsor.example"),
            StatusCode::SEE_OTHER,
        ),
        (
            add("Fritidsgården", "Föreståndare", "inte-en-adress"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = app
            .post_form(&format!("{url}/contacts"), Some(&admin), &f)
            .await;
        assert_eq!(r.status, status, "{}", r.body);
    }
    let page = app.get(&url, Some(&admin)).await;
    assert!(
        page.body.contains("rektor@kungsor.example") && page.body.contains("falt@kungsor.example")
    );
    assert!(!page.body.contains("inte-en-adress"));
    let r = app
        .post_form(
            &format!("{url}/contacts"),
            Some(&admin),
            &[("csrf", csrf.as_str()), ("remove", "0")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get(&url, Some(&admin)).await;
    assert!(
        !page.body.contains("rektor@kungsor.example") && page.body.contains("falt@kungsor.example")
    );
    // Not a school: not found.
    assert_eq!(
        app.get("/schools/999999", Some(&admin)).await.status,
        StatusCode::NOT_FOUND
    );
}

/// The yearly strategic meeting: its agenda covers the year, and its pack holds the year's
/// lägesbild for management, the promises' follow-up and the actions with their effects.
#[tokio::test]
async fn the_strategic_meetings_pack() {
    let (app, _k, ku, ..) = app().await;
    let (admin, csrf) = app.login("admin@k1960.example").await;
    let org = ku[0].org_id.to_string();
    app.post_form(
        "/actions",
        Some(&admin),
        &[
            ("csrf", csrf.as_str()),
            ("title", "Trygghetsvandring i centrum"),
            ("owner_org_id", org.as_str()),
            ("due_on", "2026-06-30"),
        ],
    )
    .await;
    let r = app
        .post_form(
            "/meetings",
            Some(&admin),
            &[
                ("csrf", csrf.as_str()),
                ("held_on", "2026-11-27"),
                ("kind", "strategisk"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let url = r.location().to_string();
    let page = app.get(&url, Some(&admin)).await;
    assert!(
        page.body
            .contains("Lägesbilden för 2025-11-27 – 2026-11-26."),
        "{}",
        page.body
    );
    assert!(page.body.contains("pack.pdf"));
    let (chef, _) = app.login("chef@k1960.example").await;
    let pdf = app.get(&format!("{url}/pack.pdf"), Some(&chef)).await;
    assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.body);
    let text = pdf_text(&pdf.bytes);
    for want in [
        "Underlag för strategiskt möte Kungsör 2026-11-27",
        "Ledning: endast sammanställda uppgifter",
        "Händelser per kategori",
        "Uppföljning av medborgarlöften 2026",
        "Årets åtgärder och deras effekt",
        "Trygghetsvandring i centrum",
        "Saknar område, buffertområde eller",
    ] {
        assert!(text.contains(want), "{want:?} not in the pack:\n{text}");
    }
    // A samverkansmöte has no pack.
    let r = app
        .post_form(
            "/meetings",
            Some(&admin),
            &[
                ("csrf", csrf.as_str()),
                ("held_on", "2026-11-27"),
                ("kind", "samverkan"),
            ],
        )
        .await;
    assert_eq!(
        app.get(&format!("{}/pack.pdf", r.location()), Some(&admin))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// A local SMTP server for the test: Python's aiosmtpd (PyPI) delivering into a Maildir.
/// scripts/test.sh installs it in a venv and names its python in LAGESBILD_TEST_AIOSMTPD.
struct SmtpServer {
    child: std::process::Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl SmtpServer {
    fn start() -> SmtpServer {
        let python = std::env::var("LAGESBILD_TEST_AIOSMTPD").unwrap_or_else(|_| "python3".into());
        let has = std::process::Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            has,
            "{python} cannot import aiosmtpd: run scripts/test.sh, or set LAGESBILD_TEST_AIOSMTPD \
             to a python with aiosmtpd (python3 -m venv v && v/bin/pip install aiosmtpd)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir = tempfile::tempdir().unwrap();
        let child = std::process::Command::new(&python)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(maildir.path().join("mail"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed().as_secs() < 20,
                "aiosmtpd did not listen on {port}"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        SmtpServer {
            child,
            port,
            maildir,
        }
    }

    /// The messages delivered so far, as text.
    fn messages(&self) -> Vec<String> {
        let dir = self.maildir.path().join("mail").join("new");
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        entries
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Notifying a school's mobilisation list: the coordinator sets the municipality's relay, the
/// message goes through a real SMTP server to everyone on the list; personal data is refused
/// and nothing is sent; without a relay nothing is sent either.
#[tokio::test]
async fn a_schools_mobilisation_list_is_notified_by_email() {
    let smtp = SmtpServer::start();
    let (app, _k, ku, ..) = app().await;
    let school = app
        .store
        .create_place(&store::NewPlace { by: None,
            tenant_id: ku[0].tenant_id,
            name: "Kungsgårdsskolan".into(),
            kind: store::PlaceKind::Area,
            is_school: true,
            geometry_geojson: r#"{"type":"Polygon","coordinates":[[[16.090,59.420],[16.094,59.420],[16.094,59.422],[16.090,59.422],[16.090,59.420]]]}"#.into(),
            lon: 16.092,
            lat: 59.421,
            is_demo: false,
        })
        .await
        .unwrap();
    let (admin, csrf) = app.login("admin@k1960.example").await;
    let url = format!("/schools/{}", school.id);
    for (org, role, email) in [
        ("Kungsgårdsskolan", "Rektor", "rektor@kungsor.example"),
        ("Socialtjänsten", "Fältassistent", "falt@kungsor.example"),
    ] {
        let r = app
            .post_form(
                &format!("{url}/contacts"),
                Some(&admin),
                &[
                    ("csrf", csrf.as_str()),
                    ("organisation", org),
                    ("role", role),
                    ("email", email),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let notify = |subject: &'static str, message: &'static str| {
        let (app, admin, csrf, url) = (&app, admin.clone(), csrf.clone(), url.clone());
        async move {
            app.post_form(
                &format!("{url}/notify"),
                Some(&admin),
                &[
                    ("csrf", csrf.as_str()),
                    ("subject", subject),
                    ("message", message),
                ],
            )
            .await
        }
    };
    // No relay yet: nothing is sent, and the page says why.
    let r = notify("Krossad ruta", "Krossad ruta vid entrén i natt.").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("ingen e-postserver"), "{}", r.body);
    // The relay: a bad port is named; then the real one.
    let r = app
        .post_form(
            "/admin/smtp",
            Some(&admin),
            &[
                ("csrf", csrf.as_str()),
                ("smtp_host", "127.0.0.1"),
                ("smtp_port", "nittio"),
                ("smtp_security", "none"),
                ("smtp_from", "lagesbild@kungsor.example"),
                ("smtp_user", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("nittio"), "{}", r.body);
    let port = smtp.port.to_string();
    let r = app
        .post_form(
            "/admin/smtp",
            Some(&admin),
            &[
                ("csrf", csrf.as_str()),
                ("smtp_host", "127.0.0.1"),
                ("smtp_port", port.as_str()),
                ("smtp_security", "none"),
                ("smtp_from", "lagesbild@kungsor.example"),
                ("smtp_user", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("E-postservern är sparad."));
    // A personal identity number in the message: refused, nothing sent.
    let r = notify("Händelse", "Eleven 19811218-9876 var inblandad.").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("19811218-9876"));
    assert!(smtp.messages().is_empty());
    // The notification itself.
    let r = notify(
        "Krossad ruta vid entrén",
        "Krossad ruta vid entrén i natt. Fastigheten är underrättad.",
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        r.location(),
        format!("/schools/{}?sent=2#notify", school.id)
    );
    let page = app.get(r.location(), Some(&admin)).await;
    assert!(page.body.contains("Skickat till 2 mottagare."));
    let started = std::time::Instant::now();
    let mut mail = smtp.messages();
    while mail.is_empty() && started.elapsed().as_secs() < 10 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        mail = smtp.messages();
    }
    assert_eq!(mail.len(), 1, "one message to the whole list");
    let m = &mail[0];
    assert!(m.contains("From: lagesbild@kungsor.example"), "{m}");
    assert!(
        m.contains("rektor@kungsor.example") && m.contains("falt@kungsor.example"),
        "{m}"
    );
    assert!(m.contains("Subject: Krossad ruta vid"), "{m}");
    assert!(
        m.contains("Fastigheten är underrättad.")
            || m.contains("Fastigheten =C3=A4r underr=C3=A4ttad."),
        "{m}"
    );
    // The audit trail has who sent how many, not the text.
    let log = app
        .store
        .audit_log(
            ku[0].tenant_id,
            &store::AuditFilter {
                action: Some("school.notify".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert!(
        log[0]
            .after
            .as_deref()
            .unwrap()
            .contains("\"recipients\":2")
    );
    assert!(!log[0].after.as_deref().unwrap().contains("Fastigheten"));
}

/// Issue 20: a reporter who asks for it on their account page gets an e-mail (through a real
/// SMTP server) when someone else changes the status of their report; one who has not asked
/// gets none, and nor does the one who made the change.
#[tokio::test]
async fn a_reporter_who_asked_is_told_of_a_status_change_by_email() {
    let smtp = SmtpServer::start();
    let (app, ..) = app().await;
    let (admin, acsrf) = app.login("admin@k1960.example").await;
    let port = smtp.port.to_string();
    let r = app
        .post_form(
            "/admin/smtp",
            Some(&admin),
            &[
                ("csrf", acsrf.as_str()),
                ("smtp_host", "127.0.0.1"),
                ("smtp_port", port.as_str()),
                ("smtp_security", "none"),
                ("smtp_from", "lagesbild@kungsor.example"),
                ("smtp_user", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let (rc, rcsrf) = app.login("rapportor@k1960.example").await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let r = app
            .post_form("/incidents", Some(&rc), &good_form(&rcsrf))
            .await;
        ids.push(
            r.location()
                .trim_start_matches("/incidents/")
                .split('?')
                .next()
                .unwrap()
                .to_string(),
        );
    }
    let change = |id: String, comment: &'static str| {
        let (app, admin, csrf) = (&app, admin.clone(), acsrf.clone());
        async move {
            let r = app
                .post_form(
                    &format!("/incidents/{id}/status"),
                    Some(&admin),
                    &[
                        ("csrf", csrf.as_str()),
                        ("to", "reviewed"),
                        ("comment", comment),
                    ],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        }
    };
    // Not asked yet: no e-mail.
    change(ids[0].clone(), "Första").await;
    // The account page offers it, off; the reporter turns it on.
    let page = app.get("/account", Some(&rc)).await;
    assert!(
        page.body
            .contains("Skicka e-post när någon ändrar status på en rapport jag har skickat")
    );
    assert!(!page.body.contains(r#"value="on" checked"#));
    let r = app
        .post_form(
            "/account/notifications",
            Some(&rc),
            &[("csrf", rcsrf.as_str()), ("status_emails", "on")],
        )
        .await;
    assert_eq!(r.location(), "/account?saved=notifications#notifications");
    let page = app.get("/account?saved=notifications", Some(&rc)).await;
    assert!(page.body.contains(r#"value="on" checked"#) && page.body.contains("Sparat."));
    change(ids[1].clone(), "Vi åtgärdar det i veckan").await;
    // The message arrives (sent beside the answer): one, to the reporter, in both languages.
    let started = std::time::Instant::now();
    while smtp.messages().is_empty() && started.elapsed().as_secs() < 15 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let mail = smtp.messages();
    assert_eq!(mail.len(), 1, "{mail:?}");
    let m = &quoted_printable(&mail[0]);
    assert!(m.contains("rapportor@k1960.example"), "{m}");
    assert!(m.contains(&format!("händelse {}", ids[1])), "{m}");
    assert!(m.contains("har fått status Granskad"), "{m}");
    assert!(m.contains("Kommentar: Vi åtgärdar det i veckan"), "{m}");
    assert!(m.contains("now has the status Reviewed"), "{m}");
    assert!(!m.contains("Första"));
    // Turned off again: nothing more.
    app.post_form(
        "/account/notifications",
        Some(&rc),
        &[("csrf", rcsrf.as_str())],
    )
    .await;
    let r = app
        .post_form(
            &format!("/incidents/{}/status", ids[1]),
            Some(&admin),
            &[("csrf", acsrf.as_str()), ("to", "closed"), ("comment", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(smtp.messages().len(), 1);
}

/// The text of a quoted-printable message body (soft line breaks joined, =XX decoded).
fn quoted_printable(s: &str) -> String {
    let joined = s.replace("=\r\n", "").replace("=\n", "");
    let b = joined.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'='
            && let Some(v) = std::str::from_utf8(&b[i + 1..(i + 3).min(b.len())])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
