//! Citizen tips (trygghetstips): what anyone may report without signing in, from the public
//! page or an Open311 client, checked the same way for both, screened, and put in the
//! coordinator's moderation queue. The tipster keeps a receipt link (a secret; the store
//! keeps its hash) to follow the status and read the public answer.

use jiff::Timestamp;
use model::{CategoryCode, Email, FieldError, IncidentStatus, Precision, Source, TipChannel};
use store::{Category, NewIncident, NewTip, OrgId, Tenant, Tip};

/// The longest tip text (a tip is a few sentences; the store's own limit is higher).
pub const MAX_TEXT: usize = 2_000;
const MAX_PLACE: usize = 200;

/// The categories the public may choose: the tenant's top-level categories in use.
pub fn citizen_categories(categories: &[Category]) -> Vec<&Category> {
    categories
        .iter()
        .filter(|c| c.parent.is_none() && !c.retired)
        .collect()
}

/// A tip as submitted, every value as text.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct TipDraft {
    pub category: String,
    pub description: String,
    pub place_text: String,
    pub lat: String,
    pub lon: String,
    /// Local time (`2026-11-27T21:30`) or an RFC 3339 instant.
    pub occurred: String,
    pub email: String,
}

/// A checked tip, ready for the store but for its receipt.
pub struct ValidTip {
    pub category: CategoryCode,
    pub description: String,
    pub place_text: String,
    pub point: Option<(f64, f64)>,
    pub occurred_at: Option<Timestamp>,
    pub email: Option<Email>,
    pub redacted: u32,
}

fn number(v: &str) -> Option<f64> {
    v.trim()
        .replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
}

