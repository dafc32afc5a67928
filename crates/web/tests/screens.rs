//! Each role's first screen: its start page, a navigation that offers exactly the pages the
//! role may use (every link answers, every page left out does not), and the base map the
//! coordinator chooses, which the pages' content security policy follows.

mod common;
use common::*;

use axum::http::{StatusCode, header};
use serde_json::json;

const ALL_PAGES: &[&str] = &[
    "/",
    "/incidents/new",
    "/incidents",
    "/map",
    "/lagesbild",
    "/analysis",
    "/cases",
    "/meetings",
    "/promises",
    "/schools",
    "/actions",
    "/admin",
    "/admin/audit",
];

fn nav_links(html: &str) -> Vec<String> {
    let start = html
        .find(r#"<nav class="nav-wide""#)
        .expect("the wide navigation");
    let end = start + html[start..].find("</nav>").unwrap();
    html[start..end]
        .split("href=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().replace("&#x2f;", "/"))
        .collect()
}

#[tokio::test]
async fn each_role_starts_on_its_own_page_and_is_offered_only_what_it_uses() {
    let (app, _, ku, ..) = app().await;
    // Something for each start page to show: a report with an answer, a rising category.
    let reporter = app.token(&ku[1]).await;
    let made = app
        .api(
            "POST",
            "/api/v1/incidents",
            Some(&reporter),
            Some(json!({"category": "skadegorelse-klotter", "occurred_at": "2026-11-26T21:00:00+01:00",
                "lat": 59.4224, "lon": 16.0978, "description": "Klotter på busskuren"})),
        )
        .await
        .json();
    let id = made["id"].as_i64().unwrap();
    let admin = app.login("admin@k1960.example").await;
    let r = app
        .post_form(
            &format!("/incidents/{id}/status"),
            Some(&admin.0),
            &[
                ("csrf", &admin.1),
                ("to", "reviewed"),
                ("comment", "Saneras på måndag"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    for h in 0..4 {
        app.api(
            "POST",
            "/api/v1/incidents",
            Some(&reporter),
            Some(json!({"category": "trafik", "occurred_at": format!("2026-11-2{}T0{h}:00:00+01:00", 3 + h % 3),
                "lat": 59.4224, "lon": 16.0978, "description": "Fortkörning vid skolan"})),
        )
        .await;
    }

    let cases = [
        (
            "rapportor@k1960.example",
            vec![
                "/",
                "/incidents/new",
                "/incidents",
                "/map",
                "/lagesbild",
                "/meetings",
                "/actions",
            ],
        ),
        (
            "chef@k1960.example",
            vec![
                "/",
                "/lagesbild",
                "/cases",
                "/meetings",
                "/promises",
                "/actions",
            ],
        ),
        ("admin@k1960.example", ALL_PAGES.to_vec()),
    ];
    for (who, want) in cases {
        let (cookie, _) = if who.starts_with("admin") {
            admin.clone()
        } else {
            app.login(who).await
        };
        let start = app.get("/", Some(&cookie)).await;
        assert_eq!(start.status, StatusCode::OK, "{who}");
        assert_eq!(nav_links(&start.body), want, "{who}");
        // The menu button of a phone holds the same links (and the account).
        assert!(start.body.contains(r#"<details class="nav-fold">"#));
        for page in ALL_PAGES {
            let r = app.get(page, Some(&cookie)).await;
            let offered = want.contains(page);
            assert_eq!(
                r.status == StatusCode::OK,
                offered,
                "{who} {page}: {} but {}offered",
                r.status,
                if offered { "" } else { "not " }
            );
        }
        match who {
            "rapportor@k1960.example" => {
                assert!(
                    start
                        .body
                        .contains(r#"class="big-action" href="/incidents/new""#)
                );
                assert!(start.body.contains("Dina senaste rapporter"));
                assert!(
                    start.body.contains("Svar: Saneras på måndag"),
                    "{}",
                    start.body
                );
                assert!(
                    start.body.contains("id=\"queue\""),
                    "the phone's waiting reports"
                );
            }
            "chef@k1960.example" => {
                assert!(!start.body.contains("big-action"));
                assert!(start.body.contains("Händelser de senaste 28 dagarna"));
                assert!(start.body.contains("Medborgarlöften 2026"));
                // Aggregated figures only: no single incident's text.
                assert!(!start.body.contains("Klotter på busskuren"));
            }
            _ => {
                assert!(start.body.contains("Nya rapporter"));
                assert!(start.body.contains("Ökar de senaste 28 dagarna"));
                assert!(
                    start.body.contains("Trafik</a>: 4 (före: 0)"),
                    "{}",
                    start.body
                );
                assert!(start.body.contains("Nästa möte"));
            }
        }
    }
    // English too.
    let (cookie, _) = app.login("chef@k1960.example").await;
    let r = app.get("/lang/en?back=%2F", Some(&cookie)).await;
    let lang = r
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("; ");
    let page = app.get("/", Some(&format!("{cookie}; {lang}"))).await;
    assert!(
        page.body.contains("Incidents in the last 28 days"),
        "{}",
        page.body
    );
    assert!(page.body.contains(">Menu</summary>"));
}

#[tokio::test]
async fn the_coordinator_chooses_a_base_map_and_the_pages_allow_only_it() {
    let (app, ..) = app().await;
    let (ac, csrf) = app.login("admin@k1960.example").await;
    let settings = |base: &'static str, key: &'static str, url: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("default_visibility", "all_partners".to_string()),
            ("reporter_view", "map".to_string()),
            ("retention_action", "anonymise".to_string()),
            ("map_base", base.to_string()),
            ("map_key", key.to_string()),
            ("map_style_url", url.to_string()),
        ]
    };
    let post = |form: Vec<(&'static str, String)>| {
        let app = &app;
        let ac = ac.clone();
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form("/admin/settings", Some(&ac), &form).await
        }
    };
    // Without a base map the page says in one line how to get one.
    let map = app.get("/map", Some(&ac)).await;
    assert!(
        map.body
            .contains("En bakgrundskarta med gator väljer administratören")
    );
    // Lantmäteriet's topographic web map with the municipality's key.
    let r = post(settings("lantmateriet", "abcd1234-efgh", "")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let map = app.get("/map", Some(&ac)).await;
    let csp = map.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("img-src 'self' data: blob: https://api.lantmateriet.se"),
        "{csp}"
    );
    assert!(!map.body.contains("En bakgrundskarta med gator"));
    let page = app.get("/admin/settings", Some(&ac)).await;
    assert!(page.body.contains(r#"value="lantmateriet" checked"#));
    assert!(page.body.contains(r#"value="abcd1234-efgh""#));
    let tenant = app
        .api(
            "GET",
            "/api/v1/tenant",
            Some(
                &app.token(
                    &app.store
                        .user_credentials(&model::Email::parse("admin@k1960.example").unwrap())
                        .await
                        .unwrap()
                        .unwrap()
                        .0,
                )
                .await,
            ),
            None,
        )
        .await
        .json();
    assert!(
        tenant["map_style_url"]
            .as_str()
            .unwrap()
            .contains("/token/abcd1234-efgh/1.0.0/topowebb/default/3857/{z}/{y}/{x}.png")
    );
    // A tile server of the municipality's own, also on this machine.
    let r = post(settings(
        "tiles",
        "",
        "http://127.0.0.1:8099/osm/{z}/{x}/{y}.png",
    ))
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let csp = app.get("/map", Some(&ac)).await.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("http://127.0.0.1:8099"), "{csp}");
    assert!(!csp.contains("lantmateriet"));
    // Bad choices are refused with the reason, nothing changed.
    for form in [
        settings("lantmateriet", "kort", ""),
        settings("tiles", "", "https://karta.example/utan-platshållare.png"),
        settings("style", "", "javascript:alert(1)"),
    ] {
        let r = post(form).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    }
    let t = app.store.tenant(1).await.unwrap().unwrap();
    assert_eq!(
        t.map_style_url.as_deref(),
        Some("http://127.0.0.1:8099/osm/{z}/{x}/{y}.png")
    );
    // And back to none.
    assert_eq!(post(settings("none", "", "")).await.status, StatusCode::OK);
    assert_eq!(
        app.store.tenant(1).await.unwrap().unwrap().map_style_url,
        None
    );
}

#[tokio::test]
async fn the_list_is_searched_by_its_text_and_names_places_instead_of_coordinates() {
    let (app, _, ku, ..) = app().await;
    let reporter = app.token(&ku[1]).await;
    for (desc, lat) in [
        ("Krossad ruta i busskuren", 59.4224),
        ("Klotter på bron", 59.4230),
    ] {
        let r = app
            .api(
                "POST",
                "/api/v1/incidents",
                Some(&reporter),
                Some(
                    json!({"category": "skadegorelse", "occurred_at": "2026-11-26T21:00:00+01:00",
                    "lat": lat, "lon": 16.0978, "description": desc}),
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    // A named place 30 m away names the bare point in the list.
    app.store
        .create_place(&store::NewPlace {
            by: None,
            tenant_id: ku[1].tenant_id,
            name: "Busstorget".into(),
            kind: store::PlaceKind::Point,
            is_school: false,
            geometry_geojson: r#"{"type":"Point","coordinates":[16.0983,59.4225]}"#.into(),
            lon: 16.0983,
            lat: 59.4225,
            is_demo: false,
        })
        .await
        .unwrap();
    let (cookie, _) = app.login("rapportor@k1960.example").await;
    let page = app.get("/incidents?q=BUSSKUR", Some(&cookie)).await;
    assert!(page.body.contains("nära Busstorget"), "{}", page.body);
    assert!(!page.body.contains("59.42240, 16.09780"));
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"value="BUSSKUR""#));
    assert_eq!(
        page.body.matches("<tr>").count(),
        2,
        "the header and one row"
    );
    let api = app
        .api("GET", "/api/v1/incidents?q=bron", Some(&reporter), None)
        .await
        .json();
    assert_eq!(api["items"].as_array().unwrap().len(), 1);
    let long = "x".repeat(101);
    let r = app
        .api(
            "GET",
            &format!("/api/v1/incidents?q={long}"),
            Some(&reporter),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()[0]["field"], "q");
}

#[tokio::test]
async fn an_activity_past_its_end_reads_late_on_the_page_as_in_the_report() {
    let (app, kungsor, ..) = app().await;
    let now = app.now();
    let promise = service::promises::create_promise(
        app.store.as_ref(),
        kungsor.id,
        &service::promises::parse_promise(
            "2026",
            "Trygg skolväg",
            "Vi lovar.",
            "Polisen, kommunen",
        )
        .unwrap(),
        None,
        now,
    )
    .await
    .unwrap();
    for (title, to) in [
        ("Trygghetsvandring", "2026-04-01"),
        ("Belysning", "2026-12-20"),
    ] {
        service::promises::add_activity(
            app.store.as_ref(),
            kungsor.id,
            promise.id,
            &service::promises::parse_activity(title, "Kommunen", "2026-03-01", to, "", "", "")
                .unwrap(),
            None,
            now,
        )
        .await
        .unwrap();
    }
    let (cookie, _) = app.login("chef@k1960.example").await;
    let page = app.get("/promises", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    let late = page.body.find("Trygghetsvandring").unwrap();
    let next = page.body.find("Belysning").unwrap();
    assert!(page.body[late..next].contains("Försenad"), "{}", page.body);
    assert!(!page.body[next..].contains(">Försenad<"));
}

#[tokio::test]
async fn the_audit_log_reads_as_events_not_json() {
    let (app, kungsor, ..) = app().await;
    let tenant = app.store.tenant(kungsor.id).await.unwrap().unwrap();
    let meeting = service::meetings::plan(
        app.store.as_ref(),
        &tenant,
        service::meetings::MeetingKind::Samverkan,
        jiff::civil::date(2026, 11, 27),
        service::lagesbild::Language::Sv,
        &[],
        None,
        app.now(),
    )
    .await
    .unwrap();
    let (cookie, _) = app.login("admin@k1960.example").await;
    let page = app.get("/admin/audit", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("<td>Skapad</td>")
            && page.body.contains(&format!("Möte {}", meeting.id)),
        "{}",
        page.body
    );
    // The change as lines in a disclosure, not JSON running off the table.
    assert!(page.body.contains("<summary>Visa ändringen</summary>"));
    assert!(page.body.contains("<li>data.chars: "), "{}", page.body);
    assert!(!page.body.contains("{&quot;data&quot;"));
}

/// Issue 20: the lägesbild's PDF draws its map over the base map the municipality chose, with
/// the tiles from its tile server (a local one here, never the internet) and the credit; a tile
/// server that does not answer leaves the map without it and the PDF says so.
#[tokio::test]
async fn the_pdf_map_is_drawn_over_the_chosen_base_map() {
    let (app, _k, ku, ..) = app().await;
    let token = app.token(&ku[1]).await;
    for day in [20, 21, 22] {
        let body = json!({
            "category": "skadegorelse-glaskross",
            "occurred_from": format!("2026-11-{day}T22:00:00+01:00"),
            "lat": 59.4224, "lon": 16.0978,
            "description": "Krossad ruta",
            "visibility": "all_partners"
        });
        let r = app
            .api("POST", "/api/v1/incidents", Some(&token), Some(body))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    // A tile server on this machine: every tile a light green PNG; it counts the requests.
    let mut png = Vec::new();
    image::RgbImage::from_pixel(256, 256, image::Rgb([200, 230, 200]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let tiles = axum::Router::new().route(
        "/{z}/{x}/{y}",
        axum::routing::get({
            let served = served.clone();
            move || {
                let png = png.clone();
                served.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async move { ([(header::CONTENT_TYPE, "image/png")], png) }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, tiles).await.unwrap() });

    let (ac, csrf) = app.login("admin@k1960.example").await;
    let url = format!("http://127.0.0.1:{port}/{{z}}/{{x}}/{{y}}");
    let form = [
        ("csrf", csrf.as_str()),
        ("default_visibility", "all_partners"),
        ("reporter_view", "map"),
        ("retention_action", "anonymise"),
        ("map_base", "tiles"),
        ("map_key", ""),
        ("map_style_url", url.as_str()),
    ];
    let r = app.post_form("/admin/settings", Some(&ac), &form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    let plain = app
        .get("/lagesbild.pdf?from=2026-11-13&to=2026-11-26", Some(&ac))
        .await;
    assert_eq!(plain.status, StatusCode::OK, "{}", plain.body);
    let n = served.load(std::sync::atomic::Ordering::SeqCst);
    assert!((1..=30).contains(&n), "{n} tiles fetched");
    let text = pdf_text(&plain.bytes);
    assert!(
        text.contains(&format!("Bakgrundskarta: 127.0.0.1:{port}")),
        "{text}"
    );
    // The tiles are in the PDF as images (the page's map stays without them).
    assert!(
        pdf_images(&plain.bytes) >= 1,
        "the base map's tiles are images in the PDF"
    );
    let page = app
        .get("/lagesbild?from=2026-11-13&to=2026-11-26", Some(&ac))
        .await;
    assert!(!page.body.contains("data:image/png;base64"));

    // The tile server gone: the PDF is still made, and says the base map is missing.
    let form = [
        ("csrf", csrf.as_str()),
        ("default_visibility", "all_partners"),
        ("reporter_view", "map"),
        ("retention_action", "anonymise"),
        ("map_base", "tiles"),
        ("map_key", ""),
        ("map_style_url", "http://127.0.0.1:9/{z}/{x}/{y}"),
    ];
    app.post_form("/admin/settings", Some(&ac), &form).await;
    let without = app
        .get("/lagesbild.pdf?from=2026-11-13&to=2026-11-26", Some(&ac))
        .await;
    assert_eq!(without.status, StatusCode::OK);
    assert!(pdf_text(&without.bytes).contains("Bakgrundskartan kunde inte hämtas."));
    assert_eq!(pdf_images(&without.bytes), 0);
}
