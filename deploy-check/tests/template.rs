//! template.yaml against the code. A route added to a router and forgotten in the template (or
//! the other way round, or mapped to the wrong function) answers 404 in AWS only; these tests
//! make it fail here. They also pin the template's safety properties.

use deploy_check::{
    Function, Route, Template, actions_and_resources, referenced_id, statements, workspace_root,
};
use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};

fn template() -> Template {
    Template::load(&workspace_root().join("template.yaml")).expect("template.yaml parses")
}

fn owned(routes: &[edge::auth::Route]) -> BTreeSet<Route> {
    routes
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect()
}

/// Every function crate under functions/ and the routes its router serves: each crate
/// publishes the list its router is built from. A new crate fails here until it is listed.
fn router_routes() -> BTreeMap<String, BTreeSet<Route>> {
    let root = workspace_root().join("functions");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&root).expect("functions/") {
        let dir = entry.unwrap().path();
        if !dir.join("Cargo.toml").exists() {
            continue;
        }
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let routes = match name.as_str() {
            "dial" => owned(&dial::routes()),
            "hangup" => owned(&hangup::routes()),
            "call-status" => owned(&call_status::routes()),
            "controls" => owned(&controls::routes()),
            "calls" => owned(&calls::routes()),
            "contacts" => owned(&contacts::routes()),
            "settings" => owned(&settings::routes()),
            "webhook" => owned(&webhook::routes()),
            "auth" => owned(&auth::routes()),
            // An SQS consumer: no HTTP routes.
            "processor" => BTreeSet::new(),
            other => panic!("functions/{other} is new: list its routes here"),
        };
        out.insert(name, routes);
    }
    out
}

fn function_for<'a>(functions: &'a [Function], binary: &str) -> &'a Function {
    functions
        .iter()
        .find(|f| f.binary.as_deref() == Some(binary))
        .unwrap_or_else(|| panic!("no template function builds the `{binary}` binary"))
}

