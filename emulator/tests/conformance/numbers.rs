use serde_json::json;

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
