//! Migration 0003 gives incidents stored before it the world positions that the store
//! (`geo::tile::world`) gives new ones.

mod common;
use store::Store;

#[tokio::test]
async fn the_migration_computes_the_positions_the_store_writes() {
    let s = common::fresh().await;
    let f = store::conformance::fixture(&s, "1960").await;
    let places = [
        (16.0978, 59.4224),
        (11.97, 57.71),
        (20.26, 67.86),
        (13.0, 55.6),
    ];
    let batch: Vec<_> = places
        .iter()
        .map(|(lon, lat)| {
            let mut n = store::conformance::incident(&f.teacher, "trafik", "2026-11-20T10:00:00Z");
            (n.lon, n.lat) = (*lon, *lat);
            n
        })
        .collect();
    s.insert_incidents(f.tenant.id, &batch).await.unwrap();
    // The migration's backfill, as written there, over positions wiped.
    let migration = include_str!("../migrations/0003_world_positions_and_bulk_writes.sql");
    let at = migration.find("UPDATE incidents SET").unwrap();
    let update = &migration[at..at + migration[at..].find(';').unwrap()];
    s.execute_admin("UPDATE incidents SET wx = 0, wy = 0")
        .await
        .unwrap();
    s.execute_admin(update).await.unwrap();
    for (lon, lat) in places {
        let (wx, wy) = geo::tile::world(lon, lat);
        s.execute_admin(&format!(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM incidents WHERE lon = {lon} AND lat = {lat} \
             AND wx = {wx} AND wy = {wy}) THEN RAISE EXCEPTION 'position of ({lon}, {lat}) is not ({wx}, {wy})'; \
             END IF; END $$"
        ))
        .await
        .unwrap();
    }
}
