//! Signing in and staying signed in: sessions, the second factor (TOTP and recovery codes)
//! and API tokens. Sessions and tokens are found by the hash of their secret before the
//! tenant is known (ARCHITECTURE.md, invariant 6).

use crate::SqlStore;
use crate::audit::log;
use crate::exec::{Backend, Row, Sql};
use crate::people::{USER_COLS, user_row};
use jiff::Timestamp;
use store::backend::{audit, from_ts, ts};
use store::{
    ApiToken, NewApiToken, NewSession, Result, Session, SessionStage, StoreError, TenantId,
    TotpState, User, UserId,
};

pub async fn create<B: Backend>(s: &SqlStore<B>, n: &NewSession) -> Result<()> {
    s.write()
        .await?
        .execute(
            Sql::new(
                "INSERT INTO sessions (token_hash, tenant_id, user_id, csrf_token, created_at, \
                 expires_at, last_seen_at, stage) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&n.token_hash)
            .bind(n.tenant_id)
            .bind(n.user_id)
            .bind(&n.csrf_token)
            .bind(n.created_at)
            .bind(n.expires_at)
            .bind(n.created_at)
            .bind(n.stage.as_str()),
        )
        .await?;
    Ok(())
}

pub async fn get<B: Backend>(
    s: &SqlStore<B>,
    token_hash: &str,
    now: Timestamp,
) -> Result<Option<(Session, User)>> {
    let row = s
        .read()
        .await?
        .optional(
            Sql::new(format!(
                "SELECT {USER_COLS}, s.csrf_token, s.created_at, s.expires_at, s.last_seen_at, \
                 s.stage, s.pending_secret FROM sessions s \
                 JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id \
                 JOIN organisations o ON o.tenant_id = u.tenant_id AND o.id = u.org_id \
                 WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0"
            ))
            .bind(token_hash)
            .bind(ts(now)),
        )
        .await?;
    let Some(r) = row else { return Ok(None) };
    let user = user_row(&r)?;
    let stage = r.str("stage")?;
    let at = |field: &'static str| -> Result<Timestamp> {
        from_ts("sessions", user.id, field, r.int(field)?)
    };
    let session = Session {
        stage: SessionStage::parse(stage).ok_or_else(|| StoreError::Corrupt {
            table: "sessions",
            id: user.id.to_string(),
            field: "stage",
            value: stage.to_string(),
        })?,
        pending_secret: r.opt_text("pending_secret")?,
        csrf_token: r.text("csrf_token")?,
        created_at: at("created_at")?,
        expires_at: at("expires_at")?,
        last_seen_at: at("last_seen_at")?,
    };
    Ok(Some((session, user)))
}

pub async fn delete<B: Backend>(s: &SqlStore<B>, token_hash: &str) -> Result<()> {
    s.write()
        .await?
        .execute(Sql::new("DELETE FROM sessions WHERE token_hash = ?").bind(token_hash))
        .await?;
    Ok(())
}

pub async fn touch<B: Backend>(s: &SqlStore<B>, token_hash: &str, now: Timestamp) -> Result<()> {
    s.write()
        .await?
        .execute(
            Sql::new("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?")
                .bind(now)
                .bind(token_hash),
        )
        .await?;
    Ok(())
}

pub async fn delete_for_user<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    user: UserId,
) -> Result<u64> {
    s.write()
        .await?
        .execute(
            Sql::new("DELETE FROM sessions WHERE tenant_id = ? AND user_id = ?")
                .bind(tenant)
                .bind(user),
        )
        .await
}

pub async fn set_stage<B: Backend>(
    s: &SqlStore<B>,
    token_hash: &str,
    stage: SessionStage,
    pending_secret: Option<&str>,
) -> Result<()> {
    s.write()
        .await?
        .execute(
            Sql::new("UPDATE sessions SET stage = ?, pending_secret = ? WHERE token_hash = ?")
                .bind(stage.as_str())
                .bind(pending_secret)
                .bind(token_hash),
        )
        .await?;
    Ok(())
}

fn hashes_of(user: UserId, h: Option<&str>) -> Result<Vec<String>> {
    match h {
        None => Ok(vec![]),
        Some(h) => serde_json::from_str(h).map_err(|_| StoreError::Corrupt {
            table: "users",
            id: user.to_string(),
            field: "recovery_hashes",
            value: h.to_string(),
        }),
    }
}

fn hashes_json(h: &[String]) -> Result<String> {
    serde_json::to_string(h).map_err(|e| StoreError::Backend(e.to_string()))
}

pub async fn totp<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    user: UserId,
) -> Result<Option<TotpState>> {
    let row = s
        .read()
        .await?
        .optional(
            Sql::new(
                "SELECT totp_secret, totp_last_step, recovery_hashes FROM users \
                 WHERE tenant_id = ? AND id = ?",
            )
            .bind(tenant)
            .bind(user),
        )
        .await?;
    let Some(r) = row else { return Ok(None) };
    let Some(secret) = r.opt_text("totp_secret")? else {
        return Ok(None);
    };
    Ok(Some(TotpState {
        secret,
        last_step: r.opt_int("totp_last_step")?,
        recovery_hashes: hashes_of(user, r.opt_str("recovery_hashes")?)?,
    }))
}

