//! Sign-in and access control: session tokens, password hashing, the ports they need, and the
//! layer that puts every route behind a role.

pub mod layer;
pub mod password;
pub mod ports;
pub mod route;
pub mod token;

pub use layer::{Access, AuthLayerState, CurrentUser, protect, require_access};
pub use password::Passwords;
pub use route::Route;
pub use token::{Claims, TokenError, TokenSigner};
