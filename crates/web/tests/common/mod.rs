//! The HTTP tests' harness: the whole router over a real SQLite store in a temporary
//! directory, a clock the tests move, and helpers to sign in and send forms and API calls.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use jiff::Timestamp;
use model::{Email, Role};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use store::{NewApiToken, NewOrganisation, NewTenant, NewUser, Store, Tenant, User};
use store_sqlite::SqliteStore;
use tower::ServiceExt;

pub const PASSWORD: &str = "ett långt lösenord 123";
pub const NOW: &str = "2026-11-27T12:00:00Z";

pub struct App {
    pub router: axum::Router,
    pub store: Arc<dyn Store>,
    /// The server's clock, in seconds; tests move it.
    pub clock: Arc<AtomicI64>,
    /// TOTP secrets of users who set up a second factor in this test.
    pub secrets: std::sync::Mutex<std::collections::HashMap<String, String>>,
    pub _dir: tempfile::TempDir,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn body_bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .unwrap()
            .to_str()
            .unwrap()
    }
}

pub async fn tenant_with_users(store: &dyn Store, code: &str) -> (Tenant, Vec<User>) {
    let m = service::municipality(code).unwrap();
    let tenant = store
        .create_tenant(&NewTenant {
            code: code.into(),
            name: m.name.clone(),
            outline_geojson: m.outline.to_geojson().to_string(),
        })
        .await
        .unwrap();
    for c in service::taxonomy::est_defaults(tenant.id) {
        store.upsert_category(&c, None).await.unwrap();
    }
    let kommun = store
        .create_organisation(&NewOrganisation {
            by: None,
            tenant_id: tenant.id,
            name: "Kommunen".into(),
            kind: "kommun".into(),
        })
        .await
        .unwrap();
    let skola = store
        .create_organisation(&NewOrganisation {
            by: None,
            tenant_id: tenant.id,
            name: "Skolan".into(),
            kind: "skola".into(),
        })
        .await
        .unwrap();
    let hash = service::auth::hash_password(PASSWORD).unwrap();
    let mut users = Vec::new();
    for (who, org, role) in [
        ("admin", &kommun, Role::Admin),
        ("rapportor", &skola, Role::Reporter),
        ("chef", &kommun, Role::Reader),
    ] {
        users.push(
            store
                .create_user(&NewUser {
                    by: None,
                    tenant_id: tenant.id,
                    org_id: org.id,
                    email: Email::parse(&format!("{who}@k{code}.example")).unwrap(),
                    display_name: format!("{who} {code}"),
                    role,
                    password_hash: hash.clone(),
                })
                .await
                .unwrap(),
        );
    }
    (tenant, users)
}

pub async fn app() -> (App, Tenant, Vec<User>, Tenant, Vec<User>) {
    app_with(web::WebConfig::default()).await
}

/// The app with other settings (e.g. no room for expensive requests).
pub async fn app_with(config: web::WebConfig) -> (App, Tenant, Vec<User>, Tenant, Vec<User>) {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(dir.path().join("t.db").to_str().unwrap())
            .await
            .unwrap(),
    );
    app_over(store, dir, config).await
}

/// The stores the tests that must hold on both run on.
#[derive(Debug, Clone, Copy)]
pub enum Db {
    Sqlite,
    Postgres,
}
pub const BOTH: [Db; 2] = [Db::Sqlite, Db::Postgres];

