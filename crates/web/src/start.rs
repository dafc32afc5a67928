//! The start page (`/`), one per role: a reporter's big "Rapportera", their own recent reports
//! with status and the answer they got, and the reports waiting on the phone; the
//! coordinator's and analysts' day (new reports since the last meeting, rising categories,
//! overdue actions, the next meeting); a manager's summary of the lägesbild and the progress
//! of the year's promises. Each reads a handful of small queries.

use crate::AppState;
use crate::ctx::Ctx;
use crate::respond::{internal, render};
use crate::views;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::{SignedDuration, Timestamp};
use minijinja::{Value, context};
use model::{RecordKind, Role};
use std::collections::HashMap;
use std::sync::Arc;
use store::{IncidentFilter, IncidentQuery, Sort, User};

/// The window new and rising things are counted over.
const DAYS: i64 = 28;

pub async fn page(State(state): State<Arc<AppState>>, ctx: Ctx) -> Response {
    let Some(user) = ctx.user.clone() else {
        return Redirect::to("/login").into_response();
    };
    let common = match common(&state, &user).await {
        Ok(c) => c,
        Err(e) => return internal(&state, &ctx, "start page", e),
    };
    let own = match user.role {
        Role::Reporter => reporter(&state, &ctx, &user).await,
        Role::Admin | Role::Analyst => coordinator(&state, &ctx, &user).await,
        Role::Reader => manager(&state, &ctx, &user).await,
    };
    let own = match own {
        Ok(v) => v,
        Err(e) => return internal(&state, &ctx, "start page", e),
    };
    render(
        &state,
        &ctx,
        "start.html",
        "start",
        context! {
            role => user.role.as_str(),
            user_key => format!("{}:{}", user.tenant_id, user.id),
            may_report => user.role != Role::Reader,
            ..merged(&common, &own)
        },
        StatusCode::OK,
    )
}

/// Two maps of values as one (the first's keys win).
fn merged(a: &Value, b: &Value) -> Value {
    let mut out = std::collections::BTreeMap::new();
    for v in [b, a] {
        for k in v.try_iter().into_iter().flatten() {
            if let Ok(item) = v.get_item(&k) {
                out.insert(k.to_string(), item);
            }
        }
    }
    Value::from(out)
}

pub(crate) type Failure = Box<dyn std::error::Error + Send + Sync>;

/// What every role's start shows: the focus areas of the last samverkansmöte, and the overdue
/// actions that are the user's to move.
pub(crate) async fn common(state: &AppState, user: &User) -> Result<Value, Failure> {
    let overdue = crate::actions::overdue_for(state, user).await?;
    let focus = service::meetings::current_focus(state.store.as_ref(), user.tenant_id).await?;
    Ok(context! {
        overdue => overdue.iter().map(|a| context! { id => a.id, title => a.title.clone(), due_on => a.due_on.to_string() }).collect::<Vec<_>>(),
        focus => focus.map(|(id, m)| context! {
            meeting => id, date => m.held_on.to_string(),
            areas => m.focus_areas.iter().map(|f| f.title.clone()).collect::<Vec<_>>(),
        }),
    })
}

async fn reporter(state: &AppState, ctx: &Ctx, user: &User) -> Result<Value, Failure> {
    let actor = user.actor();
    let recent = state
        .store
        .list_incidents(
            &actor,
            &IncidentQuery {
                sort: Sort::CreatedDesc,
                limit: 50,
                ..Default::default()
            },
        )
        .await?;
    let cats = state.store.categories(user.tenant_id).await?;
    let tz = service::stockholm();
    let mut mine = Vec::new();
    for i in recent.iter().filter(|i| i.user_id == Some(user.id)).take(8) {
        // The answer: the latest comment a coordinator or analyst gave with a status change.
        let history = state.store.status_history(&actor, i.id).await?;
        let answer = history
            .iter()
            .rev()
            .find(|h| h.from.is_some() && !h.comment.trim().is_empty())
            .map(|h| h.comment.clone());
        let v = views::incident(i, &cats, ctx.lang, &tz);
        mine.push(context! {
            id => i.id, category_name => v.category_name, occurred => v.occurred,
            status => i.status.as_str(), answer,
        });
    }
    // What happened to their reports in the last two weeks (status changes by others).
    let since = Timestamp::from_second(state.now().as_second() - UPDATES_DAYS * 86_400)
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let updates: Vec<Value> = state
        .store
        .report_updates(&actor, since, 10)
        .await?
        .iter()
        .map(|u| {
            context! {
                id => u.incident_id,
                at => views::local(u.at, &tz),
                category_name => views::category_name(&cats, u.category.as_str(), ctx.lang),
                occurred => views::local(u.occurred_from, &tz),
                status => u.to.as_str(),
                comment => u.comment,
                same_as => u.same_as.filter(|_| u.to == model::IncidentStatus::Duplicate),
            }
        })
        .collect();
    Ok(context! { mine, updates, updates_days => UPDATES_DAYS })
}

