//! The EST default category taxonomy (BRIEF §3), given to every new tenant.

use model::CategoryCode;
use store::{Category, TenantId};

/// (code, parent, Swedish name, English name, colour). Colours are distinguishable and reach
/// 3:1 contrast against the light map background.
pub const EST_DEFAULTS: &[(&str, Option<&str>, &str, &str, &str)] = &[
    ("skadegorelse", None, "Skadegörelse", "Vandalism", "#b2182b"),
    (
        "skadegorelse-klotter",
        Some("skadegorelse"),
        "Klotter",
        "Graffiti",
        "#d6604d",
    ),
    (
        "skadegorelse-glaskross",
        Some("skadegorelse"),
        "Glaskross",
        "Broken glass",
        "#b35806",
    ),
    (
        "skadegorelse-brand",
        Some("skadegorelse"),
        "Brand",
        "Fire",
        "#e31a1c",
    ),
    (
        "ordningsstorning",
        None,
        "Ordningsstörning",
        "Public disorder",
        "#6a3d9a",
    ),
    (
        "otrygghetsskapande-samling",
        None,
        "Otrygghetsskapande samling",
        "Intimidating gathering",
        "#8e0152",
    ),
    (
        "hot-vald",
        None,
        "Hot och våld",
        "Threats and violence",
        "#67001f",
    ),
    ("narkotika", None, "Narkotika", "Drugs", "#1b7837"),
    (
        "inbrott-stold",
        None,
        "Inbrott och stöld",
        "Burglary and theft",
        "#2166ac",
    ),
    ("nedskrapning", None, "Nedskräpning", "Littering", "#7f6000"),
    (
        "otrygg-plats",
        None,
        "Otrygg plats",
        "Unsafe place",
        "#4d4d4d",
    ),
    (
        "otrygg-plats-belysning",
        Some("otrygg-plats"),
        "Bristande belysning",
        "Poor lighting",
        "#525252",
    ),
    (
        "otrygg-plats-insyn",
        Some("otrygg-plats"),
        "Bristande insyn",
        "Poor visibility",
        "#636363",
    ),
    (
        "otrygg-plats-folktomt",
        Some("otrygg-plats"),
        "Folktomt",
        "Deserted",
        "#737373",
    ),
    ("trafik", None, "Trafik", "Traffic", "#01665e"),
    ("annat", None, "Annat", "Other", "#543005"),
];

pub fn est_defaults(tenant: TenantId) -> Vec<Category> {
    EST_DEFAULTS
        .iter()
        .enumerate()
        .map(|(i, (code, parent, sv, en, color))| Category {
            tenant_id: tenant,
            code: CategoryCode::parse(code).expect("default codes are valid"),
            parent: parent.map(|p| CategoryCode::parse(p).expect("default codes are valid")),
            name_sv: (*sv).to_string(),
            name_en: (*en).to_string(),
            color: (*color).to_string(),
            sort_order: i as i64 * 10,
            retired: false,
            retention_months: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_consistent() {
        let cats = est_defaults(1);
        assert_eq!(cats.len(), EST_DEFAULTS.len());
        for c in &cats {
            if let Some(p) = &c.parent {
                assert!(
                    cats.iter().any(|x| &x.code == p && x.parent.is_none()),
                    "{p} missing"
                );
                assert!(c.code.as_str().starts_with(p.as_str()));
            }
            assert!(c.color.len() == 7 && c.color.starts_with('#'));
        }
        let mut codes: Vec<_> = cats.iter().map(|c| c.code.as_str()).collect();
        codes.dedup();
        assert_eq!(codes.len(), cats.len());
    }
}
