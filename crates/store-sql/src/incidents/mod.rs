//! Incidents: who may see which (`scope`, the SQL of `Actor::may_see`), the filters of the
//! list, map and statistics, and a row decoded once. Reading is in `read`, writing (reports,
//! batches, imports, status changes, redaction) in `write`.

pub mod read;
pub mod write;

use crate::exec::{Row, Sql};
use model::{CategoryCode, IncidentStatus, Precision, Role, Source, Visibility};
use store::backend::{from_ts, parsed, ts, world_box};
use store::{Actor, Incident, IncidentFilter, Purpose, Result};

/// An incident's columns over `INCIDENT_FROM`.
pub const INCIDENT_COLS: &str = "i.tenant_id, i.id, i.category_code, i.occurred_from, \
    i.occurred_to, i.lon, i.lat, i.e, i.n, i.precision, i.place_id, p.name AS place_name, \
    i.place_text, i.municipality_code, i.description, i.school_id, sc.name AS school_name, \
    i.persons_involved, i.visibility, i.status, i.source, i.external_id, i.external_url, \
    i.org_id, o.name AS org_name, i.user_id, i.created_at, i.updated_at, i.report_id, \
    i.same_as";
pub const INCIDENT_FROM: &str = "incidents i \
    JOIN organisations o ON o.tenant_id = i.tenant_id AND o.id = i.org_id \
    LEFT JOIN places p ON p.tenant_id = i.tenant_id AND p.id = i.place_id \
    LEFT JOIN places sc ON sc.tenant_id = i.tenant_id AND sc.id = i.school_id";

const T: &str = "incidents";

pub fn incident_row(r: &impl Row) -> Result<Incident> {
    let id = r.int("id")?;
    let cat = r.str("category_code")?;
    let precision = r.str("precision")?;
    let vis = r.str("visibility")?;
    let status = r.str("status")?;
    let source = r.str("source")?;
    let at = |field: &'static str| from_ts(T, id, field, r.int(field)?);
    Ok(Incident {
        tenant_id: r.int("tenant_id")?,
        id,
        category: parsed(T, id, "category_code", cat, CategoryCode::parse(cat))?,
        occurred_from: at("occurred_from")?,
        occurred_to: at("occurred_to")?,
        lon: r.real("lon")?,
        lat: r.real("lat")?,
        e: r.real("e")?,
        n: r.real("n")?,
        precision: parsed(T, id, "precision", precision, Precision::parse(precision))?,
        place_id: r.opt_int("place_id")?,
        place_name: r.opt_text("place_name")?,
        place_text: r.opt_text("place_text")?,
        municipality_code: r.opt_text("municipality_code")?,
        description: r.text("description")?,
        school_id: r.opt_int("school_id")?,
        school_name: r.opt_text("school_name")?,
        persons_involved: match r.opt_int("persons_involved")? {
            None => None,
            Some(p) => Some(parsed(
                T,
                id,
                "persons_involved",
                &p.to_string(),
                u32::try_from(p),
            )?),
        },
        visibility: parsed(T, id, "visibility", vis, Visibility::parse(vis))?,
        status: parsed(T, id, "status", status, IncidentStatus::parse(status))?,
        source: parsed(T, id, "source", source, Source::parse(source))?,
        external_id: r.opt_text("external_id")?,
        external_url: r.opt_text("external_url")?,
        org_id: r.int("org_id")?,
        org_name: r.text("org_name")?,
        user_id: r.opt_int("user_id")?,
        created_at: at("created_at")?,
        updated_at: at("updated_at")?,
        report_id: r.opt_int("report_id")?,
        same_as: r.opt_int("same_as")?,
    })
}

