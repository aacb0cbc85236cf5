//! Secrets read at cold start, by name, from AWS Secrets Manager.
//!
//! The SAM template never puts a secret in a function's environment: for each secret a function
//! uses, it sets `<NAME>_SECRET_ID` to the ARN of a Secrets Manager secret of the stack (e.g.
//! `MONGODB_URI_SECRET_ID`) and IAM lets that function read exactly those secrets. At cold start
//! [`resolve`] reads them once and overlays them on the environment, so [`Config`] sees the same
//! names everywhere (`MONGODB_URI`, `TELNYX_API_KEY`, …). A value set directly in the
//! environment wins (a laptop, the local stack, a test), so nothing changes off AWS.
//!
//! The fetch itself sits behind [`SecretSource`]; the Secrets Manager client is compiled only
//! with the `aws-secrets` feature. `Wiring::from_env_and_secrets` is the entry point for mains.
//!
//! A secret whose value still starts with [`PLACEHOLDER_PREFIX`] (what the template creates for
//! the values the operator supplies) is refused with a message saying which secret to set:
//! better a cold start that fails loudly than a dialer that calls Telnyx with `SET-ME`.

use crate::config::{Config, ConfigError};
use async_trait::async_trait;
use std::collections::HashMap;

/// The secrets the functions know by name, and the variable naming each one's secret.
pub const SECRET_VARS: [(&str, &str); 4] = [
    ("TELNYX_API_KEY", "TELNYX_API_KEY_SECRET_ID"),
    ("MONGODB_URI", "MONGODB_URI_SECRET_ID"),
    ("SESSION_SECRET", "SESSION_SECRET_SECRET_ID"),
    ("ADMIN_PASSWORD", "ADMIN_PASSWORD_SECRET_ID"),
];

/// The template's initial value for secrets the operator must set.
pub const PLACEHOLDER_PREFIX: &str = "SET-ME";

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// The secret could not be read (permissions, network, no such secret). `id` is the ARN or
    /// name, which is not secret; the value never appears in an error.
    #[error("reading {var} from secret {id}: {reason}")]
    Fetch {
        var: &'static str,
        id: String,
        reason: String,
    },
    #[error(
        "{var}: secret {id} still holds the deployment placeholder; set it with \
         `aws secretsmanager put-secret-value --secret-id {id} --secret-string ...` \
         (docs/deploy.md, \"Set the secrets\")"
    )]
    Placeholder { var: &'static str, id: String },
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// Where secret values come from: Secrets Manager in AWS, a map in tests.
#[async_trait]
pub trait SecretSource: Send + Sync {
    /// The secret's current string value. Errors are short and never contain the value.
    async fn secret_string(&self, id: &str) -> Result<String, String>;
}

/// The secret values to overlay on the environment: for each of [`SECRET_VARS`] that the
/// environment does not set itself but names a secret for. Fetches run one after the other:
/// a cold start reads at most four.
pub async fn resolve(
    lookup: &(dyn Fn(&str) -> Option<String> + Sync),
    source: &dyn SecretSource,
) -> Result<HashMap<&'static str, String>, SecretsError> {
    let present = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
    let mut values = HashMap::new();
    for (var, id_var) in SECRET_VARS {
        if present(var).is_some() {
            continue;
        }
        let Some(id) = present(id_var) else { continue };
        let value = source
            .secret_string(&id)
            .await
            .map_err(|reason| SecretsError::Fetch {
                var,
                id: id.clone(),
                reason,
            })?;
        if value.trim_start().starts_with(PLACEHOLDER_PREFIX) {
            return Err(SecretsError::Placeholder { var, id });
        }
        values.insert(var, value.trim().to_string());
    }
    Ok(values)
}

/// [`Config`] from `lookup` with the secrets it names read from `source`.
pub async fn config_with_secrets(
    lookup: &(dyn Fn(&str) -> Option<String> + Sync),
    source: &dyn SecretSource,
) -> Result<Config, SecretsError> {
    let secrets = resolve(lookup, source).await?;
    Ok(Config::from_lookup(|name| {
        secrets.get(name).cloned().or_else(|| lookup(name))
    })?)
}

/// Whether the environment names any secret (the function runs in the deployed stack).
pub fn names_secrets(lookup: &dyn Fn(&str) -> Option<String>) -> bool {
    SECRET_VARS
        .iter()
        .any(|(_, id_var)| lookup(id_var).is_some_and(|v| !v.trim().is_empty()))
}

