//! Helpers for tests of software that talks to the emulator.

#[cfg(feature = "test-peer")]
pub mod test_peer;
