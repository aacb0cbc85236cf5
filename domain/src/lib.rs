//! The dialer's domain: values parsed once at the edge, the call and its status machine, and how
//! a Telnyx event changes a call. Nothing here performs I/O, so every rule is unit-testable.

pub mod call;
pub mod event;
pub mod phone;

pub use call::{
    AnsweredBy, Call, CallControls, CallId, CallStatus, DialFailure, Hangup, Outcome, Recording,
    TelnyxLeg,
};
pub use event::{CallEvent, CallEventKind};
pub use phone::{PhoneError, PhoneNumber};
