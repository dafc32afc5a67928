//! What templates and the API see of domain values: formatted, translated, privacy-checked.

use crate::i18n::{I18n, Lang};
use jiff::{Timestamp, tz::TimeZone};
use model::{FieldError, Precision};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use store::{Category, Incident};

pub fn local(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned(tz.clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// "2026-11-26 22:15", or "2026-11-26 22:00 – 06:00" within a day, or both full times.
pub fn occurred(from: Timestamp, to: Timestamp, tz: &TimeZone) -> String {
    if from == to {
        return local(from, tz);
    }
    let (f, t) = (from.to_zoned(tz.clone()), to.to_zoned(tz.clone()));
    if to.duration_since(from).as_hours() < 24 {
        format!("{} – {}", f.strftime("%Y-%m-%d %H:%M"), t.strftime("%H:%M"))
    } else {
        format!(
            "{} – {}",
            f.strftime("%Y-%m-%d %H:%M"),
            t.strftime("%Y-%m-%d %H:%M")
        )
    }
}

pub fn category_name(categories: &[Category], code: &str, lang: Lang) -> String {
    categories
        .iter()
        .find(|c| c.code.as_str() == code)
        .map(|c| match lang {
            Lang::Sv => c.name_sv.clone(),
            Lang::En => c.name_en.clone(),
        })
        .unwrap_or_else(|| code.to_string())
}

#[derive(Serialize)]
pub struct CategoryView {
    pub code: String,
    pub name: String,
    pub parent: Option<String>,
    pub color: String,
}

pub fn categories(categories: &[Category], lang: Lang) -> Vec<CategoryView> {
    categories
        .iter()
        .filter(|c| !c.retired)
        .map(|c| CategoryView {
            code: c.code.to_string(),
            name: category_name(categories, c.code.as_str(), lang),
            parent: c.parent.as_ref().map(|p| p.to_string()),
            color: c.color.clone(),
        })
        .collect()
}

#[derive(Serialize)]
pub struct IncidentView {
    pub id: i64,
    pub category: String,
    pub category_name: String,
    pub occurred: String,
    pub place: String,
    pub precision: &'static str,
    pub lat: String,
    pub lon: String,
    pub e: String,
    pub n: String,
    pub description: String,
    pub school_name: Option<String>,
    pub persons_involved: Option<u32>,
    pub visibility: &'static str,
    pub status: &'static str,
    pub source: &'static str,
    pub org_name: String,
    pub created: String,
    pub external_url: Option<String>,
}

pub fn place_text(i: &Incident) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(p) = &i.place_name {
        parts.push(p.clone());
    }
    if let Some(t) = &i.place_text
        && parts.iter().all(|p| p != t)
    {
        parts.push(t.clone());
    }
    if parts.is_empty() {
        if i.precision == Precision::Municipality {
            parts.push(i.municipality_code.clone().unwrap_or_default());
        } else {
            parts.push(format!("{:.5}, {:.5}", i.lat, i.lon));
        }
    }
    parts.join(" – ")
}

/// An incident's place for people: as `incident` says it, but a bare point is named by the
/// area that holds it or the nearest named place ("nära Torget"), as the list shows it.
pub fn named_place(
    v: &mut IncidentView,
    i: &Incident,
    namer: &service::naming::Namer<'_>,
    i18n: &I18n,
    lang: Lang,
) {
    if i.place_name.is_some() || i.place_text.is_some() || i.precision == Precision::Municipality {
        return;
    }
    if let Some(name) = namer.near(i.lon, i.lat, service::naming::NEAR_METRES) {
        v.place = i18n.t(lang, "place-near", &[("name", name.into())]);
    } else if let Some((name, metres)) = namer.farther(i.lon, i.lat) {
        // Nothing near: how far from the nearest named place, in round figures.
        let distance = if metres < 1_000.0 {
            format!("{} m", (metres / 100.0).round() * 100.0)
        } else {
            format!("{} km", decimal(metres / 1_000.0, 1, lang))
        };
        v.place = i18n.t(
            lang,
            "place-from",
            &[("distance", distance.into()), ("name", name.into())],
        );
    }
}

pub fn incident(i: &Incident, cats: &[Category], lang: Lang, tz: &TimeZone) -> IncidentView {
    IncidentView {
        id: i.id,
        category: i.category.to_string(),
        category_name: category_name(cats, i.category.as_str(), lang),
        occurred: occurred(i.occurred_from, i.occurred_to, tz),
        place: place_text(i),
        precision: i.precision.as_str(),
        lat: decimal(i.lat, 6, lang),
        lon: decimal(i.lon, 6, lang),
        e: decimal(i.e, 0, lang),
        n: decimal(i.n, 0, lang),
        description: i.description.clone(),
        school_name: i.school_name.clone(),
        persons_involved: i.persons_involved,
        visibility: i.visibility.as_str(),
        status: i.status.as_str(),
        source: i.source.as_str(),
        org_name: i.org_name.clone(),
        created: local(i.created_at, tz),
        external_url: i.external_url.clone(),
    }
}

/// The API's JSON form of an incident. Coarse (municipality-level) incidents have no lat/lon:
/// they are not points.
pub fn incident_json(i: &Incident) -> crate::openapi::ApiIncident {
    let coarse = i.precision == Precision::Municipality;
    let span = i.occurred_from != i.occurred_to;
    crate::openapi::ApiIncident {
        id: i.id,
        category: i.category.as_str().to_string(),
        lat: (!coarse).then_some(i.lat),
        lon: (!coarse).then_some(i.lon),
        sweref99tm: (!coarse).then_some(crate::openapi::Sweref { e: i.e, n: i.n }),
        precision: i.precision.as_str().to_string(),
        place_id: i.place_id,
        place_name: i.place_name.clone(),
        place_text: i.place_text.clone(),
        municipality_code: i.municipality_code.clone(),
        description: i.description.clone(),
        school_id: i.school_id,
        school_name: i.school_name.clone(),
        persons_involved: i.persons_involved,
        visibility: i.visibility.as_str().to_string(),
        status: i.status.as_str().to_string(),
        source: i.source.as_str().to_string(),
        external_url: i.external_url.clone(),
        organisation: crate::openapi::OrgRef {
            id: i.org_id,
            name: i.org_name.clone(),
        },
        created_at: i.created_at.to_string(),
        updated_at: i.updated_at.to_string(),
        report_id: i.report_id,
        same_as: i.same_as,
        occurred_at: (!span).then(|| i.occurred_from.to_string()),
        occurred_from: span.then(|| i.occurred_from.to_string()),
        occurred_to: span.then(|| i.occurred_to.to_string()),
    }
}

/// A number with `places` decimals as the reader writes it: a decimal comma in Swedish
/// ("1,09"), a point in English; whole numbers without decimals ("18", not "18.0").
pub fn decimal(x: f64, places: usize, lang: Lang) -> String {
    let text = format!("{x:.places$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    match lang {
        Lang::Sv => text.replace('.', ",").replace('-', "−"),
        _ => text,
    }
}

/// Translated messages of field errors, by field (first error per field) and as a list.
pub fn field_messages(
    i18n: &I18n,
    lang: Lang,
    errors: &[FieldError],
) -> (HashMap<String, String>, Vec<Value>) {
    let mut by_field = HashMap::new();
    let mut list = Vec::new();
    for e in errors {
        let max = if e.code == "error-limit" { 100_000 } else { 0 };
        // "Vad hände? måste fyllas i": a required field is named, in the summary too.
        let bare = e
            .field
            .split_once('-')
            .filter(|(p, _)| p.starts_with('e') && p[1..].parse::<u32>().is_ok())
            .map(|(_, f)| f)
            .unwrap_or(&e.field);
        let label = match bare {
            "category" => Some("report-category"),
            "occurred_from" => Some("report-occurred-from"),
            "description" => Some("report-description"),
            _ => None,
        };
        let msg = match (e.code, label) {
            ("error-required", Some(label)) => i18n.t(
                lang,
                "error-required-field",
                &[("field", i18n.t(lang, label, &[]).into())],
            ),
            _ => i18n.t(
                lang,
                e.code,
                &[("value", e.value.clone().into()), ("max", max.into())],
            ),
        };
        by_field
            .entry(e.field.clone())
            .or_insert_with(|| msg.clone());
        // The place error belongs to the first field of the place block.
        let anchor = if e.field == "place" {
            "place_id".to_string()
        } else {
            e.field.clone()
        };
        list.push(json!({"field": e.field, "message": msg, "anchor": anchor}));
    }
    (by_field, list)
}

/// A change between two periods in a table cell: "+14 %", or with ▲/▼ and words when it is
/// significant; from nothing, "från 0" rather than a percentage.
pub fn change_text(i18n: &crate::i18n::I18n, lang: Lang, c: &service::insight::Change) -> String {
    let key = match (c.change, c.ratio.is_some()) {
        ("up", true) => "analysis-change-up",
        ("down", true) => "analysis-change-down",
        ("up", false) => "analysis-change-up-from-zero",
        (_, true) => "analysis-change-none",
        (_, false) => return "–".to_string(),
    };
    let pct = c.ratio.map_or_else(String::new, |r| {
        let v = (r - 1.0) * 100.0;
        let sign = if v.round() > 0.0 { "+" } else { "" };
        format!("{sign}{}", crate::insight::number(v, 0, lang))
    });
    i18n.t(
        lang,
        key,
        &[("percent", fluent_bundle::FluentValue::from(pct))],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swedish_numbers_have_a_decimal_comma() {
        assert_eq!(decimal(1.0912, 2, Lang::Sv), "1,09");
        assert_eq!(decimal(18.0, 1, Lang::Sv), "18");
        assert_eq!(decimal(-0.5, 2, Lang::Sv), "−0,5");
        assert_eq!(decimal(1.0912, 2, Lang::En), "1.09");
    }

    #[test]
    fn occurred_formats() {
        let tz = TimeZone::get("Europe/Stockholm").unwrap();
        let a: Timestamp = "2026-11-26T21:00:00Z".parse().unwrap();
        let b: Timestamp = "2026-11-27T05:00:00Z".parse().unwrap();
        assert_eq!(occurred(a, a, &tz), "2026-11-26 22:00");
        assert_eq!(occurred(a, b, &tz), "2026-11-26 22:00 – 06:00");
        let c: Timestamp = "2026-11-29T05:00:00Z".parse().unwrap();
        assert_eq!(occurred(a, c, &tz), "2026-11-26 22:00 – 2026-11-29 06:00");
    }
}
