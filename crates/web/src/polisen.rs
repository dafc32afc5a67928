//! The police's live events API (`https://polisen.se/api/events`), fetched incrementally:
//! for each month from the newest event already stored to this month, the events of the
//! tenant's municipality and county (`DateTime=YYYY-MM&locationname=Kungsör;Västmanlands
//! län`: since 2026 `location.name` is the county). The answers are read by
//! `service::polisen` with every trap of the format handled, and stored idempotently by the
//! police's event id, so a fetch that overlaps the last one changes nothing. `serve` polls it
//! on a schedule (`spawn_poller`) for every tenant with a police organisation.

use service::polisen::{self, ImportError, ImportSummary, LineError, ReadReport};
use std::sync::Arc;
use std::time::Duration;
use store::{OrgId, Store, StoreError, Tenant};

/// The largest answer read (the API answers at most 500 events, about 250 kB).
const MAX_ANSWER: u64 = 10 * 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("fetching {url}: {reason}")]
    Fetch { url: String, reason: String },
    #[error("the answer of {url} is not the police's events: {source}")]
    Answer {
        url: String,
        #[source]
        source: LineError,
    },
    #[error("no county is known for municipality code {0}")]
    County(String),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a fetch did: the months asked for, what their answers held, what was stored.
#[derive(Debug)]
pub struct LiveSummary {
    pub months: Vec<String>,
    pub import: ImportSummary,
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The URL of one month's events for a municipality and its county.
pub fn month_url(base: &str, month: &str, municipality: &str, county: &str) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    format!(
        "{base}{sep}DateTime={month}&locationname={}",
        enc(&format!("{municipality};{county}"))
    )
}

fn get(url: &str) -> Result<String, LiveError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .user_agent(concat!("Lagesbild/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    agent
        .get(url)
        .header("Accept", "application/json")
        .call()
        .and_then(|mut r| {
            r.body_mut()
                .with_config()
                .limit(MAX_ANSWER)
                .read_to_string()
        })
        .map_err(|e| LiveError::Fetch {
            url: url.to_string(),
            reason: e.to_string(),
        })
}

/// Fetches the months not yet complete for the tenant (or, with `since`, every month from
/// that one: a first backfill, at most ten years) and stores their events as the police
/// organisation's.
pub async fn import_live(
    store: &dyn Store,
    tenant: &Tenant,
    police_org: OrgId,
    base: &str,
    since: Option<jiff::civil::Date>,
    now: jiff::Timestamp,
) -> Result<LiveSummary, LiveError> {
    let m = service::municipality(&tenant.code)
        .ok_or_else(|| ImportError::UnknownMunicipality(tenant.code.clone()))?;
    let county = polisen::county_name(&m.code).ok_or_else(|| LiveError::County(m.code.clone()))?;
    let months = match since {
        Some(first) => polisen::months_from(first, now, 120),
        None => polisen::months_to_fetch(polisen::newest_imported(store, tenant).await?, now),
    };
    let mut all = ReadReport::default();
    for month in &months {
        let url = month_url(base, month, &m.name, county);
        let body = {
            let u = url.clone();
            tokio::task::spawn_blocking(move || get(&u))
                .await
                .map_err(|e| LiveError::Fetch {
                    url: url.clone(),
                    reason: e.to_string(),
                })??
        };
        let read = polisen::read_answer(&body, &m.name)
            .map_err(|source| LiveError::Answer { url, source })?;
        all.lines += read.lines;
        all.summaries_skipped += read.summaries_skipped;
        all.other_places += read.other_places;
        all.errors.extend(read.errors);
        all.events.extend(read.events);
    }
    let import = polisen::import_read(store, tenant, police_org, all, now).await?;
    Ok(LiveSummary { months, import })
}

/// The tenant's police organisation (the first of kind `polis`).
pub async fn police_org(store: &dyn Store, tenant: &Tenant) -> Result<Option<OrgId>, StoreError> {
    Ok(store
        .organisations(tenant.id)
        .await?
        .into_iter()
        .find(|o| o.kind == "polis")
        .map(|o| o.id))
}

/// Fetches every `every` for each tenant that has a police organisation; a failure is
/// logged and tried again at the next round.
pub fn spawn_poller(store: Arc<dyn Store>, base: String, every: Duration) {
    tokio::spawn(async move {
        loop {
            match store.tenants().await {
                Err(e) => tracing::warn!("police events: listing tenants: {e}"),
                Ok(tenants) => {
                    for t in tenants {
                        let org = match police_org(store.as_ref(), &t).await {
                            Ok(Some(org)) => org,
                            Ok(None) => continue,
                            Err(e) => {
                                tracing::warn!("police events for {}: {e}", t.code);
                                continue;
                            }
                        };
                        match import_live(
                            store.as_ref(),
                            &t,
                            org,
                            &base,
                            None,
                            jiff::Timestamp::now(),
                        )
                        .await
                        {
                            Ok(s) => tracing::info!(
                                "police events for {}: months {}, {} events, {} new, {} updated, {} unread",
                                t.code,
                                s.months.join(" "),
                                s.import.read.events.len(),
                                s.import.stored.inserted,
                                s.import.stored.updated,
                                s.import.read.errors.len()
                            ),
                            Err(e) => tracing::warn!("police events for {}: {e}", t.code),
                        }
                    }
                }
            }
            tokio::time::sleep(every).await;
        }
    });
}
