//! Staff sign-in with the municipality's own identity provider: OpenID Connect, authorization
//! code with PKCE (S256), a `state` and a `nonce` per sign-in kept in the store (so the
//! provider may send the browser back to any server behind the address), the ID token's
//! signature checked against the provider's published keys and its issuer, audience, time and
//! nonce checked. The provider's claims say the role and the organisation, as the tenant's
//! administrator mapped them (`/admin/sso`); a subject seen the first time becomes a user (or,
//! with a verified address, the user who has it), and the second factor is then the
//! provider's. Local accounts keep working beside it.

use crate::admin::{Fields, admin_for, field};
use crate::ctx::Ctx;
use crate::respond::{error_page, internal, local_path, render, urlencode};
use crate::{AppState, pages};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use minijinja::context;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;
use store::{SsoLogin, SsoProvider, User};

const TIMEOUT: Duration = Duration::from_secs(10);
/// The cookie that ties a sign-in to the browser that started it: a callback is taken only
/// with the state this browser was given (no one can sign a victim in as themselves by
/// sending them their own callback's address).
const STATE_COOKIE: &str = "lb_sso_state";
/// A provider's answers (its configuration, keys and tokens) are small.
const MAX_ANSWER: u64 = 1 << 20;

/// Why a sign-in through the provider failed. Shown to no one but the log: the user sees
/// that it failed and may try again.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("fetching {url}: {reason}")]
    Fetch { url: String, reason: String },
    #[error("the answer of {url} is not what OpenID Connect says: {reason}")]
    Answer { url: String, reason: String },
    #[error("the provider says its issuer is {found:?}, configured is {expected:?}")]
    Issuer { expected: String, found: String },
    #[error("the ID token: {0}")]
    Token(String),
}

/// What the provider's `/.well-known/openid-configuration` says that we use.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(false)
        .user_agent(concat!("Lagesbild/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

fn answer<T: serde::de::DeserializeOwned>(
    url: &str,
    r: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<T, SsoError> {
    let mut r = r.map_err(|e| SsoError::Fetch {
        url: url.to_string(),
        reason: e.to_string(),
    })?;
    let status = r.status();
    let body = r
        .body_mut()
        .with_config()
        .limit(MAX_ANSWER)
        .read_to_string()
        .map_err(|e| SsoError::Fetch {
            url: url.to_string(),
            reason: e.to_string(),
        })?;
    if !status.is_success() {
        return Err(SsoError::Fetch {
            url: url.to_string(),
            reason: format!("{status}: {}", body.chars().take(300).collect::<String>()),
        });
    }
    serde_json::from_str(&body).map_err(|e| SsoError::Answer {
        url: url.to_string(),
        reason: e.to_string(),
    })
}

/// The provider's configuration, whose issuer must be the one configured.
pub fn discover(issuer: &str) -> Result<Discovery, SsoError> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let d: Discovery = answer(&url, agent().get(&url).call())?;
    if d.issuer.trim_end_matches('/') != issuer.trim_end_matches('/') {
        return Err(SsoError::Issuer {
            expected: issuer.to_string(),
            found: d.issuer,
        });
    }
    Ok(d)
}

#[derive(Deserialize)]
struct TokenAnswer {
    id_token: String,
    #[serde(default)]
    access_token: Option<String>,
}

/// The code exchanged for tokens (the client authenticated with its secret, HTTP Basic), and
/// the ID token checked: its claims.
pub fn exchange_and_verify(
    d: &Discovery,
    p: &SsoProvider,
    secret: &str,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
    nonce: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, SsoError> {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        urlencode(&p.client_id),
        urlencode(secret)
    ));
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier),
    ];
    let tokens: TokenAnswer = answer(
        &d.token_endpoint,
        agent()
            .post(&d.token_endpoint)
            .header("Authorization", &format!("Basic {basic}"))
            .header("Accept", "application/json")
            .send_form(form),
    )?;
    let keys: jsonwebtoken::jwk::JwkSet = answer(&d.jwks_uri, agent().get(&d.jwks_uri).call())?;
    let mut claims = verify(&tokens.id_token, &keys, &p.issuer, &p.client_id, nonce)?;
    // Many providers put only the subject in the ID token and the rest in the user info;
    // that answer counts only for the same subject, and never overrides the ID token.
    if let (Some(url), Some(access)) = (&d.userinfo_endpoint, &tokens.access_token) {
        let info: serde_json::Map<String, serde_json::Value> = answer(
            url,
            agent()
                .get(url)
                .header("Authorization", &format!("Bearer {access}"))
                .header("Accept", "application/json")
                .call(),
        )?;
        if info.get("sub") != claims.get("sub") {
            return Err(SsoError::Token(
                "the user info is another subject's than the ID token's".into(),
            ));
        }
        for (k, v) in info {
            claims.entry(k).or_insert(v);
        }
    }
    Ok(claims)
}

