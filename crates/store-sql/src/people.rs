//! Organisations and users: creating and changing them, and the credentials a sign-in
//! checks. A user's row names its organisation.

use crate::SqlStore;
use crate::audit::log;
use crate::exec::{Backend, Row, Sql};
use jiff::Timestamp;
use model::{Email, Role};
use store::backend::{audit, parsed};
use store::{
    NewOrganisation, NewUser, OrgId, Organisation, Result, StoreError, TenantId, User, UserChanges,
    UserId, sort_swedish,
};

/// A user's columns (with its organisation's name and whether it has a second factor) over
/// `USER_FROM` or another join with aliases `u` and `o`.
pub const USER_COLS: &str = "u.tenant_id, u.id, u.org_id, o.name AS org_name, u.email, \
    u.display_name, u.role, u.disabled, CASE WHEN u.totp_secret IS NULL THEN 0 ELSE 1 END AS mfa";
pub const USER_FROM: &str =
    "users u JOIN organisations o ON o.tenant_id = u.tenant_id AND o.id = u.org_id";

pub fn user_row(r: &impl Row) -> Result<User> {
    let id = r.int("id")?;
    let email = r.str("email")?;
    let role = r.str("role")?;
    Ok(User {
        tenant_id: r.int("tenant_id")?,
        id,
        org_id: r.int("org_id")?,
        org_name: r.text("org_name")?,
        email: parsed("users", id, "email", email, Email::parse(email))?,
        display_name: r.text("display_name")?,
        role: parsed("users", id, "role", role, Role::parse(role))?,
        disabled: r.flag("disabled")?,
        mfa_enabled: r.flag("mfa")?,
    })
}

fn one_user(tenant: TenantId, id: UserId) -> Sql<'static> {
    Sql::new(format!(
        "SELECT {USER_COLS} FROM {USER_FROM} WHERE u.tenant_id = ? AND u.id = ?"
    ))
    .bind(tenant)
    .bind(id)
}

fn no_user(id: UserId) -> StoreError {
    StoreError::NotFound {
        what: "user",
        id: id.to_string(),
    }
}

pub async fn create_organisation<B: Backend>(
    s: &SqlStore<B>,
    o: &NewOrganisation,
) -> Result<Organisation> {
    let mut tx = s.begin().await?;
    let id = s.next_ids(tx.conn(), "organisations", 1).await?;
    tx.execute_unique(
        Sql::new("INSERT INTO organisations (tenant_id, id, name, kind) VALUES (?, ?, ?, ?)")
            .bind(o.tenant_id)
            .bind(id)
            .bind(&o.name)
            .bind(&o.kind),
        "organisation",
        &o.name,
    )
    .await?;
    let mut entry = audit(
        Timestamp::now(),
        o.by,
        "organisation.create",
        "organisation",
        id,
    );
    entry.after = Some(serde_json::json!({ "name": o.name, "kind": o.kind }).to_string());
    log(&mut tx, o.tenant_id, &entry).await?;
    tx.commit().await?;
    Ok(Organisation {
        tenant_id: o.tenant_id,
        id,
        name: o.name.clone(),
        kind: o.kind.clone(),
    })
}

