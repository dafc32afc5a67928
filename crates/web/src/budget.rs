//! The budget of expensive requests (analyses, the lägesbild and its PDFs): at most
//! `WebConfig::heavy_slots` at once, each waiting at most `heavy_wait` for a slot and running at
//! most `heavy_timeout`. Past that the answer is 503 with `Retry-After`, so one user's large
//! request cannot take every core from the others. The analysis crate bounds the work of
//! each request itself (`analysis::MAX_WORK`); this bounds how many run.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

pub struct Budget {
    slots: Arc<Semaphore>,
    wait: Duration,
    limit: Duration,
}

/// Why an expensive request was not answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Every slot was taken for longer than the wait.
    Busy,
    /// It ran past its time.
    TooLong,
}

impl Refused {
    /// Seconds a client should wait before trying again.
    pub const RETRY_AFTER: &'static str = "30";
}

impl Budget {
    pub fn new(slots: usize, wait: Duration, limit: Duration) -> Budget {
        Budget {
            slots: Arc::new(Semaphore::new(slots)),
            wait,
            limit,
        }
    }

    /// Runs `work` within the budget.
    pub async fn run<T>(&self, work: impl Future<Output = T>) -> Result<T, Refused> {
        let _slot = tokio::time::timeout(self.wait, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| Refused::Busy)?
            .map_err(|_| Refused::Busy)?;
        tokio::time::timeout(self.limit, work)
            .await
            .map_err(|_| Refused::TooLong)
    }
}

/// The routes that run within the budget (their analyses or documents are the expensive
/// work of the application). The HTTP tests walk this list.
pub const HEAVY: &[&str] = &[
    "/analysis",
    "/lagesbild",
    "/lagesbild.pdf",
    "/cases/{id}",
    "/schools/{id}",
    "/meetings/{id}/minutes.pdf",
    "/meetings/{id}/pack.pdf",
    "/promises/follow-up.pdf",
    "/api/v1/hotspots.geojson",
    "/api/v1/density.geojson",
    "/api/v1/analysis",
];

/// Middleware after routing: a `HEAVY` route runs within the budget; refused, it answers 503
/// with `Retry-After` (JSON under /api, the error page otherwise).
pub async fn guard(
    axum::extract::State(state): axum::extract::State<Arc<crate::AppState>>,
    path: Option<axum::extract::MatchedPath>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::extract::FromRequestParts;
    use axum::response::IntoResponse;
    let heavy = path.as_ref().is_some_and(|p| HEAVY.contains(&p.as_str()));
    if !heavy || req.method() != axum::http::Method::GET {
        return next.run(req).await;
    }
    let api = req.uri().path().starts_with("/api/");
    // What the error page needs of the request (its language and session), kept cheaply: the
    // handler reads the session itself, so it is read again only for a refused page.
    let (uri, headers) = (req.uri().clone(), req.headers().clone());
    match state.heavy.run(next.run(req)).await {
        Ok(r) => r,
        Err(why) => {
            tracing::warn!("{uri} refused: {why:?}");
            let status = axum::http::StatusCode::SERVICE_UNAVAILABLE;
            let mut r = if api {
                (
                    status,
                    axum::Json(crate::openapi::ApiError {
                        error: match why {
                            Refused::Busy => "busy: too many analyses at once, try again shortly",
                            Refused::TooLong => {
                                "the analysis took too long: narrow the period or area"
                            }
                        }
                        .into(),
                    }),
                )
                    .into_response()
            } else {
                let mut head = axum::http::Request::new(());
                *head.uri_mut() = uri;
                *head.headers_mut() = headers;
                let (mut parts, ()) = head.into_parts();
                match crate::ctx::Ctx::from_request_parts(&mut parts, &state).await {
                    Ok(ctx) => crate::respond::busy_page(&state, &ctx),
                    Err(r) => r,
                }
            };
            r.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static(Refused::RETRY_AFTER),
            );
            r
        }
    }
}

/// Middleware around everything: at most `WebConfig::max_in_flight` requests at once. One
/// more is answered 503 with `Retry-After: 1` at once, in the caller's language, without a
/// look at the store: shedding costs nothing, and nothing waits in a queue that could grow.
pub async fn shed(
    axum::extract::State(state): axum::extract::State<Arc<crate::AppState>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let Ok(_permit) = state.in_flight.clone().try_acquire_owned() else {
        let lang = req
            .headers()
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(crate::i18n::Lang::parse)
            .unwrap_or_default();
        tracing::warn!(
            "{} shed: {} requests in flight",
            req.uri(),
            state.config.max_in_flight
        );
        let text = state.i18n.t(lang, "error-overloaded", &[]);
        let mut r = if req.uri().path().starts_with("/api/") {
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(crate::openapi::ApiError { error: text }),
            )
                .into_response()
        } else {
            (axum::http::StatusCode::SERVICE_UNAVAILABLE, text).into_response()
        };
        r.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("1"),
        );
        return r;
    };
    next.run(req).await
}
