//! The security review's findings (issue: one GET kills the server, date panics, token
//! lifecycle, screening evasions, audit gaps, smaller ones), each as a test that failed
//! before the fix, and the bad-input sweep over every route.

mod common;
use common::*;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;
use store::AuditFilter;

/// `analysis` parameters that size work are bounded and answered 422 past the bound, never
/// by aborting the process or burning a core for minutes.
#[tokio::test]
async fn analysis_parameters_past_their_bounds_are_422() {
    let (app, _, ku, _, _) = app().await;
    let token = app.token(&ku[1]).await;
    // Some points, so that the analyses have a grid to work on.
    for k in 0..30 {
        let body = json!({
            "category": "skadegorelse-klotter",
            "occurred_at": format!("2026-11-{:02}T12:00:00+01:00", 1 + k % 25),
            "lat": 59.4224 + (k % 5) as f64 * 0.0005, "lon": 16.0978 + (k % 6) as f64 * 0.001,
            "description": "Klotter på muren", "confirm_outside": true,
        });
        let r = app
            .api("POST", "/api/v1/incidents", Some(&token), Some(body))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    for path in [
        "/api/v1/hotspots.geojson?weights=distance:1e12",
        "/api/v1/hotspots.geojson?weights=distance:10000000",
        "/api/v1/hotspots.geojson?weights=distance:10000&method=moran",
        "/api/v1/hotspots.geojson?weights=distance:NaN",
        "/api/v1/hotspots.geojson?cell=1e12",
        "/api/v1/hotspots.geojson?cell=0.0001",
        "/api/v1/density.geojson?bandwidth=1e9",
        "/api/v1/density.geojson?cell=1&bandwidth=3000",
        "/api/v1/analysis?days=1000000000",
        "/api/v1/analysis?days=-5",
    ] {
        let r = app.api("GET", path, Some(&token), None).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {}",
            r.body
        );
    }
    // At the bound it works.
    let r = app
        .api(
            "GET",
            "/api/v1/hotspots.geojson?weights=distance:5000&cell=200",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// With no room for expensive requests, every expensive route answers 503 with Retry-After,
/// and the cheap ones go on.
#[tokio::test]
async fn expensive_routes_run_within_a_budget() {
    let config = web::WebConfig {
        heavy_slots: 0,
        heavy_wait: std::time::Duration::from_millis(50),
        ..Default::default()
    };
    let (app, _, ku, _, _) = app_with(config).await;
    let (cookie, _) = app.login(&ku[1].email.to_string()).await;
    let token = app.token(&ku[1]).await;
    for route in web::HEAVY_ROUTES {
        let path = route.replace("{id}", "1");
        let r = if path.starts_with("/api/") {
            app.api("GET", &path, Some(&token), None).await
        } else {
            app.get(&path, Some(&cookie)).await
        };
        assert_eq!(
            r.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{path}: {}",
            r.body
        );
        assert_eq!(r.headers.get(header::RETRY_AFTER).unwrap(), "30", "{path}");
    }
    let r = app.get("/incidents", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK);
    // The page says so in Swedish.
    let r = app.get("/lagesbild", Some(&cookie)).await;
    assert!(r.body.contains("Servern är upptagen"), "{}", r.body);
}

/// Far dates: every date-taking route with extreme values answers 4xx (a property test over
/// generated years and days), never a panic; nothing is stored from them.
#[tokio::test]
async fn far_dates_are_refused_everywhere() {
    let (app, _, ku, _, _) = app().await;
    let (admin, csrf) = app.login(&ku[0].email.to_string()).await;
    let token = app.token(&ku[1]).await;
    let mut dates: Vec<String> = vec![
        "9999-12-31".into(),
        "0000-01-01".into(),
        "-0001-01-01".into(),
        "+99999-01-01".into(),
        "2026-13-45".into(),
        "1899-12-31".into(),
        "2201-01-01".into(),
        "bogus".into(),
    ];
    // Generated: years across jiff's whole range and past it, every month length.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..40 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        // Outside the window (1900–2200): after it, or before it.
        let year = [2201 + (x % 7798) as i64, (x % 1900) as i64][(x % 2) as usize];
        dates.push(format!("{year:04}-{:02}-{:02}", 1 + x % 12, 1 + x % 31));
    }
    for d in &dates {
        for path in [
            format!("/lagesbild?to={d}"),
            format!("/lagesbild?from={d}&to=2026-11-27"),
            format!("/lagesbild.pdf?to={d}"),
            format!("/incidents?from={d}"),
            format!("/incidents?to={d}"),
        ] {
            let r = app.get(&path, Some(&admin)).await;
            assert!(r.status.is_client_error(), "{path}: {}", r.status);
        }
        for path in [
            format!("/api/v1/incidents?from={d}"),
            format!("/api/v1/incidents.geojson?to={d}"),
            format!("/api/v1/hotspots.geojson?from={d}"),
        ] {
            let r = app.api("GET", &path, Some(&token), None).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        }
        let r = app
            .post_form(
                "/meetings",
                Some(&admin),
                &[("csrf", &csrf), ("held_on", d), ("kind", "samverkan")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "held_on={d}");
        let r = app
            .api(
                "POST",
                "/api/v1/incidents",
                Some(&token),
                Some(
                    json!({"category": "trafik", "occurred_at": format!("{d}T12:00:00Z"),
                    "lat": 59.42, "lon": 16.09, "description": "Bilar"}),
                ),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "occurred_at {d}"
        );
    }
    let meetings = app
        .store
        .records(ku[0].tenant_id, model::RecordKind::Meeting, None)
        .await
        .unwrap();
    assert!(meetings.is_empty(), "a far date was stored");
}

/// Tokens have a name, an expiry and a last use; they are made on the account page (the
/// secret shown once), listed and revoked there and by the administrator, and a password
/// change ends them. A role that signs in with two-step verification gets one only after.
#[tokio::test]
async fn api_tokens_are_made_listed_and_revoked_on_the_pages() {
    let (app, _, ku, _, _) = app().await;
    let reporter = ku[1].email.to_string();
    let (cookie, csrf) = app.login(&reporter).await;
    let r = app
        .post_form(
            "/account/tokens",
            Some(&cookie),
            &[("csrf", &csrf), ("name", "Skolappen"), ("days", "30")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let secret = attr_text(&r.body, "<code class=\"secret\">");
    let me = app.api("GET", "/api/v1/tenant", Some(&secret), None).await;
    assert_eq!(me.status, StatusCode::OK);
    let page = app.get("/account", Some(&cookie)).await;
    assert!(page.body.contains("Skolappen"));
    assert!(
        !page.body.contains(&secret),
        "the secret is shown once only"
    );
    let list = app
        .store
        .api_tokens(ku[1].tenant_id, Some(ku[1].id))
        .await
        .unwrap();
    assert_eq!(list.len(), 1, "the new token");
    let new = list.iter().find(|t| t.label == "Skolappen").unwrap();
    assert!(new.last_used_at.is_some(), "its use is noted");
    assert_eq!(
        (new.expires_at - new.created_at).get_days(),
        0,
        "a span in hours"
    );
    assert_eq!(
        (new.expires_at.as_second() - new.created_at.as_second()) / 86_400,
        30
    );
    // Too long a life, no name: refused.
    for (name, days) in [("x", "400"), ("", "30"), ("x", "0"), ("x", "abc")] {
        let r = app
            .post_form(
                "/account/tokens",
                Some(&cookie),
                &[("csrf", &csrf), ("name", name), ("days", days)],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name} {days}");
    }
    // Revoked on the account page: it stops working.
    let r = app
        .post_form(
            &format!("/account/tokens/{}/revoke", new.id),
            Some(&cookie),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let me = app.api("GET", "/api/v1/tenant", Some(&secret), None).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    // The administrator sees the rest and revokes one.
    let other = app.token(&ku[1]).await;
    let (admin, admin_csrf) = app.login(&ku[0].email.to_string()).await;
    let page = app.get("/admin/tokens", Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    let id = app.store.api_tokens(ku[1].tenant_id, None).await.unwrap()[0]
        .id
        .clone();
    assert!(page.body.contains(&id));
    let r = app
        .post_form(
            &format!("/admin/tokens/{id}/revoke"),
            Some(&admin),
            &[("csrf", &admin_csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let log = app
        .store
        .audit_log(
            ku[0].tenant_id,
            &AuditFilter {
                action: Some("token.revoke".into()),
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(log[0].user_id, Some(ku[0].id));
    // A password change ends the user's tokens.
    let _ = other;
    let last = app.token(&ku[1]).await;
    app.store
        .set_password(ku[1].tenant_id, ku[1].id, "$argon2id$x", Some(ku[0].id))
        .await
        .unwrap();
    assert_eq!(
        app.api("GET", "/api/v1/tenant", Some(&last), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_role_with_two_step_verification_gets_a_token_only_after_setting_it_up() {
    let (app, _, ku, _, _) = app().await;
    let admin = app
        .store
        .user(ku[0].tenant_id, ku[0].id)
        .await
        .unwrap()
        .unwrap();
    assert!(!admin.mfa_enabled);
    let e = service::tokens::issue(app.store.as_ref(), &admin, "skript", 30, None, app.now())
        .await
        .unwrap_err();
    assert!(
        matches!(e, service::tokens::TokenError::SecondFactorFirst(..)),
        "{e}"
    );
    // Once set up (the first sign-in does it), it may.
    app.login(&ku[0].email.to_string()).await;
    let admin = app
        .store
        .user(ku[0].tenant_id, ku[0].id)
        .await
        .unwrap()
        .unwrap();
    assert!(
        service::tokens::issue(app.store.as_ref(), &admin, "skript", 30, None, app.now())
            .await
            .is_ok()
    );
    // A reporter promoted to analyst: the old token ends with the role change.
    let token = app.token(&ku[1]).await;
    let u = &ku[1];
    app.store
        .update_user(
            u.tenant_id,
            u.id,
            &store::UserChanges {
                display_name: u.display_name.clone(),
                org_id: u.org_id,
                role: model::Role::Analyst,
                disabled: false,
            },
            Some(ku[0].id),
        )
        .await
        .unwrap();
    assert_eq!(
        app.api("GET", "/api/v1/incidents", Some(&token), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

/// Personal data written to slip past the screening is refused by the report form and the
/// redaction form.
#[tokio::test]
async fn screening_evasions_are_refused_over_http() {
    let (app, _, ku, _, _) = app().await;
    let (cookie, csrf) = app.login(&ku[1].email.to_string()).await;
    for text in [
        "Såg 811218\u{2013}9876 vid porten",
        "Lappen: 8112\u{200B}18-9876",
        "pnr:8112189876",
        "Ring \u{FF10}\u{FF17}\u{FF10}-123 45 67",
        "Mejla kalle(at)example.se",
        "Mejla info@kungsör.se",
    ] {
        let mut form = good_form(&csrf);
        form.retain(|(k, _)| *k != "description");
        form.push(("description", text));
        let r = app.post_form("/incidents", Some(&cookie), &form).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{text:?}");
    }
}

/// Creating a user, an organisation, a place or a category on the administration pages
/// names the administrator in the audit trail.
#[tokio::test]
async fn administration_writes_name_the_administrator() {
    let (app, _, ku, _, _) = app().await;
    let (admin, csrf) = app.login(&ku[0].email.to_string()).await;
    let orgs = app.store.organisations(ku[0].tenant_id).await.unwrap();
    let org = orgs[0].id.to_string();
    for (path, form) in [
        (
            "/admin/organisations",
            vec![("name", "Fastighetsbolaget"), ("kind", "bostadsbolag")],
        ),
        (
            "/admin/users",
            vec![
                ("email", "ny@k1960.example"),
                ("name", "Ny"),
                ("role", "reporter"),
                ("org", org.as_str()),
            ],
        ),
        (
            "/admin/categories",
            vec![
                ("code", "buller"),
                ("name_sv", "Buller"),
                ("name_en", "Noise"),
                ("color", "#123456"),
            ],
        ),
        (
            "/admin/places",
            vec![
                ("name", "Torget"),
                ("kind", "point"),
                ("lat", "59.4224"),
                ("lon", "16.0978"),
            ],
        ),
    ] {
        let mut f = vec![("csrf", csrf.as_str())];
        f.extend(form);
        let r = app.post_form(path, Some(&admin), &f).await;
        assert!(
            r.status.is_success() || r.status.is_redirection(),
            "{path}: {} {}",
            r.status,
            r.body
        );
    }
    for action in [
        "organisation.create",
        "user.create",
        "category.upsert",
        "place.create",
    ] {
        let log = app
            .store
            .audit_log(
                ku[0].tenant_id,
                &AuditFilter {
                    action: Some(action.into()),
                    limit: 1,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            log.first().and_then(|e| e.user_id),
            Some(ku[0].id),
            "{action}"
        );
    }
}

/// An address used in another municipality is refused like one used here, with the same
/// words: one municipality does not learn who has an account in another, nor take it.
#[tokio::test]
async fn an_address_of_another_municipality_is_neither_revealed_nor_taken() {
    let (app, _, ku, _, au) = app().await;
    let (admin, csrf) = app.login(&ku[0].email.to_string()).await;
    let org = app.store.organisations(ku[0].tenant_id).await.unwrap()[0]
        .id
        .to_string();
    let mut bodies = Vec::new();
    for email in [au[1].email.to_string(), ku[1].email.to_string()] {
        let r = app
            .post_form(
                "/admin/users",
                Some(&admin),
                &[
                    ("csrf", &csrf),
                    ("email", &email),
                    ("name", "Ny"),
                    ("role", "reporter"),
                    ("org", &org),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{email}");
        assert!(
            r.body.contains("kan inte användas för ett nytt konto"),
            "{}",
            r.body
        );
        assert!(!r.body.contains("Det finns redan"));
        let notice = r
            .body
            .split("<div class=\"errors\"")
            .nth(1)
            .unwrap_or_default();
        bodies.push(
            notice
                .split("</div>")
                .next()
                .unwrap_or_default()
                .replace(&email, "ADDRESS"),
        );
    }
    assert_eq!(
        bodies[0], bodies[1],
        "the same words, whoever has the address"
    );
    // The other municipality's user is untouched and still theirs.
    let theirs = app
        .store
        .user(au[1].tenant_id, au[1].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(theirs.tenant_id, au[1].tenant_id);
    assert!(
        app.store
            .users(ku[0].tenant_id)
            .await
            .unwrap()
            .iter()
            .all(|u| u.email != au[1].email)
    );
}

/// Five wrong passwords from one address lock that address out of the account, not the
/// owner signing in from elsewhere.
#[tokio::test]
async fn a_guesser_does_not_lock_the_owner_out() {
    let (app, _, ku, _, _) = app().await;
    let email = ku[1].email.to_string();
    let from = |ip: &str, password: &str| {
        let body = format!(
            "email={}&password={}&next=%2Fincidents",
            web_urlencode(&email),
            web_urlencode(password)
        );
        let mut req = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        req.extensions_mut().insert(axum::extract::ConnectInfo(
            ip.parse::<std::net::SocketAddr>().unwrap(),
        ));
        req
    };
    for _ in 0..6 {
        app.send(from("203.0.113.9:5000", "fel lösenord")).await;
    }
    let r = app.send(from("203.0.113.9:5000", PASSWORD)).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    let r = app.send(from("198.51.100.4:6000", PASSWORD)).await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "the owner elsewhere signs in"
    );
}

/// The smaller findings: a `next` with CR/LF, lenient API input, bidirectional controls,
/// invalid UTF-8 in forms, a bogus date, a non-ASCII base map host.
#[tokio::test]
async fn lenient_input_is_tightened() {
    let (app, _, ku, _, _) = app().await;
    for next in [
        "%0d%0aSet-Cookie:x=y",
        "%0aLocation:%20https://evil.example",
        "https://evil.example",
        "//evil.example",
    ] {
        let r = app.get(&format!("/login?next={next}"), None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "next={next}");
    }
    let token = app.token(&ku[1]).await;
    let good = json!({"category": "trafik", "occurred_at": "2026-11-26T12:00:00+01:00",
        "lat": 59.42, "lon": 16.09, "description": "Bilar kör fort"});
    assert_eq!(
        app.api(
            "POST",
            "/api/v1/incidents",
            Some(&token),
            Some(good.clone())
        )
        .await
        .status,
        StatusCode::CREATED
    );
    for (field, value) in [
        ("occurred_at", json!("2026-11-26T12:00:00+25:00")),
        ("occurred_at", json!("2026-11-26T12:00:00")),
        ("lat", json!("59.42")),
        ("lon", json!("16.09")),
        ("description", json!("")),
        ("description", json!("   ")),
        ("description", json!("Bilar \u{202E}kör fort")),
        ("category", json!(5)),
    ] {
        let mut body = good.clone();
        body[field] = value.clone();
        let r = app
            .api("POST", "/api/v1/incidents", Some(&token), Some(body))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field} = {value}: {}",
            r.body
        );
        assert!(r.body.contains(field), "{field}: {}", r.body);
    }
    // A form with invalid UTF-8 is refused, not stored with U+FFFD.
    let (cookie, csrf) = app.login(&ku[1].email.to_string()).await;
    let before = app
        .store
        .count_incidents(&ku[1].actor(), &Default::default())
        .await
        .unwrap();
    let body = format!(
        "csrf={csrf}&category=trafik&occurred_from=2026-11-26T22%3A15&lat=59.4224&lon=16.0978&description=Bil%FF%FEar&visibility=all_partners"
    );
    let req = Request::post("/incidents")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &cookie)
        .body(Body::from(body))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.store
            .count_incidents(&ku[1].actor(), &Default::default())
            .await
            .unwrap(),
        before
    );
    // A bogus date is a bad request, not a missing page.
    for path in [
        "/lagesbild?to=bogus",
        "/lagesbild.pdf?to=bogus",
        "/incidents?to=bogus",
    ] {
        let r = app.get(path, Some(&cookie)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
    }
    let r = app
        .api("GET", "/api/v1/incidents?to=bogus", Some(&token), None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A base map host with å is refused on the settings page; the header never breaks.
    let (admin, admin_csrf) = app.login(&ku[0].email.to_string()).await;
    let r = app
        .post_form(
            "/admin/settings",
            Some(&admin),
            &[
                ("csrf", &admin_csrf),
                ("default_visibility", "all_partners"),
                ("reporter_view", "map"),
                ("retention_action", "anonymise"),
                ("map_style_url", "https://kartör.example/style.json"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app.get("/map", Some(&admin)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers.get(header::CONTENT_SECURITY_POLICY).is_some());
}

/// The bad-input sweep: every route of the router, every parameter the application reads,
/// with extremes, wrong types and huge values, as anonymous, reporter and administrator; any
/// 5xx (but the budget's 503) or a panic fails.
#[tokio::test]
async fn no_route_answers_bad_input_with_a_server_error() {
    let (app, _, ku, _, _) = app().await;
    let (admin, admin_csrf) = app.login(&ku[0].email.to_string()).await;
    let (reporter, reporter_csrf) = app.login(&ku[1].email.to_string()).await;
    let token = app.token(&ku[1]).await;
    // Long enough to be refused, short enough that every parameter at once still fits in a
    // URI (65 kB).
    let long = "x".repeat(1_200);
    let values: Vec<&str> = vec![
        "",
        "0",
        "-1",
        "9223372036854775807",
        "-9223372036854775808",
        "1e308",
        "-1e308",
        "NaN",
        "inf",
        "9999-12-31",
        "0000-01-01",
        "2026-02-30",
        "bogus",
        "%00",
        "\u{202E}",
        "' OR 1=1 --",
        "<script>",
        "distance:1e12",
        "distance:-1",
        "queen",
        "moran",
        "😀",
        &long,
    ];
    let params = [
        "from",
        "to",
        "days",
        "cell",
        "bandwidth",
        "weights",
        "method",
        "limit",
        "offset",
        "cursor",
        "category",
        "area",
        "org",
        "status",
        "source",
        "sort",
        "page",
        "bbox",
        "lang",
        "level",
        "next",
        "back",
        "q",
        "held_on",
        "due_on",
        "kind",
        "title",
        "name",
        "id",
        "lat",
        "lon",
        "description",
        "occurred_at",
        "occurred_from",
        "occurred_to",
        "email",
        "role",
        "code",
        "color",
        "days",
        "decision",
        "owner_org_id",
        "area_id",
        "text",
        "step",
    ];
    let principals = [
        (None, String::new()),
        (Some(reporter.as_str()), reporter_csrf),
        (Some(admin.as_str()), admin_csrf),
    ];
    // Routes that end the session or change accounts go last, so the rest run signed in.
    let mut routes: Vec<&(&str, &str)> = web::ROUTES.iter().collect();
    routes.sort_by_key(|(_, r)| {
        ["logout", "password", "reset-mfa", "/admin/users/"]
            .iter()
            .any(|w| r.contains(w))
    });
    let mut checked = 0;
    let started = std::time::Instant::now();
    for (method, route) in routes {
        for id in ["1", "0", "abc"] {
            let path = route
                .replace("{id}", id)
                .replace("{code}", id)
                .replace("{z}", id)
                .replace("{x}", id)
                .replace("{y}", id)
                .replace("{*file}", id);
            for (cookie, csrf) in &principals {
                for v in &values {
                    // Every parameter at once with the value, then (for a few values) one
                    // at a time, so that an early refusal of one does not hide another.
                    // (Not on the expensive routes: each would make a whole lägesbild or PDF
                    // for every parameter it does not read; their own tests cover them.)
                    let mut sets: Vec<Vec<&str>> = vec![params.to_vec()];
                    if ["9999-12-31", "1e308"].contains(v)
                        && *cookie == Some(admin.as_str())
                        && id == "1"
                        && !web::HEAVY_ROUTES.contains(route)
                    {
                        sets.extend(params.iter().map(|p| vec![*p]));
                    }
                    for set in sets {
                        let r = if *method == "get" {
                            let q: Vec<String> = set
                                .iter()
                                .map(|p| format!("{p}={}", web_urlencode(v)))
                                .collect();
                            let url = format!("{path}?{}", q.join("&"));
                            if path.starts_with("/api/") {
                                app.api("GET", &url, Some(&token), None).await
                            } else {
                                app.get(&url, cookie.as_deref()).await
                            }
                        } else if path.starts_with("/api/") {
                            let body: serde_json::Map<String, serde_json::Value> =
                                set.iter().map(|p| (p.to_string(), json!(v))).collect();
                            app.api(
                                "POST",
                                &path,
                                Some(&token),
                                Some(serde_json::Value::Object(body)),
                            )
                            .await
                        } else {
                            let mut form = vec![("csrf", csrf.as_str())];
                            form.extend(set.iter().map(|p| (*p, *v)));
                            app.post_form(&path, cookie.as_deref(), &form).await
                        };
                        checked += 1;
                        assert!(
                            !r.status.is_server_error(),
                            "{} {path} {set:?}={:?}: {}",
                            method.to_uppercase(),
                            v.chars().take(30).collect::<String>(),
                            r.status
                        );
                    }
                }
            }
            if !route.contains('{') {
                break;
            }
        }
    }
    assert!(checked > 5_000, "{checked} requests");
    eprintln!(
        "bad-input sweep: {checked} requests in {:?}",
        started.elapsed()
    );
}

/// The text that follows `start` up to the next `<`.
fn attr_text(html: &str, start: &str) -> String {
    let at = html
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in page"))
        + start.len();
    html[at..].split('<').next().unwrap().to_string()
}

/// A sign-in's callback is taken only in the browser that started it (the state's cookie):
/// someone who sends a victim the address of their own callback cannot sign the victim in
/// as themselves, and the refused request leaves the sign-in to its own browser.
#[tokio::test]
async fn a_single_sign_on_callback_is_taken_only_by_the_browser_that_started_it() {
    let (app, kungsor, _, _, _) = app().await;
    app.store
        .set_sso_provider(
            &store::SsoProvider {
                tenant_id: kungsor.id,
                // Nothing answers here: a callback that gets past the state fails at the
                // provider, with another status than a refused state.
                issuer: "http://127.0.0.1:9".into(),
                client_id: "lagesbild".into(),
                client_secret: "sealed:v1:none".into(),
                role_claim: "groups".into(),
                roles: vec![],
                org_claim: "department".into(),
                orgs: vec![],
                enabled: true,
                updated_at: app.now(),
            },
            None,
        )
        .await
        .unwrap();
    app.store
        .sso_login_begin(&store::SsoLogin {
            state_hash: service::auth::hash_secret("the-state"),
            tenant_id: kungsor.id,
            nonce: "n".into(),
            verifier: "sealed:v1:none".into(),
            return_to: "/".into(),
            created_at: app.now(),
        })
        .await
        .unwrap();
    let path = "/login/sso/callback?state=the-state&code=c";
    // Another browser (no cookie, or another state's) is refused, and takes nothing.
    assert_eq!(app.get(path, None).await.status, StatusCode::BAD_REQUEST);
    let other = app.get(path, Some("lb_sso_state=another-state")).await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST);
    // The browser that started it gets past the state: the sign-in was still there.
    let own = app.get(path, Some("lb_sso_state=the-state")).await;
    assert_ne!(own.status, StatusCode::BAD_REQUEST, "{}", own.body);
    assert!(own.status.is_server_error() || own.status == StatusCode::FORBIDDEN);
    assert!(own.headers.get(header::SET_COOKIE).is_none(), "no session");
    // And only once.
    let again = app.get(path, Some("lb_sso_state=the-state")).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
}
