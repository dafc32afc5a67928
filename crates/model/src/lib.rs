//! Domain types of Lägesbild.
//!
//! Every type here validates itself on construction (`parse`): a value of the type is always
//! valid, so code that receives one never checks it again. Errors name the bad value.
#![forbid(unsafe_code)]

mod action;
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
    ReporterView, RetentionAction, Role, SmtpSecurity, SmtpSettings, Source, Visibility,
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
