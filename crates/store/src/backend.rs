//! Helpers every store backend needs and that say nothing in SQL: time and value conversions
//! with errors that name the table, row and field, and what audit rows record.

use crate::{NewAudit, NewIncident, Result, StoreError, UserId};
use jiff::Timestamp;

/// Seconds since 1970-01-01 UTC, as both schemas store times.
pub fn ts(t: Timestamp) -> i64 {
    t.as_second()
}

pub fn from_ts(table: &'static str, id: i64, field: &'static str, v: i64) -> Result<Timestamp> {
    Timestamp::from_second(v).map_err(|_| StoreError::Corrupt {
        table,
        id: id.to_string(),
        field,
        value: v.to_string(),
    })
}

pub fn parsed<T, E>(
    table: &'static str,
    id: i64,
    field: &'static str,
    v: &str,
    r: Result<T, E>,
) -> Result<T> {
    r.map_err(|_| StoreError::Corrupt {
        table,
        id: id.to_string(),
        field,
        value: v.to_string(),
    })
}

pub fn audit(
    at: Timestamp,
    user_id: Option<UserId>,
    action: &str,
    entity: &str,
    entity_id: impl ToString,
) -> NewAudit {
    NewAudit {
        at,
        user_id,
        action: action.into(),
        entity: entity.into(),
        entity_id: entity_id.to_string(),
        before: None,
        after: None,
    }
}

/// Free text in the audit trail: its length and SHA-256, never the text. The audit log cannot be
/// changed, so anything written there would outlive redaction and retention.
pub fn text_digest(text: Option<&str>) -> serde_json::Value {
    match text {
        None => serde_json::Value::Null,
        Some(t) => {
            serde_json::json!({ "chars": t.chars().count(), "sha256": crate::audit::sha256_hex(t) })
        }
    }
}

pub fn incident_json(n: &NewIncident) -> String {
    serde_json::json!({
        "category": n.category.as_str(),
        "occurred_from": n.occurred_from.to_string(),
        "occurred_to": n.occurred_to.to_string(),
        "lon": n.lon,
        "lat": n.lat,
        "precision": n.precision.as_str(),
        "place_id": n.place_id,
        "place_text": text_digest(n.place_text.as_deref()),
        "description": text_digest(Some(&n.description)),
        "school_id": n.school_id,
        "persons_involved": n.persons_involved,
        "visibility": n.visibility.as_str(),
        "status": n.status.as_str(),
        "source": n.source.as_str(),
        "external_id": n.external_id,
        "org_id": n.org_id,
    })
    .to_string()
}
