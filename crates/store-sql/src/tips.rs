//! Citizen tips and Open311 service requests in the moderation queue, and the partner
//! systems' Open311 keys. A tip is moderated once: accepted (its incident stored in the same
//! transaction), merged into an incident of the tenant, or rejected. The audit rows name the
//! tip and what was done, never its text or the tipster's e-mail.

use crate::SqlStore;
use crate::audit::log;
use crate::exec::{Backend, Row, Sql};
use crate::incidents::write::{check_references, insert_one};
use jiff::Timestamp;
use store::backend::{audit, from_ts, parsed, ts};
use store::{
    Moderation, NewOpen311Key, NewTip, Open311Key, Result, StoreError, TenantId, Tip, TipDecision,
    UserId,
};

const TIP_COLS: &str = "tenant_id, id, token, channel, category_code, description, place_text, \
    lon, lat, occurred_at, email, partner_id, redacted, status, incident_id, public_answer, \
    internal_note, created_at, updated_at, moderated_by, moderated_at";

fn tip_row(r: &impl Row) -> Result<Tip> {
    let id = r.int("id")?;
    let time = |f: &'static str| -> Result<Option<Timestamp>> {
        r.opt_int(f)?.map(|v| from_ts("tips", id, f, v)).transpose()
    };
    let cat = r.str("category_code")?;
    let channel = r.str("channel")?;
    let status = r.str("status")?;
    Ok(Tip {
        tenant_id: r.int("tenant_id")?,
        id,
        token: r.text("token")?,
        channel: parsed(
            "tips",
            id,
            "channel",
            channel,
            model::TipChannel::parse(channel),
        )?,
        category: parsed(
            "tips",
            id,
            "category_code",
            cat,
            model::CategoryCode::parse(cat),
        )?,
        description: r.text("description")?,
        place_text: r.text("place_text")?,
        point: match (r.opt_real("lon")?, r.opt_real("lat")?) {
            (Some(lon), Some(lat)) => Some((lon, lat)),
            _ => None,
        },
        occurred_at: time("occurred_at")?,
        email: r.opt_text("email")?,
        partner_id: r.opt_int("partner_id")?,
        redacted: r.int("redacted")?.clamp(0, i64::from(u32::MAX)) as u32,
        status: parsed(
            "tips",
            id,
            "status",
            status,
            model::TipStatus::parse(status),
        )?,
        incident_id: r.opt_int("incident_id")?,
        public_answer: r.text("public_answer")?,
        internal_note: r.text("internal_note")?,
        created_at: from_ts("tips", id, "created_at", r.int("created_at")?)?,
        updated_at: from_ts("tips", id, "updated_at", r.int("updated_at")?)?,
        moderated_by: r.opt_int("moderated_by")?,
        moderated_at: time("moderated_at")?,
    })
}

fn not_found(id: i64) -> StoreError {
    StoreError::NotFound {
        what: "tip",
        id: id.to_string(),
    }
}

pub async fn create<B: Backend>(s: &SqlStore<B>, t: &NewTip) -> Result<Tip> {
    let mut tx = s.begin().await?;
    let id = s.next_ids(tx.conn(), "tips", 1).await?;
    tx.execute_or(
        Sql::new(
            "INSERT INTO tips (tenant_id, id, receipt_hash, token, channel, category_code, \
             description, place_text, lon, lat, occurred_at, email, partner_id, redacted, \
             created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(t.tenant_id)
        .bind(id)
        .bind(t.receipt_hash.as_str())
        .bind(t.token.as_str())
        .bind(t.channel.as_str())
        .bind(t.category.as_str())
        .bind(t.description.as_str())
        .bind(t.place_text.as_str())
        .bind(t.point.map(|p| p.0))
        .bind(t.point.map(|p| p.1))
        .bind(t.occurred_at.map(ts))
        .bind(t.email.as_ref().map(|e| e.to_string()))
        .bind(t.partner_id)
        .bind(i64::from(t.redacted))
        .bind(t.created_at)
        .bind(t.created_at),
        |e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                StoreError::UnknownReference {
                    row: 0,
                    field: "category",
                    value: t.category.to_string(),
                }
            }
            _ => StoreError::Backend(format!("storing a tip: {e}")),
        },
    )
    .await?;
    let mut entry = audit(t.created_at, None, "tip.create", "tip", id);
    entry.after = Some(
        serde_json::json!({
            "channel": t.channel.as_str(),
            "category": t.category.as_str(),
            "partner": t.partner_id,
            "redacted": t.redacted,
            "answer_by_email": t.email.is_some(),
        })
        .to_string(),
    );
    log(&mut tx, t.tenant_id, &entry).await?;
    tx.commit().await?;
    get(s, t.tenant_id, id).await?.ok_or_else(|| not_found(id))
}

