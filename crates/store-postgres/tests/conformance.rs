//! The store conformance suite against PostgreSQL + PostGIS, each test in a fresh database on
//! the server named by `LAGESBILD_TEST_PG` (a URL of a database we may create databases from;
//! `scripts/test.sh` starts a throwaway cluster and sets it).

mod common;
use store_postgres::PgStore;

pub struct Fresh(pub PgStore);
impl std::ops::Deref for Fresh {
    type Target = PgStore;
    fn deref(&self) -> &PgStore {
        &self.0
    }
}

store::conformance_tests!(Fresh(common::fresh().await));
