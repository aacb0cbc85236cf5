use super::*;
use crate::call::{CallId, CallStatus, Outcome};
use crate::phone::PhoneNumber;
use chrono::TimeZone;
use proptest::prelude::*;

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_760_000_000 + secs, 0).unwrap()
}

fn leg(id: &str) -> TelnyxLeg {
    TelnyxLeg {
        call_control_id: id.into(),
        call_leg_id: format!("{id}-leg"),
        call_session_id: format!("{id}-session"),
    }
}

/// A browser-mode call whose agent leg was placed (Telnyx answered the dial): the customer is
/// dialled as soon as the agent answers.
fn two_leg_call() -> Call {
    let mut call = phone_call();
    call.agent.as_mut().unwrap().mode = AgentMode::Browser;
    call
}

/// A phone-mode call whose agent leg was placed: it waits for machine detection.
fn phone_call() -> Call {
    let mut call = Call::new(
        CallId::new_at(t(0)),
        PhoneNumber::parse("+12125550200", "US").unwrap(),
        PhoneNumber::parse("+12125550100", "US").unwrap(),
        None,
        t(0),
    );
    let mut agent = AgentLeg::new(AgentMode::Phone, "+13125550100");
    agent.telnyx = Some(leg("A"));
    call.agent = Some(agent);
    call
}

fn ev(id: &str, at: i64, kind: CallEventKind) -> CallEvent {
    CallEvent {
        event_id: id.into(),
        occurred_at: t(at),
        kind,
    }
}

fn hangup(cause: &str, at: i64) -> CallEventKind {
    CallEventKind::Hangup {
        cause: cause.into(),
        source: Some("callee".into()),
        sip_code: None,
        start_time: Some(t(0)),
        end_time: Some(t(at)),
    }
}

/// What the processor does after its update: the customer's dial lands as Telnyx's leg.
fn customer_dialled(call: &mut Call) {
    call.telnyx = Some(leg("B"));
}

#[test]
fn the_happy_path_walks_every_phase_and_dials_the_customer_once() {
    let mut call = two_leg_call();
    assert_eq!(call.phase(), Phase::CallingAgent);
    assert_eq!(
        call.status(),
        CallStatus::Dialing,
        "status stays the customer's"
    );
    assert!(
        call.step(Leg::Agent, &ev("a1", 1, CallEventKind::Initiated), t(1))
            .is_empty()
    );
    assert_eq!(call.phase(), Phase::CallingAgent);
    let actions = call.step(Leg::Agent, &ev("a2", 2, CallEventKind::Answered), t(2));
    assert_eq!(actions, vec![NextAction::DialCustomer]);
    assert_eq!(call.phase(), Phase::DialingCustomer);
    // A redelivered answer never dials again.
    assert!(
        call.step(Leg::Agent, &ev("a2", 2, CallEventKind::Answered), t(3))
            .is_empty()
    );
    customer_dialled(&mut call);
    call.step(Leg::Customer, &ev("b1", 3, CallEventKind::Initiated), t(3));
    assert_eq!(call.phase(), Phase::Ringing);
    assert_eq!(call.status(), CallStatus::Ringing);
    call.step(Leg::Customer, &ev("b2", 5, CallEventKind::Answered), t(5));
    assert_eq!(call.phase(), Phase::Connected);
    // The customer hangs up: the agent's leg is hung up, once.
    let actions = call.step(
        Leg::Customer,
        &ev("b3", 35, hangup("normal_clearing", 35)),
        t(35),
    );
    assert_eq!(actions, vec![NextAction::HangUp(Leg::Agent)]);
    assert_eq!(call.phase(), Phase::Ended);
    assert!(
        call.step(
            Leg::Customer,
            &ev("b3", 35, hangup("normal_clearing", 35)),
            t(36)
        )
        .is_empty()
    );
    call.step(
        Leg::Agent,
        &ev("a3", 36, hangup("normal_clearing", 36)),
        t(36),
    );
    assert_eq!(call.outcome(), Some(Outcome::Completed));
    assert_eq!(call.duration_secs(t(99)), 30, "the customer's talk time");
    assert_eq!(call.agent.as_ref().unwrap().status(), LegStatus::Ended);
}

