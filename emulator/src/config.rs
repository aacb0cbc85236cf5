use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::faults::FaultPlan;
use crate::limits::AccountLimits;

/// Bearer token accepted when nothing else is configured. Real v2 keys start with `KEY`.
pub const DEFAULT_API_KEY: &str = "KEY_EMULATOR_0123456789";
/// Id of the single Call Control application the emulator knows (numeric like Telnyx's).
pub const DEFAULT_CONNECTION_ID: &str = "1700000000000000001";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}: {message}")]
    Invalid { name: String, message: String },
}

fn invalid(name: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        name: name.to_string(),
        message: message.into(),
    }
}

/// Everything the emulator can be told. All durations except the ones documented as
/// "scaled" are real time, because they model client-side behaviour (retry windows, URL
/// expiry) that tests want to control directly.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    pub api_key: String,
    pub signing_seed: [u8; 32],
    pub connection_id: String,
    pub app_webhook_url: Option<String>,
    pub failover_webhook_url: Option<String>,
    /// Multiplies every simulated delay (ringing, call length, retry backoff, chaos delay).
    pub time_scale: f64,
    /// Root URL clients use to reach this emulator (recording links point here). Defaults to
    /// `http://<listener address>`.
    pub public_base_url: Option<String>,
    /// Per-attempt HTTP timeout for webhook delivery (Telnyx allows up to 30 s).
    pub webhook_timeout: Duration,
    /// Total attempts per event, primary and failover together.
    pub webhook_max_attempts: u32,
    /// First retry delay, doubled each attempt; scaled by `time_scale`.
    pub webhook_retry_base: Duration,
    /// Lifetime of pre-signed recording URLs (Telnyx: 600 s).
    pub recording_url_ttl: Duration,
    /// How long `GET /v2/calls/{id}` still knows an ended call (Telnyx: 10 minutes).
    pub call_retention: Duration,
    /// De-duplication window for `command_id` (Telnyx: 60 s).
    pub command_id_window: Duration,
    /// Dials allowed per second, averaged over `dial_rate_window` (Telnyx: 30 over 5 s).
    pub dial_rate_limit_per_sec: u32,
    pub dial_rate_window: Duration,
    /// Send `call.cost` after `call.hangup` (the app setting `call_cost_in_webhooks`).
    pub call_cost_in_webhooks: bool,
    /// Emulator-wide chaos for every new call; a dial can override it with `X-Emulator-Chaos`.
    pub chaos: Option<ChaosConfig>,
    /// REST faults for dials and commands; a request can ask for one with `X-Emulator-Fault`.
    pub rest_faults: Option<FaultPlan>,
    /// Account limits enforced on dials (none by default).
    pub limits: AccountLimits,
    /// `Some`: number orders answer `pending` and complete after this long (scaled), with a
    /// `number_order.complete` webhook. `None`: they succeed at once.
    pub number_order_delay: Option<Duration>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            api_key: DEFAULT_API_KEY.to_string(),
            signing_seed: rand::random(),
            connection_id: DEFAULT_CONNECTION_ID.to_string(),
            app_webhook_url: None,
            failover_webhook_url: None,
            time_scale: 1.0,
            public_base_url: None,
            webhook_timeout: Duration::from_secs(10),
            webhook_max_attempts: 4,
            webhook_retry_base: Duration::from_secs(1),
            recording_url_ttl: Duration::from_secs(600),
            call_retention: Duration::from_secs(600),
            command_id_window: Duration::from_secs(60),
            dial_rate_limit_per_sec: 30,
            dial_rate_window: Duration::from_secs(5),
            call_cost_in_webhooks: false,
            chaos: None,
            rest_faults: None,
            limits: AccountLimits::default(),
            number_order_delay: None,
        }
    }
}

