//! One app per process for the HTTP targets: a real SQLite store in a temporary directory with
//! the Kungsör tenant, its categories, a reporter signed in (session cookie and CSRF token), the
//! reporter's API token and an Open311 key.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use jiff::Timestamp;
use model::{Email, Role};
use std::sync::{Arc, OnceLock};
use store::{
    Category, NewApiToken, NewOpen311Key, NewOrganisation, NewTenant, NewUser, Place, Store, Tenant,
};
use tower::ServiceExt;

const NOW: &str = "2026-11-27T12:00:00Z";
const PASSWORD: &str = "ett långt lösenord för fuzz 123";

pub enum Auth {
    None,
    Session,
    Token,
}

pub struct Harness {
    rt: tokio::runtime::Runtime,
    router: axum::Router,
    pub tenant: Tenant,
    pub categories: Vec<Category>,
    pub places: Vec<Place>,
    pub org: store::OrgId,
    pub now: Timestamp,
    cookie: String,
    pub csrf: String,
    token: String,
    pub open311_key: String,
    _dir: tempfile::TempDir,
}

static HARNESS: OnceLock<Harness> = OnceLock::new();

impl Harness {
    pub fn get() -> &'static Harness {
        HARNESS.get_or_init(build)
    }

    /// Sends one request through the router and checks the answer is not a server error.
    /// A request that cannot be formed (bytes no HTTP client could send as a path) is skipped:
    /// the HTTP layer refuses it before any of our code runs.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        auth: Auth,
        body: &[u8],
    ) -> Option<StatusCode> {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(ct) = content_type {
            b = b.header(header::CONTENT_TYPE, ct);
        }
        match auth {
            Auth::None => {}
            Auth::Session => b = b.header(header::COOKIE, &self.cookie),
            Auth::Token => b = b.header(header::AUTHORIZATION, format!("Bearer {}", self.token)),
        }
        let Ok(req) = b.body(Body::from(body.to_vec())) else {
            return None;
        };
        let (status, text) = self.rt.block_on(async {
            let res = self.router.clone().oneshot(req).await.expect("infallible");
            let status = res.status();
            let bytes = res
                .into_body()
                .collect()
                .await
                .map(|c| c.to_bytes())
                .unwrap_or_default();
            (status, String::from_utf8_lossy(&bytes).into_owned())
        });
        assert!(
            !status.is_server_error(),
            "{path}: {status}: {}",
            text.chars().take(500).collect::<String>()
        );
        Some(status)
    }
}

/// Bytes as a query or path: visible ASCII as it is (so `&`, `=`, `/`, `%` keep their meaning
/// and the fuzzer can build structure), everything else percent-encoded as a client would.
pub fn query(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len());
    for &b in data {
        if b.is_ascii_graphic() && b != b'#' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn build() -> Harness {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let now: Timestamp = NOW.parse().expect("a time");
    let path = dir.path().join("fuzz.db");
    let h = rt.block_on(async {
        let store: Arc<dyn Store> = Arc::new(
            store_sqlite::SqliteStore::open(path.to_str().expect("a UTF-8 path"))
                .await
                .expect("a store"),
        );
        let m = service::municipality("1960").expect("Kungsör");
        let tenant = store
            .create_tenant(&NewTenant {
                code: "1960".into(),
                name: m.name.clone(),
                outline_geojson: m.outline.to_geojson().to_string(),
            })
            .await
            .expect("a tenant");
        for c in service::taxonomy::est_defaults(tenant.id) {
            store.upsert_category(&c, None).await.expect("a category");
        }
        let org = store
            .create_organisation(&NewOrganisation {
                by: None,
                tenant_id: tenant.id,
                name: "Skolan".into(),
                kind: "skola".into(),
            })
            .await
            .expect("an organisation");
        let user = store
            .create_user(&NewUser {
                by: None,
                tenant_id: tenant.id,
                org_id: org.id,
                email: Email::parse("rapportor@fuzz.example").expect("an address"),
                display_name: "Rapportör".into(),
                role: Role::Reporter,
                password_hash: service::auth::hash_password(PASSWORD).expect("a hash"),
            })
            .await
            .expect("a user");
        let token = service::auth::new_secret();
        store
            .create_api_token(&NewApiToken {
                token_hash: service::auth::hash_secret(&token),
                tenant_id: tenant.id,
                user_id: user.id,
                label: "fuzz".into(),
                created_at: now,
                expires_at: "2027-11-27T12:00:00Z".parse().expect("a time"),
                by: None,
            })
            .await
            .expect("a token");
        let open311_key = service::auth::new_secret();
        store
            .create_open311_key(&NewOpen311Key {
                tenant_id: tenant.id,
                key_hash: service::auth::hash_secret(&open311_key),
                label: "fuzz".into(),
                created_by: None,
                created_at: now,
            })
            .await
            .expect("an Open311 key");
        let categories = store.categories(tenant.id).await.expect("categories");
        let places = store.places(tenant.id).await.expect("places");
        let state = web::AppState::with_clock(
            store.clone(),
            web::WebConfig::default(),
            Arc::new(move || now),
        );
        let router = web::router(state);
        let login = format!(
            "email=rapportor%40fuzz.example&password={}&next=%2Fincidents",
            query(PASSWORD.as_bytes())
        );
        let (cookie, csrf) = sign_in(&router, &login).await;
        (
            tenant,
            categories,
            places,
            org.id,
            cookie,
            csrf,
            token,
            open311_key,
            router,
        )
    });
    let (tenant, categories, places, org, cookie, csrf, token, open311_key, router) = h;
    Harness {
        rt,
        router,
        tenant,
        categories,
        places,
        org,
        now,
        cookie,
        csrf,
        token,
        open311_key,
        _dir: dir,
    }
}

async fn sign_in(router: &axum::Router, form: &str) -> (String, String) {
    let res = router
        .clone()
        .oneshot(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form.to_string()))
                .expect("a request"),
        )
        .await
        .expect("infallible");
    let cookie = res
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or_else(|| panic!("signed in: {}", res.status()))
        .to_string();
    let page = router
        .clone()
        .oneshot(
            Request::get("/incidents/new")
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .expect("a request"),
        )
        .await
        .expect("infallible");
    let bytes = page.into_body().collect().await.expect("a page").to_bytes();
    let html = String::from_utf8_lossy(&bytes);
    let key = r#"name="csrf" value=""#;
    let start = html.find(key).expect("a CSRF field") + key.len();
    let csrf = html[start..]
        .split('"')
        .next()
        .expect("a token")
        .to_string();
    (cookie, csrf)
}
