//! The demo data set: Kungsör (municipality 1960) with its partners, one user per role, the EST
//! taxonomy, demo places and areas (every name ends in "(demo)"), about two years of synthetic
//! incidents clustered in places with evening and weekend peaks, and Kungsör's real police
//! events as coarse, municipality-level incidents.

use crate::polisen::{self, ImportSummary};
use crate::reporting::TenantGeo;
use geo::{Sweref99Tm, from_sweref99tm, to_sweref99tm};
use jiff::{SignedDuration, Timestamp, ToSpan};
use model::{
    ActionStatus, CategoryCode, Email, IncidentStatus, Precision, Role, Source, Visibility,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::Path;
use store::{
    NewIncident, NewOrganisation, NewPlace, NewTenant, NewUser, Organisation, PlaceKind, Store,
    Tenant,
};

pub const TENANT_CODE: &str = "1960";
/// Kungsör's town centre (the police's municipality point).
const CENTRE: (f64, f64) = (16.0978, 59.4224);
pub const SYNTHETIC_INCIDENTS: usize = 3000;
const DAYS: i64 = 730;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Report(#[from] crate::reporting::ReportError),
    #[error("municipality {0} is missing from the shipped boundaries")]
    NoBoundary(&'static str),
    #[error("hashing a demo password: {0}")]
    Password(#[from] crate::auth::PasswordError),
    #[error(transparent)]
    Promise(#[from] crate::promises::PromiseError),
    #[error("a demo photo: {0}")]
    Photo(String),
    #[error("the demo's case or meeting: {0}")]
    Est(String),
    #[error("a demo tip: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub email: String,
    pub password: String,
    pub role: Role,
    pub organisation: String,
    /// Who this login is, in Swedish (printed on the terminal).
    pub who: &'static str,
}

#[derive(Debug)]
pub struct DemoReport {
    pub tenant: Tenant,
    pub logins: Vec<DemoLogin>,
    pub synthetic: usize,
    /// The police import, or why it could not run.
    pub police: Result<ImportSummary, String>,
}

const ORGS: &[(&str, &str)] = &[
    ("Kungsörs kommun", "kommun"),
    ("Polisen lokalpolisområde Västra Mälardalen", "polis"),
    ("Kungsörs grundskola (demo)", "skola"),
    ("Socialtjänsten Kungsör", "socialtjanst"),
    ("Bostadsbolaget i Kungsör (demo)", "bostadsbolag"),
];

const USERS: &[(&str, usize, Role, &str, &str)] = &[
    (
        "samordnare@kungsor.example",
        0,
        Role::Admin,
        "Säkerhetssamordnare (demo)",
        "säkerhetssamordnare, administratör",
    ),
    (
        "kommunpolis@polisen.example",
        1,
        Role::Analyst,
        "Kommunpolis (demo)",
        "kommunpolis, analytiker",
    ),
    (
        "rapportor.skola@kungsor.example",
        2,
        Role::Reporter,
        "Rapportör skolan (demo)",
        "rapportör på skolan",
    ),
    (
        "falt@kungsor.example",
        3,
        Role::Reporter,
        "Fältassistent (demo)",
        "fältassistent, socialtjänsten",
    ),
    (
        "bostad@bostadsbolaget.example",
        4,
        Role::Reporter,
        "Rapportör bostadsbolaget (demo)",
        "rapportör, bostadsbolaget",
    ),
    (
        "ledning@kungsor.example",
        0,
        Role::Reader,
        "Ledning (demo)",
        "ledningen, läser rapporter",
    ),
];

/// A demo place: name, offset east and north of the centre (m), half width and half height
/// (m; 0 for a named point), school?, weight in the synthetic data, categories with weights,
/// reporting organisation (index in ORGS), daytime profile?
struct Spot {
    name: &'static str,
    dx: f64,
    dy: f64,
    hw: f64,
    hh: f64,
    school: bool,
    weight: f64,
    categories: &'static [(&'static str, f64)],
    org: usize,
    daytime: bool,
}

const SPOTS: &[Spot] = &[
    Spot {
        name: "Centrum och torget (demo)",
        dx: 0.0,
        dy: 0.0,
        hw: 260.0,
        hh: 180.0,
        school: false,
        weight: 6.0,
        categories: &[
            ("otrygghetsskapande-samling", 4.0),
            ("ordningsstorning", 4.0),
            ("nedskrapning", 2.0),
            ("skadegorelse-klotter", 2.0),
            ("hot-vald", 1.0),
            ("narkotika", 1.0),
        ],
        org: 0,
        daytime: false,
    },
    Spot {
        name: "Stationsområdet (demo)",
        dx: -520.0,
        dy: -260.0,
        hw: 150.0,
        hh: 90.0,
        school: false,
        weight: 4.0,
        categories: &[
            ("otrygg-plats-belysning", 2.0),
            ("otrygghetsskapande-samling", 3.0),
            ("narkotika", 2.0),
            ("skadegorelse-glaskross", 2.0),
            ("hot-vald", 1.0),
        ],
        org: 0,
        daytime: false,
    },
    Spot {
        name: "Strandparken (demo)",
        dx: 380.0,
        dy: -420.0,
        hw: 200.0,
        hh: 110.0,
        school: false,
        weight: 3.0,
        categories: &[
            ("nedskrapning", 3.0),
            ("narkotika", 2.0),
            ("otrygg-plats-belysning", 2.0),
            ("ordningsstorning", 2.0),
        ],
        org: 0,
        daytime: false,
    },
    Spot {
        name: "Bostadsområdet Norr (demo)",
        dx: 250.0,
        dy: 760.0,
        hw: 280.0,
        hh: 220.0,
        school: false,
        weight: 4.0,
        categories: &[
            ("inbrott-stold", 3.0),
            ("skadegorelse-brand", 1.5),
            ("skadegorelse-klotter", 2.0),
            ("ordningsstorning", 1.0),
            ("otrygg-plats-insyn", 1.0),
        ],
        org: 4,
        daytime: false,
    },
    Spot {
        name: "Bostadsområdet Väst (demo)",
        dx: -950.0,
        dy: 320.0,
        hw: 240.0,
        hh: 200.0,
        school: false,
        weight: 2.5,
        categories: &[
            ("inbrott-stold", 3.0),
            ("skadegorelse-glaskross", 1.0),
            ("nedskrapning", 1.0),
            ("otrygg-plats-folktomt", 1.0),
        ],
        org: 4,
        daytime: false,
    },
    Spot {
        name: "Skolgården Öst (demo)",
        dx: 640.0,
        dy: 260.0,
        hw: 110.0,
        hh: 80.0,
        school: true,
        weight: 3.5,
        categories: &[
            ("skadegorelse-klotter", 3.0),
            ("skadegorelse-glaskross", 2.0),
            ("otrygghetsskapande-samling", 2.0),
            ("ordningsstorning", 2.0),
            ("hot-vald", 0.5),
        ],
        org: 2,
        daytime: true,
    },
    Spot {
        name: "Skolgården Väst (demo)",
        dx: -330.0,
        dy: 480.0,
        hw: 120.0,
        hh: 90.0,
        school: true,
        weight: 2.5,
        categories: &[
            ("skadegorelse-klotter", 2.0),
            ("nedskrapning", 1.0),
            ("otrygghetsskapande-samling", 2.0),
            ("ordningsstorning", 1.0),
        ],
        org: 2,
        daytime: true,
    },
    Spot {
        name: "Idrottsplatsen (demo)",
        dx: 980.0,
        dy: -120.0,
        hw: 150.0,
        hh: 120.0,
        school: false,
        weight: 1.5,
        categories: &[
            ("skadegorelse", 1.0),
            ("nedskrapning", 1.0),
            ("otrygghetsskapande-samling", 1.0),
        ],
        org: 3,
        daytime: false,
    },
    Spot {
        name: "Busshållplatsen vid torget (demo)",
        dx: 90.0,
        dy: -60.0,
        hw: 0.0,
        hh: 0.0,
        school: false,
        weight: 1.5,
        categories: &[
            ("otrygghetsskapande-samling", 2.0),
            ("skadegorelse-glaskross", 1.0),
        ],
        org: 3,
        daytime: false,
    },
    Spot {
        name: "Macken vid infarten (demo)",
        dx: -1500.0,
        dy: -900.0,
        hw: 0.0,
        hh: 0.0,
        school: false,
        weight: 1.0,
        categories: &[
            ("inbrott-stold", 2.0),
            ("trafik", 2.0),
            ("ordningsstorning", 1.0),
        ],
        org: 1,
        daytime: false,
    },
];

const BACKGROUND: &[(&str, f64)] = &[
    ("trafik", 3.0),
    ("nedskrapning", 2.0),
    ("skadegorelse-klotter", 1.0),
    ("inbrott-stold", 2.0),
    ("otrygg-plats-belysning", 1.0),
    ("annat", 1.0),
];

fn describe(category: &str, rng: &mut StdRng) -> &'static str {
    let options: &[&str] = match category {
        "skadegorelse-klotter" => &[
            "Klotter på fasaden mot parkeringen.",
            "Nya taggar på elskåpet.",
            "Klotter i gångtunneln.",
        ],
        "skadegorelse-glaskross" => &[
            "Krossad ruta i entrédörren.",
            "Glaskross vid busskuren.",
            "Sönderslagen belysningsarmatur.",
        ],
        "skadegorelse-brand" => &[
            "Brand i soptunna, släckt av räddningstjänsten.",
            "Anlagd brand i papperskorg.",
        ],
        "skadegorelse" => &["Sönderslagna bänkar.", "Skadat staket runt planen."],
        "ordningsstorning" => &[
            "Högljudd grupp sent på kvällen, störde boende.",
            "Fyrverkerier avfyrades mot fasad.",
            "Mopedåkning på gångbanan.",
        ],
        "otrygghetsskapande-samling" => &[
            "Större grupp samlades vid entrén, upplevdes hotfullt av förbipasserande.",
            "Ungdomar samlades med mopeder, högljutt.",
            "Grupp samlades vid kiosken efter stängning.",
        ],
        "hot-vald" => &[
            "Bråk mellan flera personer, polis tillkallad.",
            "Hot mot personal vid entrén.",
        ],
        "narkotika" => &[
            "Misstänkt langning bakom byggnaden.",
            "Sprutor och folie hittade i buskaget.",
        ],
        "inbrott-stold" => &[
            "Inbrott i förråd, dörren uppbruten.",
            "Cykelstölder från cykelstället.",
            "Försök till inbrott i källare.",
        ],
        "nedskrapning" => &[
            "Mycket skräp och glasflaskor efter helgen.",
            "Nedskräpning vid grillplatsen.",
        ],
        "otrygg-plats-belysning" => &[
            "Trasig belysning längs gångvägen, mörkt.",
            "Flera lampor släckta vid parkeringen.",
        ],
        "otrygg-plats-insyn" => &["Buskage skymmer gångvägen, dålig insyn."],
        "otrygg-plats-folktomt" => &["Folktomt och mörkt på kvällarna, upplevs otryggt."],
        "trafik" => &[
            "Vårdslös körning genom området.",
            "Hög hastighet förbi skolan.",
        ],
        _ => &["Övrig händelse, se kommentar."],
    };
    options[rng.gen_range(0..options.len())]
}

fn pick<'a>(items: &'a [(&'a str, f64)], rng: &mut StdRng) -> &'a str {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.gen_range(0.0..total);
    for (item, w) in items {
        if x < *w {
            return item;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

fn gaussian(rng: &mut StdRng) -> f64 {
    // Box–Muller.
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen_range(0.0..1.0);
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn rectangle(centre: Sweref99Tm, dx: f64, dy: f64, hw: f64, hh: f64) -> String {
    let corner = |sx: f64, sy: f64| {
        let (lon, lat) = from_sweref99tm(Sweref99Tm {
            e: centre.e + dx + sx * hw,
            n: centre.n + dy + sy * hh,
        });
        format!("[{lon:.6},{lat:.6}]")
    };
    // Counter-clockwise, closed.
    format!(
        r#"{{"type":"Polygon","coordinates":[[{},{},{},{},{}]]}}"#,
        corner(-1.0, -1.0),
        corner(1.0, -1.0),
        corner(1.0, 1.0),
        corner(-1.0, 1.0),
        corner(-1.0, -1.0)
    )
}

/// Relative weight of a day (seasonal peak in summer, weekend peak).
fn day_weight(day: jiff::civil::Date) -> f64 {
    let season = 1.0
        + 0.35
            * ((f64::from(day.day_of_year()) - 100.0) / 365.0 * 2.0 * std::f64::consts::PI).sin();
    let weekday = match day.weekday() {
        jiff::civil::Weekday::Friday => 1.5,
        jiff::civil::Weekday::Saturday => 1.7,
        jiff::civil::Weekday::Sunday => 1.1,
        _ => 0.85,
    };
    season * weekday
}

/// Hour weights: evenings and nights, or school days.
const EVENING: [f64; 24] = [
    3.0, 2.5, 2.0, 1.2, 0.6, 0.3, 0.3, 0.4, 0.5, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.5, 2.0, 2.6,
    3.2, 3.8, 4.2, 4.2, 3.6,
];
const DAYTIME: [f64; 24] = [
    0.3, 0.2, 0.2, 0.1, 0.1, 0.1, 0.3, 1.5, 2.5, 2.5, 2.5, 3.0, 3.0, 2.5, 2.5, 2.0, 1.6, 1.4, 1.6,
    1.8, 2.0, 1.8, 1.2, 0.6,
];

fn pick_hour(weights: &[f64; 24], rng: &mut StdRng) -> i8 {
    let total: f64 = weights.iter().sum();
    let mut x = rng.gen_range(0.0..total);
    for (h, w) in weights.iter().enumerate() {
        if x < *w {
            return h as i8;
        }
        x -= w;
    }
    23
}

/// Two citizens' tips waiting in the coordinator's queue: one from the tip page near the
/// station with a position, one in words only from the day before.
async fn seed_tips(store: &dyn Store, tenant: &Tenant, now: Timestamp) -> Result<(), DemoError> {
    let cats = store.categories(tenant.id).await?;
    let tips = [
        crate::tips::TipDraft {
            category: "otrygg-plats".into(),
            description:
                "Det är mörkt i gångtunneln under järnvägen, två lampor är trasiga (demo).".into(),
            place_text: "Gångtunneln vid stationen (demo)".into(),
            lat: "59.4238".into(),
            lon: "16.0935".into(),
            ..Default::default()
        },
        crate::tips::TipDraft {
            category: "nedskrapning".into(),
            description: "Mycket skräp och glas vid bänkarna efter helgen (demo).".into(),
            place_text: "Strandparken (demo)".into(),
            ..Default::default()
        },
    ];
    for (k, d) in tips.iter().enumerate() {
        let at = now - SignedDuration::from_hours(20 + 24 * k as i64);
        let v = crate::tips::validate(d, &cats, tenant, at)
            .map_err(|e| DemoError::Invalid(format!("demo tip {k}: {e:?}")))?;
        let (_, hash, token) = crate::tips::receipt();
        store
            .create_tip(&v.into_new(tenant, model::TipChannel::Web, None, hash, token, at))
            .await?;
    }
    Ok(())
}

/// Creates the demo tenant unless it exists. Returns `None` when the database already has it.
pub async fn seed(
    store: &dyn Store,
    polisen_file: Option<&Path>,
    now: Timestamp,
    rng_seed: u64,
) -> Result<Option<DemoReport>, DemoError> {
    if store.tenant_by_code(TENANT_CODE).await?.is_some() {
        return Ok(None);
    }
    let kungsor = crate::municipality(TENANT_CODE).ok_or(DemoError::NoBoundary(TENANT_CODE))?;
    let tenant = store
        .create_tenant(&NewTenant {
            code: TENANT_CODE.into(),
            name: kungsor.name.clone(),
            outline_geojson: kungsor.outline.to_geojson().to_string(),
        })
        .await?;
    let mut orgs: Vec<Organisation> = Vec::new();
    for (name, kind) in ORGS {
        orgs.push(
            store
                .create_organisation(&NewOrganisation {
                    by: None,
                    tenant_id: tenant.id,
                    name: (*name).into(),
                    kind: (*kind).into(),
                })
                .await?,
        );
    }
    for c in crate::taxonomy::est_defaults(tenant.id) {
        store.upsert_category(&c, None).await?;
    }

    let mut logins = Vec::new();
    let mut users = Vec::new();
    for (email, org, role, name, who) in USERS {
        let password = crate::auth::new_password();
        let hash = crate::auth::hash_password(&password)?;
        let user = store
            .create_user(&NewUser {
                by: None,
                tenant_id: tenant.id,
                org_id: orgs[*org].id,
                email: Email::parse(email).expect("demo e-mails are valid"),
                display_name: (*name).into(),
                role: *role,
                password_hash: hash,
            })
            .await?;
        logins.push(DemoLogin {
            email: (*email).into(),
            password,
            role: *role,
            organisation: orgs[*org].name.clone(),
            who,
        });
        users.push(user);
    }

    let centre = to_sweref99tm(CENTRE.0, CENTRE.1);
    let mut place_ids = Vec::new();
    for s in SPOTS {
        let (kind, geometry, (lon, lat)) = if s.hw > 0.0 {
            let g = rectangle(centre, s.dx, s.dy, s.hw, s.hh);
            (
                PlaceKind::Area,
                g,
                from_sweref99tm(Sweref99Tm {
                    e: centre.e + s.dx,
                    n: centre.n + s.dy,
                }),
            )
        } else {
            let (lon, lat) = from_sweref99tm(Sweref99Tm {
                e: centre.e + s.dx,
                n: centre.n + s.dy,
            });
            (
                PlaceKind::Point,
                format!(r#"{{"type":"Point","coordinates":[{lon:.6},{lat:.6}]}}"#),
                (lon, lat),
            )
        };
        let p = store
            .create_place(&NewPlace {
                by: None,
                tenant_id: tenant.id,
                name: s.name.into(),
                kind,
                is_school: s.school,
                geometry_geojson: geometry,
                lon,
                lat,
                is_demo: true,
            })
            .await?;
        place_ids.push(p.id);
    }
    let geo = TenantGeo::new(&tenant, store.places(tenant.id).await?)?;

    let mut rng = StdRng::seed_from_u64(rng_seed);
    let tz = crate::stockholm();
    let today = now.to_zoned(tz.clone()).date();
    let spot_weights: Vec<(usize, f64)> = SPOTS
        .iter()
        .enumerate()
        .map(|(i, s)| (i, s.weight))
        .collect();
    let total_weight: f64 = spot_weights.iter().map(|(_, w)| w).sum::<f64>() + 5.0;
    let mut incidents = Vec::with_capacity(SYNTHETIC_INCIDENTS);
    while incidents.len() < SYNTHETIC_INCIDENTS {
        // Where.
        let mut x = rng.gen_range(0.0..total_weight);
        let mut spot = None;
        for (i, w) in &spot_weights {
            if x < *w {
                spot = Some(&SPOTS[*i]);
                break;
            }
            x -= w;
        }
        let (category, daytime, org, place_index, e, n) = match spot {
            Some(s) => {
                let sigma = if s.hw > 0.0 {
                    s.hw.min(s.hh) * 0.6
                } else {
                    25.0
                };
                let e = centre.e + s.dx + gaussian(&mut rng) * sigma;
                let n = centre.n + s.dy + gaussian(&mut rng) * sigma;
                let idx = SPOTS
                    .iter()
                    .position(|x| std::ptr::eq(x, s))
                    .expect("spot from SPOTS");
                (
                    pick(s.categories, &mut rng),
                    s.daytime,
                    s.org,
                    Some(idx),
                    e,
                    n,
                )
            }
            None => {
                let r = 2500.0 * rng.gen_range(0.0f64..1.0).sqrt();
                let a = rng.gen_range(0.0..std::f64::consts::TAU);
                let org = [0usize, 3, 4][rng.gen_range(0..3)];
                (
                    pick(BACKGROUND, &mut rng),
                    false,
                    org,
                    None,
                    centre.e + r * a.cos(),
                    centre.n + r * a.sin(),
                )
            }
        };
        let (lon, lat) = from_sweref99tm(Sweref99Tm { e, n });
        if !geo.outline.contains(lon, lat) {
            continue;
        }
        // When.
        let day = loop {
            let d = today
                .checked_sub((rng.gen_range(0..DAYS)).days())
                .expect("within range");
            if rng.gen_range(0.0..2.2) < day_weight(d) {
                break d;
            }
        };
        let school_day = !matches!(
            day.weekday(),
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
        );
        let hours = if daytime && school_day && rng.gen_bool(0.6) {
            &DAYTIME
        } else {
            &EVENING
        };
        let hour = pick_hour(hours, &mut rng);
        let time = jiff::civil::Time::new(hour, rng.gen_range(0..60), 0, 0).expect("valid time");
        let Ok(start) = tz.to_ambiguous_zoned(day.to_datetime(time)).compatible() else {
            continue;
        };
        let mut from = start.timestamp();
        let mut to = from;
        // Damage found in the morning is reported as "between 22 and 06".
        if matches!(
            category,
            "skadegorelse-glaskross" | "skadegorelse-klotter" | "inbrott-stold"
        ) && rng.gen_bool(0.35)
        {
            let evening = tz
                .to_ambiguous_zoned(day.to_datetime(jiff::civil::time(22, 0, 0, 0)))
                .compatible()
                .map(|z| z.timestamp());
            if let Ok(ev) = evening {
                from = ev;
                to = ev + SignedDuration::from_hours(8);
            }
        }
        if to > now {
            continue;
        }
        let age_days = now.duration_since(to).as_hours() / 24;
        let status = if age_days > 30 {
            match rng.gen_range(0..100) {
                0..=59 => IncidentStatus::Closed,
                60..=94 => IncidentStatus::Reviewed,
                95..=97 => IncidentStatus::Rejected,
                _ => IncidentStatus::Duplicate,
            }
        } else if age_days > 7 && rng.gen_bool(0.6) {
            IncidentStatus::Reviewed
        } else {
            IncidentStatus::New
        };
        let visibility = if matches!(category, "narkotika" | "hot-vald") && rng.gen_bool(0.6) {
            Visibility::PoliceAndCoordinator
        } else if rng.gen_bool(0.05) {
            Visibility::OwnOrganisation
        } else {
            Visibility::AllPartners
        };
        let user = users
            .iter()
            .find(|u| u.org_id == orgs[org].id && u.role != Role::Reader)
            .unwrap_or(&users[0]);
        let place_id = place_index
            .map(|i| place_ids[i])
            .filter(|_| rng.gen_bool(0.5));
        let school_id = place_index
            .filter(|i| SPOTS[*i].school)
            .map(|i| place_ids[i]);
        let persons = matches!(category, "otrygghetsskapande-samling" | "ordningsstorning")
            .then(|| rng.gen_range(2..15));
        let created = (to + SignedDuration::from_mins(rng.gen_range(10..2880))).min(now);
        let point = to_sweref99tm(lon, lat);
        incidents.push(NewIncident {
            category: CategoryCode::parse(category).expect("demo categories are valid"),
            occurred_from: from,
            occurred_to: to,
            lon,
            lat,
            e: point.e,
            n: point.n,
            precision: Precision::Exact,
            place_id,
            area_ids: geo.areas_containing(lon, lat),
            place_text: None,
            municipality_code: Some(TENANT_CODE.into()),
            description: describe(category, &mut rng).into(),
            school_id,
            persons_involved: persons,
            visibility,
            status,
            source: Source::Demo,
            external_id: None,
            external_url: None,
            org_id: orgs[org].id,
            user_id: Some(user.id),
            created_at: created,
            same_as: None,
        });
    }
    incidents.sort_by_key(|i| i.created_at);
    let ids = store.insert_incidents(tenant.id, &incidents).await?;
    seed_photos(store, &incidents, &ids, &users, now).await?;
    seed_actions(store, &tenant, &orgs, &users, &place_ids, now).await?;
    seed_promises(store, &tenant, &users, now).await?;

    let police = match polisen_file {
        None => Err("no police events file given".to_string()),
        Some(path) => polisen::import_file(store, &tenant, orgs[1].id, path, now)
            .await
            .map_err(|e| e.to_string()),
    };
    seed_est(store, &tenant, &orgs, &users, &place_ids, now).await?;
    seed_tips(store, &tenant, now).await?;
    Ok(Some(DemoReport {
        tenant,
        logins,
        synthetic: SYNTHETIC_INCIDENTS,
        police,
    }))
}

/// Photos on the newest two graffiti reports, so that the incident page shows what a report
/// from the field looks like (made as a camera would, with a GPS position, and cleaned as every
/// photo is).
async fn seed_photos(
    store: &dyn Store,
    incidents: &[NewIncident],
    ids: &[store::IncidentId],
    users: &[store::User],
    now: Timestamp,
) -> Result<(), DemoError> {
    let graffiti = incidents
        .iter()
        .zip(ids)
        .rev()
        .filter(|(n, _)| n.category.as_str() == "skadegorelse-klotter")
        .take(2);
    for (n, id) in graffiti {
        let Some(user) = users.iter().find(|u| Some(u.id) == n.user_id) else {
            continue;
        };
        let photo = crate::photos::clean(&crate::photos::jpeg_with_gps(640, 480))
            .map_err(|e| DemoError::Photo(e.to_string()))?;
        store
            .add_photo(
                &user.actor(),
                &store::NewPhoto {
                    incident_id: *id,
                    client_key: None,
                    content_type: "image/jpeg".into(),
                    width: photo.width,
                    height: photo.height,
                    data: photo.jpeg,
                    user_id: user.id,
                    created_at: now,
                },
            )
            .await?;
    }
    Ok(())
}

/// A realistic set of actions: one done months ago (with an effect to evaluate), one under
/// way, one overdue, one planned.
async fn seed_actions(
    store: &dyn Store,
    tenant: &store::Tenant,
    orgs: &[Organisation],
    users: &[store::User],
    areas: &[i64],
    now: Timestamp,
) -> Result<(), DemoError> {
    let tz = crate::stockholm();
    let day = |d: i64| now + jiff::SignedDuration::from_hours(d * 24);
    let date = |d: i64| day(d).to_zoned(tz.clone()).date().to_string();
    struct Plan {
        title: &'static str,
        description: &'static str,
        org: usize,
        user: Option<usize>,
        /// Treated, buffer, control (indexes of the demo areas).
        areas: (usize, Option<usize>, Option<usize>),
        /// Days from now: planned, due, closed.
        days: (i64, i64, i64),
        status: ActionStatus,
        note: &'static str,
    }
    let plans = [
        Plan {
            title: "Bättre belysning på gångvägen vid stationen",
            description: "Byt till LED-armaturer och tät ut dem längs gångvägen mellan stationen och centrum.",
            org: 0,
            user: Some(0),
            areas: (1, Some(0), Some(4)),
            days: (-150, -100, -110),
            status: ActionStatus::Done,
            note: "Tolv nya armaturer monterade; gångvägen är upplyst hela vägen.",
        },
        Plan {
            title: "Trygghetsvandring i Strandparken",
            description: "Gemensam vandring med kommunen, polisen och bostadsbolaget en kväll.",
            org: 1,
            user: Some(1),
            areas: (2, None, None),
            days: (-20, 20, -1),
            status: ActionStatus::InProgress,
            note: "",
        },
        Plan {
            title: "Klottersanering i centrum inom ett dygn",
            description: "Avtal med entreprenören om sanering inom 24 timmar efter anmälan.",
            org: 0,
            user: Some(0),
            areas: (0, None, None),
            days: (-40, -10, 0),
            status: ActionStatus::Planned,
            note: "",
        },
        Plan {
            title: "Fältassistenter kvällstid i Bostadsområdet Norr",
            description: "Fredags- och lördagskvällar under vinterhalvåret.",
            org: 3,
            user: None,
            areas: (3, None, None),
            days: (-5, 45, 0),
            status: ActionStatus::Planned,
            note: "",
        },
    ];
    for p in plans {
        let id = |k: Option<usize>| k.map(|k| areas[k].to_string()).unwrap_or_default();
        let (created, due, closed) = p.days;
        let valid = model::ActionDraft {
            title: p.title.into(),
            description: p.description.into(),
            owner_org_id: orgs[p.org].id.to_string(),
            owner_user_id: p.user.map(|u| users[u].id.to_string()).unwrap_or_default(),
            area_id: areas[p.areas.0].to_string(),
            buffer_area_id: id(p.areas.1),
            control_area_id: id(p.areas.2),
            due_on: date(due),
            record_id: String::new(),
        }
        .validate()
        .expect("demo actions are valid");
        let a = store
            .create_action(&store::NewAction {
                tenant_id: tenant.id,
                action: valid,
                created_by: Some(users[0].id),
                created_at: day(created),
            })
            .await?;
        if p.status != ActionStatus::Planned {
            if p.status == ActionStatus::Done {
                store
                    .set_action_status(
                        tenant.id,
                        a.id,
                        Some(users[0].id),
                        ActionStatus::InProgress,
                        "",
                        day(created + 5),
                    )
                    .await?;
            }
            store
                .set_action_status(
                    tenant.id,
                    a.id,
                    Some(users[0].id),
                    p.status,
                    p.note,
                    day(closed.min(-1)),
                )
                .await?;
        }
    }
    Ok(())
}

/// One hot spot case worked through two EST steps with a visit, and one samverkansmöte held a
/// week ago with attendees, notes, a decision (and its action) and a focus area: so the cases
/// and meetings pages show what they are for on the first start.
async fn seed_est(
    store: &dyn Store,
    tenant: &store::Tenant,
    orgs: &[Organisation],
    users: &[store::User],
    areas: &[i64],
    now: Timestamp,
) -> Result<(), DemoError> {
    let tz = crate::stockholm();
    let day = |d: i64| now + jiff::SignedDuration::from_hours(d * 24);
    let today = now.to_zoned(tz.clone()).date();
    let est = |e: String| DemoError::Est(e);
    let by = Some(users[0].id);
    // The case: Strandparken, opened three weeks ago, analysed, one visit.
    let case = crate::cases::open(
        store,
        tenant.id,
        "Hot spot vid Strandparken (demo)",
        "Otrygghetsskapande samlingar och nedskräpning kvällstid vid badplatsen och lekplatsen.",
        areas[2],
        "demo",
        by,
        day(-21),
    )
    .await
    .map_err(|e| est(e.to_string()))?;
    crate::cases::set_step(
        store,
        tenant.id,
        case.id,
        model::CaseStep::Analys,
        "Flest händelser fredag och lördag 20–24; många rapporter från bostadsbolaget.",
        Some(users[1].id),
        day(-14),
    )
    .await
    .map_err(|e| est(e.to_string()))?;
    let visit = crate::cases::parse_visit(
        &(today - 10.days()).to_string(),
        "fastighetsvärd, fritidsgården, fältassistenter",
        "Ungdomarna samlas vid bryggan när fritidsgården stänger kl. 21; belysningen vid stigen är trasig.",
        today,
    )
    .map_err(|e| est(format!("{e:?}")))?;
    crate::cases::add_visit(
        store,
        tenant.id,
        case.id,
        &visit,
        Some(users[1].id),
        day(-10),
    )
    .await
    .map_err(|e| est(e.to_string()))?;
    // The meeting of a week ago.
    let held_on = today - 7.days();
    let meeting = crate::meetings::plan(
        store,
        tenant,
        crate::meetings::MeetingKind::Samverkan,
        held_on,
        crate::audience::Language::Sv,
        &[],
        by,
        day(-8),
    )
    .await
    .map_err(|e| est(e.to_string()))?;
    crate::meetings::save_notes(
        store,
        tenant.id,
        meeting.id,
        "Säkerhetssamordnare, kommunpolis, rektor Skolgården Väst, bostadsbolaget, fältassistenterna",
        &[(
            0,
            "Polisen och bostadsbolaget känner igen bilden; följs upp vid nästa möte.".to_string(),
        )],
        by,
        day(-7),
    )
    .await
    .map_err(|e| est(e.to_string()))?;
    crate::meetings::decide(
        store,
        tenant.id,
        meeting.id,
        "Laga belysningen längs stigen i Strandparken",
        &orgs[0].id.to_string(),
        &(today + 14.days()).to_string(),
        &areas[2].to_string(),
        by,
        day(-7),
    )
    .await
    .map_err(|e| est(e.to_string()))?;
    crate::meetings::add_focus(
        store,
        tenant.id,
        meeting.id,
        "Strandparken kvällstid (demo)",
        Some(areas[2]),
        by,
        day(-7),
    )
    .await
    .map_err(|e| est(e.to_string()))?;
    Ok(())
}

/// Kungsör's three medborgarlöften of 2020 (../shared/seed), given for the demo's year, with
/// their activities followed up as far as the year has come.
async fn seed_promises(
    store: &dyn Store,
    tenant: &store::Tenant,
    users: &[store::User],
    now: Timestamp,
) -> Result<(), DemoError> {
    use crate::promises::{Activity, Indicator, Promise};
    let today = now.to_zoned(crate::stockholm()).date();
    let year = today.year();
    let d = |m: i8, day: i8| jiff::civil::date(year, m, day);
    // How far the year has come, for the measured values.
    let share = f64::from(today.day_of_year()) / 365.0;
    let parties = "Polisen lokalpolisområde Västra Mälardalen och Kungsörs kommun (text ur medborgarlöftena 2020)";
    let ind = |name: &str, target: f64, measured: Option<f64>, unit: &str| Indicator {
        name: name.into(),
        target,
        measured,
        unit: unit.into(),
    };
    let status = |to: jiff::civil::Date, done_by_now: bool| {
        if done_by_now && to < today {
            ActionStatus::Done
        } else if d(1, 1) <= today {
            ActionStatus::InProgress
        } else {
            ActionStatus::Planned
        }
    };
    let promises: Vec<(Promise, Vec<Activity>)> = vec![
        (
            Promise {
                year: i32::from(year),
                title: "Skolor och skolmiljö".into(),
                text: "Fördjupa samverkan mellan polisen och olika aktörer inom Kungsörs kommun gällande brottsförebyggande arbete samt trygghetsskapande åtgärder med fokus på skolor och skolmiljö i Kungsörs kommun. Syftet är att motverka brottslighet, störningar samt upplevd otrygghet i skolmiljö genom ett problemorienterat arbetssätt.".into(),
                parties: parties.into(),
            },
            vec![
                Activity {
                    title: "Kontinuerlig samverkan mot skolorna: polisen, skolan, socialtjänsten och säkerhetssamordnaren".into(),
                    responsible: "Polisen, skolan, socialtjänsten, säkerhetssamordnaren".into(),
                    planned_from: d(1, 1),
                    planned_to: d(12, 31),
                    status: status(d(12, 31), false),
                    indicators: vec![ind("Samverkansträffar om skolorna", 20.0, Some((20.0 * share).round()), "st")],
                },
                Activity {
                    title: "Planera och genomföra aktiviteter för förebyggande arbete och trygghet i skolmiljö".into(),
                    responsible: "Polisen, skolan, socialtjänsten, säkerhetssamordnaren".into(),
                    planned_from: d(3, 1),
                    planned_to: d(11, 30),
                    status: status(d(11, 30), false),
                    indicators: vec![ind("Genomförda aktiviteter", 6.0, Some((6.0 * share).floor()), "st")],
                },
                Activity {
                    title: "Arbetssätt för att mobilisera föräldrar, ungdomar och andra aktörer vid brott, störningar och otrygghet i skolmiljö".into(),
                    responsible: "Polisen, skolan, socialtjänsten, säkerhetssamordnaren".into(),
                    planned_from: d(2, 1),
                    planned_to: d(6, 30),
                    status: status(d(6, 30), true),
                    indicators: vec![ind("Skolor med mobiliseringslista", 3.0, Some(3.0), "st")],
                },
            ],
        ),
        (
            Promise {
                year: i32::from(year),
                title: "Hot spots".into(),
                text: "Utveckla arbetet med återkommande brott eller störningar som identifierats till vissa specifika platser eller områden (hot spots) inom Kungsörs kommun.".into(),
                parties: parties.into(),
            },
            vec![
                Activity {
                    title: "Kartlägga, analysera, vidta lämpliga aktiviteter och följa upp identifierade hot spots".into(),
                    responsible: "Polisen och Kungsörs kommun".into(),
                    planned_from: d(1, 1),
                    planned_to: d(12, 31),
                    status: status(d(12, 31), false),
                    indicators: vec![ind("Hot spot-ärenden som följts upp", 4.0, Some((4.0 * share).floor()), "st")],
                },
                Activity {
                    title: "Besök och samtal med berörda i identifierade hot spots".into(),
                    responsible: "Polisen och Kungsörs kommun".into(),
                    planned_from: d(4, 1),
                    planned_to: d(10, 31),
                    status: status(d(10, 31), true),
                    indicators: vec![ind("Genomförda besök och samtal", 10.0, Some((10.0 * share).round()), "st")],
                },
            ],
        ),
        (
            Promise {
                year: i32::from(year),
                title: "Lokal lägesbild och EST".into(),
                text: "Polisen och Kungsörs kommun arbetar kontinuerligt med att upprätta en samlad lokal lägesbild för att följa brott, störningar och andra problem i kommunen, med metoden effektiv samordning för trygghet (EST).".into(),
                parties: parties.into(),
            },
            vec![
                Activity {
                    title: "Upprätta lokal lägesbild löpande, med samverkansmöte varannan vecka".into(),
                    responsible: "Polisen och Kungsörs kommun".into(),
                    planned_from: d(1, 1),
                    planned_to: d(12, 31),
                    status: status(d(12, 31), false),
                    indicators: vec![ind("Samverkansmöten", 24.0, Some((24.0 * share).floor()), "st")],
                },
                Activity {
                    title: "Implementera digitalt stöd för att rapportera, kartlägga och analysera händelser".into(),
                    responsible: "Kungsörs kommun".into(),
                    planned_from: d(1, 1),
                    planned_to: d(6, 30),
                    status: status(d(6, 30), true),
                    indicators: vec![ind("Utbildade rapportörer", 40.0, Some(46.0), "st")],
                },
                Activity {
                    title: "Strategiskt möte med aktörer på ledningsnivå".into(),
                    responsible: "Polisen och Kungsörs kommun".into(),
                    planned_from: d(10, 1),
                    planned_to: d(12, 15),
                    status: ActionStatus::Planned,
                    indicators: vec![ind("Strategiska möten", 1.0, Some(0.0), "st")],
                },
            ],
        ),
    ];
    let by = users.first().map(|u| u.id);
    // Signed in January (or now, early in January).
    let at = d(1, 2)
        .to_zoned(crate::stockholm())
        .map_or(now, |z| z.timestamp())
        .min(now);
    for (p, acts) in promises {
        let r = crate::promises::create_promise(store, tenant.id, &p, by, at).await?;
        for a in acts {
            crate::promises::add_activity(store, tenant.id, r.id, &a, by, at).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use store::{Actor, IncidentFilter, IncidentQuery};

    #[tokio::test]
    async fn seeds_once_with_clustered_evening_heavy_data() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_sqlite::SqliteStore::open(dir.path().join("d.db").to_str().unwrap())
            .await
            .unwrap();
        let now: Timestamp = "2026-11-27T12:00:00Z".parse().unwrap();
        let police = crate::shared_data("data/polisen/events-2022-09-to-2026-08.jsonl.gz");
        let report = seed(&store, Some(&police), now, 7).await.unwrap().unwrap();
        assert_eq!(report.logins.len(), 6);
        assert_eq!(report.tenant.code, "1960");
        let summary = report.police.as_ref().unwrap();
        assert!(summary.stored.inserted > 30, "{summary:?}");
        assert!(
            seed(&store, Some(&police), now, 7).await.unwrap().is_none(),
            "second run must not seed again"
        );
        // The demo's actions: one done with an effect to evaluate, one overdue.
        let tid = report.tenant.id;
        let actions = store
            .actions(tid, &store::ActionFilter::default())
            .await
            .unwrap();
        // Four planned, and the one the demo's meeting decided.
        assert_eq!(actions.len(), 5);
        // One case in its second step with a visit, one meeting held a week ago with notes, a
        // decision and a focus area: the EST pages are not empty on the first start.
        let cases = store
            .records(tid, model::RecordKind::Case, None)
            .await
            .unwrap();
        assert_eq!(cases.len(), 1);
        let case = crate::cases::case_of(&cases[0]).unwrap();
        assert_eq!(case.step, model::CaseStep::Analys);
        assert_eq!(
            store
                .records(tid, model::RecordKind::Visit, Some(cases[0].id))
                .await
                .unwrap()
                .len(),
            1
        );
        let meetings = store
            .records(tid, model::RecordKind::Meeting, None)
            .await
            .unwrap();
        assert_eq!(meetings.len(), 1);
        let m = crate::meetings::meeting_of(&meetings[0]).unwrap();
        assert!(m.held_on < now.to_zoned(crate::stockholm()).date());
        assert!(!m.agenda.is_empty() && !m.agenda[0].notes.is_empty());
        assert_eq!(m.decisions.len(), 1);
        assert!(m.decisions[0].action_id.is_some());
        assert_eq!(m.focus_areas.len(), 1);
        // Kungsör's three promises for the year, with their eight activities.
        let year = now.to_zoned(crate::stockholm()).year();
        let promises = crate::promises::of_year(&store, tid, i32::from(year))
            .await
            .unwrap();
        assert_eq!(promises.len(), 3);
        assert_eq!(promises.iter().map(|(_, a)| a.len()).sum::<usize>(), 8);
        assert_eq!(promises[1].0.1.title, "Hot spots");
        let today = now.to_zoned(crate::stockholm()).date();
        assert_eq!(actions.iter().filter(|a| a.overdue(today)).count(), 1);

        let admin = store
            .user_credentials(&Email::parse(&report.logins[0].email).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert!(crate::auth::verify_password(
            &report.logins[0].password,
            &admin.1
        ));
        let actor: Actor = admin.0.actor();
        let lighting = actions
            .iter()
            .find(|a| a.status == ActionStatus::Done)
            .unwrap();
        match crate::actions::evaluate(&store, &actor, lighting, now)
            .await
            .unwrap()
        {
            crate::actions::Evaluation::Ready {
                days, control, wdq, ..
            } => {
                assert_eq!(days, 90);
                assert!(control.0 > 0 && control.1 > 0, "{control:?}");
                assert!(wdq.is_some());
            }
            other => panic!("{other:?}"),
        }
        let all = store
            .list_incidents(
                &actor,
                &IncidentQuery {
                    limit: 10_000,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        // The coordinator sees everything but other organisations' own-organisation reports (5 %).
        let total = SYNTHETIC_INCIDENTS + summary.stored.inserted as usize;
        assert!(
            all.len() < total && all.len() as f64 > 0.9 * total as f64,
            "{} of {total}",
            all.len()
        );
        assert!(all.iter().all(|i| actor.may_see(
            i.visibility,
            i.org_id,
            i.user_id,
            model::ReporterView::Map,
            store::Purpose::Read
        )));
        let demo: Vec<_> = all.iter().filter(|i| i.source == Source::Demo).collect();
        // Evening and night (18–02) hold far more than their share (9 of 24 hours).
        let tz = crate::stockholm();
        let evening = demo
            .iter()
            .filter(|i| {
                let h = i.occurred_from.to_zoned(tz.clone()).hour();
                !(3..18).contains(&h)
            })
            .count();
        assert!(
            evening as f64 / demo.len() as f64 > 0.5,
            "{evening} of {}",
            demo.len()
        );
        // Clustering: the busiest area holds more than its share of the territory by far.
        let places = store.places(report.tenant.id).await.unwrap();
        let centrum = places
            .iter()
            .find(|p| p.name.starts_with("Centrum"))
            .unwrap();
        let in_centrum = store
            .count_incidents(
                &actor,
                &IncidentFilter {
                    area_id: Some(centrum.id),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert!(in_centrum > 300, "{in_centrum}");
        assert!(
            places
                .iter()
                .all(|p| p.is_demo && p.name.ends_with("(demo)"))
        );
        // Police events are coarse.
        assert!(
            all.iter()
                .filter(|i| i.source == Source::ImportPolisen)
                .all(|i| i.precision == Precision::Municipality)
        );
        // Two years.
        let oldest = demo.iter().map(|i| i.occurred_from).min().unwrap();
        assert!(now.duration_since(oldest).as_hours() > 24 * 700);
    }
}
