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

/// A new incident as its audit row holds it: places and free text as digests, never text.
/// Keys in alphabetical order, as `serde_json::json!` wrote them before (a struct is
/// serialised without building a map: a third of the importer's time went to maps).
pub fn incident_json(n: &NewIncident) -> String {
    #[derive(serde::Serialize)]
    struct Digest {
        chars: usize,
        sha256: String,
    }
    let digest = |t: &str| Digest {
        chars: t.chars().count(),
        sha256: crate::audit::sha256_hex(t),
    };
    #[derive(serde::Serialize)]
    struct Row<'a> {
        category: &'a str,
        description: Digest,
        external_id: Option<&'a str>,
        lat: f64,
        lon: f64,
        occurred_from: String,
        occurred_to: String,
        org_id: i64,
        persons_involved: Option<u32>,
        place_id: Option<i64>,
        place_text: Option<Digest>,
        precision: &'a str,
        school_id: Option<i64>,
        source: &'a str,
        status: &'a str,
        visibility: &'a str,
    }
    serde_json::to_string(&Row {
        category: n.category.as_str(),
        description: digest(&n.description),
        external_id: n.external_id.as_deref(),
        lat: n.lat,
        lon: n.lon,
        occurred_from: n.occurred_from.to_string(),
        occurred_to: n.occurred_to.to_string(),
        org_id: n.org_id,
        persons_involved: n.persons_involved,
        place_id: n.place_id,
        place_text: n.place_text.as_deref().map(digest),
        precision: n.precision.as_str(),
        school_id: n.school_id,
        source: n.source.as_str(),
        status: n.status.as_str(),
        visibility: n.visibility.as_str(),
    })
    .expect("an incident serialises")
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
    /// Incidents a new one is said to be the same as.
    pub incidents: Vec<i64>,
}

impl References {
    pub fn of(incidents: &[NewIncident]) -> References {
        References::of_all(incidents)
    }

    /// What any of the incidents refers to (those of several reports stored together).
    pub fn of_all<'a>(incidents: impl IntoIterator<Item = &'a NewIncident>) -> References {
        let mut r = References::default();
        for n in incidents {
            r.categories.push(n.category.as_str().to_string());
            r.orgs.push(n.org_id);
            r.users.extend(n.user_id);
            r.places.extend(n.place_id);
            r.places.extend(n.school_id);
            r.places.extend(&n.area_ids);
            r.incidents.extend(n.same_as);
        }
        for v in [&mut r.orgs, &mut r.users, &mut r.places, &mut r.incidents] {
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
            if let Some(i) = n.same_as.filter(|i| !found.incidents.contains(i)) {
                return unknown(row, "same_as", i.to_string());
            }
        }
        Ok(())
    }
}