/// Checks a draft against the tenant's categories and outline; every problem at once, each
/// with its field (codes are Fluent message ids).
pub fn validate(
    d: &TipDraft,
    categories: &[Category],
    tenant: &Tenant,
    now: Timestamp,
) -> Result<ValidTip, Vec<FieldError>> {
    let mut errors = Vec::new();
    let category = match citizen_categories(categories)
        .into_iter()
        .find(|c| c.code.as_str() == d.category.trim())
    {
        Some(c) => Some(c.code.clone()),
        None => {
            errors.push(FieldError::new(
                "category",
                "error-invalid-choice",
                &d.category,
            ));
            None
        }
    };
    let text = d.description.trim();
    if text.is_empty() {
        errors.push(FieldError::new("description", "error-required", ""));
    } else if text.chars().count() > MAX_TEXT || model::Description::parse(text).is_err() {
        errors.push(FieldError::new(
            "description",
            "error-description",
            text.chars().take(40).collect::<String>(),
        ));
    }
    let place = d.place_text.trim();
    if place.chars().count() > MAX_PLACE || place.chars().any(|c| c.is_control()) {
        errors.push(FieldError::new(
            "place_text",
            "error-too-long-200",
            place.chars().take(40).collect::<String>(),
        ));
    }
    let point = match (d.lat.trim(), d.lon.trim()) {
        ("", "") => None,
        (lat, lon) => match (number(lat), number(lon)) {
            (Some(lat), Some(lon)) => {
                let outline = geo::MultiPolygon::from_geojson_str(&tenant.outline_geojson).ok();
                if outline.is_some_and(|o| o.contains(lon, lat)) {
                    Some((lon, lat))
                } else {
                    errors.push(FieldError::new(
                        "lat",
                        "error-outside-municipality",
                        format!("{lat}, {lon}"),
                    ));
                    None
                }
            }
            _ => {
                errors.push(FieldError::new(
                    "lat",
                    "error-latitude",
                    format!("{lat}, {lon}"),
                ));
                None
            }
        },
    };
    let occurred_at = match d.occurred.trim() {
        "" => None,
        v => match model::dates::instant(v).or_else(|| model::dates::local(v, &crate::stockholm()))
        {
            Some(t) if t <= now + jiff::SignedDuration::from_mins(5) => Some(t),
            Some(_) => {
                errors.push(FieldError::new("occurred", "error-time-future", v));
                None
            }
            None => {
                errors.push(FieldError::new("occurred", "error-time", v));
                None
            }
        },
    };
    let email = match d.email.trim() {
        "" => None,
        v => match Email::parse(v) {
            Ok(e) => Some(e),
            Err(_) => {
                errors.push(FieldError::new("email", "error-email", v));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let clean = |v: &str| model::screening::redact_counted(v, crate::fields::stored_placeholder);
    let ((description, in_text), (place_text, in_place)) = (clean(text), clean(place));
    let redacted = in_text + in_place;
    Ok(ValidTip {
        category: category.expect("checked above"),
        description,
        place_text,
        point,
        occurred_at,
        email,
        redacted: redacted as u32,
    })
}

/// A new receipt: the secret for the tipster's link and the hash the store keeps; and the
/// public Open311 token.
pub fn receipt() -> (String, String, String) {
    let secret = crate::auth::new_secret();
    let hash = crate::auth::hash_secret(&secret);
    let token = crate::auth::new_secret()[..16].to_string();
    (secret, hash, token)
}

impl ValidTip {
    pub fn into_new(
        self,
        tenant: &Tenant,
        channel: TipChannel,
        partner_id: Option<i64>,
        receipt_hash: String,
        token: String,
        now: Timestamp,
    ) -> NewTip {
        NewTip {
            tenant_id: tenant.id,
            receipt_hash,
            token,
            channel,
            category: self.category,
            description: self.description,
            place_text: self.place_text,
            point: self.point,
            occurred_at: self.occurred_at,
            email: self.email,
            partner_id,
            redacted: self.redacted,
            created_at: now,
        }
    }
}

/// The incident a tip becomes when the coordinator accepts it: the tip's point (or, without
/// one, the municipality as a whole), its time (or when it came), its text, shared with all
/// partners unless the coordinator chooses otherwise, reported by the coordinator's
/// organisation and reviewed.
pub fn incident_from(
    tip: &Tip,
    tenant: &Tenant,
    category: CategoryCode,
    visibility: model::Visibility,
    org: OrgId,
    areas: &crate::reporting::TenantGeo,
    now: Timestamp,
) -> NewIncident {
    let (lon, lat, precision) = match tip.point {
        Some((lon, lat)) => (lon, lat, Precision::Exact),
        None => {
            let (lon, lat) = areas.outline.representative_point();
            (lon, lat, Precision::Municipality)
        }
    };
    let p = geo::to_sweref99tm(lon, lat);
    let at = tip.occurred_at.unwrap_or(tip.created_at);
    NewIncident {
        category,
        occurred_from: at,
        occurred_to: at,
        lon,
        lat,
        e: p.e,
        n: p.n,
        precision,
        place_id: None,
        area_ids: if precision == Precision::Exact {
            areas.areas_containing(lon, lat)
        } else {
            vec![]
        },
        place_text: (!tip.place_text.is_empty()).then(|| tip.place_text.clone()),
        municipality_code: Some(tenant.code.clone()),
        description: tip.description.clone(),
        school_id: None,
        persons_involved: None,
        visibility,
        status: IncidentStatus::Reviewed,
        source: match tip.channel {
            TipChannel::Web => Source::Public,
            TipChannel::Open311 => Source::Open311,
        },
        external_id: None,
        external_url: None,
        org_id: org,
        user_id: None,
        created_at: now,
        same_as: None,
    }
}

/// A position as public outputs show it: the centre of the 250 m SWEREF 99 TM cell it lies
/// in, so a tip made at a private address never points at the house.
pub fn coarse(lon: f64, lat: f64) -> (f64, f64) {
    const CELL: f64 = 250.0;
    let p = geo::to_sweref99tm(lon, lat);
    let e = (p.e / CELL).floor() * CELL + CELL / 2.0;
    let n = (p.n / CELL).floor() * CELL + CELL / 2.0;
    geo::from_sweref99tm(geo::Sweref99Tm { e, n })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> Tenant {
        let m = crate::municipality("1960").unwrap();
        Tenant {
            id: 1,
            code: "1960".into(),
            name: "Kungsör".into(),
            outline_geojson: m.outline.to_geojson().to_string(),
            default_visibility: model::Visibility::AllPartners,
            map_style_url: None,
            retention_action: model::RetentionAction::Anonymise,
            reporter_view: model::ReporterView::Own,
        }
    }

    #[test]
    fn a_tip_is_checked_and_screened() {
        let cats = crate::taxonomy::est_defaults(1);
        let now: Timestamp = "2026-11-27T12:00:00Z".parse().unwrap();
        let d = TipDraft {
            category: "otrygg-plats".into(),
            description: "Mörkt i tunneln, ring mig 070-123 45 67".into(),
            lat: "59,4224".into(),
            lon: "16,0978".into(),
            occurred: "2026-11-26T21:30".into(),
            ..Default::default()
        };
        let v = validate(&d, &cats, &tenant(), now).unwrap();
        assert_eq!(
            v.description,
            "Mörkt i tunneln, ring mig [telefonnummer borttaget]"
        );
        assert_eq!(v.redacted, 1);
        assert_eq!(v.occurred_at, Some("2026-11-26T20:30:00Z".parse().unwrap()));
        let bad = TipDraft {
            category: "skadegorelse-klotter".into(),
            description: " ".into(),
            lat: "59.33".into(),
            lon: "18.06".into(),
            occurred: "2027-01-01T10:00".into(),
            email: "inte en adress".into(),
            ..Default::default()
        };
        let fields: Vec<String> = validate(&bad, &cats, &tenant(), now)
            .err()
            .unwrap()
            .into_iter()
            .map(|e| format!("{}:{}", e.field, e.code))
            .collect();
        assert_eq!(
            fields,
            vec![
                "category:error-invalid-choice",
                "description:error-required",
                "lat:error-outside-municipality",
                "occurred:error-time-future",
                "email:error-email"
            ],
            "a sub-category is not offered to the public"
        );
    }

    #[test]
    fn public_positions_are_cells() {
        let (lon, lat) = coarse(16.0978, 59.4224);
        let a = geo::to_sweref99tm(lon, lat);
        assert!((a.e % 250.0 - 125.0).abs() < 0.01 && (a.n % 250.0 - 125.0).abs() < 0.01);
        assert_eq!(coarse(16.0978, 59.4224), coarse(16.0979, 59.4225));
    }
}
