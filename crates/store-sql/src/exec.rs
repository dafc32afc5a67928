//! How the shared SQL reaches a database: a statement with its values ([`Sql`]), a row read
//! by column name ([`Row`]), and what each store provides ([`Backend`]): connections,
//! transactions, running a statement, and the few things the two databases say differently.
//!
//! Statements are written once with `?` placeholders; the PostgreSQL store numbers them
//! `$1, $2, …` when it runs them. None of our statements has a `?` inside a string literal.

use std::borrow::Cow;
use std::future::Future;
use std::marker::PhantomData;
use std::ops::DerefMut;
use store::{
    Actor, IncidentFilter, IncidentId, NewIncident, PlaceId, Result, StoreError, TenantId,
};

/// A value bound to a placeholder. Every column of both schemas is an integer, a real,
/// text (times are seconds, flags 0/1) or bytes (photos), so four kinds say everything; a
/// NULL keeps its kind (PostgreSQL checks it).
#[derive(Debug, Clone)]
pub enum Value<'a> {
    Int(Option<i64>),
    Real(Option<f64>),
    Text(Option<Cow<'a, str>>),
    Bytes(Option<Cow<'a, [u8]>>),
}

/// What can be bound to a placeholder.
pub trait Bind<'a> {
    fn value(self) -> Value<'a>;
}

impl<'a> Bind<'a> for Value<'a> {
    fn value(self) -> Value<'a> {
        self
    }
}
impl<'a> Bind<'a> for i64 {
    fn value(self) -> Value<'a> {
        Value::Int(Some(self))
    }
}
impl<'a> Bind<'a> for Option<i64> {
    fn value(self) -> Value<'a> {
        Value::Int(self)
    }
}
impl<'a> Bind<'a> for bool {
    fn value(self) -> Value<'a> {
        Value::Int(Some(i64::from(self)))
    }
}
impl<'a> Bind<'a> for f64 {
    fn value(self) -> Value<'a> {
        Value::Real(Some(self))
    }
}
impl<'a> Bind<'a> for Option<f64> {
    fn value(self) -> Value<'a> {
        Value::Real(self)
    }
}
impl<'a> Bind<'a> for jiff::Timestamp {
    fn value(self) -> Value<'a> {
        Value::Int(Some(store::backend::ts(self)))
    }
}
impl<'a> Bind<'a> for &'a str {
    fn value(self) -> Value<'a> {
        Value::Text(Some(Cow::Borrowed(self)))
    }
}
impl<'a> Bind<'a> for &'a String {
    fn value(self) -> Value<'a> {
        Value::Text(Some(Cow::Borrowed(self.as_str())))
    }
}
impl<'a> Bind<'a> for String {
    fn value(self) -> Value<'a> {
        Value::Text(Some(Cow::Owned(self)))
    }
}
impl<'a> Bind<'a> for Option<&'a str> {
    fn value(self) -> Value<'a> {
        Value::Text(self.map(Cow::Borrowed))
    }
}
impl<'a> Bind<'a> for &'a [u8] {
    fn value(self) -> Value<'a> {
        Value::Bytes(Some(Cow::Borrowed(self)))
    }
}
impl<'a> Bind<'a> for Option<String> {
    fn value(self) -> Value<'a> {
        Value::Text(self.map(Cow::Owned))
    }
}

/// One statement and its values, in placeholder order.
#[derive(Debug, Clone)]
pub struct Sql<'a> {
    pub text: Cow<'a, str>,
    pub args: Vec<Value<'a>>,
}

