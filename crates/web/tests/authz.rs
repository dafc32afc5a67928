//! The authorisation matrix: every route the router serves (`web::ROUTES`) × every principal
//! (anonymous and each role) × every visibility of the incident a route is about (and an
//! incident of another tenant). A route without a rule here fails the test, so a new route
//! cannot ship without deciding who may use it. Hidden and foreign incidents answer 404, never
//! 403 with details.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use jiff::Timestamp;
use model::{Email, ReporterView, Role, Visibility};
use std::sync::Arc;
use store::{
    IncidentId, NewApiToken, NewOrganisation, NewSession, NewTenant, NewUser, Purpose, Store, User,
};
use store_sqlite::SqliteStore;
use tower::ServiceExt;

const NOW: &str = "2026-11-27T12:00:00Z";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Served: 2xx, a redirect that is not to the login page, or 422 for the empty bodies the
    /// test sends.
    Ok,
    /// 303 to /login?next=…
    Login,
    Unauthorized,
    Forbidden,
    NotFound,
    /// 400: a request that cannot be anyone's (a sign-in callback with no sign-in under way).
    BadRequest,
}

struct Principal {
    name: &'static str,
    user: Option<User>,
    cookie: Option<String>,
    csrf: String,
    token: Option<String>,
}

struct Target {
    id: IncidentId,
    visibility: Visibility,
    org_id: i64,
    user_id: Option<i64>,
    foreign: bool,
}

