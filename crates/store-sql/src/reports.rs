//! Reports from the field: one visit's incidents stored together under a report id, a
//! sending repeated with the same key recognised (idempotency), the incidents of a report,
//! and the duplicate hint (incidents of a category near a point and time).

use crate::SqlStore;
use crate::audit::Chain;
use crate::exec::{Backend, Row, Sql, Tx};
use crate::incidents::write::{find_references, insert_many, insert_rows};
use crate::incidents::{INCIDENT_COLS, INCIDENT_FROM, incident_row, scope};
use std::collections::HashMap;
use store::backend::{References, new_incidents_audit};
use store::{
    Actor, Incident, NearbyQuery, NewAudit, NewIncident, NewReport, Purpose, ReportId,
    ReportReceipt, Result, StoreError, TenantId,
};
use tokio::sync::oneshot;

/// The report a user sent with `key` before, and its incidents, as the transaction sees them.
async fn earlier<B: Backend>(
    tx: &mut Tx<B>,
    tenant: TenantId,
    r: &NewReport,
    key: &str,
) -> Result<Option<ReportReceipt>> {
    let Some(row) = tx
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
    let incidents = tx
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

/// Reports waiting for a transaction (group commit). A durable commit costs a flush to disk
/// whatever it holds, and on SQLite every statement is a hop to the writer's thread, so the
/// reports that arrive while one transaction commits are stored together in the next
/// (`store_group`), and every answer waits for the commit that holds it. The first waiter to
/// take the lock leads: it takes up to `GROUP_MAX` of the queue and stores them in a task of
/// its own, so a request that is given up (its client gone) never leaves the others' reports
/// half done.
#[derive(Default)]
pub struct Group {
    queue: std::sync::Mutex<Vec<Waiting>>,
    leader: tokio::sync::Mutex<()>,
}

struct Waiting {
    tenant: TenantId,
    report: NewReport,
    answer: oneshot::Sender<Result<ReportReceipt>>,
}

/// At most this many reports share one transaction (each holds at most 20 incidents).
const GROUP_MAX: usize = 64;

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
    let (answer, mut receipt) = oneshot::channel();
    s.reports
        .queue
        .lock()
        .map_err(|_| StoreError::Backend("the report queue's lock is poisoned".into()))?
        .push(Waiting {
            tenant,
            report: r.clone(),
            answer,
        });
    let gone = || StoreError::Backend("the transaction of a report ended without an answer".into());
    loop {
        let lead = s.reports.leader.lock().await;
        match receipt.try_recv() {
            Ok(done) => return done,
            Err(oneshot::error::TryRecvError::Closed) => return Err(gone()),
            Err(oneshot::error::TryRecvError::Empty) => {}
        }
        let batch: Vec<Waiting> = {
            let mut q =
                s.reports.queue.lock().map_err(|_| {
                    StoreError::Backend("the report queue's lock is poisoned".into())
                })?;
            let n = q.len().min(GROUP_MAX);
            q.drain(..n).collect()
        };
        if batch.is_empty() {
            // Ours is in a transaction a leader that gave up left running.
            drop(lead);
            return receipt.await.map_err(|_| gone())?;
        }
        let store = s.clone();
        // The task ends whatever happens to this request; its lock is held until it has.
        let stored = tokio::spawn(async move { store_group(&store, batch).await });
        let _ = stored.await;
        drop(lead);
        match receipt.try_recv() {
            Ok(done) => return done,
            Err(oneshot::error::TryRecvError::Closed) => return Err(gone()),
            // Ours was behind the 64 taken: lead again.
            Err(oneshot::error::TryRecvError::Empty) => {}
        }
    }
}