impl<'a> Sql<'a> {
    pub fn new(text: impl Into<Cow<'a, str>>) -> Sql<'a> {
        Sql {
            text: text.into(),
            args: Vec::new(),
        }
    }

    /// The next placeholder's value.
    pub fn bind(mut self, v: impl Bind<'a>) -> Sql<'a> {
        self.args.push(v.value());
        self
    }

    /// Appends text (with its own placeholders, bound after with `arg`).
    pub fn push(&mut self, text: &str) -> &mut Sql<'a> {
        self.text.to_mut().push_str(text);
        self
    }

    /// Appends a value for a placeholder already in the text.
    pub fn arg(&mut self, v: impl Bind<'a>) -> &mut Sql<'a> {
        self.args.push(v.value());
        self
    }

    /// `?, ?, …` for `n` values.
    pub fn marks(n: usize) -> String {
        vec!["?"; n].join(", ")
    }
}

/// A driver's query of `text` with the values bound in placeholder order: the one binding
/// of both stores (each gives its own SQL text: PostgreSQL numbers the placeholders).
pub fn bound<'q, DB>(
    text: &'q str,
    args: &'q [Value<'q>],
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
where
    DB: sqlx::Database,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<f64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<&'q [u8]>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let mut x = sqlx::query(text);
    for v in args {
        x = match v {
            Value::Int(v) => x.bind(*v),
            Value::Real(v) => x.bind(*v),
            Value::Text(v) => x.bind(v.as_deref()),
            Value::Bytes(v) => x.bind(v.as_deref()),
        };
    }
    x
}

/// A row read by column name. A value of the wrong type or a missing column is an error
/// that names the column, never a panic.
pub trait Row: Send + Sync {
    fn int(&self, col: &str) -> Result<i64>;
    fn opt_int(&self, col: &str) -> Result<Option<i64>>;
    fn real(&self, col: &str) -> Result<f64>;
    fn opt_real(&self, col: &str) -> Result<Option<f64>>;
    fn str(&self, col: &str) -> Result<&str>;
    fn opt_str(&self, col: &str) -> Result<Option<&str>>;
    fn bytes(&self, col: &str) -> Result<Vec<u8>>;

    fn text(&self, col: &str) -> Result<String> {
        self.str(col).map(str::to_string)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>> {
        self.opt_str(col).map(|v| v.map(str::to_string))
    }
    /// A 0/1 flag.
    fn flag(&self, col: &str) -> Result<bool> {
        self.int(col).map(|v| v != 0)
    }
}

/// A driver's row read by column name: the one decoding of both stores (`Backend::Row` is
/// `ByName<SqliteRow>` or `ByName<PgRow>`). Integers are BIGINT columns, and INT where the
/// SQL writes a literal (`CASE … THEN 1`, `SELECT 1`; PostgreSQL types those INT4).
pub struct ByName<R>(pub R);

type Db<R> = <R as sqlx::Row>::Database;

impl<R> Row for ByName<R>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, Db<R>> + sqlx::Type<Db<R>>,
    for<'r> i32: sqlx::Decode<'r, Db<R>> + sqlx::Type<Db<R>>,
    for<'r> f64: sqlx::Decode<'r, Db<R>> + sqlx::Type<Db<R>>,
    for<'r> &'r str: sqlx::Decode<'r, Db<R>> + sqlx::Type<Db<R>>,
    for<'r> Vec<u8>: sqlx::Decode<'r, Db<R>> + sqlx::Type<Db<R>>,
{
    fn int(&self, col: &str) -> Result<i64> {
        self.opt_int(col)?
            .ok_or_else(|| column_error(col, "NULL where a number was expected"))
    }
    fn opt_int(&self, col: &str) -> Result<Option<i64>> {
        match self.0.try_get::<Option<i64>, _>(col) {
            Err(sqlx::Error::ColumnDecode { .. }) => self
                .0
                .try_get::<Option<i32>, _>(col)
                .map(|v| v.map(i64::from))
                .map_err(|e| column_error(col, e)),
            r => r.map_err(|e| column_error(col, e)),
        }
    }
    fn real(&self, col: &str) -> Result<f64> {
        self.0.try_get(col).map_err(|e| column_error(col, e))
    }
    fn opt_real(&self, col: &str) -> Result<Option<f64>> {
        self.0.try_get(col).map_err(|e| column_error(col, e))
    }
    fn str(&self, col: &str) -> Result<&str> {
        self.0.try_get(col).map_err(|e| column_error(col, e))
    }
    fn opt_str(&self, col: &str) -> Result<Option<&str>> {
        self.0.try_get(col).map_err(|e| column_error(col, e))
    }
    fn bytes(&self, col: &str) -> Result<Vec<u8>> {
        self.0.try_get(col).map_err(|e| column_error(col, e))
    }
}

/// The error of a column that could not be read.
pub fn column_error(col: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("reading column {col}: {e}"))
}

