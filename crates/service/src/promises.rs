//! Medborgarlöften: the yearly promises of police and municipality to the citizens, each with
//! its activities (who is responsible, the planned period, status, indicators with a target and
//! the measured value). Actions link to an activity (`Action::record_id`); meetings take the
//! activities that fall due into their agenda; the lägesbild and the yearly follow-up show
//! their progress.

use jiff::Timestamp;
use jiff::civil::Date;
use model::{FieldError, RecordKind};
use serde::{Deserialize, Serialize};
use store::{NewRecord, Record, Store, StoreError, TenantId, UserId};

#[derive(Debug, thiserror::Error)]
pub enum PromiseError {
    #[error("not valid: {0:?}")]
    Invalid(Vec<FieldError>),
    #[error("record {0} not found")]
    NotFound(i64),
    #[error("stored record {id} is not valid: {reason}")]
    Corrupt { id: i64, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A promise (`RecordKind::Promise`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Promise {
    pub year: i32,
    pub title: String,
    pub text: String,
    /// Who gives it, e.g. "Polisen lokalpolisområde Västra Mälardalen, Kungsörs kommun".
    pub parties: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Indicator {
    pub name: String,
    pub target: f64,
    #[serde(default)]
    pub measured: Option<f64>,
    #[serde(default)]
    pub unit: String,
}

/// An activity of a promise (`RecordKind::Activity`, under the promise).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Activity {
    pub title: String,
    pub responsible: String,
    pub planned_from: Date,
    pub planned_to: Date,
    /// planned, in_progress, done or cancelled (as an action's).
    pub status: model::ActionStatus,
    #[serde(default)]
    pub indicators: Vec<Indicator>,
}

impl Activity {
    /// Past its planned end and neither done nor cancelled: "Försenad" wherever it is shown.
    pub fn is_late(&self, today: Date) -> bool {
        !self.status.is_closed() && self.planned_to < today
    }

    /// Share of the indicators' targets reached (measured / target, each capped at 1), or none
    /// without indicators measured.
    pub fn progress(&self) -> Option<f64> {
        let parts: Vec<f64> = self
            .indicators
            .iter()
            .filter_map(|i| {
                let m = i.measured?;
                Some(if i.target > 0.0 {
                    (m / i.target).clamp(0.0, 1.0)
                } else {
                    1.0
                })
            })
            .collect();
        (!parts.is_empty()).then(|| parts.iter().sum::<f64>() / parts.len() as f64)
    }
}

fn decode<T: serde::de::DeserializeOwned>(r: &Record) -> Result<T, PromiseError> {
    serde_json::from_value(r.data.clone()).map_err(|e| PromiseError::Corrupt {
        id: r.id,
        reason: e.to_string(),
    })
}

pub fn promise_of(r: &Record) -> Result<Promise, PromiseError> {
    if r.kind != RecordKind::Promise {
        return Err(PromiseError::NotFound(r.id));
    }
    decode(r)
}

pub fn activity_of(r: &Record) -> Result<Activity, PromiseError> {
    if r.kind != RecordKind::Activity {
        return Err(PromiseError::NotFound(r.id));
    }
    decode(r)
}

fn text(field: &str, v: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    crate::fields::text(field, v, true, max, errors)
}

/// A promise as submitted, checked.
pub fn parse_promise(
    year: &str,
    title: &str,
    body: &str,
    parties: &str,
) -> Result<Promise, Vec<FieldError>> {
    let mut errors = Vec::new();
    let y = match year.trim().parse::<i32>() {
        Ok(y) if (2000..=2100).contains(&y) => Some(y),
        _ => {
            errors.push(FieldError::new("year", "error-invalid-choice", year));
            None
        }
    };
    let title = text("title", title, 200, &mut errors);
    let body = text("text", body, 4_000, &mut errors);
    let parties = text("parties", parties, 500, &mut errors);
    match y {
        Some(year) if errors.is_empty() => Ok(Promise {
            year,
            title,
            text: body,
            parties,
        }),
        _ => Err(errors),
    }
}

/// An activity as submitted, checked: the period in order, an indicator's target a number.
pub fn parse_activity(
    title: &str,
    responsible: &str,
    from: &str,
    to: &str,
    indicator: &str,
    target: &str,
    unit: &str,
) -> Result<Activity, Vec<FieldError>> {
    let mut errors = Vec::new();
    let title = text("title", title, 200, &mut errors);
    let responsible = text("responsible", responsible, 300, &mut errors);
    let date = |field: &str, v: &str, errors: &mut Vec<FieldError>| match model::dates::date(v)
        .ok_or(())
    {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(FieldError::new(field, "error-date", v));
            None
        }
    };
    let f = date("planned_from", from, &mut errors);
    let t = date("planned_to", to, &mut errors);
    if let (Some(f), Some(t)) = (f, t)
        && t < f
    {
        errors.push(FieldError::new("planned_to", "error-interval-order", to));
    }
    let mut indicators = Vec::new();
    if !indicator.trim().is_empty() {
        let name = text("indicator", indicator, 200, &mut errors);
        match target.trim().replace(',', ".").parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => indicators.push(Indicator {
                name,
                target: v,
                measured: None,
                unit: unit.trim().chars().take(40).collect(),
            }),
            _ => errors.push(FieldError::new("target", "error-type", target)),
        }
    }
    match (f, t) {
        (Some(planned_from), Some(planned_to)) if errors.is_empty() => Ok(Activity {
            title,
            responsible,
            planned_from,
            planned_to,
            status: model::ActionStatus::Planned,
            indicators,
        }),
        _ => Err(errors),
    }
}

fn value<T: Serialize>(v: &T) -> Result<serde_json::Value, PromiseError> {
    serde_json::to_value(v).map_err(|e| PromiseError::Corrupt {
        id: 0,
        reason: e.to_string(),
    })
}

pub async fn create_promise(
    store: &dyn Store,
    tenant: TenantId,
    p: &Promise,
    by: Option<UserId>,
    now: Timestamp,
) -> Result<Record, PromiseError> {
    Ok(store
        .create_record(&NewRecord {
            tenant_id: tenant,
            kind: RecordKind::Promise,
            parent_id: None,
            data: value(p)?,
            by,
            at: now,
        })
        .await?)
}

pub async fn add_activity(
    store: &dyn Store,
    tenant: TenantId,
    promise: i64,
    a: &Activity,
    by: Option<UserId>,
    now: Timestamp,
) -> Result<Record, PromiseError> {
    Ok(store
        .create_record(&NewRecord {
            tenant_id: tenant,
            kind: RecordKind::Activity,
            parent_id: Some(promise),
            data: value(a)?,
            by,
            at: now,
        })
        .await?)
}

/// Follows an activity up: its status and, per indicator (by position), the measured value.
pub async fn follow_up(
    store: &dyn Store,
    tenant: TenantId,
    id: i64,
    status: model::ActionStatus,
    measured: &[(usize, Option<f64>)],
    by: Option<UserId>,
    now: Timestamp,
) -> Result<Record, PromiseError> {
    let r = store
        .record(tenant, id)
        .await?
        .ok_or(PromiseError::NotFound(id))?;
    let mut a = activity_of(&r)?;
    a.status = status;
    for (i, m) in measured {
        match a.indicators.get_mut(*i) {
            Some(ind) => ind.measured = *m,
            None => {
                return Err(PromiseError::Invalid(vec![FieldError::new(
                    &format!("measured_{i}"),
                    "error-invalid-choice",
                    i.to_string(),
                )]));
            }
        }
    }
    Ok(store
        .update_record(tenant, id, &value(&a)?, by, now)
        .await?)
}

/// A year's promises with their activities (records and documents), in order.
pub type YearPromises = Vec<((Record, Promise), Vec<(Record, Activity)>)>;

pub async fn of_year(
    store: &dyn Store,
    tenant: TenantId,
    year: i32,
) -> Result<YearPromises, PromiseError> {
    let (promises, activities) = tokio::try_join!(
        store.records(tenant, RecordKind::Promise, None),
        store.records(tenant, RecordKind::Activity, None),
    )?;
    let mut out = Vec::new();
    for r in promises {
        let p = promise_of(&r)?;
        if p.year != year {
            continue;
        }
        let acts = activities
            .iter()
            .filter(|a| a.parent_id == Some(r.id))
            .map(|a| Ok((a.clone(), activity_of(a)?)))
            .collect::<Result<Vec<_>, PromiseError>>()?;
        out.push(((r, p), acts));
    }
    Ok(out)
}

/// The open activities that fall due within two weeks of `on` or are past their planned end,
/// for a meeting's agenda: (activity id, title, planned end).
pub async fn due_activities(
    store: &dyn Store,
    tenant: TenantId,
    on: Date,
) -> Result<Vec<(i64, String, Date)>, StoreError> {
    let horizon = on + jiff::ToSpan::days(14);
    let mut out: Vec<(i64, String, Date)> = store
        .records(tenant, RecordKind::Activity, None)
        .await?
        .iter()
        .filter_map(|r| activity_of(r).ok().map(|a| (r.id, a)))
        .filter(|(_, a)| !a.status.is_closed() && a.planned_to <= horizon)
        .map(|(id, a)| (id, a.title, a.planned_to))
        .collect();
    out.sort_by_key(|(id, t, d)| (*d, t.clone(), *id));
    Ok(out)
}

/// An activity as the lägesbild and the follow-up report show it.
#[derive(Debug, Clone, Serialize)]
pub struct ActivityRow {
    pub title: String,
    pub responsible: String,
    pub from: String,
    pub to: String,
    pub status: &'static str,
    pub overdue: bool,
    /// Per cent of the indicators' targets reached (mean), if any is measured.
    pub progress: Option<u32>,
    pub indicators: Vec<Indicator>,
    /// Actions linked to the activity: (id, title, status).
    pub actions: Vec<(i64, String, &'static str)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PromiseRow {
    pub title: String,
    pub text: String,
    pub parties: String,
    pub activities: Vec<ActivityRow>,
    pub done: usize,
    pub total: usize,
    pub progress: Option<u32>,
}

/// A year's promises with their activities' status, progress and actions.
pub async fn rows(
    store: &dyn Store,
    tenant: TenantId,
    year: i32,
    today: Date,
) -> Result<Vec<PromiseRow>, PromiseError> {
    let all = store::ActionFilter::default();
    let (found, actions) = tokio::try_join!(of_year(store, tenant, year), async {
        store
            .actions(tenant, &all)
            .await
            .map_err(PromiseError::from)
    })?;
    Ok(found
        .into_iter()
        .map(|((_, p), acts)| {
            let activities: Vec<ActivityRow> = acts
                .iter()
                .map(|(r, a)| ActivityRow {
                    title: a.title.clone(),
                    responsible: a.responsible.clone(),
                    from: a.planned_from.to_string(),
                    to: a.planned_to.to_string(),
                    status: a.status.as_str(),
                    overdue: a.is_late(today),
                    progress: a.progress().map(|v| (v * 100.0).round() as u32),
                    indicators: a.indicators.clone(),
                    actions: actions
                        .iter()
                        .filter(|x| x.record_id == Some(r.id))
                        .map(|x| (x.id, x.title.clone(), x.status.as_str()))
                        .collect(),
                })
                .collect();
            let measured: Vec<u32> = activities.iter().filter_map(|a| a.progress).collect();
            PromiseRow {
                title: p.title,
                text: p.text,
                parties: p.parties,
                done: acts
                    .iter()
                    .filter(|(_, a)| a.status == model::ActionStatus::Done)
                    .count(),
                total: acts.len(),
                progress: (!measured.is_empty()).then(|| {
                    (measured.iter().sum::<u32>() as f64 / measured.len() as f64).round() as u32
                }),
                activities,
            }
        })
        .collect())
}

/// The yearly follow-up report's document.
#[derive(Debug, Clone, Serialize)]
pub struct FollowUp {
    pub lang: crate::audience::Language,
    pub level: crate::audience::Level,
    pub tenant: String,
    pub year: i32,
    pub from: String,
    pub to: String,
    pub generated: String,
    pub promises: Vec<PromiseRow>,
}

pub async fn follow_up_document(
    store: &dyn Store,
    tenant: &store::Tenant,
    year: i32,
    lang: crate::audience::Language,
    now: Timestamp,
) -> Result<FollowUp, PromiseError> {
    let zoned = now.to_zoned(crate::stockholm());
    Ok(FollowUp {
        lang,
        level: crate::audience::Level::Partners,
        tenant: tenant.name.clone(),
        year,
        from: format!("{year}-01-01"),
        to: format!("{year}-12-31"),
        generated: zoned.strftime("%Y-%m-%d %H:%M").to_string(),
        promises: rows(store, tenant.id, year, zoned.date()).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activities_are_checked_and_progress_is_the_mean_share_of_targets() {
        let a = parse_activity(
            "Trygghetsvandring",
            "Kommunen, polisen",
            "2026-03-01",
            "2026-05-31",
            "Vandringar",
            "4",
            "st",
        )
        .unwrap();
        assert_eq!(a.indicators[0].target, 4.0);
        assert_eq!(a.progress(), None);
        let mut b = a.clone();
        b.indicators[0].measured = Some(2.0);
        b.indicators.push(Indicator {
            name: "Deltagare".into(),
            target: 10.0,
            measured: Some(30.0),
            unit: String::new(),
        });
        assert_eq!(b.progress(), Some(0.75));
        let e =
            parse_activity("", "x", "2026-05-01", "2026-04-01", "Mått", "många", "").unwrap_err();
        let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["title", "planned_to", "target"]);
        let e = parse_promise("1999", "Löfte", "Text med 19811218-9876", "Polisen").unwrap_err();
        assert_eq!(
            e.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
            vec!["year", "text"]
        );
    }
}