fn rule(method: &str, path: &str, p: &Principal, target: Option<&Target>) -> Expect {
    use Expect::*;
    let role = p.user.as_ref().map(|u| u.role);
    let signed = role.is_some();
    let visible = |t: &Target| {
        !t.foreign
            && p.user.as_ref().is_some_and(|u| {
                u.actor().may_see(
                    t.visibility,
                    t.org_id,
                    t.user_id,
                    ReporterView::Map,
                    Purpose::Read,
                )
            })
    };
    let page = |allowed: bool| match (signed, allowed) {
        (false, _) => Login,
        (true, true) => Ok,
        (true, false) => NotFound,
    };
    let api = |allowed: Expect| if signed { allowed } else { Unauthorized };
    match (method, path) {
        ("get", "/healthz" | "/login" | "/lang/{code}" | "/static/{*file}") => Ok,
        // The API's description is public: it describes, it holds no data.
        ("get", "/api/v1/openapi.json") => Ok,
        // The public tip page is anyone's, per municipality code (the matrix asks for "en",
        // which is none); a receipt answers only its own secret (the matrix guesses one).
        ("get" | "post", "/tips/{code}") | ("get", "/tips/kvitto/{secret}") => NotFound,
        // The coordinator's queue and Open311 keys; the matrix's ids are no tip's or key's.
        ("get", "/admin/tips" | "/admin/open311" | "/admin/import")
        | ("post", "/admin/open311") => page(role == Some(Role::Admin)),
        // The import's upload is multipart: the matrix's form body is not one (422 for the
        // coordinator); the key of an upload is none the matrix can know.
        ("post", "/admin/import") => page(role == Some(Role::Admin)),
        ("post", "/admin/import/{key}") => page(false),
        ("post", "/admin/tips/{id}" | "/admin/open311/{id}/revoke") => page(false),
        // Open311 is public (its own keys, not sessions, admit a POST): the lists and
        // services answer anyone; a request or token that is not there is 404; a POST
        // without a key is 403.
        ("get", "/open311/v2/{file}" | "/open311/v2/services/{file}") => Ok,
        ("get", "/open311/v2/requests/{file}" | "/open311/v2/tokens/{file}") => NotFound,
        ("post", "/open311/v2/{file}") => Forbidden,
        // The installable app's manifest and service worker are public (they hold no data).
        ("get", "/sw.js" | "/manifest.webmanifest") => Ok,
        // The test signs in with a wrong password.
        ("post", "/login") => Unauthorized,
        // Single sign-on: the matrix's tenant code ("en") is none, and its callback carries
        // no state of a sign-in under way. The provider's settings are the coordinator's.
        ("get", "/login/sso/{code}") => NotFound,
        ("get", "/login/sso/callback") => BadRequest,
        ("get" | "post", "/admin/sso") => page(role == Some(Role::Admin)),
        ("post", "/logout") => Ok,
        // Only a session that passed the password reaches these; anyone else is sent to /login.
        ("get" | "post", "/login/second-factor" | "/login/second-factor/setup") => Ok,
        // Everyone's own start page; the login page for anyone else.
        ("get", "/") => Ok,
        // One's own tokens: anyone signed in makes them; revoking names a token (the test's
        // ids are none).
        ("post", "/account/tokens") => page(true),
        ("post", "/account/tokens/{id}/revoke" | "/admin/tokens/{id}/revoke") => page(false),
        ("get", "/admin/tokens") => page(role == Some(Role::Admin)),
        ("post", "/logout-all" | "/account/password" | "/account/notifications")
        | ("get", "/account") => page(true),
        // The pages each role uses (web::access): managers see no single incident, so the
        // incident list and map are not theirs; the analysis is the coordinator's and police's.
        ("get", "/incidents" | "/map" | "/incidents/export") => page(role != Some(Role::Reader)),
        ("get", "/analysis") => page(matches!(role, Some(Role::Admin | Role::Analyst))),
        // Everyone reads the lägesbild, at their level (see service::lagesbild::Level).
        ("get", "/lagesbild" | "/lagesbild.pdf") => page(true),
        ("get", "/categories.css") => {
            if signed {
                Ok
            } else {
                Unauthorized
            }
        }
        ("post", "/incidents") | ("get", "/incidents/new") => page(role != Some(Role::Reader)),
        // Everyone reads actions; the coordinator and analysts plan them; the owner (the
        // reporter, in this test) and they move them on.
        ("get", "/actions" | "/actions/{id}") => page(true),
        // Everyone reads meetings and their minutes; the coordinator and analysts hold them.
        ("get", "/meetings" | "/meetings/{id}" | "/meetings/{id}/minutes.pdf") => page(true),
        // The pack is for strategic meetings; the test's meeting is a samverkansmöte.
        ("get", "/meetings/{id}/pack.pdf") => page(false),
        (
            "post",
            "/meetings"
            | "/meetings/{id}/notes"
            | "/meetings/{id}/decisions"
            | "/meetings/{id}/focus",
        ) => page(matches!(role, Some(Role::Admin | Role::Analyst))),
        // The medborgarlöften: the coordinator and analysts keep them, managers follow them.
        ("get", "/promises" | "/promises/follow-up.pdf") => page(role != Some(Role::Reporter)),
        ("post", "/promises" | "/promises/{id}/activities" | "/activities/{id}") => {
            page(matches!(role, Some(Role::Admin | Role::Analyst)))
        }
        // The school view is the coordinator's and the police's, who keep the lists.
        ("get", "/schools" | "/schools/{id}") => {
            page(matches!(role, Some(Role::Admin | Role::Analyst)))
        }
        ("post", "/schools/{id}/contacts" | "/schools/{id}/notify") => {
            page(matches!(role, Some(Role::Admin | Role::Analyst)))
        }
        // Hot spot cases: the coordinator and analysts open and work them, managers read them.
        ("get", "/cases" | "/cases/{id}") => page(role != Some(Role::Reporter)),
        ("post", "/cases" | "/cases/{id}/step" | "/cases/{id}/visits") => {
            page(matches!(role, Some(Role::Admin | Role::Analyst)))
        }
        ("get", "/actions/new") | ("post", "/actions") => {
            page(matches!(role, Some(Role::Admin | Role::Analyst)))
        }
        ("post", "/actions/{id}/status") => page(matches!(
            role,
            Some(Role::Admin | Role::Analyst | Role::Reporter)
        )),
        ("get", "/incidents/{id}") => page(visible(target.expect("an incident"))),
        ("post", "/incidents/{id}/redact") => {
            page(role == Some(Role::Admin) && visible(target.expect("an incident")))
        }
        ("post", "/incidents/{id}/status") => page(
            matches!(role, Some(Role::Admin | Role::Analyst))
                && visible(target.expect("an incident")),
        ),
        (
            "get",
            "/admin/audit"
            | "/admin/audit.csv"
            | "/admin"
            | "/admin/users"
            | "/admin/organisations",
        )
        | ("get", "/admin/categories" | "/admin/places" | "/admin/settings")
        | (
            "post",
            "/admin/users" | "/admin/organisations" | "/admin/categories" | "/admin/places",
        )
        | (
            "post",
            "/admin/settings" | "/admin/smtp" | "/admin/users/{id}" | "/admin/users/{id}/password",
        )
        | ("post", "/admin/users/{id}/reset-mfa" | "/admin/organisations/{id}") => {
            page(role == Some(Role::Admin))
        }
        (
            "get",
            "/api/v1/incidents"
            | "/api/v1/incidents.geojson"
            | "/api/v1/incidents/export"
            | "/api/v1/categories"
            | "/api/v1/hotspots.geojson",
        )
        | ("get", "/api/v1/places" | "/api/v1/tenant") => api(Ok),
        ("get", "/api/v1/density.geojson" | "/api/v1/analysis" | "/api/v1/tiles/{z}/{x}/{y}") => {
            api(Ok)
        }
        ("post", "/api/v1/incidents") => api(if role == Some(Role::Reader) {
            Forbidden
        } else {
            Ok
        }),
        // The duplicate hint answers within the caller's visibility (the store's rule); who is
        // signed in, for the offline queue.
        ("get", "/api/v1/incidents/nearby" | "/api/v1/session") => api(Ok),
        ("get", "/api/v1/incidents/{id}/photos") => api(if visible(target.expect("an incident")) {
            Ok
        } else {
            NotFound
        }),
        // Photos are added by the incident's reporter, the coordinator and analysts, to an
        // incident they see (the test's body is not an image: 422).
        ("post", "/api/v1/incidents/{id}/photos") => {
            let t = target.expect("an incident");
            let own = p.user.as_ref().is_some_and(|u| t.user_id == Some(u.id));
            api(
                if visible(t) && (own || matches!(role, Some(Role::Admin | Role::Analyst))) {
                    Ok
                } else {
                    NotFound
                },
            )
        }
        // The test's incidents have no photos.
        ("get", "/api/v1/incidents/{id}/photos/{photo}") => api(NotFound),
        ("get", "/api/v1/incidents/{id}") => api(if visible(target.expect("an incident")) {
            Ok
        } else {
            NotFound
        }),
        _ => panic!(
            "no access rule for {} {path}: add one to this test",
            method.to_uppercase()
        ),
    }
}

