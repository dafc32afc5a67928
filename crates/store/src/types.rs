use jiff::Timestamp;
use model::{
    CategoryCode, Email, IncidentStatus, Precision, ReporterView, RetentionAction, Role, Source,
    Visibility,
};
use serde::Serialize;

pub type TenantId = i64;
pub type OrgId = i64;
pub type UserId = i64;
pub type PlaceId = i64;
pub type IncidentId = i64;

#[derive(Debug, Clone, PartialEq)]
pub struct NewTenant {
    /// Municipality code, e.g. "1960", or another short unique code for a police area.
    pub code: String,
    pub name: String,
    /// GeoJSON geometry (Polygon/MultiPolygon) of the tenant's territory, WGS84.
    pub outline_geojson: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tenant {
    pub id: TenantId,
    pub code: String,
    pub name: String,
    pub outline_geojson: String,
    pub default_visibility: Visibility,
    /// External MapLibre style URL; none means the built-in offline outline map.
    pub map_style_url: Option<String>,
    pub retention_action: RetentionAction,
    pub reporter_view: ReporterView,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewOrganisation {
    pub tenant_id: TenantId,
    /// Who creates it (for the audit trail); none for the command line and the demo.
    pub by: Option<UserId>,
    pub name: String,
    /// Free classification: kommun, polis, skola, socialtjanst, bostadsbolag, …
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Organisation {
    pub tenant_id: TenantId,
    pub id: OrgId,
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    pub tenant_id: TenantId,
    /// Who creates it (for the audit trail); none for the command line and the demo.
    pub by: Option<UserId>,
    pub org_id: OrgId,
    pub email: Email,
    pub display_name: String,
    pub role: Role,
    /// PHC string of an argon2id hash; never the password.
    pub password_hash: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub tenant_id: TenantId,
    pub id: UserId,
    pub org_id: OrgId,
    pub org_name: String,
    pub email: Email,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    /// Has set up a second factor (TOTP).
    pub mfa_enabled: bool,
}

impl User {
    pub fn actor(&self) -> Actor {
        Actor {
            tenant_id: self.tenant_id,
            user_id: self.id,
            org_id: self.org_id,
            role: self.role,
        }
    }
}

/// Who is asking. Every incident read is scoped by this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub org_id: OrgId,
    pub role: Role,
}

/// Why incidents are read: as records (lists, details, exports) or as points on the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Read,
    Map,
}

impl Actor {
    /// The access rule. Backends implement it in SQL; the conformance suite checks that they
    /// agree with this function for every role, visibility, reporter view and purpose.
    ///
    /// * admin and analyst (security coordinator, police): everything shared with all
    ///   partners or with police and coordinator, their own organisation's, their own;
    /// * reporter: their own reports; others' reports shared with all partners as the tenant
    ///   chooses ([`ReporterView`]); never restricted ones of others;
    /// * reader (managers): no incidents, only aggregated figures and reports.
    pub fn may_see(
        &self,
        visibility: Visibility,
        org_id: OrgId,
        user_id: Option<UserId>,
        reporter_view: ReporterView,
        purpose: Purpose,
    ) -> bool {
        match self.role {
            Role::Admin | Role::Analyst => {
                user_id == Some(self.user_id)
                    || org_id == self.org_id
                    || matches!(
                        visibility,
                        Visibility::AllPartners | Visibility::PoliceAndCoordinator
                    )
            }
            Role::Reporter => {
                user_id == Some(self.user_id)
                    || (visibility == Visibility::AllPartners
                        && match reporter_view {
                            ReporterView::Shared => true,
                            ReporterView::Map => purpose == Purpose::Map,
                            ReporterView::Own => false,
                        })
            }
            Role::Reader => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewSession {
    pub token_hash: String,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub stage: SessionStage,
}

/// How far a sign-in has come. Only `Full` sessions may use the application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionStage {
    #[default]
    Full,
    /// Password accepted; the second factor's code is needed.
    MfaVerify,
    /// Password accepted; the second factor must be set up first.
    MfaSetup,
}

impl SessionStage {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStage::Full => "full",
            SessionStage::MfaVerify => "mfa_verify",
            SessionStage::MfaSetup => "mfa_setup",
        }
    }
    pub fn parse(s: &str) -> Option<SessionStage> {
        [
            SessionStage::Full,
            SessionStage::MfaVerify,
            SessionStage::MfaSetup,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// A user's second factor as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct TotpState {
    pub secret: String,
    /// The last time step whose code was accepted (a code works once).
    pub last_step: Option<i64>,
    /// Hashes of the unused recovery codes.
    pub recovery_hashes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub stage: SessionStage,
    /// A TOTP secret being set up (shown as a QR code until confirmed with a code).
    pub pending_secret: Option<String>,
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// Last request seen (updated at most about once a minute), for the idle timeout.
    pub last_seen_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewApiToken {
    pub token_hash: String,
    pub tenant_id: TenantId,
    pub user_id: UserId,
    /// Its name, for its owner and the administrator to know it by.
    pub label: String,
    pub created_at: Timestamp,
    /// It no longer works from this time.
    pub expires_at: Timestamp,
    /// Who made it (the owner on the account page, none for the command line).
    pub by: Option<UserId>,
}

/// An API token as its owner and the administrator see it (never its secret or hash).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiToken {
    /// The first 12 hex digits of its hash: what `lagesbild token revoke` and the pages name
    /// it by.
    pub id: String,
    pub user_id: UserId,
    pub user_name: String,
    pub label: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

impl ApiToken {
    pub const ID_LEN: usize = 12;
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Category {
    pub tenant_id: TenantId,
    pub code: CategoryCode,
    pub parent: Option<CategoryCode>,
    pub name_sv: String,
    pub name_en: String,
    /// CSS colour (#rrggbb) for maps and charts.
    pub color: String,
    pub sort_order: i64,
    pub retired: bool,
    /// Months an incident of this category is kept in full; none = no limit.
    pub retention_months: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceKind {
    /// A polygon: school ground, centre, park, housing area.
    Area,
    /// A named point: a station, a square, a building's entrance.
    Point,
}

impl PlaceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PlaceKind::Area => "area",
            PlaceKind::Point => "point",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewPlace {
    pub tenant_id: TenantId,
    /// Who creates it (for the audit trail); none for the command line and the demo.
    pub by: Option<UserId>,
    pub name: String,
    pub kind: PlaceKind,
    /// Whether the place is a school (reports can link to it as their school).
    pub is_school: bool,
    /// GeoJSON geometry, WGS84: a Point for points, a (Multi)Polygon for areas.
    pub geometry_geojson: String,
    /// A point inside the place, used when an incident is reported "at" it.
    pub lon: f64,
    pub lat: f64,
    /// Demo data is marked so it can never be mistaken for real places.
    pub is_demo: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Place {
    pub tenant_id: TenantId,
    pub id: PlaceId,
    pub name: String,
    pub kind: PlaceKind,
    pub is_school: bool,
    pub geometry_geojson: String,
    pub lon: f64,
    pub lat: f64,
    pub is_demo: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewIncident {
    pub category: CategoryCode,
    pub occurred_from: Timestamp,
    pub occurred_to: Timestamp,
    pub lon: f64,
    pub lat: f64,
    /// SWEREF 99 TM easting and northing of (lon, lat).
    pub e: f64,
    pub n: f64,
    pub precision: Precision,
    pub place_id: Option<PlaceId>,
    /// Areas (places of kind Area) that contain the point; used by the area filter.
    pub area_ids: Vec<PlaceId>,
    pub place_text: Option<String>,
    pub municipality_code: Option<String>,
    pub description: String,
    pub school_id: Option<PlaceId>,
    pub persons_involved: Option<u32>,
    pub visibility: Visibility,
    /// Initial status: `New` for reports; imports of already handled data may start later.
    pub status: IncidentStatus,
    pub source: Source,
    pub external_id: Option<String>,
    pub external_url: Option<String>,
    pub org_id: OrgId,
    pub user_id: Option<UserId>,
    pub created_at: Timestamp,
    /// The incident the reporter said this one is the same as (a duplicate hint they took).
    pub same_as: Option<IncidentId>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    pub tenant_id: TenantId,
    pub id: IncidentId,
    pub category: CategoryCode,
    pub occurred_from: Timestamp,
    pub occurred_to: Timestamp,
    pub lon: f64,
    pub lat: f64,
    pub e: f64,
    pub n: f64,
    pub precision: Precision,
    pub place_id: Option<PlaceId>,
    pub place_name: Option<String>,
    pub place_text: Option<String>,
    pub municipality_code: Option<String>,
    pub description: String,
    pub school_id: Option<PlaceId>,
    pub school_name: Option<String>,
    pub persons_involved: Option<u32>,
    pub visibility: Visibility,
    pub status: IncidentStatus,
    pub source: Source,
    pub external_id: Option<String>,
    pub external_url: Option<String>,
    pub org_id: OrgId,
    pub org_name: String,
    pub user_id: Option<UserId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The report (visit) it was sent in, with the other events of that visit.
    pub report_id: Option<ReportId>,
    pub same_as: Option<IncidentId>,
}

/// The few fields a map or an analysis needs, for many incidents at once.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentPoint {
    pub id: IncidentId,
    pub category: CategoryCode,
    pub occurred_from: Timestamp,
    pub occurred_to: Timestamp,
    pub lon: f64,
    pub lat: f64,
    pub e: f64,
    pub n: f64,
    pub precision: Precision,
    pub status: IncidentStatus,
    pub municipality_code: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentFilter {
    /// Incidents whose start lies in [from, to).
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// A category and its sub-categories.
    pub category: Option<CategoryCode>,
    /// Incidents reported at, or lying inside, this place.
    pub area_id: Option<PlaceId>,
    pub org_id: Option<OrgId>,
    pub status: Option<IncidentStatus>,
    pub source: Option<Source>,
    /// [min lon, min lat, max lon, max lat]
    pub bbox: Option<[f64; 4]>,
    /// Text in the description or the place's text, in any case of A–Z, Å, Ä, Ö (the list's
    /// search).
    pub text: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    OccurredDesc,
    OccurredAsc,
    CreatedDesc,
    Category,
    Status,
}

impl Sort {
    pub const ALL: &'static [Sort] = &[
        Sort::OccurredDesc,
        Sort::OccurredAsc,
        Sort::CreatedDesc,
        Sort::Category,
        Sort::Status,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::OccurredDesc => "occurred_desc",
            Sort::OccurredAsc => "occurred_asc",
            Sort::CreatedDesc => "created_desc",
            Sort::Category => "category",
            Sort::Status => "status",
        }
    }
    pub fn parse(s: &str) -> Option<Sort> {
        Sort::ALL.iter().copied().find(|x| x.as_str() == s)
    }
}

/// Position after the last row of a page, for keyset paging in `occurred_desc` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub occurred_from: Timestamp,
    pub id: IncidentId,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IncidentQuery {
    pub filter: IncidentFilter,
    pub sort: Sort,
    pub limit: u32,
    pub offset: u32,
    /// Keyset paging: only with `Sort::OccurredDesc`; rows strictly after the cursor.
    pub after: Option<Cursor>,
}

impl Default for IncidentQuery {
    fn default() -> Self {
        IncidentQuery {
            filter: IncidentFilter::default(),
            sort: Sort::default(),
            limit: 100,
            offset: 0,
            after: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ImportCounts {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusChange {
    pub at: Timestamp,
    pub user_id: Option<UserId>,
    pub user_name: Option<String>,
    pub from: Option<IncidentStatus>,
    pub to: IncidentStatus,
    pub comment: String,
}

/// A status change someone else made to an incident a reporter sent in.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportUpdate {
    pub incident_id: IncidentId,
    pub category: CategoryCode,
    pub occurred_from: Timestamp,
    pub at: Timestamp,
    pub to: IncidentStatus,
    pub comment: String,
    /// The incident this one repeats, when it was marked a duplicate.
    pub same_as: Option<IncidentId>,
}

/// Changes an administrator makes to a user.
#[derive(Debug, Clone, PartialEq)]
pub struct UserChanges {
    pub display_name: String,
    pub org_id: OrgId,
    pub role: Role,
    pub disabled: bool,
}

/// A tenant's settings, as the administrator edits them.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantSettings {
    pub default_visibility: Visibility,
    pub reporter_view: ReporterView,
    pub retention_action: RetentionAction,
    pub map_style_url: Option<String>,
}

/// A row of the audit trail (see `store::audit`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub tenant_id: TenantId,
    pub seq: i64,
    pub at: Timestamp,
    /// Who did it; none for the system (imports, the command line).
    pub user_id: Option<UserId>,
    pub user_name: Option<String>,
    /// `incident.create`, `incident.import`, `incident.status`, `incident.read`,
    /// `user.create`, `token.create`, `session.login`, `session.login_failed`, `session.logout`.
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    /// JSON of the state before and after the change.
    pub before: Option<String>,
    pub after: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// An audit row to append (for events the store does not see itself, such as logins).
#[derive(Debug, Clone, PartialEq)]
pub struct NewAudit {
    pub at: Timestamp,
    pub user_id: Option<UserId>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub user_id: Option<UserId>,
    pub entity_id: Option<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// Rows with seq greater than this (for reading the whole log in order).
    pub after_seq: Option<i64>,
    pub limit: u32,
    /// Oldest first when true (verification); newest first otherwise (the admin page).
    pub ascending: bool,
}

/// What a retention run removed, per category.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RetentionReport {
    pub action: Option<RetentionAction>,
    pub anonymised: u64,
    pub deleted: u64,
    /// (category, retention months, cutoff, incidents affected)
    pub categories: Vec<(CategoryCode, u32, Timestamp, u64)>,
}

/// An action (åtgärd) as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Action {
    pub tenant_id: TenantId,
    pub id: i64,
    pub title: String,
    pub description: String,
    pub owner_org_id: OrgId,
    pub owner_user_id: Option<UserId>,
    pub area_id: Option<PlaceId>,
    pub buffer_area_id: Option<PlaceId>,
    pub control_area_id: Option<PlaceId>,
    pub due_on: jiff::civil::Date,
    /// The case, meeting or promise activity it comes from.
    pub record_id: Option<i64>,
    pub status: model::ActionStatus,
    pub closing_note: String,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub closed_at: Option<Timestamp>,
}

impl Action {
    /// Open and due before `today`.
    pub fn overdue(&self, today: jiff::civil::Date) -> bool {
        !self.status.is_closed() && self.due_on < today
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewAction {
    pub tenant_id: TenantId,
    pub action: model::ValidAction,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
}

/// Which actions to list (all of a tenant by default), by due date then id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActionFilter {
    pub status: Option<model::ActionStatus>,
    pub owner_org_id: Option<OrgId>,
    pub owner_user_id: Option<UserId>,
    /// Only open actions due before this date.
    pub overdue_on: Option<jiff::civil::Date>,
}

/// One record of the EST loop (a hot spot case, a visit, a meeting, a promise, an activity, a
/// mobilisation list): its kind, the record it hangs under, and its content as a JSON document
/// whose shape `service::est` gives and checks.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub tenant_id: TenantId,
    pub id: i64,
    pub kind: model::RecordKind,
    pub parent_id: Option<i64>,
    pub data: serde_json::Value,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewRecord {
    pub tenant_id: TenantId,
    pub kind: model::RecordKind,
    pub parent_id: Option<i64>,
    pub data: serde_json::Value,
    pub by: Option<UserId>,
    pub at: Timestamp,
}

pub type ReportId = i64;
pub type PhotoId = i64;

/// A tenant's OpenID Connect provider for staff sign-in, as its administrator configured it.
#[derive(Debug, Clone, PartialEq)]
pub struct SsoProvider {
    pub tenant_id: TenantId,
    /// The issuer URL (its `/.well-known/openid-configuration` says the rest).
    pub issuer: String,
    pub client_id: String,
    /// Sealed with the deployment key (`service::sealing`); never stored in the clear.
    pub client_secret: String,
    /// The claim whose values say the role (such as `groups`), and which value gives which
    /// role; a user with none of them is not let in.
    pub role_claim: String,
    pub roles: Vec<(String, model::Role)>,
    /// The claim whose value says the organisation, and which value is which organisation.
    pub org_claim: String,
    pub orgs: Vec<(String, OrgId)>,
    pub enabled: bool,
    pub updated_at: Timestamp,
}

/// A sign-in under way at a provider: what the callback must find again.
#[derive(Debug, Clone, PartialEq)]
pub struct SsoLogin {
    /// SHA-256 of the `state` sent to the provider.
    pub state_hash: String,
    pub tenant_id: TenantId,
    pub nonce: String,
    /// The PKCE verifier, sealed.
    pub verifier: String,
    /// Where the user was going (a path of ours).
    pub return_to: String,
    pub created_at: Timestamp,
}

/// A tenant with what a report is checked against (`Store::tenant_setup`); the lists are
/// shared with the store's copy of them.
#[derive(Debug, Clone)]
pub struct TenantSetup {
    pub tenant: Tenant,
    pub categories: std::sync::Arc<[Category]>,
    pub places: std::sync::Arc<[Place]>,
}

/// A report from the field: one visit or round, one or more incidents stored together (all
/// or none), and the key the reporter's device made for it (`Idempotency-Key`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewReport {
    pub user_id: UserId,
    pub client_key: Option<String>,
    /// A digest of what was sent: the same key with a different report is refused.
    pub request_digest: String,
    pub incidents: Vec<NewIncident>,
    pub created_at: Timestamp,
}

/// What the store did with a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportReceipt {
    pub report_id: ReportId,
    pub incidents: Vec<IncidentId>,
    /// The key had been seen: these are the first sending's incidents, nothing was stored.
    pub replayed: bool,
}

/// Incidents of one category near a point and time: the duplicate hint of the report form.
#[derive(Debug, Clone, PartialEq)]
pub struct NearbyQuery {
    pub lon: f64,
    pub lat: f64,
    pub category: CategoryCode,
    pub at: Timestamp,
    pub radius_m: f64,
    pub hours: i64,
    pub limit: u32,
}

/// A photo ready to store: already decoded and re-encoded without metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPhoto {
    pub incident_id: IncidentId,
    pub client_key: Option<String>,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
    pub user_id: UserId,
    pub created_at: Timestamp,
}

/// A stored photo's description (without its bytes).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhotoInfo {
    pub id: PhotoId,
    pub incident_id: IncidentId,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub size: u64,
    pub created_at: Timestamp,
}

/// What the store did with a photo.
#[derive(Debug, Clone, PartialEq)]
pub enum PhotoAdded {
    Stored(PhotoInfo),
    /// The key had been seen for this incident: the photo stored then.
    Replayed(PhotoInfo),
    /// The incident has `MAX_PHOTOS` already.
    Full,
}

/// Photos an incident may hold.
pub const MAX_PHOTOS: usize = 5;

/// A citizen's tip (or an Open311 service request) as it arrives, its text already screened.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTip {
    pub tenant_id: TenantId,
    /// SHA-256 of the secret in the tipster's receipt link.
    pub receipt_hash: String,
    /// The Open311 token (public).
    pub token: String,
    pub channel: model::TipChannel,
    pub category: CategoryCode,
    pub description: String,
    pub place_text: String,
    /// WGS84 (lon, lat), when the tipster marked the place.
    pub point: Option<(f64, f64)>,
    pub occurred_at: Option<Timestamp>,
    /// Where the answer goes, when the tipster wants one.
    pub email: Option<model::Email>,
    pub partner_id: Option<i64>,
    /// How many personal details the screening removed from the text.
    pub redacted: u32,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tip {
    pub tenant_id: TenantId,
    pub id: i64,
    pub token: String,
    pub channel: model::TipChannel,
    pub category: CategoryCode,
    pub description: String,
    pub place_text: String,
    pub point: Option<(f64, f64)>,
    pub occurred_at: Option<Timestamp>,
    pub email: Option<String>,
    pub partner_id: Option<i64>,
    pub redacted: u32,
    pub status: model::TipStatus,
    pub incident_id: Option<IncidentId>,
    /// The answer the tipster sees on the receipt page (återkoppling).
    pub public_answer: String,
    /// The coordinator's note; never shown to the tipster.
    pub internal_note: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub moderated_by: Option<UserId>,
    pub moderated_at: Option<Timestamp>,
}

/// What the coordinator does with a tip.
#[derive(Debug, Clone, PartialEq)]
pub enum Moderation {
    /// Into the lägesbild as a new incident (made from the tip by the caller).
    Accept(Box<NewIncident>),
    /// The same as an incident already reported.
    Merge(IncidentId),
    /// Not taken in; the public answer says why.
    Reject,
}

/// A moderation: what is done, the answer the tipster sees, the note they never see.
#[derive(Debug, Clone, PartialEq)]
pub struct TipDecision {
    pub moderation: Moderation,
    pub public_answer: String,
    pub internal_note: String,
    pub by: UserId,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewOpen311Key {
    pub tenant_id: TenantId,
    pub label: String,
    pub key_hash: String,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Open311Key {
    pub tenant_id: TenantId,
    pub id: i64,
    pub label: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// Which tips to find (Open311's `GET requests`): any of the statuses and categories (all
/// when empty), made within [from, to], newest first, at most `limit`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TipFilter {
    pub statuses: Vec<model::TipStatus>,
    pub categories: Vec<CategoryCode>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub limit: u32,
}
