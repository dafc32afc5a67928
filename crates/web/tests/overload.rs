//! Overload: past `max_in_flight` requests at once the answer is 503 with `Retry-After` at
//! once, never a wait; the requests let in are answered, and the server is whole after.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_limit_requests_get_503_with_retry_after_at_once() {
    let (app, _kungsor, ku, ..) = common::app_with(web::WebConfig {
        max_in_flight: 2,
        ..Default::default()
    })
    .await;
    let token = app.token(&ku[1]).await;
    // Two reports whose bodies are still on their way hold both places.
    let mut senders = Vec::new();
    let mut slow = Vec::new();
    for _ in 0..2 {
        let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
        let req = Request::post("/api/v1/incidents")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from_stream(
                tokio_stream::wrappers::ReceiverStream::new(rx),
            ))
            .unwrap();
        let router = app.router.clone();
        slow.push(tokio::spawn(async move {
            router.oneshot(req).await.unwrap().status()
        }));
        senders.push(tx);
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // A third is shed at once, with the time to wait, in the caller's language.
    let started = std::time::Instant::now();
    let r = app
        .api("GET", "/api/v1/incidents", Some(&token), None)
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert!(
        started.elapsed().as_millis() < 2000,
        "shed at once, not queued"
    );
    assert_eq!(r.headers["retry-after"], "1");
    assert!(r.json()["error"].as_str().unwrap().contains("Försök igen"));
    let page = app.get("/login", None).await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    // The two let in are answered when their bodies arrive.
    let body = serde_json::json!({
        "category": "skadegorelse-klotter",
        "occurred_at": "2026-11-20T22:15:00+01:00",
        "lat": 59.4224, "lon": 16.0978, "description": "Klotter"
    })
    .to_string();
    for tx in senders {
        tx.send(Ok(body.clone().into_bytes())).await.unwrap();
    }
    for h in slow {
        assert_eq!(h.await.unwrap(), StatusCode::CREATED);
    }
    // And there is room again.
    let r = app
        .api("GET", "/api/v1/incidents", Some(&token), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["items"].as_array().unwrap().len(), 2);
}