pub async fn organisations<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
) -> Result<Vec<Organisation>> {
    let mut orgs = s
        .read()
        .await?
        .all(
            Sql::new(
                "SELECT tenant_id, id, name, kind FROM organisations WHERE tenant_id = ? ORDER BY name",
            )
            .bind(tenant),
        )
        .await?
        .iter()
        .map(|r| {
            Ok(Organisation {
                tenant_id: r.int("tenant_id")?,
                id: r.int("id")?,
                name: r.text("name")?,
                kind: r.text("kind")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    sort_swedish(&mut orgs, |o| &o.name);
    Ok(orgs)
}

pub async fn update_organisation<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    id: OrgId,
    name: &str,
    kind: &str,
    by: Option<UserId>,
) -> Result<Organisation> {
    let mut tx = s.begin().await?;
    let before = tx
        .optional(
            Sql::new("SELECT name, kind FROM organisations WHERE tenant_id = ? AND id = ?")
                .bind(tenant)
                .bind(id),
        )
        .await?
        .ok_or(StoreError::NotFound {
            what: "organisation",
            id: id.to_string(),
        })?;
    let (old_name, old_kind) = (before.text("name")?, before.text("kind")?);
    tx.execute_unique(
        Sql::new("UPDATE organisations SET name = ?, kind = ? WHERE tenant_id = ? AND id = ?")
            .bind(name)
            .bind(kind)
            .bind(tenant)
            .bind(id),
        "organisation",
        name,
    )
    .await?;
    let mut entry = audit(
        Timestamp::now(),
        by,
        "organisation.update",
        "organisation",
        id,
    );
    entry.before = Some(serde_json::json!({ "name": old_name, "kind": old_kind }).to_string());
    entry.after = Some(serde_json::json!({ "name": name, "kind": kind }).to_string());
    log(&mut tx, tenant, &entry).await?;
    tx.commit().await?;
    Ok(Organisation {
        tenant_id: tenant,
        id,
        name: name.to_string(),
        kind: kind.to_string(),
    })
}

pub async fn create_user<B: Backend>(s: &SqlStore<B>, u: &NewUser) -> Result<User> {
    let mut tx = s.begin().await?;
    let id = s.next_ids(tx.conn(), "users", 1).await?;
    tx.execute_unique(
        Sql::new(
            "INSERT INTO users (tenant_id, id, org_id, email, display_name, role, password_hash) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(u.tenant_id)
        .bind(id)
        .bind(u.org_id)
        .bind(u.email.as_str())
        .bind(&u.display_name)
        .bind(u.role.as_str())
        .bind(&u.password_hash),
        "user",
        u.email.as_str(),
    )
    .await?;
    let mut entry = audit(Timestamp::now(), u.by, "user.create", "user", id);
    entry.after = Some(
        serde_json::json!({
            "email": u.email.as_str(),
            "display_name": u.display_name,
            "role": u.role.as_str(),
            "org_id": u.org_id,
        })
        .to_string(),
    );
    log(&mut tx, u.tenant_id, &entry).await?;
    let user = user_row(&tx.one(one_user(u.tenant_id, id)).await?)?;
    tx.commit().await?;
    Ok(user)
}

pub async fn user<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    id: UserId,
) -> Result<Option<User>> {
    s.read()
        .await?
        .optional(one_user(tenant, id))
        .await?
        .map(|r| user_row(&r))
        .transpose()
}

pub async fn users<B: Backend>(s: &SqlStore<B>, tenant: TenantId) -> Result<Vec<User>> {
    let mut users = s
        .read()
        .await?
        .all(
            Sql::new(format!(
                "SELECT {USER_COLS} FROM {USER_FROM} WHERE u.tenant_id = ? ORDER BY u.display_name, u.id"
            ))
            .bind(tenant),
        )
        .await?
        .iter()
        .map(user_row)
        .collect::<Result<Vec<_>>>()?;
    sort_swedish(&mut users, |u| &u.display_name);
    Ok(users)
}

pub async fn update_user<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    id: UserId,
    c: &UserChanges,
    by: Option<UserId>,
) -> Result<User> {
    let mut tx = s.begin().await?;
    let before = tx
        .optional(one_user(tenant, id))
        .await?
        .map(|r| user_row(&r))
        .transpose()?
        .ok_or_else(|| no_user(id))?;
    tx.execute(
        Sql::new(
            "UPDATE users SET display_name = ?, org_id = ?, role = ?, disabled = ? \
             WHERE tenant_id = ? AND id = ?",
        )
        .bind(&c.display_name)
        .bind(c.org_id)
        .bind(c.role.as_str())
        .bind(c.disabled)
        .bind(tenant)
        .bind(id),
    )
    .await?;
    if c.disabled {
        tx.execute(
            Sql::new("DELETE FROM sessions WHERE tenant_id = ? AND user_id = ?")
                .bind(tenant)
                .bind(id),
        )
        .await?;
    }
    // A token acts with its owner's role: one made for another role, or for an account
    // since disabled, must not come back.
    if c.disabled || c.role != before.role {
        crate::sessions::end_tokens(&mut tx, tenant, id).await?;
    }
    let after = user_row(&tx.one(one_user(tenant, id)).await?)?;
    let view = |u: &User| {
        serde_json::json!({
            "display_name": u.display_name, "org_id": u.org_id, "role": u.role.as_str(), "disabled": u.disabled
        })
        .to_string()
    };
    let mut entry = audit(Timestamp::now(), by, "user.update", "user", id);
    entry.before = Some(view(&before));
    entry.after = Some(view(&after));
    log(&mut tx, tenant, &entry).await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn set_password<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    id: UserId,
    hash: &str,
    by: Option<UserId>,
) -> Result<()> {
    let mut tx = s.begin().await?;
    let changed = tx
        .execute(
            Sql::new("UPDATE users SET password_hash = ? WHERE tenant_id = ? AND id = ?")
                .bind(hash)
                .bind(tenant)
                .bind(id),
        )
        .await?;
    if changed == 0 {
        return Err(no_user(id));
    }
    tx.execute(
        Sql::new("DELETE FROM sessions WHERE tenant_id = ? AND user_id = ?")
            .bind(tenant)
            .bind(id),
    )
    .await?;
    crate::sessions::end_tokens(&mut tx, tenant, id).await?;
    log(
        &mut tx,
        tenant,
        &audit(Timestamp::now(), by, "user.password", "user", id),
    )
    .await?;
    tx.commit().await
}

/// Whether the user is told by e-mail when someone changes the status of a report they sent.
pub async fn status_emails<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    id: UserId,
) -> Result<bool> {
    let row = s
        .read()
        .await?
        .optional(
            Sql::new("SELECT status_emails FROM users WHERE tenant_id = ? AND id = ?")
                .bind(tenant)
                .bind(id),
        )
        .await?
        .ok_or_else(|| no_user(id))?;
    row.flag("status_emails")
}

pub async fn set_status_emails<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    id: UserId,
    on: bool,
    now: Timestamp,
) -> Result<()> {
    let mut tx = s.begin().await?;
    let changed = tx
        .execute(
            Sql::new("UPDATE users SET status_emails = ? WHERE tenant_id = ? AND id = ?")
                .bind(on)
                .bind(tenant)
                .bind(id),
        )
        .await?;
    if changed == 0 {
        return Err(no_user(id));
    }
    let mut entry = audit(now, Some(id), "user.status_emails", "user", id);
    entry.after = Some(serde_json::json!({ "status_emails": on }).to_string());
    log(&mut tx, tenant, &entry).await?;
    tx.commit().await
}

pub async fn credentials<B: Backend>(
    s: &SqlStore<B>,
    email: &Email,
) -> Result<Option<(User, String)>> {
    s.read()
        .await?
        .optional(
            Sql::new(format!(
                "SELECT {USER_COLS}, u.password_hash FROM {USER_FROM} WHERE u.email = ?"
            ))
            .bind(email.as_str()),
        )
        .await?
        .map(|r| Ok((user_row(&r)?, r.text("password_hash")?)))
        .transpose()
}
