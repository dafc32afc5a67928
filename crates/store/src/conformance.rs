//! The conformance suite every [`Store`] backend must pass.
//!
//! A backend's test crate calls [`conformance_tests!`](crate::conformance_tests) with an async
//! expression that makes a fresh, empty, migrated store, wrapped in something that derefs to it
//! (and may hold its temporary directory or database); the macro expands to one `#[tokio::test]`
//! per check below.

use crate::*;
use jiff::{Timestamp, ToSpan};
use model::{
    CategoryCode, Email, IncidentStatus, Precision, ReporterView, Role, Source, Visibility,
};

#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            tenants_organisations_users, sessions_and_tokens, categories_and_places,
            incident_round_trip, tenant_isolation, visibility_matches_the_rule, filters,
            sorting_and_paging, import_is_idempotent, status_changes_are_recorded,
            bulk_insert_is_all_or_nothing, points_match_the_list, audit_trail_is_chained,
            retention_anonymises_past_the_period, retention_can_delete, second_factor,
            redaction_leaves_no_text_in_the_audit_trail, map_tiles, swedish_names_and_summer_time,
            area_statistics, tiles_follow_every_change, actions_are_owned_and_closed,
            records_of_the_est_loop, smtp_relay_per_tenant, audit_rows_name_who_made_the_change,
            api_tokens_have_a_lifecycle, reports_are_stored_once, nearby_finds_the_same_spot,
            photos_follow_their_incident, free_text_search, duplicates_name_the_original,
            reporters_hear_of_their_reports, tips_are_moderated_once, open311_keys_are_revoked,
            limits_are_counted_by_key, server_secrets_are_made_once,
            totp_secrets_are_replaced_in_place, reports_sent_at_once_share_a_commit,
            single_sign_on_is_kept_per_tenant);
    };
    (@each $make:expr; $($name:ident),+) => {
        $(
            #[tokio::test]
            async fn $name() {
                let holder = $make;
                $crate::conformance::$name(::std::ops::Deref::deref(&holder)).await;
            }
        )+
    };
}

pub fn t(s: &str) -> Timestamp {
    s.parse().expect("test timestamp")
}

pub struct Fixture {
    pub tenant: Tenant,
    pub kommun: Organisation,
    pub polis: Organisation,
    pub skola: Organisation,
    pub admin: User,
    pub analyst: User,
    pub teacher: User,
    pub teacher2: User,
    pub reader: User,
}

const OUTLINE: &str = r#"{"type":"Polygon","coordinates":[[[16.0,59.3],[16.3,59.3],[16.3,59.5],[16.0,59.5],[16.0,59.3]]]}"#;

pub async fn tenant(s: &dyn Store, code: &str) -> Tenant {
    s.create_tenant(&NewTenant {
        code: code.into(),
        name: format!("Kommun {code}"),
        outline_geojson: OUTLINE.into(),
    })
    .await
    .unwrap()
}

pub async fn org(s: &dyn Store, tenant: TenantId, name: &str, kind: &str) -> Organisation {
    s.create_organisation(&NewOrganisation {
        by: None,
        tenant_id: tenant,
        name: name.into(),
        kind: kind.into(),
    })
    .await
    .unwrap()
}

pub async fn user(s: &dyn Store, org: &Organisation, email: &str, role: Role) -> User {
    s.create_user(&NewUser {
        by: None,
        tenant_id: org.tenant_id,
        org_id: org.id,
        email: Email::parse(email).unwrap(),
        display_name: email.split('@').next().unwrap().into(),
        role,
        password_hash: format!("$argon2id$fake${email}"),
    })
    .await
    .unwrap()
}

pub async fn fixture(s: &dyn Store, code: &str) -> Fixture {
    let tenant = tenant(s, code).await;
    let kommun = org(s, tenant.id, "Kommunen", "kommun").await;
    let polis = org(s, tenant.id, "Polisen", "polis").await;
    let skola = org(s, tenant.id, "Skolan", "skola").await;
    for (code, parent, sv, en) in [
        ("skadegorelse", None, "Skadegörelse", "Vandalism"),
        (
            "skadegorelse-klotter",
            Some("skadegorelse"),
            "Klotter",
            "Graffiti",
        ),
        ("trafik", None, "Trafik", "Traffic"),
    ] {
        s.upsert_category(
            &Category {
                tenant_id: tenant.id,
                code: CategoryCode::parse(code).unwrap(),
                parent: parent.map(|p| CategoryCode::parse(p).unwrap()),
                name_sv: sv.into(),
                name_en: en.into(),
                color: "#aa0000".into(),
                sort_order: 0,
                retired: false,
                retention_months: None,
            },
            None,
        )
        .await
        .unwrap();
    }
    Fixture {
        admin: user(s, &kommun, &format!("admin@{code}.se"), Role::Admin).await,
        analyst: user(s, &polis, &format!("analys@{code}.se"), Role::Analyst).await,
        teacher: user(s, &skola, &format!("larare@{code}.se"), Role::Reporter).await,
        teacher2: user(s, &skola, &format!("larare2@{code}.se"), Role::Reporter).await,
        reader: user(s, &kommun, &format!("chef@{code}.se"), Role::Reader).await,
        tenant,
        kommun,
        polis,
        skola,
    }
}

pub fn incident(by: &User, category: &str, occurred: &str) -> NewIncident {
    let occurred = t(occurred);
    NewIncident {
        category: CategoryCode::parse(category).unwrap(),
        occurred_from: occurred,
        occurred_to: occurred,
        lon: 16.1,
        lat: 59.42,
        e: 562_400.0,
        n: 6_587_500.0,
        precision: Precision::Exact,
        place_id: None,
        area_ids: vec![],
        place_text: None,
        municipality_code: None,
        description: "Klotter på väggen".into(),
        school_id: None,
        persons_involved: None,
        visibility: Visibility::AllPartners,
        status: IncidentStatus::New,
        source: Source::Form,
        external_id: None,
        external_url: None,
        org_id: by.org_id,
        user_id: Some(by.id),
        created_at: occurred,
        same_as: None,
    }
}

async fn insert_one(s: &dyn Store, n: NewIncident) -> IncidentId {
    let tenant_id = tenant_of(s, n.org_id).await;
    s.insert_incidents(tenant_id, &[n]).await.unwrap()[0]
}

async fn tenant_of(s: &dyn Store, org_id: OrgId) -> TenantId {
    for t in s.tenants().await.unwrap() {
        if s.organisations(t.id)
            .await
            .unwrap()
            .iter()
            .any(|o| o.id == org_id)
        {
            return t.id;
        }
    }
    panic!("organisation {org_id} has no tenant");
}

fn ids(v: &[Incident]) -> Vec<IncidentId> {
    v.iter().map(|i| i.id).collect()
}

async fn list(s: &dyn Store, who: &User, filter: IncidentFilter) -> Vec<IncidentId> {
    ids(&s
        .list_incidents(
            &who.actor(),
            &IncidentQuery {
                filter,
                limit: 1000,
                ..Default::default()
            },
        )
        .await
        .unwrap())
}

pub async fn tenants_organisations_users(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    assert_eq!(
        s.tenant_by_code("1960").await.unwrap().unwrap().id,
        f.tenant.id
    );
    assert!(s.tenant_by_code("9999").await.unwrap().is_none());
    assert_eq!(f.tenant.default_visibility, Visibility::AllPartners);
    assert!(matches!(
        s.create_tenant(&NewTenant {
            code: "1960".into(),
            name: "again".into(),
            outline_geojson: OUTLINE.into()
        })
        .await,
        Err(StoreError::Conflict { .. })
    ));
    let orgs = s.organisations(f.tenant.id).await.unwrap();
    assert_eq!(orgs.len(), 3);
    let users = s.users(f.tenant.id).await.unwrap();
    assert_eq!(users.len(), 5);
    assert!(users.iter().all(|u| u.tenant_id == f.tenant.id));

    let (u, hash) = s
        .user_credentials(&Email::parse("ADMIN@1960.se").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u.id, f.admin.id);
    assert_eq!(u.org_name, "Kommunen");
    assert_eq!(u.role, Role::Admin);
    assert_eq!(hash, "$argon2id$fake$admin@1960.se");
    assert!(
        s.user_credentials(&Email::parse("nobody@x.se").unwrap())
            .await
            .unwrap()
            .is_none()
    );

    let dup = s
        .create_user(&NewUser {
            by: None,
            tenant_id: f.tenant.id,
            org_id: f.kommun.id,
            email: Email::parse("admin@1960.se").unwrap(),
            display_name: "x".into(),
            role: Role::Reader,
            password_hash: "x".into(),
        })
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict { .. })), "{dup:?}");

    // A user cannot be created in an organisation of another tenant.
    let other = tenant(s, "1980").await;
    let cross = s
        .create_user(&NewUser {
            by: None,
            tenant_id: other.id,
            org_id: f.kommun.id,
            email: Email::parse("x@1980.se").unwrap(),
            display_name: "x".into(),
            role: Role::Reader,
            password_hash: "x".into(),
        })
        .await;
    assert!(cross.is_err(), "{cross:?}");
    assert!(s.user(other.id, f.admin.id).await.unwrap().is_none());
    assert_eq!(
        s.user(f.tenant.id, f.admin.id)
            .await
            .unwrap()
            .unwrap()
            .email
            .as_str(),
        "admin@1960.se"
    );
}

pub async fn sessions_and_tokens(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let now = t("2026-11-27T10:00:00Z");
    s.create_session(&NewSession {
        token_hash: "h1".into(),
        tenant_id: f.tenant.id,
        user_id: f.teacher.id,
        csrf_token: "c1".into(),
        created_at: now,
        expires_at: now + 8.hours(),
        stage: SessionStage::Full,
    })
    .await
    .unwrap();
    let (sess, u) = s.session("h1", now + 1.hours()).await.unwrap().unwrap();
    assert_eq!(u.id, f.teacher.id);
    assert_eq!(sess.csrf_token, "c1");
    assert_eq!(sess.last_seen_at, now);
    s.touch_session("h1", now + 2.hours()).await.unwrap();
    let (touched, _) = s.session("h1", now + 3.hours()).await.unwrap().unwrap();
    assert_eq!(touched.last_seen_at, now + 2.hours());
    assert!(
        s.session("h1", now + 9.hours()).await.unwrap().is_none(),
        "expired session returned"
    );
    assert!(s.session("nope", now).await.unwrap().is_none());
    s.delete_session("h1").await.unwrap();
    assert!(s.session("h1", now).await.unwrap().is_none());
    // Signing out everywhere ends every session of that user, and only those.
    for (hash, user) in [("a", &f.teacher), ("b", &f.teacher), ("c", &f.admin)] {
        s.create_session(&NewSession {
            token_hash: hash.into(),
            tenant_id: f.tenant.id,
            user_id: user.id,
            csrf_token: "c".into(),
            created_at: now,
            expires_at: now + 8.hours(),
            stage: SessionStage::Full,
        })
        .await
        .unwrap();
    }
    assert_eq!(
        s.delete_user_sessions(f.tenant.id, f.teacher.id)
            .await
            .unwrap(),
        2
    );
    assert!(s.session("a", now).await.unwrap().is_none());
    assert!(s.session("b", now).await.unwrap().is_none());
    assert!(s.session("c", now).await.unwrap().is_some());

    s.create_api_token(&NewApiToken {
        token_hash: "tok".into(),
        tenant_id: f.tenant.id,
        user_id: f.analyst.id,
        label: "script".into(),
        created_at: now,
        expires_at: now + jiff::SignedDuration::from_hours(24),
        by: None,
    })
    .await
    .unwrap();
    assert_eq!(
        s.api_token_user("tok", now).await.unwrap().unwrap().id,
        f.analyst.id
    );
    assert!(s.api_token_user("other", now).await.unwrap().is_none());
}

