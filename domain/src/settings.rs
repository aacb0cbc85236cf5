//! Account settings a team edits in the app (everything except secrets, which never live in
//! this type: the Telnyx API key is kept by a secret store and only its last four characters are
//! ever shown).

use crate::contact::FieldIssue;
use crate::phone::PhoneNumber;
use serde::{Deserialize, Deserializer, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentMode {
    /// A single customer leg (demo and automated calls).
    #[default]
    None,
    /// The agent talks through the browser (WebRTC).
    Browser,
    /// The agent's own phone is called and bridged to the customer.
    Phone,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordingFormat {
    #[default]
    Mp3,
    Wav,
}

impl RecordingFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mp3 => "mp3",
            Self::Wav => "wav",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordingChannels {
    Single,
    /// One channel per party: what QA and transcription want.
    #[default]
    Dual,
}

impl RecordingChannels {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::Dual => "dual",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingPrefs {
    pub auto_record: bool,
    pub format: RecordingFormat,
    pub channels: RecordingChannels,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Base64 Ed25519 key Telnyx signs webhooks with (public: not a secret).
    #[serde(default)]
    pub telnyx_public_key: Option<String>,
    /// The Call Control application (connection) calls are placed on.
    #[serde(default)]
    pub telnyx_connection_id: Option<String>,
    #[serde(default)]
    pub default_caller_id: Option<PhoneNumber>,
    #[serde(default)]
    pub recording: RecordingPrefs,
    #[serde(default)]
    pub hold_music_url: Option<String>,
    #[serde(default)]
    pub agent_mode: AgentMode,
    /// The agent's own phone, called first in `phone` mode.
    #[serde(default)]
    pub agent_phone: Option<PhoneNumber>,
    /// The toll-fraud guard's adjustable part (see `crate::policy`).
    #[serde(default)]
    pub dial_policy: DialPolicySettings,
}

/// What an admin may loosen or tighten in the dial policy. Premium and special ranges stay
/// blocked whatever is set here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialPolicySettings {
    /// Countries callable besides those of the team's own numbers (ISO 3166 alpha-2).
    #[serde(default)]
    pub extra_countries: Vec<String>,
    pub max_concurrent_calls: u32,
    pub max_calls_per_hour: u32,
    pub max_calls_per_day: u32,
}

impl Default for DialPolicySettings {
    fn default() -> Self {
        let limits = crate::policy::DialPolicy::for_countries([]);
        Self {
            extra_countries: Vec::new(),
            max_concurrent_calls: limits.max_concurrent_calls,
            max_calls_per_hour: limits.max_calls_per_hour,
            max_calls_per_day: limits.max_calls_per_day,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialPolicyPatch {
    pub extra_countries: Option<Vec<String>>,
    pub max_concurrent_calls: Option<u32>,
    pub max_calls_per_hour: Option<u32>,
    pub max_calls_per_day: Option<u32>,
}

impl DialPolicySettings {
    /// The policy a dial is judged by: these limits, and these countries plus `countries`
    /// (those of the team's numbers and the deployment's `ALLOWED_COUNTRIES`).
    pub fn policy(&self, countries: impl IntoIterator<Item = String>) -> crate::policy::DialPolicy {
        let mut policy = crate::policy::DialPolicy::for_countries(
            countries
                .into_iter()
                .chain(self.extra_countries.iter().cloned()),
        );
        policy.max_concurrent_calls = self.max_concurrent_calls;
        policy.max_calls_per_hour = self.max_calls_per_hour;
        policy.max_calls_per_day = self.max_calls_per_day;
        policy
    }
}

/// `Some(None)` for an explicit `null` (clear), `None` for an absent field (keep).
fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordingPatch {
    pub auto_record: Option<bool>,
    pub format: Option<RecordingFormat>,
    pub channels: Option<RecordingChannels>,
}

/// A change to the settings: absent fields are kept, `null` clears. Unknown fields are refused
/// so a typo (`"auto_recrod"`) is an error rather than a silent no-op.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    #[serde(default, deserialize_with = "nullable")]
    pub telnyx_api_key: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub telnyx_public_key: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub telnyx_connection_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub default_caller_id: Option<Option<String>>,
    #[serde(default)]
    pub recording: Option<RecordingPatch>,
    #[serde(default, deserialize_with = "nullable")]
    pub hold_music_url: Option<Option<String>>,
    #[serde(default)]
    pub agent_mode: Option<AgentMode>,
    #[serde(default, deserialize_with = "nullable")]
    pub agent_phone: Option<Option<String>>,
    #[serde(default)]
    pub dial_policy: Option<DialPolicyPatch>,
}

fn issue(field: &'static str, message: impl Into<String>) -> FieldIssue {
    FieldIssue {
        field,
        message: message.into(),
    }
}

fn blank_is_none(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Telnyx API keys look like `KEY0123…_…`; anything with spaces or control characters is a
/// paste accident, not a key.
pub fn validate_api_key(key: &str) -> Result<(), FieldIssue> {
    let ok = (10..=256).contains(&key.len()) && key.chars().all(|c| c.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(issue(
            "telnyx_api_key",
            "must be 10–256 printable characters without spaces (copy it from the Telnyx portal)",
        ))
    }
}

impl Settings {
    /// Applies a patch (secret fields are the caller's business) and validates the result.
    pub fn apply(&self, patch: &SettingsPatch, country: &str) -> Result<Settings, Vec<FieldIssue>> {
        let mut next = self.clone();
        let mut issues = Vec::new();
        if let Some(v) = &patch.telnyx_public_key {
            next.telnyx_public_key = blank_is_none(v.clone());
        }
        if let Some(v) = &patch.telnyx_connection_id {
            next.telnyx_connection_id = blank_is_none(v.clone());
            if let Some(id) = &next.telnyx_connection_id
                && (id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            {
                issues.push(issue(
                    "telnyx_connection_id",
                    "must be the application id shown in the Telnyx portal (letters, digits, dashes)",
                ));
            }
        }
        let mut phone = |field: &'static str, v: &Option<String>| -> Option<PhoneNumber> {
            let v = blank_is_none(v.clone())?;
            PhoneNumber::parse(&v, country)
                .map_err(|e| issues.push(issue(field, e.to_string())))
                .ok()
        };
        if let Some(v) = &patch.default_caller_id {
            next.default_caller_id = phone("default_caller_id", v);
        }
        if let Some(v) = &patch.agent_phone {
            next.agent_phone = phone("agent_phone", v);
        }
        if let Some(r) = patch.recording {
            next.recording = RecordingPrefs {
                auto_record: r.auto_record.unwrap_or(next.recording.auto_record),
                format: r.format.unwrap_or(next.recording.format),
                channels: r.channels.unwrap_or(next.recording.channels),
            };
        }
        if let Some(v) = &patch.hold_music_url {
            next.hold_music_url = blank_is_none(v.clone());
            if let Some(url) = &next.hold_music_url {
                let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
                if !scheme_ok || url.len() > 2048 || url.contains(char::is_whitespace) {
                    issues.push(issue(
                        "hold_music_url",
                        "must be an http(s) URL Telnyx can fetch (an mp3 or wav file)",
                    ));
                }
            }
        }
        if let Some(m) = patch.agent_mode {
            next.agent_mode = m;
        }
        if let Some(p) = &patch.dial_policy {
            apply_dial_policy(&mut next.dial_policy, p, &mut issues);
        }
        if next.agent_mode == AgentMode::Phone && next.agent_phone.is_none() {
            issues.push(issue(
                "agent_phone",
                "is required when agent_mode is \"phone\" (the number that rings for the agent)",
            ));
        }
        if issues.is_empty() {
            Ok(next)
        } else {
            Err(issues)
        }
    }
}

fn apply_dial_policy(
    policy: &mut DialPolicySettings,
    patch: &DialPolicyPatch,
    issues: &mut Vec<FieldIssue>,
) {
    if let Some(list) = &patch.extra_countries {
        let mut countries: Vec<String> =
            list.iter().map(|c| c.trim().to_ascii_uppercase()).collect();
        countries.sort();
        countries.dedup();
        match countries.iter().find(|c| !crate::phone::is_country_code(c)) {
            Some(bad) => issues.push(issue(
                "dial_policy.extra_countries",
                format!("{bad:?} is not a country code (use ISO codes such as \"GB\" or \"DE\")"),
            )),
            None => policy.extra_countries = countries,
        }
    }
    let mut limit = |field: &'static str, value: Option<u32>, max: u32, into: &mut u32| match value
    {
        Some(v) if (1..=max).contains(&v) => *into = v,
        Some(_) => issues.push(issue(field, format!("must be between 1 and {max}"))),
        None => {}
    };
    limit(
        "dial_policy.max_concurrent_calls",
        patch.max_concurrent_calls,
        20,
        &mut policy.max_concurrent_calls,
    );
    limit(
        "dial_policy.max_calls_per_hour",
        patch.max_calls_per_hour,
        1_000,
        &mut policy.max_calls_per_hour,
    );
    limit(
        "dial_policy.max_calls_per_day",
        patch.max_calls_per_day,
        10_000,
        &mut policy.max_calls_per_day,
    );
    if policy.max_calls_per_hour > policy.max_calls_per_day {
        issues.push(issue(
            "dial_policy.max_calls_per_hour",
            "cannot be more than the calls allowed per day",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(json: &str) -> SettingsPatch {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn absent_keeps_null_clears() {
        let s = Settings::default()
            .apply(
                &patch(r#"{"default_caller_id":"(312) 555-0201","hold_music_url":"https://x.io/a.mp3"}"#),
                "US",
            )
            .unwrap();
        assert_eq!(
            s.default_caller_id.as_ref().unwrap().as_str(),
            "+13125550201"
        );
        let s = s
            .apply(&patch(r#"{"recording":{"format":"wav"}}"#), "US")
            .unwrap();
        assert!(s.default_caller_id.is_some());
        assert_eq!(s.recording.format, RecordingFormat::Wav);
        assert_eq!(s.recording.channels, RecordingChannels::Dual);
        let s = s.apply(&patch(r#"{"hold_music_url":null}"#), "US").unwrap();
        assert_eq!(s.hold_music_url, None);
    }

    #[test]
    fn dial_policy_is_adjustable_within_bounds() {
        let s = Settings::default()
            .apply(
                &patch(r#"{"dial_policy":{"extra_countries":["gb"," de","GB"],"max_calls_per_hour":30}}"#),
                "US",
            )
            .unwrap();
        assert_eq!(s.dial_policy.extra_countries, ["DE", "GB"]);
        assert_eq!(s.dial_policy.max_calls_per_hour, 30);
        assert_eq!(
            s.dial_policy.max_concurrent_calls, 3,
            "absent fields are kept"
        );
        let policy = s.dial_policy.policy(["US".to_string()]);
        assert!(policy.allowed_countries.contains("US") && policy.allowed_countries.contains("GB"));
        assert_eq!(policy.max_calls_per_hour, 30);

        let issues = Settings::default()
            .apply(
                &patch(r#"{"dial_policy":{"extra_countries":["XX"],"max_concurrent_calls":0,"max_calls_per_day":10}}"#),
                "US",
            )
            .unwrap_err();
        let mut fields: Vec<_> = issues.iter().map(|i| i.field).collect();
        fields.sort();
        assert_eq!(
            fields,
            [
                "dial_policy.extra_countries",
                "dial_policy.max_calls_per_hour",
                "dial_policy.max_concurrent_calls"
            ]
        );
        assert!(
            serde_json::from_str::<SettingsPatch>(r#"{"dial_policy":{"max_calls":1}}"#).is_err(),
            "typos are refused"
        );
    }

    #[test]
    fn every_bad_field_is_reported() {
        let issues = Settings::default()
            .apply(
                &patch(r#"{"default_caller_id":"nope","hold_music_url":"ftp://x","agent_mode":"phone","telnyx_connection_id":"a b"}"#),
                "US",
            )
            .unwrap_err();
        let mut fields: Vec<_> = issues.iter().map(|i| i.field).collect();
        fields.sort();
        assert_eq!(
            fields,
            [
                "agent_phone",
                "default_caller_id",
                "hold_music_url",
                "telnyx_connection_id"
            ]
        );
        assert!(serde_json::from_str::<SettingsPatch>(r#"{"auto_recrod":true}"#).is_err());
        assert!(serde_json::from_str::<SettingsPatch>(r#"{"agent_mode":"robot"}"#).is_err());
        assert!(validate_api_key("KEY0123456789_abc").is_ok());
        assert!(validate_api_key("KEY 0123456789").is_err());
    }
}
