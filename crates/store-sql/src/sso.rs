//! Single sign-on with OpenID Connect: each tenant's provider (its client secret sealed by the
//! service before it reaches the store), the sign-ins under way between their start and the
//! provider's callback (taken once), and which of a provider's subjects is which user.

use crate::SqlStore;
use crate::audit::log;
use crate::exec::{Backend, Row, Sql};
use jiff::Timestamp;
use store::backend::{audit, from_ts, parsed};
use store::{
    OrgId, Result, SSO_LOGIN_TTL, SsoLogin, SsoProvider, StoreError, TenantId, User, UserId,
};

fn pairs_json<T: ToString>(pairs: &[(String, T)]) -> String {
    serde_json::Value::Array(
        pairs
            .iter()
            .map(|(k, v)| serde_json::json!([k, v.to_string()]))
            .collect(),
    )
    .to_string()
}

fn pairs(tenant: TenantId, field: &'static str, text: &str) -> Result<Vec<(String, String)>> {
    let bad = |e: String| StoreError::Backend(format!("sso_providers {tenant} {field}: {e}"));
    let v: Vec<(String, String)> = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
    Ok(v)
}

pub async fn provider<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
) -> Result<Option<SsoProvider>> {
    let Some(r) = s
        .read()
        .await?
        .optional(
            Sql::new(
                "SELECT tenant_id, issuer, client_id, client_secret, role_claim, role_map, \
                 org_claim, org_map, enabled, updated_at FROM sso_providers WHERE tenant_id = ?",
            )
            .bind(tenant),
        )
        .await?
    else {
        return Ok(None);
    };
    let roles = pairs(tenant, "role_map", r.str("role_map")?)?
        .into_iter()
        .map(|(k, v)| {
            let role = parsed(
                "sso_providers",
                tenant,
                "role_map",
                &v,
                model::Role::parse(&v),
            )?;
            Ok((k, role))
        })
        .collect::<Result<Vec<_>>>()?;
    let orgs = pairs(tenant, "org_map", r.str("org_map")?)?
        .into_iter()
        .map(|(k, v)| {
            let id: OrgId = v.parse().map_err(|_| {
                StoreError::Backend(format!("sso_providers {tenant} org_map: {v:?} is no id"))
            })?;
            Ok((k, id))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(SsoProvider {
        tenant_id: tenant,
        issuer: r.text("issuer")?,
        client_id: r.text("client_id")?,
        client_secret: r.text("client_secret")?,
        role_claim: r.text("role_claim")?,
        roles,
        org_claim: r.text("org_claim")?,
        orgs,
        enabled: r.flag("enabled")?,
        updated_at: from_ts("sso_providers", tenant, "updated_at", r.int("updated_at")?)?,
    }))
}

pub async fn set_provider<B: Backend>(
    s: &SqlStore<B>,
    p: &SsoProvider,
    by: Option<UserId>,
) -> Result<()> {
    let (roles, orgs) = (pairs_json(&p.roles), pairs_json(&p.orgs));
    let mut tx = s.begin().await?;
    tx.execute(
        Sql::new(
            "INSERT INTO sso_providers (tenant_id, issuer, client_id, client_secret, role_claim, \
             role_map, org_claim, org_map, enabled, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id) DO UPDATE SET \
             issuer = excluded.issuer, client_id = excluded.client_id, \
             client_secret = excluded.client_secret, role_claim = excluded.role_claim, \
             role_map = excluded.role_map, org_claim = excluded.org_claim, \
             org_map = excluded.org_map, enabled = excluded.enabled, \
             updated_at = excluded.updated_at",
        )
        .bind(p.tenant_id)
        .bind(p.issuer.as_str())
        .bind(p.client_id.as_str())
        .bind(p.client_secret.as_str())
        .bind(p.role_claim.as_str())
        .bind(roles.as_str())
        .bind(p.org_claim.as_str())
        .bind(orgs.as_str())
        .bind(p.enabled)
        .bind(p.updated_at),
    )
    .await?;
    let mut entry = audit(p.updated_at, by, "sso.configure", "tenant", p.tenant_id);
    entry.after = Some(
        serde_json::json!({
            "issuer": p.issuer, "client_id": p.client_id, "role_claim": p.role_claim,
            "roles": serde_json::from_str::<serde_json::Value>(&roles).unwrap_or_default(),
            "org_claim": p.org_claim,
            "orgs": serde_json::from_str::<serde_json::Value>(&orgs).unwrap_or_default(),
            "enabled": p.enabled,
        })
        .to_string(),
    );
    log(&mut tx, p.tenant_id, &entry).await?;
    tx.commit().await
}

pub async fn login_begin<B: Backend>(s: &SqlStore<B>, l: &SsoLogin) -> Result<()> {
    let mut tx = s.begin().await?;
    // Sign-ins past their time go as new ones come: the table holds ten minutes of them.
    tx.execute(
        Sql::new("DELETE FROM sso_logins WHERE created_at < ?").bind(l.created_at - SSO_LOGIN_TTL),
    )
    .await?;
    tx.execute(
        Sql::new(
            "INSERT INTO sso_logins (state_hash, tenant_id, nonce, verifier, return_to, \
                 created_at) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(l.state_hash.as_str())
        .bind(l.tenant_id)
        .bind(l.nonce.as_str())
        .bind(l.verifier.as_str())
        .bind(l.return_to.as_str())
        .bind(l.created_at),
    )
    .await?;
    tx.commit().await
}

pub async fn login_take<B: Backend>(
    s: &SqlStore<B>,
    state_hash: &str,
    now: Timestamp,
) -> Result<Option<SsoLogin>> {
    let mut tx = s.begin().await?;
    // Deleted and returned by one statement: of two servers given the same state, one gets it.
    let row = tx
        .optional(
            Sql::new(
                "DELETE FROM sso_logins WHERE state_hash = ? \
                 RETURNING state_hash, tenant_id, nonce, verifier, return_to, created_at",
            )
            .bind(state_hash),
        )
        .await?;
    let stale = now - SSO_LOGIN_TTL;
    tx.execute(Sql::new("DELETE FROM sso_logins WHERE created_at < ?").bind(stale))
        .await?;
    tx.commit().await?;
    let Some(r) = row else { return Ok(None) };
    let tenant_id = r.int("tenant_id")?;
    let login = SsoLogin {
        state_hash: r.text("state_hash")?,
        tenant_id,
        nonce: r.text("nonce")?,
        verifier: r.text("verifier")?,
        return_to: r.text("return_to")?,
        created_at: from_ts("sso_logins", tenant_id, "created_at", r.int("created_at")?)?,
    };
    Ok((login.created_at >= stale).then_some(login))
}

pub async fn user_by_identity<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    issuer: &str,
    subject: &str,
) -> Result<Option<User>> {
    let id = s
        .read()
        .await?
        .optional(
            Sql::new(
                "SELECT user_id FROM user_identities WHERE tenant_id = ? AND issuer = ? \
                 AND subject = ?",
            )
            .bind(tenant)
            .bind(issuer)
            .bind(subject),
        )
        .await?
        .map(|r| r.int("user_id"))
        .transpose()?;
    match id {
        Some(id) => crate::people::user(s, tenant, id).await,
        None => Ok(None),
    }
}

pub async fn link_identity<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    issuer: &str,
    subject: &str,
    user: UserId,
    at: Timestamp,
) -> Result<()> {
    let mut tx = s.begin().await?;
    tx.execute_unique(
        Sql::new(
            "INSERT INTO user_identities (tenant_id, issuer, subject, user_id, created_at) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(tenant)
        .bind(issuer)
        .bind(subject)
        .bind(user)
        .bind(at),
        "identity",
        subject,
    )
    .await?;
    let mut entry = audit(at, Some(user), "user.identity", "user", user);
    entry.after = Some(serde_json::json!({ "issuer": issuer, "subject": subject }).to_string());
    log(&mut tx, tenant, &entry).await?;
    tx.commit().await
}
