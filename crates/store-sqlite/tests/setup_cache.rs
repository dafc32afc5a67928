//! What a store keeps of a tenant's categories and places follows a change made by another
//! process on the same file (a second `serve`, or `lagesbild import` beside it): the database
//! counts the tenant's set-up version up, and the store reads the lists again.

use store::Store;
use store_sqlite::SqliteStore;

#[tokio::test]
async fn a_change_by_another_process_is_seen_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.db").to_str().unwrap().to_string();
    let a = SqliteStore::open(&path).await.unwrap();
    let f = store::conformance::fixture(&a, "1960").await;
    let kept = a.tenant_setup(f.tenant.id).await.unwrap().unwrap();
    assert_eq!(kept.categories.len(), 3);
    // Asked again without a change, the same lists are given (kept, not read again).
    let again = a.tenant_setup(f.tenant.id).await.unwrap().unwrap();
    assert!(std::sync::Arc::ptr_eq(&kept.categories, &again.categories));
    let b = SqliteStore::open(&path).await.unwrap();
    let mut c = kept.categories[0].clone();
    c.name_sv = "Ändrad av en annan process".into();
    b.upsert_category(&c, None).await.unwrap();
    let seen = a.tenant_setup(f.tenant.id).await.unwrap().unwrap();
    assert!(
        seen.categories
            .iter()
            .any(|k| k.name_sv == "Ändrad av en annan process"),
        "the other process's change is seen"
    );
    b.create_place(&store::NewPlace {
        by: None,
        tenant_id: f.tenant.id,
        name: "Nya torget".into(),
        kind: store::PlaceKind::Point,
        is_school: false,
        geometry_geojson: r#"{"type":"Point","coordinates":[16.1,59.42]}"#.into(),
        lon: 16.1,
        lat: 59.42,
        is_demo: false,
    })
    .await
    .unwrap();
    let seen = a.tenant_setup(f.tenant.id).await.unwrap().unwrap();
    assert_eq!(seen.places.len(), 1);
    assert_eq!(seen.places[0].name, "Nya torget");
}
