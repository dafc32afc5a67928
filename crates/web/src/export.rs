//! `GET /incidents/export?format=csv|excel-csv|xlsx|geojson&…`: the incident list with the
//! list's own filters, as a download. Rows are read through the store's visibility rules
//! exactly as the list reads them, a page at a time by keyset (newest first), and written to
//! the response as they come: a million rows are never in memory together. The workbook is
//! written to a temporary file first (a zip file's directory comes last) and then streamed.
//! Every export is in the audit log with its filters and format.

use crate::AppState;
use crate::ctx::Ctx;
use crate::filters::{ListParams, parse_filter};
use crate::i18n::Lang;
use crate::respond::{error_page, internal, login_redirect};
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use service::audience::Language;
use service::export::{COLUMNS, Csv, GeoJson, Kind, Line, Words, Xlsx};
use std::sync::Arc;
use store::{Actor, Category, Cursor, IncidentFilter, IncidentQuery, Sort, Store};
use tokio::sync::mpsc;

/// Rows read from the store per page.
const PAGE: u32 = 2_000;

type Chunk = Result<Bytes, std::io::Error>;

/// The reader's rows a page at a time, newest first by keyset, as export lines: the one
/// reading loop of every format.
struct Pages {
    store: Arc<dyn Store>,
    actor: Actor,
    filter: IncidentFilter,
    cats: Vec<Category>,
    lang: Language,
    words: Words,
    after: Option<Cursor>,
    done: bool,
}

impl Pages {
    /// The next page's lines; none after the last.
    async fn next(&mut self) -> store::Result<Option<Vec<Line>>> {
        if self.done {
            return Ok(None);
        }
        let rows = self
            .store
            .list_incidents(
                &self.actor,
                &IncidentQuery {
                    filter: self.filter.clone(),
                    sort: Sort::OccurredDesc,
                    limit: PAGE,
                    offset: 0,
                    after: self.after,
                },
            )
            .await?;
        self.done = rows.len() < PAGE as usize;
        self.after = rows.last().map(|i| Cursor {
            occurred_from: i.occurred_from,
            id: i.id,
        });
        if rows.is_empty() {
            return Ok(None);
        }
        Ok(Some(
            rows.iter()
                .map(|i| Line::of(i, &self.cats, self.lang, &self.words))
                .collect(),
        ))
    }
}

fn io(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// CSV and GeoJSON: each page formatted and sent as it is read.
async fn stream_text(mut pages: Pages, kind: Kind, tx: mpsc::Sender<Chunk>) {
    let csv = Csv::new(kind == Kind::ExcelCsv);
    let mut geojson = GeoJson::new();
    let start = match kind {
        Kind::GeoJson => geojson.start(),
        _ => csv.start(&pages.words),
    };
    if tx.send(Ok(start.into())).await.is_err() {
        return;
    }
    loop {
        let lines = match pages.next().await {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(e) => {
                tracing::error!("export: reading incidents: {e}");
                let _ = tx.send(Err(io(e))).await;
                return;
            }
        };
        let bytes = match kind {
            Kind::GeoJson => geojson.rows(&lines),
            _ => csv.rows(&lines),
        };
        // The client went away: stop reading.
        if tx.send(Ok(bytes.into())).await.is_err() {
            return;
        }
    }
    if kind == Kind::GeoJson {
        let _ = tx.send(Ok(geojson.end().into())).await;
    }
}

/// The workbook: pages written to it on a blocking thread (its temporary files are ordinary
/// file IO), saved, then the file sent in 64 kB pieces.
fn stream_xlsx(mut pages: Pages, tx: mpsc::Sender<Chunk>) {
    let rt = tokio::runtime::Handle::current();
    let mut run = || -> Result<std::fs::File, std::io::Error> {
        let mut book = Xlsx::new(&pages.words).map_err(io)?;
        while let Some(lines) = rt.block_on(pages.next()).map_err(io)? {
            book.rows(&lines).map_err(io)?;
            if tx.is_closed() {
                break;
            }
        }
        let file = tempfile::NamedTempFile::new()?;
        book.save(file.path()).map_err(io)?;
        // Open before the name is removed; the data stays until the handle is dropped.
        let f = std::fs::File::open(file.path())?;
        Ok(f)
    };
    match run() {
        Err(e) => {
            tracing::error!("export: writing the workbook: {e}");
            let _ = tx.blocking_send(Err(e));
        }
        Ok(mut f) => {
            use std::io::Read;
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match f.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if tx
                            .blocking_send(Ok(Bytes::copy_from_slice(&buf[..n])))
                            .is_err()
                        {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        return;
                    }
                }
            }
        }
    }
}

