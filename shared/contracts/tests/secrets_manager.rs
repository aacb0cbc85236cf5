//! The Secrets Manager adapter (`wiring::aws_secrets::SecretsManager`) on the wire: the request
//! it signs, read by a loopback server, and the real protocol against moto_server (the stand-in
//! of `scripts/standins.sh`, via `AWS_ENDPOINT_URL_SECRETS_MANAGER`).

mod common;

use axum::body::Bytes;
use axum::http::HeaderMap;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiring::aws_secrets::{SecretSource, SecretsError, SecretsManager, config_with_secrets};

const ACCESS_KEY: &str = "AKIDSECRETSTEST00001";
const SECRET_KEY: &str = "secret-access-key-never-printed-0000000";
const SESSION_TOKEN: &str = "session-token-of-the-execution-role";

fn env(pairs: &[(&str, String)]) -> impl Fn(&str) -> Option<String> + Sync + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    move |k: &str| map.get(k).cloned()
}

fn aws_env(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.into()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.into()),
        ("AWS_SESSION_TOKEN", SESSION_TOKEN.into()),
        ("AWS_ENDPOINT_URL_SECRETS_MANAGER", endpoint.into()),
    ]
}

#[derive(Default, Clone)]
struct Seen {
    requests: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
}

/// A loopback endpoint that records each request and answers like Secrets Manager.
async fn recording_endpoint(status: u16, answer: &'static str) -> (String, Seen) {
    let seen = Seen::default();
    let recorded = seen.clone();
    let app = axum::Router::new().route(
        "/",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let recorded = recorded.clone();
            async move {
                recorded.requests.lock().unwrap().push((headers, body));
                (
                    axum::http::StatusCode::from_u16(status).unwrap(),
                    [("content-type", "application/x-amz-json-1.1")],
                    answer,
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}"), seen)
}

#[tokio::test]
async fn the_request_is_a_sigv4_signed_get_secret_value_with_the_session_token() {
    let (endpoint, seen) = recording_endpoint(200, r#"{"SecretString":"KEY-from-the-wire"}"#).await;
    let source = SecretsManager::from_lookup(&env(&aws_env(&endpoint))).unwrap();

    let value = common::within(
        Duration::from_secs(10),
        "GetSecretValue",
        source.secret_string("arn:aws:secretsmanager:us-east-1:1:secret:dialer/telnyx"),
    )
    .await
    .unwrap();
    assert_eq!(value, "KEY-from-the-wire");

    let requests = seen.requests.lock().unwrap();
    let (headers, body) = &requests[0];
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    assert_eq!(header("x-amz-target"), "secretsmanager.GetSecretValue");
    assert_eq!(header("content-type"), "application/x-amz-json-1.1");
    assert_eq!(header("x-amz-security-token"), SESSION_TOKEN);
    let date = header("x-amz-date");
    assert_eq!(date.len(), 16, "x-amz-date is yyyymmddThhmmssZ: {date}");
    let authorization = header("authorization");
    let scope = format!(
        "AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/{}/us-east-1/secretsmanager/aws4_request, ",
        &date[..8]
    );
    assert!(authorization.starts_with(&scope), "{authorization}");
    let signed = authorization
        .split("SignedHeaders=")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .unwrap();
    for name in [
        "content-type",
        "host",
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-target",
    ] {
        assert!(signed.split(';').any(|h| h == name), "{name} in {signed}");
    }
    assert!(!authorization.contains(SECRET_KEY));
    let body: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"SecretId": "arn:aws:secretsmanager:us-east-1:1:secret:dialer/telnyx"})
    );
}

#[tokio::test]
async fn a_refusal_reads_as_the_service_error_code() {
    let (endpoint, _) = recording_endpoint(
        400,
        r#"{"__type":"com.amazonaws.secretsmanager#AccessDeniedException","Message":"not allowed"}"#,
    )
    .await;
    let source = SecretsManager::from_lookup(&env(&aws_env(&endpoint))).unwrap();
    let err = source.secret_string("arn:x").await.unwrap_err();
    assert_eq!(err, "AccessDeniedException: not allowed");
}

