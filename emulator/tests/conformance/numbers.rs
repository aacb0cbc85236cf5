use serde_json::{Value, json};

use crate::common::*;

#[tokio::test]
async fn owned_numbers_are_seeded_paged_and_filtered() {
    let api = Api::new().await;
    let r = api.get("/phone_numbers").await;
    assert_eq!(r.status, 200);
    let all: Vec<&str> = r
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["phone_number"].as_str().unwrap())
        .collect();
    assert_eq!(all, emulator::SEEDED_OWNED);
    assert_eq!(r.data()[0]["record_type"], "phone_number");
    assert_eq!(
        r.data()[0]["connection_id"],
        api.emu.config().connection_id.as_str()
    );

    let r = api.get("/phone_numbers?page[number]=2&page[size]=3").await;
    assert_eq!(
        r.json["meta"],
        json!({"page_number": 2, "page_size": 3, "total_pages": 2, "total_results": 4})
    );
    assert_eq!(r.data().as_array().unwrap().len(), 1);
    let r = api
        .get("/phone_numbers?filter[phone_number]=4155550203")
        .await;
    assert_eq!(r.json["meta"]["total_results"], 1);
    let r = api.get("/phone_numbers?page[size]=500").await;
    assert_eq!((r.status, r.code()), (422, "10033"));
}

#[tokio::test]
async fn number_search_and_order() {
    let api = Api::new().await;
    let r = api
        .get("/available_phone_numbers?filter[country_code]=US&filter[national_destination_code]=415")
        .await;
    let found: Vec<String> = r
        .data()
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["phone_number"].as_str().unwrap().to_string())
        .collect();
    assert!(!found.is_empty());
    assert!(found.iter().all(|n| n.starts_with("+1415")), "{found:?}");
    assert_eq!(r.json["meta"]["total_results"], found.len());

    let r = api
        .get("/available_phone_numbers?filter[phone_number][contains]=5550307")
        .await;
    let hits = r.data().as_array().unwrap();
    assert!(hits.len() > 1);
    assert!(
        hits.iter()
            .all(|n| n["phone_number"].as_str().unwrap().ends_with("5550307"))
    );
    let r = api
        .get("/available_phone_numbers?filter[country_code]=CA&filter[limit]=3")
        .await;
    assert_eq!(r.data().as_array().unwrap().len(), 3);
    assert!(
        r.data()[0]["phone_number"]
            .as_str()
            .unwrap()
            .starts_with("+1416")
    );

    let want = found[0].clone();
    let r = api
        .post(
            "/number_orders",
            json!({"phone_numbers": [{"phone_number": want}],
                   "connection_id": api.emu.config().connection_id}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.data()["record_type"], "number_order");
    assert_eq!(r.data()["phone_numbers"][0]["phone_number"], want.as_str());
    let order_id = r.data()["id"].as_str().unwrap().to_string();
    assert_eq!(
        api.get(&format!("/number_orders/{order_id}")).await.status,
        200
    );

    let owned = api
        .get(&format!("/phone_numbers?filter[phone_number]={want}"))
        .await;
    assert_eq!(owned.json["meta"]["total_results"], 1);
    let again = api
        .get("/available_phone_numbers?filter[national_destination_code]=415")
        .await;
    assert!(
        !again
            .data()
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["phone_number"] == want.as_str())
    );
    let r = api
        .post(
            "/number_orders",
            json!({"phone_numbers": [{"phone_number": want}]}),
        )
        .await;
    assert_eq!(r.status, 422, "already bought");
    let r = api.post("/number_orders", json!({})).await;
    assert_eq!(
        (r.status, r.code(), r.pointer()),
        (422, "10004", "/phone_numbers")
    );
}

#[tokio::test]
async fn call_control_application_is_listed() {
    let url = "https://hooks.test/telnyx".to_string();
    let api = Api::with(|c| c.app_webhook_url = Some(url.clone())).await;
    let r = api.get("/call_control_applications").await;
    assert_eq!(r.status, 200);
    let app = &r.data()[0];
    assert_eq!(app["id"], api.emu.config().connection_id.as_str());
    assert_eq!(app["record_type"], "call_control_application");
    assert_eq!(app["webhook_event_url"], url.as_str());
    assert_eq!(app["webhook_api_version"], "2");
    let id = app["id"].as_str().unwrap().to_string();
    assert_eq!(
        api.get(&format!("/call_control_applications/{id}"))
            .await
            .status,
        200
    );
    assert_eq!(api.get("/call_control_applications/1").await.status, 404);
}

