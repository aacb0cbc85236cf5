//! REST faults: the ways Telnyx's API fails a client that webhook chaos does not cover. A
//! [`FaultPlan`] says which fault, how often (`rate`) and for how many requests (`next`); it
//! is set emulator-wide (config, `PUT /emulator/faults`) or for one request with the
//! `X-Emulator-Fault` header, both in the same spec language.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// The request header that asks for a fault on that one request (emulator-only).
pub const FAULT_HEADER: &str = "x-emulator-fault";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Nothing is done; the answer (an error) comes only after `hold_ms`.
    Stall,
    /// An immediate 5xx in Telnyx's error envelope; nothing is done.
    #[default]
    ServerError,
    /// The request is carried out (a dial creates its leg) but its answer never arrives:
    /// the connection is held for `hold_ms`, then dropped.
    LostAnswer,
    /// 429 with `Retry-After`; nothing is done.
    RateLimited,
}

/// One fault and when it applies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultPlan {
    pub fault: FaultKind,
    /// HTTP status of a `server_error`: 500, 502 or 503.
    pub status: u16,
    /// Probability that a request gets the fault.
    pub rate: f64,
    /// Only this many of the next requests get it (then the plan is spent); `None` = all.
    pub next: Option<u32>,
    /// How long a stalled or lost answer holds the connection, in real milliseconds (it
    /// models the client's timeout, so `time_scale` does not apply).
    pub hold_ms: u64,
    /// `Retry-After` (seconds) of a 429.
    pub retry_after_secs: u64,
    /// Seeds the `rate` draws, for a repeatable run.
    pub seed: Option<u64>,
}

impl Default for FaultPlan {
    fn default() -> Self {
        FaultPlan {
            fault: FaultKind::ServerError,
            status: 500,
            rate: 1.0,
            next: None,
            hold_ms: 30_000,
            retry_after_secs: 1,
            seed: None,
        }
    }
}

impl FaultPlan {
    /// `off`, or a fault (`stall`, `5xx`/`500`/`502`/`503`, `lost_answer`, `429`) followed
    /// by comma-separated `key=value`: `rate`, `next`, `hold_ms`, `retry_after`, `seed`.
    pub fn parse(spec: &str) -> Result<Option<FaultPlan>, String> {
        let mut parts = spec
            .split([',', ';'])
            .map(str::trim)
            .filter(|p| !p.is_empty());
        let Some(head) = parts.next() else {
            return Ok(None);
        };
        let mut plan = FaultPlan::default();
        match head.to_ascii_lowercase().as_str() {
            "off" | "none" => return Ok(None),
            "stall" => plan.fault = FaultKind::Stall,
            "lost_answer" => plan.fault = FaultKind::LostAnswer,
            "429" | "rate_limited" => plan.fault = FaultKind::RateLimited,
            "5xx" | "500" => {}
            "502" => plan.status = 502,
            "503" => plan.status = 503,
            other => return Err(format!("unknown fault {other:?}")),
        }
        for part in parts {
            plan.set(part)?;
        }
        Ok(Some(plan))
    }

    fn set(&mut self, part: &str) -> Result<(), String> {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("expected key=value, got {part:?}"))?;
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
        let int = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{k} must be an integer"))
        };
        match k.as_str() {
            "rate" => {
                self.rate = v
                    .parse::<f64>()
                    .ok()
                    .filter(|p| (0.0..=1.0).contains(p))
                    .ok_or("rate must be a probability in 0..=1")?
            }
            "next" => self.next = Some(int(v)? as u32),
            "hold_ms" => self.hold_ms = int(v)?,
            "retry_after" => self.retry_after_secs = int(v)?,
            "seed" => self.seed = Some(int(v)?),
            other => return Err(format!("unknown fault option {other:?}")),
        }
        Ok(())
    }

    pub fn hold(&self) -> Duration {
        Duration::from_millis(self.hold_ms)
    }
}

/// A request that got a fault, as `/emulator/faults` lists it.
#[derive(Clone, Debug, Serialize)]
pub struct AppliedFault {
    pub method: String,
    pub path: String,
    pub fault: FaultKind,
    pub outcome: FaultOutcome,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultOutcome {
    /// Still holding the connection.
    Holding,
    /// The fault's answer was sent.
    Answered,
    /// The connection was dropped without an answer.
    AnswerDropped,
    /// The client gave up (timed out, closed the connection) while it was held.
    ClientGone,
}

/// An emulator-wide plan in force: what is left of `next`, and the RNG for `rate`.
pub struct ActiveFaults {
    pub plan: FaultPlan,
    left: Option<u32>,
    rng: StdRng,
}

impl ActiveFaults {
    pub fn new(plan: FaultPlan) -> ActiveFaults {
        let rng = match plan.seed {
            Some(s) => StdRng::seed_from_u64(s),
            None => StdRng::from_os_rng(),
        };
        ActiveFaults {
            left: plan.next,
            plan,
            rng,
        }
    }

    /// Whether this request gets the fault; counts it against `next` when it does.
    pub fn draw(&mut self) -> Option<FaultPlan> {
        if self.left == Some(0) || !self.rng.random_bool(self.plan.rate) {
            return None;
        }
        if let Some(n) = self.left.as_mut() {
            *n -= 1;
        }
        Some(self.plan.clone())
    }

    /// Requests the plan still applies to (`None` = no end).
    pub fn left(&self) -> Option<u32> {
        self.left
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_parses_and_rejects() {
        assert_eq!(FaultPlan::parse("off").unwrap(), None);
        let p = FaultPlan::parse("503, next=2, rate=0.5").unwrap().unwrap();
        assert_eq!(
            (p.fault, p.status, p.next, p.rate),
            (FaultKind::ServerError, 503, Some(2), 0.5)
        );
        let p = FaultPlan::parse("lost_answer;hold_ms=250")
            .unwrap()
            .unwrap();
        assert_eq!((p.fault, p.hold_ms), (FaultKind::LostAnswer, 250));
        let p = FaultPlan::parse("429,retry_after=7").unwrap().unwrap();
        assert_eq!((p.fault, p.retry_after_secs), (FaultKind::RateLimited, 7));
        assert!(FaultPlan::parse("504").is_err());
        assert!(FaultPlan::parse("stall,rate=2").is_err());
        assert!(FaultPlan::parse("stall,bogus=1").is_err());
    }

    #[test]
    fn next_n_is_spent_and_rate_zero_never_fires() {
        let mut a = ActiveFaults::new(FaultPlan::parse("500,next=2").unwrap().unwrap());
        let fired: Vec<bool> = (0..4).map(|_| a.draw().is_some()).collect();
        assert_eq!(fired, [true, true, false, false]);
        let mut never = ActiveFaults::new(FaultPlan::parse("500,rate=0").unwrap().unwrap());
        assert!((0..50).all(|_| never.draw().is_none()));
    }
}