/// API tokens expire, are listed and revoked, note their last use, and end when their owner's
/// password is changed or reset, the account is disabled, its role changes or its second
/// factor is reset (security review, finding 3).
pub async fn api_tokens_have_a_lifecycle(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let g = fixture(s, "0180").await;
    let now = t("2026-11-27T12:00:00Z");
    let day = jiff::SignedDuration::from_hours(24);
    let make = |hash: &str, user: &User, label: &str| NewApiToken {
        token_hash: hash.into(),
        tenant_id: user.tenant_id,
        user_id: user.id,
        label: label.into(),
        created_at: now,
        expires_at: now + day,
        by: Some(user.id),
    };
    // Distinct in their first 12 hex digits, as real SHA-256 hashes are.
    let hash = |k: u8| format!("{k:02x}{}", "ab".repeat(31));
    s.create_api_token(&make(&hash(1), &f.analyst, "skript"))
        .await
        .unwrap();
    s.create_api_token(&make(&hash(2), &f.teacher, "app"))
        .await
        .unwrap();
    s.create_api_token(&make(&hash(3), &g.analyst, "annan kommun"))
        .await
        .unwrap();
    // Expiry: it works until it ends, not after.
    assert!(
        s.api_token_user(&hash(1), now + day - jiff::SignedDuration::from_secs(1))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        s.api_token_user(&hash(1), now + day)
            .await
            .unwrap()
            .is_none()
    );
    // Listed per tenant (never another's), with its use noted.
    let list = s.api_tokens(f.tenant.id, None).await.unwrap();
    assert_eq!(list.len(), 2);
    let mine = s.api_tokens(f.tenant.id, Some(f.analyst.id)).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].label, "skript");
    assert_eq!(mine[0].id, hash(1)[..ApiToken::ID_LEN]);
    assert_eq!(mine[0].expires_at, now + day);
    assert_eq!(
        mine[0].last_used_at,
        Some(now + day - jiff::SignedDuration::from_secs(1))
    );
    assert_eq!(
        s.api_tokens(f.tenant.id, Some(f.teacher.id)).await.unwrap()[0].last_used_at,
        None
    );
    // Revoked by id: not another tenant's, not another user's when the user is named.
    let other = s.api_tokens(g.tenant.id, None).await.unwrap()[0].id.clone();
    assert!(matches!(
        s.revoke_api_token(f.tenant.id, &other, None, Some(f.admin.id))
            .await,
        Err(StoreError::NotFound { .. })
    ));
    let teachers = s.api_tokens(f.tenant.id, Some(f.teacher.id)).await.unwrap()[0]
        .id
        .clone();
    assert!(
        s.revoke_api_token(f.tenant.id, &teachers, Some(f.analyst.id), None)
            .await
            .is_err()
    );
    assert!(
        s.revoke_api_token(f.tenant.id, "%", None, None)
            .await
            .is_err()
    );
    s.revoke_api_token(f.tenant.id, &teachers, None, Some(f.admin.id))
        .await
        .unwrap();
    assert!(s.api_token_user(&hash(2), now).await.unwrap().is_none());
    let log = s
        .audit_log(
            f.tenant.id,
            &AuditFilter {
                action: Some("token.revoke".into()),
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(log[0].user_id, Some(f.admin.id));
    // Each of these ends the user's tokens.
    let user = f.teacher.clone();
    let again = |k: u8| {
        let t = make(&hash(k), &user, "igen");
        async move { s.create_api_token(&t).await.unwrap() }
    };
    again(4).await;
    s.set_password(f.tenant.id, user.id, "$argon2id$new", Some(f.admin.id))
        .await
        .unwrap();
    assert!(
        s.api_token_user(&hash(4), now).await.unwrap().is_none(),
        "password"
    );
    again(5).await;
    let changes = |role: Role, disabled: bool| UserChanges {
        display_name: user.display_name.clone(),
        org_id: user.org_id,
        role,
        disabled,
    };
    // The same role and enabled: the token stays.
    s.update_user(f.tenant.id, user.id, &changes(user.role, false), None)
        .await
        .unwrap();
    assert!(
        s.api_token_user(&hash(5), now).await.unwrap().is_some(),
        "unchanged"
    );
    s.update_user(f.tenant.id, user.id, &changes(Role::Analyst, false), None)
        .await
        .unwrap();
    assert!(
        s.api_token_user(&hash(5), now).await.unwrap().is_none(),
        "role"
    );
    again(6).await;
    s.update_user(f.tenant.id, user.id, &changes(Role::Analyst, true), None)
        .await
        .unwrap();
    s.update_user(f.tenant.id, user.id, &changes(Role::Analyst, false), None)
        .await
        .unwrap();
    assert!(
        s.api_token_user(&hash(6), now).await.unwrap().is_none(),
        "disabled and re-enabled"
    );
    again(7).await;
    s.reset_totp(f.tenant.id, user.id, Some(f.admin.id))
        .await
        .unwrap();
    assert!(
        s.api_token_user(&hash(7), now).await.unwrap().is_none(),
        "second factor reset"
    );
    // The other tenant's token was never touched.
    assert!(s.api_token_user(&hash(3), now).await.unwrap().is_some());
}

/// The set-up a report is checked against, which a store may keep: it must follow every
/// change to the categories and places at once.
async fn setup_of(s: &dyn Store, tenant: TenantId) -> (Vec<String>, Vec<String>) {
    let st = s.tenant_setup(tenant).await.unwrap().unwrap();
    assert_eq!(st.tenant.id, tenant);
    assert_eq!(&st.categories[..], &s.categories(tenant).await.unwrap()[..]);
    assert_eq!(&st.places[..], &s.places(tenant).await.unwrap()[..]);
    (
        st.categories.iter().map(|c| c.name_sv.clone()).collect(),
        st.places.iter().map(|p| p.name.clone()).collect(),
    )
}

pub async fn categories_and_places(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    assert_eq!(setup_of(s, f.tenant.id).await.0.len(), 3);
    assert!(s.tenant_setup(999_999).await.unwrap().is_none());
    let cats = s.categories(f.tenant.id).await.unwrap();
    assert_eq!(cats.len(), 3);
    let klotter = cats
        .iter()
        .find(|c| c.code.as_str() == "skadegorelse-klotter")
        .unwrap();
    assert_eq!(klotter.parent.as_ref().unwrap().as_str(), "skadegorelse");
    assert_eq!(klotter.name_en, "Graffiti");
    // Upsert renames without duplicating.
    let mut renamed = klotter.clone();
    renamed.name_sv = "Klotter och tags".into();
    s.upsert_category(&renamed, None).await.unwrap();
    let cats = s.categories(f.tenant.id).await.unwrap();
    assert_eq!(cats.len(), 3);
    assert!(cats.iter().any(|c| c.name_sv == "Klotter och tags"));
    assert!(
        setup_of(s, f.tenant.id)
            .await
            .0
            .contains(&"Klotter och tags".to_string())
    );
    // Another tenant's taxonomy is separate.
    let other = tenant(s, "1980").await;
    assert!(s.categories(other.id).await.unwrap().is_empty());
    assert_eq!(setup_of(s, other.id).await, (vec![], vec![]));

    let p = s
        .create_place(&NewPlace {
            by: None,
            tenant_id: f.tenant.id,
            name: "Torget".into(),
            kind: PlaceKind::Area,
            is_school: false,
            geometry_geojson: OUTLINE.into(),
            lon: 16.1,
            lat: 59.4,
            is_demo: true,
        })
        .await
        .unwrap();
    let places = s.places(f.tenant.id).await.unwrap();
    assert_eq!(places, vec![p.clone()]);
    assert!(p.is_demo);
    assert!(s.places(other.id).await.unwrap().is_empty());
    assert_eq!(setup_of(s, f.tenant.id).await.1, vec!["Torget".to_string()]);
    assert!(setup_of(s, other.id).await.1.is_empty());
    // A category retired is seen at once too.
    let mut retired = renamed.clone();
    retired.retired = true;
    s.upsert_category(&retired, None).await.unwrap();
    let st = s.tenant_setup(f.tenant.id).await.unwrap().unwrap();
    assert!(
        st.categories
            .iter()
            .any(|c| c.code == retired.code && c.retired)
    );
}

pub async fn incident_round_trip(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let school = s
        .create_place(&NewPlace {
            by: None,
            tenant_id: f.tenant.id,
            name: "Skolan".into(),
            kind: PlaceKind::Area,
            is_school: true,
            geometry_geojson: OUTLINE.into(),
            lon: 16.1,
            lat: 59.4,
            is_demo: false,
        })
        .await
        .unwrap();
    let mut n = incident(&f.teacher, "skadegorelse-klotter", "2026-11-20T21:15:00Z");
    n.occurred_to = t("2026-11-21T05:00:00Z");
    n.place_id = Some(school.id);
    n.school_id = Some(school.id);
    n.area_ids = vec![school.id];
    n.place_text = Some("Kungsgatan 1, gaveln".into());
    n.persons_involved = Some(4);
    n.description = "Tags på gaveln, \"ÅÄÖ\" och 😀".into();
    n.visibility = Visibility::PoliceAndCoordinator;
    let id = insert_one(s, n.clone()).await;
    let got = s.incident(&f.teacher.actor(), id).await.unwrap().unwrap();
    assert_eq!(got.id, id);
    assert_eq!(got.tenant_id, f.tenant.id);
    assert_eq!(got.category, n.category);
    assert_eq!(got.occurred_from, n.occurred_from);
    assert_eq!(got.occurred_to, n.occurred_to);
    assert_eq!((got.lon, got.lat, got.e, got.n), (n.lon, n.lat, n.e, n.n));
    assert_eq!(got.precision, Precision::Exact);
    assert_eq!(got.place_id, Some(school.id));
    assert_eq!(got.place_name.as_deref(), Some("Skolan"));
    assert_eq!(got.school_name.as_deref(), Some("Skolan"));
    assert_eq!(got.place_text, n.place_text);
    assert_eq!(got.description, n.description);
    assert_eq!(got.persons_involved, Some(4));
    assert_eq!(got.visibility, Visibility::PoliceAndCoordinator);
    assert_eq!(got.status, IncidentStatus::New);
    assert_eq!(got.source, Source::Form);
    assert_eq!(got.org_name, "Skolan");
    assert_eq!(got.user_id, Some(f.teacher.id));
    assert!(
        s.incident(&f.teacher.actor(), id + 1000)
            .await
            .unwrap()
            .is_none()
    );
    // An incident may start in a later status; its history says so.
    let mut handled = incident(&f.teacher, "trafik", "2026-11-20T21:15:00Z");
    handled.status = IncidentStatus::Closed;
    let hid = insert_one(s, handled).await;
    assert_eq!(
        s.incident(&f.admin.actor(), hid)
            .await
            .unwrap()
            .unwrap()
            .status,
        IncidentStatus::Closed
    );
    let h = s.status_history(&f.admin.actor(), hid).await.unwrap();
    assert_eq!(
        (h.len(), h[0].from, h[0].to),
        (1, None, IncidentStatus::Closed)
    );
    // A new incident has its creation in its history.
    let h = s.status_history(&f.teacher.actor(), id).await.unwrap();
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].from, None);
    assert_eq!(h[0].to, IncidentStatus::New);
}

pub async fn tenant_isolation(s: &dyn Store) {
    let a = fixture(s, "1960").await;
    let b = fixture(s, "1980").await;
    let id_a = insert_one(s, incident(&a.teacher, "trafik", "2026-11-20T10:00:00Z")).await;
    let id_b = insert_one(s, incident(&b.teacher, "trafik", "2026-11-20T10:00:00Z")).await;
    for who in [&b.admin, &b.analyst, &b.teacher, &b.reader] {
        assert!(
            s.incident(&who.actor(), id_a).await.unwrap().is_none(),
            "{} sees tenant A",
            who.email
        );
        // Readers see no incidents at all, only aggregated figures.
        let own: Vec<IncidentId> = if who.role == Role::Reader {
            vec![]
        } else {
            vec![id_b]
        };
        assert_eq!(list(s, who, IncidentFilter::default()).await, own);
        assert_eq!(
            s.count_incidents(&who.actor(), &IncidentFilter::default())
                .await
                .unwrap(),
            own.len() as u64
        );
        assert!(
            s.status_history(&who.actor(), id_a)
                .await
                .unwrap()
                .is_empty()
        );
        let r = s
            .set_incident_status(
                &who.actor(),
                id_a,
                IncidentStatus::Reviewed,
                "",
                t("2026-11-21T00:00:00Z"),
            )
            .await;
        assert!(matches!(r, Err(StoreError::NotFound { .. })), "{r:?}");
    }
    assert_eq!(
        list(s, &a.admin, IncidentFilter::default()).await,
        vec![id_a]
    );
    // Sessions and tokens carry their tenant: a user is always its own tenant's.
    assert_eq!(s.user(b.tenant.id, a.admin.id).await.unwrap(), None);
}

pub async fn visibility_matches_the_rule(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let mut made = Vec::new();
    for v in Visibility::ALL {
        for by in [&f.teacher, &f.admin, &f.analyst] {
            let mut n = incident(by, "trafik", "2026-11-20T10:00:00Z");
            n.visibility = *v;
            made.push((insert_one(s, n).await, *v, by.org_id, by.id));
        }
    }
    // An import without a reporting user.
    let mut n = incident(&f.analyst, "trafik", "2026-11-20T10:00:00Z");
    n.visibility = Visibility::OwnOrganisation;
    n.user_id = None;
    made.push((
        insert_one(s, n).await,
        Visibility::OwnOrganisation,
        f.polis.id,
        -1,
    ));

    for view in [ReporterView::Map, ReporterView::Own, ReporterView::Shared] {
        s.set_reporter_view(f.tenant.id, view).await.unwrap();
        assert_eq!(
            s.tenant(f.tenant.id).await.unwrap().unwrap().reporter_view,
            view
        );
        for who in [&f.admin, &f.analyst, &f.teacher, &f.teacher2, &f.reader] {
            let actor = who.actor();
            let rule = |purpose| -> Vec<IncidentId> {
                made.iter()
                    .filter(|(_, v, org, user)| {
                        actor.may_see(*v, *org, Some(*user).filter(|u| *u > 0), view, purpose)
                    })
                    .map(|(id, ..)| *id)
                    .collect()
            };
            let expected = rule(Purpose::Read);
            let ctx = format!("{} ({:?}), reporter view {view}", who.email, who.role);
            let mut seen = list(s, who, IncidentFilter::default()).await;
            seen.sort();
            assert_eq!(seen, expected, "list: {ctx}");
            let count = s
                .count_incidents(&actor, &IncidentFilter::default())
                .await
                .unwrap();
            assert_eq!(count, expected.len() as u64, "count: {ctx}");
            let mut on_map: Vec<IncidentId> = s
                .incident_points(&actor, &IncidentFilter::default(), 1000)
                .await
                .unwrap()
                .iter()
                .map(|p| p.id)
                .collect();
            on_map.sort();
            assert_eq!(on_map, rule(Purpose::Map), "map: {ctx}");
            for (id, ..) in &made {
                let got = s.incident(&actor, *id).await.unwrap();
                assert_eq!(got.is_some(), expected.contains(id), "incident {id}: {ctx}");
                if got.is_none() {
                    assert!(s.status_history(&actor, *id).await.unwrap().is_empty());
                }
            }
        }
    }
    // Spot checks of the rule itself.
    let map = ReporterView::Map;
    let teacher = f.teacher.actor();
    assert!(teacher.may_see(
        Visibility::OwnOrganisation,
        f.skola.id,
        Some(f.teacher.id),
        map,
        Purpose::Read
    ));
    assert!(!teacher.may_see(
        Visibility::AllPartners,
        f.kommun.id,
        Some(f.admin.id),
        map,
        Purpose::Read
    ));
    assert!(teacher.may_see(
        Visibility::AllPartners,
        f.kommun.id,
        Some(f.admin.id),
        map,
        Purpose::Map
    ));
    assert!(!teacher.may_see(
        Visibility::PoliceAndCoordinator,
        f.kommun.id,
        None,
        ReporterView::Shared,
        Purpose::Map
    ));
    assert!(!f.reader.actor().may_see(
        Visibility::AllPartners,
        f.kommun.id,
        None,
        ReporterView::Shared,
        Purpose::Map
    ));
    assert!(f.analyst.actor().may_see(
        Visibility::PoliceAndCoordinator,
        f.skola.id,
        None,
        map,
        Purpose::Read
    ));
    assert!(!f.analyst.actor().may_see(
        Visibility::OwnOrganisation,
        f.skola.id,
        None,
        map,
        Purpose::Read
    ));
}

pub async fn filters(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let area = s
        .create_place(&NewPlace {
            by: None,
            tenant_id: f.tenant.id,
            name: "Centrum".into(),
            kind: PlaceKind::Area,
            is_school: false,
            geometry_geojson: OUTLINE.into(),
            lon: 16.1,
            lat: 59.4,
            is_demo: false,
        })
        .await
        .unwrap();
    let klotter = insert_one(
        s,
        incident(&f.teacher, "skadegorelse-klotter", "2026-11-01T10:00:00Z"),
    )
    .await;
    let mut n = incident(&f.admin, "skadegorelse", "2026-11-10T10:00:00Z");
    n.area_ids = vec![area.id];
    n.lon = 16.25;
    let skadeg = insert_one(s, n).await;
    let mut n = incident(&f.analyst, "trafik", "2026-10-01T10:00:00Z");
    n.source = Source::ImportPolisen;
    n.external_id = Some("1".into());
    let trafik = insert_one(s, n).await;

    let all = |filter| list(s, &f.admin, filter);
    let mut got = all(IncidentFilter::default()).await;
    got.sort();
    assert_eq!(got, vec![klotter, skadeg, trafik]);
    let cat = |c: &str| Some(CategoryCode::parse(c).unwrap());
    let mut parent = all(IncidentFilter {
        category: cat("skadegorelse"),
        ..Default::default()
    })
    .await;
    parent.sort();
    assert_eq!(
        parent,
        vec![klotter, skadeg],
        "a parent category includes its children"
    );
    assert_eq!(
        all(IncidentFilter {
            category: cat("skadegorelse-klotter"),
            ..Default::default()
        })
        .await,
        vec![klotter]
    );
    assert_eq!(
        all(IncidentFilter {
            from: Some(t("2026-11-01T10:00:00Z")),
            to: Some(t("2026-11-10T10:00:00Z")),
            ..Default::default()
        })
        .await,
        vec![klotter],
        "the period is [from, to)"
    );
    assert_eq!(
        all(IncidentFilter {
            area_id: Some(area.id),
            ..Default::default()
        })
        .await,
        vec![skadeg]
    );
    assert_eq!(
        all(IncidentFilter {
            org_id: Some(f.polis.id),
            ..Default::default()
        })
        .await,
        vec![trafik]
    );
    assert_eq!(
        all(IncidentFilter {
            source: Some(Source::ImportPolisen),
            ..Default::default()
        })
        .await,
        vec![trafik]
    );
    assert_eq!(
        all(IncidentFilter {
            status: Some(IncidentStatus::Reviewed),
            ..Default::default()
        })
        .await,
        Vec::<IncidentId>::new()
    );
    assert_eq!(
        all(IncidentFilter {
            bbox: Some([16.2, 59.0, 16.3, 60.0]),
            ..Default::default()
        })
        .await,
        vec![skadeg]
    );
    assert_eq!(
        s.count_incidents(
            &f.admin.actor(),
            &IncidentFilter {
                category: cat("skadegorelse"),
                ..Default::default()
            }
        )
        .await
        .unwrap(),
        2
    );
}

