//! The sign-in contract: users, the audit trail, rate-limit counters and revoked sessions. Every
//! `AuthStore` adapter runs the same cases: the embedded SQLite store always, MongoDB when
//! `MONGODB_URI` points at a server (skipped loudly otherwise, failed under REQUIRE_STANDINS=1).

mod common;

use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use domain::user::{Role, User};
use ports::StoreError;
use ports::auth::{AuditEntry, AuthStore, RateDecision};
use std::time::Duration;

trait Store: AuthStore + Clone + 'static {}
impl<T: AuthStore + Clone + 'static> Store for T {}

/// A window-aligned instant (2100-01-01T00:00:00Z), far enough ahead that no store's expiry of
/// old counters (the MongoDB TTL index) can touch the windows the cases count in.
fn t0() -> DateTime<Utc> {
    Utc.timestamp_opt(4_102_444_800, 0).unwrap()
}

fn user(id: &str, email: &str, name: &str) -> User {
    User {
        id: id.into(),
        email: email.into(),
        name: name.into(),
        role: Role::Agent,
        disabled: false,
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$salt-{id}$hash"),
        // Sub-microsecond detail, so precision loss in a store shows.
        created_at: Utc.timestamp_nanos(1_767_225_600_123_456_789),
        sessions_valid_after: None,
        agent: Default::default(),
        webrtc: None,
    }
}

fn entry(at: DateTime<Utc>, action: &str) -> AuditEntry {
    AuditEntry {
        at,
        actor: Some("u1".into()),
        action: action.into(),
        detail: format!("detail of {action} ü"),
        ip: Some("203.0.113.7".into()),
    }
}

/// `name` as "<base>#<counter>".
fn counter(u: &User) -> u32 {
    u.name.rsplit_once('#').unwrap().1.parse().unwrap()
}

mod cases {
    use super::*;

    pub async fn users_are_unique_by_email<S: Store>(s: S) {
        let ana = user("u1", "ana@example.com", "Ana");
        s.insert_user(&ana).await.unwrap();
        match s
            .insert_user(&user("u2", "ana@example.com", "Other Ana"))
            .await
        {
            Err(StoreError::Duplicate(_)) => {}
            other => panic!("expected Duplicate for a taken e-mail, got {other:?}"),
        }
        // The refused user left nothing behind: neither its id nor a second Ana.
        assert_eq!(s.user_by_id("u2").await.unwrap(), None);
        assert_eq!(s.list_users().await.unwrap(), vec![ana.clone()]);
        // Another e-mail is fine.
        s.insert_user(&user("u3", "bo@example.com", "Bo"))
            .await
            .unwrap();
        assert_eq!(s.list_users().await.unwrap().len(), 2);
    }

    pub async fn users_are_found_by_id_and_email_and_listed<S: Store>(s: S) {
        let zed = user("u1", "zed@example.com", "Zed");
        let mut ana = user("u2", "ana@example.com", "Ana");
        ana.role = Role::Admin;
        ana.disabled = true;
        s.insert_user(&zed).await.unwrap();
        s.insert_user(&ana).await.unwrap();
        assert_eq!(s.user_by_id("u2").await.unwrap(), Some(ana.clone()));
        assert_eq!(s.user_by_id("u1").await.unwrap(), Some(zed.clone()));
        assert_eq!(
            s.user_by_email("zed@example.com").await.unwrap(),
            Some(zed.clone())
        );
        assert_eq!(
            s.user_by_email("ana@example.com").await.unwrap(),
            Some(ana.clone())
        );
        assert_eq!(s.user_by_id("nobody").await.unwrap(), None);
        assert_eq!(s.user_by_email("nobody@example.com").await.unwrap(), None);
        // Lookups are exact: normalising the input is the caller's job.
        assert_eq!(s.user_by_email("ana@example").await.unwrap(), None);
        // Listed by e-mail, not by insertion.
        assert_eq!(s.list_users().await.unwrap(), vec![ana, zed]);
    }