/// The export's format, as documented (the handler reads it with the list's filters).
#[allow(dead_code)]
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportFormat {
    /// `csv` (default), `excel-csv`, `xlsx` or `geojson`.
    format: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ExportParams {
    format: String,
    #[serde(flatten)]
    list: ListParams,
}

pub async fn incidents(
    State(state): State<Arc<AppState>>,
    ctx: Ctx,
    Query(q): Query<ExportParams>,
) -> Response {
    let Some(user) = ctx.user.as_ref() else {
        return login_redirect(&ctx);
    };
    if let Some(r) =
        crate::respond::not_for_role(&state, &ctx, user, crate::access::Page::Incidents)
    {
        return r;
    }
    match download(&state, user, ctx.lang, &q).await {
        Ok(r) => r,
        Err(Refused::Format) => error_page(&state, &ctx, StatusCode::BAD_REQUEST),
        Err(Refused::Filter(_)) => error_page(&state, &ctx, StatusCode::UNPROCESSABLE_ENTITY),
        Err(Refused::Store(e)) => internal(&state, &ctx, "export", e),
    }
}

/// `GET /api/v1/incidents/export?format=…`: the same for a partner system with an API token
/// (a reader's token gets nothing, as the reader's list is empty).
#[utoipa::path(get, path = "/api/v1/incidents/export", tag = "incidents", params(ExportFormat, crate::filters::ListParams), responses((status = 200, description = "The file", content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("application/geo+json"))), (status = 400, description = "A query that cannot be read at all"), (status = 401, description = "No valid API token", body = crate::openapi::ApiError), (status = 422, description = "Fields refused, each named", body = Vec<crate::openapi::FieldProblem>)))]
pub async fn api(
    State(state): State<Arc<AppState>>,
    api: crate::api::ApiUser,
    Query(q): Query<ExportParams>,
) -> Response {
    match download(&state, &api.user, api.lang, &q).await {
        Ok(r) => r,
        Err(Refused::Format) => crate::api::unprocessable(
            &state,
            api.lang,
            &[model::FieldError::new(
                "format",
                "error-invalid-choice",
                q.format.clone(),
            )],
        ),
        Err(Refused::Filter(errors)) => crate::api::unprocessable(&state, api.lang, &errors),
        Err(Refused::Store(e)) => crate::api::internal(e),
    }
}

enum Refused {
    Format,
    Filter(Vec<model::FieldError>),
    Store(store::StoreError),
}

async fn download(
    state: &AppState,
    user: &store::User,
    lang: Lang,
    q: &ExportParams,
) -> Result<Response, Refused> {
    let kind = Kind::parse(&q.format).ok_or(Refused::Format)?;
    let tz = service::stockholm();
    let (filter, _) = parse_filter(&q.list, &tz).map_err(Refused::Filter)?;
    let cats = state
        .store
        .categories(user.tenant_id)
        .await
        .map_err(Refused::Store)?;
    let words = {
        let i18n = state.i18n.clone();
        Words {
            headers: COLUMNS
                .iter()
                .map(|c| state.i18n.t(lang, &format!("export-col-{c}"), &[]))
                .collect(),
            placeholder: Box::new(move |k| i18n.t(lang, &format!("redacted-{}", k.as_str()), &[])),
            sheet: state.i18n.t(lang, "export-sheet", &[]),
        }
    };
    let lang = match lang {
        Lang::Sv => Language::Sv,
        Lang::En => Language::En,
    };
    let entry = store::NewAudit {
        at: jiff::Timestamp::now(),
        user_id: Some(user.id),
        action: "incident.export".into(),
        entity: "incident".into(),
        entity_id: String::new(),
        before: None,
        after: Some(
            serde_json::json!({
                "format": kind.extension(),
                "excel": kind == Kind::ExcelCsv,
                "filters": crate::pages::filter_query(&q.list),
            })
            .to_string(),
        ),
    };
    state
        .store
        .append_audit(user.tenant_id, &entry)
        .await
        .map_err(Refused::Store)?;
    let (tx, rx) = mpsc::channel::<Chunk>(4);
    let pages = Pages {
        store: state.store.clone(),
        actor: user.actor(),
        filter,
        cats,
        lang,
        words,
        after: None,
        done: false,
    };
    match kind {
        Kind::Xlsx => {
            tokio::task::spawn_blocking(move || stream_xlsx(pages, tx));
        }
        _ => {
            tokio::spawn(stream_text(pages, kind, tx));
        }
    }
    let name = format!(
        "{}-{}.{}",
        match lang {
            Language::Sv => "handelser",
            Language::En => "incidents",
        },
        jiff::Timestamp::now().to_zoned(tz).date(),
        kind.extension()
    );
    let body = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
    Ok((
        [
            (header::CONTENT_TYPE, kind.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response())
}
