//! The HTTP interface of Lägesbild: server-rendered pages (that work without JavaScript), the
//! JSON API under `/api/v1`, and the static assets (MapLibre GL JS served from the binary).
//!
//! The only crate that speaks HTTP. Handlers translate requests into calls on the store (which
//! enforces tenant scope and visibility) and the service layer, and render the results.
#![forbid(unsafe_code)]

pub mod access;
mod actions;
mod admin;
mod api;
mod assets;
mod basemap;
mod budget;
mod cases;
mod ctx;
mod docs;
mod export;
mod field;
mod filters;
pub mod i18n;
mod import;
mod insight;
mod lagesbild;
mod limits;
mod meetings;
mod mfa;
mod open311;
pub mod openapi;
mod pages;
pub mod polisen;
mod promises;
pub use pages::MAP_GEOJSON_MAX;
mod render;
mod respond;
mod schools;
mod sso;
mod start;
mod tips;
mod tokens;
mod views;

use axum::Router;
use jiff::Timestamp;
use std::sync::Arc;
use store::Store;

pub use api::INCIDENT_FIELDS;
pub use assets::gzipped_size;
pub use budget::HEAVY as HEAVY_ROUTES;

/// The static files the report page loads when no map is asked for (its weight is measured
/// by `lagesbild-bench-field`); `/categories.css` is made per tenant.
pub const REPORT_PAGE_FILES: &[&str] = &["app.css", "app.js", "report-form.js", "queue.js"];
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
    /// Expensive requests (analyses, the lägesbild, PDFs) running at once; more wait.
    pub heavy_slots: usize,
    /// How long an expensive request waits for a slot before it is answered 503.
    pub heavy_wait: std::time::Duration,
    /// How long an expensive request may run before it is answered 503.
    pub heavy_timeout: std::time::Duration,
    /// Requests served at once; one more is answered 503 with `Retry-After` at once, never
    /// queued (so an overload cannot grow a queue or hang its clients).
    pub max_in_flight: usize,
    /// The deployment's key, which seals the TOTP secrets in the store (`serve --key-file`;
    /// by default a key of this process alone).
    pub sealer: service::sealing::Sealer,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            session_hours: 12,
            session_idle_minutes: 30,
            map_style_url: None,
            demo: false,
            heavy_slots: 2,
            heavy_wait: std::time::Duration::from_secs(10),
            heavy_timeout: std::time::Duration::from_secs(60),
            max_in_flight: 512,
            sealer: service::sealing::Sealer::default(),
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
    heavy: budget::Budget,
    in_flight: Arc<tokio::sync::Semaphore>,
    tips: tips::TipGuard,
    uploads: import::Uploads,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, config: WebConfig) -> Arc<Self> {
        Self::with_clock(store, config, Arc::new(Timestamp::now))
    }

    pub fn with_clock(store: Arc<dyn Store>, config: WebConfig, clock: Clock) -> Arc<Self> {
        let i18n = Arc::new(i18n::I18n::new());
        let env = render::environment(i18n.clone());
        let heavy =
            budget::Budget::new(config.heavy_slots, config.heavy_wait, config.heavy_timeout);
        let in_flight = Arc::new(tokio::sync::Semaphore::new(config.max_in_flight.max(1)));
        Arc::new(AppState {
            store,
            config,
            clock,
            i18n,
            env,
            heavy,
            in_flight,
            tips: tips::TipGuard::default(),
            uploads: import::Uploads::default(),
        })
    }

    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }
}

/// Declares every route once: the router is built from this list and [`ROUTES`] exposes it,
/// so tests can walk every route (a route added here without an access rule in the tests'
/// table fails them).
macro_rules! app_routes {
    ($($method:ident $path:literal => $handler:path;)*) => {
        /// Every (method, path) the application serves.
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        fn add_routes(r: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
            r $(.route($path, axum::routing::$method($handler)))*
        }
    };
}