async fn one<B: Backend>(s: &SqlStore<B>, q: Sql<'_>) -> Result<Option<Tip>> {
    s.read()
        .await?
        .optional(q)
        .await?
        .map(|r| tip_row(&r))
        .transpose()
}

pub async fn get<B: Backend>(s: &SqlStore<B>, tenant: TenantId, id: i64) -> Result<Option<Tip>> {
    one(
        s,
        Sql::new(format!(
            "SELECT {TIP_COLS} FROM tips WHERE tenant_id = ? AND id = ?"
        ))
        .bind(tenant)
        .bind(id),
    )
    .await
}

pub async fn by_receipt<B: Backend>(s: &SqlStore<B>, hash: &str) -> Result<Option<Tip>> {
    one(
        s,
        Sql::new(format!(
            "SELECT {TIP_COLS} FROM tips WHERE receipt_hash = ?"
        ))
        .bind(hash),
    )
    .await
}

pub async fn by_token<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    token: &str,
) -> Result<Option<Tip>> {
    one(
        s,
        Sql::new(format!(
            "SELECT {TIP_COLS} FROM tips WHERE tenant_id = ? AND token = ?"
        ))
        .bind(tenant)
        .bind(token),
    )
    .await
}

pub async fn list<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    status: Option<model::TipStatus>,
    limit: u32,
) -> Result<Vec<Tip>> {
    let mut q = Sql::new(format!("SELECT {TIP_COLS} FROM tips WHERE tenant_id = ?")).bind(tenant);
    if let Some(st) = status {
        q.push(" AND status = ?").arg(st.as_str());
    }
    q.push(" ORDER BY id DESC LIMIT ?").arg(i64::from(limit));
    s.read().await?.all(q).await?.iter().map(tip_row).collect()
}

pub async fn find<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    f: &store::TipFilter,
) -> Result<Vec<Tip>> {
    let mut q = Sql::new(format!("SELECT {TIP_COLS} FROM tips WHERE tenant_id = ?")).bind(tenant);
    if !f.statuses.is_empty() {
        q.push(&format!(
            " AND status IN ({})",
            Sql::marks(f.statuses.len())
        ));
        for st in &f.statuses {
            q.arg(st.as_str());
        }
    }
    if !f.categories.is_empty() {
        q.push(&format!(
            " AND category_code IN ({})",
            Sql::marks(f.categories.len())
        ));
        for c in &f.categories {
            q.arg(c.as_str());
        }
    }
    if let Some(from) = f.from {
        q.push(" AND created_at >= ?").arg(from);
    }
    if let Some(to) = f.to {
        q.push(" AND created_at <= ?").arg(to);
    }
    q.push(" ORDER BY id DESC LIMIT ?").arg(i64::from(f.limit));
    s.read().await?.all(q).await?.iter().map(tip_row).collect()
}

pub async fn moderate<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    id: i64,
    d: &TipDecision,
) -> Result<Tip> {
    let mut tx = s.begin().await?;
    let row = tx
        .optional(
            Sql::new("SELECT status FROM tips WHERE tenant_id = ? AND id = ?")
                .bind(tenant)
                .bind(id),
        )
        .await?
        .ok_or_else(|| not_found(id))?;
    if row.str("status")? != "new" {
        return Err(StoreError::Conflict {
            what: "moderation of tip",
            value: id.to_string(),
        });
    }
    let (status, incident) = match &d.moderation {
        Moderation::Accept(n) => {
            check_references(&mut tx, tenant, std::slice::from_ref(n.as_ref())).await?;
            let incident = s.next_ids(tx.conn(), "incidents", 1).await?;
            let mut chain = crate::audit::Chain::load(&mut tx, tenant).await?;
            insert_one(&mut tx, Some(&mut chain), tenant, incident, n).await?;
            (model::TipStatus::Accepted, Some(incident))
        }
        Moderation::Merge(incident) => {
            let found = tx
                .optional(
                    Sql::new("SELECT 1 AS found FROM incidents WHERE tenant_id = ? AND id = ?")
                        .bind(tenant)
                        .bind(*incident),
                )
                .await?;
            if found.is_none() {
                return Err(StoreError::UnknownReference {
                    row: 0,
                    field: "incident",
                    value: incident.to_string(),
                });
            }
            (model::TipStatus::Merged, Some(*incident))
        }
        Moderation::Reject => (model::TipStatus::Rejected, None),
    };
    tx.execute(
        Sql::new(
            "UPDATE tips SET status = ?, incident_id = ?, public_answer = ?, internal_note = ?, \
             moderated_by = ?, moderated_at = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
        )
        .bind(status.as_str())
        .bind(incident)
        .bind(d.public_answer.trim())
        .bind(d.internal_note.trim())
        .bind(d.by)
        .bind(d.at)
        .bind(d.at)
        .bind(tenant)
        .bind(id),
    )
    .await?;
    let mut entry = audit(d.at, Some(d.by), "tip.moderate", "tip", id);
    entry.after = Some(
        serde_json::json!({
            "status": status.as_str(),
            "incident": incident,
            "answered": !d.public_answer.trim().is_empty(),
        })
        .to_string(),
    );
    log(&mut tx, tenant, &entry).await?;
    tx.commit().await?;
    get(s, tenant, id).await?.ok_or_else(|| not_found(id))
}