/// Stores the reports in one transaction and answers each once the transaction has committed
/// (or with the reason none was stored). What the reports share is done once: their ids are
/// drawn together, each tenant's references looked up and its audit chain's end read once,
/// and (`store_together`) their rows written by one statement per table. When that finds
/// something to say of one report (its key sent before, a reference gone, a refusal of the
/// database), it is undone and each report is stored under a savepoint of its own, so that
/// one report's error undoes only that report. A report undone leaves a gap in the ids.
async fn store_group<B: Backend>(s: &SqlStore<B>, mut batch: Vec<Waiting>) {
    // A tenant's reports side by side: their incidents' ids then follow one another.
    batch.sort_by_key(|w| w.tenant);
    let mut results = Vec::with_capacity(batch.len());
    let committed = async {
        let mut tx = s.begin().await?;
        let mut tenants: HashMap<TenantId, (References, Chain)> = HashMap::new();
        let mut each: Vec<TenantId> = batch.iter().map(|w| w.tenant).collect();
        each.dedup();
        for tenant in each {
            let want = References::of_all(
                batch
                    .iter()
                    .filter(|o| o.tenant == tenant)
                    .flat_map(|o| &o.report.incidents),
            );
            let found = find_references(&mut tx, tenant, &want).await?;
            let chain = Chain::load(&mut tx, tenant).await?;
            tenants.insert(tenant, (found, chain));
        }
        let total: i64 = batch.iter().map(|w| w.report.incidents.len() as i64).sum();
        let mut report_id = s.next_ids(tx.conn(), "reports", batch.len() as i64).await?;
        let mut first = s.next_ids(tx.conn(), "incidents", total).await?;
        let mut ids = Vec::with_capacity(batch.len());
        for w in &batch {
            ids.push(Ids { report_id, first });
            report_id += 1;
            first += w.report.incidents.len() as i64;
        }
        tx.execute(Sql::new("SAVEPOINT reports")).await?;
        let ends: Vec<(TenantId, Chain)> =
            tenants.iter().map(|(t, (_, c))| (*t, c.clone())).collect();
        if let Ok(true) = store_together(&mut tx, &batch, &ids, &mut tenants).await {
            tx.execute(Sql::new("RELEASE SAVEPOINT reports")).await?;
            for (w, id) in batch.iter().zip(&ids) {
                results.push(Ok(ReportReceipt {
                    report_id: id.report_id,
                    incidents: (id.first..id.first + w.report.incidents.len() as i64).collect(),
                    replayed: false,
                }));
            }
            return tx.commit().await;
        }
        tx.execute(Sql::new("ROLLBACK TO SAVEPOINT reports"))
            .await?;
        tx.execute(Sql::new("RELEASE SAVEPOINT reports")).await?;
        for (t, c) in ends {
            if let Some(entry) = tenants.get_mut(&t) {
                entry.1 = c;
            }
        }
        for (w, id) in batch.iter().zip(ids) {
            let (found, chain) = tenants
                .get_mut(&w.tenant)
                .expect("every tenant was entered");
            let before = chain.clone();
            tx.execute(Sql::new("SAVEPOINT report")).await?;
            let mut one = store_one(&mut tx, w.tenant, &w.report, found, chain, id).await;
            if one.is_err() {
                tx.execute(Sql::new("ROLLBACK TO SAVEPOINT report")).await?;
                *chain = before;
            }
            tx.execute(Sql::new("RELEASE SAVEPOINT report")).await?;
            if let (
                Err(StoreError::Conflict {
                    what: "report key", ..
                }),
                Some(key),
            ) = (&one, &w.report.client_key)
            {
                // The same key from another server won the race: answer with its report.
                one = earlier(&mut tx, w.tenant, &w.report, key)
                    .await
                    .and_then(|found| {
                        found.ok_or_else(|| {
                            StoreError::Backend(format!("report key {key:?} vanished"))
                        })
                    });
            }
            results.push(one);
        }
        tx.commit().await
    }
    .await;
    match committed {
        Ok(()) => {
            for (w, r) in batch.into_iter().zip(results) {
                let _ = w.answer.send(r);
            }
        }
        Err(e) => {
            let why = e.to_string();
            for w in batch {
                let _ = w.answer.send(Err(StoreError::Backend(format!(
                    "the report was not stored: {why}"
                ))));
            }
        }
    }
}

