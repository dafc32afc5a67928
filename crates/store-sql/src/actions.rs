//! Actions (åtgärder): planned, owned by an organisation (and optionally a person), moved
//! forward to closed with a note. The record an action comes from must be the tenant's.

use crate::SqlStore;
use crate::audit::log;
use crate::exec::{Backend, Row, Sql};
use jiff::Timestamp;
use store::backend::{action_audit, action_from_parts, audit, parsed, text_digest, ts};
use store::{Action, ActionFilter, NewAction, Result, StoreError, TenantId, UserId};

const ACTION_COLS: &str = "tenant_id, id, title, description, owner_org_id, owner_user_id, \
    area_id, due_on, status, closing_note, created_by, created_at, updated_at, closed_at, \
    buffer_area_id, control_area_id, record_id";

fn action_row(r: &impl Row) -> Result<Action> {
    action_from_parts(
        r.int("tenant_id")?,
        r.int("id")?,
        r.text("title")?,
        r.text("description")?,
        r.int("owner_org_id")?,
        r.opt_int("owner_user_id")?,
        r.opt_int("area_id")?,
        r.str("due_on")?,
        r.str("status")?,
        r.text("closing_note")?,
        r.opt_int("created_by")?,
        r.int("created_at")?,
        r.int("updated_at")?,
        r.opt_int("closed_at")?,
        r.opt_int("buffer_area_id")?,
        r.opt_int("control_area_id")?,
        r.opt_int("record_id")?,
    )
}

fn not_found(id: i64) -> StoreError {
    StoreError::NotFound {
        what: "action",
        id: id.to_string(),
    }
}

pub async fn create<B: Backend>(s: &SqlStore<B>, a: &NewAction) -> Result<Action> {
    let mut tx = s.begin().await?;
    let id = s.next_ids(tx.conn(), "actions", 1).await?;
    let v = &a.action;
    if let Some(r) = v.record_id {
        let found = tx
            .optional(
                Sql::new("SELECT 1 AS found FROM est_records WHERE tenant_id = ? AND id = ?")
                    .bind(a.tenant_id)
                    .bind(r),
            )
            .await?;
        if found.is_none() {
            return Err(StoreError::UnknownReference {
                row: 0,
                field: "record_id",
                value: r.to_string(),
            });
        }
    }
    tx.execute_or(
        Sql::new(
            "INSERT INTO actions (tenant_id, id, title, description, owner_org_id, owner_user_id, \
             area_id, due_on, status, closing_note, created_by, created_at, updated_at, \
             buffer_area_id, control_area_id, record_id) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'planned', '', ?, ?, ?, ?, ?, ?)",
        )
        .bind(a.tenant_id)
        .bind(id)
        .bind(&v.title)
        .bind(v.description.as_str())
        .bind(v.owner_org_id)
        .bind(v.owner_user_id)
        .bind(v.area_id)
        .bind(v.due_on.to_string())
        .bind(a.created_by)
        .bind(a.created_at)
        .bind(a.created_at)
        .bind(v.buffer_area_id)
        .bind(v.control_area_id)
        .bind(v.record_id),
        |e| {
            StoreError::Backend(format!(
                "action {:?}: the organisation {}, person {:?} or area {:?} is not this \
                 municipality's ({e})",
                v.title, v.owner_org_id, v.owner_user_id, v.area_id
            ))
        },
    )
    .await?;
    log(&mut tx, a.tenant_id, &action_audit(id, a)).await?;
    tx.commit().await?;
    get(s, a.tenant_id, id).await?.ok_or_else(|| not_found(id))
}

pub async fn list<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    filter: &ActionFilter,
) -> Result<Vec<Action>> {
    let mut q = Sql::new(format!(
        "SELECT {ACTION_COLS} FROM actions WHERE tenant_id = ?"
    ))
    .bind(tenant);
    if let Some(st) = filter.status {
        q.push(" AND status = ?").arg(st.as_str());
    }
    if let Some(o) = filter.owner_org_id {
        q.push(" AND owner_org_id = ?").arg(o);
    }
    if let Some(u) = filter.owner_user_id {
        q.push(" AND owner_user_id = ?").arg(u);
    }
    if let Some(d) = filter.overdue_on {
        q.push(" AND status IN ('planned', 'in_progress') AND due_on < ?")
            .arg(d.to_string());
    }
    q.push(" ORDER BY due_on, id");
    s.read()
        .await?
        .all(q)
        .await?
        .iter()
        .map(action_row)
        .collect()
}

pub async fn get<B: Backend>(s: &SqlStore<B>, tenant: TenantId, id: i64) -> Result<Option<Action>> {
    s.read()
        .await?
        .optional(
            Sql::new(format!(
                "SELECT {ACTION_COLS} FROM actions WHERE tenant_id = ? AND id = ?"
            ))
            .bind(tenant)
            .bind(id),
        )
        .await?
        .map(|r| action_row(&r))
        .transpose()
}

pub async fn set_status<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    id: i64,
    by: Option<UserId>,
    to: model::ActionStatus,
    note: &str,
    now: Timestamp,
) -> Result<Action> {
    let mut tx = s.begin().await?;
    let row = tx
        .optional(
            Sql::new("SELECT status FROM actions WHERE tenant_id = ? AND id = ?")
                .bind(tenant)
                .bind(id),
        )
        .await?
        .ok_or_else(|| not_found(id))?;
    let from_s = row.str("status")?;
    let from = parsed(
        "actions",
        id,
        "status",
        from_s,
        model::ActionStatus::parse(from_s),
    )?;
    if !from.can_become(to) {
        return Err(StoreError::InvalidActionTransition { from, to });
    }
    let closed = to.is_closed().then_some(ts(now));
    tx.execute(
        Sql::new(
            "UPDATE actions SET status = ?, closing_note = ?, updated_at = ?, closed_at = ? \
             WHERE tenant_id = ? AND id = ?",
        )
        .bind(to.as_str())
        .bind(note.trim())
        .bind(now)
        .bind(closed)
        .bind(tenant)
        .bind(id),
    )
    .await?;
    let mut entry = audit(now, by, "action.status", "action", id);
    entry.before = Some(serde_json::json!({ "status": from.as_str() }).to_string());
    entry.after = Some(
        serde_json::json!({ "status": to.as_str(), "note": text_digest(Some(note.trim())) })
            .to_string(),
    );
    log(&mut tx, tenant, &entry).await?;
    tx.commit().await?;
    get(s, tenant, id).await?.ok_or_else(|| not_found(id))
}
