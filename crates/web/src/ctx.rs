//! Per-request context: language, session user, CSRF token; security headers.

use crate::AppState;
use crate::i18n::Lang;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use store::{Tenant, User};

pub const SESSION_COOKIE: &str = "lagesbild_session";
pub const LANG_COOKIE: &str = "lagesbild_lang";

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}"
    ))
    .expect("cookie values are ASCII")
}

/// Who is asking, in which language.
pub struct Ctx {
    pub lang: Lang,
    pub user: Option<User>,
    pub tenant: Option<Tenant>,
    pub csrf: Option<String>,
    /// Path and query of this request, for redirects back after login or a language change.
    pub path: String,
    pub session_hash: Option<String>,
    pub headers: HeaderMap,
    /// The client's address (the TCP peer; proxies' headers are not trusted).
    pub peer: Option<String>,
    /// A sign-in that passed the password but not yet the second factor. Such a session is
    /// not signed in (`user` is none) and may only use the second-factor pages.
    pub pending: Option<(store::Session, User)>,
}

impl FromRequestParts<Arc<AppState>> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let headers = parts.headers.clone();
        let lang = cookie(&headers, LANG_COOKIE)
            .and_then(Lang::parse)
            .unwrap_or_default();
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        let mut ctx = Ctx {
            lang,
            user: None,
            tenant: None,
            csrf: None,
            path,
            session_hash: None,
            headers,
            pending: None,
            peer: parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip().to_string()),
        };
        if let Some(token) = cookie(&ctx.headers, SESSION_COOKIE) {
            let hash = service::auth::hash_secret(token);
            match state.store.session(&hash, state.now()).await {
                Ok(Some((session, _)))
                    if state.now().duration_since(session.last_seen_at).as_secs()
                        > state.config.session_idle_minutes * 60 =>
                {
                    // Idle too long: the session ends.
                    let _ = state.store.delete_session(&hash).await;
                }
                Ok(Some((session, user))) if session.stage != store::SessionStage::Full => {
                    ctx.csrf = Some(session.csrf_token.clone());
                    ctx.session_hash = Some(hash);
                    ctx.pending = Some((session, user));
                }
                Ok(Some((session, user))) => {
                    if state.now().duration_since(session.last_seen_at).as_secs() > 60
                        && let Err(e) = state.store.touch_session(&hash, state.now()).await
                    {
                        tracing::error!("touching session: {e}");
                    }
                    ctx.tenant = state.store.tenant(user.tenant_id).await.ok().flatten();
                    ctx.csrf = Some(session.csrf_token);
                    ctx.user = Some(user);
                    ctx.session_hash = Some(hash);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::error!("reading session: {e}");
                    return Err(StatusCode::SERVICE_UNAVAILABLE.into_response());
                }
            }
        }
        Ok(ctx)
    }
}

impl Ctx {
    /// The request came from one of our own pages (not a cross-site form or script): the
    /// browser's `Sec-Fetch-Site` says same-origin, or `Origin` matches `Host`; requests from
    /// non-browser clients carry neither and are judged by the CSRF token alone.
    pub fn same_origin(&self) -> bool {
        if let Some(site) = self
            .headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
        {
            return matches!(site, "same-origin" | "none");
        }
        match (
            self.headers
                .get(header::ORIGIN)
                .and_then(|v| v.to_str().ok()),
            self.headers.get(header::HOST).and_then(|v| v.to_str().ok()),
        ) {
            (Some(origin), Some(host)) => origin.split_once("://").is_some_and(|(_, h)| h == host),
            (Some(_), None) => false,
            (None, _) => true,
        }
    }

    /// The submitted CSRF token matches the session's and the request is same-origin.
    pub fn csrf_ok(&self, submitted: Option<&str>) -> bool {
        self.same_origin()
            && match (&self.csrf, submitted) {
                (Some(expected), Some(got)) => {
                    expected.len() == got.len()
                        && expected
                            .bytes()
                            .zip(got.bytes())
                            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                            == 0
                }
                _ => false,
            }
    }
}

/// Set on a response whose page loads the tenant's external base map, so the CSP allows it.
#[derive(Clone)]
pub struct MapOrigin(pub String);

/// Marks a page response as loading the tenant's external base map, if it has one.
pub fn allow_tenant_map(mut res: Response, ctx: &Ctx) -> Response {
    if let Some(url) = ctx.tenant.as_ref().and_then(|t| t.map_style_url.clone()) {
        res.extensions_mut().insert(MapOrigin(url));
    }
    res
}

/// The origin of a map style URL for the CSP: only a host of ASCII letters, digits, `-`, `.`
/// and a port (an internationalised host is written in punycode, `xn--…`), so nothing but
/// the origin can reach the header.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    let ascii_host = host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    (!host.is_empty() && ascii_host && (scheme == "https" || scheme == "http"))
        .then(|| format!("{scheme}://{host}"))
}

/// Adds security headers to every response: a CSP without inline script, no framing, no
/// sniffing, a strict referrer policy.
pub async fn security_headers(
    State(state): State<Arc<AppState>>,
    req: Request,
    next: Next,
) -> Response {
    let mut res = next.run(req).await;
    // The configured base map, and a tenant's own (pages with a map say which).
    let tenant_map = res.extensions().get::<MapOrigin>().map(|m| m.0.clone());
    let external: String = [state.config.map_style_url.as_deref(), tenant_map.as_deref()]
        .into_iter()
        .flatten()
        .filter_map(origin_of)
        .map(|o| format!(" {o}"))
        .collect();
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:{external}; \
         font-src 'self'; connect-src 'self'{external}; worker-src 'self' blob:; child-src 'self' blob:; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_str(&csp).unwrap_or(HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        )),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // A page whose address is a secret (a tip's receipt) sends no referrer at all.
    if !h.contains_key(header::REFERRER_POLICY) {
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
    }
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("geolocation=(self), camera=(), microphone=()"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cookies() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; lagesbild_lang=en; b=2"),
        );
        assert_eq!(cookie(&h, LANG_COOKIE), Some("en"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn origins() {
        assert_eq!(
            origin_of("https://tiles.example.org/style.json").as_deref(),
            Some("https://tiles.example.org")
        );
        assert_eq!(origin_of("javascript:alert(1)"), None);
    }
}

/// Whether every name and value of an `application/x-www-form-urlencoded` body is UTF-8 once
/// percent-decoded (`+` is a space).
pub fn form_is_utf8(body: &[u8]) -> bool {
    // `&`, `=` and `+` are ASCII: the body is UTF-8 as a whole exactly when every name and
    // value is.
    percent_encoding::percent_decode(body).decode_utf8().is_ok()
}

/// Refuses (400) a form whose text is not UTF-8, instead of storing U+FFFD in its place (the
/// JSON API refuses it too). Forms are small: read whole, at most 2 MiB as axum's `Form`.
pub async fn forms_are_utf8(req: Request, next: Next) -> Response {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 2 << 20).await else {
        return (axum::http::StatusCode::PAYLOAD_TOO_LARGE, "form too large").into_response();
    };
    if !form_is_utf8(&bytes) {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            "the form's text is not UTF-8",
        )
            .into_response();
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes)))
        .await
}

#[cfg(test)]
mod form_tests {
    #[test]
    fn forms_must_be_utf8() {
        assert!(super::form_is_utf8(b"a=b&description=V%C3%A4gg+%C3%B6"));
        assert!(super::form_is_utf8(b"a=100%"));
        assert!(!super::form_is_utf8(b"description=%FF%FE"));
        assert!(!super::form_is_utf8(b"ok=1&d=%C3"));
    }
}
