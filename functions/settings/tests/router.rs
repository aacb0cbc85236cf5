//! Settings and numbers in-process, against the real SQLite store and the Telnyx emulator; the
//! dial router shares them to show that settings take effect.

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{Value, json};
use testkit::call;

#[tokio::test]
async fn settings_take_effect_on_the_next_call() {
    let f = fixture().await;
    // A wrong key: Telnyx (the emulator) refuses the next command.
    assert_eq!(
        put(&f, json!({"telnyx_api_key": "KEY_SOMEONE_ELSES_123"}))
            .await
            .status,
        StatusCode::OK
    );
    let refused = get(&f, "/api/numbers").await;
    assert_eq!(
        refused.status,
        StatusCode::BAD_GATEWAY,
        "{:?}",
        refused.body
    );
    assert_eq!(refused.code(), "telnyx_rejected");
    // Cleared: the deployment's key is used again.
    assert_eq!(
        put(&f, json!({"telnyx_api_key": null})).await.status,
        StatusCode::OK
    );
    assert_eq!(get(&f, "/api/numbers").await.status, StatusCode::OK);

    // A connection the account does not have: the dial is refused by Telnyx with its code.
    put(&f, json!({"telnyx_connection_id": "999"})).await;
    let wrong = dial(
        &f,
        json!({"to_number": "+12125550100", "from_number": "+13125550201"}),
    )
    .await;
    assert_eq!(wrong.code(), "telnyx_rejected", "{:?}", wrong.body);
    assert_eq!(wrong.body["telnyx_code"], "10015");
    put(&f, json!({"telnyx_connection_id": null})).await;

    // Recording preferences apply at dial; the default caller ID fills a missing From.
    let prefs = put(
        &f,
        json!({"recording": {"auto_record": true, "format": "wav", "channels": "single"},
               "default_caller_id": "(312) 555-0202"}),
    )
    .await;
    assert_eq!(prefs.status, StatusCode::OK, "{:?}", prefs.body);
    assert_eq!(prefs.body["default_caller_id"], "+13125550202");
    let placed = dial(&f, json!({"to_number": "+12125550100"})).await;
    assert_eq!(placed.status, StatusCode::CREATED, "{:?}", placed.body);
    assert_eq!(placed.body["from_number"], "+13125550202");
    let sent = f
        .emulator
        .requests()
        .into_iter()
        .rfind(|r| r.method == "POST" && r.path == "/v2/calls")
        .unwrap();
    assert_eq!(sent.body["record"], "record-from-answer");
    assert_eq!(sent.body["record_format"], "wav");
    assert_eq!(sent.body["record_channels"], "single");
    assert_eq!(sent.body["from"], "+13125550202");
}

#[tokio::test]
async fn settings_are_validated_field_by_field() {
    let f = fixture().await;
    let bad = put(
        &f,
        json!({"telnyx_public_key": "not base64", "telnyx_connection_id": "a b",
               "default_caller_id": "call me", "hold_music_url": "ftp://x",
               "agent_mode": "phone"}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.code(), "invalid_settings");
    let mut fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "agent_phone",
            "default_caller_id",
            "hold_music_url",
            "telnyx_connection_id",
            "telnyx_public_key"
        ]
    );
    // Nothing of a refused change is kept.
    assert_eq!(
        get(&f, "/api/settings").await.body["hold_music_url"],
        Value::Null
    );
    let typo = put(&f, json!({"auto_recrod": true})).await;
    assert_eq!(typo.code(), "malformed_json");
    let enum_typo = put(&f, json!({"recording": {"format": "ogg"}})).await;
    assert_eq!(enum_typo.code(), "malformed_json");
    let ok = put(
        &f,
        json!({"agent_mode": "phone", "agent_phone": "+1 415 555 0100",
               "hold_music_url": "https://example.com/hold.mp3",
               "telnyx_public_key": f.emulator.public_key_base64()}),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(ok.body["agent_phone"], "+14155550100");
    assert_eq!(ok.body["telnyx_public_key"], f.emulator.public_key_base64());
    // Another valid key would not verify a single webhook: the deployment owns it.
    let other = put(
        &f,
        json!({"telnyx_public_key": "+7E99DXiiQXvceNX4nHm3Lbm5mqPWad5RhDr2ufuCik="}),
    )
    .await;
    assert_eq!(
        (other.status, other.code()),
        (StatusCode::CONFLICT, "setting_managed_by_deployment")
    );
    assert_eq!(
        get(&f, "/api/settings").await.body["telnyx_public_key"],
        f.emulator.public_key_base64()
    );
    assert_eq!(
        ok.body["webhook_url"],
        "http://127.0.0.1:9/api/webhooks/telnyx"
    );
}

