//! Reporting an incident: the checks that need the tenant's taxonomy, places and outline, then
//! the coordinate transform, and storing it.

use geo::{GeoError, MultiPolygon, to_sweref99tm};
use jiff::Timestamp;
use model::{FieldError, IncidentDraft, IncidentStatus, Precision, Source, ValidIncident};
use store::{Category, NewIncident, Place, PlaceId, PlaceKind, Store, StoreError, Tenant, User};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("the report has {} invalid field(s): {}", .0.len(), .0.iter().map(|e| format!("{} ({}: {:?})", e.field, e.code, e.value)).collect::<Vec<_>>().join(", "))]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stored geometry of {what} is invalid: {source}")]
    Geometry {
        what: String,
        #[source]
        source: GeoError,
    },
}

/// A tenant's outline and areas, parsed for point-in-polygon tests.
pub struct TenantGeo {
    pub outline: MultiPolygon,
    pub places: Vec<Place>,
    areas: Vec<(PlaceId, MultiPolygon)>,
}

impl TenantGeo {
    pub fn new(tenant: &Tenant, places: Vec<Place>) -> Result<Self, ReportError> {
        let outline =
            MultiPolygon::from_geojson_str(&tenant.outline_geojson).map_err(|source| {
                ReportError::Geometry {
                    what: format!("tenant {}", tenant.code),
                    source,
                }
            })?;
        let mut areas = Vec::new();
        for p in places.iter().filter(|p| p.kind == PlaceKind::Area) {
            let shape = MultiPolygon::from_geojson_str(&p.geometry_geojson).map_err(|source| {
                ReportError::Geometry {
                    what: format!("place {} ({})", p.id, p.name),
                    source,
                }
            })?;
            areas.push((p.id, shape));
        }
        Ok(TenantGeo {
            outline,
            places,
            areas,
        })
    }

    pub fn areas_containing(&self, lon: f64, lat: f64) -> Vec<PlaceId> {
        self.areas
            .iter()
            .filter(|(_, shape)| shape.contains(lon, lat))
            .map(|(id, _)| *id)
            .collect()
    }

    /// The areas an incident at (lon, lat) lies in, and the area it was placed by (an
    /// area's centre may lie outside a ring-shaped area).
    pub fn areas_of(&self, lon: f64, lat: f64, placed_by: Option<&Place>) -> Vec<PlaceId> {
        let mut ids = self.areas_containing(lon, lat);
        if let Some(p) = placed_by
            && p.kind == PlaceKind::Area
            && !ids.contains(&p.id)
        {
            ids.push(p.id);
        }
        ids
    }

    pub fn place(&self, id: PlaceId) -> Option<&Place> {
        self.places.iter().find(|p| p.id == id)
    }
}

