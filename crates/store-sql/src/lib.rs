//! The SQL both Lägesbild stores share, written once: every query where SQLite and
//! PostgreSQL agree, each row decoded once by column name, and `SqlStore`, the `Store` of
//! either database. A store crate gives only what is its own through [`Backend`]: its
//! driver, connections and migrations, and the few statements the databases say
//! differently (PostGIS area statistics, COPY, tile encoding, JSON aggregation, locks).
//!
//! Where things are: one module per kind of record (`tenants`, `people`, `sessions`,
//! `places`, `incidents`, `actions`, `records`, `audit`, `retention`, `copy`, `tiles`); the
//! `Store` trait's methods below only say which module answers.
#![forbid(unsafe_code)]

pub mod actions;
pub mod audit;
pub mod copy;
pub mod exec;
pub mod incidents;
pub mod limits;
pub mod people;
pub mod photos;
pub mod places;
pub mod records;
pub mod reports;
pub mod retention;
pub mod sessions;
pub mod sso;
pub mod tenants;
pub mod tiles;
pub mod tips;

pub use exec::{
    Backend, Bind, ByName, Conn, Cx, Pooled, Row, Sql, Transaction, Tx, Value, backend, bound,
    column_error, conflict,
};
pub use tiles::{TileQuery, TileRow, encode_tile};

use async_trait::async_trait;
use incidents::{read, write};
use jiff::Timestamp;
use model::{Email, IncidentStatus};
use store::*;

/// A store over the database of backend `B`. Derefs to the backend for its own methods
/// (migrations, closing). A clone shares the connections, the tile cache and the queue of
/// reports waiting for their transaction.
#[derive(Clone)]
pub struct SqlStore<B: Backend> {
    b: B,
    tiles: std::sync::Arc<TileCache>,
    reports: std::sync::Arc<reports::Group>,
    setup: std::sync::Arc<tenants::SetupCache>,
}

impl<B: Backend> SqlStore<B> {
    pub fn new(b: B) -> SqlStore<B> {
        SqlStore {
            b,
            tiles: Default::default(),
            reports: Default::default(),
            setup: Default::default(),
        }
    }

    /// Opens the database at `location` (see `Backend::open`).
    pub async fn open(location: &str) -> Result<SqlStore<B>> {
        Ok(SqlStore::new(B::open(location).await?))
    }

    /// A connection for reading.
    pub async fn read(&self) -> Result<Cx<B, Pooled<B>>> {
        Ok(Cx::new(self.b.readers().acquire().await.map_err(backend)?))
    }

    /// A connection that sees every committed write at once (SQLite's readers may lag).
    pub async fn fresh(&self) -> Result<Cx<B, Pooled<B>>> {
        self.write().await
    }

    /// A connection for a single write outside a transaction.
    pub async fn write(&self) -> Result<Cx<B, Pooled<B>>> {
        Ok(Cx::new(self.b.writers().acquire().await.map_err(backend)?))
    }

    pub async fn begin(&self) -> Result<Tx<B>> {
        Ok(Cx::new(
            self.b
                .writers()
                .begin_with(B::BEGIN)
                .await
                .map_err(backend)?,
        ))
    }
}

impl<B: Backend> std::ops::Deref for SqlStore<B> {
    type Target = B;
    fn deref(&self) -> &B {
        &self.b
    }
}

#[async_trait]
impl<B: Backend> Store for SqlStore<B> {
    fn describe(&self) -> String {
        self.b.describe()
    }

