use crate::ParseError;
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal, { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "&'static str")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable machine name, used in the database, the API and URLs.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(value: &str) -> Result<Self, ParseError> {
                match value.trim() {
                    $($text => Ok($name::$variant),)+
                    _ => Err(ParseError::UnknownVariant {
                        kind: $kind,
                        value: value.to_string(),
                        expected: concat!($($text, " "),+),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }

        impl TryFrom<String> for $name {
            type Error = ParseError;
            fn try_from(value: String) -> Result<Self, ParseError> { $name::parse(&value) }
        }

        impl From<$name> for &'static str {
            fn from(value: $name) -> &'static str { value.as_str() }
        }
    };
}

string_enum!(
    /// Who may see an incident.
    Visibility, "visibility", {
        AllPartners => "all_partners",
        PoliceAndCoordinator => "police_and_coordinator",
        OwnOrganisation => "own_organisation",
    }
);

string_enum!(
    /// A user's role within its tenant.
    Role, "role", {
        Admin => "admin",
        Analyst => "analyst",
        Reporter => "reporter",
        Reader => "reader",
    }
);

impl Role {
    /// Whether the role signs in with two-step verification (the coordinator and the police
    /// read restricted incidents), and so may have an API token only once it is set up.
    pub fn requires_second_factor(self) -> bool {
        matches!(self, Role::Admin | Role::Analyst)
    }
}

string_enum!(
    /// Where an incident came from.
    Source, "source", {
        Form => "form",
        Bulk => "bulk",
        Public => "public",
        Open311 => "open311",
        ImportPolisen => "import:polisen",
        ImportCsv => "import:csv",
        Api => "api",
        Demo => "demo",
    }
);

string_enum!(
    /// Where a citizen's tip came from.
    TipChannel, "tip channel", {
        /// The public tip page.
        Web => "web",
        /// An Open311 client (a partner system or a citizen app) with its API key.
        Open311 => "open311",
    }
);

string_enum!(
    /// Where a citizen's tip stands in the moderation queue.
    TipStatus, "tip status", {
        /// Waiting for the coordinator.
        New => "new",
        /// Taken into the lägesbild as a new incident.
        Accepted => "accepted",
        /// The same as an incident already reported: linked to it.
        Merged => "merged",
        /// Not taken in; the reason is the public answer.
        Rejected => "rejected",
    }
);

string_enum!(
    /// How exactly the incident's point is known.
    Precision, "precision", {
        /// A point chosen on a map or from a phone's position.
        Exact => "exact",
        /// The point of a named place.
        Place => "place",
        /// The centre of a named area; the incident happened somewhere inside it.
        Area => "area",
        /// Only the municipality is known (e.g. the police's public events).
        Municipality => "municipality",
        /// Anonymised by retention: the centre of a 500 m cell.
        Cell => "cell",
    }
);

string_enum!(
    /// What reporters see of other organisations' reports shared with all partners.
    ReporterView, "reporter view", {
        /// Only their own reports.
        Own => "own",
        /// Their own in lists; others' as points on the map.
        Map => "map",
        /// Others' shared reports in lists and on the map too.
        Shared => "shared",
    }
);

string_enum!(
    /// What retention (gallring) does with incidents past their category's period.
    RetentionAction, "retention action", {
        /// Keep the category, the month and a 500 m cell; remove everything else.
        Anonymise => "anonymise",
        Delete => "delete",
    }
);

string_enum!(
    /// The life of an incident report.
    IncidentStatus, "status", {
        New => "new",
        Reviewed => "reviewed",
        Closed => "closed",
        Rejected => "rejected",
        Duplicate => "duplicate",
    }
);

impl IncidentStatus {
    /// The statuses an incident may move to from this one.
    pub fn next(self) -> &'static [IncidentStatus] {
        use IncidentStatus::*;
        match self {
            New => &[Reviewed, Closed, Rejected, Duplicate],
            Reviewed => &[Closed, Rejected, Duplicate],
            Closed => &[Reviewed],
            Rejected => &[Reviewed],
            Duplicate => &[Reviewed],
        }
    }

    pub fn can_become(self, to: IncidentStatus) -> bool {
        self.next().contains(&to)
    }
}

/// A category's stable code within a tenant's taxonomy: lower-case ASCII letters, digits and
/// `-`, 1 to 40 characters, e.g. `skadegorelse-klotter`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CategoryCode(String);

impl CategoryCode {
    pub fn parse(value: &str) -> Result<Self, ParseError> {
        let v = value.trim();
        let ok = !v.is_empty()
            && v.len() <= 40
            && v.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !v.starts_with('-')
            && !v.ends_with('-');
        if ok {
            Ok(CategoryCode(v.to_string()))
        } else {
            Err(ParseError::Invalid {
                kind: "category code",
                value: value.to_string(),
                reason: "use 1-40 characters a-z, 0-9 and '-'",
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CategoryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CategoryCode {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, ParseError> {
        CategoryCode::parse(&value)
    }
}

impl From<CategoryCode> for String {
    fn from(value: CategoryCode) -> String {
        value.0
    }
}

/// An e-mail address used as a login name: trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(value: &str) -> Result<Self, ParseError> {
        let v = value.trim().to_lowercase();
        let invalid = |reason| ParseError::Invalid {
            kind: "e-mail address",
            value: value.to_string(),
            reason,
        };
        if v.len() > 254 {
            return Err(invalid("longer than 254 characters"));
        }
        let Some((local, domain)) = v.split_once('@') else {
            return Err(invalid("no '@'"));
        };
        if local.is_empty() || domain.is_empty() || domain.contains('@') {
            return Err(invalid("expected one '@' between a name and a domain"));
        }
        if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
            return Err(invalid("the domain needs a dot, as in kungsor.se"));
        }
        if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("contains white space"));
        }
        Ok(Email(v))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = ParseError;
    fn try_from(value: String) -> Result<Self, ParseError> {
        Email::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> String {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_and_reject_unknown() {
        for v in Visibility::ALL {
            assert_eq!(Visibility::parse(v.as_str()).unwrap(), *v);
        }
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).unwrap(), *r);
        }
        for s in Source::ALL {
            assert_eq!(Source::parse(s.as_str()).unwrap(), *s);
        }
        let err = Visibility::parse("everyone").unwrap_err();
        assert!(err.to_string().contains("\"everyone\""), "{err}");
        assert!(err.to_string().contains("all_partners"), "{err}");
    }