impl EmulatorConfig {
    /// Reads `TELNYX_EMULATOR_*` variables over the defaults.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Same as [`from_env`](Self::from_env) with an injectable lookup, so it is testable
    /// without touching the process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut c = EmulatorConfig::default();
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        if let Some(v) = get("TELNYX_EMULATOR_SIGNING_KEY") {
            c.signing_seed = parse_seed(&v)?;
        }
        if let Some(v) = get("TELNYX_EMULATOR_TIME_SCALE") {
            c.time_scale = parse_scale(&v)?;
        }
        if let Some(v) = get("TELNYX_EMULATOR_API_KEY") {
            c.api_key = v;
        }
        if let Some(v) = get("TELNYX_EMULATOR_CONNECTION_ID") {
            c.connection_id = v;
        }
        if let Some(v) = get("TELNYX_EMULATOR_WEBHOOK_URL") {
            c.app_webhook_url = Some(v);
        }
        if let Some(v) = get("TELNYX_EMULATOR_FAILOVER_URL") {
            c.failover_webhook_url = Some(v);
        }
        if let Some(v) = get("TELNYX_EMULATOR_PUBLIC_URL") {
            c.public_base_url = Some(v.trim_end_matches('/').to_string());
        }
        if let Some(v) = get("TELNYX_EMULATOR_CHAOS") {
            c.chaos = ChaosConfig::parse(&v).map_err(|e| invalid("TELNYX_EMULATOR_CHAOS", e))?;
        }
        if let Some(v) = get("TELNYX_EMULATOR_RECORDING_TTL_SECS") {
            let secs: f64 = v
                .parse()
                .map_err(|_| invalid("TELNYX_EMULATOR_RECORDING_TTL_SECS", "not a number"))?;
            c.recording_url_ttl = Duration::from_secs_f64(secs.max(0.0));
        }
        if let Some(v) = get("TELNYX_EMULATOR_CALL_COST") {
            c.call_cost_in_webhooks = matches!(v.as_str(), "1" | "true" | "on" | "yes");
        }
        if let Some(v) = get("TELNYX_EMULATOR_DIAL_RATE") {
            c.dial_rate_limit_per_sec = v
                .parse()
                .map_err(|_| invalid("TELNYX_EMULATOR_DIAL_RATE", "not an integer"))?;
        }
        c.read_realism(&get)?;
        Ok(c)
    }

    /// The settings that make the emulator fail as Telnyx does: REST faults, account
    /// limits, pending number orders.
    fn read_realism(&mut self, get: &impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(v) = get("TELNYX_EMULATOR_FAULTS") {
            self.rest_faults =
                FaultPlan::parse(&v).map_err(|e| invalid("TELNYX_EMULATOR_FAULTS", e))?;
        }
        if let Some(v) = get("TELNYX_EMULATOR_LIMITS") {
            self.limits =
                AccountLimits::parse(&v).map_err(|e| invalid("TELNYX_EMULATOR_LIMITS", e))?;
        }
        if let Some(v) = get("TELNYX_EMULATOR_NUMBER_ORDER_DELAY_MS") {
            let ms: u64 = v
                .parse()
                .map_err(|_| invalid("TELNYX_EMULATOR_NUMBER_ORDER_DELAY_MS", "not an integer"))?;
            self.number_order_delay = Some(Duration::from_millis(ms));
        }
        Ok(())
    }

    pub(crate) fn scaled(&self, d: Duration) -> Duration {
        d.mul_f64(self.time_scale)
    }
}

pub fn parse_seed(v: &str) -> Result<[u8; 32], ConfigError> {
    let bytes = STANDARD
        .decode(v.trim())
        .map_err(|_| invalid("TELNYX_EMULATOR_SIGNING_KEY", "not base64"))?;
    // A libsodium secret key is seed||public (64 bytes); accept it too, the seed comes first.
    match bytes.len() {
        32 | 64 => {
            let mut seed = [0u8; 32];
            seed.copy_from_slice(&bytes[..32]);
            Ok(seed)
        }
        n => Err(invalid(
            "TELNYX_EMULATOR_SIGNING_KEY",
            format!("decodes to {n} bytes, expected a 32-byte Ed25519 seed"),
        )),
    }
}

pub fn parse_scale(v: &str) -> Result<f64, ConfigError> {
    match v.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && s >= 0.0 => Ok(s),
        _ => Err(invalid(
            "TELNYX_EMULATOR_TIME_SCALE",
            "expected a number >= 0",
        )),
    }
}