pub use self::secrets_manager::SecretsManager;

mod secrets_manager {
    use super::SecretSource;
    use async_trait::async_trait;
    use aws_credential_types::Credentials;
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;
    use std::time::{Duration, SystemTime};

    const TARGET: &str = "secretsmanager.GetSecretValue";
    const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

    /// Secrets Manager's `GetSecretValue`, signed with SigV4 by the execution role's credentials.
    ///
    /// Lambda hands a function its role's credentials in the environment (`AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) and its region in `AWS_REGION`, so the SDK's
    /// credential chain (profiles, SSO, IMDS, …) would be dead weight here. The endpoint follows
    /// the SDK's variables (`AWS_ENDPOINT_URL_SECRETS_MANAGER`, then `AWS_ENDPOINT_URL`), which
    /// is how the rehearsal and the tests point it at a local stand-in.
    pub struct SecretsManager {
        http: reqwest::Client,
        endpoint: String,
        region: String,
        credentials: Credentials,
    }

    impl SecretsManager {
        pub fn from_env() -> Result<Self, String> {
            Self::from_lookup(&|name| std::env::var(name).ok())
        }

        /// Errors name the missing variable, never a credential.
        pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Self, String> {
            let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
            let require = |name: &str| get(name).ok_or_else(|| format!("{name} is not set"));
            let region = get("AWS_REGION")
                .or_else(|| get("AWS_DEFAULT_REGION"))
                .ok_or("AWS_REGION is not set")?;
            let credentials = Credentials::new(
                require("AWS_ACCESS_KEY_ID")?,
                require("AWS_SECRET_ACCESS_KEY")?,
                get("AWS_SESSION_TOKEN"),
                None,
                "environment",
            );
            let endpoint = get("AWS_ENDPOINT_URL_SECRETS_MANAGER")
                .or_else(|| get("AWS_ENDPOINT_URL"))
                .unwrap_or_else(|| format!("https://secretsmanager.{region}.amazonaws.com"));
            let http = reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(1))
                .timeout(Duration::from_secs(5))
                .build()
                .map_err(|e| format!("HTTP client: {e}"))?;
            Ok(Self {
                http,
                endpoint: format!("{}/", endpoint.trim_end_matches('/')),
                region,
                credentials,
            })
        }