    async fn create_tenant(&self, t: &NewTenant) -> Result<Tenant> {
        tenants::create(self, t).await
    }
    async fn tenant(&self, id: TenantId) -> Result<Option<Tenant>> {
        tenants::get(self, id).await
    }
    async fn tenant_setup(&self, id: TenantId) -> Result<Option<TenantSetup>> {
        tenants::setup(self, id).await
    }
    async fn tenant_by_code(&self, code: &str) -> Result<Option<Tenant>> {
        tenants::by_code(self, code).await
    }
    async fn tenants(&self) -> Result<Vec<Tenant>> {
        tenants::all(self).await
    }
    async fn update_tenant_settings(
        &self,
        tenant: TenantId,
        st: &TenantSettings,
        by: Option<UserId>,
    ) -> Result<Tenant> {
        tenants::update_settings(self, tenant, st, by).await
    }
    async fn set_retention_action(
        &self,
        tenant: TenantId,
        action: model::RetentionAction,
    ) -> Result<()> {
        tenants::set_retention_action(self, tenant, action).await
    }
    async fn set_reporter_view(&self, tenant: TenantId, view: model::ReporterView) -> Result<()> {
        tenants::set_reporter_view(self, tenant, view).await
    }
    async fn tenant_smtp(&self, tenant: TenantId) -> Result<Option<model::SmtpSettings>> {
        tenants::smtp(self, tenant).await
    }
    async fn set_tenant_smtp(
        &self,
        tenant: TenantId,
        smtp: Option<&model::SmtpSettings>,
        by: Option<UserId>,
        at: Timestamp,
    ) -> Result<()> {
        tenants::set_smtp(self, tenant, smtp, by, at).await
    }

    async fn create_organisation(&self, o: &NewOrganisation) -> Result<Organisation> {
        people::create_organisation(self, o).await
    }
    async fn organisations(&self, tenant: TenantId) -> Result<Vec<Organisation>> {
        people::organisations(self, tenant).await
    }
    async fn update_organisation(
        &self,
        tenant: TenantId,
        id: OrgId,
        name: &str,
        kind: &str,
        by: Option<UserId>,
    ) -> Result<Organisation> {
        people::update_organisation(self, tenant, id, name, kind, by).await
    }
    async fn create_user(&self, u: &NewUser) -> Result<User> {
        people::create_user(self, u).await
    }
    async fn user(&self, tenant: TenantId, id: UserId) -> Result<Option<User>> {
        people::user(self, tenant, id).await
    }
    async fn users(&self, tenant: TenantId) -> Result<Vec<User>> {
        people::users(self, tenant).await
    }
    async fn update_user(
        &self,
        tenant: TenantId,
        id: UserId,
        c: &UserChanges,
        by: Option<UserId>,
    ) -> Result<User> {
        people::update_user(self, tenant, id, c, by).await
    }
    async fn set_password(
        &self,
        tenant: TenantId,
        id: UserId,
        hash: &str,
        by: Option<UserId>,
    ) -> Result<()> {
        people::set_password(self, tenant, id, hash, by).await
    }
    async fn status_emails(&self, tenant: TenantId, id: UserId) -> Result<bool> {
        people::status_emails(self, tenant, id).await
    }
    async fn set_status_emails(
        &self,
        tenant: TenantId,
        id: UserId,
        on: bool,
        now: Timestamp,
    ) -> Result<()> {
        people::set_status_emails(self, tenant, id, on, now).await
    }
    async fn user_credentials(&self, email: &Email) -> Result<Option<(User, String)>> {
        people::credentials(self, email).await
    }

