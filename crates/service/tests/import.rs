//! Importing a municipality's spreadsheets and GeoJSON into the demo tenant (Kungsör) on a
//! real SQLite store: what is read, what is refused (row, column, value), what is stored, and
//! that importing the same file again changes nothing.

use jiff::Timestamp;
use model::{IncidentStatus, Precision, Source};
use service::import::{self, Format, ImportError, Mapping, OnError};
use store::{IncidentFilter, IncidentQuery, Store, Tenant};
use store_sqlite::SqliteStore;

struct Setup {
    _dir: tempfile::TempDir,
    store: SqliteStore,
    tenant: Tenant,
    org: store::OrgId,
    now: Timestamp,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("i.db").to_str().unwrap())
        .await
        .unwrap();
    let now: Timestamp = "2026-06-01T12:00:00Z".parse().unwrap();
    service::demo::seed(&store, None, now, 1960).await.unwrap();
    let tenant = store.tenant_by_code("1960").await.unwrap().unwrap();
    let org = store
        .organisations(tenant.id)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.kind == "kommun")
        .unwrap()
        .id;
    Setup {
        _dir: dir,
        store,
        tenant,
        org,
        now,
    }
}

impl Setup {
    async fn parse(&self, bytes: &[u8], format: Format, mapping: &Mapping) -> import::Parsed {
        self.try_parse(bytes, format, mapping).await.unwrap()
    }

    async fn try_parse(
        &self,
        bytes: &[u8],
        format: Format,
        mapping: &Mapping,
    ) -> Result<import::Parsed, ImportError> {
        let categories = self.store.categories(self.tenant.id).await.unwrap();
        let places = self.store.places(self.tenant.id).await.unwrap();
        import::parse(
            bytes,
            format,
            mapping,
            &self.tenant,
            &categories,
            &places,
            self.org,
            self.now,
            |_, _| {},
        )
    }

    async fn import(
        &self,
        bytes: &[u8],
        format: Format,
        mapping: &Mapping,
        on_error: OnError,
    ) -> Result<import::Outcome, ImportError> {
        let parsed = self.parse(bytes, format, mapping).await;
        import::store(
            &self.store,
            &self.tenant,
            parsed,
            on_error,
            "test.csv",
            bytes,
            None,
            self.now,
            |_, _| {},
        )
        .await
    }

    async fn imported(&self) -> Vec<store::Incident> {
        // An administrator of the organisation the rows are attributed to sees them all.
        let actor = self
            .store
            .users(self.tenant.id)
            .await
            .unwrap()
            .into_iter()
            .find(|u| u.org_id == self.org && u.role == model::Role::Admin)
            .unwrap()
            .actor();
        self.store
            .list_incidents(
                &actor,
                &IncidentQuery {
                    filter: IncidentFilter {
                        source: Some(Source::ImportCsv),
                        ..Default::default()
                    },
                    limit: 10_000,
                    ..Default::default()
                },
            )
            .await
            .unwrap()
    }
}

/// Windows-1252, as Swedish Excel saves "CSV (semikolonavgränsad)".
fn cp1252(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            'å' => 0xE5,
            'ä' => 0xE4,
            'ö' => 0xF6,
            'Å' => 0xC5,
            'Ä' => 0xC4,
            'Ö' => 0xD6,
            '–' => 0x96,
            c if c.is_ascii() => c as u8,
            c => panic!("{c:?} is not in the test's Windows-1252 table"),
        })
        .collect()
}

const SWEDISH: &str = "Ärendenr;Kategori;Datum;Klockslag;Latitud;Longitud;Beskrivning;Plats\n\
    A-1;Klotter;1 maj 2026;14.30;59,4225;16,0985;Klotter på väggen – tvättbart;\n\
    A-2;skadegorelse-glaskross;2026-05-02;;59,4210;16,1000;Krossad ruta, ring 070-123 45 67;\n\
    A-3;Nedskräpning;3/5 2026;kl. 08:15;;;Skräp vid bänkarna;Strandparken (demo)\n\
    A-4;Klotter;igår;;59,4225;16,0985;;\n\
    A-5;Finns inte;2026-05-04;;59,4225;16,0985;;\n\
    A-6;Trafik;2026-05-04;;59,3300;18,0600;Stockholm;\n\
    A-7;Trafik;2026-05-04;;16,0985;59,4225;omkastade;\n\
    A-8;Trafik;2026-05-04;25.61;59,4225;16,0985;;\n";