app_routes! {
    get "/" => start::page;
    get "/healthz" => api::healthz;
    get "/login" => pages::login_form;
    post "/login" => pages::login;
    get "/login/sso/callback" => sso::callback;
    get "/login/sso/{code}" => sso::start;
    get "/login/second-factor" => mfa::verify_form;
    post "/login/second-factor" => mfa::verify;
    get "/login/second-factor/setup" => mfa::setup_form;
    post "/login/second-factor/setup" => mfa::setup;
    post "/logout" => pages::logout;
    post "/logout-all" => pages::logout_all;
    get "/account" => pages::account;
    post "/account/password" => pages::change_password;
    post "/account/notifications" => pages::set_notifications;
    post "/account/tokens" => tokens::create;
    post "/account/tokens/{id}/revoke" => tokens::revoke_own;
    get "/lang/{code}" => pages::set_lang;
    get "/incidents" => pages::incident_list;
    post "/incidents" => field::create;
    get "/incidents/new" => pages::incident_form;
    get "/open311/v2/{file}" => open311::discovery_or_list;
    post "/open311/v2/{file}" => open311::post_request;
    get "/open311/v2/services/{file}" => open311::service_definition;
    get "/open311/v2/requests/{file}" => open311::request_one;
    get "/open311/v2/tokens/{file}" => open311::token;
    get "/tips/{code}" => tips::form;
    post "/tips/{code}" => tips::submit;
    get "/tips/kvitto/{secret}" => tips::receipt;
    get "/admin/import" => import::page;
    post "/admin/import" => import::preview;
    post "/admin/import/{key}" => import::store;
    get "/admin/tips" => tips::queue;
    post "/admin/tips/{id}" => tips::moderate;
    get "/admin/open311" => tips::keys;
    post "/admin/open311" => tips::key_create;
    post "/admin/open311/{id}/revoke" => tips::key_revoke;
    get "/incidents/export" => export::incidents;
    get "/incidents/{id}" => pages::incident_detail;
    post "/incidents/{id}/status" => pages::incident_status;
    post "/incidents/{id}/redact" => pages::incident_redact;
    get "/map" => pages::map_page;
    get "/analysis" => insight::analysis_page;
    get "/lagesbild" => lagesbild::page;
    get "/lagesbild.pdf" => lagesbild::pdf;
    get "/cases" => cases::list;
    post "/cases" => cases::create;
    get "/cases/{id}" => cases::detail;
    post "/cases/{id}/step" => cases::step;
    post "/cases/{id}/visits" => cases::visit;
    get "/meetings" => meetings::list;
    post "/meetings" => meetings::create;
    get "/meetings/{id}" => meetings::detail;
    get "/meetings/{id}/minutes.pdf" => meetings::minutes;
    get "/meetings/{id}/pack.pdf" => meetings::pack;
    post "/meetings/{id}/notes" => meetings::notes;
    post "/meetings/{id}/decisions" => meetings::decision;
    post "/meetings/{id}/focus" => meetings::focus;
    get "/promises" => promises::list;
    post "/promises" => promises::create;
    get "/promises/follow-up.pdf" => promises::report;
    post "/promises/{id}/activities" => promises::add_activity;
    post "/activities/{id}" => promises::follow_up;
    get "/schools" => schools::list;
    get "/schools/{id}" => schools::detail;
    post "/schools/{id}/contacts" => schools::contact;
    post "/schools/{id}/notify" => schools::notify;
    get "/actions" => actions::list;
    post "/actions" => actions::create;
    get "/actions/new" => actions::new_form;
    get "/actions/{id}" => actions::detail;
    post "/actions/{id}/status" => actions::status;
    get "/categories.css" => pages::categories_css;
    get "/admin" => admin::overview;
    get "/admin/users" => admin::users;
    post "/admin/users" => admin::user_create;
    post "/admin/users/{id}" => admin::user_update;
    post "/admin/users/{id}/password" => admin::user_password;
    post "/admin/users/{id}/reset-mfa" => admin::user_reset_mfa;
    get "/admin/organisations" => admin::orgs;
    post "/admin/organisations" => admin::org_create;
    post "/admin/organisations/{id}" => admin::org_update;
    get "/admin/categories" => admin::categories;
    post "/admin/categories" => admin::category_save;
    get "/admin/places" => admin::places;
    post "/admin/places" => admin::place_create;
    get "/admin/settings" => admin::settings;
    post "/admin/settings" => admin::settings_save;
    post "/admin/smtp" => admin::smtp_save;
    get "/admin/sso" => sso::page;
    post "/admin/sso" => sso::save;
    get "/admin/tokens" => tokens::list;
    post "/admin/tokens/{id}/revoke" => tokens::revoke_any;
    get "/admin/audit" => admin::audit_page;
    get "/admin/audit.csv" => admin::audit_csv;
    get "/static/{*file}" => assets::serve;
    get "/api/v1/incidents" => api::list;
    post "/api/v1/incidents" => field::api_create;
    get "/api/v1/incidents.geojson" => api::geojson;
    get "/api/v1/incidents/export" => export::api;
    get "/api/v1/incidents/nearby" => field::nearby;
    get "/api/v1/incidents/{id}/photos" => field::api_photos;
    post "/api/v1/incidents/{id}/photos" => field::api_add_photo;
    get "/api/v1/incidents/{id}/photos/{photo}" => field::api_photo;
    get "/api/v1/session" => field::session;
    get "/sw.js" => assets::service_worker;
    get "/manifest.webmanifest" => assets::manifest;
    get "/api/v1/hotspots.geojson" => api::hotspots;
    get "/api/v1/density.geojson" => insight::density;
    get "/api/v1/tiles/{z}/{x}/{y}" => api::tile;
    get "/api/v1/analysis" => insight::api_analysis;
    get "/api/v1/incidents/{id}" => api::get_one;
    get "/api/v1/categories" => api::categories;
    get "/api/v1/places" => api::places;
    get "/api/v1/tenant" => api::tenant;
    get "/api/v1/openapi.json" => openapi::openapi_json;
}

/// Every route of the application.
pub fn router(state: Arc<AppState>) -> Router {
    add_routes(Router::new())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            budget::guard,
        ))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn(ctx::forms_are_utf8))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            budget::shed,
        ))
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
