//! Account limits a real Telnyx account runs into: concurrent outbound calls, calls per hour
//! and per day (Level 1 accounts), and the destination countries the outbound voice profile
//! allows. Telnyx still answers such a dial 200; the leg then fails with SIP 403.

use serde::{Deserialize, Serialize};

/// Which limits are enforced; `None` fields are unlimited. Off by default, because the
/// emulator's other users (demos, load tests) dial far more than a new account may.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountLimits {
    /// Live outbound legs at once (Telnyx: 2 for a new account, 10 after Level 2).
    pub max_concurrent: Option<u32>,
    /// Dials per rolling hour (Telnyx Level 1: 10).
    pub per_hour: Option<u32>,
    /// Dials per rolling day (Telnyx Level 1: 100).
    pub per_day: Option<u32>,
    /// ISO 3166 alpha-2 countries that may be called (the profile's
    /// `whitelisted_destinations`, default `["US", "CA"]`); `None` = every country.
    pub whitelisted_destinations: Option<Vec<String>>,
}

impl AccountLimits {
    /// What a new (Level 1) account gets.
    pub fn new_account() -> AccountLimits {
        AccountLimits {
            max_concurrent: Some(2),
            per_hour: Some(10),
            per_day: Some(100),
            whitelisted_destinations: Some(vec!["US".into(), "CA".into()]),
        }
    }

    pub fn is_off(&self) -> bool {
        *self == AccountLimits::default()
    }

    /// `off`, `new_account`, or comma-separated `key=value` (over no limits):
    /// `concurrent`, `hourly`, `daily`, `countries` (`US+CA`, `+`- or space-separated).
    pub fn parse(spec: &str) -> Result<AccountLimits, String> {
        let spec = spec.trim();
        match spec.to_ascii_lowercase().as_str() {
            "" | "off" | "none" => return Ok(AccountLimits::default()),
            "new_account" | "new" | "level1" => return Ok(AccountLimits::new_account()),
            _ => {}
        }
        let mut l = AccountLimits::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| format!("expected key=value, got {part:?}"))?;
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            let n = || {
                v.parse::<u32>()
                    .map_err(|_| format!("{k} must be an integer"))
            };
            match k.as_str() {
                "concurrent" => l.max_concurrent = Some(n()?),
                "hourly" => l.per_hour = Some(n()?),
                "daily" => l.per_day = Some(n()?),
                "countries" => {
                    let list = v
                        .split(['+', ' ', '|'])
                        .filter(|c| !c.is_empty())
                        .map(str::to_ascii_uppercase)
                        .collect();
                    l.whitelisted_destinations = Some(list);
                }
                other => return Err(format!("unknown limit {other:?}")),
            }
        }
        Ok(l)
    }
}

/// Why a leg is refused: what goes into its `call.hangup`.
#[derive(Clone, Debug, PartialEq)]
pub struct LimitHit {
    /// The SIP reason phrase Telnyx sends with the 403, D-code included where Telnyx has one.
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_parses() {
        assert!(AccountLimits::parse("off").unwrap().is_off());
        assert_eq!(
            AccountLimits::parse("new_account").unwrap(),
            AccountLimits::new_account()
        );
        let l = AccountLimits::parse("concurrent=1, countries=us+gb").unwrap();
        assert_eq!(l.max_concurrent, Some(1));
        assert_eq!(l.per_hour, None);
        assert_eq!(
            l.whitelisted_destinations,
            Some(vec!["US".to_string(), "GB".to_string()])
        );
        assert!(AccountLimits::parse("hourly=x").is_err());
        assert!(AccountLimits::parse("weekly=3").is_err());
    }
}