    /// A user's own agent mode and phone and their softphone credential are kept with them;
    /// users stored before these fields existed read as "team default, no credential".
    pub async fn agent_choice_and_softphone_credential_round_trip<S: Store>(s: S) {
        let plain = user("u1", "ana@example.com", "Ana");
        s.insert_user(&plain).await.unwrap();
        let got = s.user_by_id("u1").await.unwrap().unwrap();
        assert_eq!(got.agent, domain::user::AgentChoice::default());
        assert_eq!(got.webrtc, None);
        let phone = domain::PhoneNumber::parse("+13125550100", "US").unwrap();
        let credential = domain::user::WebRtcCredential {
            credential_id: "cred-1".into(),
            sip_username: "gencredabc".into(),
        };
        let (p, c) = (phone.clone(), credential.clone());
        let updated = s
            .update_user("u1", &move |u: &mut User| {
                u.agent.mode = Some(domain::settings::AgentMode::Phone);
                u.agent.phone = Some(p.clone());
                u.webrtc = Some(c.clone());
            })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(updated.agent.phone.as_ref(), Some(&phone));
        let got = s.user_by_email("ana@example.com").await.unwrap().unwrap();
        assert_eq!(got, updated);
        assert_eq!(got.agent.mode, Some(domain::settings::AgentMode::Phone));
        assert_eq!(got.webrtc, Some(credential));
        // Back to the team's default, credential forgotten.
        let cleared = s
            .update_user("u1", &|u: &mut User| {
                u.agent = Default::default();
                u.webrtc = None;
            })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.user_by_id("u1").await.unwrap().unwrap(), cleared);
        assert_eq!(cleared.agent, domain::user::AgentChoice::default());
    }

    pub async fn updates_apply_and_unknown_users_are_none<S: Store>(s: S) {
        s.insert_user(&user("u1", "ana@example.com", "Ana"))
            .await
            .unwrap();
        s.insert_user(&user("u2", "bo@example.com", "Bo"))
            .await
            .unwrap();
        let updated = s
            .update_user("u1", &|u: &mut User| {
                u.role = Role::Admin;
                u.name = "Ana Lima".into();
                u.email = "ana.lima@example.com".into();
            })
            .await
            .unwrap()
            .expect("u1 exists");
        assert_eq!(updated.role, Role::Admin);
        assert_eq!(updated.name, "Ana Lima");
        assert_eq!(s.user_by_id("u1").await.unwrap(), Some(updated.clone()));
        assert_eq!(
            s.user_by_email("ana.lima@example.com").await.unwrap(),
            Some(updated.clone())
        );
        assert_eq!(
            s.user_by_email("ana@example.com").await.unwrap(),
            None,
            "the old e-mail no longer finds the user"
        );
        // The old e-mail is free again.
        s.insert_user(&user("u3", "ana@example.com", "Another Ana"))
            .await
            .unwrap();
        // The other user is untouched.
        assert_eq!(
            s.user_by_id("u2").await.unwrap(),
            Some(user("u2", "bo@example.com", "Bo"))
        );
        // A change that changes nothing returns the user as stored.
        assert_eq!(
            s.update_user("u1", &|_: &mut User| {}).await.unwrap(),
            Some(updated)
        );
        assert_eq!(
            s.update_user("nobody", &|u: &mut User| u.disabled = true)
                .await
                .unwrap(),
            None
        );
        assert_eq!(s.user_by_id("nobody").await.unwrap(), None);
        assert_eq!(s.list_users().await.unwrap().len(), 3);
    }

    pub async fn the_sessions_stamp_round_trips<S: Store>(s: S) {
        let ana = user("u1", "ana@example.com", "Ana");
        s.insert_user(&ana).await.unwrap();
        assert_eq!(
            s.user_by_id("u1")
                .await
                .unwrap()
                .unwrap()
                .sessions_valid_after,
            None
        );
        let stamp = Utc.timestamp_nanos(4_102_444_800_987_654_321);
        let updated = s
            .update_user("u1", &move |u: &mut User| {
                u.sessions_valid_after = Some(stamp)
            })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(updated.sessions_valid_after, Some(stamp));
        let read = s.user_by_id("u1").await.unwrap().unwrap();
        assert_eq!(read, updated);
        assert!(!read.session_is_current(stamp.timestamp()));
        assert!(read.session_is_current(stamp.timestamp() + 1));
        assert_eq!(
            s.user_by_email("ana@example.com").await.unwrap(),
            Some(read.clone())
        );
        assert_eq!(s.list_users().await.unwrap(), vec![read]);
        // A later change to something else keeps the stamp.
        let renamed = s
            .update_user("u1", &|u: &mut User| u.name = "Ana L".into())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(renamed.sessions_valid_after, Some(stamp));
    }

    pub async fn concurrent_user_updates_lose_nothing<S: Store>(s: S) {
        s.insert_user(&user("u1", "ana@example.com", "Ana#0"))
            .await
            .unwrap();
        const TASKS: u32 = 8;
        const ROUNDS: u32 = 5;
        let mut tasks = Vec::new();
        for i in 0..TASKS {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                for round in 0..ROUNDS {
                    let after = s
                        .update_user("u1", &move |u: &mut User| {
                            // Every round increments the shared counter; in its first round
                            // each task also sets a field of its own.
                            let (base, _) = u.name.rsplit_once('#').unwrap();
                            u.name = format!("{base}#{}", counter(u) + 1);
                            if round == 0 {
                                match i {
                                    0 => u.role = Role::Admin,
                                    1 => u.disabled = true,
                                    2 => u.password_hash = "rehashed".into(),
                                    3 => u.email = "ana.lima@example.com".into(),
                                    _ => u.name.insert_str(0, &format!("t{i}-")),
                                }
                            }
                        })
                        .await
                        .unwrap()
                        .expect("u1 exists");
                    assert!(counter(&after) >= 1);
                }
            }));
        }
        common::within(
            Duration::from_secs(60),
            "8 tasks updating one user",
            async {
                for t in tasks {
                    t.await.unwrap();
                }
            },
        )
        .await;
        let back = s.user_by_id("u1").await.unwrap().unwrap();
        assert_eq!(
            counter(&back),
            TASKS * ROUNDS,
            "lost increments: {}",
            back.name
        );
        for i in 4..TASKS {
            assert!(
                back.name.contains(&format!("t{i}-")),
                "lost task {i}'s change: {}",
                back.name
            );
        }
        assert_eq!(back.role, Role::Admin, "lost task 0's change");
        assert!(back.disabled, "lost task 1's change");
        assert_eq!(back.password_hash, "rehashed", "lost task 2's change");
        assert_eq!(back.email, "ana.lima@example.com", "lost task 3's change");
        assert_eq!(
            s.user_by_email("ana.lima@example.com").await.unwrap(),
            Some(back)
        );
    }

    pub async fn audit_is_newest_first_and_limited<S: Store>(s: S) {
        assert_eq!(s.audit_entries(10).await.unwrap(), vec![]);
        let at = t0() + Span::nanoseconds(123_456_789);
        // Recorded in time order; "b", "c" and "d" share one instant.
        let written = vec![
            entry(at, "a"),
            entry(at + Span::seconds(1), "b"),
            entry(at + Span::seconds(1), "c"),
            entry(at + Span::seconds(1), "d"),
            AuditEntry {
                at: at + Span::seconds(2),
                actor: None,
                action: "e".into(),
                detail: String::new(),
                ip: None,
            },
        ];
        for e in &written {
            s.record_audit(e).await.unwrap();
        }
        let newest_first: Vec<AuditEntry> = written.iter().rev().cloned().collect();
        assert_eq!(
            s.audit_entries(100).await.unwrap(),
            newest_first,
            "every field round-trips, newest first, ties in reverse insertion order"
        );
        assert_eq!(s.audit_entries(5).await.unwrap(), newest_first);
        assert_eq!(s.audit_entries(3).await.unwrap(), newest_first[..3]);
        assert_eq!(s.audit_entries(1).await.unwrap(), newest_first[..1]);
        // Zero is clamped to one entry rather than meaning "all" or failing.
        assert_eq!(s.audit_entries(0).await.unwrap(), newest_first[..1]);
        // A huge limit is clamped, not passed on to the store as is.
        assert_eq!(s.audit_entries(usize::MAX).await.unwrap(), newest_first);
    }

    pub async fn rate_limits_count_per_key_and_window<S: Store>(s: S) {
        let t = t0();
        let secs = Span::seconds;
        for i in 0..3 {
            assert_eq!(
                s.hit("ip:1", 60, 3, t + secs(i)).await.unwrap(),
                RateDecision::Allowed,
                "hit {} of 3",
                i + 1
            );
        }
        assert_eq!(
            s.hit("ip:1", 60, 3, t + secs(20)).await.unwrap(),
            RateDecision::Limited {
                retry_after_secs: 40
            }
        );
        assert_eq!(
            s.hit("ip:1", 60, 3, t + secs(59)).await.unwrap(),
            RateDecision::Limited {
                retry_after_secs: 1
            },
            "retry after the window's end, at least a second"
        );
        // Another key has its own counter.
        assert_eq!(
            s.hit("ip:2", 60, 3, t + secs(30)).await.unwrap(),
            RateDecision::Allowed
        );
        assert_eq!(
            s.hit("user:ip:1", 60, 3, t).await.unwrap(),
            RateDecision::Allowed
        );
        // The next window starts from zero…
        for i in 0..3 {
            assert_eq!(
                s.hit("ip:1", 60, 3, t + secs(60 + i)).await.unwrap(),
                RateDecision::Allowed,
                "a new window starts from zero (hit {})",
                i + 1
            );
        }
        assert_eq!(
            s.hit("ip:1", 60, 3, t + secs(61)).await.unwrap(),
            RateDecision::Limited {
                retry_after_secs: 59
            }
        );
        // …and the key that was never limited is still counting its first window.
        for _ in 0..2 {
            assert_eq!(
                s.hit("ip:2", 60, 3, t + secs(45)).await.unwrap(),
                RateDecision::Allowed
            );
        }
        assert_eq!(
            s.hit("ip:2", 60, 3, t + secs(50)).await.unwrap(),
            RateDecision::Limited {
                retry_after_secs: 10
            }
        );
        // Windows are fixed, aligned to multiples of their length: 3599 and 3600 are in
        // different hour windows though one second apart.
        let hour = 3600;
        for _ in 0..2 {
            assert_eq!(
                s.hit("hourly", hour, 2, t + secs(3599)).await.unwrap(),
                RateDecision::Allowed
            );
        }
        assert_eq!(
            s.hit("hourly", hour, 2, t + secs(3599)).await.unwrap(),
            RateDecision::Limited {
                retry_after_secs: 1
            }
        );
        assert_eq!(
            s.hit("hourly", hour, 2, t + secs(3600)).await.unwrap(),
            RateDecision::Allowed
        );
    }

    pub async fn released_hits_free_their_place<S: Store>(s: S) {
        let t = t0();
        // Releasing what was never counted stays at zero (no credit for later).
        s.release("fail:1", 60, t).await.unwrap();
        for i in 0..2 {
            assert_eq!(
                s.hit("fail:1", 60, 2, t).await.unwrap(),
                RateDecision::Allowed,
                "hit {i}"
            );
        }
        // A released hit is as if it never happened: any number of hit-and-release pairs
        // leave the count where it was.
        for _ in 0..5 {
            s.release("fail:1", 60, t).await.unwrap();
            assert_eq!(
                s.hit("fail:1", 60, 2, t).await.unwrap(),
                RateDecision::Allowed
            );
        }
        assert!(matches!(
            s.hit("fail:1", 60, 2, t).await.unwrap(),
            RateDecision::Limited { .. }
        ));
        // Another key, and the next window, are untouched by a release.
        s.release("fail:2", 60, t).await.unwrap();
        s.release("fail:1", 60, t + Span::seconds(60))
            .await
            .unwrap();
        assert_eq!(
            s.hit("fail:1", 60, 1, t + Span::seconds(60)).await.unwrap(),
            RateDecision::Allowed
        );
        assert!(matches!(
            s.hit("fail:1", 60, 1, t + Span::seconds(60)).await.unwrap(),
            RateDecision::Limited { .. }
        ));
    }

    pub async fn a_limit_of_n_allows_exactly_n_hits<S: Store>(s: S) {
        let t = t0() + Span::milliseconds(250);
        for limit in [1_u32, 2, 7] {
            let key = format!("boundary:{limit}");
            for i in 1..=limit {
                assert_eq!(
                    s.hit(&key, 300, limit, t).await.unwrap(),
                    RateDecision::Allowed,
                    "hit {i} of limit {limit}"
                );
            }
            for _ in 0..2 {
                assert_eq!(
                    s.hit(&key, 300, limit, t).await.unwrap(),
                    RateDecision::Limited {
                        retry_after_secs: 300
                    },
                    "hit past limit {limit}"
                );
            }
        }
    }

    pub async fn concurrent_hits_are_counted_exactly<S: Store>(s: S) {
        const HITS: usize = 20;
        let t = t0() + Span::seconds(7);
        // Limit 10: exactly ten of twenty simultaneous hits pass (each saw its own count).
        // Limit 30: all twenty pass, then exactly ten more, so no hit was lost or double-counted.
        for (key, limit) in [("burst:10", 10_u32), ("burst:30", 30)] {
            let mut tasks = Vec::new();
            for _ in 0..HITS {
                let s = s.clone();
                tasks.push(tokio::spawn(async move {
                    s.hit(key, 60, limit, t).await.unwrap()
                }));
            }
            let decisions = common::within(Duration::from_secs(60), "20 concurrent hits", async {
                let mut out = Vec::new();
                for task in tasks {
                    out.push(task.await.unwrap());
                }
                out
            })
            .await;
            let allowed = decisions
                .iter()
                .filter(|d| **d == RateDecision::Allowed)
                .count();
            let expected = HITS.min(limit as usize);
            assert_eq!(allowed, expected, "{key}: {decisions:?}");
            assert!(
                decisions.iter().all(|d| *d == RateDecision::Allowed
                    || *d
                        == RateDecision::Limited {
                            retry_after_secs: 53
                        }),
                "{key}: {decisions:?}"
            );
            for i in HITS..limit as usize {
                assert_eq!(
                    s.hit(key, 60, limit, t).await.unwrap(),
                    RateDecision::Allowed,
                    "{key}: sequential hit {}",
                    i + 1
                );
            }
            assert_eq!(
                s.hit(key, 60, limit, t).await.unwrap(),
                RateDecision::Limited {
                    retry_after_secs: 53
                },
                "{key}: one past the limit"
            );
        }
    }

    pub async fn revocations_round_trip<S: Store>(s: S) {
        let until = Utc::now() + Span::hours(1);
        assert!(!s.is_revoked("t1").await.unwrap());
        s.revoke("t1", until).await.unwrap();
        assert!(s.is_revoked("t1").await.unwrap());
        assert!(!s.is_revoked("t2").await.unwrap(), "only the revoked token");
        // Revoking again (a second sign-out, a retry) is fine and changes nothing.
        s.revoke("t1", until).await.unwrap();
        s.revoke("t1", until + Span::hours(1)).await.unwrap();
        assert!(s.is_revoked("t1").await.unwrap());
        s.revoke("t2", until).await.unwrap();
        assert!(s.is_revoked("t2").await.unwrap());
        assert!(!s.is_revoked("t3").await.unwrap());
    }
}

