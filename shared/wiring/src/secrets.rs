//! Secrets in AWS. The Telnyx API key lives in AWS Secrets Manager and is read once at cold start
//! into `TELNYX_API_KEY` (`crate::aws_secrets`), never through the template's plain parameters
//! or the database. The app can read it (to show its last four characters) but not change it:
//! rotating it is a deployment action, and an answer saying so beats a write that would silently
//! not survive the next cold start.
//! Locally the embedded store keeps the key instead (`SqliteStore: SecretStore`), so the
//! settings page can set it.

use crate::config::Secret;
use async_trait::async_trait;
use ports::{SECRET_TELNYX_API_KEY, SecretError, SecretStore, StoreError};

pub struct DeploymentSecrets {
    pub telnyx_api_key: Secret,
}

#[async_trait]
impl SecretStore for DeploymentSecrets {
    async fn secret(&self, name: &'static str) -> Result<Option<Secret>, StoreError> {
        Ok(
            (name == SECRET_TELNYX_API_KEY && !self.telnyx_api_key.is_empty())
                .then(|| self.telnyx_api_key.clone()),
        )
    }

    async fn put_secret(&self, name: &'static str, _: Option<&Secret>) -> Result<(), SecretError> {
        Err(SecretError::ReadOnly(name))
    }
}