/// Turns a validated draft into a storable incident, or says which fields are wrong.
pub fn prepare(
    tenant: &Tenant,
    categories: &[Category],
    geo: &TenantGeo,
    user: &User,
    v: ValidIncident,
    source: Source,
    now: Timestamp,
) -> Result<NewIncident, Vec<FieldError>> {
    let mut errors = Vec::new();
    if !categories
        .iter()
        .any(|c| c.code == v.category && !c.retired)
    {
        errors.push(FieldError::new(
            "category",
            "error-invalid-choice",
            v.category.as_str(),
        ));
    }
    let place = match v.place_id {
        None => None,
        Some(id) => match geo.place(id) {
            Some(p) => Some(p),
            None => {
                errors.push(FieldError::new(
                    "place_id",
                    "error-invalid-choice",
                    id.to_string(),
                ));
                None
            }
        },
    };
    if let Some(id) = v.school_id
        && !geo.place(id).is_some_and(|p| p.is_school)
    {
        errors.push(FieldError::new(
            "school_id",
            "error-invalid-choice",
            id.to_string(),
        ));
    }
    let (lon, lat, precision) = match (v.point, place) {
        (Some(p), _) => (p.lon, p.lat, Precision::Exact),
        (None, Some(p)) => (
            p.lon,
            p.lat,
            if p.kind == PlaceKind::Area {
                Precision::Area
            } else {
                Precision::Place
            },
        ),
        // The place id was wrong; its error is already recorded.
        (None, None) => (0.0, 0.0, Precision::Exact),
    };
    let inside = geo.outline.contains(lon, lat);
    if v.point.is_some() && !inside && !v.confirm_outside {
        errors.push(FieldError::new(
            "lat",
            "error-outside-municipality",
            format!("{lat}, {lon}"),
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let area_ids = geo.areas_of(lon, lat, place);
    let sweref = to_sweref99tm(lon, lat);
    Ok(NewIncident {
        category: v.category,
        occurred_from: v.occurred.from(),
        occurred_to: v.occurred.to(),
        lon,
        lat,
        e: sweref.e,
        n: sweref.n,
        precision,
        place_id: v.place_id,
        area_ids,
        place_text: v.place_text,
        municipality_code: inside.then(|| tenant.code.clone()),
        description: v.description.into_string(),
        school_id: v.school_id,
        persons_involved: v.persons_involved,
        visibility: v.visibility.unwrap_or(tenant.default_visibility),
        status: IncidentStatus::New,
        source,
        external_id: None,
        external_url: None,
        org_id: user.org_id,
        user_id: Some(user.id),
        created_at: now,
        same_as: v.same_as,
    })
}

/// Events one report may hold (a school's Monday round is a handful).
pub const MAX_EVENTS: usize = 20;

/// A report from the field: its events validated and checked one by one (an event's field
/// errors named by `name(event index, field)`), then stored together, once per `key`. Each
/// "same as" must be an incident the reporter may see.
pub async fn submit(
    store: &dyn Store,
    user: &User,
    events: &[IncidentDraft],
    key: Option<&str>,
    source: Source,
    now: Timestamp,
    name: impl Fn(usize, &str) -> String,
) -> Result<store::ReportReceipt, ReportError> {
    if events.is_empty() || events.len() > MAX_EVENTS {
        return Err(ReportError::Invalid(vec![FieldError::new(
            "events",
            "error-event-count",
            events.len().to_string(),
        )]));
    }
    let store::TenantSetup {
        tenant,
        categories,
        places,
    } = store
        .tenant_setup(user.tenant_id)
        .await?
        .ok_or(StoreError::NotFound {
            what: "tenant",
            id: user.tenant_id.to_string(),
        })?;
    let geo = TenantGeo::new(&tenant, places.to_vec())?;
    let mut errors = Vec::new();
    let mut incidents = Vec::with_capacity(events.len());
    for (k, draft) in events.iter().enumerate() {
        let checked = match draft.validate(now, &crate::stockholm()) {
            Ok(valid) => {
                let mut same_as_hidden = None;
                if let Some(id) = valid.same_as
                    && store.incident(&user.actor(), id).await?.is_none()
                {
                    same_as_hidden = Some(FieldError::new(
                        "same_as",
                        "error-invalid-choice",
                        id.to_string(),
                    ));
                }
                match (
                    prepare(&tenant, &categories, &geo, user, valid, source, now),
                    same_as_hidden,
                ) {
                    (Ok(n), None) => Ok(n),
                    (Ok(_), Some(e)) => Err(vec![e]),
                    (Err(mut list), hidden) => {
                        list.extend(hidden);
                        Err(list)
                    }
                }
            }
            Err(list) => Err(list),
        };
        match checked {
            Ok(n) => incidents.push(n),
            Err(list) => errors.extend(list.into_iter().map(|mut e| {
                e.field = name(k, &e.field);
                e
            })),
        }
    }
    if !errors.is_empty() {
        return Err(ReportError::Invalid(errors));
    }
    let digest = store::audit::sha256_hex(&serde_json::to_string(events).unwrap_or_default());
    let receipt = store
        .submit_report(
            tenant.id,
            &store::NewReport {
                user_id: user.id,
                client_key: key.map(str::to_string),
                request_digest: digest,
                incidents,
                created_at: now,
            },
        )
        .await?;
    Ok(receipt)
}
