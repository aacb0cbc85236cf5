//! The data contract: contacts, history queries and statistics, settings. Every adapter that
//! implements these ports runs the same cases: the embedded SQLite store always, MongoDB when
//! `MONGODB_URI` points at a server (skipped loudly otherwise, failed under REQUIRE_STANDINS=1).

mod common;

use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use domain::call::{AgentLeg, Leg, TelnyxLeg};
use domain::settings::{AgentMode, RecordingFormat, Settings, SettingsPatch};
use domain::{
    Call, CallEvent, CallEventKind, CallId, Contact, ContactDraft, ContactInput, HistoryStatus,
    PhoneNumber, SearchTerms,
};
use ports::{
    CallFilter, CallHistory, CallStore, ContactLink, ContactQuery, ContactStore, SettingsStore,
    StatsGroup, StoreError,
};

trait Store: CallStore + ContactStore + CallHistory + SettingsStore + Clone + 'static {}
impl<T: CallStore + ContactStore + CallHistory + SettingsStore + Clone + 'static> Store for T {}

fn day() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap()
}

fn n(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s, "US").unwrap()
}

fn draft(name: &str, phone: &str) -> ContactDraft {
    ContactInput {
        name: Some(name.into()),
        phone: Some(phone.into()),
        ..Default::default()
    }
    .validate("US")
    .unwrap()
}

fn contact(id: &str, name: &str, phone: &str) -> Contact {
    Contact::new(id.into(), draft(name, phone), day())
}

/// A call started at `at` that rang `ring` s and then was answered for `talk` s, or ended with
/// `cause` unanswered, or is still ringing.
async fn call<S: Store>(
    s: &S,
    at: DateTime<Utc>,
    from: &str,
    to: &str,
    ring: i64,
    end: Option<(&str, i64)>,
) -> CallId {
    let mut c = Call::new(CallId::new_at(at), n(from), n(to), None, at);
    let ev = |id: &str, secs: i64, kind: CallEventKind| CallEvent {
        event_id: format!("{}-{id}", c.id),
        occurred_at: at + Span::seconds(secs),
        kind,
    };
    let hangup = |cause: &str| CallEventKind::Hangup {
        cause: cause.into(),
        source: None,
        sip_code: None,
        start_time: None,
        end_time: None,
    };
    let mut events = vec![ev("i", 1, CallEventKind::Initiated)];
    match end {
        Some(("answered", talk)) => {
            events.push(ev("a", ring, CallEventKind::Answered));
            events.push(ev("h", ring + talk, hangup("normal_clearing")));
        }
        Some((cause, _)) => events.push(ev("h", ring, hangup(cause))),
        None => {}
    }
    for e in &events {
        c.apply(e);
    }
    s.insert(&c).await.unwrap();
    c.id
}

mod cases {
    use super::*;

    pub async fn contacts_crud_and_unique_numbers<S: Store>(s: S) {
        let jane = contact("c1", "Jane Doe", "+12125551234");
        s.create_contact(&jane).await.unwrap();
        assert_eq!(s.contact("c1").await.unwrap(), Some(jane.clone()));
        assert_eq!(
            s.contact_by_phone(&n("(212) 555-1234")).await.unwrap(),
            Some(jane.clone())
        );
        match s
            .create_contact(&contact("c2", "Other", "+12125551234"))
            .await
        {
            Err(StoreError::Duplicate(holder)) => assert_eq!(holder, "c1"),
            other => panic!("expected Duplicate, got {other:?}"),
        }
        let bob = contact("c3", "Bob", "+14155550000");
        s.create_contact(&bob).await.unwrap();
        let mut clash = bob.clone();
        clash.phone = jane.phone.clone();
        assert!(matches!(
            s.replace_contact(&clash).await,
            Err(StoreError::Duplicate(_))
        ));
        let mut renamed = bob.clone();
        renamed.name = "Robert".into();
        assert!(s.replace_contact(&renamed).await.unwrap());
        assert_eq!(s.contact("c3").await.unwrap().unwrap().name, "Robert");
        assert!(
            !s.replace_contact(&contact("zz", "Ghost", "+14155550001"))
                .await
                .unwrap()
        );
        assert!(s.delete_contact("c3").await.unwrap());
        assert!(!s.delete_contact("c3").await.unwrap());
        assert_eq!(s.contact("c3").await.unwrap(), None);
        // The number is free again.
        s.create_contact(&contact("c4", "New", "+14155550000"))
            .await
            .unwrap();
    }