async fn send(router: &axum::Router, req: Request<Body>) -> (StatusCode, Option<String>, String) {
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let location = res
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string());
    let body = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        location,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

fn classify(status: StatusCode, location: Option<&str>) -> Expect {
    match status.as_u16() {
        400 => Expect::BadRequest,
        401 => Expect::Unauthorized,
        403 => Expect::Forbidden,
        404 => Expect::NotFound,
        303 if location.is_some_and(|l| l.starts_with("/login?next=")) => Expect::Login,
        200..=399 | 422 => Expect::Ok,
        other => panic!("unexpected status {other}"),
    }
}

#[tokio::test]
async fn every_route_for_every_role_and_visibility() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(dir.path().join("m.db").to_str().unwrap())
            .await
            .unwrap(),
    );
    let now: Timestamp = NOW.parse().unwrap();
    let mut tenants = Vec::new();
    for code in ["1960", "1984"] {
        let m = service::municipality(code).unwrap();
        let t = store
            .create_tenant(&NewTenant {
                code: code.into(),
                name: m.name.clone(),
                outline_geojson: m.outline.to_geojson().to_string(),
            })
            .await
            .unwrap();
        for c in service::taxonomy::est_defaults(t.id) {
            store.upsert_category(&c, None).await.unwrap();
        }
        tenants.push(t);
    }
    let mut orgs = Vec::new();
    for (name, kind) in [
        ("Kommunen", "kommun"),
        ("Polisen", "polis"),
        ("Skolan", "skola"),
    ] {
        orgs.push(
            store
                .create_organisation(&NewOrganisation {
                    by: None,
                    tenant_id: tenants[0].id,
                    name: name.into(),
                    kind: kind.into(),
                })
                .await
                .unwrap(),
        );
    }
    let mut users = Vec::new();
    for (email, org, role) in [
        ("admin@k.example", 0, Role::Admin),
        ("analys@k.example", 1, Role::Analyst),
        ("rapportor@k.example", 2, Role::Reporter),
        ("chef@k.example", 0, Role::Reader),
    ] {
        users.push(
            store
                .create_user(&NewUser {
                    by: None,
                    tenant_id: tenants[0].id,
                    org_id: orgs[org].id,
                    email: Email::parse(email).unwrap(),
                    display_name: email.into(),
                    role,
                    password_hash: service::auth::hash_password("ett långt lösenord").unwrap(),
                })
                .await
                .unwrap(),
        );
    }
    // Incidents of every visibility, reported by three organisations, and one of another tenant.
    let mut targets = Vec::new();
    for by in &users[..3] {
        for v in Visibility::ALL {
            let mut n = store::conformance::incident(by, "trafik", "2026-11-20T10:00:00Z");
            n.visibility = *v;
            let id = store.insert_incidents(tenants[0].id, &[n]).await.unwrap()[0];
            targets.push(Target {
                id,
                visibility: *v,
                org_id: by.org_id,
                user_id: Some(by.id),
                foreign: false,
            });
        }
    }
    let other_org = store
        .create_organisation(&NewOrganisation {
            by: None,
            tenant_id: tenants[1].id,
            name: "Arboga".into(),
            kind: "kommun".into(),
        })
        .await
        .unwrap();
    let mut foreign = store::conformance::incident(&users[0], "trafik", "2026-11-20T10:00:00Z");
    foreign.org_id = other_org.id;
    foreign.user_id = None;
    let fid = store
        .insert_incidents(tenants[1].id, &[foreign])
        .await
        .unwrap()[0];
    targets.push(Target {
        id: fid,
        visibility: Visibility::AllPartners,
        org_id: other_org.id,
        user_id: None,
        foreign: true,
    });

    // An action owned by the school's reporter.
    let action = store
        .create_action(&store::NewAction {
            tenant_id: tenants[0].id,
            action: model::ActionDraft {
                title: "Belysning".into(),
                owner_org_id: orgs[2].id.to_string(),
                owner_user_id: users[2].id.to_string(),
                due_on: "2026-12-01".into(),
                ..Default::default()
            }
            .validate()
            .unwrap(),
            created_by: Some(users[0].id),
            created_at: now,
        })
        .await
        .unwrap();

    // A hot spot case on an area.
    let area = store
        .create_place(&store::NewPlace { by: None,
            tenant_id: tenants[0].id,
            name: "Torget".into(),
            kind: store::PlaceKind::Area,
            is_school: false,
            geometry_geojson: r#"{"type":"Polygon","coordinates":[[[16.09,59.42],[16.10,59.42],[16.10,59.43],[16.09,59.42]]]}"#.into(),
            lon: 16.095,
            lat: 59.422,
            is_demo: false,
        })
        .await
        .unwrap();
    let case = service::cases::open(
        store.as_ref(),
        tenants[0].id,
        "Torget",
        "",
        area.id,
        "area",
        Some(users[0].id),
        now,
    )
    .await
    .unwrap();

    let tenant0 = store.tenant(tenants[0].id).await.unwrap().unwrap();
    let meeting = service::meetings::plan(
        store.as_ref(),
        &tenant0,
        service::meetings::MeetingKind::Samverkan,
        jiff::civil::date(2026, 11, 27),
        service::lagesbild::Language::Sv,
        &[],
        Some(users[0].id),
        now,
    )
    .await
    .unwrap();

    let promise = service::promises::create_promise(
        store.as_ref(),
        tenants[0].id,
        &service::promises::parse_promise(
            "2026",
            "Trygg skolväg",
            "Vi lovar.",
            "Polisen, kommunen",
        )
        .unwrap(),
        Some(users[0].id),
        now,
    )
    .await
    .unwrap();
    let activity = service::promises::add_activity(
        store.as_ref(),
        tenants[0].id,
        promise.id,
        &service::promises::parse_activity(
            "Vandring",
            "Kommunen",
            "2026-03-01",
            "2026-04-01",
            "",
            "",
            "",
        )
        .unwrap(),
        Some(users[0].id),
        now,
    )
    .await
    .unwrap();

    let school = store
        .create_place(&store::NewPlace { by: None,
            tenant_id: tenants[0].id,
            name: "Skolan".into(),
            kind: store::PlaceKind::Area,
            is_school: true,
            geometry_geojson: r#"{"type":"Polygon","coordinates":[[[16.09,59.42],[16.10,59.42],[16.10,59.43],[16.09,59.42]]]}"#.into(),
            lon: 16.095,
            lat: 59.422,
            is_demo: false,
        })
        .await
        .unwrap();

    let state = web::AppState::with_clock(
        store.clone(),
        web::WebConfig::default(),
        Arc::new(move || now),
    );
    let router = web::router(state);

    let mut principals = vec![Principal {
        name: "anonymous",
        user: None,
        cookie: None,
        csrf: String::new(),
        token: None,
    }];
    for u in &users {
        principals.push(Principal {
            name: match u.role {
                Role::Admin => "admin",
                Role::Analyst => "analyst",
                Role::Reporter => "reporter",
                Role::Reader => "reader",
            },
            user: Some(u.clone()),
            cookie: None,
            csrf: format!("csrf-{}", u.id),
            token: None,
        });
    }

    let mut checked = 0;
    let mut failures = Vec::new();
    for (method, path) in web::ROUTES {
        // Incident routes are tried with every incident; admin routes about a user or an
        // organisation with the reporter and the school.
        let admin_id = if path.starts_with("/admin/users/") {
            Some(users[2].id)
        } else if path.starts_with("/admin/organisations/") {
            Some(orgs[2].id)
        } else if path.starts_with("/actions/") && path.contains("{id}") {
            Some(action.id)
        } else if path.starts_with("/cases/") && path.contains("{id}") {
            Some(case.id)
        } else if path.starts_with("/meetings/") && path.contains("{id}") {
            Some(meeting.id)
        } else if path.starts_with("/promises/") && path.contains("{id}") {
            Some(promise.id)
        } else if path.starts_with("/activities/") {
            Some(activity.id)
        } else if path.starts_with("/schools/") {
            Some(school.id)
        } else {
            None
        };
        let ids: Vec<Option<&Target>> = if path.contains("{id}") && admin_id.is_none() {
            targets.iter().map(Some).collect()
        } else {
            vec![None]
        };
        for p in &mut principals {
            for target in &ids {
                // A fresh session and token for every request: signing out must not affect the next.
                if let Some(u) = &p.user {
                    let secret = service::auth::new_secret();
                    store
                        .create_session(&NewSession {
                            token_hash: service::auth::hash_secret(&secret),
                            tenant_id: u.tenant_id,
                            user_id: u.id,
                            csrf_token: p.csrf.clone(),
                            created_at: now,
                            expires_at: now + jiff::SignedDuration::from_hours(8),
                            stage: store::SessionStage::Full,
                        })
                        .await
                        .unwrap();
                    p.cookie = Some(format!("{}={secret}", web::SESSION_COOKIE));
                    let token = service::auth::new_secret();
                    store
                        .create_api_token(&NewApiToken {
                            token_hash: service::auth::hash_secret(&token),
                            tenant_id: u.tenant_id,
                            user_id: u.id,
                            label: format!("matrix {checked}"),
                            created_at: now,
                            expires_at: now + jiff::SignedDuration::from_hours(24),
                            by: None,
                        })
                        .await
                        .unwrap();
                    p.token = Some(token);
                }
                let concrete = path
                    .replace(
                        "{id}",
                        &target
                            .map(|t| t.id)
                            .or(admin_id)
                            .map(|i| i.to_string())
                            .unwrap_or_default(),
                    )
                    .replace("{code}", "en")
                    .replace("{z}/{x}/{y}", "13/4462/2286.mvt")
                    .replace("{*file}", "app.css")
                    .replace("{photo}", "1")
                    .replace("{secret}", "gissat")
                    .replace("{key}", "gissat")
                    // Open311: the list of requests, a service, a request and a token that
                    // do not exist, all of Kungsör.
                    .replace("/v2/{file}", "/v2/requests.json?jurisdiction_id=1960")
                    .replace(
                        "services/{file}",
                        "services/otrygg-plats.json?jurisdiction_id=1960",
                    )
                    .replace("requests/{file}", "requests/999.json?jurisdiction_id=1960")
                    .replace("tokens/{file}", "tokens/fel.json?jurisdiction_id=1960");
                let api = concrete.starts_with("/api/");
                let mut b = Request::builder()
                    .method(method.to_uppercase().as_str())
                    .uri(&concrete);
                if api {
                    if let Some(t) = &p.token {
                        b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
                    }
                } else if let Some(c) = &p.cookie {
                    b = b.header(header::COOKIE, c);
                }
                let body = match (*method, api) {
                    ("post", true) => {
                        b = b.header(header::CONTENT_TYPE, "application/json");
                        Body::from("{}")
                    }
                    ("post", false) => {
                        b = b.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                        let form = match *path {
                            "/login" => "email=admin%40k.example&password=fel".to_string(),
                            "/incidents/{id}/status" => format!("csrf={}&to=reviewed", p.csrf),
                            _ => format!("csrf={}", p.csrf),
                        };
                        Body::from(form)
                    }
                    _ => Body::empty(),
                };
                let (status, location, text) = send(&router, b.body(body).unwrap()).await;
                let got = classify(status, location.as_deref());
                let want = rule(method, path, p, *target);
                if got != want {
                    failures.push(format!(
                        "{} {concrete} as {}{}: got {status} ({got:?}), want {want:?}",
                        method.to_uppercase(),
                        p.name,
                        target
                            .map(|t| format!(
                                " (incident {:?}{})",
                                t.visibility,
                                if t.foreign { ", other tenant" } else { "" }
                            ))
                            .unwrap_or_default(),
                    ));
                }
                if got == Expect::NotFound && target.is_some() {
                    // Nothing of a hidden incident leaks into the answer.
                    assert!(
                        !text.contains("Klotter på väggen"),
                        "{concrete} leaks the description"
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 250, "{checked}");
}
