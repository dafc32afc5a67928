//! Actions (åtgärder): what is done about a problem, who owns it, by when.

use crate::{Description, FieldError};
use jiff::civil::Date;

/// At most this many characters in an action's title.
pub const MAX_TITLE_CHARS: usize = 200;

/// An action as submitted by a form or the API: every field as text.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ActionDraft {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub owner_org_id: String,
    #[serde(default)]
    pub owner_user_id: String,
    #[serde(default)]
    pub area_id: String,
    /// For the effect evaluation: the area around the treated one, and a comparable area.
    #[serde(default)]
    pub buffer_area_id: String,
    #[serde(default)]
    pub control_area_id: String,
    /// The due date, `YYYY-MM-DD`.
    #[serde(default)]
    pub due_on: String,
    /// The case, meeting or promise activity it comes from (an EST record's id).
    #[serde(default)]
    pub record_id: String,
}

/// An action whose fields are all valid (the store checks that the organisation, user and
/// area are the tenant's).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidAction {
    pub title: String,
    pub description: Description,
    pub owner_org_id: i64,
    pub owner_user_id: Option<i64>,
    pub area_id: Option<i64>,
    pub buffer_area_id: Option<i64>,
    pub control_area_id: Option<i64>,
    pub due_on: Date,
    pub record_id: Option<i64>,
}

fn id(field: &str, value: &str, required: bool, errors: &mut Vec<FieldError>) -> Option<i64> {
    let v = value.trim();
    if v.is_empty() {
        if required {
            errors.push(FieldError::new(field, "error-required", value));
        }
        return None;
    }
    match v.parse::<i64>() {
        Ok(id) if id > 0 => Some(id),
        _ => {
            errors.push(FieldError::new(field, "error-invalid-choice", value));
            None
        }
    }
}

impl ActionDraft {
    /// Every problem at once, each with its field and value. Free text is screened for
    /// personal identity numbers, phone numbers and e-mail addresses: actions describe places
    /// and situations, not people.
    pub fn validate(&self) -> Result<ValidAction, Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = self.title.trim().to_string();
        if title.is_empty() {
            errors.push(FieldError::new("title", "error-required", &self.title));
        } else if title.chars().count() > MAX_TITLE_CHARS || title.chars().any(char::is_control) {
            errors.push(FieldError::new("title", "error-too-long-200", &self.title));
        }
        let description = match Description::parse(&self.description) {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(FieldError::new(
                    "description",
                    "error-description",
                    &self.description,
                ));
                None
            }
        };
        for (field, text) in [("title", &self.title), ("description", &self.description)] {
            let found = crate::screening::screen(text);
            if !found.is_empty() {
                let list: Vec<&str> = found.iter().map(|f| f.text.as_str()).collect();
                errors.push(FieldError::new(field, "error-sensitive", list.join(", ")));
            }
        }
        let owner_org_id = id("owner_org_id", &self.owner_org_id, true, &mut errors);
        let owner_user_id = id("owner_user_id", &self.owner_user_id, false, &mut errors);
        let area_id = id("area_id", &self.area_id, false, &mut errors);
        let buffer_area_id = id("buffer_area_id", &self.buffer_area_id, false, &mut errors);
        let control_area_id = id("control_area_id", &self.control_area_id, false, &mut errors);
        let record_id = id("record_id", &self.record_id, false, &mut errors);
        let due_on = match crate::dates::date(&self.due_on).ok_or(()) {
            Ok(d) => Some(d),
            Err(_) if self.due_on.trim().is_empty() => {
                errors.push(FieldError::new("due_on", "error-required", &self.due_on));
                None
            }
            Err(_) => {
                errors.push(FieldError::new("due_on", "error-date", &self.due_on));
                None
            }
        };
        match (description, owner_org_id, due_on) {
            (Some(description), Some(owner_org_id), Some(due_on)) if errors.is_empty() => {
                Ok(ValidAction {
                    title,
                    description,
                    owner_org_id,
                    owner_user_id,
                    area_id,
                    buffer_area_id,
                    control_area_id,
                    due_on,
                    record_id,
                })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ActionStatus;

    fn draft() -> ActionDraft {
        ActionDraft {
            title: "Bättre belysning vid busstationen".into(),
            description: "Byt armaturer längs gångvägen.".into(),
            owner_org_id: "3".into(),
            owner_user_id: "".into(),
            area_id: "7".into(),
            buffer_area_id: "8".into(),
            control_area_id: String::new(),
            record_id: String::new(),
            due_on: "2027-03-31".into(),
        }
    }

    #[test]
    fn a_good_action_validates() {
        let a = draft().validate().unwrap();
        assert_eq!(a.owner_org_id, 3);
        assert_eq!(a.area_id, Some(7));
        assert_eq!(a.owner_user_id, None);
        assert_eq!(a.due_on.to_string(), "2027-03-31");
    }

    #[test]
    fn every_bad_field_is_named_with_its_value() {
        let bad = ActionDraft {
            title: " ".into(),
            description: "Ring 070-123 45 67 om det".into(),
            owner_org_id: "x".into(),
            due_on: "31/3".into(),
            ..draft()
        };
        let errors = bad.validate().unwrap_err();
        let fields: Vec<(&str, &str)> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert!(fields.contains(&("title", "error-required")), "{fields:?}");
        assert!(
            fields.contains(&("description", "error-sensitive")),
            "{fields:?}"
        );
        assert!(
            fields.contains(&("owner_org_id", "error-invalid-choice")),
            "{fields:?}"
        );
        assert!(fields.contains(&("due_on", "error-date")), "{fields:?}");
        assert!(errors.iter().any(|e| e.value == "31/3"));
    }

    #[test]
    fn statuses_move_forward_and_closed_ones_stay() {
        use ActionStatus::*;
        assert!(Planned.can_become(InProgress));
        assert!(InProgress.can_become(Done));
        assert!(!Done.can_become(InProgress));
        assert!(!Cancelled.can_become(Planned));
        assert!(Done.is_closed() && !InProgress.is_closed());
        assert_eq!(ActionStatus::parse("in_progress").unwrap(), InProgress);
        assert!(ActionStatus::parse("klar").is_err());
    }
}
