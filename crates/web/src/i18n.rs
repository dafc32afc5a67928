//! Fluent translations: Swedish (default) and English. Every user-facing text is in
//! `locales/<lang>/main.ftl`; templates call `t("key", arg=value)`.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::Serialize;
use unic_langid::LanguageIdentifier;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Sv,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Sv, Lang::En];
    pub fn code(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("sv") => Some(Lang::Sv),
            Some("en") => Some(Lang::En),
            _ => None,
        }
    }
}

pub const SV_FTL: &str = include_str!("../locales/sv/main.ftl");
pub const EN_FTL: &str = include_str!("../locales/en/main.ftl");

pub struct I18n {
    sv: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

fn bundle(lang: &str, source: &str) -> FluentBundle<FluentResource> {
    let id: LanguageIdentifier = lang.parse().expect("valid language id");
    let mut b = FluentBundle::new_concurrent(vec![id]);
    // No Unicode isolation marks: they end up inside HTML attributes and tests.
    b.set_use_isolating(false);
    let res = FluentResource::try_new(source.to_string()).unwrap_or_else(|(_, errors)| {
        panic!("locales/{lang}/main.ftl has syntax errors: {errors:?}")
    });
    b.add_resource(res)
        .unwrap_or_else(|errors| panic!("locales/{lang}/main.ftl has duplicate keys: {errors:?}"));
    b
}

impl Default for I18n {
    fn default() -> Self {
        Self::new()
    }
}

impl I18n {
    pub fn new() -> Self {
        I18n {
            sv: bundle("sv", SV_FTL),
            en: bundle("en", EN_FTL),
        }
    }

    fn bundle(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        match lang {
            Lang::Sv => &self.sv,
            Lang::En => &self.en,
        }
    }

    pub fn has(&self, lang: Lang, key: &str) -> bool {
        self.bundle(lang).has_message(key)
    }

    /// The translation of `key` with `args`; a missing key shows as the key itself (and a test
    /// makes sure none is missing).
    pub fn t(&self, lang: Lang, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let bundle = self.bundle(lang);
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            return key.to_string();
        };
        let mut fargs = FluentArgs::new();
        for (k, v) in args {
            fargs.set(*k, v.clone());
        }
        let mut errors = Vec::new();
        bundle
            .format_pattern(
                pattern,
                if args.is_empty() { None } else { Some(&fargs) },
                &mut errors,
            )
            .into_owned()
    }

    pub fn keys(source: &str) -> Vec<String> {
        source
            .lines()
            .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim().to_string()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys() {
        let sv = I18n::keys(SV_FTL);
        let en = I18n::keys(EN_FTL);
        assert!(sv.len() > 100);
        assert_eq!(sv, en);
    }

    /// Keys that templates build from enum values (`"status-" ~ s`) exist for every value.
    #[test]
    fn every_enum_value_is_translated() {
        let i = I18n::new();
        let mut keys: Vec<String> = Vec::new();
        keys.extend(
            model::IncidentStatus::ALL
                .iter()
                .map(|s| format!("status-{}", s.as_str())),
        );
        keys.extend(
            model::Source::ALL
                .iter()
                .map(|s| format!("source-{}", s.as_str().replace(':', "-"))),
        );
        keys.extend(
            model::Visibility::ALL
                .iter()
                .map(|s| format!("visibility-{}", s.as_str())),
        );
        keys.extend(
            model::Precision::ALL
                .iter()
                .map(|s| format!("precision-{}", s.as_str())),
        );
        keys.extend(
            store::Sort::ALL
                .iter()
                .map(|s| format!("sort-{}", s.as_str())),
        );
        keys.extend(
            crate::admin::AUDIT_ACTIONS
                .iter()
                .map(|a| format!("audit-action-{}", a.replace('.', "-"))),
        );
        keys.extend(
            model::Role::ALL
                .iter()
                .map(|r| format!("role-{}", r.as_str())),
        );
        keys.extend(
            [
                model::screening::SensitiveKind::PersonalIdentityNumber,
                model::screening::SensitiveKind::CoordinationNumber,
                model::screening::SensitiveKind::PhoneNumber,
                model::screening::SensitiveKind::Email,
            ]
            .iter()
            .map(|k| format!("redacted-{}", k.as_str())),
        );
        keys.extend(
            model::ReporterView::ALL
                .iter()
                .map(|r| format!("reporter-view-{}", r.as_str())),
        );
        keys.extend(
            model::RetentionAction::ALL
                .iter()
                .map(|r| format!("retention-{}", r.as_str())),
        );
        for k in keys {
            for lang in Lang::ALL {
                assert!(i.has(lang, &k), "{k} missing in {lang:?}");
            }
        }
    }

    #[test]
    fn translates_with_arguments_and_plurals() {
        let i = I18n::new();
        assert_eq!(i.t(Lang::Sv, "nav-map", &[]), "Karta");
        assert_eq!(i.t(Lang::En, "nav-map", &[]), "Map");
        assert_eq!(
            i.t(Lang::Sv, "incidents-count", &[("count", 1.into())]),
            "En händelse"
        );
        assert_eq!(
            i.t(Lang::Sv, "incidents-count", &[("count", 12.into())]),
            "12 händelser"
        );
        assert_eq!(
            i.t(Lang::En, "report-saved", &[("id", 7.into())]),
            "Thank you! Incident no. 7 is saved."
        );
        assert_eq!(i.t(Lang::En, "no-such-key", &[]), "no-such-key");
    }

    #[test]
    fn every_error_code_of_the_model_is_translated() {
        let i = I18n::new();
        for code in [
            "error-required",
            "error-invalid-choice",
            "error-latitude",
            "error-longitude",
            "error-required-with-lat",
            "error-required-with-lon",
            "error-place-required",
            "error-too-long-200",
            "error-description",
            "error-persons",
            "error-time",
            "error-time-future",
            "error-time-too-old",
            "error-interval-order",
            "error-interval-too-long",
            "error-outside-municipality",
        ] {
            for lang in Lang::ALL {
                assert!(i.has(lang, code), "{code} missing in {lang:?}");
            }
        }
        // And the list above is complete: every code the model's sources mention.
        // Administration notices are keys in the code.
        for piece in include_str!("admin.rs")
            .split('"')
            .filter(|p| p.starts_with("admin-") && !p.contains(' '))
        {
            assert!(
                i.has(Lang::Sv, piece) && i.has(Lang::En, piece),
                "{piece} is not translated"
            );
        }
        let model_src = include_str!("../../model/src/incident.rs");
        let service_src = include_str!("../../service/src/reporting.rs");
        for src in [model_src, service_src] {
            for piece in src
                .split('"')
                .filter(|p| p.starts_with("error-") && !p.ends_with('-') && !p.contains(' '))
            {
                assert!(
                    i.has(Lang::Sv, piece) && i.has(Lang::En, piece),
                    "{piece} is not translated"
                );
            }
        }
    }
}
