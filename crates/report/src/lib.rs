//! Lägesbild documents as PDF. The caller gives a document kind and its data (serialisable,
//! figures already computed and texts already chosen); a Typst template of this crate lays it
//! out — A4, the maps and charts drawn as vector graphics, page numbers, the period and the
//! visibility level on every page — and Typst, used as a library, writes the PDF.

#![forbid(unsafe_code)]

mod world;

use serde::Serialize;
use typst::World;
use typst_layout::PagedDocument;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("the document's data could not be written as JSON: {0}")]
    Data(#[from] serde_json::Error),
    #[error("typesetting {kind} failed: {message}")]
    Typeset { kind: &'static str, message: String },
    #[error("writing the PDF of {kind} failed: {message}")]
    Pdf { kind: &'static str, message: String },
}

/// The documents this crate lays out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The lägesbild of a period: figures, map, patterns, actions, promises.
    Lagesbild,
    /// The minutes of a meeting: agenda with notes, decisions and their actions, focus areas.
    Minutes,
    /// The yearly follow-up of the medborgarlöften.
    Promises,
    /// The yearly strategic meeting's pack: the year's lägesbild, the promises' follow-up, the
    /// actions and their effects.
    Pack,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Lagesbild => "lägesbild",
            Kind::Minutes => "minutes",
            Kind::Promises => "promises",
            Kind::Pack => "strategic pack",
        }
    }
    fn template(self) -> &'static str {
        match self {
            Kind::Lagesbild => include_str!("../templates/lagesbild.typ"),
            Kind::Minutes => include_str!("../templates/minutes.typ"),
            Kind::Promises => include_str!("../templates/promises.typ"),
            Kind::Pack => include_str!("../templates/pack.typ"),
        }
    }
}

/// The diagnostics, each with its template file and line (a template bug must say where).
fn messages(world: &world::DocWorld, diags: &[typst::diag::SourceDiagnostic]) -> String {
    use typst::WorldExt;
    diags
        .iter()
        .map(|d| {
            let place = d.span.id().and_then(|id| {
                let source = world.source(id).ok()?;
                let range = world.range(d.span)?;
                let line = source.lines().byte_to_line(range.start)? + 1;
                Some(format!("{}:{line}: ", id.get().vpath().get_without_slash()))
            });
            format!("{}{}", place.unwrap_or_default(), d.message)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Lays out `data` with the template of `kind` and returns the PDF's bytes.
pub fn pdf<T: Serialize>(kind: Kind, data: &T) -> Result<Vec<u8>, ReportError> {
    let json = serde_json::to_vec(data)?;
    let world = world::DocWorld::new(kind.template(), json);
    let doc: PagedDocument = typst::compile(&world)
        .output
        .map_err(|e| ReportError::Typeset {
            kind: kind.name(),
            message: messages(&world, &e),
        })?;
    let pdf =
        typst_pdf::pdf(&doc, &typst_pdf::PdfOptions::default()).map_err(|e| ReportError::Pdf {
            kind: kind.name(),
            message: messages(&world, &e),
        });
    // Typst memoises across compilations; in a long-running server that memory would only
    // grow. Keep what the last few documents used (the fonts and the templates' shared parts).
    typst::comemo::evict(3);
    pdf
}

/// Forgets everything Typst memoised, so the next document is typeset from scratch (the
/// benchmark measures that, the worst case).
pub fn forget() {
    typst::comemo::evict(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys of one language's block in the texts table of common.typ.
    fn keys(lang: &str) -> Vec<String> {
        let common = include_str!("../templates/common.typ");
        let start = common
            .find(&format!("  {lang}: (\n"))
            .expect("language block");
        let block = &common[start..];
        let end = block.find("\n  ),").expect("end of block");
        let mut keys: Vec<String> = block[..end]
            .lines()
            .skip(1)
            .filter_map(|l| {
                l.strip_prefix("    ")?
                    .split_once(':')
                    .map(|(k, _)| k.to_string())
            })
            .collect();
        keys.sort();
        keys
    }

    #[test]
    fn both_languages_have_the_same_texts() {
        let (sv, en) = (keys("sv"), keys("en"));
        assert!(sv.len() > 40, "{sv:?}");
        assert_eq!(sv, en);
    }

    #[test]
    fn a_template_error_names_file_and_line() {
        let err = pdf(Kind::Lagesbild, &serde_json::json!({"lang": "sv"})).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.starts_with("typesetting lägesbild failed: main.typ:"),
            "{msg}"
        );
        assert!(msg.contains("level"), "{msg}");
    }
}
