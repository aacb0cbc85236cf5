//! Sign-in and access control: session tokens, password hashing, and the layer that puts every
//! route behind a role.

pub mod layer;
pub mod password;
pub mod route;
pub mod token;

pub use layer::{AuthLayerState, CurrentUser, protect, require_access};
pub use password::Passwords;
pub use route::{Access, Route};
pub use token::{Claims, TokenError, TokenSigner};
