//! Reporting from the field over HTTP, on both stores: a report sent again is stored once
//! (Idempotency-Key), photos lose their metadata and are seen only by who may see their
//! incident, bad files are named and the report is kept, the duplicate hint, and several
//! events in one report.

mod common;
use common::*;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

const BOUNDARY: &str = "----lagesbild-test-boundary";

enum Part<'a> {
    Text(&'a str, &'a str),
    File(&'a str, &'a str, &'a [u8]),
}

fn multipart(parts: &[Part]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match p {
            Part::Text(name, value) => {
                out.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                        .as_bytes(),
                );
            }
            Part::File(name, file, bytes) => {
                out.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
                out.extend_from_slice(bytes);
                out.extend_from_slice(b"\r\n");
            }
        }
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

async fn post_multipart(app: &App, cookie: &str, key: Option<&str>, body: Vec<u8>) -> Resp {
    let mut b = Request::post("/incidents")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header(header::ACCEPT, "application/json")
        .header(header::COOKIE, cookie);
    if let Some(k) = key {
        b = b.header("Idempotency-Key", k);
    }
    app.send(b.body(Body::from(body)).unwrap()).await
}

async fn api_with_key(app: &App, token: &str, key: &str, body: &Value) -> Resp {
    app.send(
        Request::post("/api/v1/incidents")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", key)
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

async fn count(app: &App, token: &str) -> usize {
    let r = app
        .api("GET", "/api/v1/incidents?limit=1000", Some(token), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()["items"].as_array().unwrap().len()
}

fn event(category: &str, at: &str, lat: f64, lon: f64) -> Value {
    json!({
        "category": category,
        "occurred_at": at,
        "lat": lat,
        "lon": lon,
        "description": "Trasig glasruta i busskuren",
    })
}

#[tokio::test]
async fn a_report_sent_again_is_stored_once_on_both_stores() {
    for db in BOTH {
        let (app, _, ku, ..) = app_on(db).await;
        let admin = app.token(&ku[0]).await;
        let reporter = app.token(&ku[1]).await;
        let body = event(
            "skadegorelse",
            "2026-11-27T07:40:00+01:00",
            59.4224,
            16.0978,
        );
        let first = api_with_key(&app, &reporter, "visit-0001", &body).await;
        assert_eq!(first.status, StatusCode::CREATED, "{db:?}: {}", first.body);
        assert!(first.headers.get("idempotent-replayed").is_none());
        let again = api_with_key(&app, &reporter, "visit-0001", &body).await;
        assert_eq!(again.status, StatusCode::CREATED, "{db:?}");
        assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
        assert_eq!(again.json(), first.json(), "{db:?}: the same answer");
        assert_eq!(again.location(), first.location());
        assert_eq!(count(&app, &admin).await, 1, "{db:?}");

        // The same key with another report is refused, and stores nothing.
        let other = event("trafik", "2026-11-27T07:40:00+01:00", 59.4224, 16.0978);
        let r = api_with_key(&app, &reporter, "visit-0001", &other).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{db:?}");
        assert_eq!(r.json()[0]["field"], "Idempotency-Key");
        assert_eq!(count(&app, &admin).await, 1, "{db:?}");
        // A key that is not one.
        let r = api_with_key(&app, &reporter, "ett mellanslag", &other).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{db:?}");

        // Eight sendings of one report at once (a phone and its retries): one incident.
        let body = event("trafik", "2026-11-27T08:00:00+01:00", 59.4225, 16.0979);
        let sends = (0..8).map(|_| api_with_key(&app, &reporter, "visit-0002", &body));
        let answers = join_boxed(sends.map(Box::pin).collect()).await;
        let ids: Vec<Value> = answers
            .iter()
            .map(|r| {
                assert_eq!(r.status, StatusCode::CREATED, "{db:?}: {}", r.body);
                r.json()["id"].clone()
            })
            .collect();
        assert!(ids.iter().all(|id| *id == ids[0]), "{db:?}: {ids:?}");
        assert_eq!(count(&app, &admin).await, 2, "{db:?}");

        // Several events in one report: stored together, each an incident that knows its report.
        let report = json!({"events": [
            event("skadegorelse-klotter", "2026-11-27T07:30:00+01:00", 59.4230, 16.0990),
            event("trafik", "2026-11-27T07:45:00+01:00", 59.4210, 16.0960),
            event("ordningsstorning", "2026-11-27T07:50:00+01:00", 59.4220, 16.0970),
        ]});
        let r = api_with_key(&app, &reporter, "round-monday", &report).await;
        assert_eq!(r.status, StatusCode::CREATED, "{db:?}: {}", r.body);
        let v = r.json();
        let incidents = v["incidents"].as_array().unwrap();
        assert_eq!(incidents.len(), 3);
        assert!(incidents.iter().all(|i| i["report_id"] == v["report_id"]));
        assert_eq!(incidents[1]["category"], "trafik");
        let again = api_with_key(&app, &reporter, "round-monday", &report).await;
        assert_eq!(again.json(), v, "{db:?}");
        assert_eq!(count(&app, &admin).await, 5, "{db:?}");
        // One bad event refuses the report, naming the event; nothing is stored.
        let bad = json!({"events": [
            event("trafik", "2026-11-27T07:45:00+01:00", 59.4210, 16.0960),
            event("finns-inte", "2026-11-27T07:50:00+01:00", 59.4220, 16.0970),
        ]});
        let r = api_with_key(&app, &reporter, "round-bad", &bad).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{db:?}");
        assert_eq!(r.json()[0]["field"], "events[1].category", "{}", r.body);
        assert_eq!(count(&app, &admin).await, 5, "{db:?}");
        // The incident page lists the other events of its report.
        let (cookie, _) = app.login("rapportor@k1960.example").await;
        let first_id = incidents[0]["id"].as_i64().unwrap();
        let page = app
            .get(&format!("/incidents/{first_id}"), Some(&cookie))
            .await;
        assert!(page.body.contains("Fler händelser i samma rapport"));
        assert!(
            page.body
                .contains(&format!("/incidents/{}", incidents[2]["id"]))
        );
    }
}

async fn join_boxed<F: std::future::Future<Output = Resp>>(
    mut futures: Vec<std::pin::Pin<Box<F>>>,
) -> Vec<Resp> {
    use std::task::Poll;
    let mut results: Vec<Option<Resp>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in futures.iter_mut().enumerate() {
            if results[i].is_none() {
                match f.as_mut().poll(cx) {
                    Poll::Ready(r) => results[i] = Some(r),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    results.into_iter().map(|r| r.unwrap()).collect()
}

#[tokio::test]
async fn photos_lose_their_metadata_bad_files_are_named_and_the_report_is_kept() {
    for db in BOTH {
        let (app, _, ku, _, au) = app_on(db).await;
        let (cookie, csrf) = app.login("rapportor@k1960.example").await;
        let gps = service::photos::jpeg_with_gps(800, 600);
        assert!(service::photos::jpeg_has_metadata(&gps));
        let bomb = service::photos::bomb(40_000, 40_000);
        let big = vec![0xFFu8; 50 * 1024 * 1024];
        let body = multipart(&[
            Part::Text("csrf", &csrf),
            Part::Text("category", "skadegorelse-klotter"),
            Part::Text("occurred_from", "2026-11-27T07:40"),
            Part::Text("lat", "59.4224"),
            Part::Text("lon", "16.0978"),
            Part::Text("description", "Klotter på busskuren vid torget"),
            Part::File("photos", "IMG_0001.jpg", &gps),
            Part::File("photos", "anteckning.txt", b"inte en bild"),
            Part::File("photos", "bomb.png", &bomb),
            Part::File("photos", "stor.jpg", &big),
        ]);
        let r = post_multipart(&app, &cookie, Some("phone-key-1"), body.clone()).await;
        assert_eq!(r.status, StatusCode::CREATED, "{db:?}: {}", r.body);
        let v = r.json();
        let id = v["incidents"][0]["id"].as_i64().unwrap();
        let refused: Vec<String> = v["photos_refused"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["message"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(refused.len(), 3, "{refused:?}");
        assert!(
            refused[0].starts_with("anteckning.txt: filen är inte en bild"),
            "{refused:?}"
        );
        assert!(
            refused[1].starts_with("bomb.png: bilden är för stor"),
            "{refused:?}"
        );
        assert!(
            refused[2].starts_with("stor.jpg: filen är för stor"),
            "{refused:?}"
        );

        // The photo that was kept has no EXIF, GPS or maker data.
        let reporter = app.token(&ku[1]).await;
        let list = app
            .api(
                "GET",
                &format!("/api/v1/incidents/{id}/photos"),
                Some(&reporter),
                None,
            )
            .await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        let items = list.json()["items"].as_array().unwrap().clone();
        assert_eq!(items.len(), 1, "{db:?}");
        assert_eq!(
            (items[0]["width"].as_u64(), items[0]["height"].as_u64()),
            (Some(800), Some(600))
        );
        let url = items[0]["url"].as_str().unwrap().to_string();
        let photo = app.get(&url, Some(&cookie)).await;
        assert_eq!(photo.status, StatusCode::OK);
        assert_eq!(photo.headers[header::CONTENT_TYPE], "image/jpeg");
        let bytes = photo.body_bytes();
        assert!(!service::photos::jpeg_has_metadata(bytes), "{db:?}");
        assert!(!bytes.windows(4).any(|w| w == b"Exif"));
        assert!(!bytes.windows(9).any(|w| w == b"TestPhone"));

        // Sent again (the answer was lost): the same report, no second photo.
        let again = post_multipart(&app, &cookie, Some("phone-key-1"), body).await;
        assert_eq!(again.status, StatusCode::CREATED);
        assert_eq!(again.headers["idempotent-replayed"], "true");
        assert_eq!(again.json()["incidents"][0]["id"].as_i64(), Some(id));
        let list = app
            .api(
                "GET",
                &format!("/api/v1/incidents/{id}/photos"),
                Some(&reporter),
                None,
            )
            .await;
        assert_eq!(list.json()["items"].as_array().unwrap().len(), 1, "{db:?}");

        // The incident page shows it, with a text alternative.
        let page = app.get(&format!("/incidents/{id}"), Some(&cookie)).await;
        // (minijinja writes a slash in an attribute as &#x2f;.)
        let escaped = url.replace('/', "&#x2f;");
        assert!(
            page.body.contains(&format!("src=\"{escaped}\"")),
            "{db:?}: {}",
            page.body
        );
        assert!(page.body.contains("alt=\"Foto 1 av 1 från rapporten\""));

        // Who may not see the incident gets no photo: the reader, and another municipality.
        let reader = app.token(&ku[2]).await;
        let other = app.token(&au[0]).await;
        for t in [&reader, &other] {
            let r = app.api("GET", &url, Some(t), None).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{db:?}");
            assert!(r.body_bytes().len() < 200);
            let r = app
                .api(
                    "GET",
                    &format!("/api/v1/incidents/{id}/photos"),
                    Some(t),
                    None,
                )
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND);
        }
        // Nor through another incident's address.
        let other_incident = api_with_key(
            &app,
            &reporter,
            "second",
            &event("trafik", "2026-11-27T08:00:00+01:00", 59.4, 16.1),
        )
        .await
        .json()["id"]
            .as_i64()
            .unwrap();
        let photo_id = items[0]["id"].as_i64().unwrap();
        let r = app
            .api(
                "GET",
                &format!("/api/v1/incidents/{other_incident}/photos/{photo_id}"),
                Some(&reporter),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);

        // The API takes a photo as its body; a bad one is 422 and the incident is kept.
        let post_photo = |token: String, body: Vec<u8>, key: &'static str| {
            let app = &app;
            async move {
                app.send(
                    Request::post(format!("/api/v1/incidents/{id}/photos"))
                        .header(header::AUTHORIZATION, format!("Bearer {token}"))
                        .header(header::CONTENT_TYPE, "image/jpeg")
                        .header("Idempotency-Key", key)
                        .body(Body::from(body))
                        .unwrap(),
                )
                .await
            }
        };
        let r = post_photo(reporter.clone(), b"GIF89a nope".to_vec(), "p-bad").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.json()[0]["field"], "photo");
        assert_eq!(count(&app, &reporter).await, 2);
        let small = service::photos::jpeg_with_gps(64, 48);
        for k in ["p1", "p2", "p3", "p4"] {
            let r = post_photo(reporter.clone(), small.clone(), k).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            assert_eq!(r.json()["width"], 64);
        }
        // Sent again with its key: the same photo.
        let r = post_photo(reporter.clone(), small.clone(), "p4").await;
        assert_eq!(r.status, StatusCode::CREATED);
        assert_eq!(r.headers["idempotent-replayed"], "true");
        // A sixth is refused: five per incident.
        let r = post_photo(reporter.clone(), small.clone(), "p5").await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{db:?}: {}", r.body);
        // Another reporter (who does not see the incident) cannot add to it.
        let admin = app.token(&ku[0]).await;
        let r = post_photo(reader.clone(), small.clone(), "x").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = post_photo(other.clone(), small.clone(), "x").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        // An over-large body is named as such.
        let r = post_photo(
            admin.clone(),
            vec![0u8; web_field_max_photo_body() + 1],
            "huge",
        )
        .await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(r.body.contains("för stor"), "{}", r.body);
    }
}

fn web_field_max_photo_body() -> usize {
    4 * service::photos::MAX_BYTES
}

#[tokio::test]
async fn the_form_without_javascript_is_stored_once_and_names_the_event_of_an_error() {
    let (app, _, ku, ..) = app().await;
    let (cookie, csrf) = app.login("rapportor@k1960.example").await;
    let page = app.get("/incidents/new", Some(&cookie)).await;
    let key = attr(&page.body, "name=\"report_key\" value");
    assert!(key.len() >= 20, "{key}");
    let mut form = good_form(&csrf);
    form.push(("report_key", &key));
    let first = app.post_form("/incidents", Some(&cookie), &form).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    // The back button and the button again: the same incident.
    let again = app.post_form("/incidents", Some(&cookie), &form).await;
    assert_eq!(again.location(), first.location());
    let admin = app.token(&ku[0]).await;
    assert_eq!(count(&app, &admin).await, 1);

    // Several events as the phone's form sends them, a removed one leaving a gap (e1).
    let body = multipart(&[
        Part::Text("csrf", &csrf),
        Part::Text("report_key", "form-two-events"),
        Part::Text("category", "skadegorelse-klotter"),
        Part::Text("occurred_from", "2026-11-27T07:40"),
        Part::Text("lat", "59.4224"),
        Part::Text("lon", "16.0978"),
        Part::Text("description", "Klotter"),
        Part::Text("e2-category", "finns-inte"),
        Part::Text("e2-occurred_from", "2026-11-27T07:50"),
        Part::Text("e2-lat", "59.4230"),
        Part::Text("e2-lon", "16.0990"),
        Part::Text("e2-description", "Sten i rutan"),
        Part::Text("visibility", "police_and_coordinator"),
    ]);
    let r = post_multipart(&app, &cookie, None, body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()[0]["field"], "e2-category", "{}", r.body);
    let body = multipart(&[
        Part::Text("csrf", &csrf),
        Part::Text("report_key", "form-two-events"),
        Part::Text("category", "skadegorelse-klotter"),
        Part::Text("occurred_from", "2026-11-27T07:40"),
        Part::Text("lat", "59.4224"),
        Part::Text("lon", "16.0978"),
        Part::Text("description", "Klotter"),
        Part::Text("e2-category", "skadegorelse"),
        Part::Text("e2-occurred_from", "2026-11-27T07:50"),
        Part::Text("e2-lat", "59.4230"),
        Part::Text("e2-lon", "16.0990"),
        Part::Text("e2-description", "Sten i rutan"),
        Part::Text("visibility", "police_and_coordinator"),
    ]);
    let r = post_multipart(&app, &cookie, None, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let ids: Vec<i64> = r.json()["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    // At most five photos in a report, over its events: the sixth is named and refused.
    let small = service::photos::jpeg_with_gps(32, 24);
    let mut parts = vec![
        Part::Text("csrf", &csrf),
        Part::Text("category", "skadegorelse-klotter"),
        Part::Text("occurred_from", "2026-11-27T07:40"),
        Part::Text("lat", "59.4224"),
        Part::Text("lon", "16.0978"),
        Part::Text("description", "Klotter"),
        Part::Text("e1-category", "skadegorelse"),
        Part::Text("e1-occurred_from", "2026-11-27T07:50"),
        Part::Text("e1-lat", "59.4230"),
        Part::Text("e1-lon", "16.0990"),
        Part::Text("e1-description", "Sten i rutan"),
    ];
    let names = ["a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg", "f.jpg"];
    for (k, name) in names.iter().enumerate() {
        parts.push(Part::File(
            if k < 3 { "photos" } else { "e1-photos" },
            name,
            &small,
        ));
    }
    let r = post_multipart(&app, &cookie, Some("six-photos"), multipart(&parts)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let v = r.json();
    assert_eq!(v["photos_refused"].as_array().unwrap().len(), 1, "{v}");
    assert!(
        v["photos_refused"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("f.jpg: en rapport kan ha högst 5 foton"),
        "{v}"
    );
    let second = v["incidents"][1]["id"].as_i64().unwrap();
    let photos = app
        .api(
            "GET",
            &format!("/api/v1/incidents/{second}/photos"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(photos.json()["items"].as_array().unwrap().len(), 2);

    // The report's visibility holds for both events.
    for id in ids {
        let i = app
            .api(
                "GET",
                &format!("/api/v1/incidents/{id}"),
                Some(&admin),
                None,
            )
            .await
            .json();
        assert_eq!(i["visibility"], "police_and_coordinator");
    }
}

#[tokio::test]
async fn the_duplicate_hint_finds_the_same_spot_and_links_the_report() {
    for db in BOTH {
        let (app, _, ku, ..) = app_on(db).await;
        let reporter = app.token(&ku[1]).await;
        let first = api_with_key(
            &app,
            &reporter,
            "k1",
            &event(
                "skadegorelse",
                "2026-11-27T07:40:00+01:00",
                59.4224,
                16.0978,
            ),
        )
        .await
        .json();
        // 80 m away: not the same spot.
        api_with_key(
            &app,
            &reporter,
            "k2",
            &event(
                "skadegorelse",
                "2026-11-27T07:40:00+01:00",
                59.4224,
                16.0992,
            ),
        )
        .await;
        let r = app
            .api(
                "GET",
                "/api/v1/incidents/nearby?lat=59.42243&lon=16.09785&category=skadegorelse&at=2026-11-27T11:00",
                Some(&reporter),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let items = r.json()["items"].as_array().unwrap().clone();
        assert_eq!(items.len(), 1, "{db:?}: {items:?}");
        assert_eq!(items[0]["id"], first["id"]);
        assert!(items[0]["distance_m"].as_f64().unwrap() < 10.0);
        assert_eq!(items[0]["category_name"], "Skadegörelse");
        // Another category, or three days later: nothing.
        for q in [
            "lat=59.42243&lon=16.09785&category=trafik",
            "lat=59.42243&lon=16.09785&category=skadegorelse&at=2026-11-30T12:00",
        ] {
            let r = app
                .api(
                    "GET",
                    &format!("/api/v1/incidents/nearby?{q}"),
                    Some(&reporter),
                    None,
                )
                .await;
            assert_eq!(r.json()["items"].as_array().unwrap().len(), 0, "{q}");
        }
        // Bad questions are named.
        let r = app
            .api(
                "GET",
                "/api/v1/incidents/nearby?lat=abc&lon=16&category=x%20y",
                Some(&reporter),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<String> = r
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(fields, ["lat", "category"]);
        // "Same as this one": the new report points at the first.
        let mut same = event(
            "skadegorelse",
            "2026-11-27T09:00:00+01:00",
            59.42243,
            16.09785,
        );
        same["same_as"] = first["id"].clone();
        let r = api_with_key(&app, &reporter, "k3", &same).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.json()["same_as"], first["id"]);
        // Only an incident the reporter may see.
        same["same_as"] = json!(999_999);
        let r = api_with_key(&app, &reporter, "k4", &same).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.json()[0]["field"], "same_as");
    }
}

#[tokio::test]
async fn the_app_can_be_installed_and_its_files_are_compressed() {
    let (app, ..) = app().await;
    let m = app.get("/manifest.webmanifest", None).await;
    assert_eq!(m.status, StatusCode::OK);
    let v = m.json();
    assert_eq!(v["start_url"], "/incidents/new");
    assert_eq!(v["display"], "standalone");
    assert!(
        v["icons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["sizes"] == "512x512")
    );
    for icon in v["icons"].as_array().unwrap() {
        let r = app.get(icon["src"].as_str().unwrap(), None).await;
        assert_eq!(r.status, StatusCode::OK, "{icon}");
    }
    let sw = app.get("/sw.js", None).await;
    assert_eq!(sw.status, StatusCode::OK);
    assert_eq!(sw.headers[header::CACHE_CONTROL], "no-cache");
    assert!(sw.body.contains("/incidents/new"));
    // Served compressed to a browser that asks.
    let r = app
        .send(
            Request::get("/static/report-form.js")
                .header(header::ACCEPT_ENCODING, "gzip, br")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.headers[header::CONTENT_ENCODING], "gzip");
    let mut plain = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(r.body_bytes()),
        &mut plain,
    )
    .unwrap();
    assert!(plain.contains("queue.js"));
    // Every page links the manifest; the report page names its user for the queue.
    let (cookie, _) = app.login("rapportor@k1960.example").await;
    let page = app.get("/incidents/new", Some(&cookie)).await;
    assert!(
        page.body
            .contains(r#"<link rel="manifest" href="/manifest.webmanifest">"#)
    );
    assert!(page.body.contains("data-user=\""));
    assert!(
        !page.body.contains("maplibre-gl.css"),
        "the map loads only when asked for"
    );
}