pub async fn sorting_and_paging(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let base = t("2026-01-01T00:00:00Z");
    let mut batch = Vec::new();
    for i in 0..25i64 {
        // Pairs share an occurred time so the id breaks ties.
        let mut n = incident(
            &f.teacher,
            if i % 2 == 0 { "trafik" } else { "skadegorelse" },
            "2026-01-01T00:00:00Z",
        );
        n.occurred_from = base + (i / 2).hours();
        n.occurred_to = n.occurred_from;
        n.created_at = base + (100 - i).hours();
        batch.push(n);
    }
    let made = s.insert_incidents(f.tenant.id, &batch).await.unwrap();
    assert_eq!(made.len(), 25);
    let q = |sort, limit, offset, after| IncidentQuery {
        filter: IncidentFilter::default(),
        sort,
        limit,
        offset,
        after,
    };
    let actor = f.admin.actor();
    let desc = ids(&s
        .list_incidents(&actor, &q(Sort::OccurredDesc, 100, 0, None))
        .await
        .unwrap());
    let mut expected = made.clone();
    expected.reverse();
    assert_eq!(desc, expected, "newest first, ties by id descending");
    let asc = ids(&s
        .list_incidents(&actor, &q(Sort::OccurredAsc, 100, 0, None))
        .await
        .unwrap());
    assert_eq!(asc, made);
    let created = ids(&s
        .list_incidents(&actor, &q(Sort::CreatedDesc, 100, 0, None))
        .await
        .unwrap());
    assert_eq!(created, made, "created_at was set to decrease");
    let by_cat = s
        .list_incidents(&actor, &q(Sort::Category, 100, 0, None))
        .await
        .unwrap();
    assert!(by_cat.windows(2).all(|w| w[0].category <= w[1].category));

    // Offset paging covers everything once.
    let mut paged = Vec::new();
    for page in 0..3 {
        paged.extend(ids(&s
            .list_incidents(&actor, &q(Sort::OccurredDesc, 10, page * 10, None))
            .await
            .unwrap()));
    }
    assert_eq!(paged, expected);
    // Keyset paging too, across equal timestamps.
    let mut keyset = Vec::new();
    let mut after = None;
    loop {
        let page = s
            .list_incidents(&actor, &q(Sort::OccurredDesc, 7, 0, after))
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        let last = page.last().unwrap();
        after = Some(Cursor {
            occurred_from: last.occurred_from,
            id: last.id,
        });
        keyset.extend(ids(&page));
    }
    assert_eq!(keyset, expected);
}

