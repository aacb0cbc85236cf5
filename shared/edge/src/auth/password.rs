//! Password hashing with Argon2id (OWASP's first choice), PHC strings stored.

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};

#[derive(Clone)]
pub struct Passwords {
    params: Params,
}

impl Passwords {
    /// OWASP's recommended Argon2id settings: 19 MiB, 2 passes, 1 lane.
    pub fn recommended() -> Self {
        Self {
            params: Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters"),
        }
    }

    /// Cheap settings for tests only: hashing at full cost in debug builds takes seconds.
    pub fn for_tests() -> Self {
        Self {
            params: Params::new(256, 1, 1, None).expect("valid Argon2 parameters"),
        }
    }

    fn argon(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    pub fn hash(&self, password: &str) -> String {
        let mut salt = [0u8; 16];
        rand::fill(&mut salt);
        self.argon()
            .hash_password_with_salt(password.as_bytes(), &salt)
            .expect("hashing with valid parameters succeeds")
            .to_string()
    }

    /// Checks with the parameters stored in the hash, so old hashes keep verifying after the
    /// recommended settings change.
    pub fn verify(&self, password: &str, stored: &str) -> bool {
        let Ok(parsed) = stored.parse::<PasswordHash>() else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_the_right_password_and_are_salted() {
        let p = Passwords::for_tests();
        let a = p.hash("correct horse battery");
        let b = p.hash("correct horse battery");
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$"));
        assert!(p.verify("correct horse battery", &a));
        assert!(!p.verify("correct horse battery!", &a));
        assert!(!p.verify("correct horse battery", "not a hash"));
    }
}
