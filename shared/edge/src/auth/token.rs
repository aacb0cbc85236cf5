//! Session tokens: compact JWTs (HS256) signed with the deployment's session secret.
//!
//! HS256 is written out here with `hmac`/`sha2` (already in the dependency tree) rather than a
//! JWT crate: the general crates pull RSA and elliptic-curve code into every Lambda zip for one
//! algorithm we use. Verification is constant-time, checks `alg`, and rejects expired tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use domain::user::Role;
use hmac::{Hmac, KeyInit, Mac};
use ports::Secret;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// User id.
    pub sub: String,
    pub role: Role,
    /// Expiry and issue time, Unix seconds.
    pub exp: i64,
    pub iat: i64,
    /// Token id, so a signed-out token can be refused before it expires.
    pub jti: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the session token is malformed")]
    Malformed,
    #[error("the session token's signature is invalid")]
    BadSignature,
    #[error("the session has expired; sign in again")]
    Expired,
}

#[derive(Clone)]
pub struct TokenSigner {
    secret: Secret,
    pub lifetime: Duration,
}

impl TokenSigner {
    /// A secret shorter than 32 bytes would make tokens guessable offline; refuse it.
    pub fn new(secret: Secret, lifetime: Duration) -> Result<Self, &'static str> {
        if secret.expose().len() < 32 {
            return Err("SESSION_SECRET must be at least 32 characters");
        }
        Ok(Self { secret, lifetime })
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(self.secret.expose().as_bytes())
            .expect("HMAC takes keys of any length")
    }

    pub fn issue(&self, user_id: &str, role: Role, now: DateTime<Utc>) -> (String, Claims) {
        let claims = Claims {
            sub: user_id.to_string(),
            role,
            iat: now.timestamp(),
            exp: (now + self.lifetime).timestamp(),
            jti: uuid::Uuid::new_v4().to_string(),
        };
        let payload = serde_json::to_vec(&claims).expect("claims serialise");
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(HEADER),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        (format!("{signing_input}.{signature}"), claims)
    }

    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        let mut parts = token.trim().split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header_json = URL_SAFE_NO_PAD
            .decode(header)
            .map_err(|_| TokenError::Malformed)?;
        let header_value: serde_json::Value =
            serde_json::from_slice(&header_json).map_err(|_| TokenError::Malformed)?;
        // Only our algorithm: "none" or an asymmetric alg must never be honoured.
        if header_value["alg"] != "HS256" {
            return Err(TokenError::BadSignature);
        }
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        let mut mac = self.mac();
        mac.update(header.as_bytes());
        mac.update(b".");
        mac.update(payload.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| TokenError::BadSignature)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Malformed)?;
        let claims: Claims = serde_json::from_slice(&payload).map_err(|_| TokenError::Malformed)?;
        if claims.exp <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> TokenSigner {
        TokenSigner::new(
            Secret::new("0123456789abcdef0123456789abcdef"),
            Duration::hours(8),
        )
        .unwrap()
    }

    #[test]
    fn issued_tokens_verify_until_they_expire() {
        let now = Utc::now();
        let (token, claims) = signer().issue("u1", Role::Agent, now);
        assert_eq!(signer().verify(&token, now), Ok(claims.clone()));
        assert_eq!(
            signer().verify(&token, now + Duration::hours(8)),
            Err(TokenError::Expired)
        );
        assert_eq!(claims.exp - claims.iat, 8 * 3600);
    }

    #[test]
    fn tampered_foreign_and_garbage_tokens_are_refused() {
        let now = Utc::now();
        let (token, _) = signer().issue("u1", Role::Agent, now);
        let other = TokenSigner::new(
            Secret::new("another secret that is long enough!!"),
            Duration::hours(8),
        )
        .unwrap();
        assert_eq!(other.verify(&token, now), Err(TokenError::BadSignature));

        // promote yourself to admin by editing the payload
        let parts: Vec<&str> = token.split('.').collect();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        claims["role"] = "admin".into();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            parts[2]
        );
        assert_eq!(signer().verify(&forged, now), Err(TokenError::BadSignature));

        // alg=none with no signature
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            parts[1]
        );
        assert_eq!(signer().verify(&none, now), Err(TokenError::BadSignature));
        for garbage in ["", "a.b", "a.b.c.d", "!!.!!.!!", &token[..token.len() - 3]] {
            assert!(signer().verify(garbage, now).is_err(), "{garbage}");
        }
        assert!(TokenSigner::new(Secret::new("short"), Duration::hours(1)).is_err());
    }
}
