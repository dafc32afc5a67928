//! Writing incidents: a report or a batch (all or nothing, one audit row per batch), an
//! import keyed by the source's ids (idempotent), a status change with its log row, and
//! redaction of free text. Every reference is checked first and named by row, field and
//! value (`StoreError::UnknownReference`).

use super::{INCIDENT_COLS, INCIDENT_FROM, incident_row, scope};
use crate::SqlStore;
use crate::audit::{Chain, log};
use crate::exec::{Backend, Row, Sql, Tx};
use jiff::Timestamp;
use model::IncidentStatus;
use store::backend::{
    References, audit, incident_json, new_incidents_audit, parsed, text_digest, ts,
};
use store::{
    Actor, ImportCounts, Incident, IncidentId, NewIncident, Purpose, Result, StoreError, TenantId,
};

/// Checks what new incidents refer to, one query per kind, so that a wrong reference is
/// named with its row (SQLite's foreign keys stay behind it; PostgreSQL's incidents have
/// none, see ARCHITECTURE.md).
pub(crate) async fn check_references<B: Backend>(
    tx: &mut Tx<B>,
    tenant: TenantId,
    incidents: &[NewIncident],
) -> Result<()> {
    let found = find_references(tx, tenant, &References::of(incidents)).await?;
    References::check(incidents, &found)
}

/// What of `want` the tenant has, one query per kind.
pub(crate) async fn find_references<B: Backend>(
    tx: &mut Tx<B>,
    tenant: TenantId,
    want: &References,
) -> Result<References> {
    let mut found = References::default();
    if !want.categories.is_empty() {
        let mut q = Sql::new(format!(
            "SELECT code FROM categories WHERE tenant_id = ? AND code IN ({})",
            Sql::marks(want.categories.len())
        ))
        .bind(tenant);
        for c in &want.categories {
            q.arg(c);
        }
        for r in tx.all(q).await? {
            found.categories.push(r.text("code")?);
        }
    }
    for (table, list, into) in [
        ("organisations", &want.orgs, &mut found.orgs),
        ("users", &want.users, &mut found.users),
        ("places", &want.places, &mut found.places),
        ("incidents", &want.incidents, &mut found.incidents),
    ] {
        if list.is_empty() {
            continue;
        }
        let mut q = Sql::new(format!(
            "SELECT id FROM {table} WHERE tenant_id = ? AND id IN ({})",
            Sql::marks(list.len())
        ))
        .bind(tenant);
        for v in list {
            q.arg(*v);
        }
        for r in tx.all(q).await? {
            into.push(r.int("id")?);
        }
    }
    Ok(found)
}

/// An incident, its areas and first status row, and (with a chain) its own audit row.
pub(crate) async fn insert_one<B: Backend>(
    tx: &mut Tx<B>,
    chain: Option<&mut Chain>,
    tenant: TenantId,
    id: IncidentId,
    n: &NewIncident,
) -> Result<()> {
    let mut q = Sql::new(format!(
        "INSERT INTO incidents ({INSERT_COLS}) VALUES {INSERT_MARKS}"
    ));
    bind_incident(&mut q, tenant, id, n);
    tx.execute_or(q, |e| {
        StoreError::Backend(format!(
            "inserting incident ({}, {}): {e}",
            n.category, n.occurred_from
        ))
    })
    .await?;
    for area in &n.area_ids {
        tx.execute(
            Sql::new(
                "INSERT INTO incident_areas (tenant_id, area_id, incident_id) VALUES (?, ?, ?)",
            )
            .bind(tenant)
            .bind(*area)
            .bind(id),
        )
        .await?;
    }
    tx.execute(
        Sql::new(
            "INSERT INTO incident_status_log (tenant_id, incident_id, seq, at, user_id, \
             from_status, to_status, comment) VALUES (?, ?, 1, ?, ?, NULL, ?, '')",
        )
        .bind(tenant)
        .bind(id)
        .bind(n.created_at)
        .bind(n.user_id)
        .bind(n.status.as_str()),
    )
    .await?;
    if let Some(chain) = chain {
        chain
            .push(tx, &new_incidents_audit(id, std::slice::from_ref(n)))
            .await?;
    }
    Ok(())
}