/// The tenant scope and visibility rule of [`Actor::may_see`], as SQL over alias `i`: the
/// statement's `WHERE`. The conformance suite checks it against `may_see` for every role,
/// visibility, reporter view and purpose.
pub fn scope(actor: &Actor, purpose: Purpose, q: &mut Sql<'_>) {
    q.push(" WHERE i.tenant_id = ?").arg(actor.tenant_id);
    match actor.role {
        Role::Admin | Role::Analyst => {
            q.push(
                " AND (i.visibility IN ('all_partners', 'police_and_coordinator') \
                 OR i.org_id = ? OR i.user_id = ?)",
            )
            .arg(actor.org_id)
            .arg(actor.user_id);
        }
        Role::Reporter => {
            let views = match purpose {
                Purpose::Read => "('shared')",
                Purpose::Map => "('shared', 'map')",
            };
            q.push(&format!(
                " AND (i.user_id = ? OR (i.visibility = 'all_partners' AND \
                 (SELECT reporter_view FROM tenants WHERE id = ?) IN {views}))"
            ))
            .arg(actor.user_id)
            .arg(actor.tenant_id);
        }
        Role::Reader => {
            q.push(" AND 1 = 0");
        }
    }
}

/// The filters as SQL over alias `i`, after `scope` (which fixes the tenant).
pub fn filter<'a>(tenant: store::TenantId, f: &'a IncidentFilter, q: &mut Sql<'a>) {
    if let Some(from) = f.from {
        q.push(" AND i.occurred_from >= ?").arg(ts(from));
    }
    if let Some(to) = f.to {
        q.push(" AND i.occurred_from < ?").arg(ts(to));
    }
    if let Some(c) = &f.category {
        // The tenant as a parameter, not i.tenant_id: an uncorrelated subquery is computed
        // once, not for every incident row.
        q.push(
            " AND i.category_code IN (SELECT code FROM categories WHERE tenant_id = ? \
             AND (code = ? OR parent_code = ?))",
        )
        .arg(tenant)
        .arg(c.as_str())
        .arg(c.as_str());
    }
    if let Some(a) = f.area_id {
        q.push(
            " AND (i.place_id = ? OR EXISTS (SELECT 1 FROM incident_areas ia WHERE \
             ia.tenant_id = i.tenant_id AND ia.area_id = ? AND ia.incident_id = i.id))",
        )
        .arg(a)
        .arg(a);
    }
    if let Some(o) = f.org_id {
        q.push(" AND i.org_id = ?").arg(o);
    }
    if let Some(s) = f.status {
        q.push(" AND i.status = ?").arg(s.as_str());
    }
    if let Some(s) = f.source {
        q.push(" AND i.source = ?").arg(s.as_str());
    }
    if let Some(t) = &f.text {
        // LIKE with its wildcards escaped, both sides lowered. SQLite's LOWER folds only A–Z,
        // so Å, Ä and Ö are folded by hand: both stores then agree on Swedish text.
        let mut pattern = String::from("%");
        for c in t.to_lowercase().chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        let folded = |col: &str| {
            format!("LOWER(REPLACE(REPLACE(REPLACE({col}, 'Å', 'å'), 'Ä', 'ä'), 'Ö', 'ö'))")
        };
        q.push(&format!(
            " AND ({} LIKE ? ESCAPE '\\' OR {} LIKE ? ESCAPE '\\')",
            folded("i.description"),
            folded("COALESCE(i.place_text, '')")
        ))
        .arg(pattern.clone())
        .arg(pattern);
    }
    if let Some([w, s, e, n]) = f.bbox {
        // The box's world positions narrow by the index, the coordinates decide.
        let [x0, y0, x1, y1] = world_box(w, s, e, n);
        q.push(
            " AND i.wx BETWEEN ? AND ? AND i.wy BETWEEN ? AND ? \
             AND i.lon >= ? AND i.lon <= ? AND i.lat >= ? AND i.lat <= ?",
        );
        for v in [x0, x1, y0, y1] {
            q.arg(v);
        }
        for v in [w, e, s, n] {
            q.arg(v);
        }
    }
}

/// `SELECT {cols} FROM {from}` with the actor's scope and the filter.
pub fn select<'a>(
    cols: &str,
    from: &str,
    actor: &Actor,
    purpose: Purpose,
    f: &'a IncidentFilter,
) -> Sql<'a> {
    let mut q = Sql::new(format!("SELECT {cols} FROM {from}"));
    scope(actor, purpose, &mut q);
    filter(actor.tenant_id, f, &mut q);
    q
}
