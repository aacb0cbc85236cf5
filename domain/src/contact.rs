//! Contacts: who a team calls. A deployment serves one team, so a phone number (E.164) is unique
//! across all contacts; two rows with one number are the same person, merged rather than doubled.

use crate::phone::PhoneNumber;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const MAX_NAME: usize = 200;
pub const MAX_EMAIL: usize = 254;
pub const MAX_COMPANY: usize = 200;
pub const MAX_NOTES: usize = 5_000;
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: String,
    pub name: String,
    pub phone: PhoneNumber,
    pub email: Option<String>,
    pub company: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    pub favorite: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A validated contact without identity: what a create, an update or an import row carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactDraft {
    pub name: String,
    pub phone: PhoneNumber,
    pub email: Option<String>,
    pub company: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    pub favorite: bool,
}

/// Contact fields as typed by a person or read from a file, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ContactInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub favorite: Option<bool>,
}

/// One field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldIssue {
    pub field: &'static str,
    pub message: String,
}

fn issue(field: &'static str, message: impl Into<String>) -> FieldIssue {
    FieldIssue {
        field,
        message: message.into(),
    }
}

fn optional_text(
    value: Option<&str>,
    field: &'static str,
    max: usize,
    issues: &mut Vec<FieldIssue>,
) -> Option<String> {
    let v = value.map(str::trim).filter(|v| !v.is_empty())?;
    if v.chars().count() > max {
        issues.push(issue(field, format!("must be at most {max} characters")));
        return None;
    }
    Some(v.to_string())
}

/// Lower-cased, trimmed, de-duplicated tags in first-seen order.
pub fn normalise_tags<S: AsRef<str>>(
    tags: &[S],
    field: &'static str,
) -> Result<Vec<String>, FieldIssue> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.as_ref().trim().to_lowercase();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > MAX_TAG {
            return Err(issue(
                field,
                format!("each tag must be at most {MAX_TAG} characters"),
            ));
        }
        if t.chars().any(char::is_control) {
            return Err(issue(field, "tags cannot contain control characters"));
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(issue(field, format!("at most {MAX_TAGS} tags")));
    }
    Ok(out)
}

fn valid_email(e: &str) -> bool {
    let Some((local, host)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && host.contains('.')
        && !host.starts_with('.')
        && !host.ends_with('.')
        && !e.contains(char::is_whitespace)
        && !host.contains('@')
}

impl ContactInput {
    /// Validates every field, reporting all problems at once.
    pub fn validate(&self, default_country: &str) -> Result<ContactDraft, Vec<FieldIssue>> {
        let mut issues = Vec::new();
        let name = optional_text(self.name.as_deref(), "name", MAX_NAME, &mut issues);
        if name.is_none() && !issues.iter().any(|i| i.field == "name") {
            issues.push(issue("name", "is required"));
        }
        if name
            .as_deref()
            .is_some_and(|n| n.chars().any(char::is_control))
        {
            issues.push(issue("name", "cannot contain control characters"));
        }
        let phone =
            match PhoneNumber::parse(self.phone.as_deref().unwrap_or_default(), default_country) {
                Ok(p) => Some(p),
                Err(e) => {
                    issues.push(issue("phone", e.to_string()));
                    None
                }
            };
        let email = optional_text(self.email.as_deref(), "email", MAX_EMAIL, &mut issues)
            .map(|e| e.to_lowercase());
        if email.as_deref().is_some_and(|e| !valid_email(e)) {
            issues.push(issue("email", "is not an email address"));
        }
        let company = optional_text(self.company.as_deref(), "company", MAX_COMPANY, &mut issues);
        let notes = optional_text(self.notes.as_deref(), "notes", MAX_NOTES, &mut issues);
        let tags = match normalise_tags(self.tags.as_deref().unwrap_or_default(), "tags") {
            Ok(t) => t,
            Err(e) => {
                issues.push(e);
                Vec::new()
            }
        };
        match (name, phone) {
            (Some(name), Some(phone)) if issues.is_empty() => Ok(ContactDraft {
                name,
                phone,
                email,
                company,
                notes,
                tags,
                favorite: self.favorite.unwrap_or(false),
            }),
            _ => Err(issues),
        }
    }
}

impl Contact {
    pub fn new(id: String, draft: ContactDraft, now: DateTime<Utc>) -> Self {
        Self {
            id,
            name: draft.name,
            phone: draft.phone,
            email: draft.email,
            company: draft.company,
            notes: draft.notes,
            tags: draft.tags,
            favorite: draft.favorite,
            created_at: now,
            updated_at: now,
        }
    }

    /// Replaces every editable field (a full update).
    pub fn replace_with(&mut self, draft: ContactDraft, now: DateTime<Utc>) {
        let id = std::mem::take(&mut self.id);
        let created = self.created_at;
        *self = Self::new(id, draft, now);
        self.created_at = created;
    }

    /// Folds an imported row for the same number into this contact: values the row has win,
    /// values it lacks are kept, tags are united, and a favorite stays a favorite. Returns
    /// whether anything changed.
    pub fn merge_import(&mut self, row: &ContactDraft, now: DateTime<Utc>) -> bool {
        let before = self.clone();
        self.name.clone_from(&row.name);
        for (mine, theirs) in [
            (&mut self.email, &row.email),
            (&mut self.company, &row.company),
            (&mut self.notes, &row.notes),
        ] {
            if theirs.is_some() {
                mine.clone_from(theirs);
            }
        }
        for t in &row.tags {
            if !self.tags.contains(t) && self.tags.len() < MAX_TAGS {
                self.tags.push(t.clone());
            }
        }
        self.favorite |= row.favorite;
        let changed = *self != before;
        if changed {
            self.updated_at = now;
        }
        changed
    }
}

impl ContactDraft {
    /// Folds a later row with the same number into this one (duplicates inside one file).
    pub fn absorb(&mut self, later: ContactDraft) {
        self.name = later.name;
        for (mine, theirs) in [
            (&mut self.email, later.email),
            (&mut self.company, later.company),
            (&mut self.notes, later.notes),
        ] {
            if theirs.is_some() {
                *mine = theirs;
            }
        }
        for t in later.tags {
            if !self.tags.contains(&t) && self.tags.len() < MAX_TAGS {
                self.tags.push(t);
            }
        }
        self.favorite |= later.favorite;
    }
}

/// What a search box query means: text to find in names (case-insensitive) and, when the query
/// has at least three digits and nothing but digits and phone punctuation, digits to find inside
/// numbers ("555 12" finds +1 212 555 1234).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerms {
    pub text: String,
    pub digits: Option<String>,
}

