//! What the SQLite store does its own way: area statistics from the areas found for each
//! point when it was written (`incident_areas`), and map tiles read by the world-position
//! index and encoded in Rust.

use crate::SqliteDb;
use model::Role;
use store::{Actor, IncidentFilter, PlaceId, Purpose, Result};
use store_sql::incidents::{filter as filter_sql, scope};
use store_sql::tiles::{TileQuery, TileRow, encode_tile, rows_sql};
use store_sql::{Backend, Cx, Row, Sql, backend};

pub async fn area_counts(
    db: &SqliteDb,
    actor: &Actor,
    filter: &IncidentFilter,
) -> Result<Vec<(PlaceId, u64)>> {
    // The areas found for each point when it was written (incident_areas), and the
    // place it was reported at.
    let mut q = Sql::new("SELECT p.id, (SELECT count(*) FROM incidents i");
    scope(actor, Purpose::Read, &mut q);
    filter_sql(actor.tenant_id, filter, &mut q);
    q.push(
        " AND (i.place_id = p.id OR EXISTS (SELECT 1 FROM incident_areas ia WHERE \
         ia.tenant_id = i.tenant_id AND ia.area_id = p.id AND ia.incident_id = i.id))) AS n \
         FROM places p WHERE p.tenant_id = ? AND p.kind = 'area' ORDER BY p.id",
    )
    .arg(actor.tenant_id);
    store_sql::places::area_counts(db, q).await
}

pub async fn make_tile(
    db: &SqliteDb,
    actor: &Actor,
    filter: &IncidentFilter,
    tile: geo::tile::TileId,
) -> Result<Vec<u8>> {
    if actor.role == Role::Reader {
        // Readers see no incidents (`scope`), and SQLite refuses INDEXED BY on a WHERE
        // that is false.
        return Ok(Vec::new());
    }
    let q = TileQuery::new(tile);
    // By the world positions: with a period too, SQLite chose the time index and read
    // the whole period for a street's tile (1 s on a million incidents).
    let sql = rows_sql(&q, "incidents i INDEXED BY incidents_world", actor, filter);
    let mut c = Cx::<SqliteDb, _>::new(db.readers().acquire().await.map_err(backend)?);
    let rows = c
        .all(sql)
        .await?
        .iter()
        .map(|r| {
            Ok(TileRow {
                id: r.int("id")?,
                category: r.text("category")?,
                status: r.text("status")?,
                n: r.int("n")?,
                x: r.int("x")?,
                y: r.int("y")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(encode_tile(&q, rows))
}