pub async fn enable_totp<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    user: UserId,
    state: &TotpState,
) -> Result<()> {
    let mut tx = s.begin().await?;
    tx.execute(
        Sql::new(
            "UPDATE users SET totp_secret = ?, totp_last_step = ?, recovery_hashes = ? \
             WHERE tenant_id = ? AND id = ?",
        )
        .bind(&state.secret)
        .bind(state.last_step)
        .bind(hashes_json(&state.recovery_hashes)?)
        .bind(tenant)
        .bind(user),
    )
    .await?;
    let entry = audit(
        Timestamp::now(),
        Some(user),
        "user.mfa_enabled",
        "user",
        user,
    );
    log(&mut tx, tenant, &entry).await?;
    tx.commit().await
}

pub async fn totp_used<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    user: UserId,
    step: i64,
) -> Result<()> {
    s.write()
        .await?
        .execute(
            Sql::new("UPDATE users SET totp_last_step = ? WHERE tenant_id = ? AND id = ?")
                .bind(step)
                .bind(tenant)
                .bind(user),
        )
        .await?;
    Ok(())
}

pub async fn use_recovery_code<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    user: UserId,
    hash: &str,
) -> Result<bool> {
    let mut tx = s.begin().await?;
    let current = tx
        .optional(
            Sql::new("SELECT recovery_hashes FROM users WHERE tenant_id = ? AND id = ?")
                .bind(tenant)
                .bind(user),
        )
        .await?;
    let mut hashes: Vec<String> = match &current {
        Some(r) => r
            .opt_str("recovery_hashes")?
            .and_then(|h| serde_json::from_str(h).ok())
            .unwrap_or_default(),
        None => vec![],
    };
    let Some(pos) = hashes.iter().position(|h| h == hash) else {
        return Ok(false);
    };
    hashes.remove(pos);
    tx.execute(
        Sql::new("UPDATE users SET recovery_hashes = ? WHERE tenant_id = ? AND id = ?")
            .bind(hashes_json(&hashes)?)
            .bind(tenant)
            .bind(user),
    )
    .await?;
    let mut entry = audit(
        Timestamp::now(),
        Some(user),
        "user.recovery_code_used",
        "user",
        user,
    );
    entry.after = Some(serde_json::json!({ "remaining": hashes.len() }).to_string());
    log(&mut tx, tenant, &entry).await?;
    tx.commit().await?;
    Ok(true)
}

pub async fn reset_totp<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    user: UserId,
    by: Option<UserId>,
) -> Result<()> {
    let mut tx = s.begin().await?;
    tx.execute(
        Sql::new(
            "UPDATE users SET totp_secret = NULL, totp_last_step = NULL, recovery_hashes = NULL \
             WHERE tenant_id = ? AND id = ?",
        )
        .bind(tenant)
        .bind(user),
    )
    .await?;
    // Tokens were made while the second factor was set up; with it gone they go too.
    end_tokens(&mut tx, tenant, user).await?;
    log(
        &mut tx,
        tenant,
        &audit(Timestamp::now(), by, "user.mfa_reset", "user", user),
    )
    .await?;
    tx.commit().await
}

