//! Photos of incidents: stored in the database beside their incident (the same on both
//! stores, copied and backed up with it, removed by retention with it), already re-encoded
//! without metadata by the service layer. Who may see a photo is who may see its incident.

use crate::SqlStore;
use crate::audit::log;
use crate::exec::{Backend, Row, Sql};
use crate::incidents::read::fetch;
use store::backend::{audit, from_ts};
use store::{
    Actor, IncidentId, MAX_PHOTOS, NewPhoto, PhotoAdded, PhotoId, PhotoInfo, Result, StoreError,
};

const COLS: &str = "id, incident_id, content_type, width, height, LENGTH(data) AS size, created_at";

fn info(r: &impl Row) -> Result<PhotoInfo> {
    let id = r.int("id")?;
    let dim = |col: &'static str| -> Result<u32> {
        let v = r.int(col)?;
        u32::try_from(v).map_err(|_| StoreError::Corrupt {
            table: "photos",
            id: id.to_string(),
            field: col,
            value: v.to_string(),
        })
    };
    Ok(PhotoInfo {
        id,
        incident_id: r.int("incident_id")?,
        content_type: r.text("content_type")?,
        width: dim("width")?,
        height: dim("height")?,
        size: r.int("size")?.max(0) as u64,
        created_at: from_ts("photos", id, "created_at", r.int("created_at")?)?,
    })
}

async fn by_key<B: Backend>(
    s: &SqlStore<B>,
    actor: &Actor,
    incident: IncidentId,
    key: &str,
) -> Result<Option<PhotoInfo>> {
    s.fresh()
        .await?
        .optional(
            Sql::new(format!(
                "SELECT {COLS} FROM photos WHERE tenant_id = ? AND incident_id = ? AND client_key = ?"
            ))
            .bind(actor.tenant_id)
            .bind(incident)
            .bind(key),
        )
        .await?
        .map(|r| info(&r))
        .transpose()
}

pub async fn add<B: Backend>(s: &SqlStore<B>, actor: &Actor, p: &NewPhoto) -> Result<PhotoAdded> {
    if fetch(s, actor, p.incident_id).await?.is_none() {
        return Err(StoreError::NotFound {
            what: "incident",
            id: p.incident_id.to_string(),
        });
    }
    if let Some(key) = &p.client_key
        && let Some(found) = by_key(s, actor, p.incident_id, key).await?
    {
        return Ok(PhotoAdded::Replayed(found));
    }
    let mut tx = s.begin().await?;
    B::lock_chain(tx.conn(), actor.tenant_id).await?;
    let held = tx
        .one(
            Sql::new("SELECT COUNT(*) AS n FROM photos WHERE tenant_id = ? AND incident_id = ?")
                .bind(actor.tenant_id)
                .bind(p.incident_id),
        )
        .await?
        .int("n")?;
    if held as usize >= MAX_PHOTOS {
        return Ok(PhotoAdded::Full);
    }
    let id = s.next_ids(tx.conn(), "photos", 1).await?;
    let inserted = tx
        .execute(
            Sql::new(
                "INSERT INTO photos (tenant_id, id, incident_id, client_key, content_type, width, \
                 height, data, user_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(actor.tenant_id)
            .bind(id)
            .bind(p.incident_id)
            .bind(p.client_key.as_deref())
            .bind(p.content_type.as_str())
            .bind(i64::from(p.width))
            .bind(i64::from(p.height))
            .bind(p.data.as_slice())
            .bind(p.user_id)
            .bind(p.created_at),
        )
        .await;
    if let Err(e) = inserted {
        // Another sending of the same photo may have won the race.
        drop(tx);
        if let Some(key) = &p.client_key
            && let Some(found) = by_key(s, actor, p.incident_id, key).await?
        {
            return Ok(PhotoAdded::Replayed(found));
        }
        return Err(e);
    }
    let mut entry = audit(
        p.created_at,
        Some(p.user_id),
        "photo.add",
        "incident",
        p.incident_id,
    );
    entry.after = Some(
        serde_json::json!({
            "photo_id": id, "content_type": p.content_type, "width": p.width,
            "height": p.height, "bytes": p.data.len(),
            "sha256": store::audit::sha256_hex_bytes(&p.data),
        })
        .to_string(),
    );
    log(&mut tx, actor.tenant_id, &entry).await?;
    tx.commit().await?;
    Ok(PhotoAdded::Stored(PhotoInfo {
        id,
        incident_id: p.incident_id,
        content_type: p.content_type.clone(),
        width: p.width,
        height: p.height,
        size: p.data.len() as u64,
        created_at: p.created_at,
    }))
}

pub async fn list<B: Backend>(
    s: &SqlStore<B>,
    actor: &Actor,
    incident: IncidentId,
) -> Result<Vec<PhotoInfo>> {
    if fetch(s, actor, incident).await?.is_none() {
        return Ok(vec![]);
    }
    s.read()
        .await?
        .all(
            Sql::new(format!(
                "SELECT {COLS} FROM photos WHERE tenant_id = ? AND incident_id = ? ORDER BY id"
            ))
            .bind(actor.tenant_id)
            .bind(incident),
        )
        .await?
        .iter()
        .map(info)
        .collect()
}

pub async fn get<B: Backend>(
    s: &SqlStore<B>,
    actor: &Actor,
    incident: IncidentId,
    id: PhotoId,
) -> Result<Option<(PhotoInfo, Vec<u8>)>> {
    let Some(found) = fetch(s, actor, incident).await? else {
        return Ok(None);
    };
    let row = s
        .read()
        .await?
        .optional(
            Sql::new(format!(
                "SELECT {COLS}, data FROM photos WHERE tenant_id = ? AND incident_id = ? AND id = ?"
            ))
            .bind(actor.tenant_id)
            .bind(incident)
            .bind(id),
        )
        .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    if found.visibility != model::Visibility::AllPartners {
        // As reading the incident itself is.
        let mut tx = s.begin().await?;
        let entry = audit(
            jiff::Timestamp::now(),
            Some(actor.user_id),
            "photo.read",
            "incident",
            incident,
        );
        log(&mut tx, actor.tenant_id, &entry).await?;
        tx.commit().await?;
    }
    Ok(Some((info(&r)?, r.bytes("data")?)))
}