const KEY_COLS: &str = "tenant_id, id, label, created_at, revoked_at";

fn key_row(r: &impl Row) -> Result<Open311Key> {
    let id = r.int("id")?;
    Ok(Open311Key {
        tenant_id: r.int("tenant_id")?,
        id,
        label: r.text("label")?,
        created_at: from_ts("open311_keys", id, "created_at", r.int("created_at")?)?,
        revoked_at: r
            .opt_int("revoked_at")?
            .map(|v| from_ts("open311_keys", id, "revoked_at", v))
            .transpose()?,
    })
}

pub async fn create_key<B: Backend>(s: &SqlStore<B>, k: &NewOpen311Key) -> Result<Open311Key> {
    let mut tx = s.begin().await?;
    let id = s.next_ids(tx.conn(), "open311_keys", 1).await?;
    tx.execute(
        Sql::new(
            "INSERT INTO open311_keys (tenant_id, id, label, key_hash, created_by, created_at) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(k.tenant_id)
        .bind(id)
        .bind(k.label.trim())
        .bind(k.key_hash.as_str())
        .bind(k.created_by)
        .bind(k.created_at),
    )
    .await?;
    let mut entry = audit(
        k.created_at,
        k.created_by,
        "open311_key.create",
        "open311_key",
        id,
    );
    entry.after = Some(serde_json::json!({ "label": k.label.trim() }).to_string());
    log(&mut tx, k.tenant_id, &entry).await?;
    tx.commit().await?;
    Ok(Open311Key {
        tenant_id: k.tenant_id,
        id,
        label: k.label.trim().to_string(),
        created_at: k.created_at,
        revoked_at: None,
    })
}

pub async fn keys<B: Backend>(s: &SqlStore<B>, tenant: TenantId) -> Result<Vec<Open311Key>> {
    s.read()
        .await?
        .all(
            Sql::new(format!(
                "SELECT {KEY_COLS} FROM open311_keys WHERE tenant_id = ? ORDER BY id"
            ))
            .bind(tenant),
        )
        .await?
        .iter()
        .map(key_row)
        .collect()
}

pub async fn key<B: Backend>(s: &SqlStore<B>, hash: &str) -> Result<Option<Open311Key>> {
    s.read()
        .await?
        .optional(
            Sql::new(format!(
                "SELECT {KEY_COLS} FROM open311_keys WHERE key_hash = ? AND revoked_at IS NULL"
            ))
            .bind(hash),
        )
        .await?
        .map(|r| key_row(&r))
        .transpose()
}

pub async fn revoke_key<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    id: i64,
    by: Option<UserId>,
    at: Timestamp,
) -> Result<()> {
    let mut tx = s.begin().await?;
    let n = tx
        .execute(
            Sql::new(
                "UPDATE open311_keys SET revoked_at = ? \
                 WHERE tenant_id = ? AND id = ? AND revoked_at IS NULL",
            )
            .bind(at)
            .bind(tenant)
            .bind(id),
        )
        .await?;
    if n == 0 {
        return Err(StoreError::NotFound {
            what: "open311 key",
            id: id.to_string(),
        });
    }
    log(
        &mut tx,
        tenant,
        &audit(at, by, "open311_key.revoke", "open311_key", id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