pub async fn create_token<B: Backend>(s: &SqlStore<B>, t: &NewApiToken) -> Result<()> {
    let mut tx = s.begin().await?;
    tx.execute_unique(
        Sql::new(
            "INSERT INTO api_tokens (token_hash, tenant_id, user_id, label, created_at, expires_at) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&t.token_hash)
        .bind(t.tenant_id)
        .bind(t.user_id)
        .bind(&t.label)
        .bind(t.created_at)
        .bind(t.expires_at),
        "api token",
        &t.label,
    )
    .await?;
    let mut entry = audit(t.created_at, t.by, "token.create", "user", t.user_id);
    entry.after = Some(
        serde_json::json!({
            "label": t.label,
            "id": &t.token_hash[..ApiToken::ID_LEN.min(t.token_hash.len())],
            "expires_at": t.expires_at.to_string(),
        })
        .to_string(),
    );
    log(&mut tx, t.tenant_id, &entry).await?;
    tx.commit().await
}

pub async fn token_user<B: Backend>(
    s: &SqlStore<B>,
    token_hash: &str,
    now: Timestamp,
) -> Result<Option<User>> {
    let user = s
        .read()
        .await?
        .optional(
            Sql::new(format!(
                "SELECT {USER_COLS}, t.last_used_at FROM api_tokens t JOIN users u \
                 ON u.tenant_id = t.tenant_id AND u.id = t.user_id JOIN organisations o \
                 ON o.tenant_id = u.tenant_id AND o.id = u.org_id \
                 WHERE t.token_hash = ? AND t.expires_at > ? AND u.disabled = 0"
            ))
            .bind(token_hash)
            .bind(now),
        )
        .await?;
    let Some(r) = user else { return Ok(None) };
    // Its use, for its owner to see; at most once a minute, so scripts do not write per call.
    if r.opt_int("last_used_at")?.is_none_or(|t| t < ts(now) - 60) {
        s.write()
            .await?
            .execute(
                Sql::new("UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?")
                    .bind(now)
                    .bind(token_hash),
            )
            .await?;
    }
    user_row(&r).map(Some)
}

pub async fn tokens<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    user: Option<UserId>,
) -> Result<Vec<ApiToken>> {
    let mut q = Sql::new(
        "SELECT t.token_hash, t.user_id, u.display_name, t.label, t.created_at, t.expires_at, \
         t.last_used_at FROM api_tokens t JOIN users u ON u.tenant_id = t.tenant_id \
         AND u.id = t.user_id WHERE t.tenant_id = ?",
    )
    .bind(tenant);
    if let Some(u) = user {
        q.push(" AND t.user_id = ?").arg(u);
    }
    q.push(" ORDER BY t.created_at DESC, t.token_hash");
    s.read()
        .await?
        .all(q)
        .await?
        .iter()
        .map(|r| {
            let user_id = r.int("user_id")?;
            let at = |f: &'static str| from_ts("api_tokens", user_id, f, r.int(f)?);
            Ok(ApiToken {
                id: r
                    .str("token_hash")?
                    .chars()
                    .take(ApiToken::ID_LEN)
                    .collect(),
                user_id,
                user_name: r.text("display_name")?,
                label: r.text("label")?,
                created_at: at("created_at")?,
                expires_at: at("expires_at")?,
                last_used_at: r
                    .opt_int("last_used_at")?
                    .map(|v| from_ts("api_tokens", user_id, "last_used_at", v))
                    .transpose()?,
            })
        })
        .collect()
}

pub async fn revoke_token<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    id: &str,
    user: Option<UserId>,
    by: Option<UserId>,
) -> Result<()> {
    let not_found = || StoreError::NotFound {
        what: "api token",
        id: id.to_string(),
    };
    // An id is the hash's first hex digits, nothing else (no LIKE patterns from outside).
    if id.len() != ApiToken::ID_LEN || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(not_found());
    }
    let mut tx = s.begin().await?;
    let mut q = Sql::new(
        "SELECT token_hash, user_id, label FROM api_tokens WHERE tenant_id = ? \
         AND substr(token_hash, 1, 12) = ?",
    )
    .bind(tenant)
    .bind(id.to_ascii_lowercase());
    if let Some(u) = user {
        q.push(" AND user_id = ?").arg(u);
    }
    let rows = tx.all(q).await?;
    let [r] = rows.as_slice() else {
        return Err(not_found());
    };
    tx.execute(Sql::new("DELETE FROM api_tokens WHERE token_hash = ?").bind(r.str("token_hash")?))
        .await?;
    let mut entry = audit(
        Timestamp::now(),
        by,
        "token.revoke",
        "user",
        r.int("user_id")?,
    );
    entry.before = Some(serde_json::json!({ "label": r.str("label")?, "id": id }).to_string());
    log(&mut tx, tenant, &entry).await?;
    tx.commit().await
}

/// Ends every API token of a user, in the caller's transaction (a password change or reset,
/// a disabled account, a new role, a reset second factor); how many there were.
pub async fn end_tokens<B: Backend>(
    tx: &mut crate::Tx<B>,
    tenant: TenantId,
    user: UserId,
) -> Result<u64> {
    tx.execute(
        Sql::new("DELETE FROM api_tokens WHERE tenant_id = ? AND user_id = ?")
            .bind(tenant)
            .bind(user),
    )
    .await
}

/// Every user's stored TOTP secret, as stored (sealed or not).
pub async fn totp_secrets<B: Backend>(s: &SqlStore<B>) -> Result<Vec<(TenantId, UserId, String)>> {
    let rows = s
        .read()
        .await?
        .all(Sql::new(
            "SELECT tenant_id, id, totp_secret FROM users WHERE totp_secret IS NOT NULL \
             ORDER BY tenant_id, id",
        ))
        .await?;
    rows.iter()
        .map(|r| Ok((r.int("tenant_id")?, r.int("id")?, r.text("totp_secret")?)))
        .collect()
}

/// Replaces a user's stored TOTP secret by `new` if it is still `old` (the same secret, now
/// sealed); whether it did.
pub async fn replace_totp_secret<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    user: UserId,
    old: &str,
    new: &str,
) -> Result<bool> {
    let n = s
        .write()
        .await?
        .execute(
            Sql::new(
                "UPDATE users SET totp_secret = ? WHERE tenant_id = ? AND id = ? AND totp_secret = ?",
            )
            .bind(new)
            .bind(tenant)
            .bind(user)
            .bind(old),
        )
        .await?;
    Ok(n == 1)
}
