//! Credential connections, telephony credentials and their login tokens (JWTs), as the
//! WebRTC SDK's `login_token` needs them. Tokens are EdDSA JWTs signed with the emulator's
//! webhook key, so the Verto endpoint can check them without keeping a list.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::time::rfc3339;

/// A token lives 24 h or until its credential expires, whichever comes first.
pub const TOKEN_TTL_HOURS: i64 = 24;

#[derive(Clone, Debug)]
pub struct Connection {
    pub id: String,
    pub connection_name: String,
    pub user_name: String,
    pub sip_uri_calling_preference: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct Credential {
    pub id: String,
    pub connection_id: String,
    pub name: Option<String>,
    pub tag: Option<String>,
    pub sip_username: String,
    pub sip_password: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Credential {
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|e| e <= now)
    }
}

/// A credential connection's validated body.
pub struct NewConnection {
    pub connection_name: String,
    pub user_name: String,
    pub sip_uri_calling_preference: String,
}

/// A telephony credential's validated body.
pub struct NewCredential {
    pub connection_id: String,
    pub name: Option<String>,
    pub tag: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct Store {
    connections: BTreeMap<String, Connection>,
    credentials: BTreeMap<String, Credential>,
    seq: u64,
}

fn random_alnum(n: usize) -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..n)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

impl Store {
    /// Adds a connection whose body has been validated; a taken `user_name` is refused.
    pub fn create_connection(&mut self, new: NewConnection) -> ApiResult<Value> {
        if self
            .connections
            .values()
            .any(|c| c.user_name == new.user_name)
        {
            return Err(ApiError::invalid_value(
                "user_name",
                "This user_name is already taken.",
            ));
        }
        self.seq += 1;
        let c = Connection {
            id: format!("{}", 2_800_000_000_000_000_000u64 + self.seq),
            connection_name: new.connection_name,
            user_name: new.user_name,
            sip_uri_calling_preference: new.sip_uri_calling_preference,
            created_at: Utc::now(),
        };
        let v = connection_json(&c);
        self.connections.insert(c.id.clone(), c);
        Ok(v)
    }

    pub fn connection(&self, id: &str) -> ApiResult<Value> {
        self.connections
            .get(id)
            .map(connection_json)
            .ok_or_else(|| ApiError::not_found("credential connection"))
    }

    /// Adds a credential on an existing connection (else Telnyx's 422 on `connection_id`).
    pub fn create_credential(&mut self, new: NewCredential) -> ApiResult<Value> {
        if !self.connections.contains_key(&new.connection_id) {
            return Err(ApiError::invalid_value(
                "connection_id",
                "The connection_id is not a credential connection of this account.",
            ));
        }
        let c = Credential {
            id: uuid::Uuid::new_v4().to_string(),
            connection_id: new.connection_id,
            name: new.name,
            tag: new.tag,
            sip_username: format!("gencred{}", random_alnum(26)),
            sip_password: random_alnum(32),
            expires_at: new.expires_at,
            created_at: Utc::now(),
        };
        let v = credential_json(&c);
        self.credentials.insert(c.id.clone(), c);
        Ok(v)
    }

    pub fn credential(&self, id: &str) -> ApiResult<&Credential> {
        self.credentials
            .get(id)
            .ok_or_else(|| ApiError::not_found("telephony credential"))
    }

    pub fn credential_value(&self, id: &str) -> ApiResult<Value> {
        self.credential(id).map(credential_json)
    }

    pub fn delete_credential(&mut self, id: &str) -> ApiResult<Value> {
        let c = self
            .credentials
            .remove(id)
            .ok_or_else(|| ApiError::not_found("telephony credential"))?;
        Ok(credential_json(&c))
    }

    /// Connections, oldest first, whose name contains `name` (if given).
    pub fn connections(&self, name: Option<&str>) -> Vec<Value> {
        let mut v: Vec<&Connection> = self
            .connections
            .values()
            .filter(|c| name.is_none_or(|n| c.connection_name.contains(n)))
            .collect();
        v.sort_by_key(|c| c.created_at);
        v.into_iter().map(connection_json).collect()
    }

    /// Credentials, oldest first, matching every filter given: `(field, value)` with field
    /// one of `tag`, `name`, `sip_username`, `resource_id`, `status` (`active`/`expired`).
    pub fn credentials(&self, filters: &[(&str, &str)]) -> Vec<Value> {
        let now = Utc::now();
        let mut v: Vec<&Credential> = self
            .credentials
            .values()
            .filter(|c| {
                filters.iter().all(|(k, want)| match *k {
                    "tag" => c.tag.as_deref() == Some(*want),
                    "name" => c.name.as_deref() == Some(*want),
                    "sip_username" => c.sip_username == *want,
                    "resource_id" => format!("connection:{}", c.connection_id) == *want,
                    "status" => (if c.expired(now) { "expired" } else { "active" }) == *want,
                    _ => true,
                })
            })
            .collect();
        v.sort_by_key(|c| c.created_at);
        v.into_iter().map(credential_json).collect()
    }

