//! How calls are filed in the history and counted in statistics. The stores keep these facts
//! next to each call (columns, document fields) so filters and aggregates run in the database;
//! the rules that derive them live here, once.

use crate::call::{Call, Outcome};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The history filter's four words (design.md): `active` is any call not ended yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryStatus {
    Active,
    Completed,
    Missed,
    Failed,
}

impl HistoryStatus {
    pub const ALL: [Self; 4] = [Self::Active, Self::Completed, Self::Missed, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Completed => "completed",
            Self::Missed => "missed",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }

    pub fn of(outcome: Option<Outcome>) -> Self {
        match outcome {
            None => Self::Active,
            Some(Outcome::Completed) => Self::Completed,
            Some(Outcome::NoAnswer | Outcome::Busy | Outcome::Rejected | Outcome::Canceled) => {
                Self::Missed
            }
            // The customer was never dialled: the call failed at the agent's end.
            Some(Outcome::Failed | Outcome::AgentNoAnswer | Outcome::AgentFailed) => Self::Failed,
        }
    }
}

/// What statistics need from one call, derived once when it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFacts {
    pub class: HistoryStatus,
    pub outcome: Option<Outcome>,
    pub ended_at: Option<DateTime<Utc>>,
    /// Talk time of an ended, answered call. Live calls have none yet: counting a moving value
    /// would make yesterday's statistics change every second.
    pub talk_secs: Option<i64>,
    /// How long the callee's phone rang before it was answered or gave up. Calls that never
    /// reached a phone (`failed`) have none.
    pub ring_secs: Option<i64>,
}

impl CallFacts {
    pub fn of(call: &Call) -> Self {
        let outcome = call.outcome();
        let ended_at = call.ended_at();
        let talk_secs = match (outcome, ended_at) {
            (Some(Outcome::Completed), Some(end)) => Some(call.duration_secs(end)),
            _ => None,
        };
        let ring_end = match outcome {
            Some(Outcome::Failed | Outcome::AgentNoAnswer | Outcome::AgentFailed) => None,
            Some(Outcome::Completed) | None => call.answered_at(),
            Some(_) => ended_at,
        };
        Self {
            class: HistoryStatus::of(outcome),
            outcome,
            ended_at,
            talk_secs,
            ring_secs: ring_end.map(|end| (end - call.started_at).num_seconds().max(0)),
        }
    }
}

/// Sums a store computes over a set of calls (one SQL `GROUP BY` row, one `$group` stage).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub total: u64,
    pub active: u64,
    pub completed: u64,
    pub no_answer: u64,
    pub busy: u64,
    pub rejected: u64,
    pub canceled: u64,
    pub failed: u64,
    pub agent_no_answer: u64,
    pub agent_failed: u64,
    pub talk_secs_sum: i64,
    pub ring_secs_sum: i64,
    pub ring_count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutcomeCounts {
    pub completed: u64,
    pub no_answer: u64,
    pub busy: u64,
    pub rejected: u64,
    pub canceled: u64,
    pub failed: u64,
    pub agent_no_answer: u64,
    pub agent_failed: u64,
}

/// The numbers shown for a set of calls.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub total: u64,
    pub active: u64,
    pub completed: u64,
    pub missed: u64,
    pub failed: u64,
    pub by_outcome: OutcomeCounts,
    /// Answered ÷ (answered + missed), 0–1, four decimals; `null` when no call rang. Failed
    /// calls never reached a phone, so they say nothing about who answers.
    pub answer_rate: Option<f64>,
    pub total_talk_secs: i64,
    /// Over answered calls; `null` when there are none.
    pub avg_talk_secs: Option<f64>,
    /// Over calls that rang; `null` when there are none.
    pub avg_ring_secs: Option<f64>,
}

fn ratio(num: f64, den: u64, places: i32) -> Option<f64> {
    (den > 0).then(|| {
        let f = 10f64.powi(places);
        (num / den as f64 * f).round() / f
    })
}

impl Tally {
    pub fn summary(&self) -> Summary {
        let missed = self.no_answer + self.busy + self.rejected + self.canceled;
        Summary {
            total: self.total,
            active: self.active,
            completed: self.completed,
            missed,
            failed: self.failed,
            by_outcome: OutcomeCounts {
                completed: self.completed,
                no_answer: self.no_answer,
                busy: self.busy,
                rejected: self.rejected,
                canceled: self.canceled,
                failed: self.failed,
                agent_no_answer: self.agent_no_answer,
                agent_failed: self.agent_failed,
            },
            answer_rate: ratio(self.completed as f64, self.completed + missed, 4),
            total_talk_secs: self.talk_secs_sum,
            avg_talk_secs: ratio(self.talk_secs_sum as f64, self.completed, 1),
            avg_ring_secs: ratio(self.ring_secs_sum as f64, self.ring_count, 1),
        }
    }

    /// Adds one call's facts (for stores that aggregate in code, and for tests).
    pub fn add(&mut self, f: &CallFacts) {
        self.total += 1;
        match f.outcome {
            None => self.active += 1,
            Some(Outcome::Completed) => self.completed += 1,
            Some(Outcome::NoAnswer) => self.no_answer += 1,
            Some(Outcome::Busy) => self.busy += 1,
            Some(Outcome::Rejected) => self.rejected += 1,
            Some(Outcome::Canceled) => self.canceled += 1,
            Some(Outcome::Failed) => self.failed += 1,
            Some(Outcome::AgentNoAnswer) => self.agent_no_answer += 1,
            Some(Outcome::AgentFailed) => self.agent_failed += 1,
        }
        self.talk_secs_sum += f.talk_secs.unwrap_or(0);
        if let Some(r) = f.ring_secs {
            self.ring_secs_sum += r;
            self.ring_count += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_ranges_have_no_rates() {
        let s = Tally::default().summary();
        assert_eq!(s.total, 0);
        assert_eq!(s.answer_rate, None);
        assert_eq!(s.avg_talk_secs, None);
        assert_eq!(s.avg_ring_secs, None);
        assert_eq!(s.total_talk_secs, 0);
    }

    #[test]
    fn rates_by_hand() {
        let t = Tally {
            total: 7,
            active: 1,
            completed: 2,
            no_answer: 1,
            busy: 1,
            rejected: 0,
            canceled: 0,
            failed: 2,
            agent_no_answer: 0,
            agent_failed: 0,
            talk_secs_sum: 100,
            ring_secs_sum: 25,
            ring_count: 4,
        };
        let s = t.summary();
        assert_eq!(s.missed, 2);
        assert_eq!(s.answer_rate, Some(0.5));
        assert_eq!(s.avg_talk_secs, Some(50.0));
        assert_eq!(s.avg_ring_secs, Some(6.3));
        let third = Tally {
            completed: 1,
            no_answer: 2,
            ..Default::default()
        };
        assert_eq!(third.summary().answer_rate, Some(0.3333));
    }

    #[test]
    fn status_words() {
        assert_eq!(HistoryStatus::parse("Missed"), Some(HistoryStatus::Missed));
        assert_eq!(HistoryStatus::parse("ended"), None);
        assert_eq!(
            HistoryStatus::of(Some(Outcome::Canceled)),
            HistoryStatus::Missed
        );
        assert_eq!(HistoryStatus::of(None), HistoryStatus::Active);
    }
}