/// A database driver error, said as what it is.
pub fn backend(e: sqlx::Error) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Maps a unique-constraint violation to `Conflict`, anything else to `Backend`.
pub fn conflict<'a>(
    what: &'static str,
    value: &'a str,
) -> impl FnOnce(sqlx::Error) -> StoreError + 'a {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict {
            what,
            value: value.to_string(),
        },
        _ => backend(e),
    }
}

/// What a store gives the shared SQL: its connections and how it runs a statement (each store
/// binds [`Value`]s with its own driver), and the few places where the databases differ —
/// each a short statement or hook, named for what it does.
pub trait Backend: Clone + Send + Sync + Sized + 'static {
    /// The driver's database (`sqlx::Sqlite`, `sqlx::Postgres`).
    type Db: sqlx::Database;
    type Row: Row;

    /// Opens the store at `location` (a path or URL) and brings its schema up to date.
    fn open(location: &str) -> impl Future<Output = Result<Self>> + Send;
    /// The backend and its location, for logs (never a password).
    fn describe(&self) -> String;
    /// The pool reads come from.
    fn readers(&self) -> &sqlx::Pool<Self::Db>;
    /// The pool writes go to, and reads that must see a commit at once (SQLite: its one
    /// writer connection; PostgreSQL: the same pool as the readers).
    fn writers(&self) -> &sqlx::Pool<Self::Db>;
    /// The statement a write transaction begins with. SQLite's is `BEGIN IMMEDIATE`: a
    /// transaction that reads, then writes, while another process (an import beside serve)
    /// commits would fail its upgrade at once; taken at the start, the lock waits on the busy
    /// timeout instead.
    const BEGIN: &'static str;

    fn fetch_all<'a>(
        c: &'a mut Conn<Self>,
        q: Sql<'a>,
    ) -> impl Future<Output = sqlx::Result<Vec<Self::Row>>> + Send + 'a;
    fn fetch_optional<'a>(
        c: &'a mut Conn<Self>,
        q: Sql<'a>,
    ) -> impl Future<Output = sqlx::Result<Option<Self::Row>>> + Send + 'a;
    /// Runs a statement; the rows it changed.
    fn execute<'a>(
        c: &'a mut Conn<Self>,
        q: Sql<'a>,
    ) -> impl Future<Output = sqlx::Result<u64>> + Send + 'a;

    // The dialects.

    /// `count` new ids of a sequence (the first), for rows written in `tx`. SQLite takes them
    /// in the transaction; PostgreSQL in a short one of its own so that writers do not wait
    /// for each other's commits.
    fn next_ids<'a>(
        &'a self,
        tx: &'a mut Conn<Self>,
        name: &'a str,
        count: i64,
    ) -> impl Future<Output = Result<i64>> + Send + 'a;
    /// Makes the transaction the only writer of the tenant's audit chain until it ends
    /// (SQLite has one writer already; PostgreSQL takes an advisory lock).
    fn lock_chain(tx: &mut Conn<Self>, tenant: TenantId)
    -> impl Future<Output = Result<()>> + Send;
    /// The larger of two values (`MAX(a, b)` in SQLite, `GREATEST(a, b)` in PostgreSQL).
    const GREATEST: &'static str;
    /// The rows of `inner` (`IncidentPoint` columns, in order) as one JSON array of arrays,
    /// reals as text that reads back exactly, in one column `points`.
    fn points_json(inner: &str) -> String;
    /// A statement that keeps a tenant's place shapes where the database needs them (PostGIS
    /// geometry), `WHERE tenant_id = ?` last; none where the GeoJSON is enough.
    const PLACE_SHAPES: Option<&'static str>;

    // What each database does in its own way.

    /// A batch of new incidents (ids from `first`) with their areas and first status rows, in
    /// one go (PostgreSQL's COPY). `Ok(false)`: not done, write them row by row.
    fn insert_bulk<'a>(
        _tx: &'a mut Conn<Self>,
        _tenant: TenantId,
        _first: IncidentId,
        _incidents: &'a [NewIncident],
    ) -> impl Future<Output = Result<bool>> + Send + 'a {
        async { Ok(false) }
    }
    /// Area statistics (see `Store::area_counts`).
    fn area_counts<'a>(
        &'a self,
        actor: &'a Actor,
        filter: &'a IncidentFilter,
    ) -> impl Future<Output = Result<Vec<(PlaceId, u64)>>> + Send + 'a;
    /// A map tile made from the database (see `Store::incident_tile`; the caller keeps it in
    /// the tile cache).
    fn make_tile<'a>(
        &'a self,
        actor: &'a Actor,
        filter: &'a IncidentFilter,
        tile: geo::tile::TileId,
    ) -> impl Future<Output = Result<Vec<u8>>> + Send + 'a;
}