#[tokio::test]
async fn a_swedish_excel_file_names_every_bad_row_and_keeps_nothing_unless_asked() {
    let s = setup().await;
    let bytes = cp1252(SWEDISH);
    let parsed = s.parse(&bytes, Format::Csv, &Mapping::default()).await;
    assert_eq!(parsed.rows, 8);
    assert_eq!(parsed.good.len(), 3);
    assert_eq!(parsed.bad_rows, 5);
    let found: Vec<(usize, &str, &str, &str)> = parsed
        .errors
        .iter()
        .map(|e| (e.row, e.column.as_str(), e.value.as_str(), e.code))
        .collect();
    assert_eq!(
        found,
        vec![
            (5, "Datum", "igår", "import-error-date"),
            (6, "Kategori", "Finns inte", "import-error-category"),
            (7, "Latitud", "59.33, 18.06", "import-error-outside"),
            (
                8,
                "Latitud",
                "16,0985; 59,4225",
                "import-error-coordinate-swapped"
            ),
            (9, "Klockslag", "25.61", "import-error-time"),
        ],
        "rows are counted as the user sees them: the header is row 1"
    );
    assert!(
        parsed.errors[0].to_string().contains("row 5")
            && parsed.errors[0].to_string().contains("\"igår\""),
        "{}",
        parsed.errors[0]
    );
    // By default nothing is stored when a row is wrong.
    let err = s
        .import(
            &bytes,
            Format::Csv,
            &Mapping::default(),
            OnError::StoreNothing,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, ImportError::Rejected(ref e) if e.len() == 5),
        "{err}"
    );
    assert!(s.imported().await.is_empty());
    // With the good rows kept: three, in Swedish time, the phone number removed.
    let out = s
        .import(&bytes, Format::Csv, &Mapping::default(), OnError::KeepGood)
        .await
        .unwrap();
    assert_eq!((out.stored.inserted, out.bad_rows, out.redacted), (3, 5, 1));
    let mut got = s.imported().await;
    got.sort_by(|a, b| a.external_id.cmp(&b.external_id));
    let a1 = &got[0];
    assert_eq!(a1.external_id.as_deref(), Some("A-1"));
    assert_eq!(a1.category.as_str(), "skadegorelse-klotter");
    assert_eq!(a1.occurred_from, "2026-05-01T12:30:00Z".parse().unwrap());
    assert_eq!(a1.description, "Klotter på väggen – tvättbart");
    assert_eq!(a1.precision, Precision::Exact);
    assert_eq!(a1.status, IncidentStatus::Reviewed);
    assert!((a1.lat - 59.4225).abs() < 1e-9 && (a1.lon - 16.0985).abs() < 1e-9);
    let a2 = &got[1];
    assert_eq!(
        a2.description,
        "Krossad ruta, ring [telefonnummer borttaget]"
    );
    assert_eq!(
        (a2.occurred_from, a2.occurred_to),
        (
            "2026-05-01T22:00:00Z".parse().unwrap(),
            "2026-05-02T21:59:59Z".parse().unwrap()
        ),
        "a date without a time is the whole day"
    );
    let a3 = &got[2];
    assert_eq!(a3.precision, Precision::Area, "placed by the area's name");
    assert_eq!(a3.occurred_from, "2026-05-03T06:15:00Z".parse().unwrap());
    // The same file again changes nothing.
    let again = s
        .import(&bytes, Format::Csv, &Mapping::default(), OnError::KeepGood)
        .await
        .unwrap();
    assert_eq!(
        (
            again.stored.inserted,
            again.stored.updated,
            again.stored.unchanged
        ),
        (0, 0, 3)
    );
    assert_eq!(s.imported().await.len(), 3);
    // A row corrected in the file updates its incident, and only that one.
    let fixed = SWEDISH.replace("Skräp vid bänkarna", "Skräp och glas vid bänkarna");
    let third = s
        .import(
            &cp1252(&fixed),
            Format::Csv,
            &Mapping::default(),
            OnError::KeepGood,
        )
        .await
        .unwrap();
    assert_eq!(
        (
            third.stored.inserted,
            third.stored.updated,
            third.stored.unchanged
        ),
        (0, 1, 2)
    );
    // Each import is in the audit log with the file's digest and what came of it.
    let log = s
        .store
        .audit_log(
            s.tenant.id,
            &store::AuditFilter {
                action: Some("import.file".into()),
                limit: 100,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(log.len(), 3);
    assert!(
        log.iter()
            .any(|e| e.after.as_deref().unwrap_or("").contains("\"updated\":1"))
    );
    assert!(s.store.verify_audit(s.tenant.id).await.unwrap().is_ok());
}

#[tokio::test]
async fn sweref_columns_a_mapping_and_rows_without_an_id() {
    let s = setup().await;
    // SWEREF 99 TM with the surveyor's x = northing, a mapping for the columns and the
    // category values, and no id column: the row's content is its key.
    let p = geo::to_sweref99tm(16.0985, 59.4225);
    let csv = format!(
        "Typ,Inträffade,X,Y,Text\n\
         Sprejat,2026-05-10 22:05,{:.1},{:.1},Nytt klotter\n\
         Lampa,10.05.2026,{:.1},{:.1},Trasig belysning\n",
        p.n, p.e, p.e, p.n
    );
    let mapping = Mapping::parse(
        r#"{"columns": {"category": "Typ", "date": "Inträffade", "description": "Text"},
            "categories": {"sprejat": "skadegorelse-klotter", "Lampa": "otrygg-plats-belysning"},
            "system": "felanmalan", "visibility": "own_organisation"}"#,
    )
    .unwrap();
    let out = s
        .import(csv.as_bytes(), Format::Csv, &mapping, OnError::StoreNothing)
        .await
        .unwrap();
    assert_eq!(out.stored.inserted, 2);
    let got = s.imported().await;
    assert!(
        got.iter()
            .all(|i| (i.lat - 59.4225).abs() < 1e-6 && (i.lon - 16.0985).abs() < 1e-6)
    );
    assert!(got.iter().all(|i| {
        i.external_id
            .as_deref()
            .unwrap()
            .starts_with("felanmalan:rad-")
    }));
    assert!(
        got.iter()
            .all(|i| i.visibility == model::Visibility::OwnOrganisation)
    );
    assert!(
        got.iter()
            .any(|i| i.category.as_str() == "otrygg-plats-belysning"),
        "{:?}",
        got.iter()
            .map(|i| (i.category.as_str(), i.description.as_str()))
            .collect::<Vec<_>>()
    );
    let again = s
        .import(csv.as_bytes(), Format::Csv, &mapping, OnError::StoreNothing)
        .await
        .unwrap();
    assert_eq!(again.stored.unchanged, 2);
    // A mapping that names a column the file lacks, or a code that does not exist, says so.
    let wrong = Mapping::parse(r#"{"columns": {"category": "Kategori"}}"#).unwrap();
    let err = s
        .try_parse(csv.as_bytes(), Format::Csv, &wrong)
        .await
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("\"Kategori\"") && err.to_string().contains("Typ"),
        "{err}"
    );
    let wrong = Mapping::parse(r#"{"categories": {"Lampa": "lampor"}}"#).unwrap();
    let err = s
        .try_parse(csv.as_bytes(), Format::Csv, &wrong)
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("\"lampor\""), "{err}");
    assert!(
        Mapping::parse(r#"{"kolumner": {}}"#).is_err(),
        "unknown keys are refused"
    );
    // A file without a category column is refused before any row is read.
    let err = s
        .try_parse(
            b"Datum;Lat;Lon\n2026-05-01;59,42;16,1\n",
            Format::Csv,
            &Mapping::default(),
        )
        .await
        .err()
        .unwrap();
    assert!(matches!(err, ImportError::MissingColumn(..)), "{err}");
}

#[tokio::test]
async fn geojson_points_with_properties() {
    let s = setup().await;
    let doc = serde_json::json!({
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [16.0985, 59.4225]},
             "properties": {"id": 17, "kategori": "Glaskross", "datum": "2026-05-20T21:10:00+02:00", "beskrivning": "Busskur"}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [16.0990, 59.4230]},
             "properties": {"id": 18, "kategori": "Vandalism", "datum": "2026-05-21"}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [2.35, 48.85]},
             "properties": {"id": 19, "kategori": "Trafik", "datum": "2026-05-21"}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [16.0990, 59.4230]},
             "properties": {"id": 17, "kategori": "Trafik", "datum": "2026-05-21"}}
        ]
    })
    .to_string();
    let parsed = s
        .parse(doc.as_bytes(), Format::GeoJson, &Mapping::default())
        .await;
    let found: Vec<(usize, &str, &str)> = parsed
        .errors
        .iter()
        .map(|e| (e.row, e.column.as_str(), e.code))
        .collect();
    assert_eq!(
        found,
        vec![
            (3, "geometry", "import-error-coordinate-sweden"),
            (4, "id", "import-error-duplicate-id")
        ]
    );
    let out = s
        .import(
            doc.as_bytes(),
            Format::GeoJson,
            &Mapping::default(),
            OnError::KeepGood,
        )
        .await
        .unwrap();
    assert_eq!(out.stored.inserted, 2);
    let got = s.imported().await;
    assert!(got.iter().any(
        |i| i.occurred_from == "2026-05-20T19:10:00Z".parse().unwrap()
            && i.category.as_str() == "skadegorelse-glaskross"
    ));
    assert!(
        got.iter().any(|i| i.category.as_str() == "skadegorelse"),
        "by the English name"
    );
    // Not a FeatureCollection, or a line instead of a point: the file is refused as a whole.
    let err = s
        .try_parse(
            br#"{"type": "Feature"}"#,
            Format::GeoJson,
            &Mapping::default(),
        )
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("FeatureCollection"), "{err}");
    let line = r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"LineString","coordinates":[[16,59],[16.1,59.1]]},"properties":{}}]}"#;
    let err = s
        .try_parse(line.as_bytes(), Format::GeoJson, &Mapping::default())
        .await
        .err()
        .unwrap();
    assert!(
        err.to_string().contains("feature 1") && err.to_string().contains("LineString"),
        "{err}"
    );
}

