//! Who a document is for: its language and its level (restricted, partners, management),
//! and the view of the store a level is made from. Shared by the lägesbild, the minutes, the
//! promises' follow-up and the strategic pack.

use model::Role;
use serde::Serialize;
use store::Actor;

#[derive(Debug, thiserror::Error)]
pub enum AudienceError {
    #[error("unknown language \"{0}\" (expected sv or en)")]
    Language(String),
    #[error("unknown level \"{0}\" (expected restricted, partners or management)")]
    Level(String),
}

/// The language of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Sv,
    En,
}

impl Language {
    pub fn parse(s: &str) -> Result<Language, AudienceError> {
        match s.trim() {
            "sv" => Ok(Language::Sv),
            "en" => Ok(Language::En),
            other => Err(AudienceError::Language(other.to_string())),
        }
    }
}

/// Who the document may be shown to, printed on every page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Includes incidents shared with the police and the coordinator only, and notable
    /// incidents: for the coordinator, the police and the samverkansmöte.
    Restricted,
    /// What every partner sees.
    Partners,
    /// Management: aggregated figures only, no single incidents.
    Management,
}

impl Level {
    pub fn for_role(role: Role) -> Level {
        match role {
            Role::Admin | Role::Analyst => Level::Restricted,
            Role::Reporter => Level::Partners,
            Role::Reader => Level::Management,
        }
    }
}

/// The actor whose view a document of `level` is made from: a user's own view, except for
/// management, who see no single incidents (see `Actor::may_see`) and get the coordinator's
/// figures aggregated. `None`: no user (the command line) at that level.
pub fn view(tenant: store::TenantId, user: Option<&Actor>, level: Level) -> Actor {
    match (user, level) {
        (Some(a), Level::Restricted | Level::Partners) => *a,
        // Nobody's own: the shared picture as every partner sees it.
        (None, Level::Partners) => Actor {
            tenant_id: tenant,
            user_id: 0,
            org_id: 0,
            role: Role::Reporter,
        },
        _ => Actor {
            tenant_id: tenant,
            user_id: 0,
            org_id: 0,
            role: Role::Analyst,
        },
    }
}

impl Level {
    pub fn parse(s: &str) -> Result<Level, AudienceError> {
        match s.trim() {
            "restricted" => Ok(Level::Restricted),
            "partners" => Ok(Level::Partners),
            "management" => Ok(Level::Management),
            other => Err(AudienceError::Level(other.to_string())),
        }
    }
}