/// The reports of a group written together, one statement per table and tenant: `Ok(true)`
/// when all are, `Ok(false)` (nothing to keep) when one of them needs a word of its own —
/// its key was sent before or twice, or a reference it makes is not the tenant's.
async fn store_together<B: Backend>(
    tx: &mut Tx<B>,
    batch: &[Waiting],
    ids: &[Ids],
    tenants: &mut HashMap<TenantId, (References, Chain)>,
) -> Result<bool> {
    let mut start = 0;
    while start < batch.len() {
        let tenant = batch[start].tenant;
        let end = start
            + batch[start..]
                .iter()
                .take_while(|w| w.tenant == tenant)
                .count();
        let (group, group_ids) = (&batch[start..end], &ids[start..end]);
        start = end;
        let (found, chain) = tenants.get_mut(&tenant).expect("every tenant was entered");
        if group
            .iter()
            .any(|w| References::check(&w.report.incidents, found).is_err())
        {
            return Ok(false);
        }
        let mut keys: Vec<&str> = group
            .iter()
            .filter_map(|w| w.report.client_key.as_deref())
            .collect();
        let keyed = keys.len();
        keys.sort_unstable();
        keys.dedup();
        if keys.len() < keyed {
            return Ok(false);
        }
        for part in keys.chunks(200) {
            let mut q = Sql::new(format!(
                "SELECT 1 AS found FROM reports WHERE tenant_id = ? AND client_key IN ({}) LIMIT 1",
                Sql::marks(part.len())
            ))
            .bind(tenant);
            for k in part {
                q.arg(*k);
            }
            if tx.optional(q).await?.is_some() {
                return Ok(false);
            }
        }
        for (part, part_ids) in group.chunks(100).zip(group_ids.chunks(100)) {
            let mut q = Sql::new(format!(
                "INSERT INTO reports (tenant_id, id, user_id, client_key, request_digest, \
                 created_at) VALUES {}",
                vec!["(?, ?, ?, ?, ?, ?)"; part.len()].join(", ")
            ));
            for (w, id) in part.iter().zip(part_ids) {
                q.arg(tenant)
                    .arg(id.report_id)
                    .arg(w.report.user_id)
                    .arg(w.report.client_key.as_deref())
                    .arg(w.report.request_digest.as_str())
                    .arg(w.report.created_at);
            }
            tx.execute(q).await?;
        }
        let incidents: Vec<NewIncident> = group
            .iter()
            .flat_map(|w| w.report.incidents.iter().cloned())
            .collect();
        let first = group_ids[0].first;
        insert_many(tx, tenant, first, &incidents).await?;
        // Each incident's report: the reports' ranges of ids in one CASE.
        for (part, part_ids) in group.chunks(100).zip(group_ids.chunks(100)) {
            let lo = part_ids[0].first;
            let last = part_ids.len() - 1;
            let hi = part_ids[last].first + part[last].report.incidents.len() as i64;
            let mut q = Sql::new("UPDATE incidents SET report_id = CASE");
            for (w, id) in part.iter().zip(part_ids) {
                q.push(" WHEN id < ? THEN ?")
                    .arg(id.first + w.report.incidents.len() as i64)
                    .arg(id.report_id);
            }
            q.push(" END WHERE tenant_id = ? AND id >= ? AND id < ?")
                .arg(tenant)
                .arg(lo)
                .arg(hi);
            tx.execute(q).await?;
        }
        let entries: Vec<NewAudit> = group
            .iter()
            .zip(group_ids)
            .map(|(w, id)| report_audit(id, &w.report))
            .collect();
        chain.push_many(tx, &entries).await?;
    }
    Ok(true)
}

/// The audit entry of a report's incidents, which names the report.
fn report_audit(id: &Ids, r: &NewReport) -> NewAudit {
    let mut entry = new_incidents_audit(id.first, &r.incidents);
    entry.after = entry.after.map(|j| {
        let mut v: serde_json::Value = serde_json::from_str(&j).unwrap_or_default();
        if let Some(o) = v.as_object_mut() {
            o.insert("report_id".into(), id.report_id.into());
        }
        v.to_string()
    });
    entry
}

/// The ids drawn for one report: its own and its first incident's.
struct Ids {
    report_id: ReportId,
    first: i64,
}

/// One report inside the group's transaction: the same key again answered with the report it
/// stored, else the report, its incidents and their audit entry.
async fn store_one<B: Backend>(
    tx: &mut Tx<B>,
    tenant: TenantId,
    r: &NewReport,
    found: &References,
    chain: &mut Chain,
    Ids { report_id, first }: Ids,
) -> Result<ReportReceipt> {
    if let Some(key) = &r.client_key
        && let Some(found) = earlier(tx, tenant, r, key).await?
    {
        return Ok(found);
    }
    let count = r.incidents.len() as i64;
    References::check(&r.incidents, found)?;
    tx.execute_or(
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
    .await?;
    insert_rows(tx, tenant, first, &r.incidents).await?;
    tx.execute(
        Sql::new("UPDATE incidents SET report_id = ? WHERE tenant_id = ? AND id >= ? AND id < ?")
            .bind(report_id)
            .bind(tenant)
            .bind(first)
            .bind(first + count),
    )
    .await?;
    let entry = report_audit(&Ids { report_id, first }, r);
    chain.push(tx, &entry).await?;
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