/// The columns of an incident row as `insert_one` and `insert_many` write them.
const INSERT_COLS: &str = "tenant_id, id, category_code, occurred_from, occurred_to, lon, lat, e, \
     n, precision, place_id, place_text, municipality_code, description, school_id, \
     persons_involved, visibility, status, source, external_id, external_url, org_id, user_id, \
     created_at, updated_at, wx, wy, same_as";
const INSERT_MARKS: &str =
    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// Binds one incident's values in the order of `INSERT_COLS`.
fn bind_incident<'a>(q: &mut Sql<'a>, tenant: TenantId, id: IncidentId, n: &'a NewIncident) {
    let (wx, wy) = geo::tile::world(n.lon, n.lat);
    q.arg(tenant)
        .arg(id)
        .arg(n.category.as_str())
        .arg(n.occurred_from)
        .arg(n.occurred_to)
        .arg(n.lon)
        .arg(n.lat)
        .arg(n.e)
        .arg(n.n)
        .arg(n.precision.as_str())
        .arg(n.place_id)
        .arg(n.place_text.as_deref())
        .arg(n.municipality_code.as_deref())
        .arg(n.description.as_str())
        .arg(n.school_id)
        .arg(n.persons_involved.map(i64::from))
        .arg(n.visibility.as_str())
        .arg(n.status.as_str())
        .arg(n.source.as_str())
        .arg(n.external_id.as_deref())
        .arg(n.external_url.as_deref())
        .arg(n.org_id)
        .arg(n.user_id)
        .arg(n.created_at)
        .arg(n.created_at)
        .arg(wx)
        .arg(wy)
        .arg(n.same_as);
}

/// Incidents, their areas and first status rows by multi-row INSERTs (a few hundred rows
/// per statement, well within both databases' limits on bound values): the bulk path of a
/// backend without one of its own. An error names no row; `insert` then writes the rows one
/// by one to find it.
pub(crate) async fn insert_many<B: Backend>(
    tx: &mut Tx<B>,
    tenant: TenantId,
    first: IncidentId,
    incidents: &[NewIncident],
) -> Result<()> {
    const ROWS: usize = 400;
    for (k, chunk) in incidents.chunks(ROWS).enumerate() {
        let base = first + (k * ROWS) as i64;
        let mut q = Sql::new(format!(
            "INSERT INTO incidents ({INSERT_COLS}) VALUES {}",
            vec![INSERT_MARKS; chunk.len()].join(", ")
        ));
        for (i, n) in chunk.iter().enumerate() {
            bind_incident(&mut q, tenant, base + i as i64, n);
        }
        tx.execute(q).await?;
        let mut q = Sql::new(format!(
            "INSERT INTO incident_status_log (tenant_id, incident_id, seq, at, user_id, \
             from_status, to_status, comment) VALUES {}",
            vec!["(?, ?, 1, ?, ?, NULL, ?, '')"; chunk.len()].join(", ")
        ));
        for (i, n) in chunk.iter().enumerate() {
            q.arg(tenant)
                .arg(base + i as i64)
                .arg(n.created_at)
                .arg(n.user_id)
                .arg(n.status.as_str());
        }
        tx.execute(q).await?;
        let areas: Vec<(IncidentId, store::PlaceId)> = chunk
            .iter()
            .enumerate()
            .flat_map(|(i, n)| n.area_ids.iter().map(move |a| (base + i as i64, *a)))
            .collect();
        for part in areas.chunks(1_000) {
            let mut q = Sql::new(format!(
                "INSERT INTO incident_areas (tenant_id, area_id, incident_id) VALUES {}",
                vec!["(?, ?, ?)"; part.len()].join(", ")
            ));
            for (id, area) in part {
                q.arg(tenant).arg(*area).arg(*id);
            }
            tx.execute(q).await?;
        }
    }
    Ok(())
}

