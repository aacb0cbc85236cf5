use super::*;
use chrono::TimeZone;
use proptest::prelude::*;

fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_760_000_000 + secs, 0).unwrap()
}

fn new_call() -> Call {
    Call::new(
        CallId::new_at(t(0)),
        PhoneNumber::parse("+12125550200", "US").unwrap(),
        PhoneNumber::parse("+12125550100", "US").unwrap(),
        None,
        t(0),
    )
}

fn ev(id: &str, at: i64, kind: CallEventKind) -> CallEvent {
    CallEvent {
        event_id: id.into(),
        occurred_at: t(at),
        kind,
    }
}

fn hangup(cause: &str, start: i64, end: i64) -> CallEventKind {
    CallEventKind::Hangup {
        cause: cause.into(),
        source: Some("callee".into()),
        sip_code: Some("200".into()),
        start_time: Some(t(start)),
        end_time: Some(t(end)),
    }
}

#[test]
fn status_follows_dialing_ringing_active_ended() {
    let mut call = new_call();
    assert_eq!(call.status(), CallStatus::Dialing);
    call.apply(&ev("e1", 1, CallEventKind::Initiated));
    assert_eq!(call.status(), CallStatus::Ringing);
    call.apply(&ev("e2", 5, CallEventKind::Answered));
    assert_eq!(call.status(), CallStatus::Active);
    assert_eq!(call.duration_secs(t(12)), 7, "live talk time while active");
    call.apply(&ev("e3", 35, hangup("normal_clearing", 1, 35)));
    assert_eq!(call.status(), CallStatus::Ended);
    assert_eq!(call.outcome(), Some(Outcome::Completed));
    assert_eq!(call.answered_at(), Some(t(5)));
    assert_eq!(call.ended_at(), Some(t(35)));
    assert_eq!(call.duration_secs(t(1000)), 30, "frozen once ended");
}

#[test]
fn status_never_moves_backwards() {
    let mut call = new_call();
    call.apply(&ev("e3", 35, hangup("normal_clearing", 1, 35)));
    assert_eq!(call.status(), CallStatus::Ended);
    call.apply(&ev("e2", 5, CallEventKind::Answered));
    call.apply(&ev("e1", 1, CallEventKind::Initiated));
    assert_eq!(call.status(), CallStatus::Ended);
    // the late answer still fills in talk time
    assert_eq!(call.answered_at(), Some(t(5)));
    assert_eq!(call.duration_secs(t(99)), 30);
}

#[test]
fn outcome_for_each_hangup_cause_before_answer() {
    let cases = [
        ("user_busy", Outcome::Busy),
        ("call_rejected", Outcome::Rejected),
        ("timeout", Outcome::NoAnswer),
        ("no_answer", Outcome::NoAnswer),
        ("originator_cancel", Outcome::Canceled),
        ("not_found", Outcome::Failed),
        ("unspecified", Outcome::Failed),
        ("time_limit", Outcome::Failed),
        ("normal_clearing", Outcome::Completed),
        ("something_new", Outcome::Failed),
    ];
    for (cause, expected) in cases {
        let mut call = new_call();
        call.apply(&ev("i", 1, CallEventKind::Initiated));
        call.apply(&ev("h", 9, hangup(cause, 1, 9)));
        assert_eq!(call.outcome(), Some(expected), "{cause}");
        assert_eq!(
            call.duration_secs(t(50)),
            0,
            "{cause}: unanswered has no talk time"
        );
    }
}

#[test]
fn answered_calls_are_completed_whatever_the_cause() {
    for cause in ["normal_clearing", "time_limit", "unspecified", "user_busy"] {
        let mut call = new_call();
        call.apply(&ev("a", 3, CallEventKind::Answered));
        call.apply(&ev("h", 9, hangup(cause, 1, 9)));
        assert_eq!(call.outcome(), Some(Outcome::Completed), "{cause}");
    }
}

