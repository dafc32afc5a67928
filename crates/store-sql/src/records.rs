//! The EST loop's records (cases, visits, meetings, promises, activities, mobilisation
//! lists) as checked JSON documents in `est_records`, by kind and parent; every change
//! audited with the documents' digests (ARCHITECTURE.md, "The EST loop's records").

use crate::SqlStore;
use crate::audit::log;
use crate::exec::{Backend, Row, Sql};
use jiff::Timestamp;
use store::backend::{parsed, record_audit, record_from_parts};
use store::{NewRecord, Record, Result, StoreError, TenantId, UserId};

const RECORD_COLS: &str =
    "tenant_id, id, kind, parent_id, data, created_by, created_at, updated_at";

fn record_row(r: &impl Row) -> Result<Record> {
    record_from_parts(
        r.int("tenant_id")?,
        r.int("id")?,
        r.str("kind")?,
        r.opt_int("parent_id")?,
        r.str("data")?,
        r.opt_int("created_by")?,
        r.int("created_at")?,
        r.int("updated_at")?,
    )
}

fn not_found(id: i64) -> StoreError {
    StoreError::NotFound {
        what: "record",
        id: id.to_string(),
    }
}

pub async fn create<B: Backend>(s: &SqlStore<B>, r: &NewRecord) -> Result<Record> {
    let mut tx = s.begin().await?;
    if let Some(p) = r.parent_id {
        let found = tx
            .optional(
                Sql::new("SELECT kind FROM est_records WHERE tenant_id = ? AND id = ?")
                    .bind(r.tenant_id)
                    .bind(p),
            )
            .await?
            .map(|row| row.text("kind"))
            .transpose()?;
        if found.as_deref() != r.kind.parent().map(|k| k.as_str()) {
            return Err(StoreError::WrongParent {
                kind: r.kind,
                parent: p,
                found: found.unwrap_or_else(|| "missing record".into()),
            });
        }
    } else if let Some(k) = r.kind.parent() {
        return Err(StoreError::WrongParent {
            kind: r.kind,
            parent: 0,
            found: format!("none; it needs a {k}"),
        });
    }
    let id = s.next_ids(tx.conn(), "est_records", 1).await?;
    let data = r.data.to_string();
    tx.execute(
        Sql::new(
            "INSERT INTO est_records (tenant_id, id, kind, parent_id, data, created_by, \
             created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(r.tenant_id)
        .bind(id)
        .bind(r.kind.as_str())
        .bind(r.parent_id)
        .bind(&data)
        .bind(r.by)
        .bind(r.at)
        .bind(r.at),
    )
    .await?;
    log(
        &mut tx,
        r.tenant_id,
        &record_audit(r.at, r.by, r.kind, id, None, &data),
    )
    .await?;
    tx.commit().await?;
    get(s, r.tenant_id, id).await?.ok_or_else(|| not_found(id))
}

pub async fn update<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    id: i64,
    data: &serde_json::Value,
    by: Option<UserId>,
    at: Timestamp,
) -> Result<Record> {
    let mut tx = s.begin().await?;
    let row = tx
        .optional(
            Sql::new("SELECT kind, data FROM est_records WHERE tenant_id = ? AND id = ?")
                .bind(tenant)
                .bind(id),
        )
        .await?
        .ok_or_else(|| not_found(id))?;
    let kind = row.str("kind")?;
    let kind = parsed(
        "est_records",
        id,
        "kind",
        kind,
        model::RecordKind::parse(kind),
    )?;
    let before = row.text("data")?;
    let after = data.to_string();
    tx.execute(
        Sql::new("UPDATE est_records SET data = ?, updated_at = ? WHERE tenant_id = ? AND id = ?")
            .bind(&after)
            .bind(at)
            .bind(tenant)
            .bind(id),
    )
    .await?;
    log(
        &mut tx,
        tenant,
        &record_audit(at, by, kind, id, Some(&before), &after),
    )
    .await?;
    tx.commit().await?;
    get(s, tenant, id).await?.ok_or_else(|| not_found(id))
}

pub async fn list<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    kind: model::RecordKind,
    parent: Option<i64>,
) -> Result<Vec<Record>> {
    let mut q = Sql::new(format!(
        "SELECT {RECORD_COLS} FROM est_records WHERE tenant_id = ? AND kind = ?"
    ))
    .bind(tenant)
    .bind(kind.as_str());
    if let Some(p) = parent {
        q.push(" AND parent_id = ?").arg(p);
    }
    q.push(" ORDER BY id");
    s.read()
        .await?
        .all(q)
        .await?
        .iter()
        .map(record_row)
        .collect()
}

pub async fn get<B: Backend>(s: &SqlStore<B>, tenant: TenantId, id: i64) -> Result<Option<Record>> {
    s.read()
        .await?
        .optional(
            Sql::new(format!(
                "SELECT {RECORD_COLS} FROM est_records WHERE tenant_id = ? AND id = ?"
            ))
            .bind(tenant)
            .bind(id),
        )
        .await?
        .map(|r| record_row(&r))
        .transpose()
}