    /// The live credential a SIP username belongs to, if any.
    pub fn by_sip_username(&self, user: &str) -> Option<&Credential> {
        self.credentials
            .values()
            .find(|c| c.sip_username == user && !c.expired(Utc::now()))
    }
}

fn connection_json(c: &Connection) -> Value {
    json!({
        "id": c.id,
        "record_type": "credential_connection",
        "active": true,
        "connection_name": c.connection_name,
        "user_name": c.user_name,
        "sip_uri_calling_preference": c.sip_uri_calling_preference,
        "anchorsite_override": "Latency",
        "webhook_api_version": "2",
        "webhook_event_url": null,
        "outbound": {"call_parking_enabled": false},
        "created_at": rfc3339(c.created_at),
        "updated_at": rfc3339(c.created_at),
    })
}

fn credential_json(c: &Credential) -> Value {
    json!({
        "id": c.id,
        "record_type": "credential",
        "name": c.name,
        "tag": c.tag,
        "resource_id": format!("connection:{}", c.connection_id),
        "sip_username": c.sip_username,
        "sip_password": c.sip_password,
        "expired": c.expired(Utc::now()),
        "expires_at": c.expires_at.map(rfc3339),
        "user_id": "emulator-user",
        "created_at": rfc3339(c.created_at),
        "updated_at": rfc3339(c.created_at),
    })
}

/// A login token for `c`: EdDSA JWT with Telnyx's claim names; `sub` is the SIP username.
pub fn issue_token(key: &SigningKey, c: &Credential, now: DateTime<Utc>) -> String {
    let mut exp = now + Duration::hours(TOKEN_TTL_HOURS);
    if let Some(e) = c.expires_at {
        exp = exp.min(e);
    }
    let header = json!({"alg": "EdDSA", "typ": "JWT"});
    let claims = json!({
        "aud": "telnyx_telephony",
        "iss": "telnyx_telephony",
        "sub": c.sip_username,
        "credential_id": c.id,
        "tel_token": uuid::Uuid::new_v4().to_string(),
        "typ": "access",
        "iat": now.timestamp(),
        "nbf": now.timestamp() - 1,
        "exp": exp.timestamp(),
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let sig = key.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
}

/// Why a token is refused at login.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    BadSignature,
    Expired,
}

/// Checks signature and time; returns the SIP username (`sub`).
pub fn verify_token(
    key: &SigningKey,
    token: &str,
    now: DateTime<Utc>,
) -> Result<String, TokenError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    let sig = URL_SAFE_NO_PAD
        .decode(s)
        .ok()
        .and_then(|b| Signature::from_slice(&b).ok())
        .ok_or(TokenError::Malformed)?;
    key.verifying_key()
        .verify(format!("{h}.{p}").as_bytes(), &sig)
        .map_err(|_| TokenError::BadSignature)?;
    let claims: Value = URL_SAFE_NO_PAD
        .decode(p)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(TokenError::Malformed)?;
    let exp = claims["exp"].as_i64().ok_or(TokenError::Malformed)?;
    if exp <= now.timestamp() {
        return Err(TokenError::Expired);
    }
    claims["sub"]
        .as_str()
        .map(str::to_string)
        .ok_or(TokenError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cred(expires_at: Option<DateTime<Utc>>) -> Credential {
        Credential {
            id: "c1".into(),
            connection_id: "1".into(),
            name: None,
            tag: None,
            sip_username: "gencredabc".into(),
            sip_password: "p".into(),
            expires_at,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn token_round_trips_and_rejects_tampering_and_expiry() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let now = Utc::now();
        let t = issue_token(&key, &cred(None), now);
        assert_eq!(verify_token(&key, &t, now).unwrap(), "gencredabc");
        let other = SigningKey::from_bytes(&[8; 32]);
        assert_eq!(verify_token(&other, &t, now), Err(TokenError::BadSignature));
        assert_eq!(
            verify_token(&key, &t, now + Duration::hours(25)),
            Err(TokenError::Expired)
        );
        assert_eq!(verify_token(&key, "a.b", now), Err(TokenError::Malformed));
    }

    #[test]
    fn token_never_outlives_its_credential() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let now = Utc::now();
        let t = issue_token(&key, &cred(Some(now + Duration::minutes(5))), now);
        assert!(verify_token(&key, &t, now + Duration::minutes(4)).is_ok());
        assert_eq!(
            verify_token(&key, &t, now + Duration::minutes(6)),
            Err(TokenError::Expired)
        );
    }
}