#[test]
fn an_agent_who_does_not_answer_ends_the_call_without_a_customer() {
    for (cause, outcome) in [
        ("timeout", Outcome::AgentNoAnswer),
        ("user_busy", Outcome::AgentNoAnswer),
        ("call_rejected", Outcome::AgentNoAnswer),
        ("not_found", Outcome::AgentFailed),
        ("unspecified", Outcome::AgentFailed),
        ("originator_cancel", Outcome::Canceled),
    ] {
        let mut call = two_leg_call();
        call.step(Leg::Agent, &ev("a1", 1, CallEventKind::Initiated), t(1));
        let actions = call.step(Leg::Agent, &ev("a2", 30, hangup(cause, 30)), t(30));
        assert!(actions.is_empty(), "{cause}: nothing to dial or hang up");
        assert_eq!(call.status(), CallStatus::Ended, "{cause}");
        assert_eq!(call.phase(), Phase::Ended);
        assert_eq!(call.outcome(), Some(outcome), "{cause}");
        assert_eq!(call.ended_at(), Some(t(30)));
        // A late answer of the dead leg dials nobody.
        assert!(
            call.step(Leg::Agent, &ev("a3", 2, CallEventKind::Answered), t(31))
                .is_empty()
        );
    }
}

#[test]
fn an_agent_dial_refused_by_telnyx_is_agent_failed() {
    let mut call = two_leg_call();
    let agent = call.agent.as_mut().unwrap();
    agent.telnyx = None;
    agent.dial_failure = Some(DialFailure {
        code: "10015".into(),
        message: "bad".into(),
        at: t(1),
    });
    assert_eq!(call.status(), CallStatus::Ended);
    assert_eq!(call.outcome(), Some(Outcome::AgentFailed));
    assert!(call.next_actions().is_empty());
}

#[test]
fn the_agent_hanging_up_ends_the_customer_before_and_after_the_bridge() {
    for customer_answered in [false, true] {
        let mut call = two_leg_call();
        call.step(Leg::Agent, &ev("a1", 1, CallEventKind::Answered), t(1));
        customer_dialled(&mut call);
        call.step(Leg::Customer, &ev("b1", 2, CallEventKind::Initiated), t(2));
        if customer_answered {
            call.step(Leg::Customer, &ev("b2", 3, CallEventKind::Answered), t(3));
        }
        let actions = call.step(Leg::Agent, &ev("a2", 9, hangup("normal_clearing", 9)), t(9));
        assert_eq!(actions, vec![NextAction::HangUp(Leg::Customer)]);
        assert_ne!(
            call.status(),
            CallStatus::Ended,
            "until the customer's leg confirms"
        );
        call.step(
            Leg::Customer,
            &ev("b3", 10, hangup("normal_clearing", 10)),
            t(10),
        );
        assert_eq!(call.status(), CallStatus::Ended);
        assert!(call.next_actions().is_empty());
    }
}

#[test]
fn an_agent_ending_while_the_customer_dial_is_in_flight_hangs_the_customer_up_once_known() {
    let mut call = two_leg_call();
    call.step(Leg::Agent, &ev("a1", 1, CallEventKind::Answered), t(1));
    // The agent hangs up before the customer's dial answered.
    assert!(
        call.step(Leg::Agent, &ev("a2", 2, hangup("normal_clearing", 2)), t(2))
            .is_empty()
    );
    assert_eq!(call.status(), CallStatus::Dialing);
    customer_dialled(&mut call);
    let actions = call.next_actions();
    assert_eq!(actions, vec![NextAction::HangUp(Leg::Customer)]);
}

#[test]
fn a_hangup_requested_before_the_agent_answers_never_dials_the_customer() {
    let mut call = two_leg_call();
    call.hangup_requested_at = Some(t(1));
    assert!(
        call.step(Leg::Agent, &ev("a1", 2, CallEventKind::Answered), t(2))
            .is_empty()
    );
}

#[test]
fn one_leg_calls_have_no_next_actions_and_keep_their_status() {
    let mut call = two_leg_call();
    call.agent = None;
    assert!(
        call.step(Leg::Agent, &ev("a1", 1, CallEventKind::Answered), t(1))
            .is_empty()
    );
    assert_eq!(call.status(), CallStatus::Dialing);
    assert_eq!(call.phase(), Phase::DialingCustomer);
    assert_eq!(call.agent_mode(), AgentMode::None);
}

#[test]
fn legs_are_told_apart_by_call_control_id() {
    let mut call = two_leg_call();
    customer_dialled(&mut call);
    assert_eq!(call.leg_of("A"), Leg::Agent);
    assert_eq!(call.leg_of("B"), Leg::Customer);
    assert_eq!(call.leg_of("other"), Leg::Customer);
}

/// Every event both legs can send in a call, tagged with its leg.
fn all_events(agent_cause: &str, customer_cause: &str) -> Vec<(Leg, CallEvent)> {
    vec![
        (Leg::Agent, ev("a1", 1, CallEventKind::Initiated)),
        (Leg::Agent, ev("a2", 2, CallEventKind::Answered)),
        (Leg::Agent, ev("a3", 40, hangup(agent_cause, 40))),
        (Leg::Customer, ev("b1", 3, CallEventKind::Initiated)),
        (Leg::Customer, ev("b2", 5, CallEventKind::Answered)),
        (Leg::Customer, ev("b3", 39, hangup(customer_cause, 39))),
    ]
}

