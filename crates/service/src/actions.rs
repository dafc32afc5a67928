//! The effect evaluation of an action: incidents before and after it in the treated area, a
//! buffer around it and a control area, weighed by the Weighted Displacement Quotient
//! (`analysis::wdq`).

use jiff::{Timestamp, ToSpan};
use store::{Action, Actor, IncidentFilter, Store, StoreError};

/// The longest period compared on each side of the action.
pub const MAX_DAYS: i64 = 90;
/// The shortest: before it, an evaluation says nothing.
pub const MIN_DAYS: i64 = 14;

#[derive(Debug, Clone, PartialEq)]
pub enum Evaluation {
    /// The action has no treated, buffer or control area.
    NoAreas,
    /// Fewer than `MIN_DAYS` since the action took effect.
    TooEarly { days: i64 },
    /// The periods and the counts, and the quotient when the control had incidents in both.
    Ready {
        start: Timestamp,
        days: i64,
        treated: (u64, u64),
        buffer: (u64, u64),
        control: (u64, u64),
        wdq: Option<analysis::Wdq>,
    },
}

/// When the action took effect: when it was done, or when it was planned.
pub fn start(a: &Action) -> Timestamp {
    match (a.status, a.closed_at) {
        (model::ActionStatus::Done, Some(at)) => at,
        _ => a.created_at,
    }
}

pub async fn evaluate(
    store: &dyn Store,
    actor: &Actor,
    a: &Action,
    now: Timestamp,
) -> Result<Evaluation, StoreError> {
    let (Some(t), Some(b), Some(c)) = (a.area_id, a.buffer_area_id, a.control_area_id) else {
        return Ok(Evaluation::NoAreas);
    };
    let start = start(a);
    let days = ((now.as_second() - start.as_second()) / 86_400).min(MAX_DAYS);
    if days < MIN_DAYS {
        return Ok(Evaluation::TooEarly { days: days.max(0) });
    }
    let span = (days * 24).hours();
    let period = |from: Timestamp, to: Timestamp| IncidentFilter {
        from: Some(from),
        to: Some(to),
        ..Default::default()
    };
    let before_from = start - span;
    let after_to = start + span;
    let (before, after) = (period(before_from, start), period(start, after_to));
    let (before, after) = tokio::try_join!(
        store.area_counts(actor, &before),
        store.area_counts(actor, &after)
    )?;
    let pick = |counts: &[(i64, u64)], id: i64| {
        counts.iter().find(|(i, _)| *i == id).map_or(0, |(_, n)| *n)
    };
    let pair = |id: i64| (pick(&before, id), pick(&after, id));
    let (treated, buffer, control) = (pair(t), pair(b), pair(c));
    let ba = |(x, y): (u64, u64)| analysis::BeforeAfter {
        before: x as f64,
        after: y as f64,
    };
    let wdq = analysis::wdq(ba(treated), ba(buffer), ba(control)).ok();
    Ok(Evaluation::Ready {
        start,
        days,
        treated,
        buffer,
        control,
        wdq,
    })
}
