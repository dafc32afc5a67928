//! The audit trail: the end of a tenant's hash chain inside a write transaction, appending to
//! it, and reading it with a filter. Every change made through the store appends its row in
//! the same transaction (ARCHITECTURE.md, invariant 13).

use crate::SqlStore;
use crate::exec::{Backend, Row, Sql, Tx};
use store::backend::{from_ts, ts};
use store::{AuditEntry, AuditFilter, NewAudit, Result, TenantId};

/// The end of a tenant's audit chain inside a write transaction.
#[derive(Clone)]
pub struct Chain {
    tenant: TenantId,
    seq: i64,
    hash: String,
}

impl Chain {
    /// The chain's end, with the transaction its only writer until it ends.
    pub async fn load<B: Backend>(tx: &mut Tx<B>, tenant: TenantId) -> Result<Chain> {
        B::lock_chain(tx.conn(), tenant).await?;
        let row = tx
            .optional(
                Sql::new(
                    "SELECT seq, hash FROM audit_log WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1",
                )
                .bind(tenant),
            )
            .await?;
        Ok(match row {
            Some(r) => Chain {
                tenant,
                seq: r.int("seq")?,
                hash: r.text("hash")?,
            },
            None => Chain {
                tenant,
                seq: 0,
                hash: store::audit::GENESIS.to_string(),
            },
        })
    }

    pub async fn push<B: Backend>(&mut self, tx: &mut Tx<B>, e: &NewAudit) -> Result<AuditEntry> {
        let prev_hash = self.hash.clone();
        self.push_many(tx, std::slice::from_ref(e)).await?;
        Ok(AuditEntry {
            tenant_id: self.tenant,
            seq: self.seq,
            at: e.at,
            user_id: e.user_id,
            user_name: None,
            action: e.action.clone(),
            entity: e.entity.clone(),
            entity_id: e.entity_id.clone(),
            before: e.before.clone(),
            after: e.after.clone(),
            prev_hash,
            hash: self.hash.clone(),
        })
    }

    /// Appends several rows in one statement per 200, each chained to the one before; the
    /// chain's end moves only when the rows are written.
    pub async fn push_many<B: Backend>(
        &mut self,
        tx: &mut Tx<B>,
        entries: &[NewAudit],
    ) -> Result<()> {
        for part in entries.chunks(200) {
            let mut end = self.clone();
            let mut q = Sql::new(format!(
                "INSERT INTO audit_log (tenant_id, seq, at, user_id, action, entity, entity_id, \
                 before_json, after_json, prev_hash, hash) VALUES {}",
                vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; part.len()].join(", ")
            ));
            for e in part {
                let seq = end.seq + 1;
                let hash = store::audit::chain_hash(
                    &end.hash,
                    end.tenant,
                    seq,
                    e.at,
                    e.user_id,
                    &e.action,
                    &e.entity,
                    &e.entity_id,
                    e.before.as_deref(),
                    e.after.as_deref(),
                );
                let prev = std::mem::replace(&mut end.hash, hash.clone());
                end.seq = seq;
                q.arg(end.tenant)
                    .arg(seq)
                    .arg(e.at)
                    .arg(e.user_id)
                    .arg(e.action.as_str())
                    .arg(e.entity.as_str())
                    .arg(e.entity_id.as_str())
                    .arg(e.before.as_deref())
                    .arg(e.after.as_deref())
                    .arg(prev)
                    .arg(hash);
            }
            tx.execute(q).await?;
            *self = end;
        }
        Ok(())
    }
}

/// Appends one row to the tenant's chain in the transaction (the common case of a change
/// with one audit row).
pub async fn log<B: Backend>(tx: &mut Tx<B>, tenant: TenantId, e: &NewAudit) -> Result<AuditEntry> {
    Chain::load(tx, tenant).await?.push(tx, e).await
}

pub async fn append<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    entry: &NewAudit,
) -> Result<AuditEntry> {
    let mut tx = s.begin().await?;
    let e = log(&mut tx, tenant, entry).await?;
    tx.commit().await?;
    Ok(e)
}

pub async fn list<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    f: &AuditFilter,
) -> Result<Vec<AuditEntry>> {
    let mut q = Sql::new(
        "SELECT a.tenant_id, a.seq, a.at, a.user_id, u.display_name, a.action, a.entity, \
         a.entity_id, a.before_json, a.after_json, a.prev_hash, a.hash FROM audit_log a \
         LEFT JOIN users u ON u.tenant_id = a.tenant_id AND u.id = a.user_id WHERE a.tenant_id = ?",
    )
    .bind(tenant);
    if let Some(a) = &f.action {
        q.push(" AND a.action = ?").arg(a);
    }
    if let Some(u) = f.user_id {
        q.push(" AND a.user_id = ?").arg(u);
    }
    if let Some(e) = &f.entity_id {
        q.push(" AND a.entity_id = ?").arg(e);
    }
    if let Some(t) = f.from {
        q.push(" AND a.at >= ?").arg(ts(t));
    }
    if let Some(t) = f.to {
        q.push(" AND a.at < ?").arg(ts(t));
    }
    if let Some(s) = f.after_seq {
        q.push(" AND a.seq > ?").arg(s);
    }
    q.push(if f.ascending {
        " ORDER BY a.seq ASC LIMIT ?"
    } else {
        " ORDER BY a.seq DESC LIMIT ?"
    })
    .arg(i64::from(f.limit.max(1)));
    s.read()
        .await?
        .all(q)
        .await?
        .iter()
        .map(|r| {
            let seq = r.int("seq")?;
            Ok(AuditEntry {
                tenant_id: r.int("tenant_id")?,
                seq,
                at: from_ts("audit_log", seq, "at", r.int("at")?)?,
                user_id: r.opt_int("user_id")?,
                user_name: r.opt_text("display_name")?,
                action: r.text("action")?,
                entity: r.text("entity")?,
                entity_id: r.text("entity_id")?,
                before: r.opt_text("before_json")?,
                after: r.opt_text("after_json")?,
                prev_hash: r.text("prev_hash")?,
                hash: r.text("hash")?,
            })
        })
        .collect()
}
