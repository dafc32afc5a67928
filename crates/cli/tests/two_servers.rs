//! Two `serve` processes on one PostgreSQL database behind one address (a round-robin proxy,
//! as a load balancer would stand): the sign-in limit counts failures on both together, and a
//! session ended on one is ended on the other, and a tip form shown by one is taken by the
//! other once (issue 15, point 7).

#[path = "../../bench/src/crash.rs"]
#[allow(dead_code)]
mod crash;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const PASSWORD: &str = "ett långt lösenord för två servrar";

struct Answer {
    status: u16,
    head: String,
    body: String,
}

impl Answer {
    fn cookie(&self) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.eq_ignore_ascii_case("set-cookie") && v.trim().starts_with("lagesbild_session="))
                .then(|| v.trim().split(';').next().unwrap_or_default().to_string())
        })
    }
    fn location(&self) -> String {
        self.head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("location")
                    .then(|| v.trim().to_string())
            })
            .unwrap_or_default()
    }
}

/// One HTTP/1.1 request on its own connection.
fn http(port: u16, method: &str, path: &str, cookie: Option<&str>, form: Option<&str>) -> Answer {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    if let Some(c) = cookie {
        req.push_str(&format!("Cookie: {c}\r\n"));
    }
    let body = form.unwrap_or("");
    if form.is_some() {
        req.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Answer {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn login_form(email: &str, password: &str) -> String {
    format!(
        "email={}&password={}&next=%2Fincidents",
        enc(email),
        enc(password)
    )
}

fn csrf_of(html: &str) -> String {
    let key = r#"name="csrf" value=""#;
    let start = html.find(key).expect("a CSRF field") + key.len();
    html[start..].split('"').next().unwrap().to_string()
}

/// Accepts on one port and hands each connection to the next backend in turn.
async fn round_robin(backends: [u16; 2]) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let next = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                return;
            };
            let backend = backends[next.fetch_add(1, Ordering::SeqCst) % 2];
            tokio::spawn(async move {
                if let Ok(mut server) = tokio::net::TcpStream::connect(("127.0.0.1", backend)).await
                {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            });
        }
    });
    port
}

async fn users(db: &str) -> (String, String) {
    crash::prepare(db).await.unwrap();
    let store = store_postgres::PgStore::open(db).await.unwrap();
    use store::Store;
    let tenant = store.tenants().await.unwrap().remove(0);
    let org = store.organisations(tenant.id).await.unwrap().remove(0);
    let hash = service::auth::hash_password(PASSWORD).unwrap();
    let mut made = Vec::new();
    for who in ["gissad", "inloggad"] {
        let email = format!("{who}@kungsor.example");
        store
            .create_user(&store::NewUser {
                by: None,
                tenant_id: tenant.id,
                org_id: org.id,
                email: model::Email::parse(&email).unwrap(),
                display_name: who.into(),
                role: model::Role::Reporter,
                password_hash: hash.clone(),
            })
            .await
            .unwrap();
        made.push(email);
    }
    (made.remove(0), made.remove(0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_limit_and_a_sign_out_hold_across_two_servers() {
    let db = crash::new_pg_database("lb_two").await;
    let (guessed, signed_in) = users(&db).await;
    let bin = env!("CARGO_BIN_EXE_lagesbild");
    let (pa, pb) = (crash::free_port(), crash::free_port());
    let mut a = crash::start(bin, &db, pa).unwrap();
    let mut b = crash::start(bin, &db, pb).unwrap();
    let front = round_robin([pa, pb]).await;
    let outcome = tokio::task::spawn_blocking(move || {
        // Five wrong passwords through the one address: the proxy sends them to both servers
        // in turn, so each saw only two or three of them.
        for i in 0..5 {
            let r = http(
                front,
                "POST",
                "/login",
                None,
                Some(&login_form(&guessed, "fel lösenord")),
            );
            assert_eq!(r.status, 401, "attempt {i}: {}", r.status);
        }
        // Now both refuse even the right password: the limit is the store's, not a server's.
        for (which, port) in [("A", pa), ("B", pb)] {
            let r = http(
                port,
                "POST",
                "/login",
                None,
                Some(&login_form(&guessed, PASSWORD)),
            );
            assert_eq!(r.status, 429, "server {which} lets the guessed account in");
        }
        // Another account is not locked by that.
        let r = http(
            front,
            "POST",
            "/login",
            None,
            Some(&login_form(&signed_in, PASSWORD)),
        );
        assert_eq!(r.status, 303, "{}", r.body);
        let cookie = r.cookie().expect("a session cookie");
        // The session works on both servers.
        let mut csrf = String::new();
        for (which, port) in [("A", pa), ("B", pb)] {
            let page = http(port, "GET", "/incidents/new", Some(&cookie), None);
            assert_eq!(page.status, 200, "server {which}: {}", page.location());
            csrf = csrf_of(&page.body);
        }
        // Signed out on A: B no longer knows the session.
        let out = http(
            pa,
            "POST",
            "/logout",
            Some(&cookie),
            Some(&format!("csrf={csrf}")),
        );
        assert_eq!(out.status, 303, "{}", out.body);
        let after = http(pb, "GET", "/incidents/new", Some(&cookie), None);
        assert_eq!(
            after.status, 303,
            "server B still serves a session ended on A"
        );
        assert!(
            after.location().starts_with("/login"),
            "{}",
            after.location()
        );
        // A tip form shown by A is taken by B (the signing key is the store's), and its
        // token is spent on both.
        let page = http(pa, "GET", "/tips/1960", None, None);
        assert_eq!(page.status, 200);
        let key = r#"name="token" value=""#;
        let start = page.body.find(key).expect("a form token") + key.len();
        let token = page.body[start..].split('"').next().unwrap().to_string();
        std::thread::sleep(Duration::from_millis(3200));
        let tip = format!(
            "token={}&category=otrygg-plats&description={}&place_text={}",
            enc(&token),
            enc("Trasig belysning i gångtunneln"),
            enc("Gångtunneln vid stationen")
        );
        let taken = http(pb, "POST", "/tips/1960", None, Some(&tip));
        assert_eq!(taken.status, 303, "B refuses A's form: {}", taken.body);
        let again = http(pa, "POST", "/tips/1960", None, Some(&tip));
        assert_eq!(again.status, 422, "A takes a token B spent");
    })
    .await;
    let _ = a.kill();
    let _ = b.kill();
    let _ = a.wait();
    let _ = b.wait();
    outcome.unwrap();
}