#[tokio::test]
async fn missing_credentials_are_named_and_an_unreachable_endpoint_fails_fast() {
    let mut without_key = aws_env("http://127.0.0.1:1");
    without_key.retain(|(name, _)| *name != "AWS_SECRET_ACCESS_KEY");
    let Err(err) = SecretsManager::from_lookup(&env(&without_key)) else {
        panic!("built without a secret access key");
    };
    assert_eq!(err, "AWS_SECRET_ACCESS_KEY is not set");

    let closed = format!("http://127.0.0.1:{}", common::closed_port());
    let source = SecretsManager::from_lookup(&env(&aws_env(&closed))).unwrap();
    let err = common::within(
        Duration::from_secs(10),
        "a closed port",
        source.secret_string("arn:x"),
    )
    .await
    .unwrap_err();
    assert!(!err.contains(SECRET_KEY) && !err.contains(SESSION_TOKEN));
    assert!(err.to_lowercase().contains("connect"), "{err}");
}

/// Creates a secret on moto through its JSON protocol. moto does not check signatures, but it
/// picks the service from the credential scope of `Authorization`, so the header names it.
async fn create_secret(endpoint: &str, name: &str, value: &str) -> String {
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/", endpoint.trim_end_matches('/')))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "secretsmanager.CreateSecret")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20261201/us-east-1/secretsmanager/aws4_request, \
             SignedHeaders=host, Signature=0",
        )
        .body(serde_json::json!({"Name": name, "SecretString": value}).to_string())
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["ARN"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn against_moto_named_secrets_become_the_configuration() {
    let test = "against_moto_named_secrets_become_the_configuration";
    let Some(endpoint) = common::standin("AWS_ENDPOINT_URL_SECRETS_MANAGER", test) else {
        return;
    };
    let mongo_arn = create_secret(
        &endpoint,
        &common::unique("dialer/mongo"),
        "mongodb+srv://u:p@cluster.example/\n",
    )
    .await;
    let session_arn = create_secret(
        &endpoint,
        &common::unique("dialer/session"),
        "0123456789abcdef0123456789abcdef",
    )
    .await;
    let mut vars = aws_env(&endpoint);
    vars.push(("MONGODB_URI_SECRET_ID", mongo_arn.clone()));
    vars.push(("SESSION_SECRET_SECRET_ID", session_arn));
    vars.push(("MONGODB_DATABASE", "prod".into()));
    let lookup = env(&vars);
    let source = SecretsManager::from_lookup(&lookup).unwrap();

    let config = common::within(
        Duration::from_secs(20),
        "config_with_secrets",
        config_with_secrets(&lookup, &source),
    )
    .await
    .unwrap();
    assert_eq!(
        config.mongodb_uri.as_ref().map(|s| s.expose()),
        Some("mongodb+srv://u:p@cluster.example/")
    );
    assert_eq!(
        config.session_secret.as_ref().map(|s| s.expose()),
        Some("0123456789abcdef0123456789abcdef")
    );
    assert_eq!(config.mongodb_database, "prod");

    // By name as well as by ARN, as IAM and the template allow.
    let name = common::unique("dialer/telnyx");
    create_secret(&endpoint, &name, "KEY0123").await;
    assert_eq!(source.secret_string(&name).await.unwrap(), "KEY0123");
}

#[tokio::test]
async fn against_moto_a_missing_secret_and_the_placeholder_are_refused_by_name() {
    let test = "against_moto_a_missing_secret_and_the_placeholder_are_refused_by_name";
    let Some(endpoint) = common::standin("AWS_ENDPOINT_URL_SECRETS_MANAGER", test) else {
        return;
    };
    let missing = common::unique("dialer/none");
    let mut vars = aws_env(&endpoint);
    vars.push(("TELNYX_API_KEY_SECRET_ID", missing.clone()));
    let lookup = env(&vars);
    let source = SecretsManager::from_lookup(&lookup).unwrap();
    let err = config_with_secrets(&lookup, &source).await.unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(
            err,
            SecretsError::Fetch {
                var: "TELNYX_API_KEY",
                ..
            }
        ) && text.contains(&missing)
            && text.contains("ResourceNotFoundException"),
        "{text}"
    );

    let placeholder = create_secret(
        &endpoint,
        &common::unique("dialer/telnyx"),
        "SET-ME: aws secretsmanager put-secret-value ...",
    )
    .await;
    let mut vars = aws_env(&endpoint);
    vars.push(("TELNYX_API_KEY_SECRET_ID", placeholder));
    let lookup = env(&vars);
    let err = config_with_secrets(&lookup, &source).await.unwrap_err();
    assert!(
        matches!(
            err,
            SecretsError::Placeholder {
                var: "TELNYX_API_KEY",
                ..
            }
        ),
        "{err}"
    );
}