/// An emulator whose application webhook URL is a receiver, for events outside calls.
async fn with_app_hooks(f: impl FnOnce(&mut emulator::EmulatorConfig)) -> Api {
    let rx = Receiver::start().await;
    let mut c = test_config();
    c.app_webhook_url = Some(rx.url("hook"));
    f(&mut c);
    Api {
        emu: start(c).await,
        http: reqwest::Client::new(),
        rx,
    }
}

async fn order(api: &Api, number: &str) -> Resp {
    api.post(
        "/number_orders",
        json!({"phone_numbers": [{"phone_number": number}]}),
    )
    .await
}

async fn owned_status(api: &Api, number: &str) -> Value {
    let r = api
        .get(&format!("/phone_numbers?filter[phone_number]={number}"))
        .await;
    r.data()[0]["status"].clone()
}

#[tokio::test]
async fn a_pending_order_completes_later_with_its_webhook() {
    // A day (scaled: 30 min) keeps the first order pending for the whole test.
    let api =
        with_app_hooks(|c| c.number_order_delay = Some(std::time::Duration::from_secs(86_400)))
            .await;
    let slow = "+12125550300";
    let r = order(&api, slow).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.data()["status"], "pending");
    assert_eq!(r.data()["phone_numbers"][0]["status"], "pending");
    assert_eq!(owned_status(&api, slow).await, "purchase-pending");
    let active = api
        .get(&format!(
            "/phone_numbers?filter[phone_number]={slow}&filter[status]=active"
        ))
        .await;
    assert_eq!(active.json["meta"]["total_results"], 0);

    api.emu
        .set_number_order_delay(Some(std::time::Duration::from_millis(100)));
    let fast = "+14165550301";
    let r = order(&api, fast).await;
    assert_eq!(r.data()["status"], "pending");
    let id = r.data()["id"].as_str().unwrap().to_string();
    let hook = eventually("number_order.complete", || {
        api.rx
            .hooks()
            .into_iter()
            .find(|h| h.event_type() == "number_order.complete")
    })
    .await;
    let p = hook.payload();
    assert_eq!(p["id"], id.as_str());
    assert_eq!(p["record_type"], "number_order");
    assert_eq!(p["status"], "success");
    assert_eq!(p["phone_numbers"][0]["phone_number"], fast);
    assert_eq!(p["phone_numbers"][0]["status"], "success");
    assert_eq!(hook.attempt(), 1);
    assert!(hook.headers.contains_key("telnyx-signature-ed25519"));
    assert_eq!(owned_status(&api, fast).await, "active");
    let got = api.get(&format!("/number_orders/{id}")).await;
    assert_eq!(got.data()["status"], "success");
    assert_eq!(owned_status(&api, slow).await, "purchase-pending");
}

#[tokio::test]
async fn phone_numbers_carry_the_spec_fields_and_their_own_country() {
    let api = Api::new().await;
    let r = order(&api, "+16045550302").await;
    assert_eq!(r.data()["status"], "success", "instant by default");
    let all = api.get("/phone_numbers?page[size]=250").await;
    for n in all.data().as_array().unwrap() {
        for field in [
            "deletion_lock_enabled",
            "external_pin",
            "emergency_status",
            "hd_voice_enabled",
            "call_recording_enabled",
            "cnam_listing_enabled",
            "caller_id_name_enabled",
            "call_forwarding_enabled",
            "inbound_call_screening",
            "customer_reference",
            "messaging_profile_name",
        ] {
            assert!(n.get(field).is_some(), "{field} missing in {n}");
        }
        assert_eq!(n["deletion_lock_enabled"], false);
        let want = if n["phone_number"] == "+16045550302" {
            "CA"
        } else {
            "US"
        };
        assert_eq!(n["country_iso_alpha2"], want, "{n}");
    }
}
