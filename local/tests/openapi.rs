//! `docs/openapi.yaml` is kept true: every route the function routers register is documented and
//! every documented route is registered (and really served by the composed stack), every example
//! validates against its schema, and live answers of the local stack validate too.

mod common;

use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;

const METHODS: [&str; 5] = ["get", "put", "post", "patch", "delete"];

fn document() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.yaml");
    let text = std::fs::read_to_string(&path).expect("docs/openapi.yaml exists");
    let mut yaml: serde_yaml::Value = serde_yaml::from_str(&text).expect("valid YAML");
    yaml.apply_merge().expect("merge keys resolve");
    serde_json::to_value(yaml).expect("YAML maps to JSON")
}

fn code_routes() -> BTreeSet<(String, String)> {
    let all = local::routes();
    let set: BTreeSet<_> = all
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    assert_eq!(set.len(), all.len(), "a route is declared twice");
    set
}

fn doc_routes(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in METHODS {
            if item.get(m).is_some() {
                out.insert((m.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[test]
fn every_route_is_documented_and_every_documented_route_exists() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let code = code_routes();
    let documented = doc_routes(&doc);
    let undocumented: Vec<_> = code.difference(&documented).collect();
    let phantom: Vec<_> = documented.difference(&code).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from docs/openapi.yaml: {undocumented:?}"
    );
    assert!(
        phantom.is_empty(),
        "documented routes no router serves: {phantom:?}"
    );
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Follows `$ref`s to `#/components/...` for non-schema objects (responses, request bodies).
fn resolve<'a>(doc: &'a Value, v: &'a Value, pointer: String) -> (&'a Value, String) {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let p = r.trim_start_matches('#').to_string();
            (
                doc.pointer(&p)
                    .unwrap_or_else(|| panic!("dangling $ref {r}")),
                p,
            )
        }
        None => (v, pointer),
    }
}

/// Validates `instance` against the schema at `pointer` inside the whole document, so `$ref`s to
/// `#/components/schemas/...` resolve.
fn check(doc: &Value, pointer: &str, instance: &Value) -> Vec<String> {
    let mut root = doc.clone();
    // A JSON pointer in a URI fragment: braces must be percent-encoded.
    let fragment = pointer.replace('{', "%7B").replace('}', "%7D");
    root["$ref"] = json!(format!("#{fragment}"));
    let validator = jsonschema::draft202012::new(&root)
        .unwrap_or_else(|e| panic!("schema at {pointer} does not compile: {e}"));
    validator
        .iter_errors(instance)
        .map(|e| format!("{pointer}: {} at {}", e, e.instance_path))
        .collect()
}

/// Every `(example, schema)` pair in the responses, with the schema's pointer.
fn examples(doc: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in METHODS {
            let Some(op) = item.get(m) else { continue };
            for (status, response) in op["responses"].as_object().unwrap() {
                let base = format!("/paths/{}/{m}/responses/{status}", escape(path));
                let (response, base) = resolve(doc, response, base);
                let Some(content) = response.get("content").and_then(Value::as_object) else {
                    continue;
                };
                for (media, body) in content {
                    if let Some(example) = body.get("example") {
                        out.push((
                            format!("{base}/content/{}/schema", escape(media)),
                            example.clone(),
                        ));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn examples_validate_against_their_schemas() {
    let doc = document();
    let examples = examples(&doc);
    assert!(
        examples.len() >= 12,
        "only {} examples found",
        examples.len()
    );
    let errors: Vec<String> = examples
        .iter()
        .flat_map(|(pointer, example)| check(&doc, pointer, example))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The check can fail: a wrong example is caught.
    let (pointer, _) = examples
        .iter()
        .find(|(p, _)| p.contains("~1api~1stats"))
        .unwrap();
    assert!(!check(&doc, pointer, &json!({"total": "five"})).is_empty());
}

#[tokio::test]
async fn the_composed_stack_serves_every_route_and_answers_match_the_document() {
    let (stack, _dir) = common::stack().await;
    // Without a session: a served route answers 401, an unknown one 404 (the access layer runs
    // only for routes that matched).
    let anonymous = reqwest::Client::new();
    let placeholder = "01a2b3c4-0000-7000-8000-000000000009";
    for (method, path) in code_routes() {
        let uri = path
            .replace("{call_id}", placeholder)
            .replace("{contact_id}", "nobody");
        let method: reqwest::Method = method.parse().unwrap();
        let answer = anonymous
            .request(method.clone(), format!("{}{uri}", stack.url))
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        let body: Value = answer.json().await.unwrap_or(Value::Null);
        let code = body["code"].as_str().unwrap_or_default();
        assert!(
            !(status == 404 && code == "not_found") && code != "method_not_allowed",
            "{method} {path} is not served by the local stack: {status} {body}"
        );
    }

    // Live answers against the documented 200 schemas.
    let http = common::admin(&stack.url).await;
    let doc = document();
    let contact = http
        .post(format!("{}/api/contacts", stack.url))
        .json(&json!({"name": "Jane Doe", "phone": "(212) 555-0100", "tags": ["vip"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(contact.status(), 201);
    let contact: Value = contact.json().await.unwrap();
    let dialed = http
        .post(format!("{}/api/telnyx/dial", stack.url))
        .json(&json!({"to_number": "+1 212 555 0100", "from_number": "+1 312 555 0201"}))
        .send()
        .await
        .unwrap();
    assert_eq!(dialed.status(), 201);
    let dialed: Value = dialed.json().await.unwrap();
    let call_id = dialed["call_id"].as_str().unwrap();
    let mut errors = check(
        &doc,
        "/paths/~1api~1telnyx~1dial/post/responses/201/content/application~1json/schema",
        &dialed,
    );
    for (uri, pointer) in [
        (
            "/api/calls",
            "/paths/~1api~1calls/get/responses/200/content/application~1json/schema",
        ),
        (
            "/api/stats",
            "/paths/~1api~1stats/get/responses/200/content/application~1json/schema",
        ),
        (
            "/api/contacts",
            "/paths/~1api~1contacts/get/responses/200/content/application~1json/schema",
        ),
        (
            "/api/settings",
            "/components/responses/Settings/content/application~1json/schema",
        ),
        (
            "/api/numbers",
            "/paths/~1api~1numbers/get/responses/200/content/application~1json/schema",
        ),
        (
            "/api/numbers/available?area_code=212",
            "/paths/~1api~1numbers~1available/get/responses/200/content/application~1json/schema",
        ),
        (
            &format!("/api/call-status/status/{call_id}"),
            "/components/responses/Call/content/application~1json/schema",
        ),
        (
            &format!("/api/calls/{call_id}"),
            "/paths/~1api~1calls~1{call_id}/get/responses/200/content/application~1json/schema",
        ),
        (
            &format!("/api/contacts/{}", contact["id"].as_str().unwrap()),
            "/components/responses/Contact/content/application~1json/schema",
        ),
    ] {
        let answer = http
            .get(format!("{}{uri}", stack.url))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200, "{uri}");
        let body: Value = answer.json().await.unwrap();
        errors.extend(check(&doc, pointer, &body));
    }
    assert!(errors.is_empty(), "{errors:#?}");
}