fn arb_delivery() -> impl Strategy<Value = (Vec<(Leg, CallEvent)>, bool)> {
    let causes = prop::sample::select(vec![
        "normal_clearing",
        "timeout",
        "user_busy",
        "unspecified",
    ]);
    (causes.clone(), causes, any::<bool>()).prop_flat_map(|(a, b, hangup_first)| {
        let events = all_events(a, b);
        let n = events.len();
        // Any subset (events can be late), each possibly duplicated, in any order.
        let delivered = prop::collection::vec((0..n, 1usize..3), 0..12)
            .prop_map(move |picks| {
                let mut out = Vec::new();
                for (i, copies) in picks {
                    for _ in 0..copies {
                        out.push(events[i].clone());
                    }
                }
                out
            })
            .prop_shuffle();
        (delivered, Just(hangup_first))
    })
}

fn amd(result: &str) -> CallEventKind {
    CallEventKind::MachineDetectionEnded {
        result: result.into(),
    }
}

#[test]
fn a_phone_agent_is_dialled_through_only_once_detection_says_human() {
    let mut call = phone_call();
    assert!(call.agent.as_ref().unwrap().detects_machine());
    assert!(
        call.step(Leg::Agent, &ev("a1", 1, CallEventKind::Answered), t(1))
            .is_empty()
    );
    assert_eq!(call.phase(), Phase::AgentAnswered);
    let actions = call.step(Leg::Agent, &ev("a2", 2, amd("human")), t(2));
    assert_eq!(actions, vec![NextAction::DialCustomer]);
    assert!(
        call.step(Leg::Agent, &ev("a2", 2, amd("human")), t(3))
            .is_empty()
    );
}

#[test]
fn not_sure_is_enough_to_dial_the_customer_and_detection_before_answer_waits_for_it() {
    let mut call = phone_call();
    assert!(
        call.step(Leg::Agent, &ev("a2", 2, amd("not_sure")), t(2))
            .is_empty()
    );
    let actions = call.step(Leg::Agent, &ev("a1", 1, CallEventKind::Answered), t(3));
    assert_eq!(actions, vec![NextAction::DialCustomer]);
}

#[test]
fn a_phone_agent_reached_by_voicemail_is_hung_up_and_the_customer_never_dialled() {
    let mut call = phone_call();
    call.step(Leg::Agent, &ev("a1", 1, CallEventKind::Answered), t(1));
    let actions = call.step(Leg::Agent, &ev("a2", 3, amd("machine")), t(3));
    assert_eq!(actions, vec![NextAction::HangUp(Leg::Agent)]);
    assert!(!call.customer_dialled());
    // A later, contradicting result does not win: the earliest detection is the leg's.
    assert!(
        call.step(Leg::Agent, &ev("a3", 4, amd("human")), t(4))
            .is_empty()
    );
    assert!(!call.is_ended());
    let actions = call.step(Leg::Agent, &ev("a4", 5, hangup("normal_clearing", 5)), t(5));
    assert!(actions.is_empty());
    assert_eq!(call.status(), CallStatus::Ended);
    assert_eq!(call.outcome(), Some(Outcome::AgentNoAnswer));
    assert!(!call.customer_dialled());
}

#[test]
fn browser_agents_are_not_held_back_by_detection() {
    let mut call = two_leg_call();
    assert!(!call.agent.as_ref().unwrap().detects_machine());
    let actions = call.step(Leg::Agent, &ev("a1", 1, CallEventKind::Answered), t(1));
    assert_eq!(actions, vec![NextAction::DialCustomer]);
}

fn arb_phone_delivery() -> impl Strategy<Value = (Vec<(Leg, CallEvent)>, &'static str)> {
    let results = prop::sample::select(vec!["human", "machine", "not_sure"]);
    (results, any::<bool>()).prop_flat_map(|(result, agent_hangs_up)| {
        let mut events = vec![
            (Leg::Agent, ev("a1", 1, CallEventKind::Initiated)),
            (Leg::Agent, ev("a2", 2, CallEventKind::Answered)),
            (Leg::Agent, ev("a3", 3, amd(result))),
        ];
        if agent_hangs_up {
            events.push((Leg::Agent, ev("a4", 40, hangup("normal_clearing", 40))));
        }
        let n = events.len();
        // Every event at least once (Telnyx delivers at least once), some twice, any order.
        prop::collection::vec(1usize..3, n)
            .prop_map(move |copies| {
                let mut out = Vec::new();
                for (i, c) in copies.into_iter().enumerate() {
                    for _ in 0..c {
                        out.push(events[i].clone());
                    }
                }
                out
            })
            .prop_shuffle()
            .prop_map(move |d| (d, result))
    })
}

