use serde::{Deserialize, Serialize};

/// A callee's behaviour, as a list of steps run from the moment the call is dialled.
/// Whatever the steps leave open is closed by Telnyx's own timers: a call still ringing
/// times out after `timeout_secs`, an answered one ends at `time_limit_secs`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    pub name: String,
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// Wait this long (scaled by `time_scale`).
    Wait { ms: u64 },
    /// The callee picks up (`call.answered`).
    Answer,
    /// The far end ends the call with this cause (`call.hangup`).
    Hangup {
        cause: String,
        sip: String,
        #[serde(default = "callee")]
        source: String,
    },
    /// The callee presses keys (`call.dtmf.received`, one per digit).
    Dtmf { digits: String },
    /// Answering-machine detection concludes: `human`, `machine` or `not_sure`. Sends the
    /// AMD webhooks only if the dial asked for `answering_machine_detection`.
    Machine { result: String },
}

fn callee() -> String {
    "callee".to_string()
}

impl Step {
    fn hangup(cause: &str, sip: &str, source: &str) -> Step {
        Step::Hangup {
            cause: cause.into(),
            sip: sip.into(),
            source: source.into(),
        }
    }
    fn wait(ms: u64) -> Step {
        Step::Wait { ms }
    }
    fn machine(result: &str) -> Step {
        Step::Machine {
            result: result.into(),
        }
    }
}

/// The magic-number key of a destination: the last four digits of `+1 NPA 555 01NN`.
pub fn magic_key(to: &str) -> Option<&str> {
    let d = to.strip_prefix("+1")?;
    (d.len() == 10
        && d.bytes().all(|b| b.is_ascii_digit())
        && &d[3..6] == "555"
        && &d[6..8] == "01")
        .then(|| &d[6..])
}

/// Built-in scenarios, keyed by the last four digits (see README "Scenarios").
pub fn builtin(key: &str) -> Option<Scenario> {
    let (name, steps) = match key {
        "0100" => ("answered", answered(2000)),
        "0101" => {
            let mut s = answered(2000);
            // 1.5 + 3.5 s: the callee leaves 5 s after answering.
            s.extend([
                Step::wait(3500),
                Step::hangup("normal_clearing", "200", "callee"),
            ]);
            ("answered_then_callee_hangs_up", s)
        }
        "0102" => (
            "busy",
            vec![Step::wait(1000), Step::hangup("user_busy", "486", "callee")],
        ),
        "0103" => ("no_answer", vec![]),
        "0104" => (
            "rejected",
            vec![
                Step::wait(1500),
                Step::hangup("call_rejected", "603", "callee"),
            ],
        ),
        "0105" => (
            "unroutable",
            vec![Step::wait(300), Step::hangup("not_found", "404", "unknown")],
        ),
        "0106" => (
            "voicemail",
            vec![
                Step::wait(2000),
                Step::Answer,
                Step::wait(2500),
                Step::machine("machine"),
                Step::wait(30000),
                Step::hangup("normal_clearing", "200", "callee"),
            ],
        ),
        "0107" => (
            "fails_downstream",
            vec![
                Step::wait(500),
                Step::hangup("unspecified", "403", "unknown"),
            ],
        ),
        "0108" => ("long_call", answered(3000)),
        "0109" => ("answered_then_callee_presses_1_hash", presses("1#")),
        _ => return None,
    };
    Some(Scenario {
        name: name.to_string(),
        steps,
    })
}

fn answered(ring_ms: u64) -> Vec<Step> {
    vec![
        Step::wait(ring_ms),
        Step::Answer,
        Step::wait(1500),
        Step::machine("human"),
    ]
}

/// Answers, then presses `digits` a second later.
fn presses(digits: &str) -> Vec<Step> {
    let mut s = answered(2000);
    s.extend([
        Step::wait(1000),
        Step::Dtmf {
            digits: digits.into(),
        },
    ]);
    s
}

/// The scenario for any destination not in the table and not scripted.
pub fn default_scenario() -> Scenario {
    let mut s = builtin("0100").expect("0100 is built in");
    s.name = "answered (default)".into();
    s
}

pub const BUILTIN_KEYS: &[&str] = &[
    "0100", "0101", "0102", "0103", "0104", "0105", "0106", "0107", "0108", "0109",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_key_only_matches_the_fictional_range() {
        assert_eq!(magic_key("+13125550102"), Some("0102"));
        assert_eq!(magic_key("+13125550202"), None);
        assert_eq!(magic_key("+441315550102"), None);
        assert_eq!(magic_key("+1312555010"), None);
    }

    #[test]
    fn steps_round_trip_as_json() {
        let s: Vec<Step> = serde_json::from_str(
            r#"[{"step":"wait","ms":10},{"step":"answer"},{"step":"hangup","cause":"user_busy","sip":"486"}]"#,
        )
        .unwrap();
        assert_eq!(s[2], Step::hangup("user_busy", "486", "callee"));
    }
}