    pub async fn contact_search_pages_and_favorites<S: Store>(s: S) {
        for (i, (name, phone)) in [
            ("jane doe", "+12125551234"),
            ("Bob Stone", "+14155550000"),
            ("Ann Janeway", "+442079460958"),
            ("Zed 50% Off_Co", "+16175550199"),
        ]
        .iter()
        .enumerate()
        {
            let mut c = contact(&format!("c{i}"), name, phone);
            c.favorite = i % 2 == 1;
            if i == 1 {
                c.company = Some("Ölwerk ACME Inc".into());
            }
            c.tags = vec![if i < 2 { "east" } else { "west" }.into()];
            s.create_contact(&c).await.unwrap();
        }
        let names = |q: ContactQuery| {
            let s = s.clone();
            async move {
                s.list_contacts(&q)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|c| c.name)
                    .collect::<Vec<_>>()
            }
        };
        let search = |q: &str| ContactQuery {
            search: SearchTerms::parse(q),
            limit: 10,
            ..Default::default()
        };
        assert_eq!(names(search("555 12")).await, ["jane doe"]);
        assert_eq!(names(search("JANE")).await, ["Ann Janeway", "jane doe"]);
        assert_eq!(names(search("50%")).await, ["Zed 50% Off_Co"]);
        assert_eq!(names(search("acme")).await, ["Bob Stone"], "by company");
        assert_eq!(names(search("Acme inc")).await, ["Bob Stone"]);
        assert!(names(search("0%")).await.len() == 1);
        assert!(names(search("f_c")).await.len() == 1);
        assert!(
            names(search(".*")).await.is_empty(),
            "no regex or LIKE leaks"
        );
        let favorites = ContactQuery {
            favorite: Some(true),
            limit: 10,
            ..Default::default()
        };
        assert_eq!(names(favorites).await, ["Bob Stone", "Zed 50% Off_Co"]);
        let tagged = ContactQuery {
            tag: Some("west".into()),
            limit: 10,
            ..Default::default()
        };
        assert_eq!(names(tagged).await, ["Ann Janeway", "Zed 50% Off_Co"]);
        // Pages by (lower-cased name, id).
        let first = s
            .list_contacts(&ContactQuery {
                limit: 2,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(first.len(), 2);
        let last = first.last().unwrap();
        let rest = names(ContactQuery {
            limit: 10,
            after: Some((last.name.to_lowercase(), last.id.clone())),
            ..Default::default()
        })
        .await;
        assert_eq!(rest, ["jane doe", "Zed 50% Off_Co"]);
    }

    pub async fn imports_merge_by_number_atomically<S: Store>(s: S) {
        let mut fav = contact("old", "Old Name", "+12125550001");
        fav.favorite = true;
        s.create_contact(&fav).await.unwrap();
        let rows = vec![
            draft("New Name", "+12125550001"),
            draft("Fresh", "+12125550002"),
            draft("Same", "+12125550003"),
        ];
        let counts = s.import_contacts(&rows, day()).await.unwrap();
        assert_eq!(
            (counts.created, counts.updated, counts.unchanged),
            (2, 1, 0)
        );
        let merged = s.contact("old").await.unwrap().unwrap();
        assert_eq!(merged.name, "New Name");
        assert!(merged.favorite);
        let again = s.import_contacts(&rows, day()).await.unwrap();
        assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 3));
        let all = s
            .list_contacts(&ContactQuery {
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(all.len(), 3);
    }

    pub async fn history_filters_and_cursor<S: Store>(s: S) {
        let d = day();
        let h = |x: i64| d + Span::hours(x);
        let a = "+13125550201";
        let b = "+13125550202";
        let c1 = call(&s, h(9), a, "+12125550100", 10, Some(("answered", 120))).await;
        let c2 = call(&s, h(10), a, "+12125550101", 5, Some(("answered", 60))).await;
        let c3 = call(&s, h(11), b, "+12125550102", 4, Some(("user_busy", 0))).await;
        let c4 = call(&s, h(12), b, "+12125550103", 30, Some(("timeout", 0))).await;
        let c5 = call(&s, h(30), a, "+12125550100", 20, None).await;
        s.create_contact(&contact("zed", "Zed Zulu", "+12125550101"))
            .await
            .unwrap();
        let ids = |f: CallFilter| {
            let s = s.clone();
            async move {
                s.search_calls(&f, 100, None)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|c| c.id)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(ids(CallFilter::default()).await, [c5, c4, c3, c2, c1]);
        let status = |st| CallFilter {
            status: Some(st),
            ..Default::default()
        };
        assert_eq!(ids(status(HistoryStatus::Missed)).await, [c4, c3]);
        assert_eq!(ids(status(HistoryStatus::Active)).await, [c5]);
        assert_eq!(ids(status(HistoryStatus::Completed)).await, [c2, c1]);
        assert!(ids(status(HistoryStatus::Failed)).await.is_empty());
        let q = |text: &str| CallFilter {
            search: SearchTerms::parse(text),
            ..Default::default()
        };
        assert_eq!(ids(q("555-0103")).await, [c4]);
        assert_eq!(ids(q("zulu")).await, [c2]);
        s.update(c3, &|c: &mut domain::Call| {
            c.notes = Some("Wants the PREMIUM plan".into());
            c.tags = vec!["Renewal".into()];
        })
        .await
        .unwrap();
        assert_eq!(ids(q("premium plan")).await, [c3], "by notes");
        assert_eq!(ids(q("renewal")).await, [c3], "by tag");
        assert!(ids(q("plan b")).await.is_empty());
        let range = CallFilter {
            since: Some(h(10)),
            until: Some(h(12)),
            ..Default::default()
        };
        assert_eq!(ids(range).await, [c3, c2]);
        let from = CallFilter {
            from_number: Some(n(b)),
            ..Default::default()
        };
        assert_eq!(ids(from).await, [c4, c3]);
        let zed = CallFilter {
            contact: Some(ContactLink {
                id: "zed".into(),
                phone: Some(n("+12125550101")),
            }),
            ..Default::default()
        };
        assert_eq!(ids(zed).await, [c2]);
        for id in [c2, c3] {
            s.update(id, &|c: &mut domain::Call| {
                c.placed_by = Some("user-1".into())
            })
            .await
            .unwrap();
        }
        let by = |user: &str| CallFilter {
            placed_by: Some(user.into()),
            ..Default::default()
        };
        assert_eq!(ids(by("user-1")).await, [c3, c2]);
        assert!(ids(by("user-2")).await.is_empty());

        let page = s
            .search_calls(&CallFilter::default(), 2, None)
            .await
            .unwrap();
        let last = page.last().unwrap();
        call(&s, Utc::now(), a, "+12125550100", 1, None).await;
        let next = s
            .search_calls(&CallFilter::default(), 2, Some((last.started_at, last.id)))
            .await
            .unwrap();
        assert_eq!(next.iter().map(|c| c.id).collect::<Vec<_>>(), [c3, c2]);

        let activity = s
            .contact_activity(&[ContactLink {
                id: "zed".into(),
                phone: Some(n("+12125550101")),
            }])
            .await
            .unwrap();
        assert_eq!(activity["zed"].call_count, 1);
        assert_eq!(activity["zed"].last_called_at, Some(h(10)));
    }

    pub async fn tallies_by_hand<S: Store>(s: S) {
        let d = day();
        let h = |x: i64| d + Span::hours(x);
        let a = "+13125550201";
        let b = "+13125550202";
        call(&s, h(9), a, "+12125550100", 10, Some(("answered", 120))).await;
        call(&s, h(10), a, "+12125550101", 5, Some(("answered", 60))).await;
        call(&s, h(11), b, "+12125550102", 4, Some(("user_busy", 0))).await;
        call(&s, h(12), b, "+12125550103", 30, Some(("timeout", 0))).await;
        call(&s, h(30), a, "+12125550100", 20, None).await;
        let all = s.tally(&CallFilter::default()).await.unwrap();
        assert_eq!(all.total, 5);
        assert_eq!(all.active, 1);
        assert_eq!(all.completed, 2);
        assert_eq!((all.busy, all.no_answer), (1, 1));
        assert_eq!(all.talk_secs_sum, 180);
        assert_eq!((all.ring_secs_sum, all.ring_count), (49, 4));
        let summary = all.summary();
        assert_eq!(summary.answer_rate, Some(0.5));
        let by_day = s
            .tally_by(&CallFilter::default(), StatsGroup::Day)
            .await
            .unwrap();
        let keys: Vec<(&str, u64)> = by_day.iter().map(|(k, t)| (k.as_str(), t.total)).collect();
        assert_eq!(keys, [("2026-03-02", 4), ("2026-03-03", 1)]);
        let by_number = s
            .tally_by(&CallFilter::default(), StatsGroup::FromNumber)
            .await
            .unwrap();
        assert_eq!(by_number[0].0, a);
        assert_eq!(by_number[0].1.completed, 2);
        assert_eq!(by_number[1].1.total, 2);
        let empty = s
            .tally(&CallFilter {
                since: Some(h(-100)),
                until: Some(h(-99)),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(empty.total, 0);
        assert_eq!(empty.summary().answer_rate, None);
        assert!(
            s.tally_by(
                &CallFilter {
                    since: Some(h(-100)),
                    until: Some(h(-99)),
                    ..Default::default()
                },
                StatsGroup::Day
            )
            .await
            .unwrap()
            .is_empty()
        );
    }

    pub async fn tallies_count_two_leg_outcomes<S: Store>(s: S) {
        let d = day();
        for (i, cause) in ["timeout", "user_busy", "not_found"].iter().enumerate() {
            let at = d + Span::minutes(i as i64);
            let mut c = Call::new(
                CallId::new_at(at),
                n("+13125550201"),
                n("+12125550100"),
                None,
                at,
            );
            let mut agent = AgentLeg::new(AgentMode::Phone, "+13125550100");
            agent.telnyx = Some(TelnyxLeg {
                call_control_id: format!("A{i}"),
                call_leg_id: format!("A{i}-leg"),
                call_session_id: format!("A{i}-session"),
            });
            c.agent = Some(agent);
            let hangup = CallEvent {
                event_id: format!("{}-h", c.id),
                occurred_at: at + Span::seconds(20),
                kind: CallEventKind::Hangup {
                    cause: (*cause).into(),
                    source: None,
                    sip_code: None,
                    start_time: None,
                    end_time: None,
                },
            };
            c.step(Leg::Agent, &hangup, at + Span::seconds(20));
            s.insert(&c).await.unwrap();
        }
        let all = s.tally(&CallFilter::default()).await.unwrap();
        assert_eq!(all.total, 3);
        assert_eq!((all.agent_no_answer, all.agent_failed), (2, 1));
        assert_eq!((all.no_answer, all.failed, all.active), (0, 0, 0));
        let by_day = s
            .tally_by(&CallFilter::default(), StatsGroup::Day)
            .await
            .unwrap();
        assert_eq!(by_day[0].1.agent_no_answer, 2);
    }

    pub async fn settings_round_trip<S: Store>(s: S) {
        assert_eq!(s.load_settings().await.unwrap(), Settings::default());
        let patch: SettingsPatch = serde_json::from_str(
            r#"{"default_caller_id":"+13125550201","recording":{"auto_record":true,"format":"wav"}}"#,
        )
        .unwrap();
        let next = Settings::default().apply(&patch, "US").unwrap();
        s.save_settings(&next).await.unwrap();
        s.save_settings(&next).await.unwrap();
        let back = s.load_settings().await.unwrap();
        assert_eq!(back, next);
        assert_eq!(back.recording.format, RecordingFormat::Wav);
    }

    pub async fn notes_and_tags_survive_updates<S: Store>(s: S) {
        let id = call(&s, day(), "+13125550201", "+12125550100", 1, None).await;
        s.update(id, &|c: &mut Call| {
            c.notes = Some("call back".into());
            c.tags = vec!["hot".into()];
        })
        .await
        .unwrap();
        let back = s.get(id).await.unwrap().unwrap();
        assert_eq!(back.notes.as_deref(), Some("call back"));
        assert_eq!(back.tags, ["hot"]);
        // An update moves the call between history classes.
        s.update(id, &|c: &mut Call| {
            c.apply(&CallEvent {
                event_id: "h".into(),
                occurred_at: day() + Span::seconds(9),
                kind: CallEventKind::Hangup {
                    cause: "timeout".into(),
                    source: None,
                    sip_code: None,
                    start_time: None,
                    end_time: None,
                },
            })
        })
        .await
        .unwrap();
        let missed = s
            .search_calls(
                &CallFilter {
                    status: Some(HistoryStatus::Missed),
                    ..Default::default()
                },
                10,
                None,
            )
            .await
            .unwrap();
        assert_eq!(missed.len(), 1);
    }
}

macro_rules! data_contract {
    ($backend:ident, $open:path) => {
        crate::backend_cases!($backend, $open;
            contacts_crud_and_unique_numbers,
            contact_search_pages_and_favorites,
            imports_merge_by_number_atomically,
            history_filters_and_cursor,
            tallies_by_hand,
            tallies_count_two_leg_outcomes,
            settings_round_trip,
            notes_and_tags_survive_updates,
        );
    };
}

data_contract!(sqlite, common::open_sqlite);

mod mongo_backend {
    use super::*;
    use store_mongo::MongoStore;

    pub async fn open_mongo(test: &str) -> Option<common::Fixture<MongoStore>> {
        common::open_mongo(test, "data").await
    }

    data_contract!(mongo, open_mongo);
}
