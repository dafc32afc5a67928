//! The tenant's words and places: incident categories, places and areas. A new area takes
//! the incidents already reported inside it (`incident_areas`).

use crate::SqlStore;
use crate::audit::log;
use crate::exec::{Backend, Row, Sql};
use jiff::Timestamp;
use model::CategoryCode;
use store::backend::{audit, parsed};
use store::{Category, NewPlace, Place, PlaceKind, Result, StoreError, TenantId, sort_swedish};

fn place_row(r: &impl Row) -> Result<Place> {
    let id = r.int("id")?;
    let kind = r.str("kind")?;
    Ok(Place {
        tenant_id: r.int("tenant_id")?,
        id,
        name: r.text("name")?,
        kind: match kind {
            "area" => PlaceKind::Area,
            "point" => PlaceKind::Point,
            _ => return parsed("places", id, "kind", kind, Err(())),
        },
        is_school: r.flag("is_school")?,
        geometry_geojson: r.text("geometry_geojson")?,
        lon: r.real("lon")?,
        lat: r.real("lat")?,
        is_demo: r.flag("is_demo")?,
    })
}

fn code(tenant: TenantId, field: &'static str, v: &str) -> Result<CategoryCode> {
    parsed("categories", tenant, field, v, CategoryCode::parse(v))
}

pub async fn upsert_category<B: Backend>(
    s: &SqlStore<B>,
    c: &Category,
    by: Option<store::UserId>,
) -> Result<()> {
    let mut tx = s.begin().await?;
    let before = tx
        .optional(
            Sql::new(
                "SELECT name_sv, name_en, parent_code, color, retired, retention_months \
                 FROM categories WHERE tenant_id = ? AND code = ?",
            )
            .bind(c.tenant_id)
            .bind(c.code.as_str()),
        )
        .await?
        .map(|r| -> Result<String> {
            Ok(serde_json::json!({
                "name_sv": r.str("name_sv")?,
                "name_en": r.str("name_en")?,
                "parent": r.opt_str("parent_code")?,
                "color": r.str("color")?,
                "retired": r.int("retired")?,
                "retention_months": r.opt_int("retention_months")?,
            })
            .to_string())
        })
        .transpose()?;
    tx.execute(
        Sql::new(
            "INSERT INTO categories (tenant_id, code, parent_code, name_sv, name_en, color, \
             sort_order, retired, retention_months) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (tenant_id, code) DO UPDATE SET parent_code = excluded.parent_code, \
             name_sv = excluded.name_sv, name_en = excluded.name_en, color = excluded.color, \
             sort_order = excluded.sort_order, retired = excluded.retired, \
             retention_months = excluded.retention_months",
        )
        .bind(c.tenant_id)
        .bind(c.code.as_str())
        .bind(c.parent.as_ref().map(|p| p.as_str()))
        .bind(&c.name_sv)
        .bind(&c.name_en)
        .bind(&c.color)
        .bind(c.sort_order)
        .bind(c.retired)
        .bind(c.retention_months.map(i64::from)),
    )
    .await?;
    let mut entry = audit(
        Timestamp::now(),
        by,
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
    log(&mut tx, c.tenant_id, &entry).await?;
    tx.commit().await
}

pub async fn categories<B: Backend>(s: &SqlStore<B>, tenant: TenantId) -> Result<Vec<Category>> {
    s.read()
        .await?
        .all(
            Sql::new(
                "SELECT tenant_id, code, parent_code, name_sv, name_en, color, sort_order, retired, \
                 retention_months FROM categories WHERE tenant_id = ? ORDER BY sort_order, code",
            )
            .bind(tenant),
        )
        .await?
        .iter()
        .map(|r| {
            Ok(Category {
                tenant_id: r.int("tenant_id")?,
                code: code(tenant, "code", r.str("code")?)?,
                parent: r
                    .opt_str("parent_code")?
                    .map(|p| code(tenant, "parent_code", p))
                    .transpose()?,
                name_sv: r.text("name_sv")?,
                name_en: r.text("name_en")?,
                color: r.text("color")?,
                sort_order: r.int("sort_order")?,
                retired: r.flag("retired")?,
                retention_months: r
                    .opt_int("retention_months")?
                    .map(|m| m.clamp(0, 1200) as u32),
            })
        })
        .collect()
}

pub async fn create_place<B: Backend>(s: &SqlStore<B>, p: &NewPlace) -> Result<Place> {
    let mut tx = s.begin().await?;
    let id = s.next_ids(tx.conn(), "places", 1).await?;
    tx.execute(
        Sql::new(
            "INSERT INTO places (tenant_id, id, name, kind, is_school, geometry_geojson, lon, lat, \
             is_demo) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(p.tenant_id)
        .bind(id)
        .bind(&p.name)
        .bind(p.kind.as_str())
        .bind(p.is_school)
        .bind(&p.geometry_geojson)
        .bind(p.lon)
        .bind(p.lat)
        .bind(p.is_demo),
    )
    .await?;
    if let Some(shapes) = B::PLACE_SHAPES {
        tx.execute(
            Sql::new(format!("{shapes} AND id = ?"))
                .bind(p.tenant_id)
                .bind(id),
        )
        .await?;
    }
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
        let rows = tx
            .all(
                Sql::new(
                    "SELECT id, lon, lat FROM incidents WHERE tenant_id = ? \
                     AND precision != 'municipality' AND lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?",
                )
                .bind(p.tenant_id)
                .bind(w)
                .bind(e)
                .bind(so)
                .bind(n),
            )
            .await?;
        let mut inside = Vec::new();
        for r in &rows {
            if shape.contains(r.real("lon")?, r.real("lat")?) {
                inside.push(r.int("id")?);
            }
        }
        for incident in inside {
            tx.execute(
                Sql::new(
                    "INSERT INTO incident_areas (tenant_id, area_id, incident_id) VALUES (?, ?, ?)",
                )
                .bind(p.tenant_id)
                .bind(id)
                .bind(incident),
            )
            .await?;
        }
    }
    let mut entry = audit(Timestamp::now(), p.by, "place.create", "place", id);
    entry.after = Some(
        serde_json::json!({ "name": p.name, "kind": p.kind.as_str(), "is_school": p.is_school, "is_demo": p.is_demo })
            .to_string(),
    );
    log(&mut tx, p.tenant_id, &entry).await?;
    tx.commit().await?;
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

pub async fn places<B: Backend>(s: &SqlStore<B>, tenant: TenantId) -> Result<Vec<Place>> {
    let mut places = s
        .read()
        .await?
        .all(
            Sql::new(
                "SELECT tenant_id, id, name, kind, is_school, geometry_geojson, lon, lat, is_demo \
                 FROM places WHERE tenant_id = ? ORDER BY name, id",
            )
            .bind(tenant),
        )
        .await?
        .iter()
        .map(place_row)
        .collect::<Result<Vec<_>>>()?;
    sort_swedish(&mut places, |p| &p.name);
    Ok(places)
}

/// Runs a backend's area statistics statement (columns `id`, `n`; see `Backend::area_counts`).
pub async fn area_counts<B: Backend>(db: &B, q: Sql<'_>) -> Result<Vec<(store::PlaceId, u64)>> {
    let mut c = crate::Cx::<B, _>::new(db.readers().acquire().await.map_err(crate::backend)?);
    c.all(q)
        .await?
        .iter()
        .map(|r| Ok((r.int("id")?, r.int("n")?.max(0) as u64)))
        .collect()
}