/// An ID token's claims once its signature (by the key its header names, with an asymmetric
/// algorithm only), issuer, audience, expiry and nonce hold.
pub fn verify(
    token: &str,
    keys: &jsonwebtoken::jwk::JwkSet,
    issuer: &str,
    client_id: &str,
    nonce: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, SsoError> {
    use jsonwebtoken::Algorithm::*;
    let bad = |e: &dyn std::fmt::Display| SsoError::Token(e.to_string());
    let head = jsonwebtoken::decode_header(token).map_err(|e| bad(&e))?;
    if !matches!(
        head.alg,
        RS256 | RS384 | RS512 | PS256 | PS384 | PS512 | ES256 | ES384 | EdDSA
    ) {
        return Err(bad(&format!("algorithm {:?} is not accepted", head.alg)));
    }
    let jwk = match &head.kid {
        Some(kid) => keys.find(kid),
        None if keys.keys.len() == 1 => keys.keys.first(),
        None => None,
    }
    .ok_or_else(|| bad(&format!("no published key {:?}", head.kid)))?;
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).map_err(|e| bad(&e))?;
    let mut v = jsonwebtoken::Validation::new(head.alg);
    v.set_audience(&[client_id]);
    let issuers = [issuer.to_string(), issuer.trim_end_matches('/').to_string()];
    v.set_issuer(&issuers);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    v.leeway = 60;
    let data = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(token, &key, &v)
        .map_err(|e| bad(&e))?;
    let claims = data.claims;
    if claims.get("nonce").and_then(|n| n.as_str()) != Some(nonce) {
        return Err(bad(&"the nonce is not the one this sign-in sent"));
    }
    Ok(claims)
}

/// The values of a claim: a string, or an array of strings.
fn values(claims: &serde_json::Map<String, serde_json::Value>, name: &str) -> Vec<String> {
    match claims.get(name) {
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => vec![],
    }
}

/// Our address as the browser reached it: where the provider sends the browser back.
fn callback_uri(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if state.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}/login/sso/callback")
}

fn random() -> String {
    let mut b = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut b);
    URL_SAFE_NO_PAD.encode(b)
}

