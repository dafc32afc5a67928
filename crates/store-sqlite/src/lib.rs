//! Embedded SQLite backend of the Lägesbild store: the shared SQL of `store-sql` run by
//! sqlx's SQLite driver, and what is SQLite's own — opening the file, its migrations, the
//! world positions of old rows, area statistics from `incident_areas`, tiles read by the
//! world-position index and encoded in Rust.
//!
//! One file, WAL journal, `synchronous=FULL` (an acknowledged write survives a power cut),
//! foreign keys on. Writes go through a pool of one connection so that transactions never race
//! for the write lock; reads use a pool of several connections.
#![forbid(unsafe_code)]

mod open;
mod own;

use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{Sqlite, SqliteConnection};
use store::{Actor, IncidentFilter, PlaceId, Result, StoreError, TenantId};
use store_sql::{Backend, ByName, Sql, backend, bound};

/// The SQLite store.
pub type SqliteStore = store_sql::SqlStore<SqliteDb>;

/// An SQLite database file: one writer connection and a pool of readers.
#[derive(Clone)]
pub struct SqliteDb {
    read: SqlitePool,
    write: SqlitePool,
    path: String,
}

impl SqliteDb {
    /// A consistent copy of the whole database in a new file at `to`, taken while the server
    /// keeps serving: `VACUUM INTO` reads one snapshot (a read transaction; writers go on in
    /// the WAL) and writes it compacted. The file must not exist.
    pub async fn backup_into(&self, to: &std::path::Path) -> Result<()> {
        if to.exists() {
            return Err(StoreError::Conflict {
                what: "backup file",
                value: to.display().to_string(),
            });
        }
        let target = to.to_str().ok_or_else(|| {
            StoreError::Backend(format!("backup path {} is not UTF-8", to.display()))
        })?;
        sqlx::query("VACUUM INTO ?")
            .bind(target)
            .execute(&self.read)
            .await
            .map_err(|e| {
                StoreError::Backend(format!("backing up {} to {target}: {e}", self.path))
            })?;
        Ok(())
    }

    /// SQLite's own check of every page and index: the problems it finds, none when whole.
    pub async fn integrity_problems(&self) -> Result<Vec<String>> {
        let rows: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&self.read)
            .await
            .map_err(backend)?;
        Ok(rows.into_iter().filter(|r| r != "ok").collect())
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

impl Backend for SqliteDb {
    type Db = Sqlite;
    type Row = ByName<SqliteRow>;

    async fn open(location: &str) -> Result<Self> {
        open::open(location).await
    }

    fn describe(&self) -> String {
        format!("SQLite {}", self.path)
    }

    fn readers(&self) -> &SqlitePool {
        &self.read
    }

    /// The one writer: a read right after a write from it never waits for a reader.
    fn writers(&self) -> &SqlitePool {
        &self.write
    }

    const BEGIN: &'static str = "BEGIN IMMEDIATE";

    async fn fetch_all<'a>(
        c: &'a mut SqliteConnection,
        q: Sql<'a>,
    ) -> sqlx::Result<Vec<ByName<SqliteRow>>> {
        Ok(bound(&q.text, &q.args)
            .fetch_all(c)
            .await?
            .into_iter()
            .map(ByName)
            .collect())
    }

    async fn fetch_optional<'a>(
        c: &'a mut SqliteConnection,
        q: Sql<'a>,
    ) -> sqlx::Result<Option<ByName<SqliteRow>>> {
        Ok(bound(&q.text, &q.args).fetch_optional(c).await?.map(ByName))
    }

    async fn execute<'a>(c: &'a mut SqliteConnection, q: Sql<'a>) -> sqlx::Result<u64> {
        Ok(bound(&q.text, &q.args).execute(c).await?.rows_affected())
    }

    async fn next_ids<'a>(
        &'a self,
        tx: &'a mut SqliteConnection,
        name: &'a str,
        count: i64,
    ) -> Result<i64> {
        let next: i64 = sqlx::query_scalar(
            "UPDATE sequences SET next = next + ? WHERE name = ? RETURNING next",
        )
        .bind(count)
        .bind(name)
        .fetch_one(tx)
        .await
        .map_err(backend)?;
        Ok(next - count)
    }

    /// One writer connection: a write transaction is the chain's only writer already.
    async fn lock_chain(_tx: &mut SqliteConnection, _tenant: TenantId) -> Result<()> {
        Ok(())
    }

    const GREATEST: &'static str = "MAX";

    fn points_json(inner: &str) -> String {
        // Reals printed with 17 significant digits read back exactly; the aggregate keeps
        // the subquery's order.
        format!(
            "SELECT json_group_array(json_array(id, category_code, occurred_from, occurred_to, \
             printf('%!.17g', lon), printf('%!.17g', lat), printf('%!.17g', e), printf('%!.17g', n), \
             precision, status, municipality_code)) AS points FROM ({inner})"
        )
    }

    const PLACE_SHAPES: Option<&'static str> = None;

    async fn area_counts<'a>(
        &'a self,
        actor: &'a Actor,
        filter: &'a IncidentFilter,
    ) -> Result<Vec<(PlaceId, u64)>> {
        own::area_counts(self, actor, filter).await
    }

    async fn make_tile<'a>(
        &'a self,
        actor: &'a Actor,
        filter: &'a IncidentFilter,
        tile: geo::tile::TileId,
    ) -> Result<Vec<u8>> {
        own::make_tile(self, actor, filter, tile).await
    }
}