/// Text as a field of tab-separated lines (PostgreSQL's COPY text format): backslash,
/// tab, newline and carriage return escaped with a backslash.
pub fn escape_tabbed(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// A new incident as one line of tab-separated fields (the fields of `incident_json`, free
/// text as written, backslash-escaped; empty for none), ending in a newline: what a batch's
/// audit digest is computed over.
pub fn incident_line(out: &mut String, n: &NewIncident) {
    use std::fmt::Write;
    let text = |out: &mut String, t: Option<&str>| {
        escape_tabbed(out, t.unwrap_or(""));
        out.push('\t');
    };
    let num = |out: &mut String, v: Option<i64>| {
        if let Some(v) = v {
            let _ = write!(out, "{v}");
        }
        out.push('\t');
    };
    text(out, Some(n.category.as_str()));
    num(out, Some(ts(n.occurred_from)));
    num(out, Some(ts(n.occurred_to)));
    let _ = write!(out, "{}\t{}\t", n.lon, n.lat);
    text(out, Some(n.precision.as_str()));
    num(out, n.place_id);
    text(out, n.place_text.as_deref());
    text(out, Some(&n.description));
    num(out, n.school_id);
    num(out, n.persons_involved.map(i64::from));
    text(out, Some(n.visibility.as_str()));
    text(out, Some(n.status.as_str()));
    text(out, Some(n.source.as_str()));
    text(out, n.external_id.as_deref());
    num(out, Some(n.org_id));
    out.pop();
    out.push('\n');
}

/// The audit row of new incidents with ids `first`, `first + 1`, …: for one incident, the
/// incident as `incident_json` writes it (`incident.create`, or `incident.import` when it
/// has an external id); for a batch, one row for the whole batch (`incident.create_batch`):
/// its ids, count, and the SHA-256 of the incidents' `incident_line`s, in id
/// order — so that a batch can be shown to be what its source held. A row per incident in
/// a bulk import cost as much to write as the incident itself. The digest is over
/// `incident_line`s (not JSON: hashing JSON was a tenth of a bulk import's time).
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
    let mut lines = String::with_capacity(incidents.len() * 160);
    for n in incidents {
        incident_line(&mut lines, n);
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

/// The world positions (`geo::tile::world`) of a WGS84 box [west, south, east, north]:
/// `[x0, y0, x1, y1]`, inclusive, holding every point of the box (north is the smaller y).
pub fn world_box(w: f64, s: f64, e: f64, n: f64) -> [i64; 4] {
    let (x0, y0) = geo::tile::world(w, n);
    let (x1, y1) = geo::tile::world(e, s);
    [x0, y0, x1, y1]
}

/// The SMTP relay from its columns (host, port, security, from, user); none without a host.
pub fn smtp_from_parts(
    tenant: i64,
    host: Option<String>,
    port: Option<i64>,
    security: Option<String>,
    from: Option<String>,
    user: Option<String>,
) -> Result<Option<model::SmtpSettings>> {
    let Some(host) = host else {
        return Ok(None);
    };
    model::SmtpSettings::parse(
        &host,
        &port.map(|p| p.to_string()).unwrap_or_default(),
        security.as_deref().unwrap_or_default(),
        from.as_deref().unwrap_or_default(),
        user.as_deref().unwrap_or_default(),
    )
    .map(Some)
    .map_err(|e| crate::StoreError::Corrupt {
        table: "tenants",
        id: tenant.to_string(),
        field: "smtp",
        value: format!("{e:?}"),
    })
}

/// The audit row of an SMTP change: where mail goes, never a secret.
pub fn smtp_audit(
    at: Timestamp,
    by: Option<UserId>,
    tenant: i64,
    s: Option<&model::SmtpSettings>,
) -> NewAudit {
    let mut entry = audit(at, by, "tenant.smtp", "tenant", tenant);
    entry.after = Some(
        match s {
            Some(s) => serde_json::json!({
                "host": s.host, "port": s.port, "security": s.security.as_str(),
                "from": s.from.as_str(), "user": s.user,
            }),
            None => serde_json::Value::Null,
        }
        .to_string(),
    );
    entry
}

/// A record from its columns (`store_sql::records`), each stored value checked.
#[allow(clippy::too_many_arguments)]
pub fn record_from_parts(
    tenant_id: i64,
    id: i64,
    kind: &str,
    parent_id: Option<i64>,
    data: &str,
    created_by: Option<i64>,
    created_at: i64,
    updated_at: i64,
) -> Result<crate::Record> {
    let corrupt = |field: &'static str, value: &str| crate::StoreError::Corrupt {
        table: "est_records",
        id: id.to_string(),
        field,
        value: value.chars().take(200).collect(),
    };
    Ok(crate::Record {
        tenant_id,
        id,
        kind: model::RecordKind::parse(kind).map_err(|_| corrupt("kind", kind))?,
        parent_id,
        data: serde_json::from_str(data).map_err(|_| corrupt("data", data))?,
        created_by,
        created_at: Timestamp::from_second(created_at)
            .map_err(|_| corrupt("created_at", &created_at.to_string()))?,
        updated_at: Timestamp::from_second(updated_at)
            .map_err(|_| corrupt("updated_at", &updated_at.to_string()))?,
    })
}

/// The audit row of a new record or of a changed one: the documents' SHA-256, not their text.
pub fn record_audit(
    at: Timestamp,
    by: Option<crate::UserId>,
    kind: model::RecordKind,
    id: i64,
    before: Option<&str>,
    after: &str,
) -> NewAudit {
    let action = if before.is_some() {
        "record.update"
    } else {
        "record.create"
    };
    let mut entry = audit(at, by, action, kind.as_str(), id);
    entry.before = before.map(|b| serde_json::json!({ "data": text_digest(Some(b)) }).to_string());
    entry.after = Some(serde_json::json!({ "data": text_digest(Some(after)) }).to_string());
    entry
}

/// An action from its columns (`store_sql::actions`), each stored value checked.
#[allow(clippy::too_many_arguments)]
pub fn action_from_parts(
    tenant_id: i64,
    id: i64,
    title: String,
    description: String,
    owner_org_id: i64,
    owner_user_id: Option<i64>,
    area_id: Option<i64>,
    due_on: &str,
    status: &str,
    closing_note: String,
    created_by: Option<i64>,
    created_at: i64,
    updated_at: i64,
    closed_at: Option<i64>,
    buffer_area_id: Option<i64>,
    control_area_id: Option<i64>,
    record_id: Option<i64>,
) -> Result<crate::Action> {
    Ok(crate::Action {
        tenant_id,
        id,
        title,
        description,
        owner_org_id,
        owner_user_id,
        area_id,
        buffer_area_id,
        control_area_id,
        record_id,
        due_on: parsed(
            "actions",
            id,
            "due_on",
            due_on,
            due_on.parse::<jiff::civil::Date>(),
        )?,
        status: parsed(
            "actions",
            id,
            "status",
            status,
            model::ActionStatus::parse(status),
        )?,
        closing_note,
        created_by,
        created_at: from_ts("actions", id, "created_at", created_at)?,
        updated_at: from_ts("actions", id, "updated_at", updated_at)?,
        closed_at: closed_at
            .map(|v| from_ts("actions", id, "closed_at", v))
            .transpose()?,
    })
}

/// The audit row of a new action.
pub fn action_audit(id: i64, a: &crate::NewAction) -> NewAudit {
    let mut entry = audit(a.created_at, a.created_by, "action.create", "action", id);
    entry.after = Some(
        serde_json::json!({
            "title": text_digest(Some(&a.action.title)),
            "description": text_digest(Some(a.action.description.as_str())),
            "owner_org_id": a.action.owner_org_id,
            "owner_user_id": a.action.owner_user_id,
            "area_id": a.action.area_id,
            "buffer_area_id": a.action.buffer_area_id,
            "control_area_id": a.action.control_area_id,
            "due_on": a.action.due_on.to_string(),
            "record_id": a.action.record_id,
        })
        .to_string(),
    );
    entry
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incident_json_is_what_the_audit_trail_has_always_held() {
        fn old_incident_json(n: &NewIncident) -> String {
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

        use model::*;
        let at: Timestamp = "2026-11-20T10:00:00Z".parse().unwrap();
        let mut n = NewIncident {
            category: CategoryCode::parse("trafik").unwrap(),
            occurred_from: at,
            occurred_to: at,
            lon: 16.1,
            lat: 59.42,
            e: 562_400.0,
            n: 6_587_500.0,
            precision: Precision::Exact,
            place_id: None,
            area_ids: vec![],
            place_text: None,
            municipality_code: None,
            description: "Klotter på väggen".into(),
            school_id: None,
            persons_involved: None,
            visibility: Visibility::AllPartners,
            status: IncidentStatus::New,
            source: Source::Form,
            external_id: None,
            external_url: None,
            org_id: 4,
            user_id: Some(5),
            created_at: at,
            same_as: None,
        };
        assert_eq!(incident_json(&n), old_incident_json(&n));
        n.place_text = Some("Torget \"vid\" kyrkan".into());
        n.external_id = Some("ext-1".into());
        n.persons_involved = Some(3);
        n.school_id = Some(7);
        assert_eq!(incident_json(&n), old_incident_json(&n));
    }

    #[test]
    fn hex_digests() {
        assert_eq!(
            crate::audit::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
