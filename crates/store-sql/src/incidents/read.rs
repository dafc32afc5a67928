//! Reading incidents: one (its read of a restricted incident audited), a page of the list,
//! counts, map points, and an incident's status history.

use super::{INCIDENT_COLS, INCIDENT_FROM, incident_row, scope, select};
use crate::SqlStore;
use crate::audit::log;
use crate::exec::{Backend, Row, Sql};
use jiff::Timestamp;
use model::{CategoryCode, IncidentStatus, Precision, Visibility};
use store::backend::{audit, from_ts, parsed, ts};
use store::{
    Actor, Incident, IncidentFilter, IncidentId, IncidentPoint, IncidentQuery, Purpose,
    ReportUpdate, Result, Sort, StatusChange, StoreError,
};

/// An incident the actor may see, without logging the read.
pub async fn fetch<B: Backend>(
    s: &SqlStore<B>,
    actor: &Actor,
    id: IncidentId,
) -> Result<Option<Incident>> {
    let mut q = Sql::new(format!("SELECT {INCIDENT_COLS} FROM {INCIDENT_FROM}"));
    scope(actor, Purpose::Read, &mut q);
    q.push(" AND i.id = ?").arg(id);
    s.read()
        .await?
        .optional(q)
        .await?
        .map(|r| incident_row(&r))
        .transpose()
}

/// An incident the actor may see; reading one that is not shared with all partners is
/// audited (`incident.read`).
pub async fn get<B: Backend>(
    s: &SqlStore<B>,
    actor: &Actor,
    id: IncidentId,
) -> Result<Option<Incident>> {
    let found = fetch(s, actor, id).await?;
    if let Some(i) = &found
        && i.visibility != Visibility::AllPartners
    {
        let mut tx = s.begin().await?;
        let entry = audit(
            Timestamp::now(),
            Some(actor.user_id),
            "incident.read",
            "incident",
            id,
        );
        log(&mut tx, actor.tenant_id, &entry).await?;
        tx.commit().await?;
    }
    Ok(found)
}

pub async fn list<B: Backend>(
    s: &SqlStore<B>,
    actor: &Actor,
    iq: &IncidentQuery,
) -> Result<Vec<Incident>> {
    let mut q = select(
        INCIDENT_COLS,
        INCIDENT_FROM,
        actor,
        Purpose::Read,
        &iq.filter,
    );
    if let Some(c) = iq.after {
        q.push(" AND (i.occurred_from < ? OR (i.occurred_from = ? AND i.id < ?))")
            .arg(ts(c.occurred_from))
            .arg(ts(c.occurred_from))
            .arg(c.id);
    }
    q.push(match (iq.sort, iq.after.is_some()) {
        (_, true) | (Sort::OccurredDesc, _) => " ORDER BY i.occurred_from DESC, i.id DESC",
        (Sort::OccurredAsc, _) => " ORDER BY i.occurred_from ASC, i.id ASC",
        (Sort::CreatedDesc, _) => " ORDER BY i.created_at DESC, i.id DESC",
        (Sort::Category, _) => " ORDER BY i.category_code ASC, i.occurred_from DESC, i.id DESC",
        (Sort::Status, _) => " ORDER BY i.status ASC, i.occurred_from DESC, i.id DESC",
    });
    q.push(" LIMIT ? OFFSET ?")
        .arg(i64::from(iq.limit))
        .arg(if iq.after.is_some() {
            0
        } else {
            i64::from(iq.offset)
        });
    s.read()
        .await?
        .all(q)
        .await?
        .iter()
        .map(incident_row)
        .collect()
}

pub async fn count<B: Backend>(
    s: &SqlStore<B>,
    actor: &Actor,
    filter: &IncidentFilter,
) -> Result<u64> {
    let q = select("count(*) AS n", "incidents i", actor, Purpose::Read, filter);
    Ok(s.read().await?.one(q).await?.int("n")?.max(0) as u64)
}

