//! `client_state` carries our call id to Telnyx and back in every webhook of the leg, so an
//! event can be matched to its call even before the dial response stored Telnyx's ids.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use domain::{CallId, Leg};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct ClientState {
    call_id: String,
    /// Absent on the customer's leg (and on every leg dialled before two-leg calls existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    leg: Option<Leg>,
}

/// The customer's leg of a call.
pub fn encode(call_id: CallId) -> String {
    encode_leg(call_id, Leg::Customer)
}

/// One leg of a call: the agent's leg says so, so its events are told apart even before the
/// dial answer stored its call_control_id.
pub fn encode_leg(call_id: CallId, leg: Leg) -> String {
    let json = serde_json::to_vec(&ClientState {
        call_id: call_id.to_string(),
        leg: (leg == Leg::Agent).then_some(leg),
    })
    .expect("a struct of strings always serialises");
    STANDARD.encode(json)
}

/// The call id in a `client_state`, if it is one of ours.
pub fn decode(client_state: &str) -> Option<CallId> {
    decode_leg(client_state).map(|(id, _)| id)
}

/// The call id and the leg in a `client_state`, if it is one of ours.
pub fn decode_leg(client_state: &str) -> Option<(CallId, Leg)> {
    let bytes = STANDARD.decode(client_state.trim()).ok()?;
    let state: ClientState = serde_json::from_slice(&bytes).ok()?;
    Some((state.call_id.parse().ok()?, state.leg.unwrap_or_default()))
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

    #[test]
    fn the_agent_leg_is_named_and_the_customer_leg_keeps_its_old_shape() {
        let id = CallId::new_at(chrono::Utc::now());
        assert_eq!(
            decode_leg(&encode_leg(id, Leg::Agent)),
            Some((id, Leg::Agent))
        );
        assert_eq!(decode_leg(&encode(id)), Some((id, Leg::Customer)));
        let old = STANDARD.encode(format!(r#"{{"call_id":"{id}"}}"#));
        assert_eq!(encode(id), old);
    }
}
