//! The account limits at dial time: a dial over a limit still gets its leg (Telnyx answers
//! 200), and the leg fails shortly after with SIP 403 and the reason Telnyx gives.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Core, State};
use crate::limits::LimitHit;
use crate::numbers::country_of;

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);
/// How long a refused leg lives before its `call.hangup` (as the `0107` scenario).
const REFUSED_AFTER: Duration = Duration::from_millis(500);

/// What the limits have counted so far.
#[derive(Default)]
pub struct LimitUse {
    /// When each dial that got through was placed, for the hourly and daily caps.
    dials: VecDeque<Instant>,
    /// Refused legs and their SIP reason; they do not count as live calls.
    pub refused: HashMap<String, String>,
}

impl Core {
    /// Which limit a new leg to `to` breaks, if any; a leg that gets through is counted.
    pub(super) fn limit_hit(&self, st: &mut State, to: &str) -> Option<LimitHit> {
        let limits = st.limits.clone();
        if limits.is_off() {
            return None;
        }
        let hit = |reason: String| Some(LimitHit { reason });
        if let (Some(allowed), Some(country)) = (&limits.whitelisted_destinations, country_of(to))
            && !allowed.contains(&country)
        {
            return hit(format!(
                "Destination Number {to} is not in the whitelisted destinations ({country}) D13"
            ));
        }
        let live = st
            .calls
            .values()
            .filter(|c| c.is_alive() && !st.limit_use.refused.contains_key(c.id()))
            .count();
        if limits.max_concurrent.is_some_and(|m| live >= m as usize) {
            return hit("User channel limit exceeded D1".into());
        }
        let now = Instant::now();
        let dials = &mut st.limit_use.dials;
        while dials.front().is_some_and(|t| now.duration_since(*t) >= DAY) {
            dials.pop_front();
        }
        let last_hour = dials
            .iter()
            .filter(|t| now.duration_since(**t) < HOUR)
            .count();
        if limits.per_hour.is_some_and(|m| last_hour >= m as usize) {
            return hit("Outbound call limit per hour exceeded".into());
        }
        if limits.per_day.is_some_and(|m| dials.len() >= m as usize) {
            return hit("Outbound call limit per day exceeded".into());
        }
        dials.push_back(now);
        None
    }

    /// Marks leg `id` refused and ends it shortly with SIP 403.
    pub(super) fn refuse_later(self: &Arc<Self>, id: &str, hit: LimitHit) {
        self.lock()
            .limit_use
            .refused
            .insert(id.to_string(), hit.reason);
        let id = id.to_string();
        self.later(REFUSED_AFTER, move |core| {
            core.end_call(&id, "unspecified", "unknown", "403");
        });
    }
}