/// One `#[tokio::test]` per contract case for a backend; `$open` yields `None` to skip.
macro_rules! auth_contract {
    ($backend:ident, $open:path) => {
        crate::backend_cases!($backend, $open;
            users_are_unique_by_email,
            users_are_found_by_id_and_email_and_listed,
            agent_choice_and_softphone_credential_round_trip,
            updates_apply_and_unknown_users_are_none,
            the_sessions_stamp_round_trips,
            concurrent_user_updates_lose_nothing,
            audit_is_newest_first_and_limited,
            rate_limits_count_per_key_and_window,
            a_limit_of_n_allows_exactly_n_hits,
            released_hits_free_their_place,
            concurrent_hits_are_counted_exactly,
            revocations_round_trip,
        );
    };
}

auth_contract!(sqlite, common::open_sqlite);

mod mongo_backend {
    use super::*;
    use mongodb::bson::{Bson, Document, doc};
    use ports::auth::{RateLimiter, Revocations};
    use store_mongo::MongoStore;

    pub async fn open_mongo(test: &str) -> Option<common::Fixture<MongoStore>> {
        common::open_mongo(test, "auth").await
    }

    auth_contract!(mongo, open_mongo);

    /// The indexes the adapter relies on exist, and creating them again (every cold start) is
    /// harmless.
    #[tokio::test]
    async fn auth_indexes_are_created_idempotently() {
        let Some(uri) = common::standin("MONGODB_URI", "mongo_backend::auth_indexes") else {
            return;
        };
        let client = mongodb::Client::with_uri_str(&uri).await.unwrap();
        let name = common::unique("authidx");
        let store = MongoStore::from_client(&client, &name);
        store.ensure_indexes().await.unwrap();
        store.ensure_indexes().await.unwrap();
        let db = client.database(&name);
        let indexes = |collection: &'static str| {
            let db = db.clone();
            async move {
                let mut cursor = db
                    .collection::<Document>(collection)
                    .list_indexes()
                    .await
                    .unwrap();
                let mut out = Vec::new();
                while cursor.advance().await.unwrap() {
                    out.push(cursor.deserialize_current().unwrap());
                }
                out
            }
        };
        let users = indexes("users").await;
        let email = users
            .iter()
            .find(|i| i.keys.get("email").is_some())
            .unwrap_or_else(|| panic!("no e-mail index: {users:?}"));
        assert_eq!(email.options.as_ref().and_then(|o| o.unique), Some(true));
        for (collection, field) in [("rate_limits", "expires_at"), ("revoked_sessions", "until")] {
            let found = indexes(collection).await;
            let ttl = found
                .iter()
                .find(|i| i.keys.get(field).is_some())
                .unwrap_or_else(|| panic!("no {field} index on {collection}: {found:?}"));
            assert!(
                ttl.options.as_ref().and_then(|o| o.expire_after).is_some(),
                "{collection}.{field} is not a TTL index: {ttl:?}"
            );
        }
        assert!(
            indexes("audit")
                .await
                .iter()
                .any(|i| i.keys.get("at_us").is_some())
        );

        // Documents carry what the TTL indexes need.
        store.revoke("tok", t0()).await.unwrap();
        let raw = db
            .collection::<Document>("revoked_sessions")
            .find_one(doc! { "_id": "tok" })
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(raw.get("until"), Some(Bson::DateTime(_))), "{raw}");
        store.hit("k", 60, 5, t0()).await.unwrap();
        let raw = db
            .collection::<Document>("rate_limits")
            .find_one(doc! { "key": "k" })
            .await
            .unwrap()
            .unwrap();
        assert!(raw.contains_key("expires_at"), "{raw}");
        let _ = db.drop().await;
    }
}