fn failed(state: &AppState, ctx: &Ctx, status: StatusCode, why: &str) -> Response {
    tracing::warn!("single sign-on: {why}");
    render(
        state,
        ctx,
        "error.html",
        "",
        context! { title_key => "sso-failed", text_key => "sso-failed-text" },
        status,
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StartParams {
    next: String,
}

/// `GET /login/sso/{code}`: to the tenant's provider, with a new state, nonce and PKCE
/// challenge kept for the callback.
pub async fn start(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Path(code): Path<String>,
    Query(q): Query<StartParams>,
) -> Response {
    let tenant = match state.store.tenant_by_code(&code).await {
        Ok(Some(t)) => t,
        Ok(None) => return error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => return internal(&state, &ctx, "tenant", e),
    };
    let provider = match state.store.sso_provider(tenant.id).await {
        Ok(Some(p)) if p.enabled => p,
        Ok(_) => return error_page(&state, &ctx, StatusCode::NOT_FOUND),
        Err(e) => return internal(&state, &ctx, "sso provider", e),
    };
    let issuer = provider.issuer.clone();
    let d = match tokio::task::spawn_blocking(move || discover(&issuer)).await {
        Ok(Ok(d)) => d,
        Ok(Err(e)) => return failed(&state, &ctx, StatusCode::BAD_GATEWAY, &e.to_string()),
        Err(e) => return internal(&state, &ctx, "sso discovery", e),
    };
    let (st, nonce, verifier) = (random(), random(), random());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let login = SsoLogin {
        state_hash: service::auth::hash_secret(&st),
        tenant_id: tenant.id,
        nonce: nonce.clone(),
        verifier: state.config.sealer.seal(&verifier),
        return_to: local_path(&q.next).unwrap_or("/").to_string(),
        created_at: state.now(),
    };
    if let Err(e) = state.store.sso_login_begin(&login).await {
        return internal(&state, &ctx, "sso sign-in", e);
    }
    let redirect_uri = callback_uri(&state, &ctx.headers);
    let query = [
        ("response_type", "code"),
        ("client_id", provider.client_id.as_str()),
        ("redirect_uri", redirect_uri.as_str()),
        ("scope", scope(&provider).as_str()),
        ("state", st.as_str()),
        ("nonce", nonce.as_str()),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ]
    .iter()
    .map(|(k, v)| format!("{k}={}", urlencode(v)))
    .collect::<Vec<_>>()
    .join("&");
    let sep = if d.authorization_endpoint.contains('?') {
        '&'
    } else {
        '?'
    };
    let mut res =
        Redirect::to(&format!("{}{sep}{query}", d.authorization_endpoint)).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        crate::ctx::set_cookie(
            STATE_COOKIE,
            &st,
            store::SSO_LOGIN_TTL.as_secs(),
            state.config.secure_cookies,
        ),
    );
    res
}

/// The scopes asked for: the standard ones, and the claims' names (a provider that releases
/// a claim only under a scope of that name then gives it).
fn scope(p: &SsoProvider) -> String {
    let mut s = vec!["openid", "email", "profile"];
    for c in [p.role_claim.as_str(), p.org_claim.as_str()] {
        if !c.is_empty() && !s.contains(&c) {
            s.push(c);
        }
    }
    s.join(" ")
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Callback {
    code: String,
    state: String,
    error: String,
}

/// `GET /login/sso/callback`: the provider's answer. The sign-in is taken by its state
/// (once), the code exchanged, the ID token checked, the user found or made with the role
/// and organisation the claims give, and a session started.
pub async fn callback(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Query(q): Query<Callback>,
) -> Response {
    let now = state.now();
    if crate::ctx::cookie(&ctx.headers, STATE_COOKIE) != Some(q.state.as_str())
        || q.state.is_empty()
    {
        return failed(
            &state,
            &ctx,
            StatusCode::BAD_REQUEST,
            "a callback whose state this browser was not given",
        );
    }
    let login = match state
        .store
        .sso_login_take(&service::auth::hash_secret(&q.state), now)
        .await
    {
        Ok(Some(l)) => l,
        Ok(None) => {
            return failed(
                &state,
                &ctx,
                StatusCode::BAD_REQUEST,
                "unknown or old state",
            );
        }
        Err(e) => return internal(&state, &ctx, "sso sign-in", e),
    };
    if !q.error.is_empty() || q.code.is_empty() {
        let why = format!("the provider answered {:?}", q.error);
        return failed(&state, &ctx, StatusCode::FORBIDDEN, &why);
    }
    let provider = match state.store.sso_provider(login.tenant_id).await {
        Ok(Some(p)) if p.enabled => p,
        Ok(_) => return failed(&state, &ctx, StatusCode::FORBIDDEN, "provider turned off"),
        Err(e) => return internal(&state, &ctx, "sso provider", e),
    };
    let (secret, verifier) = match (
        state.config.sealer.open(&provider.client_secret),
        state.config.sealer.open(&login.verifier),
    ) {
        (Ok(s), Ok(v)) => (s, v),
        (Err(e), _) | (_, Err(e)) => return internal(&state, &ctx, "sso secret", e),
    };
    let redirect_uri = callback_uri(&state, &ctx.headers);
    let claims = {
        let (p, code, nonce) = (provider.clone(), q.code.clone(), login.nonce.clone());
        tokio::task::spawn_blocking(move || {
            let d = discover(&p.issuer)?;
            exchange_and_verify(&d, &p, &secret, &code, &redirect_uri, &verifier, &nonce)
        })
        .await
    };
    let claims = match claims {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => return failed(&state, &ctx, StatusCode::FORBIDDEN, &e.to_string()),
        Err(e) => return internal(&state, &ctx, "sso exchange", e),
    };
    let user = match provision(&state, &provider, &claims).await {
        Ok(Ok(u)) => u,
        Ok(Err(why)) => return failed(&state, &ctx, StatusCode::FORBIDDEN, &why),
        Err(e) => return internal(&state, &ctx, "sso user", e),
    };
    // The provider did the sign-in, with its own second factor.
    let mut res = pages::start_session(
        &state,
        &ctx,
        &user,
        store::SessionStage::Full,
        &login.return_to,
    )
    .await;
    res.headers_mut().append(
        header::SET_COOKIE,
        crate::ctx::set_cookie(STATE_COOKIE, "", 0, state.config.secure_cookies),
    );
    res
}

/// The user the claims are: the role and organisation from the mapping (none: not let in),
/// the subject linked to a user the first time — the one with the provider's verified
/// address in this tenant, else a new one — and the role and organisation kept up to date.
async fn provision(
    state: &AppState,
    p: &SsoProvider,
    claims: &serde_json::Map<String, serde_json::Value>,
) -> Result<Result<User, String>, store::StoreError> {
    let sub = claims
        .get("sub")
        .and_then(|s| s.as_str())
        .unwrap_or_default();
    if sub.is_empty() {
        return Ok(Err("the ID token names no subject".into()));
    }
    let held = values(claims, &p.role_claim);
    let Some(role) = p
        .roles
        .iter()
        .find(|(v, _)| held.contains(v))
        .map(|(_, r)| *r)
    else {
        return Ok(Err(format!(
            "subject {sub}: no mapped role in {:?} {held:?}",
            p.role_claim
        )));
    };
    let orgs = values(claims, &p.org_claim);
    let Some(org_id) = p
        .orgs
        .iter()
        .find(|(v, _)| orgs.contains(v))
        .map(|(_, o)| *o)
    else {
        return Ok(Err(format!(
            "subject {sub}: no mapped organisation in {:?} {orgs:?}",
            p.org_claim
        )));
    };
    let name = claims
        .get("name")
        .and_then(|n| n.as_str())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or(sub)
        .trim()
        .chars()
        .take(120)
        .collect::<String>();
    let now = state.now();
    let st = &state.store;
    let tenant = p.tenant_id;
    let user = match st.user_by_identity(tenant, &p.issuer, sub).await? {
        Some(u) => u,
        None => {
            let email = claims.get("email").and_then(|e| e.as_str()).unwrap_or("");
            let verified = claims.get("email_verified").and_then(|v| v.as_bool()) == Some(true);
            let Ok(email) = model::Email::parse(email) else {
                return Ok(Err(format!("subject {sub}: no usable e-mail address")));
            };
            let user = match st.user_credentials(&email).await? {
                Some((u, _)) if u.tenant_id == tenant && verified => u,
                Some(_) => {
                    return Ok(Err(format!(
                        "subject {sub}: the address {email} is another account's"
                    )));
                }
                None => {
                    st.create_user(&store::NewUser {
                        tenant_id: tenant,
                        by: None,
                        org_id,
                        email,
                        display_name: name.clone(),
                        role,
                        // No password signs this account in: only the provider does.
                        password_hash: service::auth::dummy_hash().to_string(),
                    })
                    .await?
                }
            };
            st.link_identity(tenant, &p.issuer, sub, user.id, now)
                .await?;
            user
        }
    };
    if user.disabled {
        return Ok(Err(format!("subject {sub}: the account is turned off")));
    }
    if user.role != role || user.org_id != org_id || user.display_name != name {
        let changes = store::UserChanges {
            display_name: name,
            org_id,
            role,
            disabled: false,
        };
        return Ok(Ok(st.update_user(tenant, user.id, &changes, None).await?));
    }
    Ok(Ok(user))
}

/// The providers the sign-in page offers: each tenant's that is turned on.
pub async fn offered(state: &AppState) -> Vec<minijinja::Value> {
    let mut out = Vec::new();
    for t in state.store.tenants().await.unwrap_or_default() {
        if let Ok(Some(p)) = state.store.sso_provider(t.id).await
            && p.enabled
        {
            out.push(context! { code => t.code, name => t.name });
        }
    }
    out
}

fn pairs_text<T: std::fmt::Display>(pairs: &[(String, T)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `GET /admin/sso`: the tenant's provider and its mapping.
pub async fn page(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    match admin_for(&state, &ctx, None) {
        Ok(a) => admin_page(&state, &ctx, &a, None, StatusCode::OK).await,
        Err(r) => r,
    }
}

async fn admin_page(
    state: &AppState,
    ctx: &Ctx,
    a: &User,
    notice: Option<(bool, &str, String)>,
    status: StatusCode,
) -> Response {
    let p = match state.store.sso_provider(a.tenant_id).await {
        Ok(p) => p,
        Err(e) => return internal(state, ctx, "sso provider", e),
    };
    let orgs = match state.store.organisations(a.tenant_id).await {
        Ok(o) => o,
        Err(e) => return internal(state, ctx, "organisations", e),
    };
    let org_name = |id: i64| {
        orgs.iter()
            .find(|o| o.id == id)
            .map(|o| o.name.clone())
            .unwrap_or_default()
    };
    let callback = callback_uri(state, &ctx.headers);
    render(
        state,
        ctx,
        "admin_sso.html",
        "admin",
        context! {
            notice => notice.map(|(ok, key, value)| context! { ok, key, value }),
            callback,
            p => p.map(|p| context! {
                issuer => p.issuer, client_id => p.client_id, role_claim => p.role_claim,
                roles => pairs_text(&p.roles.iter().map(|(k, r)| (k.clone(), r.as_str())).collect::<Vec<_>>()),
                org_claim => p.org_claim,
                orgs => pairs_text(&p.orgs.iter().map(|(k, o)| (k.clone(), org_name(*o))).collect::<Vec<_>>()),
                enabled => p.enabled,
            }),
            roles => model::Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            org_names => orgs.iter().map(|o| o.name.clone()).collect::<Vec<_>>(),
        },
        status,
    )
    .into_response()
}

/// Lines "claim value = target", each target read by `parse`; a bad line is named.
fn mapping<T>(text: &str, parse: impl Fn(&str) -> Option<T>) -> Result<Vec<(String, T)>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some((k, v)) = line.rsplit_once('=') else {
            return Err(format!("{}: {line}", n + 1));
        };
        let (k, v) = (k.trim(), v.trim());
        match parse(v) {
            Some(t) if !k.is_empty() => out.push((k.to_string(), t)),
            _ => return Err(format!("{}: {line}", n + 1)),
        }
    }
    Ok(out)
}

/// `POST /admin/sso`: saves the provider (an empty secret keeps the one stored), after its
/// discovery document has answered with the same issuer.
pub async fn save(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    axum::Form(f): axum::Form<Fields>,
) -> Response {
    let a = match admin_for(&state, &ctx, Some(&f)) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let bad = |key: &'static str, value: String| Some((false, key, value));
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let orgs = match state.store.organisations(a.tenant_id).await {
        Ok(o) => o,
        Err(e) => return internal(&state, &ctx, "organisations", e),
    };
    let roles = match mapping(field(&f, "roles"), |v| model::Role::parse(v).ok()) {
        Ok(r) => r,
        Err(line) => {
            return admin_page(&state, &ctx, &a, bad("sso-bad-line", line), unprocessable).await;
        }
    };
    let org_map = match mapping(field(&f, "orgs"), |v| {
        orgs.iter().find(|o| o.name == v).map(|o| o.id)
    }) {
        Ok(o) => o,
        Err(line) => {
            return admin_page(&state, &ctx, &a, bad("sso-bad-line", line), unprocessable).await;
        }
    };
    let issuer = field(&f, "issuer").trim().to_string();
    let client_id = field(&f, "client_id").trim().to_string();
    let url_ok = issuer.starts_with("https://")
        || issuer.starts_with("http://127.0.0.1")
        || issuer.starts_with("http://localhost");
    if !url_ok || client_id.is_empty() {
        return admin_page(
            &state,
            &ctx,
            &a,
            bad("sso-bad-issuer", issuer),
            unprocessable,
        )
        .await;
    }
    let stored = match state.store.sso_provider(a.tenant_id).await {
        Ok(p) => p,
        Err(e) => return internal(&state, &ctx, "sso provider", e),
    };
    let secret = match (field(&f, "client_secret").trim(), &stored) {
        ("", Some(p)) => p.client_secret.clone(),
        ("", None) => {
            return admin_page(
                &state,
                &ctx,
                &a,
                bad("sso-secret-needed", String::new()),
                unprocessable,
            )
            .await;
        }
        (s, _) => state.config.sealer.seal(s),
    };
    let check = issuer.clone();
    match tokio::task::spawn_blocking(move || discover(&check)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            return admin_page(
                &state,
                &ctx,
                &a,
                bad("sso-unreachable", e.to_string()),
                unprocessable,
            )
            .await;
        }
        Err(e) => return internal(&state, &ctx, "sso discovery", e),
    }
    let p = SsoProvider {
        tenant_id: a.tenant_id,
        issuer,
        client_id,
        client_secret: secret,
        role_claim: field(&f, "role_claim").trim().to_string(),
        roles,
        org_claim: field(&f, "org_claim").trim().to_string(),
        orgs: org_map,
        enabled: field(&f, "enabled") == "on",
        updated_at: state.now(),
    };
    match state.store.set_sso_provider(&p, Some(a.id)).await {
        Ok(()) => {
            let saved = Some((true, "sso-saved", String::new()));
            admin_page(&state, &ctx, &a, saved, StatusCode::OK).await
        }
        Err(e) => internal(&state, &ctx, "sso provider", e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
    use ring::signature::{Ed25519KeyPair, KeyPair};

    const ISSUER: &str = "https://login.kungsor.example";
    const CLIENT: &str = "lagesbild";

    struct Key {
        der: Vec<u8>,
        jwks: jsonwebtoken::jwk::JwkSet,
    }

    fn key(kid: &str) -> Key {
        let rng = ring::rand::SystemRandom::new();
        let der = Ed25519KeyPair::generate_pkcs8(&rng)
            .unwrap()
            .as_ref()
            .to_vec();
        let public = Ed25519KeyPair::from_pkcs8(&der)
            .unwrap()
            .public_key()
            .as_ref()
            .to_vec();
        let jwks = serde_json::from_value(serde_json::json!({ "keys": [{
            "kty": "OKP", "crv": "Ed25519", "kid": kid, "alg": "EdDSA", "use": "sig",
            "x": URL_SAFE_NO_PAD.encode(public),
        }]}))
        .unwrap();
        Key { der, jwks }
    }

    fn token(k: &Key, kid: &str, claims: serde_json::Value) -> String {
        let mut h = Header::new(Algorithm::EdDSA);
        h.kid = Some(kid.into());
        encode(&h, &claims, &EncodingKey::from_ed_der(&k.der)).unwrap()
    }

    fn claims(patch: serde_json::Value) -> serde_json::Value {
        let now = jiff::Timestamp::now().as_second();
        let mut c = serde_json::json!({
            "iss": ISSUER, "aud": CLIENT, "sub": "s-1", "nonce": "n-1",
            "iat": now, "exp": now + 300, "groups": ["Trygghet-Samordnare"],
        });
        for (k, v) in patch.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    }

    #[test]
    fn a_good_id_token_gives_its_claims() {
        let k = key("k1");
        let t = token(&k, "k1", claims(serde_json::json!({})));
        let c = verify(&t, &k.jwks, ISSUER, CLIENT, "n-1").unwrap();
        assert_eq!(c["sub"], "s-1");
        assert_eq!(
            values(&c, "groups"),
            vec!["Trygghet-Samordnare".to_string()]
        );
        // An audience list that holds us is ours too.
        let t = token(
            &k,
            "k1",
            claims(serde_json::json!({ "aud": ["other", CLIENT] })),
        );
        assert!(verify(&t, &k.jwks, ISSUER, CLIENT, "n-1").is_ok());
    }

    #[test]
    fn a_token_that_is_not_for_this_sign_in_is_refused() {
        let k = key("k1");
        let now = jiff::Timestamp::now().as_second();
        for (what, patch) in [
            ("another nonce", serde_json::json!({ "nonce": "n-2" })),
            ("no nonce", serde_json::json!({ "nonce": null })),
            (
                "another audience",
                serde_json::json!({ "aud": "someone-else" }),
            ),
            (
                "another issuer",
                serde_json::json!({ "iss": "https://evil.example" }),
            ),
            ("expired", serde_json::json!({ "exp": now - 3_600 })),
        ] {
            let t = token(&k, "k1", claims(patch));
            assert!(
                verify(&t, &k.jwks, ISSUER, CLIENT, "n-1").is_err(),
                "{what} was taken"
            );
        }
    }

    #[test]
    fn a_token_not_signed_by_the_providers_key_is_refused() {
        let (k, other) = (key("k1"), key("k1"));
        // Signed by another key under the provider's key id.
        let t = token(&other, "k1", claims(serde_json::json!({})));
        assert!(verify(&t, &k.jwks, ISSUER, CLIENT, "n-1").is_err());
        // A key id the provider has not published.
        let t = token(&k, "k9", claims(serde_json::json!({})));
        assert!(verify(&t, &k.jwks, ISSUER, CLIENT, "n-1").is_err());
        // A shared-secret signature (anyone with the client secret could make one).
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some("k1".into());
        let t = encode(
            &h,
            &claims(serde_json::json!({})),
            &EncodingKey::from_secret(b"client-secret"),
        )
        .unwrap();
        let e = verify(&t, &k.jwks, ISSUER, CLIENT, "n-1").unwrap_err();
        assert!(e.to_string().contains("HS256"), "{e}");
        // And a token whose signature was cut off.
        let good = token(&k, "k1", claims(serde_json::json!({})));
        let cut = &good[..good.rfind('.').unwrap() + 1];
        assert!(verify(cut, &k.jwks, ISSUER, CLIENT, "n-1").is_err());
    }

    #[test]
    fn mapping_lines_are_read_or_named() {
        let roles = mapping("Trygghet-Samordnare = admin\n\n Rektor=reporter ", |v| {
            model::Role::parse(v).ok()
        })
        .unwrap();
        assert_eq!(
            roles,
            vec![
                ("Trygghet-Samordnare".to_string(), model::Role::Admin),
                ("Rektor".to_string(), model::Role::Reporter)
            ]
        );
        assert_eq!(
            mapping("A = admin\nB = kung", |v| model::Role::parse(v).ok()).unwrap_err(),
            "2: B = kung"
        );
        assert!(mapping("utan likhetstecken", |v| Some(v.to_string())).is_err());
        assert!(mapping(" = admin", |v| model::Role::parse(v).ok()).is_err());
    }
}
