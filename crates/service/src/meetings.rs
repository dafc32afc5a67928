//! Meetings: the every-other-week samverkansmöte of police and municipality, and the yearly
//! strategic meeting at management level. A meeting's agenda is generated from the period's
//! lägesbild (hot spot clusters, significant increases, overdue actions, promise activities
//! due) and the focus areas the last meeting chose; notes are kept per agenda item; a decision
//! creates its action in one step; the focus areas chosen are shown on everyone's start page and
//! carried into the next agenda.

use crate::fields::text;
use crate::lagesbild::{self, Lagesbild, Language, Level, Request};
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use model::{ActionDraft, FieldError, RecordKind};
use serde::{Deserialize, Serialize};
use store::{NewAction, NewRecord, PlaceId, Record, Store, StoreError, Tenant, TenantId, UserId};

pub const MAX_TEXT: usize = 4_000;

#[derive(Debug, thiserror::Error)]
pub enum MeetingError {
    #[error("the meeting is not valid: {0:?}")]
    Invalid(Vec<FieldError>),
    #[error("meeting {0} not found")]
    NotFound(i64),
    #[error("stored meeting {id} is not valid: {reason}")]
    Corrupt { id: i64, reason: String },
    #[error(transparent)]
    Lagesbild(#[from] lagesbild::LagesbildError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MeetingKind {
    /// The every-other-week samverkansmöte.
    Samverkan,
    /// The yearly strategic meeting at management level.
    Strategisk,
}

impl MeetingKind {
    pub fn parse(s: &str) -> Option<MeetingKind> {
        match s.trim() {
            "samverkan" => Some(MeetingKind::Samverkan),
            "strategisk" => Some(MeetingKind::Strategisk),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            MeetingKind::Samverkan => "samverkan",
            MeetingKind::Strategisk => "strategisk",
        }
    }
}

/// One point of the agenda: where it came from, what it says, and the notes taken on it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AgendaItem {
    /// "hotspot", "increase", "overdue", "promise", "focus" or "other".
    pub source: String,
    pub title: String,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub notes: String,
    /// The area it is about, if any (for an action decided on it).
    #[serde(default)]
    pub area_id: Option<PlaceId>,
    /// The promise activity it follows up, if any (the activity lists the meetings).
    #[serde(default)]
    pub record_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Decision {
    pub text: String,
    pub action_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FocusArea {
    pub title: String,
    #[serde(default)]
    pub area_id: Option<PlaceId>,
}

/// A meeting's document (`RecordKind::Meeting`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Meeting {
    pub kind: MeetingKind,
    pub held_on: Date,
    /// The lägesbild period the agenda was made from.
    pub period_from: Date,
    pub period_to: Date,
    #[serde(default)]
    pub attendees: String,
    pub agenda: Vec<AgendaItem>,
    #[serde(default)]
    pub decisions: Vec<Decision>,
    /// Chosen for the coming period.
    #[serde(default)]
    pub focus_areas: Vec<FocusArea>,
}

pub fn meeting_of(r: &Record) -> Result<Meeting, MeetingError> {
    if r.kind != RecordKind::Meeting {
        return Err(MeetingError::NotFound(r.id));
    }
    serde_json::from_value(r.data.clone()).map_err(|e| MeetingError::Corrupt {
        id: r.id,
        reason: e.to_string(),
    })
}

fn value(m: &Meeting) -> Result<serde_json::Value, MeetingError> {
    serde_json::to_value(m).map_err(|e| MeetingError::Corrupt {
        id: 0,
        reason: e.to_string(),
    })
}

/// The focus areas the latest meeting (by date) chose, and that meeting's id.
pub async fn current_focus(
    store: &dyn Store,
    tenant: TenantId,
) -> Result<Option<(i64, Meeting)>, MeetingError> {
    let mut meetings: Vec<(i64, Meeting)> = store
        .records(tenant, RecordKind::Meeting, None)
        .await?
        .iter()
        .filter_map(|r| meeting_of(r).ok().map(|m| (r.id, m)))
        .filter(|(_, m)| !m.focus_areas.is_empty())
        .collect();
    meetings.sort_by_key(|(id, m)| (m.held_on, *id));
    Ok(meetings.pop())
}

/// The agenda from the period's lägesbild and the focus areas carried over. Texts in Swedish or
/// English as the lägesbild's (the agenda is the meeting's record, in the meeting's language).
/// Incidents a hot spot needs in the period to be put on a meeting's agenda.
pub const AGENDA_MIN_INCIDENTS: u64 = 5;

/// "1 händelse", "3 händelser": a count with its word in the singular or the plural (Swedish
/// and English both put the singular at exactly one).
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub fn agenda(
    doc: &Lagesbild,
    focus: &[FocusArea],
    open_activities: &[(i64, String, Date)],
) -> Vec<AgendaItem> {
    let en = doc.lang == Language::En;
    let mut items = Vec::new();
    for f in focus {
        items.push(AgendaItem {
            source: "focus".into(),
            title: if en {
                format!("Focus area followed up: {}", f.title)
            } else {
                format!("Uppföljning av fokusområde: {}", f.title)
            },
            detail: String::new(),
            notes: String::new(),
            area_id: f.area_id,
            record_id: None,
        });
    }
    // A cluster is on the agenda when it clears a stated minimum; smaller ones stay in the
    // lägesbild's map.
    for c in doc
        .map
        .clusters
        .iter()
        .filter(|c| c.incidents >= AGENDA_MIN_INCIDENTS)
    {
        let near = c.near.clone().unwrap_or_else(|| doc.tenant.clone());
        items.push(AgendaItem {
            source: "hotspot".into(),
            title: if en {
                format!("Hot spot near {near}")
            } else {
                format!("Hot spot vid {near}")
            },
            detail: if en {
                format!(
                    "{} in {} (a significant cluster, 95 % or more).",
                    count(c.incidents, "incident", "incidents"),
                    count(c.cells as u64, "cell", "cells"),
                )
            } else {
                format!(
                    "{} i {} (ett säkert kluster, minst 95 %).",
                    count(c.incidents, "händelse", "händelser"),
                    count(c.cells as u64, "ruta", "rutor"),
                )
            },
            notes: String::new(),
            area_id: None,
            record_id: None,
        });
    }
    for s in doc
        .emerging
        .iter()
        .filter(|s| s.incidents >= AGENDA_MIN_INCIDENTS)
    {
        let near = s.near.clone().unwrap_or_else(|| doc.tenant.clone());
        let (sv, en_title) = match s.pattern {
            "new" => ("Ny hot spot", "New hot spot"),
            _ => ("Intensifierande hot spot", "Intensifying hot spot"),
        };
        items.push(AgendaItem {
            source: "emerging".into(),
            title: if en {
                format!("{en_title} near {near}")
            } else {
                format!("{sv} vid {near}")
            },
            detail: if en {
                format!(
                    "{}, {} in the last four weeks.",
                    count(s.cells as u64, "cell", "cells"),
                    count(s.incidents, "incident", "incidents"),
                )
            } else {
                format!(
                    "{}, {} de senaste fyra veckorna.",
                    count(s.cells as u64, "ruta", "rutor"),
                    count(s.incidents, "händelse", "händelser"),
                )
            },
            notes: String::new(),
            area_id: None,
            record_id: None,
        });
    }
    for r in doc
        .categories
        .iter()
        .filter(|r| r.previous.change == "up" || r.last_year.change == "up")
    {
        items.push(AgendaItem {
            source: "increase".into(),
            title: if en {
                format!("Significant increase: {}", r.label)
            } else {
                format!("Säkerställd ökning: {}", r.label)
            },
            detail: if en {
                format!(
                    "{} in the period, {} the period before, {} the same period last year.",
                    r.count, r.previous.before, r.last_year.before
                )
            } else {
                format!(
                    "{} under perioden, {} perioden före, {} samma period i fjol.",
                    r.count, r.previous.before, r.last_year.before
                )
            },
            notes: String::new(),
            area_id: None,
            record_id: None,
        });
    }
    for a in doc.actions.iter().filter(|a| a.overdue) {
        items.push(AgendaItem {
            source: "overdue".into(),
            title: if en {
                format!("Overdue action: {}", a.title)
            } else {
                format!("Försenad åtgärd: {}", a.title)
            },
            detail: format!("{} – {}", a.owner, a.due),
            notes: String::new(),
            area_id: None,
            record_id: None,
        });
    }
    for (id, title, due) in open_activities {
        items.push(AgendaItem {
            source: "promise".into(),
            title: if en {
                format!("Promise activity due: {title}")
            } else {
                format!("Aktivitet i medborgarlöftet: {title}")
            },
            detail: if en {
                format!("Planned to be done by {due}.")
            } else {
                format!("Planerad att vara klar {due}.")
            },
            notes: String::new(),
            area_id: None,
            record_id: Some(*id),
        });
    }
    items.push(AgendaItem {
        source: "other".into(),
        title: if en {
            "Other matters"
        } else {
            "Övriga frågor"
        }
        .into(),
        detail: String::new(),
        notes: String::new(),
        area_id: None,
        record_id: None,
    });
    items
}

/// Plans a meeting on `held_on`: its agenda from the lägesbild of the two weeks before it (the
/// year before it for a strategic meeting), seen as the coordinator sees it.
#[allow(clippy::too_many_arguments)]
pub async fn plan(
    store: &dyn Store,
    tenant: &Tenant,
    kind: MeetingKind,
    held_on: Date,
    lang: Language,
    open_activities: &[(i64, String, Date)],
    by: Option<UserId>,
    now: Timestamp,
) -> Result<Record, MeetingError> {
    let (from, to) = match kind {
        MeetingKind::Samverkan => (held_on - 14.days(), held_on - 1.days()),
        MeetingKind::Strategisk => (held_on - 365.days(), held_on - 1.days()),
    };
    let req = Request {
        from,
        to,
        area: None,
        lang,
    };
    let actor = lagesbild::view(tenant.id, None, Level::Restricted);
    let doc = lagesbild::build(store, &actor, Level::Restricted, tenant, &req, now).await?;
    let focus = current_focus(store, tenant.id)
        .await?
        .map(|(_, m)| m.focus_areas)
        .unwrap_or_default();
    let m = Meeting {
        kind,
        held_on,
        period_from: from,
        period_to: to,
        attendees: String::new(),
        agenda: agenda(&doc, &focus, open_activities),
        decisions: Vec::new(),
        focus_areas: Vec::new(),
    };
    Ok(store
        .create_record(&NewRecord {
            tenant_id: tenant.id,
            kind: RecordKind::Meeting,
            parent_id: None,
            data: value(&m)?,
            by,
            at: now,
        })
        .await?)
}

async fn load(store: &dyn Store, tenant: TenantId, id: i64) -> Result<Meeting, MeetingError> {
    let r = store
        .record(tenant, id)
        .await?
        .ok_or(MeetingError::NotFound(id))?;
    meeting_of(&r)
}

/// Saves the attendees and the notes per agenda item (`notes[i]` for item i; missing ones
/// stay as they were).
pub async fn save_notes(
    store: &dyn Store,
    tenant: TenantId,
    id: i64,
    attendees: &str,
    notes: &[(usize, String)],
    by: Option<UserId>,
    now: Timestamp,
) -> Result<Record, MeetingError> {
    let mut m = load(store, tenant, id).await?;
    let mut errors = Vec::new();
    m.attendees = text("attendees", attendees, false, 1_000, &mut errors);
    for (i, n) in notes {
        let t = text(&format!("notes_{i}"), n, false, MAX_TEXT, &mut errors);
        if let Some(item) = m.agenda.get_mut(*i) {
            item.notes = t;
        } else {
            errors.push(FieldError::new(
                &format!("notes_{i}"),
                "error-invalid-choice",
                i.to_string(),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(MeetingError::Invalid(errors));
    }
    Ok(store
        .update_record(tenant, id, &value(&m)?, by, now)
        .await?)
}

/// A decision and its action, in one step: the action (owned, due, linked to the meeting and to
/// the area the decision is about) is created, then the decision names it.
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    store: &dyn Store,
    tenant: TenantId,
    id: i64,
    decision: &str,
    owner_org_id: &str,
    due_on: &str,
    area_id: &str,
    by: Option<UserId>,
    now: Timestamp,
) -> Result<(Record, store::Action), MeetingError> {
    let mut m = load(store, tenant, id).await?;
    let draft = ActionDraft {
        title: decision.trim().chars().take(200).collect(),
        description: decision.trim().to_string(),
        owner_org_id: owner_org_id.into(),
        area_id: area_id.into(),
        due_on: due_on.into(),
        record_id: id.to_string(),
        ..Default::default()
    };
    let valid = draft.validate().map_err(MeetingError::Invalid)?;
    let action = store
        .create_action(&NewAction {
            tenant_id: tenant,
            action: valid,
            created_by: by,
            created_at: now,
        })
        .await
        .map_err(|e| match e {
            StoreError::UnknownReference { field, value, .. } => {
                MeetingError::Invalid(vec![FieldError::new(field, "error-invalid-choice", value)])
            }
            StoreError::Backend(_) => MeetingError::Invalid(vec![FieldError::new(
                "owner_org_id",
                "error-invalid-choice",
                owner_org_id,
            )]),
            other => MeetingError::Store(other),
        })?;
    m.decisions.push(Decision {
        text: decision.trim().to_string(),
        action_id: Some(action.id),
    });
    let r = store
        .update_record(tenant, id, &value(&m)?, by, now)
        .await?;
    Ok((r, action))
}

/// Adds a focus area for the coming period.
pub async fn add_focus(
    store: &dyn Store,
    tenant: TenantId,
    id: i64,
    title: &str,
    area_id: Option<PlaceId>,
    by: Option<UserId>,
    now: Timestamp,
) -> Result<Record, MeetingError> {
    let mut m = load(store, tenant, id).await?;
    let mut errors = Vec::new();
    let title = text("focus_title", title, true, 200, &mut errors);
    if let Some(a) = area_id
        && !store.places(tenant).await?.iter().any(|p| p.id == a)
    {
        errors.push(FieldError::new(
            "focus_area",
            "error-invalid-choice",
            a.to_string(),
        ));
    }
    if !errors.is_empty() {
        return Err(MeetingError::Invalid(errors));
    }
    m.focus_areas.push(FocusArea { title, area_id });
    Ok(store
        .update_record(tenant, id, &value(&m)?, by, now)
        .await?)
}

#[cfg(test)]
mod tests {

    #[test]
    fn counts_take_the_singular_at_one() {
        assert_eq!(super::count(1, "händelse", "händelser"), "1 händelse");
        assert_eq!(super::count(0, "händelse", "händelser"), "0 händelser");
        assert_eq!(super::count(9, "ruta", "rutor"), "9 rutor");
    }

    use super::*;

    #[test]
    fn a_meeting_document_round_trips_and_old_ones_without_focus_still_read() {
        let m: Meeting = serde_json::from_value(serde_json::json!({
            "kind": "samverkan", "held_on": "2026-11-27",
            "period_from": "2026-11-13", "period_to": "2026-11-26",
            "agenda": [{"source": "other", "title": "Övriga frågor"}]
        }))
        .unwrap();
        assert!(m.focus_areas.is_empty() && m.decisions.is_empty());
        assert_eq!(m.agenda[0].notes, "");
        let back: Meeting = serde_json::from_value(serde_json::to_value(&m).unwrap()).unwrap();
        assert_eq!(back, m);
    }
}

/// An action's effect as the strategic pack shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PackAction {
    pub id: i64,
    pub title: String,
    pub owner: String,
    pub status: &'static str,
    pub due: String,
    pub closing_note: String,
    /// "no_areas", "too_early" or "ready" (`crate::actions::Evaluation`).
    pub effect: &'static str,
    pub days: i64,
    pub treated: (u64, u64),
    pub buffer: (u64, u64),
    pub control: (u64, u64),
    pub wdq: Option<f64>,
    /// The WDQ verdict: none, diffusion_greater, diffusion, neither, displacement,
    /// displacement_greater; empty when it cannot be weighed.
    pub verdict: &'static str,
}

/// The yearly strategic meeting's pack: the year's lägesbild (aggregated, for management),
/// the promises' follow-up, and the year's actions with their effects.
#[derive(Debug, Clone, Serialize)]
pub struct Pack {
    pub lang: Language,
    pub level: Level,
    pub tenant: String,
    pub held_on: String,
    pub from: String,
    pub to: String,
    pub year: i16,
    pub lagesbild: Lagesbild,
    pub promises: Vec<crate::promises::PromiseRow>,
    pub actions: Vec<PackAction>,
}

pub async fn strategic_pack(
    store: &dyn Store,
    tenant: &Tenant,
    m: &Meeting,
    lang: Language,
    now: Timestamp,
) -> Result<Pack, MeetingError> {
    let level = Level::Management;
    let actor = lagesbild::view(tenant.id, None, level);
    let req = Request {
        from: m.period_from,
        to: m.period_to,
        area: None,
        lang,
    };
    let doc = lagesbild::build(store, &actor, level, tenant, &req, now).await?;
    let tz = crate::stockholm();
    let (start, end) = (
        m.period_from
            .to_zoned(tz.clone())
            .map_or(now, |z| z.timestamp()),
        (m.period_to + 1.days())
            .to_zoned(tz.clone())
            .map_or(now, |z| z.timestamp()),
    );
    let every = store::ActionFilter::default();
    let (all, orgs) = tokio::try_join!(
        store.actions(tenant.id, &every),
        store.organisations(tenant.id)
    )?;
    let mut actions = Vec::new();
    // The year's actions: planned or closed in it, and those still open.
    for a in all.iter().filter(|a| {
        (a.created_at >= start && a.created_at < end)
            || a.closed_at.is_some_and(|c| c >= start && c < end)
            || !a.status.is_closed()
    }) {
        let eval = crate::actions::evaluate(store, &actor, a, now).await?;
        let mut row = PackAction {
            id: a.id,
            title: a.title.clone(),
            owner: orgs
                .iter()
                .find(|o| o.id == a.owner_org_id)
                .map_or_else(String::new, |o| o.name.clone()),
            status: a.status.as_str(),
            due: a.due_on.to_string(),
            closing_note: a.closing_note.clone(),
            effect: "no_areas",
            days: 0,
            treated: (0, 0),
            buffer: (0, 0),
            control: (0, 0),
            wdq: None,
            verdict: "",
        };
        match eval {
            crate::actions::Evaluation::NoAreas => {}
            crate::actions::Evaluation::TooEarly { days } => {
                row.effect = "too_early";
                row.days = days;
            }
            crate::actions::Evaluation::Ready {
                days,
                treated,
                buffer,
                control,
                wdq,
                ..
            } => {
                row.effect = "ready";
                row.days = days;
                (row.treated, row.buffer, row.control) = (treated, buffer, control);
                if let Some(w) = wdq {
                    row.wdq = w.wdq;
                    row.verdict = match w.verdict {
                        analysis::Displacement::NoEffect => "none",
                        analysis::Displacement::DiffusionGreater => "diffusion_greater",
                        analysis::Displacement::Diffusion => "diffusion",
                        analysis::Displacement::Neither => "neither",
                        analysis::Displacement::Displacement => "displacement",
                        analysis::Displacement::DisplacementGreater => "displacement_greater",
                    };
                }
            }
        }
        actions.push(row);
    }
    let today = now.to_zoned(tz).date();
    Ok(Pack {
        lang,
        level,
        tenant: tenant.name.clone(),
        held_on: m.held_on.to_string(),
        from: m.period_from.to_string(),
        to: m.period_to.to_string(),
        year: m.period_to.year(),
        promises: crate::promises::rows(store, tenant.id, i32::from(m.period_to.year()), today)
            .await
            .map_err(|e| match e {
                crate::promises::PromiseError::Store(s) => MeetingError::Store(s),
                other => MeetingError::Store(StoreError::Backend(other.to_string())),
            })?,
        lagesbild: doc,
        actions,
    })
}
