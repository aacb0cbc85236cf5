//! Conformance tests: the emulator over real HTTP, checked against the Telnyx reference.

mod common;

mod api;
mod chaos;
mod delivery;
mod faults;
mod limits;
mod media;
mod messages;
mod numbers;
mod scenarios;
mod webrtc;
mod webrtc_peer;
