//! HTTP faces of the gateway outside `/v2` (the credential API is `api::credentials`): the
//! Verto WebSocket at `/verto` and the media measurement at `/emulator/calls/{id}/media`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::meter::Reading;
use super::peer::lock as lock_stats;
use super::{Gateway, LegState, Legs, Sending, conference_sound, sending_for};
use crate::handle::Emulator;
use crate::state::Core;

type S = State<Arc<Core>>;

pub fn router() -> Router<Emulator> {
    Router::new()
        .route("/verto", get(super::verto::upgrade))
        .route("/emulator/calls/{id}/media", get(media))
}

async fn media(State(core): S, Path(id): Path<String>) -> Response {
    match measurement(&core, &core.gateway, &id) {
        Some(v) => Json(v).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "unknown call"})),
        )
            .into_response(),
    }
}

/// The measurement of one leg. A page's leg reports what the gateway received from the page
/// and what it plays to it. Any other leg reports what its far end "hears" from the page it
/// is bridged (or linked) to, i.e. that page's audio.
pub fn measurement(legs: &dyn Legs, gw: &Gateway, ccid: &str) -> Option<Value> {
    let view = legs.view(ccid)?;
    let st = gw.lock();
    let own = st.legs.get(ccid);
    let webrtc = own.is_some();
    let (source, sending, dtmf) = match own {
        Some(leg) => (
            Some(leg),
            sending_for(&view, lock_stats(&leg.stats).held),
            leg.dtmf.clone(),
        ),
        None => {
            let partner = match &view.conference {
                // In a conference: the first page this leg hears (none: nothing heard).
                Some(c) => c.hears.iter().find(|p| st.legs.contains_key(*p)),
                None => view.bridged_with.as_ref().or(view.link_to.as_ref()),
            };
            let sending = match view.state {
                LegState::Answered if view.conference.is_some() => conference_sound(&view),
                LegState::Answered if view.playback => Sending::HoldMusic,
                LegState::Answered => Sending::Voice,
                _ => Sending::None,
            };
            let dtmf = st.dtmf_sent.get(ccid).cloned().unwrap_or_default();
            (partner.and_then(|p| st.legs.get(p)), sending, dtmf)
        }
    };
    let (reading, packets_sent, held) = match source {
        Some(leg) => {
            let s = lock_stats(&leg.stats);
            // The customer hears only what the page's leg passed on (nothing while held).
            let meter = if webrtc { &s.received } else { &s.forwarded };
            (meter.reading(), s.packets_sent, s.held)
        }
        None => (Reading::default(), 0, false),
    };
    let agent = webrtc || view.linked_by_any;
    let mut v = json!({
        "call_control_id": ccid,
        "leg": if agent { "agent" } else { "customer" },
        "webrtc": webrtc,
        "sending": sending,
        "hold_music": view.playback,
        "dtmf_received": dtmf,
        "held": held,
        "packets_sent": packets_sent,
    });
    let r = serde_json::to_value(reading).expect("reading serialises");
    if let (Value::Object(v), Value::Object(r)) = (&mut v, r) {
        v.extend(r);
    }
    Some(v)
}