proptest! {
    /// Phone mode: however detection, answer and hangup arrive, the customer is dialled iff the
    /// detection said human or not_sure (and the agent was still there), and never after it said
    /// machine; a voicemail gets the agent's leg hung up exactly once.
    #[test]
    fn the_customer_is_dialled_iff_a_person_answered_the_agents_phone(
        (events, result) in arb_phone_delivery()
    ) {
        let mut call = phone_call();
        let mut dials = 0;
        let mut agent_hangups = 0;
        let mut machine_seen = false;
        for (i, (leg, event)) in events.iter().enumerate() {
            let actions = call.step(*leg, event, t(100 + i as i64));
            if matches!(event.kind, CallEventKind::MachineDetectionEnded { .. }) {
                machine_seen = result == "machine";
            }
            for action in &actions {
                match action {
                    NextAction::DialCustomer => {
                        dials += 1;
                        prop_assert!(!machine_seen, "dialled after machine");
                        customer_dialled(&mut call);
                    }
                    NextAction::HangUp(Leg::Agent) => agent_hangups += 1,
                    NextAction::HangUp(Leg::Customer) => {}
                }
            }
        }
        let first = |id: &str| events.iter().position(|(_, e)| e.event_id == id);
        // The agent was still there when both answer and detection had arrived.
        let ready = first("a2").max(first("a3"));
        let agent_there = match (first("a4"), ready) {
            (Some(h), Some(r)) => r < h,
            _ => true,
        };
        if result == "machine" {
            prop_assert_eq!(dials, 0);
            if call.is_ended() {
                prop_assert_eq!(call.outcome(), Some(Outcome::AgentNoAnswer));
            }
            prop_assert!(agent_hangups <= 1);
            // The hangup is sent on the detection itself, unless the leg already ended.
            let detected_live = first("a4").is_none_or(|h| first("a3") < Some(h));
            prop_assert_eq!(agent_hangups == 1, detected_live);
        } else {
            prop_assert_eq!(dials, usize::from(agent_there));
            prop_assert_eq!(agent_hangups, 0);
        }
    }

    /// The processor's loop: apply, decide, act. However events arrive, the customer is dialled
    /// at most once, never after the call ended or a hangup was asked for, and a leg is hung up
    /// at most once per claim.
    #[test]
    fn the_customer_is_dialled_at_most_once_and_never_after_the_end(
        (events, hangup_requested) in arb_delivery()
    ) {
        let mut call = two_leg_call();
        if hangup_requested {
            call.hangup_requested_at = Some(t(0));
        }
        let mut dials = 0;
        let mut hangups = std::collections::HashMap::new();
        for (i, (leg, event)) in events.iter().enumerate() {
            let ended_before = call.is_ended();
            let actions = call.step(*leg, event, t(100 + i as i64));
            for action in &actions {
                match action {
                    NextAction::DialCustomer => {
                        dials += 1;
                        prop_assert!(!ended_before, "dialled after the end");
                        prop_assert!(!hangup_requested, "dialled after a hangup was asked for");
                        prop_assert!(!call.agent.as_ref().unwrap().is_ended());
                        customer_dialled(&mut call);
                        // Storing the leg can call for a hangup at once.
                        let more = call.next_actions();
                        call.claim(&more, t(100));
                        for m in more {
                            *hangups.entry(m).or_insert(0) += 1;
                        }
                    }
                    other => *hangups.entry(*other).or_insert(0) += 1,
                }
            }
        }
        prop_assert!(dials <= 1);
        for (action, n) in hangups {
            prop_assert_eq!(n, 1, "{:?} sent more than once", action);
        }
    }

    /// Facts are a join: the same set of events in any order, with duplicates, gives the same
    /// legs, status, phase and outcome.
    #[test]
    fn both_legs_are_order_and_duplicate_independent((events, _) in arb_delivery()) {
        let build = |events: &[(Leg, CallEvent)]| {
            let mut call = two_leg_call();
            customer_dialled(&mut call);
            for (leg, e) in events {
                call.apply_leg(*leg, e);
            }
            call
        };
        let a = build(&events);
        let mut reversed = events.clone();
        reversed.reverse();
        reversed.extend(events.iter().take(3).cloned());
        let b = build(&reversed);
        prop_assert_eq!(&a.agent, &b.agent);
        prop_assert_eq!(a.status(), b.status());
        prop_assert_eq!(a.phase(), b.phase());
        prop_assert_eq!(a.outcome(), b.outcome());
        prop_assert_eq!(a.duration_secs(t(1000)), b.duration_secs(t(1000)));
    }
}
