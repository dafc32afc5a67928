//! Moving a municipality between stores (`lagesbild copy`): every row of its tables by
//! `store::copy::TABLES` out, and in under a new tenant id with the id sequences moved past
//! its ids. The audit chain is recomputed by the caller (`store::copy::retenant`).

use crate::SqlStore;
use crate::exec::{Backend, Row, Sql, Value};
use store::copy;
use store::{Result, StoreError, TenantId};

pub async fn export<B: Backend>(s: &SqlStore<B>, tenant: TenantId) -> Result<copy::TenantRows> {
    let mut out = copy::TenantRows::default();
    let mut c = s.read().await?;
    for spec in copy::TABLES {
        let cols: Vec<&str> = spec.columns.iter().map(|(c, _)| *c).collect();
        let rows = c
            .all(
                Sql::new(format!(
                    "SELECT {} FROM {} WHERE {} = ? ORDER BY {}",
                    cols.join(", "),
                    spec.name,
                    spec.tenant_column,
                    spec.order_by
                ))
                .bind(tenant),
            )
            .await?;
        let mut table = copy::TableRows {
            table: spec.name,
            rows: Vec::with_capacity(rows.len()),
        };
        for r in &rows {
            let mut cells = Vec::with_capacity(cols.len());
            for (col, kind) in spec.columns {
                cells.push(match kind {
                    copy::Kind::Int => r.opt_int(col)?.map_or(copy::Cell::Null, copy::Cell::Int),
                    copy::Kind::Real => r.opt_real(col)?.map_or(copy::Cell::Null, copy::Cell::Real),
                    copy::Kind::Text => r.opt_text(col)?.map_or(copy::Cell::Null, copy::Cell::Text),
                    copy::Kind::Bytes => copy::Cell::Bytes(r.bytes(col)?),
                });
            }
            table.rows.push(cells);
        }
        out.tables.push(table);
    }
    Ok(out)
}

pub async fn import<B: Backend>(s: &SqlStore<B>, rows: &copy::TenantRows) -> Result<TenantId> {
    let code = rows
        .table("tenants")
        .and_then(|t| t.rows.first())
        .and_then(|r| match r.get(1) {
            Some(copy::Cell::Text(c)) => Some(c.clone()),
            _ => None,
        })
        .ok_or_else(|| StoreError::Backend("the export has no tenant".into()))?;
    let mut tx = s.begin().await?;
    let id = s.next_ids(tx.conn(), "tenants", 1).await?;
    let rows = copy::retenant(rows, id);
    for spec in copy::TABLES {
        let Some(table) = rows.table(spec.name) else {
            continue;
        };
        let cols: Vec<&str> = spec.columns.iter().map(|(c, _)| *c).collect();
        // As many rows per statement as the bind-parameter limit allows; photos (up to a few
        // megabytes each) one at a time.
        let per = if spec.columns.iter().any(|(_, k)| *k == copy::Kind::Bytes) {
            1
        } else {
            (30_000 / cols.len()).max(1)
        };
        for chunk in table.rows.chunks(per) {
            let one = format!("({})", Sql::marks(cols.len()));
            let mut q = Sql::new(format!(
                "INSERT INTO {} ({}) VALUES {}",
                spec.name,
                cols.join(", "),
                vec![one.as_str(); chunk.len()].join(", ")
            ));
            for row in chunk {
                for (cell, (_, kind)) in row.iter().zip(spec.columns) {
                    // A NULL of the column's type (PostgreSQL checks it).
                    q.arg(match cell {
                        copy::Cell::Null => match kind {
                            copy::Kind::Int => Value::Int(None),
                            copy::Kind::Real => Value::Real(None),
                            copy::Kind::Text => Value::Text(None),
                            copy::Kind::Bytes => Value::Bytes(None),
                        },
                        copy::Cell::Int(v) => Value::Int(Some(*v)),
                        copy::Cell::Real(v) => Value::Real(Some(*v)),
                        copy::Cell::Text(v) => Value::Text(Some(v.as_str().into())),
                        copy::Cell::Bytes(v) => Value::Bytes(Some(v.as_slice().into())),
                    });
                }
            }
            tx.execute_or(q, |e| match &e {
                sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict {
                    what: if spec.name == "users" {
                        "user e-mail address"
                    } else {
                        "tenant"
                    },
                    value: if spec.name == "users" {
                        d.message().to_string()
                    } else {
                        code.clone()
                    },
                },
                _ => StoreError::Backend(format!("copying {}: {e}", spec.name)),
            })
            .await?;
        }
    }
    let greatest = B::GREATEST;
    for (name, max) in rows.max_ids() {
        tx.execute(
            Sql::new(format!(
                "UPDATE sequences SET next = {greatest}(next, ?) WHERE name = ?"
            ))
            .bind(max + 1)
            .bind(name),
        )
        .await?;
    }
    if let Some(shapes) = B::PLACE_SHAPES {
        tx.execute(Sql::new(shapes).bind(id)).await?;
    }
    tx.commit().await?;
    Ok(id)
}