/// Misbehaviour Telnyx documents as possible: duplicated, reordered, concurrent and late
/// webhooks. Decisions come from a per-call RNG, seeded from `seed` and the call's sequence
/// number when a seed is given, so a run can be replayed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChaosConfig {
    pub seed: Option<u64>,
    /// Probability that an event is delivered a second time (same `data.id`).
    pub duplicate: f64,
    /// Probability that an event is held back and delivered after the call's next event.
    pub reorder: f64,
    /// Upper bound of a random extra delay before each delivery, scaled by `time_scale`.
    pub max_delay_ms: u64,
    /// Deliver without waiting for the previous delivery of the same call to finish.
    pub concurrent: bool,
}

impl Default for ChaosConfig {
    fn default() -> Self {
        ChaosConfig {
            seed: None,
            duplicate: 0.3,
            reorder: 0.3,
            max_delay_ms: 1500,
            concurrent: true,
        }
    }
}

impl ChaosConfig {
    /// `off` | `on` | comma-separated `key=value` over the defaults, keys `seed`, `dup`
    /// (`duplicate`), `reorder`, `delay_ms` (`max_delay_ms`), `concurrent`.
    /// Returns `Ok(None)` for `off`.
    pub fn parse(spec: &str) -> Result<Option<ChaosConfig>, String> {
        let spec = spec.trim();
        match spec.to_ascii_lowercase().as_str() {
            "" | "off" | "false" | "0" | "none" => return Ok(None),
            "on" | "true" | "1" | "default" => return Ok(Some(ChaosConfig::default())),
            _ => {}
        }
        let mut c = ChaosConfig::default();
        for part in spec
            .split([',', ';'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("expected key=value, got {part:?}"))?;
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            let prob = |v: &str| -> Result<f64, String> {
                v.parse::<f64>()
                    .ok()
                    .filter(|p| (0.0..=1.0).contains(p))
                    .ok_or_else(|| format!("{k} must be a probability in 0..=1"))
            };
            match k.as_str() {
                "seed" => c.seed = Some(v.parse().map_err(|_| "seed must be an integer")?),
                "dup" | "duplicate" => c.duplicate = prob(v)?,
                "reorder" => c.reorder = prob(v)?,
                "delay_ms" | "max_delay_ms" => {
                    c.max_delay_ms = v.parse().map_err(|_| "delay_ms must be an integer")?
                }
                "concurrent" => c.concurrent = matches!(v, "1" | "true" | "on" | "yes"),
                other => return Err(format!("unknown chaos option {other:?}")),
            }
        }
        Ok(Some(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chaos_spec_parses_and_rejects() {
        assert_eq!(ChaosConfig::parse("off").unwrap(), None);
        let c = ChaosConfig::parse("seed=7, dup=1, reorder=0.5, delay_ms=0, concurrent=0")
            .unwrap()
            .unwrap();
        assert_eq!(c.seed, Some(7));
        assert_eq!(c.duplicate, 1.0);
        assert_eq!(c.reorder, 0.5);
        assert_eq!(c.max_delay_ms, 0);
        assert!(!c.concurrent);
        assert!(ChaosConfig::parse("dup=2").is_err());
        assert!(ChaosConfig::parse("bogus=1").is_err());
    }

    #[test]
    fn env_lookup_reads_seed_and_scale() {
        let seed = STANDARD.encode([7u8; 32]);
        let c = EmulatorConfig::from_lookup(|k| match k {
            "TELNYX_EMULATOR_SIGNING_KEY" => Some(seed.clone()),
            "TELNYX_EMULATOR_TIME_SCALE" => Some("0.25".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.signing_seed, [7u8; 32]);
        assert_eq!(c.time_scale, 0.25);
        assert!(
            EmulatorConfig::from_lookup(
                |k| (k == "TELNYX_EMULATOR_SIGNING_KEY").then(|| "AAAA".to_string())
            )
            .is_err()
        );
        assert!(
            EmulatorConfig::from_lookup(
                |k| (k == "TELNYX_EMULATOR_TIME_SCALE").then(|| "-1".to_string())
            )
            .is_err()
        );
    }
}
