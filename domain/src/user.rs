//! Users and what their role lets them do.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Dials, manages contacts, reads the team's call logs.
    Agent,
    /// Everything an agent does, plus settings, numbers and users.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "agent",
            Self::Admin => "admin",
        }
    }

    /// Whether this role may use something that needs `needed`.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl std::str::FromStr for Role {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "agent" => Ok(Self::Agent),
            "admin" => Ok(Self::Admin),
            _ => Err(()),
        }
    }
}

/// Shortest password accepted. Length beats composition rules (NIST SP 800-63B).
pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// An e-mail address as we key users by it: trimmed and lower-cased.
pub fn normalise_email(input: &str) -> Result<String, &'static str> {
    let email = input.trim().to_ascii_lowercase();
    let (local, domain) = email.split_once('@').ok_or("must be an e-mail address")?;
    if local.is_empty()
        || domain.len() < 3
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || email.len() > 254
        || email.chars().any(|c| c.is_whitespace() || c.is_control())
        || domain.contains('@')
    {
        return Err("must be an e-mail address");
    }
    Ok(email)
}

pub fn check_password(password: &str) -> Result<(), &'static str> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err("must be at least 10 characters");
    }
    if n > MAX_PASSWORD_CHARS {
        return Err("must be at most 256 characters");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_from_before_a_password_change_are_not_current() {
        use chrono::TimeZone;
        let at = |s: i64, ms: u32| chrono::Utc.timestamp_opt(s, ms * 1_000_000).unwrap();
        let mut u = User {
            id: "u1".into(),
            email: "a@example.com".into(),
            name: "A".into(),
            role: Role::Agent,
            disabled: false,
            password_hash: "h".into(),
            created_at: at(0, 0),
            sessions_valid_after: None,
            agent: Default::default(),
            webrtc: None,
        };
        assert!(u.session_is_current(0) && u.session_is_current(i64::MIN));
        for (changed, issued, current) in [
            (at(100, 0), 99, false),
            (at(100, 0), 100, false),
            (at(100, 0), 101, true),
            (at(100, 500), 100, false),
            (at(100, 500), 101, true),
            (at(100, 999), 101, true),
        ] {
            u.sessions_valid_after = Some(changed);
            assert_eq!(
                u.session_is_current(issued),
                current,
                "{changed} / {issued}"
            );
        }
    }

    #[test]
    fn admins_can_do_what_agents_can_not_the_reverse() {
        assert!(Role::Admin.allows(Role::Agent));
        assert!(Role::Admin.allows(Role::Admin));
        assert!(Role::Agent.allows(Role::Agent));
        assert!(!Role::Agent.allows(Role::Admin));
        assert_eq!("admin".parse(), Ok(Role::Admin));
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn emails_and_passwords() {
        assert_eq!(
            normalise_email("  Ana@Example.COM "),
            Ok("ana@example.com".into())
        );
        for bad in [
            "",
            "ana",
            "@example.com",
            "ana@",
            "ana@com",
            "ana@.com",
            "a na@example.com",
            "a@b@c.com",
        ] {
            assert!(normalise_email(bad).is_err(), "{bad}");
        }
        assert!(check_password("correct horse").is_ok());
        assert!(check_password("short").is_err());
        assert!(check_password(&"x".repeat(257)).is_err());
    }
}

/// A person who signs in. The password is only ever held hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub disabled: bool,
    pub password_hash: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// How this user talks on calls; unset fields follow the team's settings.
    #[serde(default)]
    pub agent: AgentChoice,
    /// The user's Telnyx telephony credential (browser mode), created on first need.
    #[serde(default)]
    pub webrtc: Option<WebRtcCredential>,
    /// Sessions signed in before this moment are refused: set when the password changes or is
    /// reset, so a leaked or shared session ends with the old password. `None`: never changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions_valid_after: Option<chrono::DateTime<chrono::Utc>>,
}

impl User {
    /// Whether a session signed in at `issued_at` (whole seconds, as tokens carry it) still
    /// counts. The whole second of a change is refused, so a session from just before it can
    /// never pass; signing in again a second later works.
    pub fn session_is_current(&self, issued_at: i64) -> bool {
        self.sessions_valid_after
            .is_none_or(|t| issued_at > t.timestamp())
    }
}

/// A user's own agent mode and phone; `None` = the team's default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentChoice {
    pub mode: Option<crate::settings::AgentMode>,
    pub phone: Option<crate::phone::PhoneNumber>,
}

impl AgentChoice {
    /// The mode and phone in force: the user's where set, else the team's.
    pub fn effective(
        &self,
        team: &crate::settings::Settings,
    ) -> (
        crate::settings::AgentMode,
        Option<crate::phone::PhoneNumber>,
    ) {
        (
            self.mode.unwrap_or(team.agent_mode),
            self.phone.clone().or_else(|| team.agent_phone.clone()),
        )
    }
}

/// The Telnyx telephony credential the user's softphone signs in with. Its password never
/// leaves Telnyx: the page gets short-lived tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebRtcCredential {
    pub credential_id: String,
    pub sip_username: String,
}

impl WebRtcCredential {
    /// What a dial to this user's browser is sent to.
    pub fn sip_uri(&self) -> String {
        format!("sip:{}@sip.telnyx.com", self.sip_username)
    }
}

#[cfg(test)]
mod agent_choice_tests {
    use super::*;
    use crate::settings::{AgentMode, Settings};

    #[test]
    fn the_users_choice_wins_and_unset_fields_follow_the_team() {
        let phone = |n| crate::phone::PhoneNumber::parse(n, "US").unwrap();
        let team = Settings {
            agent_mode: AgentMode::Phone,
            agent_phone: Some(phone("+13125550100")),
            ..Settings::default()
        };
        let none = AgentChoice::default();
        assert_eq!(
            none.effective(&team),
            (AgentMode::Phone, Some(phone("+13125550100")))
        );
        let mine = AgentChoice {
            mode: Some(AgentMode::Browser),
            phone: Some(phone("+13125550101")),
        };
        assert_eq!(
            mine.effective(&team),
            (AgentMode::Browser, Some(phone("+13125550101")))
        );
    }
}