/// The app over a fresh store of the kind: SQLite in a temporary directory, or a new database
/// on the PostgreSQL server of `LAGESBILD_TEST_PG` (scripts/test.sh starts a throwaway one).
pub async fn app_on(db: Db) -> (App, Tenant, Vec<User>, Tenant, Vec<User>) {
    match db {
        Db::Sqlite => app().await,
        Db::Postgres => {
            let server = std::env::var("LAGESBILD_TEST_PG").unwrap_or_else(|_| {
                panic!(
                    "LAGESBILD_TEST_PG is not set: run ./scripts/test.sh (it starts a throwaway \
                     PostgreSQL), or point it at a server"
                )
            });
            static N: AtomicI64 = AtomicI64::new(0);
            let name = format!(
                "lbweb_{}_{}_{}",
                std::process::id(),
                N.fetch_add(1, Ordering::SeqCst),
                Timestamp::now().as_millisecond() % 1_000_000
            );
            let admin = store_postgres::connect(&server).await.unwrap();
            admin
                .execute_admin(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            admin.close().await;
            let store: Arc<dyn Store> = Arc::new(
                store_postgres::PgStore::open(&store_postgres::with_database(&server, &name))
                    .await
                    .unwrap(),
            );
            app_over(
                store,
                tempfile::tempdir().unwrap(),
                web::WebConfig::default(),
            )
            .await
        }
    }
}

async fn app_over(
    store: Arc<dyn Store>,
    dir: tempfile::TempDir,
    config: web::WebConfig,
) -> (App, Tenant, Vec<User>, Tenant, Vec<User>) {
    let (kungsor, ku) = tenant_with_users(store.as_ref(), "1960").await;
    let (arboga, au) = tenant_with_users(store.as_ref(), "1984").await;
    let now: Timestamp = NOW.parse().unwrap();
    let clock = Arc::new(AtomicI64::new(now.as_second()));
    let c = clock.clone();
    let state = web::AppState::with_clock(
        store.clone(),
        config,
        Arc::new(move || Timestamp::from_second(c.load(Ordering::SeqCst)).unwrap()),
    );
    (
        App {
            router: web::router(state),
            store,
            clock,
            secrets: Default::default(),
            _dir: dir,
        },
        kungsor,
        ku,
        arboga,
        au,
    )
}

impl App {
    pub fn advance_minutes(&self, minutes: i64) {
        self.clock.fetch_add(minutes * 60, Ordering::SeqCst);
    }

    pub async fn send(&self, req: Request<Body>) -> Resp {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Resp {
        let mut b = Request::get(path);
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    pub async fn post_form(&self, path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Resp {
        let body: String = form
            .iter()
            .map(|(k, v)| format!("{}={}", web_urlencode(k), web_urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut b =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        self.send(b.body(Body::from(body)).unwrap()).await
    }

    pub async fn api(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let body = match body {
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(b.body(body).unwrap()).await
    }

    /// Logs in and returns the session cookie and the CSRF token of the report form.
    pub fn now(&self) -> Timestamp {
        Timestamp::from_second(self.clock.load(Ordering::SeqCst)).unwrap()
    }

    /// Signs in with the password and, for roles that need it, the second factor (set up at the
    /// first sign-in, the secret kept for later ones). Returns the session cookie and the CSRF
    /// token of the signed-in pages.
    pub async fn login(&self, email: &str) -> (String, String) {
        let r = self
            .post_form(
                "/login",
                None,
                &[
                    ("email", email),
                    ("password", PASSWORD),
                    ("next", "/incidents"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let mut cookie = session_cookie(&r);
        let location = r.location().to_string();
        if location.starts_with("/login/second-factor/setup") {
            let page = self.get(&location, Some(&cookie)).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
            let secret = attr(&page.body, "data-secret");
            let code = service::totp::code(&secret, self.now()).unwrap();
            let csrf = csrf_of(&page.body);
            let r = self
                .post_form(
                    "/login/second-factor/setup",
                    Some(&cookie),
                    &[("csrf", &csrf), ("code", &code), ("next", "/incidents")],
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            assert!(r.body.contains("Dina reservkoder"));
            cookie = session_cookie(&r);
            self.secrets
                .lock()
                .unwrap()
                .insert(email.to_lowercase(), secret);
        } else if location.starts_with("/login/second-factor") {
            let secret = self
                .secrets
                .lock()
                .unwrap()
                .get(&email.to_lowercase())
                .cloned()
                .expect("set up before");
            // A code works once: use the next 30-second step.
            self.clock.fetch_add(30, Ordering::SeqCst);
            let page = self.get(&location, Some(&cookie)).await;
            let code = service::totp::code(&secret, self.now()).unwrap();
            let r = self
                .post_form(
                    "/login/second-factor",
                    Some(&cookie),
                    &[
                        ("csrf", &csrf_of(&page.body)),
                        ("code", &code),
                        ("next", "/incidents"),
                    ],
                )
                .await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
            cookie = session_cookie(&r);
        } else {
            assert_eq!(location, "/incidents");
        }
        let form = self.get("/incidents/new", Some(&cookie)).await;
        (cookie, csrf_of(&form.body))
    }

    pub async fn token(&self, user: &User) -> String {
        let token = service::auth::new_secret();
        self.store
            .create_api_token(&NewApiToken {
                token_hash: service::auth::hash_secret(&token),
                tenant_id: user.tenant_id,
                user_id: user.id,
                label: "test".into(),
                created_at: NOW.parse().unwrap(),
                expires_at: "2027-11-27T12:00:00Z".parse().unwrap(),
                by: None,
            })
            .await
            .unwrap();
        token
    }
}

pub fn web_urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn session_cookie(r: &Resp) -> String {
    let set = r
        .headers
        .get(header::SET_COOKIE)
        .expect("a session cookie")
        .to_str()
        .unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    set.split(';').next().unwrap().to_string()
}

pub fn attr(html: &str, name: &str) -> String {
    let key = format!("{name}=\"");
    let start = html
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in page"))
        + key.len();
    html[start..].split('"').next().unwrap().to_string()
}

pub fn csrf_of(html: &str) -> String {
    let start =
        html.find(r#"name="csrf" value=""#).expect("a csrf field") + r#"name="csrf" value=""#.len();
    html[start..].split('"').next().unwrap().to_string()
}

pub fn good_form(csrf: &str) -> Vec<(&str, &str)> {
    vec![
        ("csrf", csrf),
        ("category", "skadegorelse-klotter"),
        ("occurred_from", "2026-11-26T22:15"),
        ("lat", "59.4224"),
        ("lon", "16.0978"),
        ("description", "Klotter på gaveln mot parkeringen"),
        ("persons_involved", "3"),
        ("visibility", "all_partners"),
    ]
}

/// The text of a PDF, as pdftotext reads it.
#[allow(dead_code)]
pub fn pdf_text(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils; scripts/test.sh installs it)");
    String::from_utf8(out.stdout).unwrap()
}

/// How many images the PDF holds (pdfimages -list, a row per image after two header rows).
#[allow(dead_code)]
pub fn pdf_images(bytes: &[u8]) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.pdf");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("pdfimages")
        .arg("-list")
        .arg(&path)
        .output()
        .expect("pdfimages (poppler-utils; scripts/test.sh installs it)");
    String::from_utf8_lossy(&out.stdout).lines().skip(2).count()
}

/// The Python of the test venv (`LAGESBILD_TEST_AIOSMTPD`, which scripts/test.sh makes), after
/// checking it imports `modules` (comma-separated), with a message that says how to get them.
pub fn python_with(modules: &str) -> String {
    let python = std::env::var("LAGESBILD_TEST_AIOSMTPD").unwrap_or_else(|_| "python3".into());
    let has = std::process::Command::new(&python)
        .args(["-c", &format!("import {modules}")])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        has,
        "{python} cannot import {modules}: run scripts/test.sh, or set \
         LAGESBILD_TEST_AIOSMTPD to a python with them"
    );
    python
}

/// Serves the app's router on a loopback port of its own, for a real client: the port.
pub async fn serve_on_loopback(app: &App) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let router = app.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    port
}

/// A child process's output, asserted successful (both streams shown when not): stdout.
pub fn succeeded(out: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}
