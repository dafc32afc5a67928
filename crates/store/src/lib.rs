//! The storage interface of Lägesbild.
//!
//! [`Store`] is implemented once per backend (`store-sqlite`, later `store-postgres`); only those
//! crates speak SQL. Every method that reads incidents takes the [`Actor`] asking, and the
//! backend enforces tenant scope and incident visibility inside its queries, so no caller can
//! forget to filter. [`conformance`] is the one test suite every backend must pass.
#![forbid(unsafe_code)]

pub mod audit;
pub mod backend;
pub mod conformance;
pub mod copy;
mod types;

pub use types::*;

use async_trait::async_trait;
use jiff::Timestamp;
use model::{Email, IncidentStatus};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{what} {value:?} already exists")]
    Conflict { what: &'static str, value: String },
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: String },
    #[error("an incident cannot go from {from} to {to}")]
    InvalidTransition {
        from: IncidentStatus,
        to: IncidentStatus,
    },
    #[error("stored data is invalid: table {table}, row {id}, field {field}: {value:?}")]
    Corrupt {
        table: &'static str,
        id: String,
        field: &'static str,
        value: String,
    },
    #[error("an action cannot go from {from} to {to}")]
    InvalidActionTransition {
        from: model::ActionStatus,
        to: model::ActionStatus,
    },
    #[error("row {row}: {field} {value:?} is not one of this municipality's")]
    UnknownReference {
        row: usize,
        field: &'static str,
        value: String,
    },
    #[error("a {kind} record cannot hang under record {parent} (a {found})")]
    WrongParent {
        kind: model::RecordKind,
        parent: i64,
        found: String,
    },
    #[error("database error: {0}")]
    Backend(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Orders names as Swedish readers expect: letters case-insensitively, å, ä, ö after z (in that
/// order; æ with ä, ø with ö), é as e and ü as y. Stable, so rows that compare equal keep the
/// order they came in (by id). Both stores sort names with it, whatever the database's
/// collation.
pub fn sort_swedish<T>(items: &mut [T], name: impl Fn(&T) -> &str) {
    fn key(s: &str) -> Vec<u32> {
        s.chars()
            .flat_map(char::to_lowercase)
            .map(|c| match c {
                'å' => 'z' as u32 + 1,
                'ä' | 'æ' => 'z' as u32 + 2,
                'ö' | 'ø' => 'z' as u32 + 3,
                'é' | 'è' | 'ê' | 'ë' => 'e' as u32,
                'á' | 'à' | 'â' => 'a' as u32,
                'ü' => 'y' as u32,
                c => c as u32,
            })
            .collect()
    }
    items.sort_by_cached_key(|t| key(name(t)));
}

/// At most this many points in one map tile deeper than `geo::tile::CLUSTER_MAX_ZOOM` (the
/// newest). Shallower tiles gather points into cells, so their size is bounded by the cells.
pub const TILE_LIMIT: u32 = 20_000;

/// How long a sign-in at a provider may take, from its start to its callback.
pub const SSO_LOGIN_TTL: jiff::SignedDuration = jiff::SignedDuration::from_mins(10);

/// Map tiles a store made, kept for the tenant's map version they were made at (the
/// database counts a tenant's `map_version` up with every change its tiles show, in the same
/// transaction): a municipality's overview tiles are asked for by everyone who opens the map,
/// and a town's zoom-10 tile groups every point it has. Keyed by everything a tile depends
/// on (tenant, version, the reader's role, organisation and user, the tenant's reporter view,
/// the filter, the tile); at most `TileCache::BYTES` bytes, the oldest dropped first.
#[derive(Default)]
pub struct TileCache {
    inner: std::sync::Mutex<TileCacheInner>,
}

#[derive(Default)]
struct TileCacheInner {
    tiles: std::collections::HashMap<String, Vec<u8>>,
    order: std::collections::VecDeque<String>,
    bytes: usize,
}

impl TileCache {
    pub const BYTES: usize = 32 << 20;

    /// The key of a tile for a reader at a map version.
    pub fn key(
        actor: &Actor,
        reporter_view: &str,
        version: i64,
        filter: &IncidentFilter,
        tile: geo::tile::TileId,
    ) -> String {
        format!(
            "{}/{version}/{:?}/{}/{}/{reporter_view}/{filter:?}/{}/{}/{}",
            actor.tenant_id, actor.role, actor.org_id, actor.user_id, tile.z, tile.x, tile.y
        )
    }

    /// The tile kept under `key`, or the one `make` makes (then kept).
    pub async fn get_or_make(
        &self,
        key: String,
        make: impl std::future::Future<Output = Result<Vec<u8>>>,
    ) -> Result<Vec<u8>> {
        if let Some(hit) = self.get(&key) {
            return Ok(hit);
        }
        let made = make.await?;
        self.put(key, &made);
        Ok(made)
    }

    pub fn get(&self, key: &str) -> Option<Vec<u8>> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.tiles.get(key).cloned()
    }

    pub fn put(&self, key: String, tile: &[u8]) {
        if tile.len() > Self::BYTES / 8 {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if inner.tiles.contains_key(&key) {
            return;
        }
        inner.bytes += tile.len() + key.len();
        inner.tiles.insert(key.clone(), tile.to_vec());
        inner.order.push_back(key);
        while inner.bytes > Self::BYTES {
            let Some(old) = inner.order.pop_front() else {
                break;
            };
            if let Some(b) = inner.tiles.remove(&old) {
                inner.bytes -= b.len() + old.len();
            }
        }
    }
}

#[async_trait]
pub trait Store: Send + Sync {
    /// A short name of the backend and its location, for logs (never contains a password).
    fn describe(&self) -> String;

    // Tenants, organisations, users
    async fn create_tenant(&self, tenant: &NewTenant) -> Result<Tenant>;
    async fn tenant(&self, id: TenantId) -> Result<Option<Tenant>>;
    async fn tenant_by_code(&self, code: &str) -> Result<Option<Tenant>>;
    async fn tenants(&self) -> Result<Vec<Tenant>>;

    async fn create_organisation(&self, org: &NewOrganisation) -> Result<Organisation>;
    async fn organisations(&self, tenant: TenantId) -> Result<Vec<Organisation>>;

    async fn create_user(&self, user: &NewUser) -> Result<User>;
    async fn user(&self, tenant: TenantId, id: UserId) -> Result<Option<User>>;
    async fn users(&self, tenant: TenantId) -> Result<Vec<User>>;
    /// Changes name, organisation, role or disabled; disabling ends the user's sessions. Audited.
    async fn update_user(
        &self,
        tenant: TenantId,
        id: UserId,
        changes: &UserChanges,
        by: Option<UserId>,
    ) -> Result<User>;
    /// Sets a new password hash (PHC string) and ends the user's sessions. Audited (not the hash).
    async fn set_password(
        &self,
        tenant: TenantId,
        id: UserId,
        hash: &str,
        by: Option<UserId>,
    ) -> Result<()>;
    /// Whether the user wants an e-mail when someone changes the status of a report they sent
    /// (off until they turn it on).
    async fn status_emails(&self, tenant: TenantId, id: UserId) -> Result<bool>;
    /// Turns those e-mails on or off (audited as `user.status_emails`).
    async fn set_status_emails(
        &self,
        tenant: TenantId,
        id: UserId,
        on: bool,
        now: Timestamp,
    ) -> Result<()>;
    async fn update_organisation(
        &self,
        tenant: TenantId,
        id: OrgId,
        name: &str,
        kind: &str,
        by: Option<UserId>,
    ) -> Result<Organisation>;
    async fn update_tenant_settings(
        &self,
        tenant: TenantId,
        settings: &TenantSettings,
        by: Option<UserId>,
    ) -> Result<Tenant>;
    /// The user with this login and its password hash (PHC string).
    async fn user_credentials(&self, email: &Email) -> Result<Option<(User, String)>>;

    // Sessions and API tokens (only hashes of secrets are stored)
    async fn create_session(&self, session: &NewSession) -> Result<()>;
    /// The live session with this token hash and its user; expired sessions are not returned.
    async fn session(&self, token_hash: &str, now: Timestamp) -> Result<Option<(Session, User)>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
    /// Records activity on a session (for the idle timeout).
    async fn touch_session(&self, token_hash: &str, now: Timestamp) -> Result<()>;
    /// Ends every session of a user ("sign out everywhere"); returns how many there were.
    async fn delete_user_sessions(&self, tenant: TenantId, user: UserId) -> Result<u64>;
    /// Moves a session on in the sign-in (and keeps a TOTP secret being set up).
    async fn set_session_stage(
        &self,
        token_hash: &str,
        stage: SessionStage,
        pending_secret: Option<&str>,
    ) -> Result<()>;

    // Second factor
    async fn user_totp(&self, tenant: TenantId, user: UserId) -> Result<Option<TotpState>>;
    /// Turns on TOTP with a confirmed secret and new recovery codes (hashes); audited.
    async fn enable_totp(&self, tenant: TenantId, user: UserId, state: &TotpState) -> Result<()>;
    /// Every user's stored TOTP secret as stored (sealed, or from before sealing began).
    async fn totp_secrets(&self) -> Result<Vec<(TenantId, UserId, String)>>;
    /// Replaces a stored TOTP secret by `new` if it is still `old`; whether it did.
    async fn replace_totp_secret(
        &self,
        tenant: TenantId,
        user: UserId,
        old: &str,
        new: &str,
    ) -> Result<bool>;
    /// Records the step of an accepted code, so that it cannot be used again.
    async fn totp_used(&self, tenant: TenantId, user: UserId, step: i64) -> Result<()>;
    /// Uses up a recovery code; false if it is not (or no longer) valid. Audited.
    async fn use_recovery_code(&self, tenant: TenantId, user: UserId, hash: &str) -> Result<bool>;
    /// Removes the second factor (an admin's reset); the user sets it up again. Audited.
    async fn reset_totp(&self, tenant: TenantId, user: UserId, by: Option<UserId>) -> Result<()>;
    /// A new API token, audited (`token.create`).
    async fn create_api_token(&self, token: &NewApiToken) -> Result<()>;
    /// The user of a token that has not expired (a disabled user's tokens do not work), and
    /// notes its use (at most once a minute).
    async fn api_token_user(&self, token_hash: &str, now: Timestamp) -> Result<Option<User>>;
    /// The tenant's tokens (of one user if given), newest first, expired ones too.
    async fn api_tokens(&self, tenant: TenantId, user: Option<UserId>) -> Result<Vec<ApiToken>>;
    /// Ends a token by its id (`ApiToken::id`), of `user` if given; audited (`token.revoke`).
    async fn revoke_api_token(
        &self,
        tenant: TenantId,
        id: &str,
        user: Option<UserId>,
        by: Option<UserId>,
    ) -> Result<()>;

    // Taxonomy and places
    /// Inserts or updates a category (by tenant and code).
    async fn upsert_category(&self, category: &Category, by: Option<UserId>) -> Result<()>;
    async fn categories(&self, tenant: TenantId) -> Result<Vec<Category>>;
    async fn set_retention_action(
        &self,
        tenant: TenantId,
        action: model::RetentionAction,
    ) -> Result<()>;
    async fn set_reporter_view(&self, tenant: TenantId, view: model::ReporterView) -> Result<()>;
    /// Retention (gallring): anonymises or deletes, per the tenant's choice, every incident whose
    /// end lies more than its category's retention period before `now`, and appends a
    /// `retention.run` row saying what was removed to the audit trail. Anonymised incidents keep
    /// their category, the month (Swedish time) and a 500 m cell (municipality-level ones keep
    /// the municipality); text, place, school, persons, reporter and status comments go.
    /// Running it again changes nothing.
    async fn apply_retention(&self, tenant: TenantId, now: Timestamp) -> Result<RetentionReport>;
    async fn create_place(&self, place: &NewPlace) -> Result<Place>;
    async fn places(&self, tenant: TenantId) -> Result<Vec<Place>>;
    /// The tenant with its categories and places, as a report is checked against them. A
    /// store may keep the categories and places it read for the tenant's set-up version
    /// (counted up by every change to them, in the same transaction), so that the many reports
    /// of a minute read only the tenant.
    async fn tenant_setup(&self, id: TenantId) -> Result<Option<TenantSetup>> {
        let Some(tenant) = self.tenant(id).await? else {
            return Ok(None);
        };
        Ok(Some(TenantSetup {
            categories: self.categories(id).await?.into(),
            places: self.places(id).await?.into(),
            tenant,
        }))
    }
    /// A new action, with its audit row (`action.create`). The owner organisation, person
    /// and area must be the tenant's.
    async fn create_action(&self, a: &NewAction) -> Result<Action>;
    async fn actions(&self, tenant: TenantId, filter: &ActionFilter) -> Result<Vec<Action>>;
    async fn action(&self, tenant: TenantId, id: i64) -> Result<Option<Action>>;
    /// Moves an action on (`ActionStatus::can_become`), with a note when it closes, and an
    /// audit row (`action.status`).
    async fn set_action_status(
        &self,
        tenant: TenantId,
        id: i64,
        by: Option<UserId>,
        to: model::ActionStatus,
        note: &str,
        now: Timestamp,
    ) -> Result<Action>;
    /// The municipality's SMTP relay for notifications, if one is set.
    async fn tenant_smtp(&self, tenant: TenantId) -> Result<Option<model::SmtpSettings>>;
    /// Sets (or with `None` removes) the SMTP relay, with an audit row (`tenant.smtp`).
    async fn set_tenant_smtp(
        &self,
        tenant: TenantId,
        smtp: Option<&model::SmtpSettings>,
        by: Option<UserId>,
        at: Timestamp,
    ) -> Result<()>;
    /// A new EST record, with an audit row (`record.create`, the document's digest). A parent
    /// must be the tenant's and of the kind `RecordKind::parent` names.
    async fn create_record(&self, r: &NewRecord) -> Result<Record>;
    /// Replaces a record's document, with an audit row (`record.update`, both digests).
    async fn update_record(
        &self,
        tenant: TenantId,
        id: i64,
        data: &serde_json::Value,
        by: Option<UserId>,
        at: Timestamp,
    ) -> Result<Record>;
    /// The tenant's records of a kind (under `parent` if given), oldest first.
    async fn records(
        &self,
        tenant: TenantId,
        kind: model::RecordKind,
        parent: Option<i64>,
    ) -> Result<Vec<Record>>;
    async fn record(&self, tenant: TenantId, id: i64) -> Result<Option<Record>>;
    /// Area statistics: for every area (place of kind Area) of the actor's tenant, in id
    /// order, how many incidents the actor may read match `filter` and lie in it (their point
    /// inside its shape, or reported at it). Points of municipality precision and anonymised
    /// incidents lie in no area. PostGIS tests the shapes on PostgreSQL (`ST_Covers`); the
    /// SQLite store reads the areas found for each point when it was written.
    async fn area_counts(
        &self,
        actor: &Actor,
        filter: &IncidentFilter,
    ) -> Result<Vec<(PlaceId, u64)>>;

    // Citizen tips and Open311
    /// Stores a tip in the moderation queue (status `new`), audited without its text.
    async fn create_tip(&self, tip: &NewTip) -> Result<Tip>;
    async fn tip(&self, tenant: TenantId, id: i64) -> Result<Option<Tip>>;
    /// The tip whose receipt link has this secret's hash (in any tenant: the link is the key).
    async fn tip_by_receipt(&self, receipt_hash: &str) -> Result<Option<Tip>>;
    async fn tip_by_token(&self, tenant: TenantId, token: &str) -> Result<Option<Tip>>;
    /// The tenant's tips of a status (all when none), newest first, at most `limit`.
    async fn tips(
        &self,
        tenant: TenantId,
        status: Option<model::TipStatus>,
        limit: u32,
    ) -> Result<Vec<Tip>>;
    /// The tenant's tips the filter finds, newest first.
    async fn find_tips(&self, tenant: TenantId, filter: &TipFilter) -> Result<Vec<Tip>>;
    /// Accepts (storing its incident in the same transaction), merges or rejects a tip that
    /// is still `new` (`Conflict` otherwise; `UnknownReference` for a merge into an incident
    /// that is not the tenant's), audited with who did it.
    async fn moderate_tip(&self, tenant: TenantId, id: i64, d: &TipDecision) -> Result<Tip>;
    async fn create_open311_key(&self, key: &NewOpen311Key) -> Result<Open311Key>;
    async fn open311_keys(&self, tenant: TenantId) -> Result<Vec<Open311Key>>;
    /// The key with this hash, unless it is revoked.
    async fn open311_key(&self, key_hash: &str) -> Result<Option<Open311Key>>;
    async fn revoke_open311_key(
        &self,
        tenant: TenantId,
        id: i64,
        by: Option<UserId>,
        at: Timestamp,
    ) -> Result<()>;

    /// Rate limit events (a failed sign-in and the like), counted by every server on this
    /// store together: one event at `at` for each key.
    async fn limit_record(&self, keys: &[String], at: Timestamp) -> Result<()>;
    /// The newest `n` events of `key` after `since`, newest first.
    async fn limit_recent(&self, key: &str, since: Timestamp, n: usize) -> Result<Vec<Timestamp>>;
    /// Forgets the keys equal to one of `exact` or starting with one of `prefixes`.
    async fn limit_forget(&self, exact: &[String], prefixes: &[String]) -> Result<u64>;
    /// Forgets every event before `before` (they limit nothing any more).
    async fn limit_prune(&self, before: Timestamp) -> Result<u64>;
    /// The secret `name` every server on this store shares: `fresh` if there was none yet
    /// (it is kept), else the one kept before.
    async fn server_secret(&self, name: &str, fresh: &str) -> Result<String>;

    // Single sign-on (OpenID Connect)
    /// The tenant's provider, if one is configured.
    async fn sso_provider(&self, tenant: TenantId) -> Result<Option<SsoProvider>>;
    /// Configures (or replaces) the tenant's provider, with an audit row (`sso.configure`)
    /// that holds everything but the secret.
    async fn set_sso_provider(&self, p: &SsoProvider, by: Option<UserId>) -> Result<()>;
    /// Keeps a sign-in under way until its callback.
    async fn sso_login_begin(&self, login: &SsoLogin) -> Result<()>;
    /// Takes the sign-in with this state once: the second callback with the same state, or
    /// one older than `SSO_LOGIN_TTL`, finds none. Sign-ins past their time are forgotten.
    async fn sso_login_take(&self, state_hash: &str, now: Timestamp) -> Result<Option<SsoLogin>>;
    /// The user the provider's subject is, in the tenant.
    async fn user_by_identity(
        &self,
        tenant: TenantId,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<User>>;
    /// Records that the provider's subject is this user (`user.identity` in the audit trail).
    async fn link_identity(
        &self,
        tenant: TenantId,
        issuer: &str,
        subject: &str,
        user: UserId,
        at: Timestamp,
    ) -> Result<()>;

    // Incidents
    /// Inserts incidents in one transaction (all or none) and returns their ids in order.
    async fn insert_incidents(
        &self,
        tenant: TenantId,
        incidents: &[NewIncident],
    ) -> Result<Vec<IncidentId>>;
    /// Inserts or updates incidents from an external source, keyed by (source, external_id):
    /// importing the same data twice changes nothing.
    async fn import_incidents(
        &self,
        tenant: TenantId,
        incidents: &[NewIncident],
    ) -> Result<ImportCounts>;
    /// A report from the field: its incidents stored together under one report id, all or
    /// none. With a client key seen before from the same user, nothing is stored and the first
    /// sending's receipt is returned (`replayed`); the same key with another request digest is
    /// `Conflict` ("idempotency key").
    async fn submit_report(&self, tenant: TenantId, report: &NewReport) -> Result<ReportReceipt>;
    /// The incidents of a report that the actor may see, in the order they were sent.
    async fn report_incidents(&self, actor: &Actor, report: ReportId) -> Result<Vec<Incident>>;
    /// Incidents the actor may see of the category within `radius_m` metres and `hours`
    /// hours (either side) of the point and time, nearest first.
    async fn nearby_incidents(&self, actor: &Actor, q: &NearbyQuery) -> Result<Vec<Incident>>;
    /// Adds a photo to an incident the actor may see (`NotFound` otherwise); at most
    /// `MAX_PHOTOS`; a client key seen before for the incident replays.
    async fn add_photo(&self, actor: &Actor, photo: &NewPhoto) -> Result<PhotoAdded>;
    /// The photos of an incident the actor may see (none otherwise), oldest first.
    async fn photos(&self, actor: &Actor, incident: IncidentId) -> Result<Vec<PhotoInfo>>;
    /// One photo and its bytes, when the actor may see its incident.
    async fn photo(
        &self,
        actor: &Actor,
        incident: IncidentId,
        id: PhotoId,
    ) -> Result<Option<(PhotoInfo, Vec<u8>)>>;
    async fn incident(&self, actor: &Actor, id: IncidentId) -> Result<Option<Incident>>;
    async fn list_incidents(&self, actor: &Actor, query: &IncidentQuery) -> Result<Vec<Incident>>;
    async fn count_incidents(&self, actor: &Actor, filter: &IncidentFilter) -> Result<u64>;
    /// The newest `limit` incidents matching `filter` (occurred_from descending, then id
    /// descending), as points: what maps and analyses need, without the text.
    async fn incident_points(
        &self,
        actor: &Actor,
        filter: &IncidentFilter,
        limit: u32,
    ) -> Result<Vec<IncidentPoint>>;
    /// The map points the actor may see in a Web Mercator tile (with its buffer) as a Mapbox
    /// Vector Tile: layer `incidents`, one point feature per incident with its id and the
    /// properties `category`, `status` and `count` 1 (at most `TILE_LIMIT`, the newest). Up to
    /// `geo::tile::CLUSTER_MAX_ZOOM` the points of a cell (`geo::tile::CELL` tile units) are one feature at
    /// the cell's centre with the smallest id and `count` points; its `category` and `status`
    /// are empty when its points differ in them. Municipality-level events are not points and
    /// are left out. Empty bytes for an empty tile.
    async fn incident_tile(
        &self,
        actor: &Actor,
        filter: &IncidentFilter,
        tile: geo::tile::TileId,
    ) -> Result<Vec<u8>>;
    /// Moves an incident to a new status and records who, when and why.
    async fn set_incident_status(
        &self,
        actor: &Actor,
        id: IncidentId,
        to: IncidentStatus,
        comment: &str,
        now: Timestamp,
    ) -> Result<Incident>;
    /// Marks an incident as a duplicate of `of` (one the actor may see, not itself:
    /// `UnknownReference { field: "same_as" }` otherwise), in one step with its status log.
    async fn mark_duplicate(
        &self,
        actor: &Actor,
        id: IncidentId,
        of: IncidentId,
        comment: &str,
        now: Timestamp,
    ) -> Result<Incident>;
    async fn status_history(&self, actor: &Actor, id: IncidentId) -> Result<Vec<StatusChange>>;
    /// Status changes others made since `since` to the incidents the actor reported, newest
    /// first, at most `limit`.
    async fn report_updates(
        &self,
        actor: &Actor,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<ReportUpdate>>;
    /// Replaces an incident's free text (an administrator removing personal data). The audit
    /// row records who and when and the lengths and digests of the texts, not the texts.
    async fn redact_incident(
        &self,
        actor: &Actor,
        id: IncidentId,
        description: &str,
        place_text: Option<&str>,
        now: Timestamp,
    ) -> Result<Incident>;

    // Moving a municipality between stores (see `copy`).
    /// Every row of a tenant's tables (`copy::TABLES`; not sessions), in a fixed order.
    async fn export_tenant(&self, tenant: TenantId) -> Result<copy::TenantRows>;
    /// Stores a tenant exported from another store under a new tenant id (its audit chain
    /// recomputed for that id), in one transaction, and moves the id sequences past its ids.
    /// A tenant with the same code or a user with the same e-mail address is a `Conflict`.
    async fn import_tenant(&self, rows: &copy::TenantRows) -> Result<TenantId>;

    // Audit trail. Changes made through this trait append their rows themselves, in the same
    // transaction; reads of restricted incidents through `incident` do too.
    async fn append_audit(&self, tenant: TenantId, entry: &NewAudit) -> Result<AuditEntry>;
    async fn audit_log(&self, tenant: TenantId, filter: &AuditFilter) -> Result<Vec<AuditEntry>>;

    /// Verifies the whole chain of a tenant; returns the number of rows.
    async fn verify_audit(&self, tenant: TenantId) -> Result<Result<u64, audit::Broken>> {
        let mut prev = audit::GENESIS.to_string();
        let mut seq = 1;
        let mut rows = 0u64;
        loop {
            let page = self
                .audit_log(
                    tenant,
                    &AuditFilter {
                        after_seq: Some(seq - 1),
                        limit: 10_000,
                        ascending: true,
                        ..Default::default()
                    },
                )
                .await?;
            if page.is_empty() {
                return Ok(Ok(rows));
            }
            match audit::verify(&page, prev, seq) {
                Ok(last) => prev = last,
                Err(b) => return Ok(Err(b)),
            }
            seq += page.len() as i64;
            rows += page.len() as u64;
        }
    }
}