/// New incidents in one transaction, all or none, with one audit row for the batch. A
/// backend with a bulk path (`Backend::insert_bulk`) tries it first; when the database
/// refuses something there, nothing is kept and the rows are written one by one to say
/// which row and why.
pub async fn insert<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    incidents: &[NewIncident],
) -> Result<Vec<IncidentId>> {
    if incidents.is_empty() {
        return Ok(vec![]);
    }
    let count = incidents.len() as i64;
    let mut tx = s.begin().await?;
    check_references(&mut tx, tenant, incidents).await?;
    let mut first = s.next_ids(tx.conn(), "incidents", count).await?;
    let mut chain = Chain::load(&mut tx, tenant).await?;
    match B::insert_bulk(tx.conn(), tenant, first, incidents).await {
        Ok(true) => {}
        Ok(false) if insert_many(&mut tx, tenant, first, incidents).await.is_ok() => {}
        Ok(false) | Err(_) => {
            drop(tx);
            tx = s.begin().await?;
            first = s.next_ids(tx.conn(), "incidents", count).await?;
            chain = Chain::load(&mut tx, tenant).await?;
            insert_rows(&mut tx, tenant, first, incidents).await?;
        }
    }
    chain
        .push(&mut tx, &new_incidents_audit(first, incidents))
        .await?;
    tx.commit().await?;
    Ok((first..first + count).collect())
}

pub(crate) async fn insert_rows<B: Backend>(
    tx: &mut Tx<B>,
    tenant: TenantId,
    first: IncidentId,
    incidents: &[NewIncident],
) -> Result<()> {
    for (i, n) in incidents.iter().enumerate() {
        insert_one(tx, None, tenant, first + i as i64, n)
            .await
            .map_err(|e| match e {
                StoreError::Backend(m) => StoreError::Backend(format!("row {}: {m}", i + 1)),
                other => other,
            })?;
    }
    Ok(())
}