#[test]
fn dial_failure_ends_the_call_as_failed() {
    let mut call = new_call();
    call.fail_dial("10016", "Phone number must be in +E164 format", t(1));
    assert_eq!(call.status(), CallStatus::Ended);
    assert_eq!(call.outcome(), Some(Outcome::Failed));
    assert_eq!(call.ended_at(), Some(t(1)));
    assert!(!call.controls().hangup);
}

#[test]
fn hangup_end_time_is_preferred_over_event_time() {
    let mut call = new_call();
    call.apply(&ev("a", 3, CallEventKind::Answered));
    // Telnyx delivered the hangup event a while after the call actually ended
    call.apply(&ev("h", 40, hangup("normal_clearing", 1, 13)));
    assert_eq!(call.ended_at(), Some(t(13)));
    assert_eq!(call.duration_secs(t(99)), 10);
}

#[test]
fn machine_detection_sets_answered_by() {
    let mut call = new_call();
    call.apply(&ev(
        "m",
        4,
        CallEventKind::MachineDetectionEnded {
            result: "machine".into(),
        },
    ));
    assert_eq!(call.answered_by(), Some(AnsweredBy::Machine));
    let mut human = new_call();
    human.apply(&ev(
        "m",
        4,
        CallEventKind::MachineDetectionEnded {
            result: "not_sure".into(),
        },
    ));
    assert_eq!(human.answered_by(), None);
}

#[test]
fn controls_follow_status_and_agent_state() {
    let mut call = new_call();
    let c = call.controls();
    assert!(c.hangup && c.mute && !c.dtmf && !c.hold);
    call.apply(&ev("a", 3, CallEventKind::Answered));
    let c = call.controls();
    assert!(c.hold && !c.resume && c.dtmf && c.record_start && !c.record_stop);
    call.on_hold = true;
    call.muted = true;
    let c = call.controls();
    assert!(!c.hold && c.resume && !c.mute && c.unmute);
    call.apply(&ev("h", 9, hangup("normal_clearing", 1, 9)));
    let c = call.controls();
    assert!(!(c.hangup || c.mute || c.unmute || c.hold || c.resume || c.dtmf || c.speaker));
}

