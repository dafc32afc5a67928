//! Retention (gallring) for every tenant, as the daily job of `serve` and `lagesbild gallra` run it.

use jiff::Timestamp;
use store::{RetentionReport, Store, StoreError, Tenant};

/// Applies retention to every tenant (or one), returning each tenant's report.
pub async fn run(
    store: &dyn Store,
    only: Option<&str>,
    now: Timestamp,
) -> Result<Vec<(Tenant, RetentionReport)>, StoreError> {
    let mut out = Vec::new();
    for t in store.tenants().await? {
        if only.is_some_and(|code| code != t.code) {
            continue;
        }
        let report = store.apply_retention(t.id, now).await?;
        out.push((t, report));
    }
    Ok(out)
}

/// One line per tenant and category, for logs and the terminal.
pub fn describe(tenant: &Tenant, r: &RetentionReport) -> String {
    let mut s = format!(
        "{} ({}): {} anonymised, {} deleted",
        tenant.name, tenant.code, r.anonymised, r.deleted
    );
    if r.categories.is_empty() {
        s.push_str(" (no category has a retention period)");
    }
    for (cat, months, cutoff, n) in &r.categories {
        s.push_str(&format!("\n  {cat}: {months} months, before {cutoff}: {n}"));
    }
    s
}
