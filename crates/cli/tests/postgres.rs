//! The binary on PostgreSQL: migrate, demo and serve against a fresh database on the server
//! named by `LAGESBILD_TEST_PG` (scripts/test.sh starts a throwaway one).

use std::io::{Read, Write};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_lagesbild");

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A URL of a new, empty database on the test server.
fn fresh_database(tag: &str) -> String {
    let server = std::env::var("LAGESBILD_TEST_PG").unwrap_or_else(|_| {
        panic!(
            "LAGESBILD_TEST_PG is not set: run ./scripts/test.sh (it starts a throwaway PostgreSQL)"
        )
    });
    let name = format!("lb_cli_{tag}_{}", std::process::id());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let admin = store_postgres::connect(&server).await.unwrap();
        admin
            .execute_admin(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        admin.close().await;
    });
    store_postgres::with_database(&server, &name)
}

fn get(addr: &str, path: &str) -> Option<String> {
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    Some(body)
}

#[test]
fn migrate_demo_and_serve_on_postgresql() {
    let db = fresh_database("demo");
    let (ok, out, err) = run(&["migrate", "--db", &db]);
    assert!(ok, "{err}");
    assert_eq!(
        out.trim(),
        "applied migrations [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]"
    );
    let (ok, out, _) = run(&["migrate", "--db", &db]);
    assert!(ok);
    assert_eq!(out.trim(), "the database is up to date");

    let polisen = service::shared_data("data/polisen/events-2022-09-to-2026-08.jsonl.gz")
        .to_str()
        .unwrap()
        .to_string();
    let (ok, out, err) = run(&["demo", "--db", &db, "--no-serve", "--polisen", &polisen]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("samordnare@kungsor.example"), "{out}");
    assert!(out.contains("46 nya"), "{out}");
    let (ok, out, _) = run(&["demo", "--db", &db, "--no-serve"]);
    assert!(ok);
    assert!(!out.contains("lösenord:"), "the demo is seeded once: {out}");
    let (ok, out, err) = run(&["audit", "verify", "--db", &db]);
    assert!(ok, "{out}{err}");

    // serve answers from the PostgreSQL database.
    let key_dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(BIN)
        .args(["serve", "--db", &db, "--addr", &addr])
        .env("LAGESBILD_KEY_FILE", key_dir.path().join("deployment.key"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut answer = None;
    for _ in 0..100 {
        if let Some(r) = get(&addr, "/healthz") {
            answer = Some(r);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let login = get(&addr, "/login");
    child.kill().unwrap();
    child.wait().unwrap();
    let answer = answer.expect("serve answers within 10 s");
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.contains(r#""status":"ok""#),
        "{answer}"
    );
    assert!(login.unwrap().contains("Logga in"));
}

#[test]
fn a_municipality_moves_from_sqlite_to_postgresql() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kungsor.db");
    let file = file.to_str().unwrap();
    let polisen = service::shared_data("data/polisen/events-2022-09-to-2026-08.jsonl.gz")
        .to_str()
        .unwrap()
        .to_string();
    let (ok, out, err) = run(&["demo", "--db", file, "--no-serve", "--polisen", &polisen]);
    assert!(ok, "{out}{err}");
    let db = fresh_database("copy");
    let (ok, out, err) = run(&["copy", "--from", file, "--to", &db, "--tenant", "1960"]);
    assert!(ok, "{out}{err}");
    assert!(out.starts_with("copied municipality 1960"), "{out}");
    let rows = |name: &str| -> usize {
        out.lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no {name} line in {out}"))
    };
    assert!(rows("incidents") > 1000, "{out}");
    // The demo's two photos move byte for byte (their checksums are compared like every row's).
    assert_eq!(rows("photos"), 2, "{out}");
    assert!(
        // Every user has its audit row; the demo's incidents came in batches (a row each).
        rows("users") >= 5 && rows("audit_log") > rows("users"),
        "{out}"
    );
    // The copy's audit trail holds; the demo logins work against it (the same hashes).
    let (ok, out2, err) = run(&["audit", "verify", "--db", &db]);
    assert!(ok, "{out2}{err}");
    // Copying again is refused with the reason.
    let (ok, _, err) = run(&["copy", "--from", file, "--to", &db, "--tenant", "1960"]);
    assert!(!ok);
    assert!(
        err.contains("1960") && err.contains("already exists"),
        "{err}"
    );
}
