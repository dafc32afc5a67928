//! Which pages each role uses: the one list the navigation is drawn from and the page
//! handlers check, so a link is offered exactly where the page answers. A page a role could
//! only see empty (a manager sees no single incident) is not one it uses.

use model::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Start,
    Report,
    Incidents,
    Map,
    Lagesbild,
    Analysis,
    Cases,
    Meetings,
    Promises,
    Schools,
    Actions,
    Admin,
    Audit,
}

/// The navigation, in order.
pub const NAV: &[Page] = &[
    Page::Start,
    Page::Report,
    Page::Incidents,
    Page::Map,
    Page::Lagesbild,
    Page::Analysis,
    Page::Cases,
    Page::Meetings,
    Page::Promises,
    Page::Schools,
    Page::Actions,
    Page::Admin,
    Page::Audit,
];

impl Page {
    pub fn path(self) -> &'static str {
        match self {
            Page::Start => "/",
            Page::Report => "/incidents/new",
            Page::Incidents => "/incidents",
            Page::Map => "/map",
            Page::Lagesbild => "/lagesbild",
            Page::Analysis => "/analysis",
            Page::Cases => "/cases",
            Page::Meetings => "/meetings",
            Page::Promises => "/promises",
            Page::Schools => "/schools",
            Page::Actions => "/actions",
            Page::Admin => "/admin",
            Page::Audit => "/admin/audit",
        }
    }

    /// The section name the pages give `render` (marks the current link).
    pub fn section(self) -> &'static str {
        match self {
            Page::Start => "start",
            Page::Report => "report",
            Page::Incidents => "incidents",
            Page::Map => "map",
            Page::Lagesbild => "lagesbild",
            Page::Analysis => "analysis",
            Page::Cases => "cases",
            Page::Meetings => "meetings",
            Page::Promises => "promises",
            Page::Schools => "schools",
            Page::Actions => "actions",
            Page::Admin => "admin",
            Page::Audit => "audit",
        }
    }

    /// The Fluent key of the link's text.
    pub fn label(self) -> &'static str {
        match self {
            Page::Start => "nav-start",
            Page::Report => "nav-report",
            Page::Incidents => "nav-incidents",
            Page::Map => "nav-map",
            Page::Lagesbild => "nav-lagesbild",
            Page::Analysis => "nav-analysis",
            Page::Cases => "nav-cases",
            Page::Meetings => "nav-meetings",
            Page::Promises => "nav-promises",
            Page::Schools => "nav-schools",
            Page::Actions => "nav-actions",
            Page::Admin => "nav-admin",
            Page::Audit => "nav-audit",
        }
    }

    /// Whether the role uses the page. Reporters report, follow their reports (their own, and
    /// others' shared ones as the municipality chooses), read the lägesbild at partner level,
    /// the minutes of the meetings partners attend and the actions they own; managers (readers) read aggregated figures, the EST loop's
    /// records and the actions; the coordinator and analysts use everything but the
    /// administration, which is the coordinator's.
    pub fn allowed(self, role: Role) -> bool {
        use Page::*;
        match role {
            Role::Admin => true,
            Role::Analyst => !matches!(self, Admin | Audit),
            Role::Reporter => {
                matches!(
                    self,
                    Start | Report | Incidents | Map | Lagesbild | Meetings | Actions
                )
            }
            Role::Reader => matches!(
                self,
                Start | Lagesbild | Cases | Meetings | Promises | Actions
            ),
        }
    }
}

/// The links of the navigation for a role.
pub fn nav(role: Role) -> Vec<Page> {
    NAV.iter().copied().filter(|p| p.allowed(role)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_has_its_start_page_and_a_reporter_few_links() {
        for r in [Role::Admin, Role::Analyst, Role::Reporter, Role::Reader] {
            assert!(Page::Start.allowed(r));
        }
        assert_eq!(nav(Role::Reporter).len(), 7);
        assert!(!Page::Incidents.allowed(Role::Reader));
        assert!(!Page::Report.allowed(Role::Reader));
        assert_eq!(nav(Role::Admin).len(), NAV.len());
    }
}