/// The newest points matching the filter. sqlx hands rows over one at a time (about 10 µs
/// each), so for 100,000 points the database packs them into one JSON array instead
/// (`Backend::points_json`), reals as text that reads back exactly.
pub async fn points<B: Backend>(
    s: &SqlStore<B>,
    actor: &Actor,
    filter: &IncidentFilter,
    limit: u32,
) -> Result<Vec<IncidentPoint>> {
    let mut inner = select(
        "i.id, i.category_code, i.occurred_from, i.occurred_to, i.lon, i.lat, i.e, i.n, \
         i.precision, i.status, i.municipality_code",
        "incidents i",
        actor,
        Purpose::Map,
        filter,
    );
    inner
        .push(" ORDER BY i.occurred_from DESC, i.id DESC LIMIT ?")
        .arg(i64::from(limit));
    let q = Sql {
        text: B::points_json(&inner.text).into(),
        args: inner.args,
    };
    let row = s.read().await?.one(q).await?;
    let packed = row.str("points")?;
    type Packed<'a> = (
        i64,
        &'a str,
        i64,
        i64,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        &'a str,
        Option<&'a str>,
    );
    let rows: Vec<Packed<'_>> = serde_json::from_str(packed).map_err(|e| StoreError::Corrupt {
        table: "incidents",
        id: "(points)".into(),
        field: "json",
        value: e.to_string(),
    })?;
    const T: &str = "incidents";
    // Categories repeat: parse each code once.
    let mut codes: Vec<CategoryCode> = Vec::new();
    let real = |id: i64, field: &'static str, v: &str| parsed(T, id, field, v, v.parse::<f64>());
    rows.into_iter()
        .map(
            |(id, cat, from, to, lon, lat, e, n, precision, status, municipality)| {
                let category = match codes.iter().find(|c| c.as_str() == cat) {
                    Some(c) => c.clone(),
                    None => {
                        let c = parsed(T, id, "category_code", cat, CategoryCode::parse(cat))?;
                        codes.push(c.clone());
                        c
                    }
                };
                Ok(IncidentPoint {
                    id,
                    category,
                    occurred_from: from_ts(T, id, "occurred_from", from)?,
                    occurred_to: from_ts(T, id, "occurred_to", to)?,
                    lon: real(id, "lon", lon)?,
                    lat: real(id, "lat", lat)?,
                    e: real(id, "e", e)?,
                    n: real(id, "n", n)?,
                    precision: parsed(T, id, "precision", precision, Precision::parse(precision))?,
                    status: parsed(T, id, "status", status, IncidentStatus::parse(status))?,
                    municipality_code: municipality.map(str::to_string),
                })
            },
        )
        .collect()
}

pub async fn history<B: Backend>(
    s: &SqlStore<B>,
    actor: &Actor,
    id: IncidentId,
) -> Result<Vec<StatusChange>> {
    if fetch(s, actor, id).await?.is_none() {
        return Ok(vec![]);
    }
    const L: &str = "incident_status_log";
    let rows = s
        .read()
        .await?
        .all(
            Sql::new(
                "SELECT l.at, l.user_id, u.display_name, l.from_status, l.to_status, l.comment \
                 FROM incident_status_log l LEFT JOIN users u ON u.tenant_id = l.tenant_id \
                 AND u.id = l.user_id WHERE l.tenant_id = ? AND l.incident_id = ? ORDER BY l.seq",
            )
            .bind(actor.tenant_id)
            .bind(id),
        )
        .await?;
    rows.iter()
        .map(|r| {
            let to = r.str("to_status")?;
            Ok(StatusChange {
                at: from_ts(L, id, "at", r.int("at")?)?,
                user_id: r.opt_int("user_id")?,
                user_name: r.opt_text("display_name")?,
                from: r
                    .opt_str("from_status")?
                    .map(|f| parsed(L, id, "from_status", f, IncidentStatus::parse(f)))
                    .transpose()?,
                to: parsed(L, id, "to_status", to, IncidentStatus::parse(to))?,
                comment: r.text("comment")?,
            })
        })
        .collect()
}

/// The status changes others made, since `since`, to the incidents `actor` reported, newest
/// first: what a reporter's start page tells them.
pub async fn updates_for_reporter<B: Backend>(
    s: &SqlStore<B>,
    actor: &Actor,
    since: Timestamp,
    limit: u32,
) -> Result<Vec<ReportUpdate>> {
    const L: &str = "incident_status_log";
    let rows = s
        .read()
        .await?
        .all(
            Sql::new(
                "SELECT l.incident_id, l.at, l.to_status, l.comment, i.category_code, \
                 i.occurred_from, i.same_as FROM incident_status_log l \
                 JOIN incidents i ON i.tenant_id = l.tenant_id AND i.id = l.incident_id \
                 WHERE l.tenant_id = ? AND l.at >= ? AND i.user_id = ? \
                 AND (l.user_id IS NULL OR l.user_id <> ?) \
                 ORDER BY l.at DESC, l.incident_id DESC, l.seq DESC LIMIT ?",
            )
            .bind(actor.tenant_id)
            .bind(since)
            .bind(actor.user_id)
            .bind(actor.user_id)
            .bind(i64::from(limit)),
        )
        .await?;
    rows.iter()
        .map(|r| {
            let id = r.int("incident_id")?;
            let to = r.str("to_status")?;
            let code = r.str("category_code")?;
            Ok(ReportUpdate {
                incident_id: id,
                category: parsed(L, id, "category_code", code, CategoryCode::parse(code))?,
                occurred_from: from_ts(L, id, "occurred_from", r.int("occurred_from")?)?,
                at: from_ts(L, id, "at", r.int("at")?)?,
                to: parsed(L, id, "to_status", to, IncidentStatus::parse(to))?,
                comment: r.text("comment")?,
                same_as: r.opt_int("same_as")?,
            })
        })
        .collect()
}
