//! Tenants (municipalities): creating them and their settings — default visibility, what
//! reporters see, retention, the base map, the SMTP relay.

use crate::SqlStore;
use crate::audit::log;
use crate::exec::{Backend, Row, Sql};
use jiff::Timestamp;
use model::{ReporterView, RetentionAction, Visibility};
use std::collections::HashMap;
use std::sync::Arc;
use store::backend::{audit, parsed, smtp_audit, smtp_from_parts};
use store::{
    Category, NewTenant, Place, Result, StoreError, Tenant, TenantId, TenantSettings, TenantSetup,
    UserId,
};

const TENANT_COLS: &str = "id, code, name, outline_geojson, default_visibility, map_style_url, \
    retention_action, reporter_view";

fn tenant_row(r: &impl Row) -> Result<Tenant> {
    let id = r.int("id")?;
    let vis = r.str("default_visibility")?;
    let action = r.str("retention_action")?;
    let view = r.str("reporter_view")?;
    Ok(Tenant {
        id,
        code: r.text("code")?,
        name: r.text("name")?,
        outline_geojson: r.text("outline_geojson")?,
        default_visibility: parsed(
            "tenants",
            id,
            "default_visibility",
            vis,
            Visibility::parse(vis),
        )?,
        map_style_url: r.opt_text("map_style_url")?,
        retention_action: parsed(
            "tenants",
            id,
            "retention_action",
            action,
            RetentionAction::parse(action),
        )?,
        reporter_view: parsed(
            "tenants",
            id,
            "reporter_view",
            view,
            ReporterView::parse(view),
        )?,
    })
}

fn not_found(id: TenantId) -> StoreError {
    StoreError::NotFound {
        what: "tenant",
        id: id.to_string(),
    }
}

pub async fn create<B: Backend>(s: &SqlStore<B>, t: &NewTenant) -> Result<Tenant> {
    let mut tx = s.begin().await?;
    let id = s.next_ids(tx.conn(), "tenants", 1).await?;
    tx.execute_unique(
        Sql::new("INSERT INTO tenants (id, code, name, outline_geojson) VALUES (?, ?, ?, ?)")
            .bind(id)
            .bind(&t.code)
            .bind(&t.name)
            .bind(&t.outline_geojson),
        "tenant",
        &t.code,
    )
    .await?;
    tx.commit().await?;
    get(s, id).await?.ok_or_else(|| not_found(id))
}

pub async fn get<B: Backend>(s: &SqlStore<B>, id: TenantId) -> Result<Option<Tenant>> {
    // A reader sees every commit made before the read began (a reader's statement is reset
    // when it ends, so it holds no old snapshot), and every report reads its tenant: on
    // SQLite's one writer connection this read waited for the reports' transactions.
    s.read()
        .await?
        .optional(Sql::new(format!("SELECT {TENANT_COLS} FROM tenants WHERE id = ?")).bind(id))
        .await?
        .map(|r| tenant_row(&r))
        .transpose()
}

/// What a store keeps of its tenants' categories and places, each for the set-up version it
/// was read at (`tenants.config_version`, counted up by the database with every change).
#[derive(Default)]
pub struct SetupCache {
    kept: std::sync::Mutex<HashMap<TenantId, Kept>>,
}

struct Kept {
    version: i64,
    categories: Arc<[Category]>,
    places: Arc<[Place]>,
}

/// The tenant, and its categories and places as kept for its version or read again. The
/// version is read before the lists, so what is kept is never older than its version.
pub async fn setup<B: Backend>(s: &SqlStore<B>, id: TenantId) -> Result<Option<TenantSetup>> {
    let Some(row) = s
        .read()
        .await?
        .optional(
            Sql::new(format!(
                "SELECT {TENANT_COLS}, config_version FROM tenants WHERE id = ?"
            ))
            .bind(id),
        )
        .await?
    else {
        return Ok(None);
    };
    let tenant = tenant_row(&row)?;
    let version = row.int("config_version")?;
    let poisoned = || StoreError::Backend("the set-up cache's lock is poisoned".into());
    if let Some(k) = s.setup.kept.lock().map_err(|_| poisoned())?.get(&id)
        && k.version == version
    {
        return Ok(Some(TenantSetup {
            tenant,
            categories: k.categories.clone(),
            places: k.places.clone(),
        }));
    }
    let categories: Arc<[Category]> = crate::places::categories(s, id).await?.into();
    let places: Arc<[Place]> = crate::places::places(s, id).await?.into();
    s.setup.kept.lock().map_err(|_| poisoned())?.insert(
        id,
        Kept {
            version,
            categories: categories.clone(),
            places: places.clone(),
        },
    );
    Ok(Some(TenantSetup {
        tenant,
        categories,
        places,
    }))
}

pub async fn by_code<B: Backend>(s: &SqlStore<B>, code: &str) -> Result<Option<Tenant>> {
    s.read()
        .await?
        .optional(Sql::new(format!("SELECT {TENANT_COLS} FROM tenants WHERE code = ?")).bind(code))
        .await?
        .map(|r| tenant_row(&r))
        .transpose()
}

