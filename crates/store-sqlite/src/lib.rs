//! Embedded SQLite backend of the Lägesbild store.
//!
//! One file, WAL journal, `synchronous=FULL` (an acknowledged write survives a power cut),
//! foreign keys on. Writes go through a pool of one connection so that transactions never race
//! for the write lock; reads use a pool of several connections.
#![forbid(unsafe_code)]

use async_trait::async_trait;
use jiff::Timestamp;
use model::{
    CategoryCode, Email, IncidentStatus, Precision, ReporterView, RetentionAction, Role, Source,
    Visibility,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};
use std::str::FromStr;
use std::time::Duration;
use store::backend::*;
use store::*;

pub struct SqliteStore {
    read: SqlitePool,
    write: SqlitePool,
    path: String,
    tiles: TileCache,
}

fn backend(e: sqlx::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Maps a unique-constraint violation to `Conflict`, anything else to `Backend`.
fn conflict<'a>(what: &'static str, value: &'a str) -> impl FnOnce(sqlx::Error) -> StoreError + 'a {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict {
            what,
            value: value.to_string(),
        },
        _ => backend(e),
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `location` — a path, or a `sqlite:` URL — and
    /// applies pending migrations.
    pub async fn open(location: &str) -> Result<Self> {
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
            // 16 MiB of page cache per connection (five connections).
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
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(opts.read_only(true).pragma("temp_store", "file"))
            .await
            .map_err(backend)?;
        Ok(SqliteStore {
            read,
            write,
            path,
            tiles: TileCache::default(),
        })
    }

    /// An incident the actor may see, without logging the read.
    async fn fetch_incident(&self, actor: &Actor, id: IncidentId) -> Result<Option<Incident>> {
        let mut sql = format!("SELECT {INCIDENT_COLS} FROM {INCIDENT_FROM}");
        let mut args = Vec::new();
        scope(actor, Purpose::Read, &mut sql, &mut args);
        sql.push_str(" AND i.id = ?");
        args.push(Arg::I(id));
        bind_all(sqlx::query(&sql), args)
            .fetch_optional(&self.read)
            .await
            .map_err(backend)?
            .map(|r| incident_row(&r))
            .transpose()
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

async fn next_ids(tx: &mut Transaction<'_, Sqlite>, name: &str, count: i64) -> Result<i64> {
    let row = sqlx::query("UPDATE sequences SET next = next + ? WHERE name = ? RETURNING next")
        .bind(count)
        .bind(name)
        .fetch_one(&mut **tx)
        .await
        .map_err(backend)?;
    let next: i64 = row.get(0);
    Ok(next - count)
}

/// The end of a tenant's audit chain inside a write transaction.
struct Chain {
    tenant: TenantId,
    seq: i64,
    hash: String,
}

impl Chain {
    async fn load(tx: &mut Transaction<'_, Sqlite>, tenant: TenantId) -> Result<Chain> {
        let row = sqlx::query(
            "SELECT seq, hash FROM audit_log WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1",
        )
        .bind(tenant)
        .fetch_optional(&mut **tx)
        .await
        .map_err(backend)?;
        Ok(match row {
            Some(r) => Chain {
                tenant,
                seq: r.get(0),
                hash: r.get(1),
            },
            None => Chain {
                tenant,
                seq: 0,
                hash: store::audit::GENESIS.to_string(),
            },
        })
    }

    async fn push(&mut self, tx: &mut Transaction<'_, Sqlite>, e: &NewAudit) -> Result<AuditEntry> {
        let seq = self.seq + 1;
        let hash = store::audit::chain_hash(
            &self.hash,
            self.tenant,
            seq,
            e.at,
            e.user_id,
            &e.action,
            &e.entity,
            &e.entity_id,
            e.before.as_deref(),
            e.after.as_deref(),
        );
        sqlx::query(
            "INSERT INTO audit_log (tenant_id, seq, at, user_id, action, entity, entity_id, before_json, \
             after_json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(self.tenant)
        .bind(seq)
        .bind(ts(e.at))
        .bind(e.user_id)
        .bind(&e.action)
        .bind(&e.entity)
        .bind(&e.entity_id)
        .bind(e.before.as_deref())
        .bind(e.after.as_deref())
        .bind(&self.hash)
        .bind(&hash)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
        let entry = AuditEntry {
            tenant_id: self.tenant,
            seq,
            at: e.at,
            user_id: e.user_id,
            user_name: None,
            action: e.action.clone(),
            entity: e.entity.clone(),
            entity_id: e.entity_id.clone(),
            before: e.before.clone(),
            after: e.after.clone(),
            prev_hash: std::mem::replace(&mut self.hash, hash.clone()),
            hash,
        };
        self.seq = seq;
        Ok(entry)
    }
}

const TENANT_COLS: &str = "id, code, name, outline_geojson, default_visibility, map_style_url, \
    retention_action, reporter_view";

fn tenant_row(r: &SqliteRow) -> Result<Tenant> {
    let id: i64 = r.get(0);
    let vis: String = r.get(4);
    Ok(Tenant {
        id,
        code: r.get(1),
        name: r.get(2),
        outline_geojson: r.get(3),
        default_visibility: parsed(
            "tenants",
            id,
            "default_visibility",
            &vis,
            Visibility::parse(&vis),
        )?,
        map_style_url: r.get(5),
        retention_action: {
            let a: String = r.get(6);
            parsed(
                "tenants",
                id,
                "retention_action",
                &a,
                RetentionAction::parse(&a),
            )?
        },
        reporter_view: {
            let v: String = r.get(7);
            parsed("tenants", id, "reporter_view", &v, ReporterView::parse(&v))?
        },
    })
}

const USER_COLS: &str = "u.tenant_id, u.id, u.org_id, o.name, u.email, u.display_name, u.role, u.disabled, \
    u.totp_secret IS NOT NULL";
const USER_FROM: &str =
    "users u JOIN organisations o ON o.tenant_id = u.tenant_id AND o.id = u.org_id";

fn user_row(r: &SqliteRow) -> Result<User> {
    let id: i64 = r.get(1);
    let email: String = r.get(4);
    let role: String = r.get(6);
    Ok(User {
        tenant_id: r.get(0),
        id,
        org_id: r.get(2),
        org_name: r.get(3),
        email: parsed("users", id, "email", &email, Email::parse(&email))?,
        display_name: r.get(5),
        role: parsed("users", id, "role", &role, Role::parse(&role))?,
        disabled: r.get::<i64, _>(7) != 0,
        mfa_enabled: r.get::<i64, _>(8) != 0,
    })
}

fn place_row(r: &SqliteRow) -> Result<Place> {
    let id: i64 = r.get(1);
    let kind: String = r.get(3);
    Ok(Place {
        tenant_id: r.get(0),
        id,
        name: r.get(2),
        kind: match kind.as_str() {
            "area" => PlaceKind::Area,
            "point" => PlaceKind::Point,
            _ => return parsed("places", id, "kind", &kind, Err(())),
        },
        is_school: r.get::<i64, _>(4) != 0,
        geometry_geojson: r.get(5),
        lon: r.get(6),
        lat: r.get(7),
        is_demo: r.get::<i64, _>(8) != 0,
    })
}

const INCIDENT_COLS: &str = "i.tenant_id, i.id, i.category_code, i.occurred_from, i.occurred_to, i.lon, i.lat, \
    i.e, i.n, i.precision, i.place_id, p.name, i.place_text, i.municipality_code, i.description, i.school_id, \
    sc.name, i.persons_involved, i.visibility, i.status, i.source, i.external_id, i.external_url, i.org_id, \
    o.name, i.user_id, i.created_at, i.updated_at";
const INCIDENT_FROM: &str = "incidents i \
    JOIN organisations o ON o.tenant_id = i.tenant_id AND o.id = i.org_id \
    LEFT JOIN places p ON p.tenant_id = i.tenant_id AND p.id = i.place_id \
    LEFT JOIN places sc ON sc.tenant_id = i.tenant_id AND sc.id = i.school_id";

fn incident_row(r: &SqliteRow) -> Result<Incident> {
    const T: &str = "incidents";
    let id: i64 = r.get(1);
    let cat: String = r.get(2);
    let precision: String = r.get(9);
    let vis: String = r.get(18);
    let status: String = r.get(19);
    let source: String = r.get(20);
    let persons: Option<i64> = r.get(17);
    Ok(Incident {
        tenant_id: r.get(0),
        id,
        category: parsed(T, id, "category_code", &cat, CategoryCode::parse(&cat))?,
        occurred_from: from_ts(T, id, "occurred_from", r.get(3))?,
        occurred_to: from_ts(T, id, "occurred_to", r.get(4))?,
        lon: r.get(5),
        lat: r.get(6),
        e: r.get(7),
        n: r.get(8),
        precision: parsed(T, id, "precision", &precision, Precision::parse(&precision))?,
        place_id: r.get(10),
        place_name: r.get(11),
        place_text: r.get(12),
        municipality_code: r.get(13),
        description: r.get(14),
        school_id: r.get(15),
        school_name: r.get(16),
        persons_involved: match persons {
            None => None,
            Some(p) => Some(parsed(
                T,
                id,
                "persons_involved",
                &p.to_string(),
                u32::try_from(p),
            )?),
        },
        visibility: parsed(T, id, "visibility", &vis, Visibility::parse(&vis))?,
        status: parsed(T, id, "status", &status, IncidentStatus::parse(&status))?,
        source: parsed(T, id, "source", &source, Source::parse(&source))?,
        external_id: r.get(21),
        external_url: r.get(22),
        org_id: r.get(23),
        org_name: r.get(24),
        user_id: r.get(25),
        created_at: from_ts(T, id, "created_at", r.get(26))?,
        updated_at: from_ts(T, id, "updated_at", r.get(27))?,
    })
}

/// A bind value for dynamically built queries.
enum Arg {
    I(i64),
    F(f64),
    S(String),
}

/// The tenant scope and visibility rule of [`Actor::may_see`], as SQL over alias `i`.
fn scope(actor: &Actor, purpose: Purpose, sql: &mut String, args: &mut Vec<Arg>) {
    sql.push_str(" WHERE i.tenant_id = ?");
    args.push(Arg::I(actor.tenant_id));
    match actor.role {
        Role::Admin | Role::Analyst => {
            sql.push_str(
                " AND (i.visibility IN ('all_partners', 'police_and_coordinator') OR i.org_id = ? OR i.user_id = ?)",
            );
            args.extend([Arg::I(actor.org_id), Arg::I(actor.user_id)]);
        }
        Role::Reporter => {
            let views = match purpose {
                Purpose::Read => "('shared')",
                Purpose::Map => "('shared', 'map')",
            };
            sql.push_str(&format!(
                " AND (i.user_id = ? OR (i.visibility = 'all_partners' AND \
                 (SELECT reporter_view FROM tenants WHERE id = ?) IN {views}))"
            ));
            args.extend([Arg::I(actor.user_id), Arg::I(actor.tenant_id)]);
        }
        Role::Reader => sql.push_str(" AND 0"),
    }
}

/// The filters as SQL over alias `i`, after `scope` (which fixes the tenant).
fn filter_sql(tenant: TenantId, f: &IncidentFilter, sql: &mut String, args: &mut Vec<Arg>) {
    if let Some(from) = f.from {
        sql.push_str(" AND i.occurred_from >= ?");
        args.push(Arg::I(ts(from)));
    }
    if let Some(to) = f.to {
        sql.push_str(" AND i.occurred_from < ?");
        args.push(Arg::I(ts(to)));
    }
    if let Some(c) = &f.category {
        // The tenant as a parameter, not i.tenant_id: an uncorrelated subquery is computed
        // once, not for every incident row.
        sql.push_str(
            " AND i.category_code IN (SELECT code FROM categories WHERE tenant_id = ? \
             AND (code = ? OR parent_code = ?))",
        );
        args.push(Arg::I(tenant));
        args.push(Arg::S(c.as_str().into()));
        args.push(Arg::S(c.as_str().into()));
    }
    if let Some(a) = f.area_id {
        sql.push_str(
            " AND (i.place_id = ? OR EXISTS (SELECT 1 FROM incident_areas ia WHERE ia.tenant_id = i.tenant_id \
             AND ia.area_id = ? AND ia.incident_id = i.id))",
        );
        args.push(Arg::I(a));
        args.push(Arg::I(a));
    }
    if let Some(o) = f.org_id {
        sql.push_str(" AND i.org_id = ?");
        args.push(Arg::I(o));
    }
    if let Some(s) = f.status {
        sql.push_str(" AND i.status = ?");
        args.push(Arg::S(s.as_str().into()));
    }
    if let Some(s) = f.source {
        sql.push_str(" AND i.source = ?");
        args.push(Arg::S(s.as_str().into()));
    }
    if let Some([w, s, e, n]) = f.bbox {
        // The box's world positions narrow by the index, the coordinates decide.
        let [x0, y0, x1, y1] = world_box(w, s, e, n);
        sql.push_str(
            " AND i.wx BETWEEN ? AND ? AND i.wy BETWEEN ? AND ? \
             AND i.lon >= ? AND i.lon <= ? AND i.lat >= ? AND i.lat <= ?",
        );
        args.extend([Arg::I(x0), Arg::I(x1), Arg::I(y0), Arg::I(y1)]);
        args.extend([Arg::F(w), Arg::F(e), Arg::F(s), Arg::F(n)]);
    }
}

fn bind_all<'q>(
    mut q: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    args: Vec<Arg>,
) -> sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    for a in args {
        q = match a {
            Arg::I(v) => q.bind(v),
            Arg::F(v) => q.bind(v),
            Arg::S(v) => q.bind(v),
        };
    }
    q
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

/// Checks what new incidents refer to, one query per kind, so that a wrong reference is
/// named with its row (the foreign keys stay, behind it).
async fn check_references(
    tx: &mut Transaction<'_, Sqlite>,
    tenant: TenantId,
    incidents: &[NewIncident],
) -> Result<()> {
    let want = References::of(incidents);
    let marks = |n: usize| vec!["?"; n].join(", ");
    let sql = format!(
        "SELECT code FROM categories WHERE tenant_id = ? AND code IN ({})",
        marks(want.categories.len())
    );
    let mut q = sqlx::query_scalar(&sql).bind(tenant);
    for c in &want.categories {
        q = q.bind(c);
    }
    let mut found = References {
        categories: q.fetch_all(&mut **tx).await.map_err(backend)?,
        ..Default::default()
    };
    for (table, list, into) in [
        ("organisations", &want.orgs, &mut found.orgs),
        ("users", &want.users, &mut found.users),
        ("places", &want.places, &mut found.places),
    ] {
        if list.is_empty() {
            continue;
        }
        let sql = format!(
            "SELECT id FROM {table} WHERE tenant_id = ? AND id IN ({})",
            marks(list.len())
        );
        let mut q = sqlx::query_scalar(&sql).bind(tenant);
        for v in list {
            q = q.bind(v);
        }
        *into = q.fetch_all(&mut **tx).await.map_err(backend)?;
    }
    References::check(incidents, &found)
}

/// An incident, its areas and first status row, and (with a chain) its own audit row.
async fn insert_incident(
    tx: &mut Transaction<'_, Sqlite>,
    chain: Option<&mut Chain>,
    tenant: TenantId,
    id: IncidentId,
    n: &NewIncident,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO incidents (tenant_id, id, category_code, occurred_from, occurred_to, lon, lat, e, n, \
         precision, place_id, place_text, municipality_code, description, school_id, persons_involved, \
         visibility, status, source, external_id, external_url, org_id, user_id, created_at, updated_at, wx, wy) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(tenant)
    .bind(id)
    .bind(n.category.as_str())
    .bind(ts(n.occurred_from))
    .bind(ts(n.occurred_to))
    .bind(n.lon)
    .bind(n.lat)
    .bind(n.e)
    .bind(n.n)
    .bind(n.precision.as_str())
    .bind(n.place_id)
    .bind(n.place_text.as_deref())
    .bind(n.municipality_code.as_deref())
    .bind(n.description.as_str())
    .bind(n.school_id)
    .bind(n.persons_involved.map(i64::from))
    .bind(n.visibility.as_str())
    .bind(n.status.as_str())
    .bind(n.source.as_str())
    .bind(n.external_id.as_deref())
    .bind(n.external_url.as_deref())
    .bind(n.org_id)
    .bind(n.user_id)
    .bind(ts(n.created_at))
    .bind(ts(n.created_at))
    .bind(geo::tile::world(n.lon, n.lat).0)
    .bind(geo::tile::world(n.lon, n.lat).1)
    .execute(&mut **tx)
    .await
    .map_err(|e| StoreError::Backend(format!("inserting incident ({}, {}): {e}", n.category, n.occurred_from)))?;
    for area in &n.area_ids {
        sqlx::query(
            "INSERT INTO incident_areas (tenant_id, area_id, incident_id) VALUES (?, ?, ?)",
        )
        .bind(tenant)
        .bind(area)
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    }
    sqlx::query(
        "INSERT INTO incident_status_log (tenant_id, incident_id, seq, at, user_id, from_status, to_status, comment) \
         VALUES (?, ?, 1, ?, ?, NULL, ?, '')",
    )
    .bind(tenant)
    .bind(id)
    .bind(ts(n.created_at))
    .bind(n.user_id)
    .bind(n.status.as_str())
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    if let Some(chain) = chain {
        chain
            .push(tx, &new_incidents_audit(id, std::slice::from_ref(n)))
            .await?;
    }
    Ok(())
}

impl SqliteStore {
    /// A map tile made from the database (see `Store::incident_tile`; the trait method keeps
    /// it in the tile cache).
    async fn make_tile(
        &self,
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
        let mut sql = format!(
            "SELECT {} FROM incidents i INDEXED BY incidents_world",
            q.select
        );
        let mut args = Vec::new();
        scope(actor, Purpose::Map, &mut sql, &mut args);
        filter_sql(actor.tenant_id, filter, &mut sql, &mut args);
        sql.push_str(&q.tail);
        args.extend(q.args.iter().map(|v| Arg::I(*v)));
        let rows = bind_all(sqlx::query(&sql), args)
            .fetch_all(&self.read)
            .await
            .map_err(backend)?
            .iter()
            .map(|r| TileRow {
                id: r.get("id"),
                category: r.get("category"),
                status: r.get("status"),
                n: r.get("n"),
                x: r.get("x"),
                y: r.get("y"),
            })
            .collect();
        Ok(encode_tile(&q, rows))
    }
}

/// An action from a row of `ACTION_COLS`.
fn record_row(r: &sqlx::sqlite::SqliteRow) -> Result<Record> {
    record_from_parts(
        r.get(0),
        r.get(1),
        r.get::<&str, _>(2),
        r.get(3),
        r.get::<&str, _>(4),
        r.get(5),
        r.get(6),
        r.get(7),
    )
}

fn action_row(r: &sqlx::sqlite::SqliteRow) -> Result<Action> {
    action_from_parts(
        r.get(0),
        r.get(1),
        r.get(2),
        r.get(3),
        r.get(4),
        r.get(5),
        r.get(6),
        r.get::<&str, _>(7),
        r.get::<&str, _>(8),
        r.get(9),
        r.get(10),
        r.get(11),
        r.get(12),
        r.get(13),
        r.get(14),
        r.get(15),
        r.get(16),
    )
}

/// SQLite takes the store's SQL as written (PostgreSQL's store numbers the placeholders).
fn plain(sql: &str) -> &str {
    sql
}

#[async_trait]
impl Store for SqliteStore {
    fn describe(&self) -> String {
        format!("SQLite {}", self.path)
    }

    async fn create_tenant(&self, t: &NewTenant) -> Result<Tenant> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let id = next_ids(&mut tx, "tenants", 1).await?;
        sqlx::query("INSERT INTO tenants (id, code, name, outline_geojson) VALUES (?, ?, ?, ?)")
            .bind(id)
            .bind(&t.code)
            .bind(&t.name)
            .bind(&t.outline_geojson)
            .execute(&mut *tx)
            .await
            .map_err(conflict("tenant", &t.code))?;
        tx.commit().await.map_err(backend)?;
        self.tenant(id).await?.ok_or(StoreError::NotFound {
            what: "tenant",
            id: id.to_string(),
        })
    }

    async fn tenant(&self, id: TenantId) -> Result<Option<Tenant>> {
        // Read from the writer so a tenant is visible right after it is created.
        sqlx::query(&format!("SELECT {TENANT_COLS} FROM tenants WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.write)
            .await
            .map_err(backend)?
            .map(|r| tenant_row(&r))
            .transpose()
    }

    async fn tenant_by_code(&self, code: &str) -> Result<Option<Tenant>> {
        sqlx::query(&format!("SELECT {TENANT_COLS} FROM tenants WHERE code = ?"))
            .bind(code)
            .fetch_optional(&self.read)
            .await
            .map_err(backend)?
            .map(|r| tenant_row(&r))
            .transpose()
    }

    async fn tenants(&self) -> Result<Vec<Tenant>> {
        sqlx::query(&format!("SELECT {TENANT_COLS} FROM tenants ORDER BY id"))
            .fetch_all(&self.read)
            .await
            .map_err(backend)?
            .iter()
            .map(tenant_row)
            .collect()
    }

    async fn create_organisation(&self, o: &NewOrganisation) -> Result<Organisation> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let id = next_ids(&mut tx, "organisations", 1).await?;
        sqlx::query("INSERT INTO organisations (tenant_id, id, name, kind) VALUES (?, ?, ?, ?)")
            .bind(o.tenant_id)
            .bind(id)
            .bind(&o.name)
            .bind(&o.kind)
            .execute(&mut *tx)
            .await
            .map_err(conflict("organisation", &o.name))?;
        let mut entry = audit(
            Timestamp::now(),
            None,
            "organisation.create",
            "organisation",
            id,
        );
        entry.after = Some(serde_json::json!({ "name": o.name, "kind": o.kind }).to_string());
        Chain::load(&mut tx, o.tenant_id)
            .await?
            .push(&mut tx, &entry)
            .await?;
        tx.commit().await.map_err(backend)?;
        Ok(Organisation {
            tenant_id: o.tenant_id,
            id,
            name: o.name.clone(),
            kind: o.kind.clone(),
        })
    }

    async fn organisations(&self, tenant: TenantId) -> Result<Vec<Organisation>> {
        let mut orgs: Vec<Organisation> = sqlx::query(
            "SELECT tenant_id, id, name, kind FROM organisations WHERE tenant_id = ? ORDER BY name",
        )
        .bind(tenant)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?
        .iter()
        .map(|r| Organisation {
            tenant_id: r.get(0),
            id: r.get(1),
            name: r.get(2),
            kind: r.get(3),
        })
        .collect();
        sort_swedish(&mut orgs, |o| &o.name);
        Ok(orgs)
    }

    async fn create_user(&self, u: &NewUser) -> Result<User> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let id = next_ids(&mut tx, "users", 1).await?;
        sqlx::query(
            "INSERT INTO users (tenant_id, id, org_id, email, display_name, role, password_hash) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(u.tenant_id)
        .bind(id)
        .bind(u.org_id)
        .bind(u.email.as_str())
        .bind(&u.display_name)
        .bind(u.role.as_str())
        .bind(&u.password_hash)
        .execute(&mut *tx)
        .await
        .map_err(conflict("user", u.email.as_str()))?;
        let mut entry = audit(Timestamp::now(), None, "user.create", "user", id);
        entry.after = Some(
            serde_json::json!({
                "email": u.email.as_str(),
                "display_name": u.display_name,
                "role": u.role.as_str(),
                "org_id": u.org_id,
            })
            .to_string(),
        );
        Chain::load(&mut tx, u.tenant_id)
            .await?
            .push(&mut tx, &entry)
            .await?;
        let row = sqlx::query(&format!(
            "SELECT {USER_COLS} FROM {USER_FROM} WHERE u.tenant_id = ? AND u.id = ?"
        ))
        .bind(u.tenant_id)
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let user = user_row(&row)?;
        tx.commit().await.map_err(backend)?;
        Ok(user)
    }

    async fn user(&self, tenant: TenantId, id: UserId) -> Result<Option<User>> {
        sqlx::query(&format!(
            "SELECT {USER_COLS} FROM {USER_FROM} WHERE u.tenant_id = ? AND u.id = ?"
        ))
        .bind(tenant)
        .bind(id)
        .fetch_optional(&self.read)
        .await
        .map_err(backend)?
        .map(|r| user_row(&r))
        .transpose()
    }

    async fn users(&self, tenant: TenantId) -> Result<Vec<User>> {
        let mut users: Vec<User> = sqlx::query(&format!(
            "SELECT {USER_COLS} FROM {USER_FROM} WHERE u.tenant_id = ? ORDER BY u.display_name, u.id"
        ))
        .bind(tenant)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?
        .iter()
        .map(user_row)
        .collect::<Result<_>>()?;
        sort_swedish(&mut users, |u| &u.display_name);
        Ok(users)
    }

    async fn update_user(
        &self,
        tenant: TenantId,
        id: UserId,
        c: &UserChanges,
        by: Option<UserId>,
    ) -> Result<User> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let sql = format!("SELECT {USER_COLS} FROM {USER_FROM} WHERE u.tenant_id = ? AND u.id = ?");
        let before = sqlx::query(&sql)
            .bind(tenant)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
            .map(|r| user_row(&r))
            .transpose()?
            .ok_or(StoreError::NotFound {
                what: "user",
                id: id.to_string(),
            })?;
        sqlx::query(
            "UPDATE users SET display_name = ?, org_id = ?, role = ?, disabled = ? WHERE tenant_id = ? AND id = ?",
        )
        .bind(&c.display_name)
        .bind(c.org_id)
        .bind(c.role.as_str())
        .bind(c.disabled as i64)
        .bind(tenant)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        if c.disabled {
            sqlx::query("DELETE FROM sessions WHERE tenant_id = ? AND user_id = ?")
                .bind(tenant)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        let after = sqlx::query(&sql)
            .bind(tenant)
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)
            .and_then(|r| user_row(&r))?;
        let view = |u: &User| {
            serde_json::json!({
                "display_name": u.display_name, "org_id": u.org_id, "role": u.role.as_str(), "disabled": u.disabled
            })
            .to_string()
        };
        let mut entry = audit(Timestamp::now(), by, "user.update", "user", id);
        entry.before = Some(view(&before));
        entry.after = Some(view(&after));
        Chain::load(&mut tx, tenant)
            .await?
            .push(&mut tx, &entry)
            .await?;
        tx.commit().await.map_err(backend)?;
        Ok(after)
    }

    async fn set_password(
        &self,
        tenant: TenantId,
        id: UserId,
        hash: &str,
        by: Option<UserId>,
    ) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let r = sqlx::query("UPDATE users SET password_hash = ? WHERE tenant_id = ? AND id = ?")
            .bind(hash)
            .bind(tenant)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "user",
                id: id.to_string(),
            });
        }
        sqlx::query("DELETE FROM sessions WHERE tenant_id = ? AND user_id = ?")
            .bind(tenant)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let entry = audit(Timestamp::now(), by, "user.password", "user", id);
        Chain::load(&mut tx, tenant)
            .await?
            .push(&mut tx, &entry)
            .await?;
        tx.commit().await.map_err(backend)
    }

    async fn update_organisation(
        &self,
        tenant: TenantId,
        id: OrgId,
        name: &str,
        kind: &str,
        by: Option<UserId>,
    ) -> Result<Organisation> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let before: Option<(String, String)> =
            sqlx::query("SELECT name, kind FROM organisations WHERE tenant_id = ? AND id = ?")
                .bind(tenant)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?
                .map(|r| (r.get(0), r.get(1)));
        let Some((old_name, old_kind)) = before else {
            return Err(StoreError::NotFound {
                what: "organisation",
                id: id.to_string(),
            });
        };
        sqlx::query("UPDATE organisations SET name = ?, kind = ? WHERE tenant_id = ? AND id = ?")
            .bind(name)
            .bind(kind)
            .bind(tenant)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(conflict("organisation", name))?;
        let mut entry = audit(
            Timestamp::now(),
            by,
            "organisation.update",
            "organisation",
            id,
        );
        entry.before = Some(serde_json::json!({ "name": old_name, "kind": old_kind }).to_string());
        entry.after = Some(serde_json::json!({ "name": name, "kind": kind }).to_string());
        Chain::load(&mut tx, tenant)
            .await?
            .push(&mut tx, &entry)
            .await?;
        tx.commit().await.map_err(backend)?;
        Ok(Organisation {
            tenant_id: tenant,
            id,
            name: name.to_string(),
            kind: kind.to_string(),
        })
    }

    async fn update_tenant_settings(
        &self,
        tenant: TenantId,
        st: &TenantSettings,
        by: Option<UserId>,
    ) -> Result<Tenant> {
        let before = self.tenant(tenant).await?.ok_or(StoreError::NotFound {
            what: "tenant",
            id: tenant.to_string(),
        })?;
        let mut tx = self.write.begin().await.map_err(backend)?;
        sqlx::query(
            "UPDATE tenants SET default_visibility = ?, reporter_view = ?, retention_action = ?, map_style_url = ? \
             WHERE id = ?",
        )
        .bind(st.default_visibility.as_str())
        .bind(st.reporter_view.as_str())
        .bind(st.retention_action.as_str())
        .bind(st.map_style_url.as_deref())
        .bind(tenant)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
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
        Chain::load(&mut tx, tenant)
            .await?
            .push(&mut tx, &entry)
            .await?;
        tx.commit().await.map_err(backend)?;
        self.tenant(tenant).await?.ok_or(StoreError::NotFound {
            what: "tenant",
            id: tenant.to_string(),
        })
    }

    async fn user_credentials(&self, email: &Email) -> Result<Option<(User, String)>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLS}, u.password_hash FROM {USER_FROM} WHERE u.email = ?"
        ))
        .bind(email.as_str())
        .fetch_optional(&self.read)
        .await
        .map_err(backend)?;
        row.map(|r| Ok((user_row(&r)?, r.get(9)))).transpose()
    }

    async fn create_session(&self, s: &NewSession) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, tenant_id, user_id, csrf_token, created_at, expires_at, \
             last_seen_at, stage) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&s.token_hash)
        .bind(s.tenant_id)
        .bind(s.user_id)
        .bind(&s.csrf_token)
        .bind(ts(s.created_at))
        .bind(ts(s.expires_at))
        .bind(ts(s.created_at))
        .bind(s.stage.as_str())
        .execute(&self.write)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn session(&self, token_hash: &str, now: Timestamp) -> Result<Option<(Session, User)>> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLS}, s.csrf_token, s.created_at, s.expires_at, s.last_seen_at, s.stage, \
             s.pending_secret FROM sessions s \
             JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id \
             JOIN organisations o ON o.tenant_id = u.tenant_id AND o.id = u.org_id \
             WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0"
        ))
        .bind(token_hash)
        .bind(ts(now))
        .fetch_optional(&self.read)
        .await
        .map_err(backend)?;
        row.map(|r| {
            let user = user_row(&r)?;
            Ok((
                Session {
                    stage: {
                        let s: String = r.get(13);
                        SessionStage::parse(&s).ok_or(StoreError::Corrupt {
                            table: "sessions",
                            id: user.id.to_string(),
                            field: "stage",
                            value: s,
                        })?
                    },
                    pending_secret: r.get(14),
                    csrf_token: r.get(9),
                    created_at: from_ts("sessions", user.id, "created_at", r.get(10))?,
                    expires_at: from_ts("sessions", user.id, "expires_at", r.get(11))?,
                    last_seen_at: from_ts("sessions", user.id, "last_seen_at", r.get(12))?,
                },
                user,
            ))
        })
        .transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = ?")
            .bind(token_hash)
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn touch_session(&self, token_hash: &str, now: Timestamp) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?")
            .bind(ts(now))
            .bind(token_hash)
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn delete_user_sessions(&self, tenant: TenantId, user: UserId) -> Result<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE tenant_id = ? AND user_id = ?")
            .bind(tenant)
            .bind(user)
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(r.rows_affected())
    }

    async fn set_session_stage(
        &self,
        token_hash: &str,
        stage: SessionStage,
        pending_secret: Option<&str>,
    ) -> Result<()> {
        sqlx::query("UPDATE sessions SET stage = ?, pending_secret = ? WHERE token_hash = ?")
            .bind(stage.as_str())
            .bind(pending_secret)
            .bind(token_hash)
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn user_totp(&self, tenant: TenantId, user: UserId) -> Result<Option<TotpState>> {
        let row = sqlx::query(
            "SELECT totp_secret, totp_last_step, recovery_hashes FROM users WHERE tenant_id = ? AND id = ?",
        )
        .bind(tenant)
        .bind(user)
        .fetch_optional(&self.read)
        .await
        .map_err(backend)?;
        let Some(r) = row else { return Ok(None) };
        let Some(secret) = r.get::<Option<String>, _>(0) else {
            return Ok(None);
        };
        let hashes: Option<String> = r.get(2);
        Ok(Some(TotpState {
            secret,
            last_step: r.get(1),
            recovery_hashes: match hashes {
                None => vec![],
                Some(h) => serde_json::from_str(&h).map_err(|_| StoreError::Corrupt {
                    table: "users",
                    id: user.to_string(),
                    field: "recovery_hashes",
                    value: h.clone(),
                })?,
            },
        }))
    }

    async fn enable_totp(&self, tenant: TenantId, user: UserId, state: &TotpState) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let hashes = serde_json::to_string(&state.recovery_hashes)
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        sqlx::query(
            "UPDATE users SET totp_secret = ?, totp_last_step = ?, recovery_hashes = ? WHERE tenant_id = ? AND id = ?",
        )
        .bind(&state.secret)
        .bind(state.last_step)
        .bind(hashes)
        .bind(tenant)
        .bind(user)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let entry = audit(
            Timestamp::now(),
            Some(user),
            "user.mfa_enabled",
            "user",
            user,
        );
        Chain::load(&mut tx, tenant)
            .await?
            .push(&mut tx, &entry)
            .await?;
        tx.commit().await.map_err(backend)
    }

    async fn totp_used(&self, tenant: TenantId, user: UserId, step: i64) -> Result<()> {
        sqlx::query("UPDATE users SET totp_last_step = ? WHERE tenant_id = ? AND id = ?")
            .bind(step)
            .bind(tenant)
            .bind(user)
            .execute(&self.write)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn use_recovery_code(&self, tenant: TenantId, user: UserId, hash: &str) -> Result<bool> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let current: Option<String> =
            sqlx::query("SELECT recovery_hashes FROM users WHERE tenant_id = ? AND id = ?")
                .bind(tenant)
                .bind(user)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?
                .and_then(|r| r.get(0));
        let mut hashes: Vec<String> = current
            .and_then(|h| serde_json::from_str(&h).ok())
            .unwrap_or_default();
        let Some(pos) = hashes.iter().position(|h| h == hash) else {
            return Ok(false);
        };
        hashes.remove(pos);
        sqlx::query("UPDATE users SET recovery_hashes = ? WHERE tenant_id = ? AND id = ?")
            .bind(serde_json::to_string(&hashes).map_err(|e| StoreError::Backend(e.to_string()))?)
            .bind(tenant)
            .bind(user)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let mut entry = audit(
            Timestamp::now(),
            Some(user),
            "user.recovery_code_used",
            "user",
            user,
        );
        entry.after = Some(serde_json::json!({ "remaining": hashes.len() }).to_string());
        Chain::load(&mut tx, tenant)
            .await?
            .push(&mut tx, &entry)
            .await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn reset_totp(&self, tenant: TenantId, user: UserId, by: Option<UserId>) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        sqlx::query(
            "UPDATE users SET totp_secret = NULL, totp_last_step = NULL, recovery_hashes = NULL \
             WHERE tenant_id = ? AND id = ?",
        )
        .bind(tenant)
        .bind(user)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let entry = audit(Timestamp::now(), by, "user.mfa_reset", "user", user);
        Chain::load(&mut tx, tenant)
            .await?
            .push(&mut tx, &entry)
            .await?;
        tx.commit().await.map_err(backend)
    }

    async fn create_api_token(&self, t: &NewApiToken) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        sqlx::query(
            "INSERT INTO api_tokens (token_hash, tenant_id, user_id, label, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&t.token_hash)
        .bind(t.tenant_id)
        .bind(t.user_id)
        .bind(&t.label)
        .bind(ts(t.created_at))
        .execute(&mut *tx)
        .await
        .map_err(conflict("api token", &t.label))?;
        let mut entry = audit(t.created_at, None, "token.create", "user", t.user_id);
        entry.after = Some(serde_json::json!({ "label": t.label }).to_string());
        Chain::load(&mut tx, t.tenant_id)
            .await?
            .push(&mut tx, &entry)
            .await?;
        tx.commit().await.map_err(backend)?;
        Ok(())
    }

    async fn api_token_user(&self, token_hash: &str) -> Result<Option<User>> {
        sqlx::query(&format!(
            "SELECT {USER_COLS} FROM api_tokens t JOIN users u ON u.tenant_id = t.tenant_id \
             AND u.id = t.user_id JOIN organisations o ON o.tenant_id = u.tenant_id AND o.id = u.org_id \
             WHERE t.token_hash = ? AND u.disabled = 0"
        ))
        .bind(token_hash)
        .fetch_optional(&self.read)
        .await
        .map_err(backend)?
        .map(|r| user_row(&r))
        .transpose()
    }

    async fn upsert_category(&self, c: &Category) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let before: Option<String> = sqlx::query(
            "SELECT json_object('name_sv', name_sv, 'name_en', name_en, 'parent', parent_code, 'color', color, \
             'retired', retired, 'retention_months', retention_months) FROM categories WHERE tenant_id = ? AND code = ?",
        )
        .bind(c.tenant_id)
        .bind(c.code.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .map(|r| r.get(0));
        sqlx::query(
            "INSERT INTO categories (tenant_id, code, parent_code, name_sv, name_en, color, sort_order, retired, \
             retention_months) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, code) DO UPDATE SET \
             parent_code = excluded.parent_code, name_sv = excluded.name_sv, name_en = excluded.name_en, \
             color = excluded.color, sort_order = excluded.sort_order, retired = excluded.retired, \
             retention_months = excluded.retention_months",
        )
        .bind(c.tenant_id)
        .bind(c.code.as_str())
        .bind(c.parent.as_ref().map(|p| p.as_str()))
        .bind(&c.name_sv)
        .bind(&c.name_en)
        .bind(&c.color)
        .bind(c.sort_order)
        .bind(c.retired as i64)
        .bind(c.retention_months.map(i64::from))
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let mut entry = audit(
            Timestamp::now(),
            None,
            "category.upsert",
            "category",
            c.code.as_str(),
        );
        entry.before = before;
        entry.after = Some(
            serde_json::json!({
                "name_sv": c.name_sv, "name_en": c.name_en, "parent": c.parent.as_ref().map(|p| p.as_str()),
                "color": c.color, "retired": c.retired as i64, "retention_months": c.retention_months,
            })
            .to_string(),
        );
        Chain::load(&mut tx, c.tenant_id)
            .await?
            .push(&mut tx, &entry)
            .await?;
        tx.commit().await.map_err(backend)
    }

    async fn categories(&self, tenant: TenantId) -> Result<Vec<Category>> {
        let rows = sqlx::query(
            "SELECT tenant_id, code, parent_code, name_sv, name_en, color, sort_order, retired, \
             retention_months FROM categories WHERE tenant_id = ? ORDER BY sort_order, code",
        )
        .bind(tenant)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|r| {
                let code: String = r.get(1);
                let parent: Option<String> = r.get(2);
                Ok(Category {
                    tenant_id: r.get(0),
                    code: parsed(
                        "categories",
                        tenant,
                        "code",
                        &code,
                        CategoryCode::parse(&code),
                    )?,
                    parent: match parent {
                        None => None,
                        Some(p) => Some(parsed(
                            "categories",
                            tenant,
                            "parent_code",
                            &p,
                            CategoryCode::parse(&p),
                        )?),
                    },
                    name_sv: r.get(3),
                    name_en: r.get(4),
                    color: r.get(5),
                    sort_order: r.get(6),
                    retired: r.get::<i64, _>(7) != 0,
                    retention_months: r.get::<Option<i64>, _>(8).map(|m| m.clamp(0, 1200) as u32),
                })
            })
            .collect()
    }

    async fn create_place(&self, p: &NewPlace) -> Result<Place> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let id = next_ids(&mut tx, "places", 1).await?;
        sqlx::query(
            "INSERT INTO places (tenant_id, id, name, kind, is_school, geometry_geojson, lon, lat, is_demo) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(p.tenant_id)
        .bind(id)
        .bind(&p.name)
        .bind(p.kind.as_str())
        .bind(p.is_school as i64)
        .bind(&p.geometry_geojson)
        .bind(p.lon)
        .bind(p.lat)
        .bind(p.is_demo as i64)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        // Incidents already reported inside a new area belong to it from now on.
        if p.kind == PlaceKind::Area {
            let shape = geo::MultiPolygon::from_geojson_str(&p.geometry_geojson).map_err(|e| {
                StoreError::Corrupt {
                    table: "places",
                    id: id.to_string(),
                    field: "geometry_geojson",
                    value: e.to_string(),
                }
            })?;
            let [w, so, e, n] = shape.bbox();
            let inside: Vec<i64> = sqlx::query(
                "SELECT id, lon, lat FROM incidents WHERE tenant_id = ? AND precision != 'municipality' \
                 AND lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?",
            )
            .bind(p.tenant_id)
            .bind(w)
            .bind(e)
            .bind(so)
            .bind(n)
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?
            .iter()
            .filter(|r| shape.contains(r.get(1), r.get(2)))
            .map(|r| r.get(0))
            .collect();
            for incident in &inside {
                sqlx::query(
                    "INSERT INTO incident_areas (tenant_id, area_id, incident_id) VALUES (?, ?, ?)",
                )
                .bind(p.tenant_id)
                .bind(id)
                .bind(incident)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            }
        }
        let mut entry = audit(Timestamp::now(), None, "place.create", "place", id);
        entry.after = Some(
            serde_json::json!({ "name": p.name, "kind": p.kind.as_str(), "is_school": p.is_school, "is_demo": p.is_demo })
                .to_string(),
        );
        Chain::load(&mut tx, p.tenant_id)
            .await?
            .push(&mut tx, &entry)
            .await?;
        tx.commit().await.map_err(backend)?;
        Ok(Place {
            tenant_id: p.tenant_id,
            id,
            name: p.name.clone(),
            kind: p.kind,
            is_school: p.is_school,
            geometry_geojson: p.geometry_geojson.clone(),
            lon: p.lon,
            lat: p.lat,
            is_demo: p.is_demo,
        })
    }

    async fn tenant_smtp(&self, tenant: TenantId) -> Result<Option<model::SmtpSettings>> {
        let row = sqlx::query(plain(
            "SELECT smtp_host, smtp_port, smtp_security, smtp_from, smtp_user FROM tenants WHERE id = ?",
        ))
        .bind(tenant)
        .fetch_optional(&self.read)
        .await
        .map_err(backend)?;
        match row {
            None => Err(StoreError::NotFound {
                what: "tenant",
                id: tenant.to_string(),
            }),
            Some(r) => smtp_from_parts(tenant, r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)),
        }
    }

    async fn set_tenant_smtp(
        &self,
        tenant: TenantId,
        smtp: Option<&model::SmtpSettings>,
        by: Option<UserId>,
        at: Timestamp,
    ) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let done = sqlx::query(plain(
            "UPDATE tenants SET smtp_host = ?, smtp_port = ?, smtp_security = ?, smtp_from = ?, \
             smtp_user = ? WHERE id = ?",
        ))
        .bind(smtp.map(|s| s.host.clone()))
        .bind(smtp.map(|s| i64::from(s.port)))
        .bind(smtp.map(|s| s.security.as_str()))
        .bind(smtp.map(|s| s.from.as_str().to_string()))
        .bind(smtp.and_then(|s| s.user.clone()))
        .bind(tenant)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "tenant",
                id: tenant.to_string(),
            });
        }
        Chain::load(&mut tx, tenant)
            .await?
            .push(&mut tx, &smtp_audit(at, by, tenant, smtp))
            .await?;
        tx.commit().await.map_err(backend).map(|_| ())
    }

    async fn create_record(&self, r: &NewRecord) -> Result<Record> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        if let Some(p) = r.parent_id {
            let found = sqlx::query(plain(
                "SELECT kind FROM est_records WHERE tenant_id = ? AND id = ?",
            ))
            .bind(r.tenant_id)
            .bind(p)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            let found: Option<String> = found.map(|row| row.get(0));
            if found.as_deref() != r.kind.parent().map(|k| k.as_str()) {
                return Err(StoreError::WrongParent {
                    kind: r.kind,
                    parent: p,
                    found: found.unwrap_or_else(|| "missing record".into()),
                });
            }
        } else if let Some(k) = r.kind.parent() {
            return Err(StoreError::WrongParent {
                kind: r.kind,
                parent: 0,
                found: format!("none; it needs a {k}"),
            });
        }
        let id = next_ids(&mut tx, "est_records", 1).await?;
        let data = r.data.to_string();
        let at = ts(r.at);
        sqlx::query(plain(
            "INSERT INTO est_records (tenant_id, id, kind, parent_id, data, created_by, \
             created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        ))
        .bind(r.tenant_id)
        .bind(id)
        .bind(r.kind.as_str())
        .bind(r.parent_id)
        .bind(&data)
        .bind(r.by)
        .bind(at)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        Chain::load(&mut tx, r.tenant_id)
            .await?
            .push(&mut tx, &record_audit(r.at, r.by, r.kind, id, None, &data))
            .await?;
        tx.commit().await.map_err(backend)?;
        self.record(r.tenant_id, id)
            .await?
            .ok_or(StoreError::NotFound {
                what: "record",
                id: id.to_string(),
            })
    }

    async fn update_record(
        &self,
        tenant: TenantId,
        id: i64,
        data: &serde_json::Value,
        by: Option<UserId>,
        at: Timestamp,
    ) -> Result<Record> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let row = sqlx::query(plain(
            "SELECT kind, data FROM est_records WHERE tenant_id = ? AND id = ?",
        ))
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .ok_or(StoreError::NotFound {
            what: "record",
            id: id.to_string(),
        })?;
        let (kind, before): (String, String) = (row.get(0), row.get(1));
        let kind = parsed(
            "est_records",
            id,
            "kind",
            &kind,
            model::RecordKind::parse(&kind),
        )?;
        let after = data.to_string();
        sqlx::query(plain(
            "UPDATE est_records SET data = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
        ))
        .bind(&after)
        .bind(ts(at))
        .bind(tenant)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        Chain::load(&mut tx, tenant)
            .await?
            .push(
                &mut tx,
                &record_audit(at, by, kind, id, Some(&before), &after),
            )
            .await?;
        tx.commit().await.map_err(backend)?;
        self.record(tenant, id).await?.ok_or(StoreError::NotFound {
            what: "record",
            id: id.to_string(),
        })
    }

    async fn records(
        &self,
        tenant: TenantId,
        kind: model::RecordKind,
        parent: Option<i64>,
    ) -> Result<Vec<Record>> {
        let mut sql =
            format!("SELECT {RECORD_COLS} FROM est_records WHERE tenant_id = ? AND kind = ?");
        if parent.is_some() {
            sql.push_str(" AND parent_id = ?");
        }
        sql.push_str(" ORDER BY id");
        let mut q = sqlx::query(plain(&sql)).bind(tenant).bind(kind.as_str());
        if let Some(p) = parent {
            q = q.bind(p);
        }
        q.fetch_all(&self.read)
            .await
            .map_err(backend)?
            .iter()
            .map(record_row)
            .collect()
    }

    async fn record(&self, tenant: TenantId, id: i64) -> Result<Option<Record>> {
        let sql = format!("SELECT {RECORD_COLS} FROM est_records WHERE tenant_id = ? AND id = ?");
        sqlx::query(plain(&sql))
            .bind(tenant)
            .bind(id)
            .fetch_optional(&self.read)
            .await
            .map_err(backend)?
            .map(|r| record_row(&r))
            .transpose()
    }

    async fn area_counts(
        &self,
        actor: &Actor,
        filter: &IncidentFilter,
    ) -> Result<Vec<(PlaceId, u64)>> {
        // The areas found for each point when it was written (incident_areas), and the
        // place it was reported at.
        let mut sql = "SELECT p.id, (SELECT count(*) FROM incidents i".to_string();
        let mut args = Vec::new();
        scope(actor, Purpose::Read, &mut sql, &mut args);
        filter_sql(actor.tenant_id, filter, &mut sql, &mut args);
        sql.push_str(
            " AND (i.place_id = p.id OR EXISTS (SELECT 1 FROM incident_areas ia WHERE \
             ia.tenant_id = i.tenant_id AND ia.area_id = p.id AND ia.incident_id = i.id))) \
             FROM places p WHERE p.tenant_id = ? AND p.kind = 'area' ORDER BY p.id",
        );
        args.push(Arg::I(actor.tenant_id));
        Ok(bind_all(sqlx::query(&sql), args)
            .fetch_all(&self.read)
            .await
            .map_err(backend)?
            .iter()
            .map(|r| (r.get::<i64, _>(0), r.get::<i64, _>(1) as u64))
            .collect())
    }

    async fn create_action(&self, a: &NewAction) -> Result<Action> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let id = next_ids(&mut tx, "actions", 1).await?;
        let v = &a.action;
        let at = ts(a.created_at);
        if let Some(r) = v.record_id {
            let found = sqlx::query(plain(
                "SELECT 1 FROM est_records WHERE tenant_id = ? AND id = ?",
            ))
            .bind(a.tenant_id)
            .bind(r)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            if found.is_none() {
                return Err(StoreError::UnknownReference {
                    row: 0,
                    field: "record_id",
                    value: r.to_string(),
                });
            }
        }
        sqlx::query(plain(
            "INSERT INTO actions (tenant_id, id, title, description, owner_org_id, owner_user_id, \
             area_id, due_on, status, closing_note, created_by, created_at, updated_at, \
             buffer_area_id, control_area_id, record_id) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'planned', '', ?, ?, ?, ?, ?, ?)",
        ))
        .bind(a.tenant_id)
        .bind(id)
        .bind(&v.title)
        .bind(v.description.as_str())
        .bind(v.owner_org_id)
        .bind(v.owner_user_id)
        .bind(v.area_id)
        .bind(v.due_on.to_string())
        .bind(a.created_by)
        .bind(at)
        .bind(at)
        .bind(v.buffer_area_id)
        .bind(v.control_area_id)
        .bind(v.record_id)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            StoreError::Backend(format!(
                "action {:?}: the organisation {}, person {:?} or area {:?} is not this \
                 municipality's ({e})",
                v.title, v.owner_org_id, v.owner_user_id, v.area_id
            ))
        })?;
        Chain::load(&mut tx, a.tenant_id)
            .await?
            .push(&mut tx, &action_audit(id, a))
            .await?;
        tx.commit().await.map_err(backend)?;
        self.action(a.tenant_id, id)
            .await?
            .ok_or(StoreError::NotFound {
                what: "action",
                id: id.to_string(),
            })
    }

    async fn actions(&self, tenant: TenantId, filter: &ActionFilter) -> Result<Vec<Action>> {
        let mut sql = format!("SELECT {ACTION_COLS} FROM actions WHERE tenant_id = ?");
        let mut args = vec![Arg::I(tenant)];
        if let Some(s) = filter.status {
            sql.push_str(" AND status = ?");
            args.push(Arg::S(s.as_str().into()));
        }
        if let Some(o) = filter.owner_org_id {
            sql.push_str(" AND owner_org_id = ?");
            args.push(Arg::I(o));
        }
        if let Some(u) = filter.owner_user_id {
            sql.push_str(" AND owner_user_id = ?");
            args.push(Arg::I(u));
        }
        if let Some(d) = filter.overdue_on {
            sql.push_str(" AND status IN ('planned', 'in_progress') AND due_on < ?");
            args.push(Arg::S(d.to_string()));
        }
        sql.push_str(" ORDER BY due_on, id");
        bind_all(sqlx::query(plain(&sql)), args)
            .fetch_all(&self.read)
            .await
            .map_err(backend)?
            .iter()
            .map(action_row)
            .collect()
    }

    async fn action(&self, tenant: TenantId, id: i64) -> Result<Option<Action>> {
        let sql = format!("SELECT {ACTION_COLS} FROM actions WHERE tenant_id = ? AND id = ?");
        sqlx::query(plain(&sql))
            .bind(tenant)
            .bind(id)
            .fetch_optional(&self.read)
            .await
            .map_err(backend)?
            .map(|r| action_row(&r))
            .transpose()
    }

    async fn set_action_status(
        &self,
        tenant: TenantId,
        id: i64,
        by: Option<UserId>,
        to: model::ActionStatus,
        note: &str,
        now: Timestamp,
    ) -> Result<Action> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let row = sqlx::query(plain(
            "SELECT status FROM actions WHERE tenant_id = ? AND id = ?",
        ))
        .bind(tenant)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?
        .ok_or(StoreError::NotFound {
            what: "action",
            id: id.to_string(),
        })?;
        let from_s: String = row.get(0);
        let from = parsed(
            "actions",
            id,
            "status",
            &from_s,
            model::ActionStatus::parse(&from_s),
        )?;
        if !from.can_become(to) {
            return Err(StoreError::InvalidActionTransition { from, to });
        }
        let closed = to.is_closed().then_some(ts(now));
        sqlx::query(plain(
            "UPDATE actions SET status = ?, closing_note = ?, updated_at = ?, closed_at = ? \
             WHERE tenant_id = ? AND id = ?",
        ))
        .bind(to.as_str())
        .bind(note.trim())
        .bind(ts(now))
        .bind(closed)
        .bind(tenant)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let mut entry = audit(now, by, "action.status", "action", id);
        entry.before = Some(serde_json::json!({ "status": from.as_str() }).to_string());
        entry.after = Some(
            serde_json::json!({ "status": to.as_str(), "note": text_digest(Some(note.trim())) })
                .to_string(),
        );
        Chain::load(&mut tx, tenant)
            .await?
            .push(&mut tx, &entry)
            .await?;
        tx.commit().await.map_err(backend)?;
        self.action(tenant, id).await?.ok_or(StoreError::NotFound {
            what: "action",
            id: id.to_string(),
        })
    }

    async fn places(&self, tenant: TenantId) -> Result<Vec<Place>> {
        let mut places: Vec<Place> = sqlx::query(
            "SELECT tenant_id, id, name, kind, is_school, geometry_geojson, lon, lat, is_demo FROM places \
             WHERE tenant_id = ? ORDER BY name, id",
        )
        .bind(tenant)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?
        .iter()
        .map(place_row)
        .collect::<Result<_>>()?;
        sort_swedish(&mut places, |p| &p.name);
        Ok(places)
    }

    async fn insert_incidents(
        &self,
        tenant: TenantId,
        incidents: &[NewIncident],
    ) -> Result<Vec<IncidentId>> {
        if incidents.is_empty() {
            return Ok(vec![]);
        }
        let mut tx = self.write.begin().await.map_err(backend)?;
        check_references(&mut tx, tenant, incidents).await?;
        let first = next_ids(&mut tx, "incidents", incidents.len() as i64).await?;
        let mut chain = Chain::load(&mut tx, tenant).await?;
        let mut ids = Vec::with_capacity(incidents.len());
        for (i, n) in incidents.iter().enumerate() {
            let id = first + i as i64;
            insert_incident(&mut tx, None, tenant, id, n)
                .await
                .map_err(|e| match e {
                    StoreError::Backend(m) => StoreError::Backend(format!("row {}: {m}", i + 1)),
                    other => other,
                })?;
            ids.push(id);
        }
        chain
            .push(&mut tx, &new_incidents_audit(first, incidents))
            .await?;
        tx.commit().await.map_err(backend)?;
        Ok(ids)
    }

    async fn import_incidents(
        &self,
        tenant: TenantId,
        incidents: &[NewIncident],
    ) -> Result<ImportCounts> {
        let mut counts = ImportCounts::default();
        let mut tx = self.write.begin().await.map_err(backend)?;
        check_references(&mut tx, tenant, incidents).await?;
        let mut chain = Chain::load(&mut tx, tenant).await?;
        for (i, n) in incidents.iter().enumerate() {
            let Some(ext) = n.external_id.as_deref() else {
                return Err(StoreError::Backend(format!(
                    "row {}: an imported incident needs an external id",
                    i + 1
                )));
            };
            let existing = sqlx::query(
                "SELECT id, category_code, occurred_from, occurred_to, lon, lat, description, external_url, \
                 municipality_code, anonymised_at FROM incidents WHERE tenant_id = ? AND source = ? \
                 AND external_id = ?",
            )
            .bind(tenant)
            .bind(n.source.as_str())
            .bind(ext)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            match existing {
                None => {
                    let id = next_ids(&mut tx, "incidents", 1).await?;
                    insert_incident(&mut tx, Some(&mut chain), tenant, id, n).await?;
                    counts.inserted += 1;
                }
                // Retention removed its details: importing it again must not bring them back.
                Some(r) if r.get::<Option<i64>, _>(9).is_some() => counts.unchanged += 1,
                Some(r) => {
                    let same = r.get::<String, _>(1) == n.category.as_str()
                        && r.get::<i64, _>(2) == ts(n.occurred_from)
                        && r.get::<i64, _>(3) == ts(n.occurred_to)
                        && r.get::<f64, _>(4) == n.lon
                        && r.get::<f64, _>(5) == n.lat
                        && r.get::<String, _>(6) == n.description
                        && r.get::<Option<String>, _>(7) == n.external_url
                        && r.get::<Option<String>, _>(8) == n.municipality_code;
                    if same {
                        counts.unchanged += 1;
                        continue;
                    }
                    sqlx::query(
                        "UPDATE incidents SET category_code = ?, occurred_from = ?, occurred_to = ?, lon = ?, \
                         lat = ?, wx = ?, wy = ?, e = ?, n = ?, description = ?, external_url = ?, \
                         municipality_code = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
                    )
                    .bind(n.category.as_str())
                    .bind(ts(n.occurred_from))
                    .bind(ts(n.occurred_to))
                    .bind(n.lon)
                    .bind(n.lat)
                    .bind(geo::tile::world(n.lon, n.lat).0)
                    .bind(geo::tile::world(n.lon, n.lat).1)
                    .bind(n.e)
                    .bind(n.n)
                    .bind(&n.description)
                    .bind(n.external_url.as_deref())
                    .bind(n.municipality_code.as_deref())
                    .bind(ts(n.created_at))
                    .bind(tenant)
                    .bind(r.get::<i64, _>(0))
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                    let mut entry = audit(
                        n.created_at,
                        None,
                        "incident.update",
                        "incident",
                        r.get::<i64, _>(0),
                    );
                    entry.before = Some(
                        serde_json::json!({
                            "category": r.get::<String, _>(1),
                            "occurred_from": r.get::<i64, _>(2),
                            "occurred_to": r.get::<i64, _>(3),
                            "description": text_digest(Some(&r.get::<String, _>(6))),
                        })
                        .to_string(),
                    );
                    entry.after = Some(incident_json(n));
                    chain.push(&mut tx, &entry).await?;
                    counts.updated += 1;
                }
            }
        }
        tx.commit().await.map_err(backend)?;
        Ok(counts)
    }

    async fn incident(&self, actor: &Actor, id: IncidentId) -> Result<Option<Incident>> {
        let found = self.fetch_incident(actor, id).await?;
        if let Some(i) = &found
            && i.visibility != Visibility::AllPartners
        {
            let mut tx = self.write.begin().await.map_err(backend)?;
            let entry = audit(
                Timestamp::now(),
                Some(actor.user_id),
                "incident.read",
                "incident",
                id,
            );
            Chain::load(&mut tx, actor.tenant_id)
                .await?
                .push(&mut tx, &entry)
                .await?;
            tx.commit().await.map_err(backend)?;
        }
        Ok(found)
    }

    async fn export_tenant(&self, tenant: TenantId) -> Result<copy::TenantRows> {
        let mut out = copy::TenantRows::default();
        for spec in copy::TABLES {
            let cols: Vec<&str> = spec.columns.iter().map(|(c, _)| *c).collect();
            let sql = format!(
                "SELECT {} FROM {} WHERE {} = ? ORDER BY {}",
                cols.join(", "),
                spec.name,
                spec.tenant_column,
                spec.order_by
            );
            let rows = sqlx::query(&sql)
                .bind(tenant)
                .fetch_all(&self.read)
                .await
                .map_err(backend)?;
            let mut table = copy::TableRows {
                table: spec.name,
                rows: Vec::with_capacity(rows.len()),
            };
            for r in &rows {
                let mut cells = Vec::with_capacity(cols.len());
                for (k, (_, kind)) in spec.columns.iter().enumerate() {
                    let cell = match kind {
                        copy::Kind::Int => r
                            .try_get::<Option<i64>, _>(k)
                            .map(|v| v.map_or(copy::Cell::Null, copy::Cell::Int)),
                        copy::Kind::Real => r
                            .try_get::<Option<f64>, _>(k)
                            .map(|v| v.map_or(copy::Cell::Null, copy::Cell::Real)),
                        copy::Kind::Text => r
                            .try_get::<Option<String>, _>(k)
                            .map(|v| v.map_or(copy::Cell::Null, copy::Cell::Text)),
                    }
                    .map_err(backend)?;
                    cells.push(cell);
                }
                table.rows.push(cells);
            }
            out.tables.push(table);
        }
        Ok(out)
    }

    async fn import_tenant(&self, rows: &copy::TenantRows) -> Result<TenantId> {
        let code = rows
            .table("tenants")
            .and_then(|t| t.rows.first())
            .and_then(|r| match r.get(1) {
                Some(copy::Cell::Text(c)) => Some(c.clone()),
                _ => None,
            })
            .ok_or_else(|| StoreError::Backend("the export has no tenant".into()))?;
        let mut tx = self.write.begin().await.map_err(backend)?;
        let id = next_ids(&mut tx, "tenants", 1).await?;
        let rows = copy::retenant(rows, id);
        for spec in copy::TABLES {
            let Some(table) = rows.table(spec.name) else {
                continue;
            };
            let cols: Vec<&str> = spec.columns.iter().map(|(c, _)| *c).collect();
            // As many rows per statement as the bind-parameter limit allows.
            let per = (30_000 / cols.len()).max(1);
            for chunk in table.rows.chunks(per) {
                let one = format!("({})", vec!["?"; cols.len()].join(", "));
                let sql = format!(
                    "INSERT INTO {} ({}) VALUES {}",
                    spec.name,
                    cols.join(", "),
                    vec![one.as_str(); chunk.len()].join(", ")
                );
                let mut q = sqlx::query(&sql);
                for row in chunk {
                    for (cell, (_, kind)) in row.iter().zip(spec.columns) {
                        // A NULL of the column's type (PostgreSQL checks it).
                        q = match cell {
                            copy::Cell::Null => match kind {
                                copy::Kind::Int => q.bind(None::<i64>),
                                copy::Kind::Real => q.bind(None::<f64>),
                                copy::Kind::Text => q.bind(None::<String>),
                            },
                            copy::Cell::Int(v) => q.bind(*v),
                            copy::Cell::Real(v) => q.bind(*v),
                            copy::Cell::Text(v) => q.bind(v.as_str()),
                        };
                    }
                }
                q.execute(&mut *tx).await.map_err(|e| match &e {
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
                })?;
            }
        }
        for (name, max) in rows.max_ids() {
            sqlx::query("UPDATE sequences SET next = MAX(next, ?) WHERE name = ?")
                .bind(max + 1)
                .bind(name)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(id)
    }

    async fn append_audit(&self, tenant: TenantId, entry: &NewAudit) -> Result<AuditEntry> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let e = Chain::load(&mut tx, tenant)
            .await?
            .push(&mut tx, entry)
            .await?;
        tx.commit().await.map_err(backend)?;
        Ok(e)
    }

    async fn audit_log(&self, tenant: TenantId, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let mut sql = "SELECT a.tenant_id, a.seq, a.at, a.user_id, u.display_name, a.action, a.entity, a.entity_id, \
                       a.before_json, a.after_json, a.prev_hash, a.hash FROM audit_log a \
                       LEFT JOIN users u ON u.tenant_id = a.tenant_id AND u.id = a.user_id WHERE a.tenant_id = ?"
            .to_string();
        let mut args = vec![Arg::I(tenant)];
        if let Some(a) = &f.action {
            sql.push_str(" AND a.action = ?");
            args.push(Arg::S(a.clone()));
        }
        if let Some(u) = f.user_id {
            sql.push_str(" AND a.user_id = ?");
            args.push(Arg::I(u));
        }
        if let Some(e) = &f.entity_id {
            sql.push_str(" AND a.entity_id = ?");
            args.push(Arg::S(e.clone()));
        }
        if let Some(t) = f.from {
            sql.push_str(" AND a.at >= ?");
            args.push(Arg::I(ts(t)));
        }
        if let Some(t) = f.to {
            sql.push_str(" AND a.at < ?");
            args.push(Arg::I(ts(t)));
        }
        if let Some(s) = f.after_seq {
            sql.push_str(" AND a.seq > ?");
            args.push(Arg::I(s));
        }
        sql.push_str(if f.ascending {
            " ORDER BY a.seq ASC LIMIT ?"
        } else {
            " ORDER BY a.seq DESC LIMIT ?"
        });
        args.push(Arg::I(i64::from(f.limit.max(1))));
        let rows = bind_all(sqlx::query(&sql), args)
            .fetch_all(&self.read)
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|r| {
                let seq: i64 = r.get(1);
                Ok(AuditEntry {
                    tenant_id: r.get(0),
                    seq,
                    at: from_ts("audit_log", seq, "at", r.get(2))?,
                    user_id: r.get(3),
                    user_name: r.get(4),
                    action: r.get(5),
                    entity: r.get(6),
                    entity_id: r.get(7),
                    before: r.get(8),
                    after: r.get(9),
                    prev_hash: r.get(10),
                    hash: r.get(11),
                })
            })
            .collect()
    }

    async fn list_incidents(&self, actor: &Actor, q: &IncidentQuery) -> Result<Vec<Incident>> {
        let mut sql = format!("SELECT {INCIDENT_COLS} FROM {INCIDENT_FROM}");
        let mut args = Vec::new();
        scope(actor, Purpose::Read, &mut sql, &mut args);
        filter_sql(actor.tenant_id, &q.filter, &mut sql, &mut args);
        if let Some(c) = q.after {
            sql.push_str(" AND (i.occurred_from < ? OR (i.occurred_from = ? AND i.id < ?))");
            args.extend([
                Arg::I(ts(c.occurred_from)),
                Arg::I(ts(c.occurred_from)),
                Arg::I(c.id),
            ]);
        }
        sql.push_str(match (q.sort, q.after.is_some()) {
            (_, true) | (Sort::OccurredDesc, _) => " ORDER BY i.occurred_from DESC, i.id DESC",
            (Sort::OccurredAsc, _) => " ORDER BY i.occurred_from ASC, i.id ASC",
            (Sort::CreatedDesc, _) => " ORDER BY i.created_at DESC, i.id DESC",
            (Sort::Category, _) => " ORDER BY i.category_code ASC, i.occurred_from DESC, i.id DESC",
            (Sort::Status, _) => " ORDER BY i.status ASC, i.occurred_from DESC, i.id DESC",
        });
        sql.push_str(" LIMIT ? OFFSET ?");
        args.push(Arg::I(i64::from(q.limit)));
        args.push(Arg::I(if q.after.is_some() {
            0
        } else {
            i64::from(q.offset)
        }));
        bind_all(sqlx::query(&sql), args)
            .fetch_all(&self.read)
            .await
            .map_err(backend)?
            .iter()
            .map(incident_row)
            .collect()
    }

    async fn count_incidents(&self, actor: &Actor, filter: &IncidentFilter) -> Result<u64> {
        let mut sql = "SELECT count(*) FROM incidents i".to_string();
        let mut args = Vec::new();
        scope(actor, Purpose::Read, &mut sql, &mut args);
        filter_sql(actor.tenant_id, filter, &mut sql, &mut args);
        let row = bind_all(sqlx::query(&sql), args)
            .fetch_one(&self.read)
            .await
            .map_err(backend)?;
        Ok(row.get::<i64, _>(0) as u64)
    }

    async fn incident_points(
        &self,
        actor: &Actor,
        filter: &IncidentFilter,
        limit: u32,
    ) -> Result<Vec<IncidentPoint>> {
        // sqlx hands rows over one at a time (about 10 µs each); for 100,000 points SQLite
        // packs them into one JSON array instead, reals printed with 17 significant digits so
        // that they read back exactly. The aggregate keeps the subquery's order.
        let mut inner = "SELECT i.id, i.category_code, i.occurred_from, i.occurred_to, i.lon, i.lat, i.e, i.n, \
                       i.precision, i.status, i.municipality_code FROM incidents i"
            .to_string();
        let mut args = Vec::new();
        scope(actor, Purpose::Map, &mut inner, &mut args);
        filter_sql(actor.tenant_id, filter, &mut inner, &mut args);
        inner.push_str(" ORDER BY i.occurred_from DESC, i.id DESC LIMIT ?");
        args.push(Arg::I(i64::from(limit)));
        let sql = format!(
            "SELECT json_group_array(json_array(id, category_code, occurred_from, occurred_to, \
             printf('%!.17g', lon), printf('%!.17g', lat), printf('%!.17g', e), printf('%!.17g', n), \
             precision, status, municipality_code)) FROM ({inner})"
        );
        let row = bind_all(sqlx::query(&sql), args)
            .fetch_one(&self.read)
            .await
            .map_err(backend)?;
        let packed: &str = row.get(0);
        type Packed<'a> = (
            i64,
            &'a str,
            i64,
            i64,
            &'a str,
            &'a str,
            &'a str,
            &'a str,
            &'a str,
            &'a str,
            Option<&'a str>,
        );
        let rows: Vec<Packed<'_>> =
            serde_json::from_str(packed).map_err(|e| StoreError::Corrupt {
                table: "incidents",
                id: "(points)".into(),
                field: "json",
                value: e.to_string(),
            })?;
        const T: &str = "incidents";
        // Categories repeat: parse each code once.
        let mut codes: Vec<CategoryCode> = Vec::new();
        let real =
            |id: i64, field: &'static str, v: &str| parsed(T, id, field, v, v.parse::<f64>());
        rows.into_iter()
            .map(
                |(id, cat, from, to, lon, lat, e, n, precision, status, municipality)| {
                    let category = match codes.iter().find(|c| c.as_str() == cat) {
                        Some(c) => c.clone(),
                        None => {
                            let c = parsed(T, id, "category_code", cat, CategoryCode::parse(cat))?;
                            codes.push(c.clone());
                            c
                        }
                    };
                    Ok(IncidentPoint {
                        id,
                        category,
                        occurred_from: from_ts(T, id, "occurred_from", from)?,
                        occurred_to: from_ts(T, id, "occurred_to", to)?,
                        lon: real(id, "lon", lon)?,
                        lat: real(id, "lat", lat)?,
                        e: real(id, "e", e)?,
                        n: real(id, "n", n)?,
                        precision: parsed(
                            T,
                            id,
                            "precision",
                            precision,
                            Precision::parse(precision),
                        )?,
                        status: parsed(T, id, "status", status, IncidentStatus::parse(status))?,
                        municipality_code: municipality.map(str::to_string),
                    })
                },
            )
            .collect()
    }

    async fn set_retention_action(&self, tenant: TenantId, action: RetentionAction) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let before: Option<String> =
            sqlx::query("SELECT retention_action FROM tenants WHERE id = ?")
                .bind(tenant)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?
                .map(|r| r.get(0));
        let Some(before) = before else {
            return Err(StoreError::NotFound {
                what: "tenant",
                id: tenant.to_string(),
            });
        };
        sqlx::query("UPDATE tenants SET retention_action = ? WHERE id = ?")
            .bind(action.as_str())
            .bind(tenant)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let mut entry = audit(Timestamp::now(), None, "tenant.retention", "tenant", tenant);
        entry.before = Some(serde_json::json!({ "retention_action": before }).to_string());
        entry.after = Some(serde_json::json!({ "retention_action": action.as_str() }).to_string());
        Chain::load(&mut tx, tenant)
            .await?
            .push(&mut tx, &entry)
            .await?;
        tx.commit().await.map_err(backend)
    }

    async fn set_reporter_view(&self, tenant: TenantId, view: ReporterView) -> Result<()> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let r = sqlx::query("UPDATE tenants SET reporter_view = ? WHERE id = ?")
            .bind(view.as_str())
            .bind(tenant)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "tenant",
                id: tenant.to_string(),
            });
        }
        let mut entry = audit(
            Timestamp::now(),
            None,
            "tenant.reporter_view",
            "tenant",
            tenant,
        );
        entry.after = Some(serde_json::json!({ "reporter_view": view.as_str() }).to_string());
        Chain::load(&mut tx, tenant)
            .await?
            .push(&mut tx, &entry)
            .await?;
        tx.commit().await.map_err(backend)
    }

    async fn apply_retention(&self, tenant: TenantId, now: Timestamp) -> Result<RetentionReport> {
        let t = self.tenant(tenant).await?.ok_or(StoreError::NotFound {
            what: "tenant",
            id: tenant.to_string(),
        })?;
        let tz = jiff::tz::TimeZone::get("Europe/Stockholm")
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let mut report = RetentionReport {
            action: Some(t.retention_action),
            ..Default::default()
        };
        let mut tx = self.write.begin().await.map_err(backend)?;
        let cats: Vec<(String, i64)> =
            sqlx::query("SELECT code, retention_months FROM categories WHERE tenant_id = ? AND retention_months IS NOT NULL ORDER BY code")
                .bind(tenant)
                .fetch_all(&mut *tx)
                .await
                .map_err(backend)?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
        for (code, months) in cats {
            let months = months.clamp(0, 1200);
            let cutoff = now
                .to_zoned(tz.clone())
                .checked_sub(jiff::Span::new().months(months))
                .map_err(|e| StoreError::Backend(format!("retention cutoff for {code}: {e}")))?
                .timestamp();
            let rows = sqlx::query(
                "SELECT id, occurred_from, e, n, precision FROM incidents WHERE tenant_id = ? \
                 AND category_code = ? AND occurred_to < ? AND anonymised_at IS NULL",
            )
            .bind(tenant)
            .bind(&code)
            .bind(ts(cutoff))
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?;
            for r in &rows {
                let id: i64 = r.get(0);
                for table in ["incident_areas", "incident_status_log"] {
                    let sql = if table == "incident_status_log"
                        && t.retention_action == RetentionAction::Anonymise
                    {
                        "UPDATE incident_status_log SET comment = '', user_id = NULL WHERE tenant_id = ? AND incident_id = ?"
                    } else if table == "incident_areas" {
                        "DELETE FROM incident_areas WHERE tenant_id = ? AND incident_id = ?"
                    } else {
                        "DELETE FROM incident_status_log WHERE tenant_id = ? AND incident_id = ?"
                    };
                    sqlx::query(sql)
                        .bind(tenant)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                }
                match t.retention_action {
                    RetentionAction::Delete => {
                        sqlx::query("DELETE FROM incidents WHERE tenant_id = ? AND id = ?")
                            .bind(tenant)
                            .bind(id)
                            .execute(&mut *tx)
                            .await
                            .map_err(backend)?;
                        report.deleted += 1;
                    }
                    RetentionAction::Anonymise => {
                        let from = from_ts("incidents", id, "occurred_from", r.get(1))?;
                        let month = from
                            .to_zoned(tz.clone())
                            .first_of_month()
                            .and_then(|d| d.start_of_day())
                            .map_err(|e| StoreError::Backend(e.to_string()))?
                            .timestamp();
                        let precision: String = r.get(4);
                        let coarse = precision == Precision::Municipality.as_str();
                        let (e, n): (f64, f64) = (r.get(2), r.get(3));
                        let (ce, cn) = if coarse {
                            (e, n)
                        } else {
                            (
                                (e / 500.0).floor() * 500.0 + 250.0,
                                (n / 500.0).floor() * 500.0 + 250.0,
                            )
                        };
                        let (lon, lat) = geo::from_sweref99tm(geo::Sweref99Tm { e: ce, n: cn });
                        sqlx::query(
                            "UPDATE incidents SET occurred_from = ?, occurred_to = ?, e = ?, n = ?, lon = ?, lat = ?, \
                             wx = ?, wy = ?, precision = ?, description = '', place_text = NULL, place_id = NULL, school_id = NULL, \
                             persons_involved = NULL, user_id = NULL, external_url = NULL, anonymised_at = ?, \
                             updated_at = ? WHERE tenant_id = ? AND id = ?",
                        )
                        .bind(ts(month))
                        .bind(ts(month))
                        .bind(ce)
                        .bind(cn)
                        .bind(lon)
                        .bind(lat)
                        .bind(geo::tile::world(lon, lat).0)
                        .bind(geo::tile::world(lon, lat).1)
                        .bind(if coarse { Precision::Municipality.as_str() } else { Precision::Cell.as_str() })
                        .bind(ts(now))
                        .bind(ts(now))
                        .bind(tenant)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
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
        Chain::load(&mut tx, tenant)
            .await?
            .push(&mut tx, &entry)
            .await?;
        tx.commit().await.map_err(backend)?;
        Ok(report)
    }

    async fn redact_incident(
        &self,
        actor: &Actor,
        id: IncidentId,
        description: &str,
        place_text: Option<&str>,
        now: Timestamp,
    ) -> Result<Incident> {
        let Some(before) = self.fetch_incident(actor, id).await? else {
            return Err(StoreError::NotFound {
                what: "incident",
                id: id.to_string(),
            });
        };
        let mut tx = self.write.begin().await.map_err(backend)?;
        sqlx::query(
            "UPDATE incidents SET description = ?, place_text = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
        )
        .bind(description)
        .bind(place_text)
        .bind(ts(now))
        .bind(actor.tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let mut entry = audit(now, Some(actor.user_id), "incident.redact", "incident", id);
        entry.before = Some(
            serde_json::json!({
                "description": text_digest(Some(&before.description)),
                "place_text": text_digest(before.place_text.as_deref()),
            })
            .to_string(),
        );
        entry.after = Some(
            serde_json::json!({
                "description": text_digest(Some(description)),
                "place_text": text_digest(place_text),
            })
            .to_string(),
        );
        Chain::load(&mut tx, actor.tenant_id)
            .await?
            .push(&mut tx, &entry)
            .await?;
        tx.commit().await.map_err(backend)?;
        self.fetch_incident(actor, id)
            .await?
            .ok_or(StoreError::NotFound {
                what: "incident",
                id: id.to_string(),
            })
    }

    async fn incident_tile(
        &self,
        actor: &Actor,
        filter: &IncidentFilter,
        tile: geo::tile::TileId,
    ) -> Result<Vec<u8>> {
        let row = sqlx::query("SELECT map_version, reporter_view FROM tenants WHERE id = ?")
            .bind(actor.tenant_id)
            .fetch_optional(&self.read)
            .await
            .map_err(backend)?;
        let Some(row) = row else {
            return Ok(Vec::new());
        };
        let key = TileCache::key(actor, row.get::<&str, _>(1), row.get(0), filter, tile);
        self.tiles
            .get_or_make(key, self.make_tile(actor, filter, tile))
            .await
    }

    async fn set_incident_status(
        &self,
        actor: &Actor,
        id: IncidentId,
        to: IncidentStatus,
        comment: &str,
        now: Timestamp,
    ) -> Result<Incident> {
        let mut tx = self.write.begin().await.map_err(backend)?;
        let mut sql = "SELECT i.status FROM incidents i".to_string();
        let mut args = Vec::new();
        scope(actor, Purpose::Read, &mut sql, &mut args);
        sql.push_str(" AND i.id = ?");
        args.push(Arg::I(id));
        let row = bind_all(sqlx::query(&sql), args)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?
            .ok_or(StoreError::NotFound {
                what: "incident",
                id: id.to_string(),
            })?;
        let from_s: String = row.get(0);
        let from = parsed(
            "incidents",
            id,
            "status",
            &from_s,
            IncidentStatus::parse(&from_s),
        )?;
        if !from.can_become(to) {
            return Err(StoreError::InvalidTransition { from, to });
        }
        sqlx::query(
            "UPDATE incidents SET status = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
        )
        .bind(to.as_str())
        .bind(ts(now))
        .bind(actor.tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        sqlx::query(
            "INSERT INTO incident_status_log (tenant_id, incident_id, seq, at, user_id, from_status, to_status, comment) \
             SELECT ?, ?, coalesce(max(seq), 0) + 1, ?, ?, ?, ?, ? FROM incident_status_log \
             WHERE tenant_id = ? AND incident_id = ?",
        )
        .bind(actor.tenant_id)
        .bind(id)
        .bind(ts(now))
        .bind(actor.user_id)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(comment)
        .bind(actor.tenant_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let mut entry = audit(now, Some(actor.user_id), "incident.status", "incident", id);
        entry.before = Some(serde_json::json!({ "status": from.as_str() }).to_string());
        entry.after =
            Some(serde_json::json!({ "status": to.as_str(), "comment": comment }).to_string());
        Chain::load(&mut tx, actor.tenant_id)
            .await?
            .push(&mut tx, &entry)
            .await?;
        let row = sqlx::query(&format!(
            "SELECT {INCIDENT_COLS} FROM {INCIDENT_FROM} WHERE i.tenant_id = ? AND i.id = ?"
        ))
        .bind(actor.tenant_id)
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let incident = incident_row(&row)?;
        tx.commit().await.map_err(backend)?;
        Ok(incident)
    }

    async fn status_history(&self, actor: &Actor, id: IncidentId) -> Result<Vec<StatusChange>> {
        if self.fetch_incident(actor, id).await?.is_none() {
            return Ok(vec![]);
        }
        let rows = sqlx::query(
            "SELECT l.at, l.user_id, u.display_name, l.from_status, l.to_status, l.comment \
             FROM incident_status_log l LEFT JOIN users u ON u.tenant_id = l.tenant_id AND u.id = l.user_id \
             WHERE l.tenant_id = ? AND l.incident_id = ? ORDER BY l.seq",
        )
        .bind(actor.tenant_id)
        .bind(id)
        .fetch_all(&self.read)
        .await
        .map_err(backend)?;
        rows.iter()
            .map(|r| {
                let from: Option<String> = r.get(3);
                let to: String = r.get(4);
                Ok(StatusChange {
                    at: from_ts("incident_status_log", id, "at", r.get(0))?,
                    user_id: r.get(1),
                    user_name: r.get(2),
                    from: match from {
                        None => None,
                        Some(f) => Some(parsed(
                            "incident_status_log",
                            id,
                            "from_status",
                            &f,
                            IncidentStatus::parse(&f),
                        )?),
                    },
                    to: parsed(
                        "incident_status_log",
                        id,
                        "to_status",
                        &to,
                        IncidentStatus::parse(&to),
                    )?,
                    comment: r.get(5),
                })
            })
            .collect()
    }
}
