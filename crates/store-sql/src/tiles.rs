//! Map tiles: the rows of a tile (`TileQuery`: the scope and filters, the tile's world
//! range, cells by shifts — the same integers in both stores), the tile cache lookup by the
//! tenant's map version, and the Rust encoder for stores that do not encode in SQL.
//! Each backend makes the tile itself (`Backend::make_tile`).

use crate::SqlStore;
use crate::exec::{Backend, Row, Sql};
use crate::incidents::{filter, scope};
use store::{Actor, IncidentFilter, Purpose, Result, TILE_LIMIT, TileCache};

/// The statement that reads a tile's features: `SELECT {select} FROM {from}` (alias `i`),
/// the actor's map scope, the filter, the tile's range and grouping.
pub fn rows_sql<'a>(q: &TileQuery, from: &str, actor: &Actor, f: &'a IncidentFilter) -> Sql<'a> {
    let mut sql = Sql::new(format!("SELECT {} FROM {from}", q.select));
    scope(actor, Purpose::Map, &mut sql);
    filter(actor.tenant_id, f, &mut sql);
    sql.push(&q.tail);
    for v in &q.args {
        sql.arg(*v);
    }
    sql
}

/// The tile from the cache, or made by the backend (then kept). A tile is kept for the
/// tenant's map version, which every change its tiles show counts up.
pub async fn tile<B: Backend>(
    s: &SqlStore<B>,
    actor: &Actor,
    filter: &IncidentFilter,
    tile: geo::tile::TileId,
) -> Result<Vec<u8>> {
    let row = s
        .read()
        .await?
        .optional(
            Sql::new("SELECT map_version, reporter_view FROM tenants WHERE id = ?")
                .bind(actor.tenant_id),
        )
        .await?;
    let Some(row) = row else {
        return Ok(Vec::new());
    };
    let key = TileCache::key(
        actor,
        row.str("reporter_view")?,
        row.int("map_version")?,
        filter,
        tile,
    );
    s.tiles
        .get_or_make(key, s.make_tile(actor, filter, tile))
        .await
}

/// How a store reads a map tile's features: `SELECT {select} FROM incidents i`, the scope and
/// filters, then `{tail}` with `args` bound after the filters' arguments. Every incident
/// keeps its world position (`wx`, `wy`, see `geo::tile::world`), so the tile's range is a
/// B-tree range and cells are arithmetic shifts, the same integers in both stores.
/// Columns: `id`, `category`, `status`, `n` (points in the feature), `x`, `y` (world
/// position, or cell for gathering zooms; `TileQuery::local` places them in the tile).
pub struct TileQuery {
    pub tile: geo::tile::TileId,
    pub select: String,
    pub tail: String,
    pub args: Vec<i64>,
}

impl TileQuery {
    pub fn new(tile: geo::tile::TileId) -> TileQuery {
        let [x0, y0, x1, y1] = tile.world_range();
        let range =
            " AND i.precision <> 'municipality' AND i.wx BETWEEN ? AND ? AND i.wy BETWEEN ? AND ?";
        if tile.clusters() {
            // A cell of several categories (or statuses) says so with an empty value.
            let cs = tile.cell_shift();
            TileQuery {
                tile,
                select: format!(
                    "min(i.id) AS id, \
                     CASE WHEN min(i.category_code) = max(i.category_code) THEN min(i.category_code) ELSE '' END AS category, \
                     CASE WHEN min(i.status) = max(i.status) THEN min(i.status) ELSE '' END AS status, \
                     count(*) AS n, i.wx >> {cs} AS x, i.wy >> {cs} AS y"
                ),
                tail: format!("{range} GROUP BY i.wx >> {cs}, i.wy >> {cs}"),
                args: vec![x0, x1, y0, y1],
            }
        } else {
            TileQuery {
                tile,
                select: "i.id AS id, i.category_code AS category, i.status AS status, 1 AS n, \
                         i.wx AS x, i.wy AS y"
                    .into(),
                tail: format!("{range} ORDER BY i.occurred_from DESC, i.id DESC LIMIT ?"),
                args: vec![x0, x1, y0, y1, i64::from(TILE_LIMIT)],
            }
        }
    }

    /// A row's position in the tile.
    pub fn local(&self, x: i64, y: i64) -> (i64, i64) {
        if self.tile.clusters() {
            self.tile.cell_local(x, y)
        } else {
            self.tile.local(x, y)
        }
    }

    /// `local` in SQL over the columns `x` and `y` (for `ST_AsMVT`, which takes geometry in
    /// tile coordinates).
    pub fn local_sql(&self) -> (String, String) {
        let (tx, ty) = (
            i64::from(self.tile.x) * i64::from(geo::tile::EXTENT),
            i64::from(self.tile.y) * i64::from(geo::tile::EXTENT),
        );
        if self.tile.clusters() {
            let (c, h) = (geo::tile::CELL_SHIFT, geo::tile::CELL / 2);
            (
                format!("((x << {c}) + {h} - {tx})"),
                format!("((y << {c}) + {h} - {ty})"),
            )
        } else {
            let s = self.tile.world_shift();
            let at = |col: &str| {
                if s >= 0 {
                    format!("({col} >> {s})")
                } else {
                    format!("({col} << {})", -s)
                }
            };
            (
                format!("({} - {tx})", at("x")),
                format!("({} - {ty})", at("y")),
            )
        }
    }
}

/// One feature of a map tile as a store read it (see `TileQuery`).
#[derive(Debug, Clone, PartialEq)]
pub struct TileRow {
    pub id: i64,
    pub category: String,
    pub status: String,
    pub n: i64,
    pub x: i64,
    pub y: i64,
}

/// A vector tile (layer `incidents`, see `Store::incident_tile`) of the rows a store read with
/// `TileQuery`, encoded in Rust (the SQLite store; PostGIS encodes its own with `ST_AsMVT`).
pub fn encode_tile(q: &TileQuery, mut rows: Vec<TileRow>) -> Vec<u8> {
    rows.sort_by_key(|r| r.id);
    let features: Vec<geo::tile::TilePoint> = rows
        .into_iter()
        .map(|r| {
            let (x, y) = q.local(r.x, r.y);
            geo::tile::TilePoint {
                id: r.id as u64,
                x,
                y,
                properties: vec![
                    ("category".into(), r.category),
                    ("status".into(), r.status),
                    ("count".into(), r.n.to_string()),
                ],
            }
        })
        .collect();
    geo::tile::encode_points("incidents", &features)
}
