//! Helpers every store backend needs and that say nothing in SQL: time and value conversions
//! with errors that name the table, row and field, and what audit rows record.

use crate::{IncidentId, NewAudit, NewIncident, Result, StoreError, UserId};
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

/// What new incidents refer to (categories, organisations, users, places), each value once:
/// a store looks them up in one query per kind and per batch, and `check` names the first row
/// that refers to something the tenant does not have.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct References {
    pub categories: Vec<String>,
    pub orgs: Vec<i64>,
    pub users: Vec<i64>,
    pub places: Vec<i64>,
}

impl References {
    pub fn of(incidents: &[NewIncident]) -> References {
        let mut r = References::default();
        for n in incidents {
            r.categories.push(n.category.as_str().to_string());
            r.orgs.push(n.org_id);
            r.users.extend(n.user_id);
            r.places.extend(n.place_id);
            r.places.extend(n.school_id);
            r.places.extend(&n.area_ids);
        }
        for v in [&mut r.orgs, &mut r.users, &mut r.places] {
            v.sort_unstable();
            v.dedup();
        }
        r.categories.sort_unstable();
        r.categories.dedup();
        r
    }

    /// `Ok` when every reference of every row is among `found` (what the store found of
    /// `References::of(incidents)` in the tenant).
    pub fn check(incidents: &[NewIncident], found: &References) -> Result<()> {
        let unknown = |row: usize, field: &'static str, value: String| {
            Err(StoreError::UnknownReference {
                row: row + 1,
                field,
                value,
            })
        };
        for (row, n) in incidents.iter().enumerate() {
            if !found.categories.iter().any(|c| c == n.category.as_str()) {
                return unknown(row, "category", n.category.as_str().to_string());
            }
            if !found.orgs.contains(&n.org_id) {
                return unknown(row, "org_id", n.org_id.to_string());
            }
            if let Some(u) = n.user_id.filter(|u| !found.users.contains(u)) {
                return unknown(row, "user_id", u.to_string());
            }
            let places = [("place_id", n.place_id), ("school_id", n.school_id)]
                .into_iter()
                .filter_map(|(f, p)| p.map(|p| (f, p)))
                .chain(n.area_ids.iter().map(|a| ("area_ids", *a)));
            for (field, p) in places {
                if !found.places.contains(&p) {
                    return unknown(row, field, p.to_string());
                }
            }
        }
        Ok(())
    }
}

/// The audit row of new incidents with ids `first`, `first + 1`, …: for one incident, the
/// incident as `incident_json` writes it (`incident.create`, or `incident.import` when it
/// has an external id); for a batch, one row for the whole batch (`incident.create_batch`):
/// its ids, count, and the SHA-256 of the incidents' `incident_json`, one per line, in id
/// order — so that a batch can be shown to be what its source held. A row per incident in
/// a bulk import cost as much to write as the incident itself.
pub fn new_incidents_audit(first: IncidentId, incidents: &[NewIncident]) -> NewAudit {
    if let [n] = incidents {
        let action = if n.external_id.is_some() {
            "incident.import"
        } else {
            "incident.create"
        };
        let mut entry = audit(n.created_at, n.user_id, action, "incident", first);
        entry.after = Some(incident_json(n));
        return entry;
    }
    let last = first + incidents.len() as i64 - 1;
    let at = incidents
        .iter()
        .map(|n| n.created_at)
        .max()
        .unwrap_or_else(Timestamp::now);
    let user = incidents.first().and_then(|n| n.user_id);
    let user = user.filter(|u| incidents.iter().all(|n| n.user_id == Some(*u)));
    let mut lines = String::new();
    for n in incidents {
        lines.push_str(&incident_json(n));
        lines.push('\n');
    }
    let mut entry = audit(
        at,
        user,
        "incident.create_batch",
        "incident",
        format!("{first}-{last}"),
    );
    entry.after = Some(
        serde_json::json!({
            "count": incidents.len(),
            "first_id": first,
            "last_id": last,
            "sha256": crate::audit::sha256_hex(&lines),
        })
        .to_string(),
    );
    entry
}
