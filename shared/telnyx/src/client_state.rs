//! `client_state` carries our call id to Telnyx and back in every webhook of the leg, so an
//! event can be matched to its call even before the dial response stored Telnyx's ids.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use domain::CallId;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct ClientState {
    call_id: String,
}

pub fn encode(call_id: CallId) -> String {
    let json = serde_json::to_vec(&ClientState {
        call_id: call_id.to_string(),
    })
    .expect("a struct of one string always serialises");
    STANDARD.encode(json)
}

/// The call id in a `client_state`, if it is one of ours.
pub fn decode(client_state: &str) -> Option<CallId> {
    let bytes = STANDARD.decode(client_state.trim()).ok()?;
    let state: ClientState = serde_json::from_slice(&bytes).ok()?;
    state.call_id.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_foreign_states() {
        let id = CallId::new_at(chrono::Utc::now());
        assert_eq!(decode(&encode(id)), Some(id));
        assert_eq!(decode("aGF2ZSBhIG5pY2UgZGF5ID1d"), None);
        assert_eq!(decode("not base64!"), None);
        assert_eq!(decode(""), None);
    }
}
