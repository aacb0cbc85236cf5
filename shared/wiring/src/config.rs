//! Configuration from the environment: the same names locally and in Lambda.

use std::path::PathBuf;

pub use ports::Secret;

#[derive(Clone, Debug)]
pub struct Config {
    pub telnyx_api_key: Secret,
    /// Base64 Ed25519 public key that signs Telnyx webhooks.
    pub telnyx_public_key: String,
    pub telnyx_connection_id: String,
    pub telnyx_api_base: String,
    /// Public URL of `/api/webhooks/telnyx`, sent with every dial.
    pub webhook_url: Option<String>,
    pub mongodb_uri: Option<Secret>,
    pub mongodb_database: String,
    pub events_queue_url: Option<String>,
    pub data_dir: PathBuf,
    /// Country used to read numbers typed without a country code.
    pub default_country: String,
    /// Ring timeout sent with each dial.
    pub ring_timeout_secs: u32,
    /// Longest a call may last once answered.
    pub call_time_limit_secs: u32,
    /// Looped to the customer while on hold; Telnyx must be able to fetch it.
    pub hold_music_url: String,
    /// Destination countries allowed besides those of the team's own numbers (ISO codes).
    pub allowed_countries: Vec<String>,
    /// Signs session tokens (`SESSION_SECRET`, from Secrets Manager in AWS).
    pub session_secret: Option<Secret>,
    /// The first administrator, created when there is no user yet.
    pub admin_email: Option<String>,
    pub admin_password: Option<Secret>,
    /// Dials one user may place per minute.
    pub dial_rate_per_minute: u32,
    /// The Telnyx credential connection agents' softphones sign in to
    /// (`TELNYX_CREDENTIAL_CONNECTION_ID`); without it browser mode is not configured.
    pub telnyx_credential_connection_id: Option<String>,
    /// The Verto WebSocket the softphone connects to (`TELNYX_WEBRTC_HOST`); unset = the SDK's
    /// default (Telnyx's own).
    pub webrtc_host: Option<String>,
    /// ICE servers for the softphone (`TELNYX_WEBRTC_ICE_SERVERS`, a JSON array of
    /// `{urls, username?, credential?}`); unset = the SDK's default.
    pub webrtc_ice_servers: Option<Vec<IceServer>>,
}

/// One ICE server as the WebRTC API takes it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IceServer {
    pub urls: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            telnyx_api_key: Secret::default(),
            telnyx_public_key: String::new(),
            telnyx_connection_id: String::new(),
            telnyx_api_base: "https://api.telnyx.com/v2".into(),
            webhook_url: None,
            mongodb_uri: None,
            mongodb_database: "dialer".into(),
            events_queue_url: None,
            data_dir: PathBuf::from("data"),
            default_country: "US".into(),
            ring_timeout_secs: 30,
            call_time_limit_secs: 4 * 60 * 60,
            hold_music_url: String::new(),
            allowed_countries: Vec::new(),
            session_secret: None,
            admin_email: None,
            admin_password: None,
            dial_rate_per_minute: 10,
            telnyx_credential_connection_id: None,
            webrtc_host: None,
            webrtc_ice_servers: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {name} {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let defaults = Self::default();
        let number = |name: &'static str, default: u32| -> Result<u32, ConfigError> {
            match get(name) {
                None => Ok(default),
                Some(v) => v.trim().parse().map_err(|_| ConfigError {
                    name,
                    problem: format!("must be a whole number, got {v:?}"),
                }),
            }
        };
        Ok(Self {
            telnyx_api_key: Secret::new(get("TELNYX_API_KEY").unwrap_or_default()),
            telnyx_public_key: get("TELNYX_PUBLIC_KEY").unwrap_or_default(),
            telnyx_connection_id: get("TELNYX_CONNECTION_ID").unwrap_or_default(),
            telnyx_api_base: get("TELNYX_API_BASE")
                .map(|v| v.trim_end_matches('/').to_string())
                .unwrap_or(defaults.telnyx_api_base),
            webhook_url: get("WEBHOOK_URL"),
            mongodb_uri: get("MONGODB_URI").map(Secret::new),
            mongodb_database: get("MONGODB_DATABASE").unwrap_or(defaults.mongodb_database),
            events_queue_url: get("EVENTS_QUEUE_URL"),
            data_dir: get("DATA_DIR")
                .map(PathBuf::from)
                .unwrap_or(defaults.data_dir),
            default_country: get("DEFAULT_COUNTRY")
                .map(|c| c.trim().to_ascii_uppercase())
                .unwrap_or(defaults.default_country),
            ring_timeout_secs: number("RING_TIMEOUT_SECS", defaults.ring_timeout_secs)?,
            call_time_limit_secs: number("CALL_TIME_LIMIT_SECS", defaults.call_time_limit_secs)?,
            hold_music_url: get("HOLD_MUSIC_URL").unwrap_or_default(),
            allowed_countries: get("ALLOWED_COUNTRIES")
                .map(|list| {
                    list.split(',')
                        .map(|c| c.trim().to_ascii_uppercase())
                        .filter(|c| !c.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            session_secret: get("SESSION_SECRET").map(Secret::new),
            admin_email: get("ADMIN_EMAIL").map(|e| e.trim().to_string()),
            admin_password: get("ADMIN_PASSWORD").map(Secret::new),
            dial_rate_per_minute: number("DIAL_RATE_PER_MINUTE", defaults.dial_rate_per_minute)?
                .max(1),
            telnyx_credential_connection_id: get("TELNYX_CREDENTIAL_CONNECTION_ID")
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty()),
            webrtc_host: get("TELNYX_WEBRTC_HOST")
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty()),
            webrtc_ice_servers: match get("TELNYX_WEBRTC_ICE_SERVERS") {
                None => None,
                Some(v) if v.trim().is_empty() => None,
                Some(v) => Some(serde_json::from_str(&v).map_err(|e| ConfigError {
                    name: "TELNYX_WEBRTC_ICE_SERVERS",
                    problem: format!(
                        "must be a JSON array of {{urls, username?, credential?}}: {e}"
                    ),
                })?),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn secrets_are_masked_in_debug_output() {
        let env: HashMap<&str, &str> = [
            ("TELNYX_API_KEY", "KEY0123456789ABCDEF_secretpart"),
            ("MONGODB_URI", "mongodb+srv://user:hunter2@cluster/db"),
            ("SESSION_SECRET", "session-signing-key-sessionpart"),
            ("ADMIN_PASSWORD", "first-admin-adminpart"),
        ]
        .into();
        let config = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap();
        let printed = format!("{config:?}");
        assert!(!printed.contains("secretpart"), "{printed}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(!printed.contains("sessionpart"), "{printed}");
        assert!(!printed.contains("adminpart"), "{printed}");
        assert!(printed.contains("••••part"), "{printed}");
        assert_eq!(Secret::new("abc").masked(), "••••");
    }

    #[test]
    fn defaults_and_bad_numbers() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert_eq!(config.telnyx_api_base, "https://api.telnyx.com/v2");
        assert_eq!(config.default_country, "US");
        let err =
            Config::from_lookup(|k| (k == "RING_TIMEOUT_SECS").then(|| "soon".into())).unwrap_err();
        assert_eq!(err.name, "RING_TIMEOUT_SECS");
    }
}
