//! Retention (gallring): incidents past their category's period are anonymised (category,
//! month in Swedish time, 500 m cell) or deleted, as the tenant chose, and the run is
//! audited. Running it again changes nothing.

use crate::SqlStore;
use crate::audit::log;
use crate::exec::{Backend, Row, Sql};
use jiff::Timestamp;
use model::{CategoryCode, Precision, RetentionAction};
use store::backend::{audit, from_ts, parsed};
use store::{Result, RetentionReport, StoreError, TenantId};

pub async fn apply<B: Backend>(
    s: &SqlStore<B>,
    tenant: TenantId,
    now: Timestamp,
) -> Result<RetentionReport> {
    let t = crate::tenants::get(s, tenant)
        .await?
        .ok_or(StoreError::NotFound {
            what: "tenant",
            id: tenant.to_string(),
        })?;
    let tz = jiff::tz::TimeZone::get("Europe/Stockholm")
        .map_err(|e| StoreError::Backend(e.to_string()))?;
    let mut report = RetentionReport {
        action: Some(t.retention_action),
        ..Default::default()
    };
    let mut tx = s.begin().await?;
    let mut cats = Vec::new();
    for r in tx
        .all(
            Sql::new(
                "SELECT code, retention_months FROM categories WHERE tenant_id = ? \
                 AND retention_months IS NOT NULL ORDER BY code",
            )
            .bind(tenant),
        )
        .await?
    {
        cats.push((r.text("code")?, r.int("retention_months")?));
    }
    for (code, months) in cats {
        let months = months.clamp(0, 1200);
        let cutoff = now
            .to_zoned(tz.clone())
            .checked_sub(jiff::Span::new().months(months))
            .map_err(|e| StoreError::Backend(format!("retention cutoff for {code}: {e}")))?
            .timestamp();
        let rows = tx
            .all(
                Sql::new(
                    "SELECT id, occurred_from, e, n, precision FROM incidents WHERE tenant_id = ? \
                     AND category_code = ? AND occurred_to < ? AND anonymised_at IS NULL",
                )
                .bind(tenant)
                .bind(code.as_str())
                .bind(cutoff),
            )
            .await?;
        for r in &rows {
            let id = r.int("id")?;
            tx.execute(
                Sql::new("DELETE FROM incident_areas WHERE tenant_id = ? AND incident_id = ?")
                    .bind(tenant)
                    .bind(id),
            )
            .await?;
            // Photos go in both cases: an anonymised incident keeps no picture of the place.
            tx.execute(
                Sql::new("DELETE FROM photos WHERE tenant_id = ? AND incident_id = ?")
                    .bind(tenant)
                    .bind(id),
            )
            .await?;
            tx.execute(
                Sql::new(if t.retention_action == RetentionAction::Anonymise {
                    "UPDATE incident_status_log SET comment = '', user_id = NULL \
                     WHERE tenant_id = ? AND incident_id = ?"
                } else {
                    "DELETE FROM incident_status_log WHERE tenant_id = ? AND incident_id = ?"
                })
                .bind(tenant)
                .bind(id),
            )
            .await?;
            match t.retention_action {
                RetentionAction::Delete => {
                    tx.execute(
                        Sql::new("DELETE FROM incidents WHERE tenant_id = ? AND id = ?")
                            .bind(tenant)
                            .bind(id),
                    )
                    .await?;
                    report.deleted += 1;
                }
                RetentionAction::Anonymise => {
                    let from = from_ts("incidents", id, "occurred_from", r.int("occurred_from")?)?;
                    let month = from
                        .to_zoned(tz.clone())
                        .first_of_month()
                        .and_then(|d| d.start_of_day())
                        .map_err(|e| StoreError::Backend(e.to_string()))?
                        .timestamp();
                    let coarse = r.str("precision")? == Precision::Municipality.as_str();
                    let (e, n) = (r.real("e")?, r.real("n")?);
                    let (ce, cn) = if coarse {
                        (e, n)
                    } else {
                        (
                            (e / 500.0).floor() * 500.0 + 250.0,
                            (n / 500.0).floor() * 500.0 + 250.0,
                        )
                    };
                    let (lon, lat) = geo::from_sweref99tm(geo::Sweref99Tm { e: ce, n: cn });
                    let (wx, wy) = geo::tile::world(lon, lat);
                    let precision = if coarse {
                        Precision::Municipality
                    } else {
                        Precision::Cell
                    };
                    tx.execute(
                        Sql::new(
                            "UPDATE incidents SET occurred_from = ?, occurred_to = ?, e = ?, n = ?, \
                             lon = ?, lat = ?, wx = ?, wy = ?, precision = ?, description = '', \
                             place_text = NULL, place_id = NULL, school_id = NULL, \
                             persons_involved = NULL, user_id = NULL, external_url = NULL, \
                             anonymised_at = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
                        )
                        .bind(month)
                        .bind(month)
                        .bind(ce)
                        .bind(cn)
                        .bind(lon)
                        .bind(lat)
                        .bind(wx)
                        .bind(wy)
                        .bind(precision.as_str())
                        .bind(now)
                        .bind(now)
                        .bind(tenant)
                        .bind(id),
                    )
                    .await?;
                    report.anonymised += 1;
                }
            }
        }
        let category = parsed(
            "categories",
            tenant,
            "code",
            &code,
            CategoryCode::parse(&code),
        )?;
        report
            .categories
            .push((category, months as u32, cutoff, rows.len() as u64));
    }
    let mut entry = audit(now, None, "retention.run", "tenant", tenant);
    entry.after = Some(
        serde_json::json!({
            "action": t.retention_action.as_str(),
            "anonymised": report.anonymised,
            "deleted": report.deleted,
            "categories": report.categories.iter().map(|(c, m, cutoff, n)| serde_json::json!({
                "category": c.as_str(), "months": m, "cutoff": cutoff.to_string(), "incidents": n
            })).collect::<Vec<_>>(),
        })
        .to_string(),
    );
    log(&mut tx, tenant, &entry).await?;
    tx.commit().await?;
    Ok(report)
}