pub async fn all<B: Backend>(s: &SqlStore<B>) -> Result<Vec<Tenant>> {
    s.read()
        .await?
        .all(Sql::new(format!(
            "SELECT {TENANT_COLS} FROM tenants ORDER BY id"
        )))
        .await?
        .iter()
        .map(tenant_row)
        .collect()
}

pub async fn update_settings<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    st: &TenantSettings,
    by: Option<UserId>,
) -> Result<Tenant> {
    let before = get(s, tenant).await?.ok_or_else(|| not_found(tenant))?;
    let mut tx = s.begin().await?;
    tx.execute(
        Sql::new(
            "UPDATE tenants SET default_visibility = ?, reporter_view = ?, retention_action = ?, \
             map_style_url = ? WHERE id = ?",
        )
        .bind(st.default_visibility.as_str())
        .bind(st.reporter_view.as_str())
        .bind(st.retention_action.as_str())
        .bind(st.map_style_url.as_deref())
        .bind(tenant),
    )
    .await?;
    let view = |v: Visibility, r: ReporterView, a: RetentionAction, m: &Option<String>| {
        serde_json::json!({
            "default_visibility": v.as_str(), "reporter_view": r.as_str(), "retention_action": a.as_str(),
            "map_style_url": m
        })
        .to_string()
    };
    let mut entry = audit(Timestamp::now(), by, "tenant.settings", "tenant", tenant);
    entry.before = Some(view(
        before.default_visibility,
        before.reporter_view,
        before.retention_action,
        &before.map_style_url,
    ));
    entry.after = Some(view(
        st.default_visibility,
        st.reporter_view,
        st.retention_action,
        &st.map_style_url,
    ));
    log(&mut tx, tenant, &entry).await?;
    tx.commit().await?;
    get(s, tenant).await?.ok_or_else(|| not_found(tenant))
}

pub async fn set_retention_action<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    action: RetentionAction,
) -> Result<()> {
    let mut tx = s.begin().await?;
    let before = tx
        .optional(Sql::new("SELECT retention_action FROM tenants WHERE id = ?").bind(tenant))
        .await?
        .ok_or_else(|| not_found(tenant))?
        .text("retention_action")?;
    tx.execute(
        Sql::new("UPDATE tenants SET retention_action = ? WHERE id = ?")
            .bind(action.as_str())
            .bind(tenant),
    )
    .await?;
    let mut entry = audit(Timestamp::now(), None, "tenant.retention", "tenant", tenant);
    entry.before = Some(serde_json::json!({ "retention_action": before }).to_string());
    entry.after = Some(serde_json::json!({ "retention_action": action.as_str() }).to_string());
    log(&mut tx, tenant, &entry).await?;
    tx.commit().await
}

pub async fn set_reporter_view<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    view: ReporterView,
) -> Result<()> {
    let mut tx = s.begin().await?;
    let changed = tx
        .execute(
            Sql::new("UPDATE tenants SET reporter_view = ? WHERE id = ?")
                .bind(view.as_str())
                .bind(tenant),
        )
        .await?;
    if changed == 0 {
        return Err(not_found(tenant));
    }
    let mut entry = audit(
        Timestamp::now(),
        None,
        "tenant.reporter_view",
        "tenant",
        tenant,
    );
    entry.after = Some(serde_json::json!({ "reporter_view": view.as_str() }).to_string());
    log(&mut tx, tenant, &entry).await?;
    tx.commit().await
}

pub async fn smtp<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
) -> Result<Option<model::SmtpSettings>> {
    let r = s
        .read()
        .await?
        .optional(
            Sql::new(
                "SELECT smtp_host, smtp_port, smtp_security, smtp_from, smtp_user FROM tenants \
                 WHERE id = ?",
            )
            .bind(tenant),
        )
        .await?
        .ok_or_else(|| not_found(tenant))?;
    smtp_from_parts(
        tenant,
        r.opt_text("smtp_host")?,
        r.opt_int("smtp_port")?,
        r.opt_text("smtp_security")?,
        r.opt_text("smtp_from")?,
        r.opt_text("smtp_user")?,
    )
}

pub async fn set_smtp<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    smtp: Option<&model::SmtpSettings>,
    by: Option<UserId>,
    at: Timestamp,
) -> Result<()> {
    let mut tx = s.begin().await?;
    let done = tx
        .execute(
            Sql::new(
                "UPDATE tenants SET smtp_host = ?, smtp_port = ?, smtp_security = ?, smtp_from = ?, \
                 smtp_user = ? WHERE id = ?",
            )
            .bind(smtp.map(|s| s.host.as_str()))
            .bind(smtp.map(|s| i64::from(s.port)))
            .bind(smtp.map(|s| s.security.as_str()))
            .bind(smtp.map(|s| s.from.as_str()))
            .bind(smtp.and_then(|s| s.user.as_deref()))
            .bind(tenant),
        )
        .await?;
    if done == 0 {
        return Err(not_found(tenant));
    }
    log(&mut tx, tenant, &smtp_audit(at, by, tenant, smtp)).await?;
    tx.commit().await
}