    async fn create_session(&self, s: &NewSession) -> Result<()> {
        sessions::create(self, s).await
    }
    async fn session(&self, token_hash: &str, now: Timestamp) -> Result<Option<(Session, User)>> {
        sessions::get(self, token_hash, now).await
    }
    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sessions::delete(self, token_hash).await
    }
    async fn touch_session(&self, token_hash: &str, now: Timestamp) -> Result<()> {
        sessions::touch(self, token_hash, now).await
    }
    async fn delete_user_sessions(&self, tenant: TenantId, user: UserId) -> Result<u64> {
        sessions::delete_for_user(self, tenant, user).await
    }
    async fn set_session_stage(
        &self,
        token_hash: &str,
        stage: SessionStage,
        pending_secret: Option<&str>,
    ) -> Result<()> {
        sessions::set_stage(self, token_hash, stage, pending_secret).await
    }
    async fn user_totp(&self, tenant: TenantId, user: UserId) -> Result<Option<TotpState>> {
        sessions::totp(self, tenant, user).await
    }
    async fn enable_totp(&self, tenant: TenantId, user: UserId, state: &TotpState) -> Result<()> {
        sessions::enable_totp(self, tenant, user, state).await
    }
    async fn totp_secrets(&self) -> Result<Vec<(TenantId, UserId, String)>> {
        sessions::totp_secrets(self).await
    }
    async fn replace_totp_secret(
        &self,
        tenant: TenantId,
        user: UserId,
        old: &str,
        new: &str,
    ) -> Result<bool> {
        sessions::replace_totp_secret(self, tenant, user, old, new).await
    }
    async fn totp_used(&self, tenant: TenantId, user: UserId, step: i64) -> Result<()> {
        sessions::totp_used(self, tenant, user, step).await
    }
    async fn use_recovery_code(&self, tenant: TenantId, user: UserId, hash: &str) -> Result<bool> {
        sessions::use_recovery_code(self, tenant, user, hash).await
    }
    async fn reset_totp(&self, tenant: TenantId, user: UserId, by: Option<UserId>) -> Result<()> {
        sessions::reset_totp(self, tenant, user, by).await
    }
    async fn create_api_token(&self, t: &NewApiToken) -> Result<()> {
        sessions::create_token(self, t).await
    }
    async fn api_token_user(&self, token_hash: &str, now: Timestamp) -> Result<Option<User>> {
        sessions::token_user(self, token_hash, now).await
    }
    async fn api_tokens(&self, tenant: TenantId, user: Option<UserId>) -> Result<Vec<ApiToken>> {
        sessions::tokens(self, tenant, user).await
    }
    async fn revoke_api_token(
        &self,
        tenant: TenantId,
        id: &str,
        user: Option<UserId>,
        by: Option<UserId>,
    ) -> Result<()> {
        sessions::revoke_token(self, tenant, id, user, by).await
    }

    async fn upsert_category(&self, c: &Category, by: Option<UserId>) -> Result<()> {
        places::upsert_category(self, c, by).await
    }
    async fn categories(&self, tenant: TenantId) -> Result<Vec<Category>> {
        places::categories(self, tenant).await
    }
    async fn create_place(&self, p: &NewPlace) -> Result<Place> {
        places::create_place(self, p).await
    }
    async fn places(&self, tenant: TenantId) -> Result<Vec<Place>> {
        places::places(self, tenant).await
    }
    async fn area_counts(
        &self,
        actor: &Actor,
        filter: &IncidentFilter,
    ) -> Result<Vec<(PlaceId, u64)>> {
        self.b.area_counts(actor, filter).await
    }

    async fn apply_retention(&self, tenant: TenantId, now: Timestamp) -> Result<RetentionReport> {
        retention::apply(self, tenant, now).await
    }

    async fn create_tip(&self, tip: &NewTip) -> Result<Tip> {
        tips::create(self, tip).await
    }
    async fn tip(&self, tenant: TenantId, id: i64) -> Result<Option<Tip>> {
        tips::get(self, tenant, id).await
    }
    async fn tip_by_receipt(&self, receipt_hash: &str) -> Result<Option<Tip>> {
        tips::by_receipt(self, receipt_hash).await
    }
    async fn tip_by_token(&self, tenant: TenantId, token: &str) -> Result<Option<Tip>> {
        tips::by_token(self, tenant, token).await
    }
    async fn tips(
        &self,
        tenant: TenantId,
        status: Option<model::TipStatus>,
        limit: u32,
    ) -> Result<Vec<Tip>> {
        tips::list(self, tenant, status, limit).await
    }
    async fn find_tips(&self, tenant: TenantId, filter: &TipFilter) -> Result<Vec<Tip>> {
        tips::find(self, tenant, filter).await
    }
    async fn moderate_tip(&self, tenant: TenantId, id: i64, d: &TipDecision) -> Result<Tip> {
        tips::moderate(self, tenant, id, d).await
    }
    async fn create_open311_key(&self, key: &NewOpen311Key) -> Result<Open311Key> {
        tips::create_key(self, key).await
    }
    async fn open311_keys(&self, tenant: TenantId) -> Result<Vec<Open311Key>> {
        tips::keys(self, tenant).await
    }
    async fn open311_key(&self, key_hash: &str) -> Result<Option<Open311Key>> {
        tips::key(self, key_hash).await
    }
    async fn revoke_open311_key(
        &self,
        tenant: TenantId,
        id: i64,
        by: Option<UserId>,
        at: Timestamp,
    ) -> Result<()> {
        tips::revoke_key(self, tenant, id, by, at).await
    }
    async fn limit_record(&self, keys: &[String], at: Timestamp) -> Result<()> {
        limits::record(self, keys, at).await
    }
    async fn limit_recent(&self, key: &str, since: Timestamp, n: usize) -> Result<Vec<Timestamp>> {
        limits::recent(self, key, since, n).await
    }
    async fn limit_forget(&self, exact: &[String], prefixes: &[String]) -> Result<u64> {
        limits::forget(self, exact, prefixes).await
    }
    async fn limit_prune(&self, before: Timestamp) -> Result<u64> {
        limits::prune(self, before).await
    }
    async fn server_secret(&self, name: &str, fresh: &str) -> Result<String> {
        limits::server_secret(self, name, fresh).await
    }
    async fn sso_provider(&self, tenant: TenantId) -> Result<Option<SsoProvider>> {
        sso::provider(self, tenant).await
    }
    async fn set_sso_provider(&self, p: &SsoProvider, by: Option<UserId>) -> Result<()> {
        sso::set_provider(self, p, by).await
    }
    async fn sso_login_begin(&self, login: &SsoLogin) -> Result<()> {
        sso::login_begin(self, login).await
    }
    async fn sso_login_take(&self, state_hash: &str, now: Timestamp) -> Result<Option<SsoLogin>> {
        sso::login_take(self, state_hash, now).await
    }
    async fn user_by_identity(
        &self,
        tenant: TenantId,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<User>> {
        sso::user_by_identity(self, tenant, issuer, subject).await
    }
    async fn link_identity(
        &self,
        tenant: TenantId,
        issuer: &str,
        subject: &str,
        user: UserId,
        at: Timestamp,
    ) -> Result<()> {
        sso::link_identity(self, tenant, issuer, subject, user, at).await
    }

    async fn create_action(&self, a: &NewAction) -> Result<Action> {
        actions::create(self, a).await
    }
    async fn actions(&self, tenant: TenantId, filter: &ActionFilter) -> Result<Vec<Action>> {
        actions::list(self, tenant, filter).await
    }
    async fn action(&self, tenant: TenantId, id: i64) -> Result<Option<Action>> {
        actions::get(self, tenant, id).await
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
        actions::set_status(self, tenant, id, by, to, note, now).await
    }

    async fn create_record(&self, r: &NewRecord) -> Result<Record> {
        records::create(self, r).await
    }
    async fn update_record(
        &self,
        tenant: TenantId,
        id: i64,
        data: &serde_json::Value,
        by: Option<UserId>,
        at: Timestamp,
    ) -> Result<Record> {
        records::update(self, tenant, id, data, by, at).await
    }
    async fn records(
        &self,
        tenant: TenantId,
        kind: model::RecordKind,
        parent: Option<i64>,
    ) -> Result<Vec<Record>> {
        records::list(self, tenant, kind, parent).await
    }
    async fn record(&self, tenant: TenantId, id: i64) -> Result<Option<Record>> {
        records::get(self, tenant, id).await
    }

    async fn insert_incidents(
        &self,
        tenant: TenantId,
        incidents: &[NewIncident],
    ) -> Result<Vec<IncidentId>> {
        write::insert(self, tenant, incidents).await
    }
    async fn import_incidents(
        &self,
        tenant: TenantId,
        incidents: &[NewIncident],
    ) -> Result<ImportCounts> {
        write::import(self, tenant, incidents).await
    }
    async fn submit_report(&self, tenant: TenantId, report: &NewReport) -> Result<ReportReceipt> {
        reports::submit(self, tenant, report).await
    }
    async fn report_incidents(&self, actor: &Actor, report: ReportId) -> Result<Vec<Incident>> {
        reports::incidents(self, actor, report).await
    }
    async fn nearby_incidents(&self, actor: &Actor, q: &NearbyQuery) -> Result<Vec<Incident>> {
        reports::nearby(self, actor, q).await
    }
    async fn add_photo(&self, actor: &Actor, photo: &NewPhoto) -> Result<PhotoAdded> {
        photos::add(self, actor, photo).await
    }
    async fn photos(&self, actor: &Actor, incident: IncidentId) -> Result<Vec<PhotoInfo>> {
        photos::list(self, actor, incident).await
    }
    async fn photo(
        &self,
        actor: &Actor,
        incident: IncidentId,
        id: PhotoId,
    ) -> Result<Option<(PhotoInfo, Vec<u8>)>> {
        photos::get(self, actor, incident, id).await
    }
    async fn incident(&self, actor: &Actor, id: IncidentId) -> Result<Option<Incident>> {
        read::get(self, actor, id).await
    }
    async fn list_incidents(&self, actor: &Actor, q: &IncidentQuery) -> Result<Vec<Incident>> {
        read::list(self, actor, q).await
    }
    async fn count_incidents(&self, actor: &Actor, filter: &IncidentFilter) -> Result<u64> {
        read::count(self, actor, filter).await
    }
    async fn incident_points(
        &self,
        actor: &Actor,
        filter: &IncidentFilter,
        limit: u32,
    ) -> Result<Vec<IncidentPoint>> {
        read::points(self, actor, filter, limit).await
    }
    async fn incident_tile(
        &self,
        actor: &Actor,
        filter: &IncidentFilter,
        tile: geo::tile::TileId,
    ) -> Result<Vec<u8>> {
        tiles::tile(self, actor, filter, tile).await
    }
    async fn set_incident_status(
        &self,
        actor: &Actor,
        id: IncidentId,
        to: IncidentStatus,
        comment: &str,
        now: Timestamp,
    ) -> Result<Incident> {
        write::set_status(self, actor, id, to, comment, None, now).await
    }
    async fn mark_duplicate(
        &self,
        actor: &Actor,
        id: IncidentId,
        of: IncidentId,
        comment: &str,
        now: Timestamp,
    ) -> Result<Incident> {
        write::set_status(
            self,
            actor,
            id,
            IncidentStatus::Duplicate,
            comment,
            Some(of),
            now,
        )
        .await
    }
    async fn status_history(&self, actor: &Actor, id: IncidentId) -> Result<Vec<StatusChange>> {
        read::history(self, actor, id).await
    }
    async fn report_updates(
        &self,
        actor: &Actor,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<ReportUpdate>> {
        read::updates_for_reporter(self, actor, since, limit).await
    }
    async fn redact_incident(
        &self,
        actor: &Actor,
        id: IncidentId,
        description: &str,
        place_text: Option<&str>,
        now: Timestamp,
    ) -> Result<Incident> {
        write::redact(self, actor, id, description, place_text, now).await
    }

    async fn export_tenant(&self, tenant: TenantId) -> Result<store::copy::TenantRows> {
        copy::export(self, tenant).await
    }
    async fn import_tenant(&self, rows: &store::copy::TenantRows) -> Result<TenantId> {
        copy::import(self, rows).await
    }

    async fn append_audit(&self, tenant: TenantId, entry: &NewAudit) -> Result<AuditEntry> {
        audit::append(self, tenant, entry).await
    }
    async fn audit_log(&self, tenant: TenantId, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
        audit::list(self, tenant, f).await
    }
}
