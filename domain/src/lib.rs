//! The dialer's domain: values parsed once at the edge, the call and its status machine, and how
//! a Telnyx event changes a call. Nothing here performs I/O, so every rule is unit-testable.

pub mod call;
pub mod contact;
pub mod cost;
pub mod csv;
pub mod event;
pub mod history;
pub mod import;
pub mod phone;
pub mod policy;
pub mod settings;
pub mod user;

pub use call::{
    AgentLeg, AnsweredBy, Call, CallControls, CallId, CallStatus, ControlRefusal, DialFailure,
    Hangup, Leg, LegStatus, NextAction, Outcome, Phase, Recording, RecordingState, TelnyxLeg,
};
pub use contact::{Contact, ContactDraft, ContactInput, SearchTerms};
pub use event::{CallEvent, CallEventKind};
pub use history::{CallFacts, HistoryStatus, Summary, Tally};
pub use phone::{NumberKind, PhoneError, PhoneNumber};