#[tokio::test]
async fn numbers_list_search_and_a_confirmed_order() {
    let f = fixture().await;
    let owned = get(&f, "/api/numbers").await;
    assert_eq!(owned.status, StatusCode::OK, "{:?}", owned.body);
    let list: Vec<&str> = owned.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["phone_number"].as_str().unwrap())
        .collect();
    assert!(list.contains(&"+13125550201"), "{list:?}");

    let found = get(
        &f,
        "/api/numbers/available?country=us&area_code=212&contains=0305",
    )
    .await;
    assert_eq!(found.status, StatusCode::OK, "{:?}", found.body);
    let items = found.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    let number = items[0]["phone_number"].as_str().unwrap().to_string();
    assert_eq!(number, "+12125550305");
    assert_eq!(items[0]["monthly_cost"], "1.00");

    for (uri, field) in [
        ("/api/numbers/available?country=USA", "country"),
        ("/api/numbers/available?area_code=2a2", "area_code"),
        ("/api/numbers/available?limit=0", "limit"),
    ] {
        let a = get(&f, uri).await;
        assert_eq!(a.code(), "invalid_query", "{uri}");
        assert_eq!(a.body["errors"][0]["field"], field);
    }

    // Dialing from it before buying is refused, clearly and before Telnyx hears of it.
    let before = dial(
        &f,
        json!({"to_number": "+12125550100", "from_number": number}),
    )
    .await;
    assert_eq!(before.status, StatusCode::BAD_REQUEST, "{:?}", before.body);
    assert_eq!(before.code(), "caller_id_not_owned");
    assert_eq!(before.body["errors"][0]["field"], "from_number");

    let order = |body: Value| {
        let router = f.settings.clone();
        async move {
            call(
                &router,
                Method::POST,
                "/api/numbers/orders",
                Some(&body.to_string()),
            )
            .await
        }
    };
    let unconfirmed = order(json!({"phone_number": number})).await;
    assert_eq!(unconfirmed.code(), "confirmation_required");
    let mismatched = order(json!({"phone_number": number, "confirm": "+12125550306"})).await;
    assert_eq!(mismatched.code(), "confirmation_required");
    let bought = order(json!({"phone_number": "(212) 555-0305", "confirm": number})).await;
    assert_eq!(bought.status, StatusCode::CREATED, "{:?}", bought.body);
    assert_eq!(bought.body["status"], "success");
    assert_eq!(bought.body["phone_numbers"], json!([number]));
    let again = order(json!({"phone_number": number, "confirm": number})).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{:?}", again.body);
    assert_eq!(again.code(), "number_not_available");

    let owned = get(&f, "/api/numbers").await;
    assert!(owned.body.to_string().contains(&number));
    let after = dial(
        &f,
        json!({"to_number": "+12125550100", "from_number": number}),
    )
    .await;
    assert_eq!(after.status, StatusCode::CREATED, "{:?}", after.body);
    assert_eq!(after.body["from_number"], number);
}

#[tokio::test]
async fn a_dial_names_the_contact_it_calls() {
    let f = fixture().await;
    use ports::ContactStore;
    let draft = domain::ContactInput {
        name: Some("Jane Doe".into()),
        phone: Some("212 555 0100".into()),
        ..Default::default()
    }
    .validate("US")
    .unwrap();
    let jane = domain::Contact::new("jane".into(), draft, chrono::Utc::now());
    f.store.create_contact(&jane).await.unwrap();
    let placed = dial(
        &f,
        json!({"to_number": "+12125550100", "from_number": "+13125550201"}),
    )
    .await;
    assert_eq!(
        placed.body["contact"],
        json!({"id": "jane", "name": "Jane Doe"})
    );
}

#[tokio::test]
async fn the_webhook_test_reports_arrival_and_verification() {
    // Our endpoint, configured with the emulator's key: verified.
    let probe_emulator = testkit::emulator(None).await;
    let (url, queue) = webhook_endpoint(&probe_emulator.public_key_base64()).await;
    let mut f = fixture_with(Some(url.clone())).await;
    f.emulator = probe_emulator;
    let f = rebuild_with_emulator(f, Some(url)).await;
    let ok = call(
        &f.settings,
        Method::POST,
        "/api/settings/test-webhook",
        None,
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(ok.body["result"], "verified", "{:?}", ok.body);
    assert_eq!(ok.body["arrived"], true);
    assert_eq!(ok.body["verified"], true);
    assert!(queue.sent()[0].body.contains("webhook.test"));

    // An endpoint holding another key: arrived, refused.
    let other = testkit::emulator(None).await;
    let (url, queue) = webhook_endpoint(&other.public_key_base64()).await;
    let f = rebuild_with_emulator(f, Some(url)).await;
    let refused = call(
        &f.settings,
        Method::POST,
        "/api/settings/test-webhook",
        None,
    )
    .await;
    assert_eq!(
        refused.body["result"], "signature_rejected",
        "{:?}",
        refused.body
    );
    assert_eq!(refused.body["status"], 401);
    assert_eq!(refused.body["verified"], false);
    assert!(queue.sent().is_empty());

    // Nothing listening.
    let f = rebuild_with_emulator(f, Some("http://127.0.0.1:9/api/webhooks/telnyx".into())).await;
    let down = call(
        &f.settings,
        Method::POST,
        "/api/settings/test-webhook",
        None,
    )
    .await;
    assert_eq!(down.body["result"], "unreachable", "{:?}", down.body);
    assert_eq!(down.body["arrived"], false);

    let f = rebuild_with_emulator(f, None).await;
    let unknown = call(
        &f.settings,
        Method::POST,
        "/api/settings/test-webhook",
        None,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::CONFLICT);
    assert_eq!(unknown.code(), "webhook_url_unknown");
}
