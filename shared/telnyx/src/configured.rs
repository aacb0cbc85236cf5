//! The Telnyx client as the team configured it: the API key and connection saved through
//! `PUT /api/settings` win over the deployment's environment, so changing them in the app takes
//! effect on the next command without a redeploy.

use crate::client::TelnyxHttp;
use async_trait::async_trait;
use domain::{PhoneNumber, TelnyxLeg};
use ports::Secret;
use ports::{
    AvailableNumber, CallAction, CallControl, DialCommand, NumberInventory, NumberOrder,
    NumberSearch, OwnedNumber, SECRET_TELNYX_API_KEY, SecretStore, SettingsStore, TelnyxError,
};
use std::sync::{Arc, Mutex};

/// What the deployment provides (environment / emulator), used for anything not set in the app.
#[derive(Clone)]
pub struct TelnyxDefaults {
    pub api_base: String,
    pub api_key: Secret,
    pub connection_id: String,
    pub webhook_url: Option<String>,
}

/// (API key, connection id) a client was built for.
type Credentials = (String, String);

pub struct ConfiguredTelnyx {
    defaults: TelnyxDefaults,
    settings: Arc<dyn SettingsStore>,
    secrets: Arc<dyn SecretStore>,
    /// The last client built, reused while the credentials stay the same (keeps its pool).
    client: Mutex<Option<(Credentials, Arc<TelnyxHttp>)>>,
}

impl ConfiguredTelnyx {
    pub fn new(
        defaults: TelnyxDefaults,
        settings: Arc<dyn SettingsStore>,
        secrets: Arc<dyn SecretStore>,
    ) -> Self {
        Self {
            defaults,
            settings,
            secrets,
            client: Mutex::new(None),
        }
    }

    /// The client for the credentials in force now. A store outage falls back to the
    /// deployment's credentials rather than failing calls.
    pub async fn client(&self) -> Result<Arc<TelnyxHttp>, TelnyxError> {
        let key = match self.secrets.secret(SECRET_TELNYX_API_KEY).await {
            Ok(Some(k)) if !k.is_empty() => k,
            Ok(_) => self.defaults.api_key.clone(),
            Err(e) => {
                tracing::warn!(error = %e, "secret store unavailable; using the deployment's Telnyx key");
                self.defaults.api_key.clone()
            }
        };
        let connection = match self.settings.load_settings().await {
            Ok(s) => s.telnyx_connection_id,
            Err(e) => {
                tracing::warn!(error = %e, "settings unavailable; using the deployment's connection");
                None
            }
        }
        .unwrap_or_else(|| self.defaults.connection_id.clone());
        let wanted: Credentials = (key.expose().to_string(), connection.clone());
        if let Ok(guard) = self.client.lock()
            && let Some((creds, client)) = guard.as_ref()
            && *creds == wanted
        {
            return Ok(client.clone());
        }
        let client = Arc::new(
            TelnyxHttp::new(
                &self.defaults.api_base,
                key,
                connection,
                self.defaults.webhook_url.clone(),
            )
            .map_err(|e| TelnyxError::Unavailable(e.to_string()))?,
        );
        if let Ok(mut guard) = self.client.lock() {
            *guard = Some((wanted, client.clone()));
        }
        Ok(client)
    }
}

#[async_trait]
impl CallControl for ConfiguredTelnyx {
    async fn dial(&self, command: &DialCommand) -> Result<TelnyxLeg, TelnyxError> {
        self.client().await?.dial(command).await
    }

    async fn act(
        &self,
        call_control_id: &str,
        action: &CallAction,
        command_id: &str,
    ) -> Result<(), TelnyxError> {
        self.client()
            .await?
            .act(call_control_id, action, command_id)
            .await
    }

    async fn recording_link(
        &self,
        recording_id: &str,
        format: Option<&str>,
    ) -> Result<String, TelnyxError> {
        self.client()
            .await?
            .recording_link(recording_id, format)
            .await
    }
}

#[async_trait]
impl ports::WebRtcAccounts for ConfiguredTelnyx {
    async fn create_credential(
        &self,
        connection_id: &str,
        name: &str,
    ) -> Result<domain::user::WebRtcCredential, TelnyxError> {
        self.client()
            .await?
            .create_credential(connection_id, name)
            .await
    }

    async fn credential_token(&self, credential_id: &str) -> Result<ports::Secret, TelnyxError> {
        self.client().await?.credential_token(credential_id).await
    }

    async fn delete_credential(&self, credential_id: &str) -> Result<(), TelnyxError> {
        self.client().await?.delete_credential(credential_id).await
    }
}

#[async_trait]
impl NumberInventory for ConfiguredTelnyx {
    async fn owned_numbers(&self) -> Result<Vec<OwnedNumber>, TelnyxError> {
        self.client().await?.owned_numbers().await
    }

    async fn available_numbers(
        &self,
        search: &NumberSearch,
    ) -> Result<Vec<AvailableNumber>, TelnyxError> {
        self.client().await?.available_numbers(search).await
    }

    async fn order_numbers(&self, numbers: &[PhoneNumber]) -> Result<NumberOrder, TelnyxError> {
        self.client().await?.order_numbers(numbers).await
    }
}
