//! `lagesbild copy`: moves a municipality (tenant) from one store to another — typically from
//! its embedded SQLite file into the shared PostgreSQL database — and proves the copy equal,
//! table by table, by row counts and SHA-256 checksums.

use store::copy::{checksums, retenant};
use store::{NewAudit, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("no municipality with code {0:?} in the source database")]
    NoTenant(String),
    #[error("the source's audit trail is broken at row {seq} ({reason}); repair it before copying")]
    BrokenSource { seq: i64, reason: String },
    #[error("the copy differs from the source in table {table}: {detail}")]
    Differs { table: &'static str, detail: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One table of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Copied {
    pub table: &'static str,
    pub rows: usize,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CopyReport {
    pub tenant_id: i64,
    pub tables: Vec<Copied>,
}

/// Copies tenant `code` from `from` to `to`, where it gets a new tenant id (its audit chain is
/// recomputed for that id and a `tenant.copy` row records the source's chain head).
pub async fn copy_tenant(
    from: &dyn Store,
    to: &dyn Store,
    code: &str,
    now: jiff::Timestamp,
) -> Result<CopyReport, CopyError> {
    let tenant = from
        .tenant_by_code(code)
        .await?
        .ok_or_else(|| CopyError::NoTenant(code.into()))?;
    if let Err(b) = from.verify_audit(tenant.id).await? {
        return Err(CopyError::BrokenSource {
            seq: b.seq,
            reason: b.reason.to_string(),
        });
    }
    let rows = from.export_tenant(tenant.id).await?;
    let id = to.import_tenant(&rows).await?;
    // What arrived must be what left (under the new id, with the chain recomputed for it).
    let expected = checksums(&retenant(&rows, id));
    let arrived = checksums(&to.export_tenant(id).await?);
    for (e, a) in expected.iter().zip(&arrived) {
        if e != a {
            return Err(CopyError::Differs {
                table: e.0,
                detail: format!(
                    "{} rows sha256 {} in the source, {} rows sha256 {} in the copy",
                    e.1, e.2, a.1, a.2
                ),
            });
        }
    }
    if expected.len() != arrived.len() {
        return Err(CopyError::Differs {
            table: "(tables)",
            detail: format!(
                "{} tables in the source, {} in the copy",
                expected.len(),
                arrived.len()
            ),
        });
    }
    let head = rows
        .table("audit_log")
        .and_then(|t| t.rows.last())
        .and_then(|r| match r.get(10) {
            Some(store::copy::Cell::Text(h)) => Some(h.clone()),
            _ => None,
        })
        .unwrap_or_else(|| store::audit::GENESIS.to_string());
    to.append_audit(
        id,
        &NewAudit {
            at: now,
            user_id: None,
            action: "tenant.copy".into(),
            entity: "tenant".into(),
            entity_id: id.to_string(),
            before: None,
            after: Some(
                serde_json::json!({
                    "from": from.describe(),
                    "source_tenant_id": tenant.id,
                    "source_audit_head": head,
                    "tables": expected.iter().map(|(t, n, h)| serde_json::json!({"table": t, "rows": n, "sha256": h})).collect::<Vec<_>>(),
                })
                .to_string(),
            ),
        },
    )
    .await?;
    Ok(CopyReport {
        tenant_id: id,
        tables: expected
            .into_iter()
            .map(|(table, rows, sha256)| Copied {
                table,
                rows,
                sha256,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_municipality_moves_between_stores_and_arrives_whole() {
        let dir = tempfile::tempdir().unwrap();
        let a = store_sqlite::SqliteStore::open(dir.path().join("a.db").to_str().unwrap())
            .await
            .unwrap();
        let b = store_sqlite::SqliteStore::open(dir.path().join("b.db").to_str().unwrap())
            .await
            .unwrap();
        // The target already holds another municipality, so the copy gets a new tenant id.
        store::conformance::fixture(&b, "1984").await;
        let f = store::conformance::fixture(&a, "1960").await;
        let mut batch = Vec::new();
        for h in 0..5 {
            let mut n = store::conformance::incident(
                &f.teacher,
                "trafik",
                &format!("2026-11-20T1{h}:00:00Z"),
            );
            n.description = format!("Händelse {h}: ÅÄÖ åäö");
            batch.push(n);
        }
        a.insert_incidents(f.tenant.id, &batch).await.unwrap();
        let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
        let report = copy_tenant(&a, &b, "1960", now).await.unwrap();
        assert_ne!(report.tenant_id, f.tenant.id);
        let incidents = report
            .tables
            .iter()
            .find(|t| t.table == "incidents")
            .unwrap();
        assert_eq!(incidents.rows, 5);
        // The copy reads like the source: users sign in with the same passwords, lists match.
        let t = b.tenant_by_code("1960").await.unwrap().unwrap();
        assert_eq!(t.id, report.tenant_id);
        let (user, hash) = b.user_credentials(&f.admin.email).await.unwrap().unwrap();
        assert_eq!(user.tenant_id, t.id);
        assert_eq!(
            hash,
            a.user_credentials(&f.admin.email).await.unwrap().unwrap().1
        );
        let actor = |u: &store::User| store::Actor {
            tenant_id: t.id,
            ..u.actor()
        };
        let q = store::IncidentQuery {
            limit: 100,
            ..Default::default()
        };
        let copied = b.list_incidents(&actor(&f.admin), &q).await.unwrap();
        let source = a.list_incidents(&f.admin.actor(), &q).await.unwrap();
        assert_eq!(
            copied
                .iter()
                .map(|i| (i.id, i.description.clone()))
                .collect::<Vec<_>>(),
            source
                .iter()
                .map(|i| (i.id, i.description.clone()))
                .collect::<Vec<_>>()
        );
        // The chain holds under the new id and ends with the copy's own row.
        let rows = b.verify_audit(t.id).await.unwrap().unwrap();
        assert_eq!(
            rows,
            a.verify_audit(f.tenant.id).await.unwrap().unwrap() + 1
        );
        let last = b
            .audit_log(
                t.id,
                &store::AuditFilter {
                    limit: 1,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(last[0].action, "tenant.copy");
        // Copying again is refused, and leaves nothing half-written.
        let again = copy_tenant(&a, &b, "1960", now).await.unwrap_err();
        assert!(again.to_string().contains("1960"), "{again}");
        assert_eq!(b.tenants().await.unwrap().len(), 2);
        assert!(matches!(
            copy_tenant(&a, &b, "0114", now).await.unwrap_err(),
            CopyError::NoTenant(_)
        ));
    }
}