#[test]
fn dates_and_times_in_the_forms_swedes_write_them() {
    use import::{parse_date, parse_instant, parse_time};
    let d = |s: &str| parse_date(s).map(|d| d.to_string());
    assert_eq!(d("2026-05-01").as_deref(), Some("2026-05-01"));
    assert_eq!(d("2026-5-1").as_deref(), Some("2026-05-01"));
    assert_eq!(d("1 maj 2026").as_deref(), Some("2026-05-01"));
    assert_eq!(d("12 okt. 2025").as_deref(), Some("2025-10-12"));
    assert_eq!(d("1/5 2026").as_deref(), Some("2026-05-01"));
    assert_eq!(d("01.05.2026").as_deref(), Some("2026-05-01"));
    assert_eq!(d("31/2 2026"), None);
    assert_eq!(d("1 mej 2026"), None);
    assert_eq!(d("2026"), None);
    let t = |s: &str| parse_time(s).map(|t| t.to_string());
    assert_eq!(t("14.30").as_deref(), Some("14:30:00"));
    assert_eq!(t("kl. 8:05").as_deref(), Some("08:05:00"));
    assert_eq!(t("1430").as_deref(), Some("14:30:00"));
    assert_eq!(t("24:00"), None);
    assert_eq!(t("abc"), None);
    let i = |s: &str| parse_instant(s).map(|(t, has)| (t.to_string(), has));
    assert_eq!(
        i("2026-01-15 14:30"),
        Some(("2026-01-15T13:30:00Z".into(), true)),
        "winter time"
    );
    assert_eq!(
        i("1 maj 2026 kl. 14.30"),
        Some(("2026-05-01T12:30:00Z".into(), true))
    );
    assert_eq!(
        i("2026-05-01T14:30:00Z"),
        Some(("2026-05-01T14:30:00Z".into(), true))
    );
    assert_eq!(
        i("2026-05-01"),
        Some(("2026-04-30T22:00:00Z".into(), false))
    );
    assert_eq!(i("snart"), None);
}