impl SearchTerms {
    pub fn parse(q: &str) -> Option<Self> {
        let text = q.trim().to_lowercase();
        if text.is_empty() {
            return None;
        }
        let phone_like = text
            .chars()
            .all(|c| c.is_ascii_digit() || " +-.()/".contains(c));
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        Some(Self {
            digits: (phone_like && digits.len() >= 3).then_some(digits),
            text,
        })
    }

    /// The same rule the stores apply, for stores that filter in memory and for tests.
    pub fn matches(&self, name: &str, phone: &PhoneNumber) -> bool {
        name.to_lowercase().contains(&self.text)
            || self
                .digits
                .as_deref()
                .is_some_and(|d| phone.digits().contains(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, phone: &str) -> ContactInput {
        ContactInput {
            name: Some(name.into()),
            phone: Some(phone.into()),
            ..Default::default()
        }
    }

    #[test]
    fn validation_normalises_and_reports_every_field() {
        let mut i = input("  Jane Doe ", "(212) 555-1234");
        i.email = Some(" Jane@Example.COM ".into());
        i.tags = Some(vec!["VIP".into(), "vip".into(), " lead ".into(), "".into()]);
        let d = i.validate("US").unwrap();
        assert_eq!(d.name, "Jane Doe");
        assert_eq!(d.phone.as_str(), "+12125551234");
        assert_eq!(d.email.as_deref(), Some("jane@example.com"));
        assert_eq!(d.tags, ["vip", "lead"]);

        let mut bad = input("", "call me");
        bad.email = Some("nope".into());
        let issues = bad.validate("US").unwrap_err();
        let fields: Vec<_> = issues.iter().map(|i| i.field).collect();
        assert_eq!(fields, ["name", "phone", "email"]);
        assert!(
            input(&"x".repeat(MAX_NAME + 1), "2125551234")
                .validate("US")
                .is_err()
        );
    }

    #[test]
    fn search_by_fragment_formatting_and_case() {
        let phone = PhoneNumber::parse("+1 212 555 1234", "US").unwrap();
        let hit = |q: &str| SearchTerms::parse(q).unwrap().matches("Jane O'Doe", &phone);
        assert!(hit("555 12"));
        assert!(hit("(212) 555-12"));
        assert!(hit("+1212"));
        assert!(hit("JANE"));
        assert!(hit("o'doe"));
        assert!(!hit("555 13"));
        assert!(!hit("1 2"), "fewer than three digits do not search numbers");
        assert!(!hit("bob"));
        assert!(SearchTerms::parse("   ").is_none());
    }

    #[test]
    fn imports_merge_without_losing_data() {
        let now = Utc::now();
        let mut c = Contact::new(
            "c1".into(),
            ContactDraft {
                name: "Jane".into(),
                phone: PhoneNumber::parse("2125551234", "US").unwrap(),
                email: Some("j@x.io".into()),
                company: None,
                notes: None,
                tags: vec!["a".into()],
                favorite: true,
            },
            now,
        );
        let row = ContactDraft {
            name: "Jane Doe".into(),
            phone: c.phone.clone(),
            email: None,
            company: Some("Acme".into()),
            notes: None,
            tags: vec!["b".into(), "a".into()],
            favorite: false,
        };
        assert!(c.merge_import(&row, now));
        assert_eq!(c.name, "Jane Doe");
        assert_eq!(c.email.as_deref(), Some("j@x.io"));
        assert_eq!(c.company.as_deref(), Some("Acme"));
        assert_eq!(c.tags, ["a", "b"]);
        assert!(c.favorite);
        assert!(
            !c.merge_import(&row, now),
            "the same row again changes nothing"
        );
    }
}
