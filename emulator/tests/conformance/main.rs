//! Conformance tests: the emulator over real HTTP, checked against the Telnyx reference.

mod common;

mod api;
mod chaos;
mod conferences;
mod delivery;
mod faults;
mod inbound;
mod limits;
mod media;
mod messages;
mod numbers;
mod scenarios;
mod webrtc;
