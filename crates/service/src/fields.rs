//! The one rule for free text in the EST records (cases, visits, meetings, promises): trimmed,
//! bounded, no control characters, screened for personal data; problems as field errors.

use model::FieldError;

/// Free text of the EST records, checked: required or not, at most `max` characters, no
/// control characters but line breaks, screened for personal data. Shared by cases and meetings.
pub(crate) fn text(
    field: &str,
    v: &str,
    required: bool,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> String {
    let t = v.trim().to_string();
    if t.is_empty() && required {
        errors.push(FieldError::new(field, "error-required", v));
    } else if t.chars().count() > max
        || t.chars()
            .any(|c| (c.is_control() && c != '\n' && c != '\r') || model::bidi_control(c))
    {
        errors.push(FieldError::new(field, "error-description", v));
    }
    let found = model::screening::screen(&t);
    if !found.is_empty() {
        let list: Vec<&str> = found.iter().map(|f| f.text.as_str()).collect();
        errors.push(FieldError::new(field, "error-sensitive", list.join(", ")));
    }
    t
}

/// What replaces a screened piece of text that is stored anyway (a citizen's tip, an imported
/// row): a placeholder in Swedish, the record's language (the pages show their own).
pub fn stored_placeholder(kind: model::screening::SensitiveKind) -> String {
    use model::screening::SensitiveKind::*;
    match kind {
        PersonalIdentityNumber => "[personnummer borttaget]",
        CoordinationNumber => "[samordningsnummer borttaget]",
        PhoneNumber => "[telefonnummer borttaget]",
        Email => "[e-postadress borttagen]",
    }
    .to_string()
}
