//! Connecting to PostgreSQL and its migrations (`migrations/`): a database migrated by a
//! newer Lägesbild is refused.

use crate::{PgDb, PgStore};
use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;
use store::{Result, StoreError};
use store_sql::backend;

/// The same server URL with another database (`postgres://…/NAME?…`), for tools and tests
/// that create databases.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..]
        .find('/')
        .map(|i| scheme_end + i)
        .unwrap_or(base.len());
    format!("{}/{name}{query}", &base[..path_start])
}

/// The migrations this binary knows.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Connects without migrating (for `lagesbild migrate --check` and tools).
pub async fn connect(url: &str) -> Result<PgStore> {
    Ok(PgStore::new(connect_db(url).await?))
}

pub(crate) async fn connect_db(url: &str) -> Result<PgDb> {
    let opts = PgConnectOptions::from_str(url)
        .map_err(|e| StoreError::Backend(format!("invalid PostgreSQL URL: {e}")))?;
    let place = format!(
        "{}/{}",
        opts.get_host(),
        opts.get_database().unwrap_or_default()
    );
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(opts)
        .await
        .map_err(|e| StoreError::Backend(format!("connecting to PostgreSQL {place}: {e}")))?;
    Ok(PgDb { pool, place })
}

impl PgDb {
    /// Applies the migrations this binary has and the database lacks; refuses a database that
    /// has migrations this binary does not know. Returns the versions applied.
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        let known: Vec<i64> = MIGRATOR.iter().map(|m| m.version).collect();
        let applied: Vec<i64> = match sqlx::query(
            "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
        )
        .fetch_all(&self.pool)
        .await
        {
            Ok(rows) => rows.iter().map(|r| r.get(0)).collect(),
            // A new database: no migrations table yet.
            Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("42P01") => vec![],
            Err(e) => return Err(backend(e)),
        };
        if let Some(v) = applied.iter().find(|v| !known.contains(v)) {
            return Err(StoreError::Backend(format!(
                "the database {} has schema version {v}, newer than this program knows \
                 (up to {}): use a newer Lägesbild",
                self.place,
                known.last().copied().unwrap_or(0)
            )));
        }
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Backend(format!("migrating {}: {e}", self.place)))?;
        Ok(known.into_iter().filter(|v| !applied.contains(v)).collect())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Runs one administrative statement (e.g. `CREATE DATABASE` for tests and `copy`).
    pub async fn execute_admin(&self, sql: &str) -> Result<()> {
        sqlx::query(sql)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn another_database_on_the_same_server() {
        assert_eq!(
            super::with_database("postgres:///postgres?host=/tmp/pg&user=postgres", "lb"),
            "postgres:///lb?host=/tmp/pg&user=postgres"
        );
        assert_eq!(
            super::with_database("postgres://u:p@db.example:5432/main", "lb"),
            "postgres://u:p@db.example:5432/lb"
        );
        assert_eq!(
            super::with_database("postgres://db", "lb"),
            "postgres://db/lb"
        );
    }
}