    #[test]
    fn serde_uses_machine_names() {
        let v: Visibility = serde_json::from_str("\"own_organisation\"").unwrap();
        assert_eq!(v, Visibility::OwnOrganisation);
        assert!(serde_json::from_str::<Visibility>("\"secret\"").is_err());
        assert_eq!(
            serde_json::to_string(&Source::ImportPolisen).unwrap(),
            "\"import:polisen\""
        );
    }

    #[test]
    fn status_transitions() {
        use IncidentStatus::*;
        assert!(New.can_become(Reviewed));
        assert!(Reviewed.can_become(Closed));
        assert!(!Closed.can_become(New));
        assert!(!New.can_become(New));
    }

    #[test]
    fn category_codes() {
        assert!(CategoryCode::parse("skadegorelse-klotter").is_ok());
        assert_eq!(CategoryCode::parse(" trafik ").unwrap().as_str(), "trafik");
        for bad in [
            "",
            "Klotter",
            "skadegörelse",
            "a b",
            "-x",
            "x-",
            &"x".repeat(41),
        ] {
            assert!(CategoryCode::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Anna.Berg@Kungsor.SE ").unwrap().as_str(),
            "anna.berg@kungsor.se"
        );
        for bad in [
            "",
            "anna",
            "anna@",
            "@kungsor.se",
            "anna@kungsor",
            "a b@c.se",
            "a@b@c.se",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}

string_enum!(
    /// Where an action (åtgärd) stands.
    ActionStatus, "action status", {
        Planned => "planned",
        InProgress => "in_progress",
        Done => "done",
        Cancelled => "cancelled",
    }
);

impl ActionStatus {
    /// The statuses an action may move to from this one; done and cancelled are final.
    pub fn next(self) -> &'static [ActionStatus] {
        use ActionStatus::*;
        match self {
            Planned => &[InProgress, Done, Cancelled],
            InProgress => &[Done, Cancelled],
            Done | Cancelled => &[],
        }
    }

    pub fn can_become(self, to: ActionStatus) -> bool {
        self.next().contains(&to)
    }

    /// Done or cancelled: closed with a note, no longer due.
    pub fn is_closed(self) -> bool {
        matches!(self, ActionStatus::Done | ActionStatus::Cancelled)
    }
}

string_enum!(
    /// What an EST record (`store::Record`) is.
    RecordKind, "record kind", {
        Case => "case",
        Visit => "visit",
        Meeting => "meeting",
        Promise => "promise",
        Activity => "activity",
        Mobilisation => "mobilisation",
    }
);

impl RecordKind {
    /// The kind a record of this kind hangs under, if any.
    pub fn parent(self) -> Option<RecordKind> {
        match self {
            RecordKind::Visit => Some(RecordKind::Case),
            RecordKind::Activity => Some(RecordKind::Promise),
            _ => None,
        }
    }
}

string_enum!(
    /// The EST steps of a hot spot case, in order.
    CaseStep, "case step", {
        Kartlaggning => "kartlaggning",
        Analys => "analys",
        Atgarder => "atgarder",
        Uppfoljning => "uppfoljning",
        Avslutad => "avslutad",
    }
);

string_enum!(
    /// How the connection to an SMTP relay is secured.
    SmtpSecurity, "SMTP security", {
        /// Plain text: only for a relay on the same host or a closed network.
        None => "none",
        StartTls => "starttls",
        Tls => "tls",
    }
);

/// A municipality's SMTP relay, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub from: Email,
    pub user: Option<String>,
}

impl SmtpSettings {
    /// Every problem at once, by field.
    pub fn parse(
        host: &str,
        port: &str,
        security: &str,
        from: &str,
        user: &str,
    ) -> Result<SmtpSettings, Vec<crate::FieldError>> {
        use crate::FieldError;
        let mut errors = Vec::new();
        let h = host.trim();
        let host_ok = !h.is_empty()
            && h.len() <= 253
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
        if !host_ok {
            errors.push(FieldError::new("smtp_host", "error-smtp-host", host));
        }
        let port_v = port.trim().parse::<u16>().ok().filter(|p| *p > 0);
        if port_v.is_none() {
            errors.push(FieldError::new("smtp_port", "error-smtp-port", port));
        }
        let security_v = SmtpSecurity::parse(security).ok();
        if security_v.is_none() {
            errors.push(FieldError::new(
                "smtp_security",
                "error-invalid-choice",
                security,
            ));
        }
        let from_v = Email::parse(from).ok();
        if from_v.is_none() {
            errors.push(FieldError::new("smtp_from", "error-email", from));
        }
        let u = user.trim();
        if u.chars().count() > 200 || u.chars().any(char::is_control) {
            errors.push(FieldError::new("smtp_user", "error-too-long-200", user));
        }
        match (port_v, security_v, from_v) {
            (Some(port), Some(security), Some(from)) if errors.is_empty() => Ok(SmtpSettings {
                host: h.to_string(),
                port,
                security,
                from,
                user: (!u.is_empty()).then(|| u.to_string()),
            }),
            _ => Err(errors),
        }
    }
}