/// Inserts or updates incidents from an external source, keyed by (source, external_id),
/// in one transaction. The rows already stored are read first in chunks; the new ones are
/// written together (the backend's bulk path where it has one) under one audit row for the
/// batch, and each changed one is updated with its own audit row. A key given twice is
/// refused with both rows named.
pub async fn import<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    incidents: &[NewIncident],
) -> Result<ImportCounts> {
    let mut counts = ImportCounts::default();
    let mut keys: std::collections::HashMap<(&str, &str), usize> =
        std::collections::HashMap::with_capacity(incidents.len());
    for (i, n) in incidents.iter().enumerate() {
        let Some(ext) = n.external_id.as_deref() else {
            return Err(StoreError::Backend(format!(
                "row {}: an imported incident needs an external id",
                i + 1
            )));
        };
        if let Some(first) = keys.insert((n.source.as_str(), ext), i) {
            return Err(StoreError::Backend(format!(
                "row {}: external id {ext:?} is also on row {}",
                i + 1,
                first + 1
            )));
        }
    }
    let mut tx = s.begin().await?;
    check_references(&mut tx, tenant, incidents).await?;
    let mut existing: std::collections::HashMap<(String, String), B::Row> =
        std::collections::HashMap::new();
    let mut by_source: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for n in incidents {
        by_source
            .entry(n.source.as_str())
            .or_default()
            .push(n.external_id.as_deref().unwrap_or_default());
    }
    for (source, ids) in by_source {
        for chunk in ids.chunks(500) {
            let mut q = Sql::new(format!(
                "SELECT id, source, external_id, category_code, occurred_from, occurred_to, lon, \
                 lat, description, external_url, municipality_code, anonymised_at FROM incidents \
                 WHERE tenant_id = ? AND source = ? AND external_id IN ({})",
                Sql::marks(chunk.len())
            ))
            .bind(tenant)
            .bind(source);
            for id in chunk {
                q.arg(*id);
            }
            for r in tx.all(q).await? {
                existing.insert((r.text("source")?, r.text("external_id")?), r);
            }
        }
    }
    let mut fresh = Vec::new();
    let mut changed = Vec::new();
    for n in incidents {
        let key = (
            n.source.as_str().to_string(),
            n.external_id.clone().unwrap_or_default(),
        );
        match existing.remove(&key) {
            None => fresh.push(n.clone()),
            Some(r) => changed.push((n, r)),
        }
    }
    let mut chain = Chain::load(&mut tx, tenant).await?;
    if !fresh.is_empty() {
        let count = fresh.len() as i64;
        let first = s.next_ids(tx.conn(), "incidents", count).await?;
        if !B::insert_bulk(tx.conn(), tenant, first, &fresh).await? {
            insert_many(&mut tx, tenant, first, &fresh).await?;
        }
        chain
            .push(&mut tx, &new_incidents_audit(first, &fresh))
            .await?;
        counts.inserted = fresh.len() as u64;
    }
    for (n, r) in changed {
        // Retention removed its details: importing it again must not bring them back.
        if r.opt_int("anonymised_at")?.is_some() {
            counts.unchanged += 1;
            continue;
        }
        let same = r.str("category_code")? == n.category.as_str()
            && r.int("occurred_from")? == ts(n.occurred_from)
            && r.int("occurred_to")? == ts(n.occurred_to)
            && r.real("lon")? == n.lon
            && r.real("lat")? == n.lat
            && r.str("description")? == n.description
            && r.opt_str("external_url")? == n.external_url.as_deref()
            && r.opt_str("municipality_code")? == n.municipality_code.as_deref();
        if same {
            counts.unchanged += 1;
            continue;
        }
        let id = r.int("id")?;
        let (wx, wy) = geo::tile::world(n.lon, n.lat);
        tx.execute(
            Sql::new(
                "UPDATE incidents SET category_code = ?, occurred_from = ?, occurred_to = ?, \
                 lon = ?, lat = ?, wx = ?, wy = ?, e = ?, n = ?, description = ?, external_url = ?, \
                 municipality_code = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
            )
            .bind(n.category.as_str())
            .bind(n.occurred_from)
            .bind(n.occurred_to)
            .bind(n.lon)
            .bind(n.lat)
            .bind(wx)
            .bind(wy)
            .bind(n.e)
            .bind(n.n)
            .bind(&n.description)
            .bind(n.external_url.as_deref())
            .bind(n.municipality_code.as_deref())
            .bind(n.created_at)
            .bind(tenant)
            .bind(id),
        )
        .await?;
        let mut entry = audit(n.created_at, None, "incident.update", "incident", id);
        entry.before = Some(
            serde_json::json!({
                "category": r.str("category_code")?,
                "occurred_from": r.int("occurred_from")?,
                "occurred_to": r.int("occurred_to")?,
                "description": text_digest(Some(r.str("description")?)),
            })
            .to_string(),
        );
        entry.after = Some(incident_json(n));
        chain.push(&mut tx, &entry).await?;
        counts.updated += 1;
    }
    tx.commit().await?;
    Ok(counts)
}

