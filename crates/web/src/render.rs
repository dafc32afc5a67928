//! Templates (minijinja, compiled into the binary) and their `t()` translation function.

use crate::i18n::{I18n, Lang};
use fluent_bundle::FluentValue;
use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State};
use std::sync::Arc;

pub const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("error.html", include_str!("../templates/error.html")),
    (
        "incidents.html",
        include_str!("../templates/incidents.html"),
    ),
    (
        "incident_new.html",
        include_str!("../templates/incident_new.html"),
    ),
    ("start.html", include_str!("../templates/start.html")),
    ("incident.html", include_str!("../templates/incident.html")),
    ("map.html", include_str!("../templates/map.html")),
    ("analysis.html", include_str!("../templates/analysis.html")),
    ("cases.html", include_str!("../templates/cases.html")),
    ("schools.html", include_str!("../templates/schools.html")),
    ("school.html", include_str!("../templates/school.html")),
    ("promises.html", include_str!("../templates/promises.html")),
    ("meetings.html", include_str!("../templates/meetings.html")),
    ("meeting.html", include_str!("../templates/meeting.html")),
    ("case.html", include_str!("../templates/case.html")),
    (
        "lagesbild.html",
        include_str!("../templates/lagesbild.html"),
    ),
    ("actions.html", include_str!("../templates/actions.html")),
    ("action.html", include_str!("../templates/action.html")),
    (
        "action_new.html",
        include_str!("../templates/action_new.html"),
    ),
    ("audit.html", include_str!("../templates/audit.html")),
    (
        "admin_notice.html",
        include_str!("../templates/admin_notice.html"),
    ),
    ("admin.html", include_str!("../templates/admin.html")),
    (
        "admin_users.html",
        include_str!("../templates/admin_users.html"),
    ),
    (
        "admin_orgs.html",
        include_str!("../templates/admin_orgs.html"),
    ),
    (
        "admin_import.html",
        include_str!("../templates/admin_import.html"),
    ),
    ("tip_form.html", include_str!("../templates/tip_form.html")),
    (
        "tip_receipt.html",
        include_str!("../templates/tip_receipt.html"),
    ),
    (
        "admin_tips.html",
        include_str!("../templates/admin_tips.html"),
    ),
    (
        "admin_open311.html",
        include_str!("../templates/admin_open311.html"),
    ),
    (
        "admin_sso.html",
        include_str!("../templates/admin_sso.html"),
    ),
    (
        "admin_categories.html",
        include_str!("../templates/admin_categories.html"),
    ),
    (
        "admin_places.html",
        include_str!("../templates/admin_places.html"),
    ),
    (
        "admin_settings.html",
        include_str!("../templates/admin_settings.html"),
    ),
    ("account.html", include_str!("../templates/account.html")),
    (
        "tokens_table.html",
        include_str!("../templates/tokens_table.html"),
    ),
    (
        "admin_tokens.html",
        include_str!("../templates/admin_tokens.html"),
    ),
    (
        "second_factor.html",
        include_str!("../templates/second_factor.html"),
    ),
    (
        "mfa_setup.html",
        include_str!("../templates/mfa_setup.html"),
    ),
    (
        "recovery_codes.html",
        include_str!("../templates/recovery_codes.html"),
    ),
];

pub fn environment(i18n: Arc<I18n>) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .unwrap_or_else(|e| panic!("template {name} does not compile: {e}"));
    }
    env.add_function(
        "t",
        move |state: &State, key: String, kwargs: Kwargs| -> Result<String, Error> {
            let lang = state
                .lookup("lang")
                .and_then(|v| v.as_str().and_then(Lang::parse))
                .unwrap_or_default();
            let mut args: Vec<(String, FluentValue<'static>)> = Vec::new();
            for name in kwargs.args() {
                let v: Value = kwargs.get(name)?;
                let fv = match v.kind() {
                    ValueKind::Number => match i64::try_from(v.clone()) {
                        Ok(n) => FluentValue::from(n),
                        Err(_) => FluentValue::from(v.to_string()),
                    },
                    _ => FluentValue::from(v.to_string()),
                };
                args.push((name.to_string(), fv));
            }
            kwargs.assert_all_used()?;
            if !i18n.has(lang, &key) {
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    format!("no translation for {key:?}"),
                ));
            }
            let borrowed: Vec<(&str, FluentValue<'_>)> =
                args.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            Ok(i18n.t(lang, &key, &borrowed))
        },
    );
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `t("…")` key used in a template exists in both languages, and templates contain
    /// no visible text outside `t()` calls (checked loosely: no letters between tags).
    #[test]
    fn template_keys_are_translated() {
        let i18n = I18n::new();
        for (name, source) in TEMPLATES {
            for quote in ['"', '\''] {
                let pat = format!("t({quote}");
                for piece in source.split(&pat).skip(1) {
                    let key = piece.split(quote).next().unwrap();
                    if key.ends_with('-') {
                        // Built from an enum value; see i18n::tests::every_enum_value_is_translated.
                        continue;
                    }
                    for lang in Lang::ALL {
                        assert!(i18n.has(lang, key), "{name}: {key} missing in {lang:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn no_hard_coded_text_in_templates() {
        for (name, source) in TEMPLATES {
            // Remove template tags and expressions, then HTML tags; what remains is text.
            let mut text = String::new();
            let mut depth = 0;
            // Macros that emit attributes are markup, not text.
            let source: String = source
                .lines()
                .filter(|l| !l.starts_with("{% macro"))
                .collect::<Vec<_>>()
                .join("\n");
            let chars: Vec<char> = source.chars().collect();
            let mut i = 0;
            while i < chars.len() {
                if i + 1 < chars.len() && chars[i] == '{' && matches!(chars[i + 1], '{' | '%' | '#')
                {
                    depth += 1;
                    i += 2;
                    continue;
                }
                if i + 1 < chars.len()
                    && matches!(chars[i], '}' | '%' | '#')
                    && chars[i + 1] == '}'
                    && depth > 0
                {
                    depth -= 1;
                    i += 2;
                    continue;
                }
                if depth == 0 {
                    text.push(chars[i]);
                }
                i += 1;
            }
            let mut visible = String::new();
            let mut in_tag = false;
            for c in text.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    _ if !in_tag => visible.push(c),
                    _ => {}
                }
            }
            let words: Vec<&str> = visible
                .split_whitespace()
                .filter(|w| w.chars().any(|c| c.is_alphabetic()))
                .collect();
            assert!(words.is_empty(), "{name} has hard-coded text: {words:?}");
        }
    }
}
