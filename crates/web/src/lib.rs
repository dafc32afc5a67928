//! The HTTP interface of Lägesbild: server-rendered pages (that work without JavaScript), the
//! JSON API under `/api/v1`, and the static assets (MapLibre GL JS served from the binary).
//!
//! The only crate that speaks HTTP. Handlers translate requests into calls on the store (which
//! enforces tenant scope and visibility) and the service layer, and render the results.
#![forbid(unsafe_code)]

mod admin;
mod api;
mod assets;
mod ctx;
mod filters;
pub mod i18n;
mod limits;
mod pages;
mod render;
mod views;

use axum::Router;
use axum::routing::{get, post};
use jiff::Timestamp;
use std::sync::Arc;
use store::Store;

pub use ctx::SESSION_COOKIE;

/// Settings of the web interface.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (set when served over HTTPS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// Absolute lifetime of a session.
    pub session_hours: i64,
    /// A session unused this long ends.
    pub session_idle_minutes: i64,
    /// Default external MapLibre style URL (a tenant's own setting wins); none = offline outline.
    pub map_style_url: Option<String>,
    /// Show the demo-data notice.
    pub demo: bool,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            session_hours: 12,
            session_idle_minutes: 30,
            map_style_url: None,
            demo: false,
        }
    }
}

pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: WebConfig,
    pub clock: Clock,
    i18n: Arc<i18n::I18n>,
    env: minijinja::Environment<'static>,
    login_limiter: limits::LoginLimiter,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: WebConfig) -> Arc<Self> {
        Self::with_clock(store, config, Arc::new(Timestamp::now))
    }

    pub fn with_clock(store: Arc<dyn Store>, config: WebConfig, clock: Clock) -> Arc<Self> {
        let i18n = Arc::new(i18n::I18n::new());
        let env = render::environment(i18n.clone());
        Arc::new(AppState {
            store,
            config,
            clock,
            i18n,
            env,
            login_limiter: limits::LoginLimiter::default(),
        })
    }

    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }
}

/// Every route of the application.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/healthz", get(api::healthz))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/logout-all", post(pages::logout_all))
        .route("/account", get(pages::account))
        .route("/lang/{code}", get(pages::set_lang))
        .route(
            "/incidents",
            get(pages::incident_list).post(pages::incident_create),
        )
        .route("/incidents/new", get(pages::incident_form))
        .route("/incidents/{id}", get(pages::incident_detail))
        .route("/incidents/{id}/status", post(pages::incident_status))
        .route("/map", get(pages::map_page))
        .route("/categories.css", get(pages::categories_css))
        .route("/admin/audit", get(admin::audit_page))
        .route("/admin/audit.csv", get(admin::audit_csv))
        .route("/static/{*file}", get(assets::serve))
        .route("/api/v1/incidents", get(api::list).post(api::create))
        .route("/api/v1/incidents.geojson", get(api::geojson))
        .route("/api/v1/incidents/{id}", get(api::get_one))
        .route("/api/v1/categories", get(api::categories))
        .route("/api/v1/places", get(api::places))
        .route("/api/v1/tenant", get(api::tenant))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ctx::security_headers,
        ))
        .with_state(state)
}

/// Serves until ctrl-c or SIGTERM.
pub async fn serve(state: Arc<AppState>, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM handler");
            tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
        }
        #[cfg(not(unix))]
        {
            let _ = ctrl_c.await;
        }
    })
    .await
}