/// A connection of backend `B` (pooled or a transaction) with the statements' results as
/// store results.
pub struct Cx<B: Backend, G> {
    g: G,
    _b: PhantomData<fn() -> B>,
}

impl<B: Backend, G: DerefMut<Target = Conn<B>> + Send> Cx<B, G> {
    pub fn new(g: G) -> Cx<B, G> {
        Cx { g, _b: PhantomData }
    }

    pub async fn all(&mut self, q: Sql<'_>) -> Result<Vec<B::Row>> {
        B::fetch_all(&mut self.g, q).await.map_err(backend)
    }

    pub async fn optional(&mut self, q: Sql<'_>) -> Result<Option<B::Row>> {
        B::fetch_optional(&mut self.g, q).await.map_err(backend)
    }

    /// The one row a statement returns.
    pub async fn one(&mut self, q: Sql<'_>) -> Result<B::Row> {
        self.optional(q).await?.ok_or_else(|| {
            StoreError::Backend("a statement that returns one row returned none".into())
        })
    }

    pub async fn execute(&mut self, q: Sql<'_>) -> Result<u64> {
        B::execute(&mut self.g, q).await.map_err(backend)
    }

    /// Runs a statement whose unique violation means `what` `value` exists already.
    pub async fn execute_unique(
        &mut self,
        q: Sql<'_>,
        what: &'static str,
        value: &str,
    ) -> Result<u64> {
        B::execute(&mut self.g, q)
            .await
            .map_err(conflict(what, value))
    }

    /// Runs a statement, its driver error said with `what` (the row or record it concerns).
    pub async fn execute_or(
        &mut self,
        q: Sql<'_>,
        what: impl FnOnce(sqlx::Error) -> StoreError,
    ) -> Result<u64> {
        B::execute(&mut self.g, q).await.map_err(what)
    }

    /// The connection itself, for a backend's own statements.
    pub fn conn(&mut self) -> &mut Conn<B> {
        &mut self.g
    }
}

impl<B: Backend> Cx<B, Transaction<B>> {
    pub async fn commit(self) -> Result<()> {
        self.g.commit().await.map_err(backend)
    }
}

/// A connection of backend `B` (the target of a pooled connection and of a transaction).
pub type Conn<B> = <<B as Backend>::Db as sqlx::Database>::Connection;
/// A connection of backend `B` taken from a pool, returned when dropped.
pub type Pooled<B> = sqlx::pool::PoolConnection<<B as Backend>::Db>;
/// A write transaction of backend `B`, rolled back when dropped uncommitted.
pub type Transaction<B> = sqlx::Transaction<'static, <B as Backend>::Db>;
/// A transaction of backend `B` with the statements' results as store results.
pub type Tx<B> = Cx<B, Transaction<B>>;