/// A realistic set of events for one call, with some fields competing (two hangups reported
/// for the same call, a re-sent recording) so the earliest-wins rule is exercised.
fn event_set() -> impl Strategy<Value = Vec<CallEvent>> {
    let causes = prop::sample::select(vec![
        "normal_clearing",
        "user_busy",
        "timeout",
        "call_rejected",
        "originator_cancel",
        "not_found",
    ]);
    (
        any::<bool>(),
        any::<bool>(),
        causes,
        0i64..30,
        0i64..5,
        prop::collection::vec(prop::sample::select(vec!["1", "2", "#", "*"]), 0..4),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(answered, hung_up, cause, talk, jitter, digits, recorded, twin_hangup)| {
                let mut events = vec![ev("init", 1, CallEventKind::Initiated)];
                if answered {
                    events.push(ev("ans", 4, CallEventKind::Answered));
                    events.push(ev(
                        "amd",
                        5,
                        CallEventKind::MachineDetectionEnded {
                            result: "human".into(),
                        },
                    ));
                }
                for (i, d) in digits.iter().enumerate() {
                    events.push(ev(
                        &format!("dtmf{i}"),
                        6 + i as i64,
                        CallEventKind::DtmfReceived {
                            digit: d.to_string(),
                        },
                    ));
                }
                if hung_up {
                    let end = 10 + talk;
                    events.push(ev("hup", end, hangup(cause, 1, end)));
                    if twin_hangup {
                        events.push(ev("hup2", end + jitter, hangup("unspecified", 1, end + 1)));
                    }
                    if recorded && answered {
                        for id in ["rec-a", "rec-a2"] {
                            events.push(ev(
                                id,
                                end + 2,
                                CallEventKind::RecordingSaved {
                                    recording_id: "r1".into(),
                                    format: Some("mp3".into()),
                                    channels: Some("dual".into()),
                                    started_at: Some(t(4)),
                                    ended_at: Some(t(end)),
                                },
                            ));
                        }
                    }
                    events.push(ev(
                        "cost",
                        end + 3,
                        CallEventKind::Cost {
                            total_cost: "0.0140".into(),
                            currency: Some("USD".into()),
                            billed_duration_secs: Some(talk),
                        },
                    ));
                }
                events.push(ev(
                    "other",
                    7,
                    CallEventKind::Other {
                        event_type: "call.bridged".into(),
                    },
                ));
                events
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// The call is a function of the set of events: any order, any duplicates, same result.
    #[test]
    fn any_permutation_with_duplicates_gives_the_ordered_result(
        events in event_set(),
        order in any::<prop::sample::Index>(),
        dup_picks in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
        shuffle_seed in any::<u64>(),
    ) {
        let base = new_call();
        let mut ordered = base.clone();
        for e in &events {
            ordered.apply(e);
        }

        let mut delivered = events.clone();
        for pick in &dup_picks {
            delivered.push(pick.get(&events).clone());
        }
        // Fisher-Yates with a small LCG so the permutation is part of the generated case.
        let mut state = shuffle_seed ^ (order.index(usize::MAX) as u64);
        for i in (1..delivered.len()).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let j = (state >> 33) as usize % (i + 1);
            delivered.swap(i, j);
        }
        let mut shuffled = base.clone();
        let mut seen_statuses = vec![shuffled.status()];
        for e in &delivered {
            shuffled.apply(e);
            seen_statuses.push(shuffled.status());
        }
        prop_assert_eq!(&shuffled, &ordered);
        prop_assert!(seen_statuses.windows(2).all(|w| w[0] <= w[1]), "status went backwards: {:?}", seen_statuses);
    }
}

#[test]
fn recording_state_follows_the_call() {
    let mut call = new_call();
    assert_eq!(call.recording_state(), None, "not asked for");
    call.recording_requested = true;
    assert_eq!(call.recording_state(), Some(RecordingState::Recording));
    call.apply(&ev("a", 3, CallEventKind::Answered));
    call.apply(&ev("h", 9, hangup("normal_clearing", 1, 9)));
    assert_eq!(call.recording_state(), Some(RecordingState::Processing));
    call.apply(&ev(
        "r",
        10,
        CallEventKind::RecordingSaved {
            recording_id: "rec".into(),
            format: Some("mp3".into()),
            channels: None,
            started_at: None,
            ended_at: None,
        },
    ));
    assert_eq!(call.recording_state(), Some(RecordingState::Available));
    assert_eq!(call.latest_recording().unwrap().recording_id, "rec");

    let mut unanswered = new_call();
    unanswered.recording_requested = true;
    unanswered.apply(&ev("h", 9, hangup("user_busy", 1, 9)));
    assert_eq!(
        unanswered.recording_state(),
        None,
        "Telnyx records from answer"
    );

    let mut failed = new_call();
    failed.recording_requested = true;
    failed.apply(&ev("a", 3, CallEventKind::Answered));
    failed.apply(&ev(
        "e",
        4,
        CallEventKind::RecordingError {
            reason: "Internal server error".into(),
        },
    ));
    assert_eq!(failed.recording_state(), Some(RecordingState::Failed));
}

#[test]
fn controls_are_refused_with_the_right_reason() {
    let mut call = new_call();
    assert_eq!(call.check_control(false), Ok(()));
    assert_eq!(call.check_control(true), Err(ControlRefusal::NotActive));
    call.apply(&ev("a", 3, CallEventKind::Answered));
    assert_eq!(call.check_control(true), Ok(()));
    call.apply(&ev("h", 9, hangup("normal_clearing", 1, 9)));
    assert_eq!(call.check_control(false), Err(ControlRefusal::AlreadyEnded));
    assert_eq!(call.check_control(true), Err(ControlRefusal::AlreadyEnded));
}
