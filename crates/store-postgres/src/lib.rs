//! PostgreSQL + PostGIS backend of the Lägesbild store: the shared SQL of `store-sql` run by
//! sqlx's PostgreSQL driver (placeholders numbered), and what is PostgreSQL's own —
//! connecting and migrating (`open`), bulk writes by COPY (`bulk`), area statistics by
//! PostGIS and tiles encoded by `ST_AsMVT` (`own`), the advisory lock on a tenant's chain.
//!
//! Stateless apart from the database: several `serve` processes can share it. Writes run in
//! transactions; the audit chain of a tenant is extended under a transaction-scoped advisory
//! lock on the tenant, so concurrent writers append one after the other.
#![forbid(unsafe_code)]

mod bulk;
mod open;
mod own;

pub use open::{connect, with_database};

use sqlx::postgres::{PgPool, PgRow};
use sqlx::{PgConnection, Postgres};
use store::{Actor, IncidentFilter, IncidentId, NewIncident, PlaceId, Result, TenantId};
use store_sql::{Backend, ByName, Sql, backend, bound};

/// The PostgreSQL store.
pub type PgStore = store_sql::SqlStore<PgDb>;

/// A PostgreSQL database: a pool of connections.
#[derive(Clone)]
pub struct PgDb {
    pool: PgPool,
    /// Where, for logs: host and database, never the password.
    place: String,
}

/// SQL written with `?` placeholders (as for SQLite) with PostgreSQL's `$1, $2, …` instead.
/// None of our statements has a `?` inside a string literal.
pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

impl Backend for PgDb {
    type Db = Postgres;
    type Row = ByName<PgRow>;

    async fn open(url: &str) -> Result<Self> {
        let db = open::connect_db(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    fn describe(&self) -> String {
        format!("PostgreSQL {}", self.place)
    }

    fn readers(&self) -> &PgPool {
        &self.pool
    }

    fn writers(&self) -> &PgPool {
        &self.pool
    }

    const BEGIN: &'static str = "BEGIN";

    async fn fetch_all<'a>(
        c: &'a mut PgConnection,
        q: Sql<'a>,
    ) -> sqlx::Result<Vec<ByName<PgRow>>> {
        let text = numbered(&q.text);
        Ok(bound(&text, &q.args)
            .fetch_all(c)
            .await?
            .into_iter()
            .map(ByName)
            .collect())
    }

    async fn fetch_optional<'a>(
        c: &'a mut PgConnection,
        q: Sql<'a>,
    ) -> sqlx::Result<Option<ByName<PgRow>>> {
        let text = numbered(&q.text);
        Ok(bound(&text, &q.args).fetch_optional(c).await?.map(ByName))
    }

    async fn execute<'a>(c: &'a mut PgConnection, q: Sql<'a>) -> sqlx::Result<u64> {
        let text = numbered(&q.text);
        Ok(bound(&text, &q.args).execute(c).await?.rows_affected())
    }

    /// Takes `count` ids in their own short transaction (not the caller's): concurrent
    /// writers then do not wait for each other's commits on the sequence row. An insert that
    /// is rolled back leaves a gap in the ids, which is harmless.
    async fn next_ids<'a>(
        &'a self,
        _tx: &'a mut PgConnection,
        name: &'a str,
        count: i64,
    ) -> Result<i64> {
        let next: i64 = sqlx::query_scalar(
            "UPDATE sequences SET next = next + $1 WHERE name = $2 RETURNING next",
        )
        .bind(count)
        .bind(name)
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        Ok(next - count)
    }

    /// One writer at a time per tenant's chain, until the transaction ends.
    async fn lock_chain(tx: &mut PgConnection, tenant: TenantId) -> Result<()> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(tenant)
            .execute(tx)
            .await
            .map_err(backend)?;
        Ok(())
    }

    const GREATEST: &'static str = "GREATEST";

    fn points_json(inner: &str) -> String {
        // float8 as text is the shortest form that reads back exactly.
        format!(
            "SELECT COALESCE(json_agg(json_build_array(id, category_code, occurred_from, occurred_to, \
             lon::text, lat::text, e::text, n::text, precision, status, municipality_code) \
             ORDER BY occurred_from DESC, id DESC), '[]')::text AS points FROM ({inner}) p"
        )
    }

    /// The shapes as PostGIS geometry in SWEREF 99 TM (GeoJSON is WGS84), for area
    /// statistics in the database.
    const PLACE_SHAPES: Option<&'static str> = Some(
        "UPDATE places SET geom = \
         ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(geometry_geojson), 4326), 3006) \
         WHERE tenant_id = ?",
    );

    async fn insert_bulk<'a>(
        tx: &'a mut PgConnection,
        tenant: TenantId,
        first: IncidentId,
        incidents: &'a [NewIncident],
    ) -> Result<bool> {
        // COPY writes the columns imports have; a reporter's "same as" goes row by row.
        if incidents.iter().any(|n| n.same_as.is_some()) {
            return Ok(false);
        }
        for (k, chunk) in incidents.chunks(5_000).enumerate() {
            bulk::insert(tx, tenant, first + (k * 5_000) as i64, chunk).await?;
        }
        Ok(true)
    }

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
