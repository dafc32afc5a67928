//! Reports from the field: one visit's incidents stored together under a report id, a
//! sending repeated with the same key recognised (idempotency), the incidents of a report,
//! and the duplicate hint (incidents of a category near a point and time).

use crate::SqlStore;
use crate::audit::Chain;
use crate::exec::{Backend, Row, Sql};
use crate::incidents::write::{check_references, insert_rows};
use crate::incidents::{INCIDENT_COLS, INCIDENT_FROM, incident_row, scope};
use store::backend::new_incidents_audit;
use store::{
    Actor, Incident, NearbyQuery, NewReport, Purpose, ReportId, ReportReceipt, Result, StoreError,
    TenantId,
};

/// The report a user sent with `key` before, and its incidents.
async fn earlier<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    r: &NewReport,
    key: &str,
) -> Result<Option<ReportReceipt>> {
    let mut c = s.fresh().await?;
    let Some(row) = c
        .optional(
            Sql::new(
                "SELECT id, request_digest FROM reports WHERE tenant_id = ? AND user_id = ? \
                 AND client_key = ?",
            )
            .bind(tenant)
            .bind(r.user_id)
            .bind(key),
        )
        .await?
    else {
        return Ok(None);
    };
    if row.str("request_digest")? != r.request_digest {
        return Err(StoreError::Conflict {
            what: "idempotency key",
            value: key.to_string(),
        });
    }
    let id = row.int("id")?;
    let incidents = c
        .all(
            Sql::new("SELECT id FROM incidents WHERE tenant_id = ? AND report_id = ? ORDER BY id")
                .bind(tenant)
                .bind(id),
        )
        .await?
        .iter()
        .map(|r| r.int("id"))
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(ReportReceipt {
        report_id: id,
        incidents,
        replayed: true,
    }))
}

pub async fn submit<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    r: &NewReport,
) -> Result<ReportReceipt> {
    if r.incidents.is_empty() {
        return Err(StoreError::Backend(
            "a report needs at least one incident".into(),
        ));
    }
    if let Some(key) = &r.client_key
        && let Some(found) = earlier(s, tenant, r, key).await?
    {
        return Ok(found);
    }
    let count = r.incidents.len() as i64;
    let mut tx = s.begin().await?;
    check_references(&mut tx, tenant, &r.incidents).await?;
    let report_id = s.next_ids(tx.conn(), "reports", 1).await?;
    let inserted = tx
        .execute_or(
            Sql::new(
                "INSERT INTO reports (tenant_id, id, user_id, client_key, request_digest, \
                 created_at) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(tenant)
            .bind(report_id)
            .bind(r.user_id)
            .bind(r.client_key.as_deref())
            .bind(r.request_digest.as_str())
            .bind(r.created_at),
            |e| match &e {
                sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict {
                    what: "report key",
                    value: r.client_key.clone().unwrap_or_default(),
                },
                _ => crate::exec::backend(e),
            },
        )
        .await;
    if let Err(StoreError::Conflict { .. }) = inserted {
        // The same key from another server or connection won the race: answer with its report.
        drop(tx);
        let key = r.client_key.as_deref().unwrap_or_default();
        return earlier(s, tenant, r, key)
            .await?
            .ok_or_else(|| StoreError::Backend(format!("report key {key:?} vanished")));
    }
    inserted?;
    let first = s.next_ids(tx.conn(), "incidents", count).await?;
    let mut chain = Chain::load(&mut tx, tenant).await?;
    insert_rows(&mut tx, tenant, first, &r.incidents).await?;
    tx.execute(
        Sql::new("UPDATE incidents SET report_id = ? WHERE tenant_id = ? AND id >= ? AND id < ?")
            .bind(report_id)
            .bind(tenant)
            .bind(first)
            .bind(first + count),
    )
    .await?;
    let mut entry = new_incidents_audit(first, &r.incidents);
    entry.after = entry.after.map(|j| {
        let mut v: serde_json::Value = serde_json::from_str(&j).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert("report_id".into(), report_id.into());
        }
        v.to_string()
    });
    chain.push(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(ReportReceipt {
        report_id,
        incidents: (first..first + count).collect(),
        replayed: false,
    })
}

pub async fn incidents<B: Backend>(
    s: &SqlStore<B>,
    actor: &Actor,
    report: ReportId,
) -> Result<Vec<Incident>> {
    let mut q = Sql::new(format!("SELECT {INCIDENT_COLS} FROM {INCIDENT_FROM}"));
    scope(actor, Purpose::Read, &mut q);
    q.push(" AND i.report_id = ? ORDER BY i.id").arg(report);
    s.read()
        .await?
        .all(q)
        .await?
        .iter()
        .map(incident_row)
        .collect()
}

/// The duplicate hint: the category's incidents in the time window, narrowed by the
/// (tenant, category, time) index, then those in a box around the point, then by distance.
pub async fn nearby<B: Backend>(
    s: &SqlStore<B>,
    actor: &Actor,
    n: &NearbyQuery,
) -> Result<Vec<Incident>> {
    let radius = n.radius_m.clamp(0.0, 5_000.0);
    let hours = n.hours.clamp(0, 24 * 31);
    let dlat = radius / 111_000.0;
    let dlon = radius / (111_000.0 * n.lat.to_radians().cos().max(0.01));
    let from = n.at.as_second() - hours * 3600;
    let to = n.at.as_second() + hours * 3600;
    let mut q = Sql::new(format!("SELECT {INCIDENT_COLS} FROM {INCIDENT_FROM}"));
    scope(actor, Purpose::Read, &mut q);
    q.push(
        " AND i.category_code = ? AND i.occurred_from >= ? AND i.occurred_from <= ? \
         AND i.lat BETWEEN ? AND ? AND i.lon BETWEEN ? AND ? \
         AND i.precision <> 'municipality' AND i.status NOT IN ('rejected', 'duplicate') \
         ORDER BY i.occurred_from DESC LIMIT 200",
    )
    .arg(n.category.as_str())
    .arg(from)
    .arg(to)
    .arg(n.lat - dlat)
    .arg(n.lat + dlat)
    .arg(n.lon - dlon)
    .arg(n.lon + dlon);
    let rows = s.read().await?.all(q).await?;
    let mut found: Vec<(f64, Incident)> = rows
        .iter()
        .map(incident_row)
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .map(|i| (geo::metres(n.lon, n.lat, i.lon, i.lat), i))
        .filter(|(d, _)| *d <= radius)
        .collect();
    found.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.id.cmp(&a.1.id)));
    Ok(found
        .into_iter()
        .take(n.limit as usize)
        .map(|(_, i)| i)
        .collect())
}