pub async fn set_status<B: Backend>(
    s: &SqlStore<B>,
    actor: &Actor,
    id: IncidentId,
    to: IncidentStatus,
    comment: &str,
    duplicate_of: Option<IncidentId>,
    now: Timestamp,
) -> Result<Incident> {
    let mut tx = s.begin().await?;
    // A duplicate names the incident it repeats: one the actor may see, and not itself.
    if let Some(of) = duplicate_of {
        let mut q = Sql::new("SELECT i.id FROM incidents i");
        scope(actor, Purpose::Read, &mut q);
        q.push(" AND i.id = ?").arg(of);
        if of == id || tx.optional(q).await?.is_none() {
            return Err(StoreError::UnknownReference {
                row: 1,
                field: "same_as",
                value: of.to_string(),
            });
        }
    }
    let mut q = Sql::new("SELECT i.status FROM incidents i");
    scope(actor, Purpose::Read, &mut q);
    q.push(" AND i.id = ?").arg(id);
    let row = tx.optional(q).await?.ok_or(StoreError::NotFound {
        what: "incident",
        id: id.to_string(),
    })?;
    let from_s = row.str("status")?;
    let from = parsed(
        "incidents",
        id,
        "status",
        from_s,
        IncidentStatus::parse(from_s),
    )?;
    if !from.can_become(to) {
        return Err(StoreError::InvalidTransition { from, to });
    }
    let mut update = Sql::new("UPDATE incidents SET status = ?, updated_at = ?");
    update.arg(to.as_str()).arg(now);
    if let Some(of) = duplicate_of {
        update.push(", same_as = ?").arg(of);
    }
    update
        .push(" WHERE tenant_id = ? AND id = ?")
        .arg(actor.tenant_id)
        .arg(id);
    tx.execute(update).await?;
    tx.execute(
        Sql::new(
            "INSERT INTO incident_status_log (tenant_id, incident_id, seq, at, user_id, \
             from_status, to_status, comment) \
             SELECT ?, ?, coalesce(max(seq), 0) + 1, ?, ?, ?, ?, ? FROM incident_status_log \
             WHERE tenant_id = ? AND incident_id = ?",
        )
        .bind(actor.tenant_id)
        .bind(id)
        .bind(now)
        .bind(actor.user_id)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(comment)
        .bind(actor.tenant_id)
        .bind(id),
    )
    .await?;
    let mut entry = audit(now, Some(actor.user_id), "incident.status", "incident", id);
    entry.before = Some(serde_json::json!({ "status": from.as_str() }).to_string());
    entry.after = Some(
        match duplicate_of {
            Some(of) => {
                serde_json::json!({ "status": to.as_str(), "comment": comment, "same_as": of })
            }
            None => serde_json::json!({ "status": to.as_str(), "comment": comment }),
        }
        .to_string(),
    );
    log(&mut tx, actor.tenant_id, &entry).await?;
    let row = tx
        .one(
            Sql::new(format!(
                "SELECT {INCIDENT_COLS} FROM {INCIDENT_FROM} WHERE i.tenant_id = ? AND i.id = ?"
            ))
            .bind(actor.tenant_id)
            .bind(id),
        )
        .await?;
    let incident = incident_row(&row)?;
    tx.commit().await?;
    Ok(incident)
}

pub async fn redact<B: Backend>(
    s: &SqlStore<B>,
    actor: &Actor,
    id: IncidentId,
    description: &str,
    place_text: Option<&str>,
    now: Timestamp,
) -> Result<Incident> {
    let not_found = || StoreError::NotFound {
        what: "incident",
        id: id.to_string(),
    };
    let before = super::read::fetch(s, actor, id)
        .await?
        .ok_or_else(not_found)?;
    let mut tx = s.begin().await?;
    tx.execute(
        Sql::new(
            "UPDATE incidents SET description = ?, place_text = ?, updated_at = ? \
             WHERE tenant_id = ? AND id = ?",
        )
        .bind(description)
        .bind(place_text)
        .bind(now)
        .bind(actor.tenant_id)
        .bind(id),
    )
    .await?;
    let mut entry = audit(now, Some(actor.user_id), "incident.redact", "incident", id);
    entry.before = Some(
        serde_json::json!({
            "description": text_digest(Some(&before.description)),
            "place_text": text_digest(before.place_text.as_deref()),
        })
        .to_string(),
    );
    entry.after = Some(
        serde_json::json!({
            "description": text_digest(Some(description)),
            "place_text": text_digest(place_text),
        })
        .to_string(),
    );
    log(&mut tx, actor.tenant_id, &entry).await?;
    tx.commit().await?;
    super::read::fetch(s, actor, id)
        .await?
        .ok_or_else(not_found)
}