#[test]
fn every_router_route_is_mapped_to_its_function_and_nothing_else_is() {
    let template = template();
    let functions = template.functions();
    let routers = router_routes();
    assert!(
        routers.len() >= 9,
        "expected the nine function crates, found {:?}",
        routers.keys()
    );

    let mut problems = Vec::new();
    for (crate_name, served) in &routers {
        let f = function_for(&functions, crate_name);
        for missing in served.difference(&f.routes) {
            problems.push(format!(
                "{} {} is served by functions/{crate_name} but {} has no HttpApi event for it",
                missing.0, missing.1, f.logical_id
            ));
        }
        for extra in f.routes.difference(served) {
            problems.push(format!(
                "{} maps {} {} but functions/{crate_name}'s router does not serve it",
                f.logical_id, extra.0, extra.1
            ));
        }
    }
    // Every template function is one of the crates.
    for f in &functions {
        let binary = f.binary.as_deref().unwrap_or("<none>");
        if !routers.contains_key(binary) {
            problems.push(format!(
                "{} builds `{binary}`, which is no crate under functions/",
                f.logical_id
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));

    // Only the processor has no routes, and it has exactly its SQS source.
    assert!(routers["processor"].is_empty());
    let processor = function_for(&functions, "processor");
    assert_eq!(
        processor.other_events,
        vec![("Events".to_string(), "SQS".to_string())]
    );
    for (name, served) in &routers {
        if name != "processor" {
            assert!(!served.is_empty(), "functions/{name} serves no route");
        }
    }
}

#[test]
fn no_route_is_mapped_twice() {
    let mut seen: BTreeMap<Route, String> = BTreeMap::new();
    for f in template().functions() {
        for r in &f.routes {
            if let Some(other) = seen.insert(r.clone(), f.logical_id.clone()) {
                panic!("{} {} is mapped by {other} and {}", r.0, r.1, f.logical_id);
            }
        }
    }
    assert!(
        seen.len() >= 30,
        "only {} routes in the template",
        seen.len()
    );
}

#[test]
fn functions_are_rust_on_arm64_al2023_built_by_cargo_lambda() {
    let t = template();
    for f in t.functions() {
        assert_eq!(
            f.build_method.as_deref(),
            Some("rust-cargolambda"),
            "{}",
            f.logical_id
        );
        assert_eq!(
            t.function_property(&f, "Runtime").as_str(),
            Some("provided.al2023")
        );
        assert_eq!(
            t.function_property(&f, "Architectures"),
            &Value::Sequence(vec!["arm64".into()]),
            "{}",
            f.logical_id
        );
        assert_eq!(
            t.function_property(&f, "Handler").as_str(),
            Some("bootstrap")
        );
        let timeout = t.function_property(&f, "Timeout").as_u64().unwrap();
        let memory = t.function_property(&f, "MemorySize").as_u64().unwrap();
        assert!(
            (128..=1024).contains(&memory),
            "{}: {memory} MB",
            f.logical_id
        );
        if !f.routes.is_empty() {
            // API Gateway gives up on an integration after 30 s.
            assert!(timeout < 30, "{}: {timeout} s", f.logical_id);
        }
        // Logs go to a group of the stack's with a retention.
        let group = referenced_id(&f.properties["LoggingConfig"]["LogGroup"])
            .unwrap_or_else(|| panic!("{} has no log group of its own", f.logical_id));
        let group = t.resource(&group);
        assert_eq!(group["Type"].as_str(), Some("AWS::Logs::LogGroup"));
        assert!(
            !group["Properties"]["RetentionInDays"].is_null(),
            "{}",
            f.logical_id
        );
        // And an alarm on its errors.
        let alarmed = t.resources().any(|(_, r)| {
            r["Type"].as_str() == Some("AWS::CloudWatch::Alarm")
                && r["Properties"]["MetricName"].as_str() == Some("Errors")
                && r["Properties"]["Dimensions"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .any(|d| referenced_id(&d["Value"]).as_deref() == Some(f.logical_id.as_str()))
        });
        assert!(alarmed, "{} has no Errors alarm", f.logical_id);
    }
    // The webhook must answer Telnyx inside its 2 s retry window: keep its timeout short.
    let webhook = function_for(&t.functions(), "webhook").logical_id.clone();
    let webhook = t
        .functions()
        .into_iter()
        .find(|f| f.logical_id == webhook)
        .unwrap();
    assert!(t.function_property(&webhook, "Timeout").as_u64().unwrap() <= 5);
}

#[test]
fn the_queue_is_wired_for_partial_batch_failures_with_a_dlq() {
    let t = template();
    let functions = t.functions();
    let processor = function_for(&functions, "processor");
    let source = &processor.properties["Events"]["Events"]["Properties"];
    let queue_id = referenced_id(&source["Queue"]).expect("SQS source names its queue");
    assert_eq!(
        source["FunctionResponseTypes"],
        Value::Sequence(vec!["ReportBatchItemFailures".into()])
    );
    let batch = source["BatchSize"].as_u64().unwrap();
    assert!((1..=10).contains(&batch), "batch size {batch}");
    let window = source["MaximumBatchingWindowInSeconds"].as_u64().unwrap();

    let queue = &t.resource(&queue_id)["Properties"];
    let processor_timeout = t.function_property(processor, "Timeout").as_u64().unwrap();
    let visibility = queue["VisibilityTimeout"].as_u64().unwrap();
    // AWS: visibility ≥ 6 × function timeout + batching window.
    assert!(
        visibility >= 6 * processor_timeout + window,
        "visibility {visibility} s for a {processor_timeout} s processor"
    );
    let redrive = &queue["RedrivePolicy"];
    let dlq = referenced_id(&redrive["deadLetterTargetArn"]).expect("a dead-letter queue");
    assert_eq!(t.resource(&dlq)["Type"].as_str(), Some("AWS::SQS::Queue"));
    assert!((3..=10).contains(&redrive["maxReceiveCount"].as_u64().unwrap()));

    // The webhook sends to that queue, by its URL.
    let webhook = function_for(&functions, "webhook");
    let env = t.environment(webhook);
    assert_eq!(
        referenced_id(&env["EVENTS_QUEUE_URL"]).as_deref(),
        Some(queue_id.as_str())
    );

    // An alarm watches the DLQ.
    let watched = t.resources().any(|(_, r)| {
        r["Type"].as_str() == Some("AWS::CloudWatch::Alarm")
            && r["Properties"]["Dimensions"]
                .as_sequence()
                .into_iter()
                .flatten()
                .any(|d| referenced_id(&d["Value"]).as_deref() == Some(dlq.as_str()))
    });
    assert!(watched, "no alarm on the dead-letter queue");
}

/// The secrets the functions know by name: never a plain value in the template.
const SECRET_VARS: [&str; 4] = [
    "TELNYX_API_KEY",
    "MONGODB_URI",
    "SESSION_SECRET",
    "ADMIN_PASSWORD",
];

#[test]
fn no_secret_value_is_in_the_template_and_each_function_reads_only_its_own() {
    let t = template();
    for (id, r) in t.resources() {
        if r["Type"].as_str() == Some("AWS::SecretsManager::Secret") {
            let p = &r["Properties"];
            match p["SecretString"].as_str() {
                None => assert!(!p["GenerateSecretString"].is_null(), "{id}"),
                Some(s) => assert!(s.starts_with("SET-ME"), "{id} holds a value"),
            }
        }
    }
    for (name, p) in t.doc["Parameters"].as_mapping().unwrap() {
        let name = name.as_str().unwrap().to_ascii_lowercase();
        let is_secretish = [
            "password",
            "apikey",
            "api_key",
            "secret",
            "mongodburi",
            "token",
        ]
        .iter()
        .any(|w| name.contains(w));
        assert!(
            !is_secretish || p["Type"].as_str() == Some("AWS::SSM::Parameter::Name"),
            "parameter {name} looks like a secret value"
        );
    }

    for f in t.functions() {
        let env = t.environment(&f);
        for var in SECRET_VARS {
            assert!(
                !env.contains_key(var),
                "{} has {var} as a plain environment value",
                f.logical_id
            );
        }
        // Secrets it is told about (…_SECRET_ID → a secret of the stack).
        let told: BTreeSet<String> = env
            .iter()
            .filter(|(k, _)| k.ends_with("_SECRET_ID"))
            .map(|(k, v)| {
                let id = referenced_id(v).unwrap_or_else(|| panic!("{}: {k}", f.logical_id));
                assert_eq!(
                    t.resource(&id)["Type"].as_str(),
                    Some("AWS::SecretsManager::Secret")
                );
                id
            })
            .collect();
        // Secrets IAM lets it read.
        let mut granted = BTreeSet::new();
        for s in statements(&t, &f) {
            let (actions, resources) = actions_and_resources(&s);
            assert!(
                !actions.is_empty(),
                "{}: a policy that is not an inline statement: {s:?}",
                f.logical_id
            );
            for a in &actions {
                assert!(!a.contains('*'), "{}: wildcard action {a}", f.logical_id);
            }
            for r in &resources {
                assert_ne!(r.as_str(), Some("*"), "{}: {actions:?} on *", f.logical_id);
            }
            if actions.iter().any(|a| a.starts_with("secretsmanager:")) {
                assert_eq!(actions, vec!["secretsmanager:GetSecretValue".to_string()]);
                granted.extend(resources.iter().filter_map(referenced_id));
            }
        }
        assert_eq!(
            told, granted,
            "{}: secrets named in its environment vs secrets IAM lets it read",
            f.logical_id
        );
    }
}

/// Every function behind sign-in checks session tokens, so it reads the signing key; only the
/// sign-in function creates the first administrator, so only it may read that password.
#[test]
fn functions_behind_sign_in_read_the_session_key_and_only_auth_the_admin_password() {
    let t = template();
    let routes = router_routes();
    for f in t.functions() {
        let env = t.environment(&f);
        let binary = f.binary.clone().unwrap_or_default();
        let signed_in = routes.get(&binary).is_some_and(|r| !r.is_empty()) && binary != "webhook";
        assert_eq!(
            env.contains_key("SESSION_SECRET_SECRET_ID"),
            signed_in,
            "{}: SESSION_SECRET_SECRET_ID",
            f.logical_id
        );
        assert_eq!(
            env.contains_key("ADMIN_PASSWORD_SECRET_ID"),
            binary == "auth",
            "{}: ADMIN_PASSWORD_SECRET_ID",
            f.logical_id
        );
    }
}

#[test]
fn the_webhook_may_only_send_to_the_queue_and_the_processor_only_consume_it() {
    let t = template();
    let functions = t.functions();
    let queue = "EventsQueue";

    let webhook = function_for(&functions, "webhook");
    let grants: Vec<_> = statements(&t, webhook)
        .iter()
        .map(actions_and_resources)
        .collect();
    assert_eq!(grants.len(), 1, "{grants:?}");
    assert_eq!(grants[0].0, vec!["sqs:SendMessage".to_string()]);
    assert_eq!(
        grants[0]
            .1
            .iter()
            .filter_map(referenced_id)
            .collect::<Vec<_>>(),
        vec![queue.to_string()]
    );

    let processor = function_for(&functions, "processor");
    let mut sqs_actions = BTreeSet::new();
    for s in statements(&t, processor) {
        let (actions, resources) = actions_and_resources(&s);
        if actions.iter().any(|a| a.starts_with("sqs:")) {
            assert_eq!(
                resources
                    .iter()
                    .filter_map(referenced_id)
                    .collect::<Vec<_>>(),
                vec![queue.to_string()]
            );
            sqs_actions.extend(actions);
        }
    }
    let want: BTreeSet<String> = [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(sqs_actions, want);

    // Nobody else touches the queue.
    for f in &functions {
        if f.logical_id == webhook.logical_id || f.logical_id == processor.logical_id {
            continue;
        }
        for s in statements(&t, f) {
            let (actions, _) = actions_and_resources(&s);
            assert!(
                actions.iter().all(|a| !a.starts_with("sqs:")),
                "{} may use SQS",
                f.logical_id
            );
        }
    }
}

#[test]
fn the_api_is_throttled_and_the_outputs_are_there() {
    let t = template();
    let api = t.resource("HttpApi");
    let defaults = &api["Properties"]["DefaultRouteSettings"];
    assert!(!defaults["ThrottlingRateLimit"].is_null());
    assert!(!defaults["ThrottlingBurstLimit"].is_null());
    // Dialing and password guessing meet a tighter throttle than the rest of the API.
    let routes = &api["Properties"]["RouteSettings"];
    for route in ["POST /api/telnyx/dial", "POST /api/auth/sign-in"] {
        assert!(
            !routes[route]["ThrottlingRateLimit"].is_null(),
            "{route} has no throttle of its own"
        );
    }
    assert!(routes["POST /api/auth/sign-in"]["ThrottlingRateLimit"].as_u64() <= Some(10));
    // CORS: the site's own origin only, never `*`.
    let origins = api["Properties"]["CorsConfiguration"]["AllowOrigins"]
        .as_sequence()
        .expect("CORS origins listed");
    assert_eq!(origins.len(), 1);
    assert_ne!(origins[0].as_str(), Some("*"));
    for output in ["ApiUrl", "TelnyxWebhookUrl", "SiteUrl"] {
        assert!(
            !t.doc["Outputs"][output]["Value"].is_null(),
            "output {output}"
        );
    }
    // The site: a private bucket behind CloudFront with security headers.
    let headers = &t.resource("SiteSecurityHeaders")["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"];
    for h in [
        "StrictTransportSecurity",
        "ContentTypeOptions",
        "FrameOptions",
        "ContentSecurityPolicy",
    ] {
        assert!(!headers[h].is_null(), "{h}");
    }
    let block = &t.resource("SiteBucket")["Properties"]["PublicAccessBlockConfiguration"];
    assert_eq!(block["RestrictPublicBuckets"].as_bool(), Some(true));
}
