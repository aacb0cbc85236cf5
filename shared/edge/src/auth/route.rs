//! A route and who may call it. Every function's route table ([`crate::RouteTable`]) pairs each
//! route with its handler.

use domain::user::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No sign-in: health, the signature-verified webhook, sign-in itself.
    Public,
    /// Signed in with at least this role.
    Role(Role),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

impl Route {
    /// No sign-in: health, the signature-verified webhook, sign-in itself.
    pub const fn public(method: &'static str, path: &'static str) -> Self {
        Self {
            method,
            path,
            access: Access::Public,
        }
    }

    /// Any signed-in user: dial, controls, contacts, call logs.
    pub const fn agent(method: &'static str, path: &'static str) -> Self {
        Self {
            method,
            path,
            access: Access::Role(Role::Agent),
        }
    }

    /// Administrators: settings, numbers, users, the audit trail.
    pub const fn admin(method: &'static str, path: &'static str) -> Self {
        Self {
            method,
            path,
            access: Access::Role(Role::Admin),
        }
    }
}
