//! Domain types of Lägesbild.
//!
//! Every type here validates itself on construction (`parse`): a value of the type is always
//! valid, so code that receives one never checks it again. Errors name the bad value.
#![forbid(unsafe_code)]

mod action;
pub mod dates;
mod incident;
mod kinds;
pub mod screening;

pub use action::{ActionDraft, ValidAction};
pub use incident::{
    Description, FieldError, IncidentDraft, MAX_DESCRIPTION_CHARS, MAX_PERSONS, OccurredTime,
    ValidIncident, Wgs84,
};
pub use kinds::{
    ActionStatus, CaseStep, CategoryCode, Email, IncidentStatus, Precision, RecordKind,
    ReporterView, RetentionAction, Role, SmtpSecurity, SmtpSettings, Source, TipChannel, TipStatus,
    Visibility,
};

/// A value that failed to parse. Carries the offending value in its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("unknown {kind} {value:?}; expected one of {expected}")]
    UnknownVariant {
        kind: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("invalid {kind} {value:?}: {reason}")]
    Invalid {
        kind: &'static str,
        value: String,
        reason: &'static str,
    },
}

/// Bidirectional controls (U+202A–U+202E, U+2066–U+2069, the marks U+200E, U+200F, U+061C):
/// they make text read differently from how it is stored ("Trojan Source"), so free text
/// refuses them.
pub fn bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}