        fn signed_request(&self, body: Vec<u8>) -> Result<reqwest::Request, String> {
            let mut request = http::Request::post(&self.endpoint)
                .header(http::header::CONTENT_TYPE, CONTENT_TYPE)
                .header("x-amz-target", TARGET)
                .body(body)
                .map_err(|e| format!("endpoint {}: {e}", self.endpoint))?;
            let identity = self.credentials.clone().into();
            let params = v4::SigningParams::builder()
                .identity(&identity)
                .region(&self.region)
                .name("secretsmanager")
                .time(SystemTime::now())
                .settings(SigningSettings::default())
                .build()
                .map_err(|e| format!("signing: {e}"))?
                .into();
            let headers = request
                .headers()
                .iter()
                .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)));
            let signable = SignableRequest::new(
                request.method().as_str(),
                request.uri().to_string(),
                headers,
                SignableBody::Bytes(request.body()),
            )
            .map_err(|e| format!("signing: {e}"))?;
            let (instructions, _) = sign(signable, &params)
                .map_err(|e| format!("signing: {e}"))?
                .into_parts();
            instructions.apply_to_request_http1x(&mut request);
            reqwest::Request::try_from(request).map_err(|e| format!("request: {e}"))
        }
    }

    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(rename = "SecretString")]
        secret_string: Option<String>,
    }

    /// The AWS JSON protocol's error body: `__type` is the code, sometimes prefixed with a
    /// namespace (`com.amazonaws.secretsmanager#ResourceNotFoundException`).
    #[derive(serde::Deserialize)]
    struct Failure {
        #[serde(rename = "__type")]
        kind: Option<String>,
        #[serde(alias = "Message")]
        message: Option<String>,
    }

    pub(super) fn describe_failure(status: u16, body: &[u8]) -> String {
        let Ok(failure) = serde_json::from_slice::<Failure>(body) else {
            return format!("HTTP {status}");
        };
        let kind = failure
            .kind
            .as_deref()
            .map(|k| k.rsplit('#').next().unwrap_or(k).to_string())
            .unwrap_or_else(|| format!("HTTP {status}"));
        match failure.message {
            Some(message) if !message.is_empty() => format!("{kind}: {message}"),
            _ => kind,
        }
    }

    #[async_trait]
    impl SecretSource for SecretsManager {
        async fn secret_string(&self, id: &str) -> Result<String, String> {
            let body = serde_json::to_vec(&serde_json::json!({ "SecretId": id }))
                .map_err(|e| e.to_string())?;
            let request = self.signed_request(body)?;
            let response = self.http.execute(request).await.map_err(|e| {
                // reqwest's Display stops at "error sending request"; the cause says why.
                match std::error::Error::source(&e) {
                    Some(cause) => format!("{e}: {cause}"),
                    None => e.to_string(),
                }
            })?;
            let status = response.status();
            let body = response.bytes().await.map_err(|e| e.to_string())?;
            if !status.is_success() {
                return Err(describe_failure(status.as_u16(), &body));
            }
            let answer: Answer = serde_json::from_slice(&body)
                .map_err(|e| format!("unreadable GetSecretValue answer: {e}"))?;
            answer.secret_string.ok_or_else(|| {
                "the secret has no string value (binary secrets are not used)".into()
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct FakeSource {
        values: HashMap<String, String>,
        asked: Mutex<Vec<String>>,
    }

    #[async_trait]
    impl SecretSource for FakeSource {
        async fn secret_string(&self, id: &str) -> Result<String, String> {
            self.asked.lock().unwrap().push(id.to_string());
            self.values
                .get(id)
                .cloned()
                .ok_or_else(|| "ResourceNotFoundException".to_string())
        }
    }

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Sync + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    fn source(pairs: &[(&str, &str)]) -> FakeSource {
        FakeSource {
            values: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn named_secrets_become_the_usual_configuration() {
        let lookup = env(&[
            ("MONGODB_URI_SECRET_ID", "arn:mongo"),
            ("TELNYX_API_KEY_SECRET_ID", "arn:telnyx"),
            ("MONGODB_DATABASE", "prod"),
        ]);
        let src = source(&[
            ("arn:mongo", "mongodb+srv://u:p@cluster/\n"),
            ("arn:telnyx", "KEYabc123"),
        ]);
        let config = config_with_secrets(&lookup, &src).await.unwrap();
        assert_eq!(
            config.mongodb_uri.as_ref().map(|s| s.expose()),
            Some("mongodb+srv://u:p@cluster/")
        );
        assert_eq!(config.telnyx_api_key.expose(), "KEYabc123");
        assert_eq!(config.mongodb_database, "prod");
        assert!(names_secrets(&lookup));
    }

    #[tokio::test]
    async fn a_value_in_the_environment_wins_and_nothing_is_fetched() {
        let lookup = env(&[
            ("MONGODB_URI", "mongodb://127.0.0.1:27017"),
            ("MONGODB_URI_SECRET_ID", "arn:mongo"),
        ]);
        let src = source(&[]);
        let config = config_with_secrets(&lookup, &src).await.unwrap();
        assert_eq!(
            config.mongodb_uri.unwrap().expose(),
            "mongodb://127.0.0.1:27017"
        );
        assert!(src.asked.lock().unwrap().is_empty());
        // And without any secret named, nothing is fetched either.
        let lookup = env(&[("PORT", "8080")]);
        assert!(!names_secrets(&lookup));
        assert!(resolve(&lookup, &src).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn the_template_placeholder_is_refused_by_name() {
        let lookup = env(&[("TELNYX_API_KEY_SECRET_ID", "arn:telnyx")]);
        let src = source(&[(
            "arn:telnyx",
            "SET-ME: aws secretsmanager put-secret-value ...",
        )]);
        let err = resolve(&lookup, &src).await.unwrap_err();
        assert!(matches!(
            err,
            SecretsError::Placeholder {
                var: "TELNYX_API_KEY",
                ..
            }
        ));
        let text = err.to_string();
        assert!(
            text.contains("arn:telnyx") && text.contains("put-secret-value"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn a_failed_read_names_the_secret_not_its_value() {
        let lookup = env(&[("SESSION_SECRET_SECRET_ID", "arn:missing")]);
        let err = resolve(&lookup, &source(&[])).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "reading SESSION_SECRET from secret arn:missing: ResourceNotFoundException"
        );
    }
}
