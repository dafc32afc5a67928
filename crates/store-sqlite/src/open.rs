//! Opening an SQLite file: its settings, migrations (`migrations/`), and the world
//! positions of rows stored before migration 0007.

use crate::SqliteDb;
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;
use store::{Result, StoreError};
use store_sql::backend;

/// Opens (creating if needed) the database at `location` — a path, or a `sqlite:` URL — and
/// applies pending migrations.
pub async fn open(location: &str) -> Result<SqliteDb> {
    let path = location
        .strip_prefix("sqlite://")
        .or_else(|| location.strip_prefix("sqlite:"))
        .unwrap_or(location)
        .to_string();
    let opts = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))
        .map_err(backend)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        // 16 MiB of page cache for the writer; the readers' is set below.
        .pragma("cache_size", "-16384")
        .pragma("temp_store", "memory");
    let write = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts.clone())
        .await
        .map_err(backend)?;
    sqlx::migrate!("./migrations")
        .run(&write)
        .await
        .map_err(|e| StoreError::Backend(format!("migrating {path}: {e}")))?;
    fill_world_positions(&write).await?;
    // Readers sort and group in temporary files: a town's tile groups every point it has,
    // and in memory that sort held them all (serve's peak 280 -> 373 MB on a million).
    // 8 MiB of page cache each: an export that reads a million rows fills every reader's
    // cache, and four of 16 MiB took serve's peak to 104 MB (lagesbild-bench-export); the
    // operating system's file cache still holds the database.
    let read = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(
            opts.read_only(true)
                .pragma("temp_store", "file")
                .pragma("cache_size", "-8192"),
        )
        .await
        .map_err(backend)?;
    Ok(SqliteDb { read, write, path })
}

/// World positions (migration 0007) of incidents stored before they were kept, computed
/// by `geo::tile::world` as for new ones, once: the migration leaves a `pending_fills` row,
/// which goes when the last row has its position (a database opens without a table scan).
async fn fill_world_positions(write: &SqlitePool) -> Result<()> {
    let pending = sqlx::query("SELECT 1 FROM pending_fills WHERE what = 'world_positions'")
        .fetch_optional(write)
        .await
        .map_err(backend)?;
    if pending.is_none() {
        return Ok(());
    }
    loop {
        let rows = sqlx::query(
            "SELECT tenant_id, id, lon, lat FROM incidents WHERE wx IS NULL OR wy IS NULL LIMIT 10000",
        )
        .fetch_all(write)
        .await
        .map_err(backend)?;
        if rows.is_empty() {
            sqlx::query("DELETE FROM pending_fills WHERE what = 'world_positions'")
                .execute(write)
                .await
                .map_err(backend)?;
            return Ok(());
        }
        let mut tx = write.begin().await.map_err(backend)?;
        for r in rows {
            let (wx, wy) = geo::tile::world(r.get(2), r.get(3));
            sqlx::query("UPDATE incidents SET wx = ?, wy = ? WHERE tenant_id = ? AND id = ?")
                .bind(wx)
                .bind(wy)
                .bind(r.get::<i64, _>(0))
                .bind(r.get::<i64, _>(1))
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
    }
}