/// A reporter's start page lists the status changes of this many days.
const UPDATES_DAYS: i64 = 14;

async fn coordinator(state: &AppState, ctx: &Ctx, user: &User) -> Result<Value, Failure> {
    let actor = user.actor();
    let now = state.now();
    let tz = service::stockholm();
    let today = now.to_zoned(tz.clone()).date();
    let meetings: Vec<service::meetings::Meeting> = state
        .store
        .records(user.tenant_id, RecordKind::Meeting, None)
        .await?
        .iter()
        .filter_map(|r| service::meetings::meeting_of(r).ok())
        .collect();
    let last = meetings
        .iter()
        .filter(|m| m.held_on < today)
        .map(|m| m.held_on)
        .max();
    let next = meetings
        .iter()
        .filter(|m| m.held_on >= today)
        .map(|m| m.held_on)
        .min();
    let since: Timestamp = match last {
        Some(d) => d.to_zoned(tz.clone())?.timestamp(),
        None => now - SignedDuration::from_hours(24 * 14),
    };
    let new_reports = state
        .store
        .count_incidents(
            &actor,
            &IncidentFilter {
                from: Some(since),
                ..Default::default()
            },
        )
        .await?;
    let rising = rising(state, &actor, now).await?;
    let cats = state.store.categories(user.tenant_id).await?;
    let rising: Vec<Value> = rising
        .into_iter()
        .map(|(code, now, before)| {
            context! {
                code => code.clone(),
                name => views::category_name(&cats, &code, ctx.lang),
                now, before,
            }
        })
        .collect();
    Ok(context! {
        new_reports,
        since => last.map(|d| d.to_string()),
        since_from => since.to_zoned(tz).date().to_string(),
        rising,
        next_meeting => next.map(|d| d.to_string()),
        days => DAYS,
    })
}

/// Categories with clearly more incidents in the last four weeks than in the four before
/// (at least three more, and half again as many): (code, now, before), most risen first.
async fn rising(
    state: &AppState,
    actor: &store::Actor,
    now: Timestamp,
) -> Result<Vec<(String, u64, u64)>, Failure> {
    let mid = now - SignedDuration::from_hours(24 * DAYS);
    let start = mid - SignedDuration::from_hours(24 * DAYS);
    let points = state
        .store
        .incident_points(
            actor,
            &IncidentFilter {
                from: Some(start),
                to: Some(now),
                ..Default::default()
            },
            200_000,
        )
        .await?;
    let mut counts: HashMap<String, (u64, u64)> = HashMap::new();
    for p in &points {
        let e = counts.entry(p.category.to_string()).or_default();
        if p.occurred_from >= mid {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    let mut out: Vec<(String, u64, u64)> = counts
        .into_iter()
        .filter(|(_, (n, b))| *n >= b + 3 && (*n as f64) >= 1.5 * (*b as f64))
        .map(|(c, (n, b))| (c, n, b))
        .collect();
    out.sort_by(|a, b| (b.1 - b.2).cmp(&(a.1 - a.2)).then(a.0.cmp(&b.0)));
    out.truncate(5);
    Ok(out)
}

async fn manager(state: &AppState, ctx: &Ctx, user: &User) -> Result<Value, Failure> {
    // A manager sees no single incident: the coordinator's figures, aggregated.
    let view = service::audience::view(
        user.tenant_id,
        Some(&user.actor()),
        service::audience::Level::Management,
    );
    let now = state.now();
    let mid = now - SignedDuration::from_hours(24 * DAYS);
    let start = mid - SignedDuration::from_hours(24 * DAYS);
    let count = |from, to| async move {
        state
            .store
            .count_incidents(
                &view,
                &IncidentFilter {
                    from: Some(from),
                    to: Some(to),
                    ..Default::default()
                },
            )
            .await
    };
    let (recent, before) = tokio::try_join!(count(mid, now), count(start, mid))?;
    let points = state
        .store
        .incident_points(
            &view,
            &IncidentFilter {
                from: Some(mid),
                to: Some(now),
                ..Default::default()
            },
            200_000,
        )
        .await?;
    let mut by_cat: HashMap<String, u64> = HashMap::new();
    for p in &points {
        *by_cat.entry(p.category.to_string()).or_default() += 1;
    }
    let cats = state.store.categories(user.tenant_id).await?;
    let mut top: Vec<(String, u64)> = by_cat.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let top: Vec<Value> = top
        .into_iter()
        .take(5)
        .map(|(c, n)| context! { name => views::category_name(&cats, &c, ctx.lang), count => n })
        .collect();
    let year = now.to_zoned(service::stockholm()).year();
    let promises = service::promises::of_year(state.store.as_ref(), user.tenant_id, year.into())
        .await?
        .into_iter()
        .map(|((_, p), acts)| {
            let done = acts
                .iter()
                .filter(|(_, a)| a.status == model::ActionStatus::Done)
                .count();
            context! { title => p.title, done, total => acts.len() }
        })
        .collect::<Vec<_>>();
    Ok(context! { recent, before, top, promises, year, days => DAYS })
}
