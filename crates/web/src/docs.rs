//! What the EST pages share: a PDF from the `report` crate as a download, the document
//! language of the reader's language, and the page that names what a form got wrong.

use crate::AppState;
use crate::ctx::Ctx;
use crate::i18n::Lang;
use crate::respond::{internal, render};
use crate::views;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use model::FieldError;
use service::lagesbild::Language;

pub fn language(lang: Lang) -> Language {
    match lang {
        Lang::Sv => Language::Sv,
        Lang::En => Language::En,
    }
}

/// 422: nothing was saved, and each problem named.
pub fn invalid(state: &AppState, ctx: &Ctx, section: &str, errors: &[FieldError]) -> Response {
    let (_, list) = views::field_messages(&state.i18n, ctx.lang, errors);
    render(
        state,
        ctx,
        "error.html",
        section,
        context! { title_key => "form-invalid", text_key => "form-invalid-text", errors => list },
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

/// Typesets `data` with the template of `kind` (off the async threads) and sends it as an
/// attachment named `filename`.
pub async fn pdf<T: serde::Serialize + Send + 'static>(
    state: &AppState,
    ctx: &Ctx,
    kind: report::Kind,
    data: T,
    filename: String,
) -> Response {
    match tokio::task::spawn_blocking(move || report::pdf(kind, &data)).await {
        Ok(Ok(bytes)) => (
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{filename}\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Ok(Err(e)) => internal(state, ctx, "pdf", e),
        Err(e) => internal(state, ctx, "pdf", e),
    }
}