pub async fn import_is_idempotent(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let ev = |id: &str, desc: &str| {
        let mut n = incident(&f.analyst, "trafik", "2026-05-01T10:00:00Z");
        n.source = Source::ImportPolisen;
        n.external_id = Some(id.into());
        n.precision = Precision::Municipality;
        n.municipality_code = Some("1960".into());
        n.user_id = None;
        n.description = desc.into();
        n
    };
    let first = s
        .import_incidents(f.tenant.id, &[ev("1", "a"), ev("2", "b")])
        .await
        .unwrap();
    assert_eq!(
        first,
        ImportCounts {
            inserted: 2,
            updated: 0,
            unchanged: 0
        }
    );
    let again = s
        .import_incidents(f.tenant.id, &[ev("1", "a"), ev("2", "b")])
        .await
        .unwrap();
    assert_eq!(
        again,
        ImportCounts {
            inserted: 0,
            updated: 0,
            unchanged: 2
        }
    );
    let changed = s
        .import_incidents(f.tenant.id, &[ev("2", "b2"), ev("3", "c")])
        .await
        .unwrap();
    assert_eq!(
        changed,
        ImportCounts {
            inserted: 1,
            updated: 1,
            unchanged: 0
        }
    );
    let all = s
        .list_incidents(&f.admin.actor(), &IncidentQuery::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
    assert!(all.iter().any(|i| i.description == "b2"));
    assert!(all.iter().all(|i| i.precision == Precision::Municipality));
    // The same external id in another tenant is another incident.
    let g = fixture(s, "1980").await;
    let mut other = ev("1", "a");
    other.org_id = g.polis.id;
    assert_eq!(
        s.import_incidents(g.tenant.id, &[other])
            .await
            .unwrap()
            .inserted,
        1
    );
}

fn new_tip(tenant: TenantId, receipt: &str, at: &str) -> NewTip {
    NewTip {
        tenant_id: tenant,
        receipt_hash: format!("hash-{receipt}"),
        token: format!("token-{receipt}"),
        channel: model::TipChannel::Web,
        category: CategoryCode::parse("trafik").unwrap(),
        description: "Mörkt vid gångtunneln".into(),
        place_text: "Gångtunneln under järnvägen".into(),
        point: Some((16.1, 59.42)),
        occurred_at: None,
        email: Some(Email::parse("tipsare@example.se").unwrap()),
        partner_id: None,
        redacted: 1,
        created_at: t(at),
    }
}

pub async fn tips_are_moderated_once(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let a = s
        .create_tip(&new_tip(f.tenant.id, "a", "2026-11-20T18:00:00Z"))
        .await
        .unwrap();
    assert_eq!(a.status, model::TipStatus::New);
    assert_eq!(a.point, Some((16.1, 59.42)));
    assert_eq!(a.email.as_deref(), Some("tipsare@example.se"));
    assert_eq!(a.redacted, 1);
    let mut b = new_tip(f.tenant.id, "b", "2026-11-21T18:00:00Z");
    b.point = None;
    b.email = None;
    b.channel = model::TipChannel::Open311;
    let b = s.create_tip(&b).await.unwrap();
    assert_eq!((b.point, b.email.as_deref()), (None, None));
    let c = s
        .create_tip(&new_tip(f.tenant.id, "c", "2026-11-22T18:00:00Z"))
        .await
        .unwrap();
    // A category the tenant lacks is named.
    let mut bad = new_tip(f.tenant.id, "d", "2026-11-22T18:00:00Z");
    bad.category = CategoryCode::parse("finns-inte").unwrap();
    assert!(matches!(
        s.create_tip(&bad).await,
        Err(StoreError::UnknownReference {
            field: "category",
            ..
        })
    ));
    // Found by the receipt's hash and by the token; another tenant's token finds nothing.
    assert_eq!(s.tip_by_receipt("hash-a").await.unwrap().unwrap().id, a.id);
    assert_eq!(
        s.tip_by_token(f.tenant.id, "token-b")
            .await
            .unwrap()
            .unwrap()
            .id,
        b.id
    );
    let g = fixture(s, "1980").await;
    assert!(
        s.tip_by_token(g.tenant.id, "token-b")
            .await
            .unwrap()
            .is_none()
    );
    assert!(s.tips(g.tenant.id, None, 10).await.unwrap().is_empty());
    // The queue, newest first.
    let queue: Vec<i64> = s
        .tips(f.tenant.id, Some(model::TipStatus::New), 10)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(queue, vec![c.id, b.id, a.id]);
    // Accepting stores the incident in the same step.
    let mut n = incident(&f.admin, "trafik", "2026-11-20T18:00:00Z");
    n.source = Source::Public;
    n.user_id = None;
    let at = t("2026-11-23T08:00:00Z");
    let accepted = s
        .moderate_tip(
            f.tenant.id,
            a.id,
            &TipDecision {
                moderation: Moderation::Accept(Box::new(n)),
                public_answer: "Tack! Vi har lagt in platsen i lägesbilden.".into(),
                internal_note: "Belysningen anmäld till gatukontoret".into(),
                by: f.admin.id,
                at,
            },
        )
        .await
        .unwrap();
    assert_eq!(accepted.status, model::TipStatus::Accepted);
    assert_eq!(accepted.moderated_by, Some(f.admin.id));
    assert_eq!(accepted.moderated_at, Some(at));
    let inc = s
        .incident(&f.admin.actor(), accepted.incident_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(inc.source, Source::Public);
    // Only once.
    let again = s
        .moderate_tip(
            f.tenant.id,
            a.id,
            &TipDecision {
                moderation: Moderation::Reject,
                public_answer: String::new(),
                internal_note: String::new(),
                by: f.admin.id,
                at,
            },
        )
        .await;
    assert!(
        matches!(again, Err(StoreError::Conflict { .. })),
        "{again:?}"
    );
    // A merge names an incident of the tenant; another tenant's is refused.
    let elsewhere = insert_one(s, incident(&g.teacher, "trafik", "2026-11-20T10:00:00Z")).await;
    let merge = |id| TipDecision {
        moderation: Moderation::Merge(id),
        public_answer: "Det här känner vi redan till.".into(),
        internal_note: String::new(),
        by: f.admin.id,
        at,
    };
    assert!(matches!(
        s.moderate_tip(f.tenant.id, b.id, &merge(elsewhere)).await,
        Err(StoreError::UnknownReference {
            field: "incident",
            ..
        })
    ));
    let merged = s
        .moderate_tip(f.tenant.id, b.id, &merge(inc.id))
        .await
        .unwrap();
    assert_eq!(
        (merged.status, merged.incident_id),
        (model::TipStatus::Merged, Some(inc.id))
    );
    let rejected = s
        .moderate_tip(
            f.tenant.id,
            c.id,
            &TipDecision {
                moderation: Moderation::Reject,
                public_answer: "Det gäller en annan kommun.".into(),
                internal_note: "fel kommun".into(),
                by: f.admin.id,
                at,
            },
        )
        .await
        .unwrap();
    assert_eq!(rejected.status, model::TipStatus::Rejected);
    assert_eq!(rejected.public_answer, "Det gäller en annan kommun.");
    assert!(
        s.tips(f.tenant.id, Some(model::TipStatus::New), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // Found by status, category and time, newest first, at most the limit.
    let find = |statuses: Vec<model::TipStatus>, from: &str, to: &str, limit: u32| TipFilter {
        statuses,
        categories: vec![CategoryCode::parse("trafik").unwrap()],
        from: Some(t(from)),
        to: Some(t(to)),
        limit,
    };
    let ids = |v: Vec<Tip>| v.iter().map(|t| t.id).collect::<Vec<_>>();
    let all = s
        .find_tips(
            f.tenant.id,
            &find(vec![], "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", 10),
        )
        .await
        .unwrap();
    assert_eq!(ids(all), vec![c.id, b.id, a.id]);
    let closed = s
        .find_tips(
            f.tenant.id,
            &find(
                vec![model::TipStatus::Merged, model::TipStatus::Rejected],
                "2026-11-01T00:00:00Z",
                "2026-12-01T00:00:00Z",
                10,
            ),
        )
        .await
        .unwrap();
    assert_eq!(ids(closed), vec![c.id, b.id]);
    let window = s
        .find_tips(
            f.tenant.id,
            &find(vec![], "2026-11-21T00:00:00Z", "2026-11-21T23:00:00Z", 10),
        )
        .await
        .unwrap();
    assert_eq!(ids(window), vec![b.id]);
    let one = s
        .find_tips(
            f.tenant.id,
            &find(vec![], "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", 1),
        )
        .await
        .unwrap();
    assert_eq!(ids(one), vec![c.id]);
    let mut other = find(vec![], "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", 10);
    other.categories = vec![CategoryCode::parse("skadegorelse-klotter").unwrap()];
    assert!(s.find_tips(f.tenant.id, &other).await.unwrap().is_empty());
    assert!(
        s.find_tips(
            g.tenant.id,
            &find(vec![], "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z", 10)
        )
        .await
        .unwrap()
        .is_empty()
    );
    // The audit trail names the tips and what was done, never their text or e-mail.
    let log = s
        .audit_log(
            f.tenant.id,
            &AuditFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let tips: Vec<&AuditEntry> = log.iter().filter(|e| e.entity == "tip").collect();
    assert_eq!(tips.len(), 6, "three created, three moderated");
    for e in tips {
        let text = format!("{:?}{:?}", e.before, e.after);
        assert!(
            !text.contains("Mörkt") && !text.contains("tipsare@"),
            "{text}"
        );
    }
    assert!(s.verify_audit(f.tenant.id).await.unwrap().is_ok());
}

pub async fn open311_keys_are_revoked(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let key = s
        .create_open311_key(&NewOpen311Key {
            tenant_id: f.tenant.id,
            label: " Felanmälan-appen ".into(),
            key_hash: "k1".into(),
            created_by: Some(f.admin.id),
            created_at: t("2026-11-20T10:00:00Z"),
        })
        .await
        .unwrap();
    assert_eq!(key.label, "Felanmälan-appen");
    assert_eq!(s.open311_key("k1").await.unwrap().unwrap().id, key.id);
    assert!(s.open311_key("k2").await.unwrap().is_none());
    let g = fixture(s, "1980").await;
    assert!(
        s.revoke_open311_key(g.tenant.id, key.id, None, t("2026-11-21T10:00:00Z"))
            .await
            .is_err(),
        "not another tenant's"
    );
    s.revoke_open311_key(
        f.tenant.id,
        key.id,
        Some(f.admin.id),
        t("2026-11-21T10:00:00Z"),
    )
    .await
    .unwrap();
    assert!(
        s.open311_key("k1").await.unwrap().is_none(),
        "a revoked key opens nothing"
    );
    let keys = s.open311_keys(f.tenant.id).await.unwrap();
    assert_eq!(keys.len(), 1);
    assert!(keys[0].revoked_at.is_some());
    assert!(
        s.revoke_open311_key(f.tenant.id, key.id, None, t("2026-11-22T10:00:00Z"))
            .await
            .is_err(),
        "once"
    );
}

pub async fn duplicates_name_the_original(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let first = insert_one(s, incident(&f.teacher, "trafik", "2026-11-20T10:00:00Z")).await;
    let second = insert_one(s, incident(&f.teacher2, "trafik", "2026-11-20T10:05:00Z")).await;
    let now = t("2026-11-21T08:00:00Z");
    // Not itself, not one that does not exist, not one of another tenant.
    let g = fixture(s, "1980").await;
    let elsewhere = insert_one(s, incident(&g.teacher, "trafik", "2026-11-20T10:00:00Z")).await;
    for of in [second, 999_999, elsewhere] {
        let err = s
            .mark_duplicate(&f.admin.actor(), second, of, "", now)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::UnknownReference { field: "same_as", value, .. } if *value == of.to_string()),
            "{err:?}"
        );
    }
    assert_eq!(
        s.incident(&f.admin.actor(), second)
            .await
            .unwrap()
            .unwrap()
            .status,
        IncidentStatus::New,
        "a refused change changes nothing"
    );
    let inc = s
        .mark_duplicate(&f.admin.actor(), second, first, "Samma som den första", now)
        .await
        .unwrap();
    assert_eq!(inc.status, IncidentStatus::Duplicate);
    assert_eq!(inc.same_as, Some(first));
    let h = s.status_history(&f.admin.actor(), second).await.unwrap();
    assert_eq!(h.last().unwrap().to, IncidentStatus::Duplicate);
    assert_eq!(h.last().unwrap().comment, "Samma som den första");
}

pub async fn reporters_hear_of_their_reports(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let mine = insert_one(s, incident(&f.teacher, "trafik", "2026-11-20T10:00:00Z")).await;
    let other = insert_one(s, incident(&f.teacher2, "trafik", "2026-11-20T11:00:00Z")).await;
    let now = t("2026-11-21T08:00:00Z");
    s.set_incident_status(
        &f.admin.actor(),
        mine,
        IncidentStatus::Reviewed,
        "Vi tittar på det",
        now,
    )
    .await
    .unwrap();
    s.set_incident_status(&f.admin.actor(), other, IncidentStatus::Reviewed, "", now)
        .await
        .unwrap();
    s.mark_duplicate(&f.admin.actor(), mine, other, "", now + 1.hours())
        .await
        .unwrap();
    // Their wish for e-mails about it: off until they turn it on, and per user.
    assert!(!s.status_emails(f.tenant.id, f.teacher.id).await.unwrap());
    s.set_status_emails(f.tenant.id, f.teacher.id, true, now)
        .await
        .unwrap();
    assert!(s.status_emails(f.tenant.id, f.teacher.id).await.unwrap());
    assert!(!s.status_emails(f.tenant.id, f.teacher2.id).await.unwrap());
    assert!(matches!(
        s.set_status_emails(f.tenant.id, 999_999, true, now).await,
        Err(StoreError::NotFound { .. })
    ));
    let got = s
        .report_updates(&f.teacher.actor(), now - 24.hours(), 10)
        .await
        .unwrap();
    let seen: Vec<_> = got
        .iter()
        .map(|u| (u.incident_id, u.to, u.comment.as_str(), u.same_as))
        .collect();
    assert_eq!(
        seen,
        vec![
            (mine, IncidentStatus::Duplicate, "", Some(other)),
            (
                mine,
                IncidentStatus::Reviewed,
                "Vi tittar på det",
                Some(other)
            ),
        ],
        "only their own incidents, newest first, not the other reporter's"
    );
    assert_eq!(got[0].category.as_str(), "trafik");
    assert_eq!(got[0].occurred_from, t("2026-11-20T10:00:00Z"));
    // Since a later time, and a limit.
    assert_eq!(
        s.report_updates(&f.teacher.actor(), now + 30.minutes(), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        s.report_updates(&f.teacher.actor(), now - 24.hours(), 1)
            .await
            .unwrap()
            .len(),
        1
    );
    // Their own change is not news to them.
    let own = insert_one(s, incident(&f.admin, "trafik", "2026-11-20T12:00:00Z")).await;
    s.set_incident_status(&f.admin.actor(), own, IncidentStatus::Reviewed, "", now)
        .await
        .unwrap();
    assert!(
        s.report_updates(&f.admin.actor(), now - 24.hours(), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn status_changes_are_recorded(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let id = insert_one(s, incident(&f.teacher, "trafik", "2026-11-20T10:00:00Z")).await;
    let now = t("2026-11-21T08:00:00Z");
    let inc = s
        .set_incident_status(&f.admin.actor(), id, IncidentStatus::Reviewed, "Sett", now)
        .await
        .unwrap();
    assert_eq!(inc.status, IncidentStatus::Reviewed);
    assert_eq!(inc.updated_at, now);
    let err = s
        .set_incident_status(&f.admin.actor(), id, IncidentStatus::New, "", now)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::InvalidTransition { .. }),
        "{err:?}"
    );
    s.set_incident_status(
        &f.admin.actor(),
        id,
        IncidentStatus::Closed,
        "Åtgärdat",
        now + 1.hours(),
    )
    .await
    .unwrap();
    let h = s.status_history(&f.teacher.actor(), id).await.unwrap();
    let steps: Vec<_> = h
        .iter()
        .map(|c| (c.from, c.to, c.comment.as_str()))
        .collect();
    assert_eq!(
        steps,
        vec![
            (None, IncidentStatus::New, ""),
            (Some(IncidentStatus::New), IncidentStatus::Reviewed, "Sett"),
            (
                Some(IncidentStatus::Reviewed),
                IncidentStatus::Closed,
                "Åtgärdat"
            ),
        ]
    );
    assert_eq!(h[1].user_name.as_deref(), Some("admin"));
}

pub async fn bulk_insert_is_all_or_nothing(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let good = incident(&f.teacher, "trafik", "2026-11-20T10:00:00Z");
    // An organisation of no tenant makes the second row fail.
    let mut bad = good.clone();
    bad.org_id = 987_654;
    // The error names the row, the field and the value.
    match s.insert_incidents(f.tenant.id, &[good.clone(), bad]).await {
        Err(StoreError::UnknownReference { row, field, value }) => {
            assert_eq!((row, field, value.as_str()), (2, "org_id", "987654"))
        }
        other => panic!("{other:?}"),
    }
    // Another tenant's category or place is not this one's.
    let g = fixture(s, "1980").await;
    let mut foreign = good.clone();
    foreign.place_id = Some(
        s.create_place(&NewPlace {
            by: None,
            tenant_id: g.tenant.id,
            name: "Annanstans".into(),
            kind: PlaceKind::Point,
            is_school: false,
            geometry_geojson: r#"{"type":"Point","coordinates":[16.1,59.42]}"#.into(),
            lon: 16.1,
            lat: 59.42,
            is_demo: false,
        })
        .await
        .unwrap()
        .id,
    );
    match s
        .insert_incidents(f.tenant.id, &[good.clone(), good.clone(), foreign])
        .await
    {
        Err(StoreError::UnknownReference { row, field, .. }) => {
            assert_eq!((row, field), (3, "place_id"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        s.count_incidents(&f.admin.actor(), &IncidentFilter::default())
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        s.insert_incidents(f.tenant.id, std::slice::from_ref(&good))
            .await
            .unwrap()
            .len(),
        1
    );
    // A batch has one audit row: its ids, count and the digest of what it held.
    let mut batch = vec![good.clone(), good.clone(), good];
    batch[1].category = CategoryCode::parse("skadegorelse-klotter").unwrap();
    // Text that separates fields and rows in bulk formats comes back as it was written.
    batch[2].description = "Rad ett\nrad två\tmed flik, \\N och \\ snedstreck\r\nslut".into();
    batch[2].place_text = Some("Torget\t\\".into());
    (batch[2].lon, batch[2].lat) = (16.098_765_432_1, 59.422_123_456_7);
    let ids = s.insert_incidents(f.tenant.id, &batch).await.unwrap();
    assert_eq!(ids.len(), 3);
    let back = s.incident(&f.admin.actor(), ids[2]).await.unwrap().unwrap();
    assert_eq!(back.description, batch[2].description);
    assert_eq!(back.place_text, batch[2].place_text);
    assert_eq!((back.lon, back.lat), (batch[2].lon, batch[2].lat));
    assert_eq!(
        s.incident(&f.admin.actor(), ids[1])
            .await
            .unwrap()
            .unwrap()
            .category,
        batch[1].category
    );
    let log = s
        .audit_log(
            f.tenant.id,
            &AuditFilter {
                limit: 2,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(log[0].action, "incident.create_batch");
    assert_eq!(log[0].entity_id, format!("{}-{}", ids[0], ids[2]));
    let after: serde_json::Value = serde_json::from_str(log[0].after.as_deref().unwrap()).unwrap();
    assert_eq!(after["count"], 3);
    let mut lines = String::new();
    for n in &batch {
        crate::backend::incident_line(&mut lines, n);
    }
    assert_eq!(lines.lines().count(), 3, "{lines}");
    assert!(lines.contains("Rad ett\\nrad två\\tmed flik"), "{lines}");
    assert_eq!(after["sha256"], audit::sha256_hex(&lines));
    assert_eq!(log[1].action, "incident.create");
    assert!(s.verify_audit(f.tenant.id).await.unwrap().is_ok());
}

pub async fn points_match_the_list(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    // With the shared view reporters see the same in lists and on the map.
    s.set_reporter_view(f.tenant.id, ReporterView::Shared)
        .await
        .unwrap();
    for (i, v) in Visibility::ALL.iter().enumerate() {
        let mut n = incident(
            &f.teacher,
            if i == 0 {
                "trafik"
            } else {
                "skadegorelse-klotter"
            },
            "2026-11-20T10:00:00Z",
        );
        n.visibility = *v;
        n.lon += i as f64 / 100.0;
        insert_one(s, n).await;
    }
    let mut coarse = incident(&f.analyst, "trafik", "2026-11-21T10:00:00Z");
    coarse.precision = Precision::Municipality;
    coarse.municipality_code = Some("1960".into());
    insert_one(s, coarse).await;
    for who in [&f.admin, &f.teacher2, &f.reader] {
        for filter in [
            IncidentFilter::default(),
            IncidentFilter {
                category: Some(CategoryCode::parse("skadegorelse").unwrap()),
                ..Default::default()
            },
        ] {
            let list = s
                .list_incidents(
                    &who.actor(),
                    &IncidentQuery {
                        filter: filter.clone(),
                        limit: 1000,
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            let points = s
                .incident_points(&who.actor(), &filter, 1000)
                .await
                .unwrap();
            assert_eq!(points.len(), list.len(), "{}", who.email);
            for (p, i) in points.iter().zip(&list) {
                assert_eq!(
                    (
                        p.id,
                        &p.category,
                        p.occurred_from,
                        p.occurred_to,
                        p.lon,
                        p.lat,
                        p.e,
                        p.n,
                        p.precision,
                        p.status,
                        &p.municipality_code
                    ),
                    (
                        i.id,
                        &i.category,
                        i.occurred_from,
                        i.occurred_to,
                        i.lon,
                        i.lat,
                        i.e,
                        i.n,
                        i.precision,
                        i.status,
                        &i.municipality_code
                    )
                );
            }
            let two = s.incident_points(&who.actor(), &filter, 2).await.unwrap();
            assert_eq!(two.len(), list.len().min(2));
        }
    }
}

pub async fn audit_trail_is_chained(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let other = fixture(s, "1980").await;
    let mut n = incident(&f.teacher, "trafik", "2026-11-20T10:00:00Z");
    n.visibility = Visibility::PoliceAndCoordinator;
    let id = insert_one(s, n).await;
    let open = insert_one(s, incident(&f.teacher, "trafik", "2026-11-20T11:00:00Z")).await;
    // Reading a restricted incident is logged; reading an open one is not.
    assert!(s.incident(&f.analyst.actor(), id).await.unwrap().is_some());
    assert!(
        s.incident(&f.analyst.actor(), open)
            .await
            .unwrap()
            .is_some()
    );
    s.set_incident_status(
        &f.admin.actor(),
        id,
        IncidentStatus::Reviewed,
        "ok",
        t("2026-11-21T08:00:00Z"),
    )
    .await
    .unwrap();
    s.append_audit(
        f.tenant.id,
        &NewAudit {
            at: t("2026-11-21T09:00:00Z"),
            user_id: Some(f.admin.id),
            action: "session.login".into(),
            entity: "user".into(),
            entity_id: f.admin.id.to_string(),
            before: None,
            after: None,
        },
    )
    .await
    .unwrap();
    let log = s
        .audit_log(
            f.tenant.id,
            &AuditFilter {
                limit: 100,
                ascending: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    // The fixture created three organisations, three categories and five users; then the changes above.
    assert_eq!(
        actions,
        vec![
            "organisation.create",
            "organisation.create",
            "organisation.create",
            "category.upsert",
            "category.upsert",
            "category.upsert",
            "user.create",
            "user.create",
            "user.create",
            "user.create",
            "user.create",
            "incident.create",
            "incident.create",
            "incident.read",
            "incident.status",
            "session.login"
        ]
    );
    assert_eq!(log[0].prev_hash, audit::GENESIS);
    assert!(
        log.windows(2)
            .all(|w| w[1].prev_hash == w[0].hash && w[1].seq == w[0].seq + 1)
    );
    let status = &log[14];
    assert_eq!(status.user_id, Some(f.admin.id));
    assert_eq!(status.user_name.as_deref(), Some("admin"));
    assert_eq!(status.entity_id, id.to_string());
    assert!(status.before.as_deref().unwrap().contains("\"new\""));
    assert!(status.after.as_deref().unwrap().contains("\"reviewed\""));
    assert!(log[11].after.as_deref().unwrap().contains("trafik"));
    assert!(
        !log[6].after.as_deref().unwrap().contains("argon2"),
        "no password hashes in the log"
    );
    assert_eq!(s.verify_audit(f.tenant.id).await.unwrap(), Ok(16));
    // Filters, newest first by default.
    let reads = s
        .audit_log(
            f.tenant.id,
            &AuditFilter {
                action: Some("incident.read".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].user_id, Some(f.analyst.id));
    let newest = s
        .audit_log(
            f.tenant.id,
            &AuditFilter {
                limit: 2,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        newest.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![16, 15]
    );
    // Each tenant has its own chain.
    assert_eq!(s.verify_audit(other.tenant.id).await.unwrap(), Ok(11));
    assert_eq!(
        s.audit_log(
            other.tenant.id,
            &AuditFilter {
                limit: 100,
                ..Default::default()
            }
        )
        .await
        .unwrap()
        .len(),
        11
    );
}

async fn retention_setup(s: &dyn Store) -> (Fixture, Vec<IncidentId>) {
    let f = fixture(s, "1960").await;
    // Klotter is kept 24 months, traffic has no limit.
    let mut cats = s.categories(f.tenant.id).await.unwrap();
    let klotter = cats
        .iter_mut()
        .find(|c| c.code.as_str() == "skadegorelse-klotter")
        .unwrap();
    klotter.retention_months = Some(24);
    s.upsert_category(klotter, None).await.unwrap();
    let mut ids = Vec::new();
    for (cat, when) in [
        ("skadegorelse-klotter", "2024-11-15T21:40:00Z"), // 24 months + 12 days before "now": past
        ("skadegorelse-klotter", "2024-12-01T10:00:00Z"), // inside the period
        ("trafik", "2020-01-01T10:00:00Z"),               // old, but no limit
    ] {
        let mut n = incident(&f.teacher, cat, when);
        n.description = "Klotter på skolans gavel mot parkeringen".into();
        n.place_text = Some("Kungsgatan 1".into());
        n.persons_involved = Some(3);
        n.lon = 16.0978;
        n.lat = 59.4224;
        n.e = 562_295.107;
        n.n = 6_587_601.867;
        ids.push(insert_one(s, n).await);
    }
    s.set_incident_status(
        &f.admin.actor(),
        ids[0],
        IncidentStatus::Reviewed,
        "Anna B ringde",
        t("2024-11-16T08:00:00Z"),
    )
    .await
    .unwrap();
    (f, ids)
}

pub async fn retention_anonymises_past_the_period(s: &dyn Store) {
    let (f, ids) = retention_setup(s).await;
    let now = t("2026-11-27T12:00:00Z");
    let report = s.apply_retention(f.tenant.id, now).await.unwrap();
    assert_eq!((report.anonymised, report.deleted), (1, 0));
    assert_eq!(report.categories.len(), 1);
    assert_eq!(report.categories[0].0.as_str(), "skadegorelse-klotter");
    assert_eq!(report.categories[0].3, 1);
    let a = s.incident(&f.admin.actor(), ids[0]).await.unwrap().unwrap();
    assert_eq!(
        a.category.as_str(),
        "skadegorelse-klotter",
        "the category is kept"
    );
    // 2024-11-15 22:40 Swedish time: rounded to the start of November, Swedish time.
    assert_eq!(a.occurred_from, t("2024-10-31T23:00:00Z"));
    assert_eq!(a.occurred_to, a.occurred_from);
    assert_eq!(
        (a.e, a.n),
        (562_250.0, 6_587_750.0),
        "centre of the 500 m cell"
    );
    assert_eq!(a.precision, Precision::Cell);
    assert_eq!(a.description, "");
    assert_eq!(
        (a.place_text, a.persons_involved, a.user_id),
        (None, None, None)
    );
    let h = s.status_history(&f.admin.actor(), ids[0]).await.unwrap();
    assert!(
        h.iter()
            .all(|c| c.comment.is_empty() && c.user_id.is_none()),
        "{h:?}"
    );
    // Untouched: inside the period, and a category without a limit.
    for id in &ids[1..] {
        let i = s.incident(&f.admin.actor(), *id).await.unwrap().unwrap();
        assert_eq!(i.description, "Klotter på skolans gavel mot parkeringen");
        assert_eq!(i.precision, Precision::Exact);
    }
    // Logged, and a second run changes nothing.
    let runs = s
        .audit_log(
            f.tenant.id,
            &AuditFilter {
                action: Some("retention.run".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(runs.len(), 1);
    assert!(
        runs[0]
            .after
            .as_deref()
            .unwrap()
            .contains("\"anonymised\":1")
    );
    let again = s.apply_retention(f.tenant.id, now).await.unwrap();
    assert_eq!((again.anonymised, again.deleted), (0, 0));
    assert_eq!(
        s.verify_audit(f.tenant.id).await.unwrap().map(|_| ()),
        Ok(())
    );
}

pub async fn retention_can_delete(s: &dyn Store) {
    let (f, ids) = retention_setup(s).await;
    s.set_retention_action(f.tenant.id, model::RetentionAction::Delete)
        .await
        .unwrap();
    assert_eq!(
        s.tenant(f.tenant.id)
            .await
            .unwrap()
            .unwrap()
            .retention_action,
        model::RetentionAction::Delete
    );
    let report = s
        .apply_retention(f.tenant.id, t("2026-11-27T12:00:00Z"))
        .await
        .unwrap();
    assert_eq!((report.anonymised, report.deleted), (0, 1));
    assert!(
        s.incident(&f.admin.actor(), ids[0])
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        s.status_history(&f.admin.actor(), ids[0])
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.count_incidents(&f.admin.actor(), &IncidentFilter::default())
            .await
            .unwrap(),
        2
    );
}

pub async fn second_factor(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let tid = f.tenant.id;
    assert!(!f.admin.mfa_enabled);
    assert_eq!(s.user_totp(tid, f.admin.id).await.unwrap(), None);
    // A session waiting for the second factor keeps a secret being set up.
    let now = t("2026-11-27T10:00:00Z");
    s.create_session(&NewSession {
        token_hash: "pending".into(),
        tenant_id: tid,
        user_id: f.admin.id,
        csrf_token: "c".into(),
        created_at: now,
        expires_at: now + 1.hours(),
        stage: SessionStage::MfaSetup,
    })
    .await
    .unwrap();
    let (sess, _) = s.session("pending", now).await.unwrap().unwrap();
    assert_eq!(
        (sess.stage, sess.pending_secret),
        (SessionStage::MfaSetup, None)
    );
    s.set_session_stage("pending", SessionStage::MfaSetup, Some("JBSWY3DPEHPK3PXP"))
        .await
        .unwrap();
    let (sess, _) = s.session("pending", now).await.unwrap().unwrap();
    assert_eq!(sess.pending_secret.as_deref(), Some("JBSWY3DPEHPK3PXP"));

    let state = TotpState {
        secret: "JBSWY3DPEHPK3PXP".into(),
        last_step: Some(100),
        recovery_hashes: vec!["h1".into(), "h2".into()],
    };
    s.enable_totp(tid, f.admin.id, &state).await.unwrap();
    assert_eq!(s.user_totp(tid, f.admin.id).await.unwrap(), Some(state));
    assert!(s.user(tid, f.admin.id).await.unwrap().unwrap().mfa_enabled);
    s.totp_used(tid, f.admin.id, 101).await.unwrap();
    assert_eq!(
        s.user_totp(tid, f.admin.id)
            .await
            .unwrap()
            .unwrap()
            .last_step,
        Some(101)
    );
    assert!(s.use_recovery_code(tid, f.admin.id, "h2").await.unwrap());
    assert!(
        !s.use_recovery_code(tid, f.admin.id, "h2").await.unwrap(),
        "a recovery code works once"
    );
    assert!(!s.use_recovery_code(tid, f.admin.id, "nope").await.unwrap());
    assert_eq!(
        s.user_totp(tid, f.admin.id)
            .await
            .unwrap()
            .unwrap()
            .recovery_hashes,
        vec!["h1".to_string()]
    );
    // Another tenant cannot touch it.
    let other = tenant(s, "1980").await;
    assert_eq!(s.user_totp(other.id, f.admin.id).await.unwrap(), None);
    s.reset_totp(tid, f.admin.id, Some(f.admin.id))
        .await
        .unwrap();
    assert_eq!(s.user_totp(tid, f.admin.id).await.unwrap(), None);
    let actions: Vec<String> = s
        .audit_log(
            tid,
            &AuditFilter {
                limit: 100,
                ascending: true,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .filter(|a| a.starts_with("user.mfa") || a.starts_with("user.recovery"))
        .collect();
    assert_eq!(
        actions,
        vec![
            "user.mfa_enabled",
            "user.recovery_code_used",
            "user.mfa_reset"
        ]
    );
}

pub async fn redaction_leaves_no_text_in_the_audit_trail(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let mut n = incident(&f.teacher, "trafik", "2026-11-20T10:00:00Z");
    n.description = "Mamman Anna nås på 070-123 45 67".into();
    n.place_text = Some("Storgatan 5".into());
    let id = insert_one(s, n).await;
    let i = s
        .redact_incident(
            &f.admin.actor(),
            id,
            "Mamman nås på [telefonnummer borttaget]",
            None,
            t("2026-11-21T10:00:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(i.description, "Mamman nås på [telefonnummer borttaget]");
    assert_eq!(i.place_text, None);
    let log = s
        .audit_log(
            f.tenant.id,
            &AuditFilter {
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(log[0].action, "incident.redact");
    assert_eq!(log[0].user_id, Some(f.admin.id));
    for e in &log {
        let text = format!("{:?}{:?}", e.before, e.after);
        assert!(
            !text.contains("070-123") && !text.contains("Anna") && !text.contains("Storgatan"),
            "{text}"
        );
    }
    assert!(log[0].before.as_deref().unwrap().contains("sha256"));
    // Another tenant's user cannot redact it.
    let g = fixture(s, "1980").await;
    let r = s
        .redact_incident(&g.admin.actor(), id, "", None, t("2026-11-21T10:00:00Z"))
        .await;
    assert!(matches!(r, Err(StoreError::NotFound { .. })));
    assert_eq!(
        s.verify_audit(f.tenant.id).await.unwrap().map(|_| ()),
        Ok(())
    );
}

/// Vector tiles hold what the actor may see on the map, where it is, in id order.
pub async fn map_tiles(s: &dyn Store) {
    use geo::tile::{TileId, decode_points};
    let f = fixture(s, "1960").await;
    // Three incidents 300–600 m apart near Kungsör, one of them restricted to the police and
    // coordinator; a police event at municipality level (no point).
    let mut ids = Vec::new();
    for (k, v) in [
        Visibility::AllPartners,
        Visibility::PoliceAndCoordinator,
        Visibility::AllPartners,
    ]
    .iter()
    .enumerate()
    {
        let mut n = incident(
            &f.teacher,
            if k == 2 {
                "trafik"
            } else {
                "skadegorelse-klotter"
            },
            "2026-11-20T10:00:00Z",
        );
        n.visibility = *v;
        n.lon = 16.0978 + k as f64 * 0.005;
        n.lat = 59.4224 + k as f64 * 0.003;
        ids.push(insert_one(s, n).await);
    }
    let mut coarse = incident(&f.analyst, "trafik", "2026-11-21T10:00:00Z");
    coarse.precision = Precision::Municipality;
    coarse.municipality_code = Some("1960".into());
    insert_one(s, coarse).await;
    // The zoom-13 tile with Kungsör's centre.
    let tile_of = |z: u32, lon: f64, lat: f64| {
        let n = f64::from(1u32 << z);
        let lr = lat.to_radians();
        TileId::parse(
            z,
            ((lon + 180.0) / 360.0 * n) as u32,
            ((1.0 - (lr.tan() + 1.0 / lr.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u32,
        )
        .unwrap()
    };
    let tile = tile_of(13, 16.1, 59.424);
    let all = IncidentFilter::default();
    let admin = decode_points(
        &s.incident_tile(&f.admin.actor(), &all, tile).await.unwrap(),
        "incidents",
    )
    .unwrap();
    assert_eq!(
        admin.iter().map(|p| p.id as i64).collect::<Vec<_>>(),
        ids,
        "admin sees all three, in id order"
    );
    // At zoom 13 points gather into cells of 128 tile units (about 80 m): these lie apart, so
    // each is a cell of one, at the cell's centre.
    for (p, k) in admin.iter().zip(0..) {
        let (x, y) = tile.project(16.0978 + k as f64 * 0.005, 59.4224 + k as f64 * 0.003);
        let (cx, cy) = geo::tile::cell_centre(x, y);
        assert_eq!((p.x, p.y), (cx, cy), "{p:?} vs ({x}, {y})");
        assert_eq!(
            p.properties,
            vec![
                (
                    "category".to_string(),
                    if k == 2 {
                        "trafik"
                    } else {
                        "skadegorelse-klotter"
                    }
                    .to_string()
                ),
                ("status".to_string(), "new".to_string()),
                ("count".to_string(), "1".to_string()),
            ]
        );
    }
    // At zoom 16 every incident is its own feature, where it is.
    let deep = tile_of(16, 16.0978, 59.4224);
    let near = decode_points(
        &s.incident_tile(&f.admin.actor(), &all, deep).await.unwrap(),
        "incidents",
    )
    .unwrap();
    assert_eq!(near.len(), 1, "{near:?}");
    assert_eq!(near[0].id as i64, ids[0]);
    let (x, y) = deep.project(16.0978, 59.4224);
    assert!(
        (near[0].x - x).abs() <= 1 && (near[0].y - y).abs() <= 1,
        "{:?} vs ({x}, {y})",
        near[0]
    );
    // Another teacher sees the shared ones (the default reporter view shows them on the map);
    // a reader sees none; another tenant's tile is empty.
    let other = decode_points(
        &s.incident_tile(&f.teacher2.actor(), &all, tile)
            .await
            .unwrap(),
        "incidents",
    )
    .unwrap();
    assert_eq!(
        other.iter().map(|p| p.id as i64).collect::<Vec<_>>(),
        vec![ids[0], ids[2]]
    );
    assert!(
        s.incident_tile(&f.reader.actor(), &all, tile)
            .await
            .unwrap()
            .is_empty()
    );
    let g = fixture(s, "1984").await;
    assert!(
        s.incident_tile(&g.admin.actor(), &all, tile)
            .await
            .unwrap()
            .is_empty()
    );
    // Filters apply; a tile elsewhere is empty.
    let traffic = IncidentFilter {
        category: Some(CategoryCode::parse("trafik").unwrap()),
        ..Default::default()
    };
    let only = decode_points(
        &s.incident_tile(&f.admin.actor(), &traffic, tile)
            .await
            .unwrap(),
        "incidents",
    )
    .unwrap();
    assert_eq!(
        only.iter().map(|p| p.id as i64).collect::<Vec<_>>(),
        vec![ids[2]]
    );
    let far = tile_of(13, 18.07, 59.33);
    assert!(
        s.incident_tile(&f.admin.actor(), &all, far)
            .await
            .unwrap()
            .is_empty()
    );
    // At zoom 0 the whole world is one tile: the three share a cell, one feature counting 3
    // with the smallest id.
    let world = TileId::parse(0, 0, 0).unwrap();
    let one = decode_points(
        &s.incident_tile(&f.admin.actor(), &all, world)
            .await
            .unwrap(),
        "incidents",
    )
    .unwrap();
    assert_eq!(one.len(), 1, "{one:?}");
    assert_eq!(one[0].id as i64, ids[0]);
    assert!(
        one[0]
            .properties
            .contains(&("count".to_string(), "3".to_string())),
        "{one:?}"
    );
}

/// Names sort as Swedish readers expect (å, ä, ö after z), text keeps every character, and
/// times around the switch to summer time come back as they went in; retention rounds to the
/// month in Swedish time also in summer.
pub async fn swedish_names_and_summer_time(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let g = tenant(s, "0180").await;
    for name in [
        "Örebro vakt",
        "Åby fritidsgård",
        "Ängby bostäder",
        "alby polis",
        "Zeta skola",
        "Äppelviken",
    ] {
        org(s, g.id, name, "annan").await;
    }
    let names: Vec<String> = s
        .organisations(g.id)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(
        names,
        [
            "alby polis",
            "Zeta skola",
            "Åby fritidsgård",
            "Ängby bostäder",
            "Äppelviken",
            "Örebro vakt"
        ]
    );
    for name in ["Östra torget", "Ågatan", "Björkvägen"] {
        s.create_place(&NewPlace {
            by: None,
            tenant_id: g.id,
            name: name.into(),
            kind: PlaceKind::Point,
            is_school: false,
            geometry_geojson: r#"{"type":"Point","coordinates":[16.1,59.42]}"#.into(),
            lon: 16.1,
            lat: 59.42,
            is_demo: false,
        })
        .await
        .unwrap();
    }
    let places: Vec<String> = s
        .places(g.id)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(places, ["Björkvägen", "Ågatan", "Östra torget"]);

    // Summer time starts 2026-03-29 at 02:00 Swedish time (01:00 UTC).
    let before = {
        let mut n = incident(&f.teacher, "trafik", "2026-03-29T00:59:59Z");
        n.description = "Före: 01.59.59 vintertid – ÅÄÖ åäö é ü ß 😀".into();
        insert_one(s, n).await
    };
    let after = insert_one(s, incident(&f.teacher, "trafik", "2026-03-29T01:00:00Z")).await;
    let local = jiff::tz::TimeZone::get("Europe/Stockholm").unwrap();
    let three_am = jiff::civil::date(2026, 3, 29)
        .at(3, 0, 0, 0)
        .to_zoned(local)
        .unwrap()
        .timestamp();
    let from_three = IncidentFilter {
        from: Some(three_am),
        ..Default::default()
    };
    let ids: Vec<IncidentId> = s
        .list_incidents(
            &f.admin.actor(),
            &IncidentQuery {
                filter: from_three,
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(ids, vec![after], "03:00 summer time is 01:00 UTC");
    let b = s.incident(&f.admin.actor(), before).await.unwrap().unwrap();
    assert_eq!(b.description, "Före: 01.59.59 vintertid – ÅÄÖ åäö é ü ß 😀");
    assert_eq!(b.occurred_from, t("2026-03-29T00:59:59Z"));

    // Retention in summer: 2024-04-01 00:30 Swedish summer time is 2024-03-31 22:30 UTC; the
    // month kept is April, which starts at 2024-03-31 22:00 UTC.
    let mut cats = s.categories(f.tenant.id).await.unwrap();
    let trafik = cats
        .iter_mut()
        .find(|c| c.code.as_str() == "trafik")
        .unwrap();
    trafik.retention_months = Some(12);
    s.upsert_category(trafik, None).await.unwrap();
    let old = insert_one(s, incident(&f.teacher, "trafik", "2024-03-31T22:30:00Z")).await;
    let report = s
        .apply_retention(f.tenant.id, t("2026-11-27T12:00:00Z"))
        .await
        .unwrap();
    assert!(report.anonymised >= 1, "{report:?}");
    let a = s.incident(&f.admin.actor(), old).await.unwrap().unwrap();
    assert_eq!(a.occurred_from, t("2024-03-31T22:00:00Z"));
}

/// Area statistics count what lies in each area by its shape (the PostgreSQL store asks
/// PostGIS; the SQLite store reads the areas found when the point was written, as the service
/// finds them), and what was reported at an area, within the reader's visibility and filters.
pub async fn area_statistics(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let square = |w: f64, so: f64, e: f64, n: f64| {
        format!(
            r#"{{"type":"Polygon","coordinates":[[[{w},{so}],[{e},{so}],[{e},{n}],[{w},{n}],[{w},{so}]]]}}"#
        )
    };
    let mut areas = Vec::new();
    for (name, shape) in [
        ("Centrum", square(16.09, 59.415, 16.11, 59.425)),
        ("Hamnen", square(16.20, 59.40, 16.22, 59.41)),
        ("Skogen", square(16.25, 59.45, 16.27, 59.46)),
    ] {
        areas.push(
            s.create_place(&NewPlace {
                by: None,
                tenant_id: f.tenant.id,
                name: name.into(),
                kind: PlaceKind::Area,
                is_school: false,
                geometry_geojson: shape,
                lon: 16.1,
                lat: 59.42,
                is_demo: false,
            })
            .await
            .unwrap(),
        );
    }
    // A point of interest is no area.
    s.create_place(&NewPlace {
        by: None,
        tenant_id: f.tenant.id,
        name: "Kiosken".into(),
        kind: PlaceKind::Point,
        is_school: false,
        geometry_geojson: r#"{"type":"Point","coordinates":[16.1,59.42]}"#.into(),
        lon: 16.1,
        lat: 59.42,
        is_demo: false,
    })
    .await
    .unwrap();
    let shapes: Vec<(PlaceId, geo::MultiPolygon)> = areas
        .iter()
        .map(|a| {
            (
                a.id,
                geo::MultiPolygon::from_geojson_str(&a.geometry_geojson).unwrap(),
            )
        })
        .collect();
    // As the service writes them: the areas whose shape holds the point.
    let at = |by: &User, cat: &str, when: &str, lon: f64, lat: f64| {
        let mut n = incident(by, cat, when);
        (n.lon, n.lat) = (lon, lat);
        n.area_ids = shapes
            .iter()
            .filter(|(_, sh)| sh.contains(lon, lat))
            .map(|(id, _)| *id)
            .collect();
        n
    };
    let (centrum, hamnen, skogen) = (areas[0].id, areas[1].id, areas[2].id);
    insert_one(
        s,
        at(&f.teacher, "trafik", "2026-11-10T10:00:00Z", 16.10, 59.42),
    )
    .await;
    insert_one(
        s,
        at(
            &f.admin,
            "skadegorelse-klotter",
            "2026-11-12T10:00:00Z",
            16.105,
            59.418,
        ),
    )
    .await;
    insert_one(
        s,
        at(&f.admin, "trafik", "2026-11-13T10:00:00Z", 16.21, 59.405),
    )
    .await;
    // Reported at Hamnen with its point outside it.
    let mut n = at(
        &f.admin,
        "skadegorelse-klotter",
        "2026-11-14T10:00:00Z",
        16.15,
        59.44,
    );
    assert!(n.area_ids.is_empty());
    n.place_id = Some(hamnen);
    n.area_ids = vec![hamnen];
    insert_one(s, n).await;
    // Outside every area.
    insert_one(
        s,
        at(&f.admin, "trafik", "2026-11-15T10:00:00Z", 16.15, 59.44),
    )
    .await;
    // A police event placed at the municipality's point, here inside Centrum: no area.
    let mut n = incident(&f.analyst, "trafik", "2026-11-16T10:00:00Z");
    (n.lon, n.lat) = (16.10, 59.42);
    n.precision = Precision::Municipality;
    n.municipality_code = Some("1960".into());
    insert_one(s, n).await;
    // The school's own report in Centrum: its organisation sees it, the municipality does not.
    let mut n = at(&f.teacher, "trafik", "2026-11-17T10:00:00Z", 16.095, 59.416);
    n.visibility = Visibility::OwnOrganisation;
    insert_one(s, n).await;

    let counts = |actor: Actor, filter: IncidentFilter| async move {
        s.area_counts(&actor, &filter).await.unwrap()
    };
    assert_eq!(
        counts(f.admin.actor(), IncidentFilter::default()).await,
        vec![(centrum, 2), (hamnen, 2), (skogen, 0)]
    );
    assert_eq!(
        counts(f.teacher.actor(), IncidentFilter::default()).await,
        vec![(centrum, 2), (hamnen, 0), (skogen, 0)],
        "a reporter reads their own reports, the restricted one too"
    );
    assert_eq!(
        counts(
            f.admin.actor(),
            IncidentFilter {
                category: Some(CategoryCode::parse("trafik").unwrap()),
                ..Default::default()
            }
        )
        .await,
        vec![(centrum, 1), (hamnen, 1), (skogen, 0)]
    );
    assert_eq!(
        counts(
            f.admin.actor(),
            IncidentFilter {
                from: Some(t("2026-11-12T00:00:00Z")),
                to: Some(t("2026-11-14T00:00:00Z")),
                ..Default::default()
            }
        )
        .await,
        vec![(centrum, 1), (hamnen, 1), (skogen, 0)]
    );
    assert!(
        counts(f.reader.actor(), IncidentFilter::default())
            .await
            .iter()
            .all(|(_, n)| *n == 0)
    );
    // Another municipality has no areas of this one.
    let g = fixture(s, "1980").await;
    assert!(
        counts(g.admin.actor(), IncidentFilter::default())
            .await
            .is_empty()
    );
}

/// A store may keep the tiles it made; what it serves follows every change a tile shows.
pub async fn tiles_follow_every_change(s: &dyn Store) {
    use geo::tile::{TileId, decode_points};
    let f = fixture(s, "1960").await;
    let (lon, lat) = (16.0978, 59.4224);
    let tile = TileId::parse(
        13,
        ((lon + 180.0) / 360.0 * 8192.0) as u32,
        (geo::tile::world(lon, lat).1 >> (32 - 13)) as u32,
    )
    .unwrap();
    let all = &IncidentFilter::default();
    let features = |actor: Actor| async move {
        decode_points(
            &s.incident_tile(&actor, all, tile).await.unwrap(),
            "incidents",
        )
        .unwrap()
    };
    let prop = |p: &geo::tile::TilePoint, k: &str| {
        p.properties
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let mut n = incident(&f.teacher, "trafik", "2026-11-20T10:00:00Z");
    (n.lon, n.lat) = (lon, lat);
    let first = insert_one(s, n).await;
    assert_eq!(features(f.admin.actor()).await.len(), 1);
    assert_eq!(features(f.admin.actor()).await.len(), 1, "asked again");
    // A new report.
    let mut n = incident(&f.teacher, "trafik", "2026-11-21T10:00:00Z");
    (n.lon, n.lat) = (lon + 0.004, lat);
    insert_one(s, n).await;
    assert_eq!(features(f.admin.actor()).await.len(), 2);
    // A status.
    s.set_incident_status(
        &f.admin.actor(),
        first,
        IncidentStatus::Reviewed,
        "",
        t("2026-11-22T08:00:00Z"),
    )
    .await
    .unwrap();
    let now = features(f.admin.actor()).await;
    let p = now.iter().find(|p| p.id as i64 == first).unwrap();
    assert_eq!(prop(p, "status"), "reviewed");
    // What reporters may see on the map.
    assert_eq!(features(f.teacher2.actor()).await.len(), 2);
    s.set_reporter_view(f.tenant.id, ReporterView::Own)
        .await
        .unwrap();
    assert!(features(f.teacher2.actor()).await.is_empty());
    // Retention moves a point to its 500 m cell: the tile shows where it is now.
    let before: Vec<(i64, i64)> = features(f.admin.actor())
        .await
        .iter()
        .map(|p| (p.x, p.y))
        .collect();
    let cats = s.categories(f.tenant.id).await.unwrap();
    let mut trafik = cats
        .into_iter()
        .find(|c| c.code.as_str() == "trafik")
        .unwrap();
    trafik.retention_months = Some(1);
    s.upsert_category(&trafik, None).await.unwrap();
    s.apply_retention(f.tenant.id, t("2027-06-01T00:00:00Z"))
        .await
        .unwrap();
    let after: Vec<(i64, i64)> = features(f.admin.actor())
        .await
        .iter()
        .map(|p| (p.x, p.y))
        .collect();
    assert_ne!(before, after, "anonymised points moved");
}

/// Actions are planned, owned, moved on and closed with a note, each step in the audit trail;
/// overdue ones are found by date; another municipality's organisations cannot own them.
pub async fn actions_are_owned_and_closed(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let new = |title: &str, org: i64, user: Option<i64>, due: &str| NewAction {
        tenant_id: f.tenant.id,
        action: model::ActionDraft {
            title: title.into(),
            description: "Gångvägen vid skolan".into(),
            owner_org_id: org.to_string(),
            owner_user_id: user.map(|u| u.to_string()).unwrap_or_default(),
            area_id: String::new(),
            buffer_area_id: String::new(),
            control_area_id: String::new(),
            due_on: due.into(),
            record_id: String::new(),
        }
        .validate()
        .unwrap(),
        created_by: Some(f.admin.id),
        created_at: t("2026-11-01T09:00:00Z"),
    };
    let light = s
        .create_action(&new(
            "Bättre belysning",
            f.kommun.id,
            Some(f.admin.id),
            "2026-11-20",
        ))
        .await
        .unwrap();
    assert_eq!(light.status, model::ActionStatus::Planned);
    assert_eq!(light.due_on.to_string(), "2026-11-20");
    assert_eq!(light.title, "Bättre belysning");
    let walk = s
        .create_action(&new("Trygghetsvandring", f.polis.id, None, "2026-12-15"))
        .await
        .unwrap();
    let all = s
        .actions(f.tenant.id, &ActionFilter::default())
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![light.id, walk.id]
    );
    let today: jiff::civil::Date = "2026-11-27".parse().unwrap();
    let overdue = s
        .actions(
            f.tenant.id,
            &ActionFilter {
                overdue_on: Some(today),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        overdue.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![light.id]
    );
    assert!(overdue[0].overdue(today) && !walk.overdue(today));
    let mine = s
        .actions(
            f.tenant.id,
            &ActionFilter {
                owner_user_id: Some(f.admin.id),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    // On, then closed with a note; closed is final.
    s.set_action_status(
        f.tenant.id,
        light.id,
        Some(f.admin.id),
        model::ActionStatus::InProgress,
        "",
        t("2026-11-21T08:00:00Z"),
    )
    .await
    .unwrap();
    let done = s
        .set_action_status(
            f.tenant.id,
            light.id,
            Some(f.admin.id),
            model::ActionStatus::Done,
            "Sex nya armaturer",
            t("2026-11-25T08:00:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(done.status, model::ActionStatus::Done);
    assert_eq!(done.closing_note, "Sex nya armaturer");
    assert_eq!(done.closed_at, Some(t("2026-11-25T08:00:00Z")));
    assert!(matches!(
        s.set_action_status(
            f.tenant.id,
            light.id,
            None,
            model::ActionStatus::InProgress,
            "",
            t("2026-11-26T08:00:00Z")
        )
        .await,
        Err(StoreError::InvalidActionTransition { .. })
    ));
    assert!(
        s.actions(
            f.tenant.id,
            &ActionFilter {
                overdue_on: Some(today),
                ..Default::default()
            }
        )
        .await
        .unwrap()
        .is_empty(),
        "a done action is not overdue"
    );
    let log = s
        .audit_log(
            f.tenant.id,
            &AuditFilter {
                limit: 5,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(log[0].action, "action.status");
    assert!(log[0].after.as_deref().unwrap().contains("done"));
    assert!(
        !log[0].after.as_deref().unwrap().contains("armaturer"),
        "no free text in the log"
    );
    assert!(
        log.iter()
            .any(|e| e.action == "action.create" && e.entity_id == walk.id.to_string())
    );
    // Another municipality: none of these, and its organisations cannot own ours.
    let g = fixture(s, "1980").await;
    assert!(
        s.actions(g.tenant.id, &ActionFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(s.action(g.tenant.id, light.id).await.unwrap().is_none());
    assert!(
        s.create_action(&new("Fel ägare", g.kommun.id, None, "2027-01-01"))
            .await
            .is_err()
    );
    assert_eq!(
        s.actions(f.tenant.id, &ActionFilter::default())
            .await
            .unwrap()
            .len(),
        2
    );
}

/// The EST loop's records: a case with its visits, kept as documents, changed with the audit
/// trail; parents checked by kind and tenant; actions linked to a record of their own tenant.
pub async fn records_of_the_est_loop(s: &dyn Store) {
    use model::RecordKind;
    let f = fixture(s, "1960").await;
    let other = fixture(s, "1984").await;
    let new = |kind, parent, data: serde_json::Value| NewRecord {
        tenant_id: f.tenant.id,
        kind,
        parent_id: parent,
        data,
        by: Some(f.admin.id),
        at: t("2026-11-02T10:00:00Z"),
    };
    let case = s
        .create_record(&new(
            RecordKind::Case,
            None,
            serde_json::json!({"title": "Torget kvällstid", "step": "kartlaggning", "å": [1, 2.5]}),
        ))
        .await
        .unwrap();
    assert_eq!(case.kind, RecordKind::Case);
    assert_eq!(case.data["title"], "Torget kvällstid");
    assert_eq!(case.data["å"], serde_json::json!([1, 2.5]));
    assert_eq!(case.created_at, t("2026-11-02T10:00:00Z"));
    let v1 = s
        .create_record(&new(
            RecordKind::Visit,
            Some(case.id),
            serde_json::json!({"n": 1}),
        ))
        .await
        .unwrap();
    let v2 = s
        .create_record(&new(
            RecordKind::Visit,
            Some(case.id),
            serde_json::json!({"n": 2}),
        ))
        .await
        .unwrap();
    // A visit needs a case; a case has no parent; a parent of the wrong kind is refused.
    for bad in [
        new(RecordKind::Visit, None, serde_json::json!({})),
        new(RecordKind::Case, Some(case.id), serde_json::json!({})),
        new(RecordKind::Visit, Some(v1.id), serde_json::json!({})),
        new(RecordKind::Activity, Some(case.id), serde_json::json!({})),
        new(RecordKind::Visit, Some(999_999), serde_json::json!({})),
    ] {
        let e = s.create_record(&bad).await.unwrap_err();
        assert!(matches!(e, StoreError::WrongParent { .. }), "{e}");
    }
    // Another municipality cannot hang a visit under this case.
    let mut foreign = new(RecordKind::Visit, Some(case.id), serde_json::json!({}));
    foreign.tenant_id = other.tenant.id;
    assert!(matches!(
        s.create_record(&foreign).await.unwrap_err(),
        StoreError::WrongParent { .. }
    ));
    let visits = s
        .records(f.tenant.id, RecordKind::Visit, Some(case.id))
        .await
        .unwrap();
    assert_eq!(
        visits.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![v1.id, v2.id]
    );
    assert!(
        s.records(other.tenant.id, RecordKind::Case, None)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.records(f.tenant.id, RecordKind::Case, None)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(s.record(other.tenant.id, case.id).await.unwrap().is_none());

    let changed = s
        .update_record(
            f.tenant.id,
            case.id,
            &serde_json::json!({"title": "Torget kvällstid", "step": "analys"}),
            Some(f.analyst.id),
            t("2026-11-09T10:00:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(changed.data["step"], "analys");
    assert_eq!(changed.updated_at, t("2026-11-09T10:00:00Z"));
    assert_eq!(changed.created_at, case.created_at);
    assert!(matches!(
        s.update_record(
            other.tenant.id,
            case.id,
            &serde_json::json!({}),
            None,
            t("2026-11-09T10:00:00Z")
        )
        .await
        .unwrap_err(),
        StoreError::NotFound { .. }
    ));
    let log = s
        .audit_log(
            f.tenant.id,
            &AuditFilter {
                limit: 1000,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let upd = log.iter().find(|e| e.action == "record.update").unwrap();
    assert_eq!(upd.entity, "case");
    assert_eq!(upd.entity_id, case.id.to_string());
    assert_eq!(upd.user_id, Some(f.analyst.id));
    assert!(
        !upd.after.as_deref().unwrap().contains("analys"),
        "digests, not the text"
    );
    assert_eq!(
        log.iter().filter(|e| e.action == "record.create").count(),
        3
    );
    assert!(s.verify_audit(f.tenant.id).await.unwrap().is_ok());

    // An action from the case; another municipality's record is refused by field and value.
    let action = |record: i64, tenant: &Fixture| NewAction {
        tenant_id: tenant.tenant.id,
        action: model::ActionDraft {
            title: "Belysning på torget".into(),
            owner_org_id: tenant.kommun.id.to_string(),
            due_on: "2026-12-01".into(),
            record_id: record.to_string(),
            ..Default::default()
        }
        .validate()
        .unwrap(),
        created_by: Some(tenant.admin.id),
        created_at: t("2026-11-03T09:00:00Z"),
    };
    let a = s.create_action(&action(case.id, &f)).await.unwrap();
    assert_eq!(a.record_id, Some(case.id));
    assert_eq!(
        s.action(f.tenant.id, a.id)
            .await
            .unwrap()
            .unwrap()
            .record_id,
        Some(case.id)
    );
    let e = s.create_action(&action(case.id, &other)).await.unwrap_err();
    assert!(
        matches!(&e, StoreError::UnknownReference { field: "record_id", value, .. } if *value == case.id.to_string()),
        "{e}"
    );
}

/// A municipality's SMTP relay: set, read back, removed; audited without secrets; another
/// municipality's untouched; copied with the tenant.
pub async fn smtp_relay_per_tenant(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let other = fixture(s, "1984").await;
    assert_eq!(s.tenant_smtp(f.tenant.id).await.unwrap(), None);
    let relay = model::SmtpSettings::parse(
        "smtp.kungsor.example",
        "587",
        "starttls",
        "lagesbild@kungsor.example",
        "lagesbild",
    )
    .unwrap();
    s.set_tenant_smtp(
        f.tenant.id,
        Some(&relay),
        Some(f.admin.id),
        t("2026-11-20T10:00:00Z"),
    )
    .await
    .unwrap();
    assert_eq!(
        s.tenant_smtp(f.tenant.id).await.unwrap(),
        Some(relay.clone())
    );
    assert_eq!(s.tenant_smtp(other.tenant.id).await.unwrap(), None);
    let rows = s.export_tenant(f.tenant.id).await.unwrap();
    assert!(format!("{rows:?}").contains("smtp.kungsor.example"));
    s.set_tenant_smtp(
        f.tenant.id,
        None,
        Some(f.admin.id),
        t("2026-11-21T10:00:00Z"),
    )
    .await
    .unwrap();
    assert_eq!(s.tenant_smtp(f.tenant.id).await.unwrap(), None);
    let log = s
        .audit_log(
            f.tenant.id,
            &AuditFilter {
                action: Some("tenant.smtp".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(log.len(), 2);
    assert!(log.iter().any(|e| {
        e.after
            .as_deref()
            .unwrap_or_default()
            .contains("\"port\":587")
    }));
    assert!(matches!(
        s.set_tenant_smtp(999_999, None, None, t("2026-11-21T10:00:00Z"))
            .await,
        Err(StoreError::NotFound { .. })
    ));
}

/// Creating a user, an organisation, a place or a category names who did it in the audit
/// trail (security review, finding 5: those rows had no user).
pub async fn audit_rows_name_who_made_the_change(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let by = Some(f.admin.id);
    let org = s
        .create_organisation(&NewOrganisation {
            by,
            tenant_id: f.tenant.id,
            name: "Bostadsbolaget".into(),
            kind: "bostadsbolag".into(),
        })
        .await
        .unwrap();
    s.create_user(&NewUser {
        by,
        tenant_id: f.tenant.id,
        org_id: org.id,
        email: Email::parse("vakt@bostad.se").unwrap(),
        display_name: "Vakt".into(),
        role: Role::Reporter,
        password_hash: "$argon2id$fake".into(),
    })
    .await
    .unwrap();
    s.create_place(&NewPlace {
        by,
        tenant_id: f.tenant.id,
        name: "Torget".into(),
        kind: PlaceKind::Point,
        is_school: false,
        geometry_geojson: r#"{"type":"Point","coordinates":[16.1,59.4]}"#.into(),
        lon: 16.1,
        lat: 59.4,
        is_demo: false,
    })
    .await
    .unwrap();
    let mut cat = s.categories(f.tenant.id).await.unwrap().remove(0);
    cat.name_sv = "Nytt namn".into();
    s.upsert_category(&cat, by).await.unwrap();
    for action in [
        "organisation.create",
        "user.create",
        "place.create",
        "category.upsert",
    ] {
        let log = s
            .audit_log(
                f.tenant.id,
                &AuditFilter {
                    action: Some(action.into()),
                    limit: 1,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(log.len(), 1, "{action}");
        assert_eq!(log[0].user_id, by, "{action} names who made it");
        assert_eq!(
            log[0].user_name.as_deref(),
            Some(f.admin.display_name.as_str())
        );
    }
}

fn report(by: &User, key: Option<&str>, digest: &str, incidents: Vec<NewIncident>) -> NewReport {
    NewReport {
        user_id: by.id,
        client_key: key.map(str::to_string),
        request_digest: digest.into(),
        incidents,
        created_at: t("2026-11-27T10:00:00Z"),
    }
}

/// A report with several events is stored together, once per key: sent again (a lost answer,
/// a phone that comes back online twice) it answers with the first sending's incidents; the
/// same key with another report is refused; another user's key is their own.
pub async fn reports_are_stored_once(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let events = vec![
        incident(&f.teacher, "trafik", "2026-11-27T07:40:00Z"),
        incident(&f.teacher, "skadegorelse-klotter", "2026-11-27T07:55:00Z"),
    ];
    let first = s
        .submit_report(
            f.tenant.id,
            &report(&f.teacher, Some("k-1"), "d1", events.clone()),
        )
        .await
        .unwrap();
    assert!(!first.replayed);
    assert_eq!(first.incidents.len(), 2);
    let again = s
        .submit_report(
            f.tenant.id,
            &report(&f.teacher, Some("k-1"), "d1", events.clone()),
        )
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(
        (again.report_id, &again.incidents),
        (first.report_id, &first.incidents)
    );
    assert_eq!(
        s.count_incidents(&f.admin.actor(), &IncidentFilter::default())
            .await
            .unwrap(),
        2
    );
    let e = s
        .submit_report(
            f.tenant.id,
            &report(&f.teacher, Some("k-1"), "other", events.clone()),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::Conflict {
                what: "idempotency key",
                ..
            }
        ),
        "{e}"
    );
    // The same key from another reporter is another report.
    let other = s
        .submit_report(
            f.tenant.id,
            &report(
                &f.teacher2,
                Some("k-1"),
                "d1",
                vec![incident(&f.teacher2, "trafik", "2026-11-27T08:00:00Z")],
            ),
        )
        .await
        .unwrap();
    assert!(!other.replayed);
    assert_ne!(other.report_id, first.report_id);
    // Without a key, each sending is a report.
    let a = s
        .submit_report(
            f.tenant.id,
            &report(
                &f.teacher,
                None,
                "",
                vec![incident(&f.teacher, "trafik", "2026-11-27T09:00:00Z")],
            ),
        )
        .await
        .unwrap();
    let b = s
        .submit_report(
            f.tenant.id,
            &report(
                &f.teacher,
                None,
                "",
                vec![incident(&f.teacher, "trafik", "2026-11-27T09:00:00Z")],
            ),
        )
        .await
        .unwrap();
    assert_ne!(a.report_id, b.report_id);
    // The incidents know their report, in the order they were sent.
    let listed = s
        .report_incidents(&f.teacher.actor(), first.report_id)
        .await
        .unwrap();
    assert_eq!(ids(&listed), first.incidents);
    assert!(listed.iter().all(|i| i.report_id == Some(first.report_id)));
    assert_eq!(listed[1].category.as_str(), "skadegorelse-klotter");
    // Another reporter does not see them; another tenant has no such report.
    assert!(
        s.report_incidents(&f.teacher2.actor(), first.report_id)
            .await
            .unwrap()
            .iter()
            .all(|i| i.visibility == Visibility::AllPartners)
    );
    let g = fixture(s, "1980").await;
    assert!(
        s.report_incidents(&g.admin.actor(), first.report_id)
            .await
            .unwrap()
            .is_empty()
    );
    // "Same as" must name an incident of the tenant, and is kept.
    let mut dup = incident(&f.teacher, "trafik", "2026-11-27T07:45:00Z");
    dup.same_as = Some(first.incidents[0]);
    let r = s
        .submit_report(
            f.tenant.id,
            &report(&f.teacher, Some("k-2"), "d2", vec![dup.clone()]),
        )
        .await
        .unwrap();
    let stored = s
        .incident(&f.admin.actor(), r.incidents[0])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.same_as, Some(first.incidents[0]));
    dup.same_as = Some(999_999);
    let e = s
        .submit_report(
            f.tenant.id,
            &report(&f.teacher, Some("k-3"), "d3", vec![dup]),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, StoreError::UnknownReference { field: "same_as", value, .. } if value == "999999"),
        "{e}"
    );
    // A refused report left nothing, and its key is free for the corrected one.
    assert_eq!(
        s.count_incidents(&f.admin.actor(), &IncidentFilter::default())
            .await
            .unwrap(),
        6
    );
    s.verify_audit(f.tenant.id).await.unwrap().unwrap();
}

/// The tenant's audit rows of one action, newest first.
async fn logged(s: &dyn Store, tenant: TenantId, action: &str) -> Vec<AuditEntry> {
    s.audit_log(
        tenant,
        &AuditFilter {
            action: Some(action.into()),
            limit: 1_000,
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

/// Reports sent at once are stored together (one commit for those that wait while another
/// commits), and each is still its own: every one answered with its own report and incidents,
/// a bad one refused alone without undoing the others, a key sent twice in the same moment
/// stored once, a key sent before answered with its first report, and the audit chain whole.
pub async fn reports_sent_at_once_share_a_commit(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let g = fixture(s, "1980").await;
    let earlier = s
        .submit_report(
            f.tenant.id,
            &report(
                &f.teacher,
                Some("before"),
                "d0",
                vec![incident(&f.teacher, "trafik", "2026-11-27T06:00:00Z")],
            ),
        )
        .await
        .unwrap();
    let mut sent = Vec::new();
    for k in 0..40 {
        let (fx, tenant) = if k % 5 == 4 {
            (&g, g.tenant.id)
        } else {
            (&f, f.tenant.id)
        };
        let who = if k % 2 == 0 {
            &fx.teacher
        } else {
            &fx.teacher2
        };
        let when = format!("2026-11-27T07:{:02}:00Z", k);
        let mut events = vec![incident(who, "trafik", &when)];
        if k % 3 == 0 {
            events.push(incident(who, "skadegorelse-klotter", &when));
        }
        let key = format!("k-{k}");
        sent.push((tenant, report(who, Some(&key), &format!("d{k}"), events)));
    }
    // Number 7 refers to a category the tenant does not have; 12 and 13 are one sending
    // twice; 20 is the key sent before.
    sent[7].1.incidents[0].category = CategoryCode::parse("finns-inte").unwrap();
    sent[13].1 = sent[12].1.clone();
    sent[20].1 = report(
        &f.teacher,
        Some("before"),
        "d0",
        vec![incident(&f.teacher, "trafik", "2026-11-27T06:00:00Z")],
    );
    let answers =
        futures_util::future::join_all(sent.iter().map(|(tenant, r)| s.submit_report(*tenant, r)))
            .await;
    let mut answered = std::collections::BTreeSet::new();
    for (k, (answer, (tenant, r))) in answers.iter().zip(&sent).enumerate() {
        match (k, answer) {
            (7, Err(StoreError::UnknownReference { field, value, .. })) => {
                assert_eq!((*field, value.as_str()), ("category", "finns-inte"));
            }
            (7, other) => panic!("the bad report was answered {other:?}"),
            (13, Ok(a)) => {
                let first = answers[12].as_ref().unwrap();
                assert_eq!(
                    (a.report_id, &a.incidents),
                    (first.report_id, &first.incidents)
                );
                assert!(a.replayed, "the second sending of one report is a replay");
            }
            (20, Ok(a)) => {
                assert!(a.replayed);
                assert_eq!(
                    (a.report_id, &a.incidents),
                    (earlier.report_id, &earlier.incidents)
                );
            }
            (_, Ok(a)) => {
                assert!(!a.replayed, "report {k}");
                assert_eq!(a.incidents.len(), r.incidents.len(), "report {k}");
                let admin = if *tenant == f.tenant.id {
                    &f.admin
                } else {
                    &g.admin
                };
                let stored = s
                    .report_incidents(&admin.actor(), a.report_id)
                    .await
                    .unwrap();
                assert_eq!(ids(&stored), a.incidents, "report {k}: its incidents");
                for (i, n) in stored.iter().zip(&r.incidents) {
                    assert_eq!(i.occurred_from, n.occurred_from, "report {k}");
                    assert_eq!(i.category, n.category, "report {k}");
                    assert_eq!(i.tenant_id, *tenant, "report {k}");
                }
                for id in &a.incidents {
                    assert!(answered.insert(*id), "incident {id} answered twice");
                }
            }
            (_, Err(e)) => panic!("report {k} was refused: {e}"),
        }
    }
    let expected = |tenant: TenantId| -> u64 {
        sent.iter()
            .enumerate()
            .filter(|(k, (t, _))| *t == tenant && ![7, 13, 20].contains(k))
            .map(|(_, (_, r))| r.incidents.len() as u64)
            .sum()
    };
    assert_eq!(
        s.count_incidents(&f.admin.actor(), &IncidentFilter::default())
            .await
            .unwrap(),
        expected(f.tenant.id) + 1
    );
    assert_eq!(
        s.count_incidents(&g.admin.actor(), &IncidentFilter::default())
            .await
            .unwrap(),
        expected(g.tenant.id)
    );
    // Each stored report has its audit row, which names it, and each chain is whole.
    let log = logged(s, f.tenant.id, "incident.create").await;
    let batches = logged(s, f.tenant.id, "incident.create_batch").await;
    let named = log
        .iter()
        .chain(&batches)
        .filter(|e| e.after.as_deref().is_some_and(|a| a.contains("report_id")))
        .count();
    let stored_reports = sent
        .iter()
        .enumerate()
        .filter(|(k, (t, _))| *t == f.tenant.id && ![7, 13, 20].contains(k))
        .count();
    assert_eq!(named, stored_reports + 1, "one audit row per stored report");
    s.verify_audit(f.tenant.id).await.unwrap().unwrap();
    s.verify_audit(g.tenant.id).await.unwrap().unwrap();
    // The refused report's key is free for the corrected one.
    let mut fixed = sent[7].1.clone();
    fixed.incidents[0].category = CategoryCode::parse("trafik").unwrap();
    let again = s.submit_report(f.tenant.id, &fixed).await.unwrap();
    assert!(!again.replayed);
    // A round in which every report is good: written together, two tenants' interleaved.
    let round: Vec<(TenantId, NewReport)> = (0..30)
        .map(|k| {
            let (fx, tenant) = if k % 3 == 0 {
                (&g, g.tenant.id)
            } else {
                (&f, f.tenant.id)
            };
            let when = format!("2026-11-27T09:{:02}:00Z", k);
            let mut events = vec![incident(&fx.teacher, "trafik", &when)];
            for _ in 0..k % 4 {
                events.push(incident(&fx.teacher, "skadegorelse-klotter", &when));
            }
            (
                tenant,
                report(&fx.teacher, Some(&format!("r-{k}")), "d", events),
            )
        })
        .collect();
    let answers =
        futures_util::future::join_all(round.iter().map(|(tenant, r)| s.submit_report(*tenant, r)))
            .await;
    for (k, (answer, (tenant, r))) in answers.into_iter().zip(&round).enumerate() {
        let a = answer.unwrap_or_else(|e| panic!("report {k} was refused: {e}"));
        assert!(!a.replayed, "report {k}");
        let admin = if *tenant == f.tenant.id {
            &f.admin
        } else {
            &g.admin
        };
        let stored = s
            .report_incidents(&admin.actor(), a.report_id)
            .await
            .unwrap();
        assert_eq!(ids(&stored), a.incidents, "report {k}: its incidents");
        assert_eq!(
            stored
                .iter()
                .map(|i| i.category.as_str())
                .collect::<Vec<_>>(),
            r.incidents
                .iter()
                .map(|n| n.category.as_str())
                .collect::<Vec<_>>(),
            "report {k}"
        );
        for id in &a.incidents {
            assert!(answered.insert(*id), "incident {id} answered twice");
        }
    }
    s.verify_audit(f.tenant.id).await.unwrap().unwrap();
    s.verify_audit(g.tenant.id).await.unwrap().unwrap();
}

/// A tenant's OpenID Connect provider, its sign-ins under way (each taken once, and not after
/// its time), and which subject is which user.
pub async fn single_sign_on_is_kept_per_tenant(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let g = fixture(s, "1980").await;
    assert_eq!(s.sso_provider(f.tenant.id).await.unwrap(), None);
    let mut p = SsoProvider {
        tenant_id: f.tenant.id,
        issuer: "https://login.kungsor.se".into(),
        client_id: "lagesbild".into(),
        client_secret: "sealed:v1:abc".into(),
        role_claim: "groups".into(),
        roles: vec![
            ("Trygghet-Samordnare".into(), Role::Admin),
            ("Skola-Rektor".into(), Role::Reporter),
        ],
        org_claim: "department".into(),
        orgs: vec![
            ("Kommunen".into(), f.kommun.id),
            ("Skolan".into(), f.skola.id),
        ],
        enabled: true,
        updated_at: t("2026-12-01T10:00:00Z"),
    };
    s.set_sso_provider(&p, Some(f.admin.id)).await.unwrap();
    assert_eq!(s.sso_provider(f.tenant.id).await.unwrap(), Some(p.clone()));
    assert_eq!(s.sso_provider(g.tenant.id).await.unwrap(), None);
    p.roles.push(("Polis".into(), Role::Analyst));
    p.enabled = false;
    p.updated_at = t("2026-12-02T10:00:00Z");
    s.set_sso_provider(&p, Some(f.admin.id)).await.unwrap();
    assert_eq!(s.sso_provider(f.tenant.id).await.unwrap(), Some(p.clone()));
    let log = logged(s, f.tenant.id, "sso.configure").await;
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|e| {
        let after = e.after.as_deref().unwrap_or_default();
        after.contains("login.kungsor.se") && !after.contains("sealed:v1:abc")
    }));

    let now = t("2026-12-03T10:00:00Z");
    let login = |state: &str, at: Timestamp| SsoLogin {
        state_hash: state.into(),
        tenant_id: f.tenant.id,
        nonce: format!("nonce-{state}"),
        verifier: format!("sealed:v1:{state}"),
        return_to: "/incidents".into(),
        created_at: at,
    };
    s.sso_login_begin(&login("a", now)).await.unwrap();
    s.sso_login_begin(&login("old", now - SSO_LOGIN_TTL - 1.second()))
        .await
        .unwrap();
    assert_eq!(s.sso_login_take("nope", now).await.unwrap(), None);
    let later = now + 30.seconds();
    assert_eq!(
        s.sso_login_take("a", later).await.unwrap(),
        Some(login("a", now))
    );
    assert_eq!(
        s.sso_login_take("a", later).await.unwrap(),
        None,
        "taken once"
    );
    assert_eq!(
        s.sso_login_take("old", later).await.unwrap(),
        None,
        "past its time"
    );
    // Two servers taking the same state: one gets it.
    s.sso_login_begin(&login("b", now)).await.unwrap();
    let (x, y) =
        futures_util::future::join(s.sso_login_take("b", later), s.sso_login_take("b", later))
            .await;
    assert_eq!(
        [x.unwrap(), y.unwrap()]
            .iter()
            .filter(|l| l.is_some())
            .count(),
        1
    );

    let issuer = "https://login.kungsor.se";
    assert_eq!(
        s.user_by_identity(f.tenant.id, issuer, "sub-1")
            .await
            .unwrap(),
        None
    );
    s.link_identity(f.tenant.id, issuer, "sub-1", f.teacher.id, now)
        .await
        .unwrap();
    assert_eq!(
        s.user_by_identity(f.tenant.id, issuer, "sub-1")
            .await
            .unwrap()
            .map(|u| u.id),
        Some(f.teacher.id)
    );
    assert_eq!(
        s.user_by_identity(f.tenant.id, "https://other.example", "sub-1")
            .await
            .unwrap(),
        None,
        "a subject is its issuer's"
    );
    assert_eq!(
        s.user_by_identity(g.tenant.id, issuer, "sub-1")
            .await
            .unwrap(),
        None,
        "and its tenant's"
    );
    let e = s
        .link_identity(f.tenant.id, issuer, "sub-1", f.admin.id, now)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict { .. }), "{e}");
    s.verify_audit(f.tenant.id).await.unwrap().unwrap();
}

/// The duplicate hint: the same category within the radius and hours, as the actor may see.
pub async fn nearby_finds_the_same_spot(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let at = |lon: f64, lat: f64, cat: &str, when: &str, vis: Visibility| {
        let mut n = incident(&f.teacher, cat, when);
        n.lon = lon;
        n.lat = lat;
        n.visibility = vis;
        n
    };
    let all = Visibility::AllPartners;
    let near = insert_one(s, at(16.1, 59.42, "trafik", "2026-11-26T10:00:00Z", all)).await;
    // About 35 m north: within 50 m.
    let close = insert_one(
        s,
        at(16.1, 59.420_315, "trafik", "2026-11-27T09:00:00Z", all),
    )
    .await;
    // About 80 m east: too far.
    insert_one(
        s,
        at(16.101_4, 59.42, "trafik", "2026-11-27T09:00:00Z", all),
    )
    .await;
    // Three days earlier: too old.
    insert_one(s, at(16.1, 59.42, "trafik", "2026-11-24T08:00:00Z", all)).await;
    // Another category.
    insert_one(
        s,
        at(
            16.1,
            59.42,
            "skadegorelse-klotter",
            "2026-11-27T09:00:00Z",
            all,
        ),
    )
    .await;
    let q = NearbyQuery {
        lon: 16.1,
        lat: 59.420_1,
        category: CategoryCode::parse("trafik").unwrap(),
        at: t("2026-11-27T12:00:00Z"),
        radius_m: 50.0,
        hours: 48,
        limit: 10,
    };
    let found = s.nearby_incidents(&f.admin.actor(), &q).await.unwrap();
    let mut got = ids(&found);
    got.sort_unstable();
    assert_eq!(got, vec![near, close]);
    // Nearest first.
    assert_eq!(ids(&found)[0], near);
    // Visibility as everywhere: a reader sees nothing, another tenant nothing.
    assert!(
        s.nearby_incidents(&f.reader.actor(), &q)
            .await
            .unwrap()
            .is_empty()
    );
    let g = fixture(s, "1980").await;
    assert!(
        s.nearby_incidents(&g.admin.actor(), &q)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Photos: kept as given, seen by whoever may see the incident, at most five, once per key,
/// removed by retention and moved by copy.
pub async fn photos_follow_their_incident(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let mut n = incident(&f.teacher, "skadegorelse-klotter", "2024-11-15T21:40:00Z");
    n.visibility = Visibility::PoliceAndCoordinator;
    let id = insert_one(s, n).await;
    let photo = |key: &str, data: &[u8]| NewPhoto {
        incident_id: id,
        client_key: Some(key.into()),
        content_type: "image/jpeg".into(),
        width: 4,
        height: 3,
        data: data.to_vec(),
        user_id: f.teacher.id,
        created_at: t("2026-11-27T10:00:00Z"),
    };
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let PhotoAdded::Stored(first) = s
        .add_photo(&f.teacher.actor(), &photo("p1", &bytes))
        .await
        .unwrap()
    else {
        panic!("stored")
    };
    assert_eq!((first.size, first.width, first.height), (70_000, 4, 3));
    let PhotoAdded::Replayed(again) = s
        .add_photo(&f.teacher.actor(), &photo("p1", &bytes))
        .await
        .unwrap()
    else {
        panic!("replayed")
    };
    assert_eq!(again.id, first.id);
    for k in 2..=5 {
        assert!(matches!(
            s.add_photo(&f.teacher.actor(), &photo(&format!("p{k}"), b"x"))
                .await
                .unwrap(),
            PhotoAdded::Stored(_)
        ));
    }
    assert_eq!(
        s.add_photo(&f.teacher.actor(), &photo("p6", b"x"))
            .await
            .unwrap(),
        PhotoAdded::Full
    );
    let (info, data) = s
        .photo(&f.analyst.actor(), id, first.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((info.id, data), (first.id, bytes.clone()));
    assert_eq!(s.photos(&f.admin.actor(), id).await.unwrap().len(), 5);
    // Who may not see the incident gets nothing, and may not add to it.
    for who in [&f.teacher2, &f.reader] {
        assert!(s.photo(&who.actor(), id, first.id).await.unwrap().is_none());
        assert!(s.photos(&who.actor(), id).await.unwrap().is_empty());
    }
    assert!(matches!(
        s.add_photo(&f.teacher2.actor(), &photo("p7", b"x"))
            .await
            .unwrap_err(),
        StoreError::NotFound { .. }
    ));
    let g = fixture(s, "1980").await;
    assert!(
        s.photo(&g.admin.actor(), id, first.id)
            .await
            .unwrap()
            .is_none()
    );
    // A photo of another incident is not reached through this one.
    let other = insert_one(s, incident(&f.teacher, "trafik", "2026-11-20T10:00:00Z")).await;
    assert!(
        s.photo(&f.admin.actor(), other, first.id)
            .await
            .unwrap()
            .is_none()
    );
    // Reading a restricted incident's photo is audited, as reading the incident is.
    let reads = s
        .audit_log(
            f.tenant.id,
            &AuditFilter {
                action: Some("photo.read".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(reads.len(), 1);
    // Copy moves the photos byte for byte.
    let rows = s.export_tenant(f.tenant.id).await.unwrap();
    let photos = rows.table("photos").unwrap();
    assert_eq!(photos.rows.len(), 5);
    assert!(photos.rows[0].contains(&copy::Cell::Bytes(bytes.clone())));
    // Retention removes them with their incident (klotter kept 24 months).
    let mut cats = s.categories(f.tenant.id).await.unwrap();
    let klotter = cats
        .iter_mut()
        .find(|c| c.code.as_str() == "skadegorelse-klotter")
        .unwrap();
    klotter.retention_months = Some(24);
    s.upsert_category(klotter, None).await.unwrap();
    s.apply_retention(f.tenant.id, t("2026-11-27T12:00:00Z"))
        .await
        .unwrap();
    assert!(s.photos(&f.admin.actor(), id).await.unwrap().is_empty());
    assert!(
        s.photo(&f.admin.actor(), id, first.id)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        s.export_tenant(f.tenant.id)
            .await
            .unwrap()
            .table("photos")
            .unwrap()
            .rows
            .len(),
        0
    );
    s.verify_audit(f.tenant.id).await.unwrap().unwrap();
}

/// The list's search: words of the description or the place's text, in any case of the
/// Swedish alphabet; LIKE's wildcards are plain characters.
pub async fn free_text_search(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let mut ids = Vec::new();
    for (desc, place) in [
        ("Krossad ruta i busskuren", None),
        ("Klotter på ÅKERVÄGENS bro", None),
        ("Ungdomar samlas", Some("Öster om torget")),
        ("Rabatt 100% förstörd", None),
    ] {
        let mut n = incident(&f.teacher, "trafik", "2026-11-20T10:00:00Z");
        n.description = desc.into();
        n.place_text = place.map(str::to_string);
        ids.push(insert_one(s, n).await);
    }
    let search = |t: &str| IncidentFilter {
        text: Some(t.into()),
        ..Default::default()
    };
    let found = |t: &'static str| {
        let f = &f;
        async move {
            let mut v = list(s, &f.admin, search(t)).await;
            v.sort_unstable();
            v
        }
    };
    assert_eq!(found("busskur").await, vec![ids[0]]);
    assert_eq!(found("BUSSKUREN").await, vec![ids[0]]);
    assert_eq!(found("åkerväg").await, vec![ids[1]]);
    assert_eq!(found("öster").await, vec![ids[2]]);
    assert_eq!(found("100%").await, vec![ids[3]]);
    assert_eq!(found("10_%").await, Vec::<IncidentId>::new());
    assert_eq!(found("finns inte").await, Vec::<IncidentId>::new());
    // Within what the actor may see, as every filter.
    assert!(list(s, &f.reader, search("busskur")).await.is_empty());
    assert_eq!(
        s.count_incidents(&f.admin.actor(), &search("r"))
            .await
            .unwrap(),
        4
    );
}

pub async fn limits_are_counted_by_key(s: &dyn Store) {
    let t0 = t("2026-11-27T10:00:00Z");
    let pair = "pair:a_b%@x.se|1.2.3.4".to_string();
    let account = "account:a_b%@x.se".to_string();
    let other = "account:axb%@x.se".to_string();
    for i in 0..3 {
        s.limit_record(&[pair.clone(), account.clone()], t0 + (i * 10).seconds())
            .await
            .unwrap();
    }
    s.limit_record(std::slice::from_ref(&other), t0)
        .await
        .unwrap();
    s.limit_record(&[], t0).await.unwrap();
    // Newest first, at most n, only after `since`.
    let recent = s.limit_recent(&pair, t0 - 1.second(), 2).await.unwrap();
    assert_eq!(recent, vec![t0 + 20.seconds(), t0 + 10.seconds()]);
    assert_eq!(
        s.limit_recent(&pair, t0 + 5.seconds(), 10)
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(
        s.limit_recent("pair:none", t0 - 1.second(), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A prefix is text, not a pattern: `_` and `%` match only themselves.
    let gone = s
        .limit_forget(
            std::slice::from_ref(&account),
            &["pair:a_b%@x.se|".to_string()],
        )
        .await
        .unwrap();
    assert_eq!(gone, 6);
    assert!(
        s.limit_recent(&pair, t0 - 1.second(), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.limit_recent(&other, t0 - 1.second(), 10).await.unwrap(),
        vec![t0]
    );
    s.limit_record(std::slice::from_ref(&other), t0 + 1.hour())
        .await
        .unwrap();
    assert_eq!(s.limit_prune(t0 + 1.minute()).await.unwrap(), 1);
    assert_eq!(
        s.limit_recent(&other, t0 - 1.second(), 10).await.unwrap(),
        vec![t0 + 1.hour()]
    );
}

pub async fn server_secrets_are_made_once(s: &dyn Store) {
    assert_eq!(
        s.server_secret("tip-form-key", "first").await.unwrap(),
        "first"
    );
    assert_eq!(
        s.server_secret("tip-form-key", "second").await.unwrap(),
        "first",
        "a second server gets the first one's secret"
    );
    assert_eq!(s.server_secret("other", "x").await.unwrap(), "x");
}

pub async fn totp_secrets_are_replaced_in_place(s: &dyn Store) {
    let f = fixture(s, "1960").await;
    let state = TotpState {
        secret: "PLAIN".into(),
        last_step: Some(7),
        recovery_hashes: vec!["h".into()],
    };
    s.enable_totp(f.tenant.id, f.admin.id, &state)
        .await
        .unwrap();
    let all = s.totp_secrets().await.unwrap();
    assert_eq!(all, vec![(f.tenant.id, f.admin.id, "PLAIN".to_string())]);
    assert!(
        !s.replace_totp_secret(f.tenant.id, f.admin.id, "OTHER", "SEALED")
            .await
            .unwrap(),
        "only if it is still the old one"
    );
    assert!(
        s.replace_totp_secret(f.tenant.id, f.admin.id, "PLAIN", "SEALED")
            .await
            .unwrap()
    );
    let now = s.user_totp(f.tenant.id, f.admin.id).await.unwrap().unwrap();
    assert_eq!(now.secret, "SEALED");
    assert_eq!(now.last_step, Some(7), "the rest is kept");
    assert_eq!(now.recovery_hashes, vec!["h".to_string()]);
}
