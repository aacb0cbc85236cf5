//! The call as the API shows it (the seed's status shape, design.md "HTTP contract").

use chrono::{DateTime, SecondsFormat, Utc};
use domain::{Call, CallControls};
use serde::{Serialize, Serializer};

fn rfc3339<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Millis, true)),
        None => s.serialize_none(),
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ContactRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FailureView {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CallView {
    pub call_id: String,
    pub status: &'static str,
    pub outcome: Option<&'static str>,
    pub answered_by: Option<domain::AnsweredBy>,
    pub from_number: String,
    pub to_number: String,
    pub contact: Option<ContactRef>,
    #[serde(serialize_with = "rfc3339")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "rfc3339")]
    pub answered_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "rfc3339")]
    pub ended_at: Option<DateTime<Utc>>,
    /// Talk time in whole seconds; live while the call is active.
    pub duration: i64,
    pub muted: bool,
    pub on_hold: bool,
    pub speaker: bool,
    /// Our URL for the audio (it fetches a fresh Telnyx link on every request).
    pub recording_url: Option<String>,
    /// `recording` while Telnyx records, `processing` until it delivers the file after the
    /// call, `available`, `failed`; null when the call is not recorded.
    pub recording_status: Option<&'static str>,
    pub hangup_cause: Option<String>,
    pub hangup_source: Option<String>,
    pub sip_hangup_cause: Option<String>,
    #[serde(serialize_with = "rfc3339")]
    pub hangup_requested_at: Option<DateTime<Utc>>,
    pub failure: Option<FailureView>,
    pub controls: CallControls,
    /// `none` (the customer only), `browser` or `phone`.
    pub agent_mode: domain::settings::AgentMode,
    /// Progress over both legs: `calling_agent` … `connected`, `ended`.
    pub phase: &'static str,
    pub agent_leg: Option<AgentLegView>,
    /// The id of the user who placed the call; null for calls placed without a user (the
    /// team API key).
    pub placed_by: Option<String>,
}

/// The agent's leg of a two-leg call.
#[derive(Debug, Clone, Serialize)]
pub struct AgentLegView {
    pub call_control_id: Option<String>,
    pub status: &'static str,
    #[serde(serialize_with = "rfc3339")]
    pub answered_at: Option<DateTime<Utc>>,
    #[serde(serialize_with = "rfc3339")]
    pub ended_at: Option<DateTime<Utc>>,
    pub hangup_cause: Option<String>,
}

impl CallView {
    pub fn new(call: &Call, contact: Option<ContactRef>, now: DateTime<Utc>) -> Self {
        // When the agent's leg is why the call ended, its hangup is the call's.
        let agent_hangup = call
            .agent
            .as_ref()
            .filter(|_| call.ended_at_agent())
            .and_then(|a| a.hangup.as_ref());
        let hangup = call.hangup.as_ref().or(agent_hangup);
        let agent_failure = call
            .agent
            .as_ref()
            .filter(|_| call.ended_at_agent())
            .and_then(|a| a.dial_failure.as_ref());
        let failure = call
            .dial_failure
            .as_ref()
            .or(agent_failure)
            .map(|f| FailureView {
                code: f.code.clone(),
                message: f.message.clone(),
            })
            .or_else(|| {
                // `agent_no_answer` alone would not say the phone did pick up, as a voicemail.
                call.agent
                    .as_ref()
                    .filter(|a| call.ended_at_agent() && a.went_to_voicemail())
                    .map(|_| FailureView {
                        code: "agent_voicemail".into(),
                        message:
                            "The agent's phone went to voicemail; the customer was not dialled"
                                .into(),
                    })
            });
        Self {
            call_id: call.id.to_string(),
            status: call.status().as_str(),
            outcome: call.outcome().map(|o| o.as_str()),
            answered_by: call.answered_by(),
            from_number: call.from.to_string(),
            to_number: call.to.to_string(),
            contact,
            started_at: Some(call.started_at),
            answered_at: call.answered_at(),
            ended_at: call.ended_at(),
            duration: call.duration_secs(now),
            muted: call.muted,
            on_hold: call.on_hold,
            speaker: call.speaker,
            recording_url: call
                .latest_recording()
                .map(|_| format!("/api/calls/{}/recording", call.id)),
            recording_status: call.recording_state().map(|r| r.as_str()),
            hangup_cause: hangup.map(|h| h.cause.clone()),
            hangup_source: hangup.and_then(|h| h.source.clone()),
            sip_hangup_cause: hangup.and_then(|h| h.sip_code.clone()),
            hangup_requested_at: call.hangup_requested_at,
            failure,
            controls: call.controls(),
            agent_mode: call.agent_mode(),
            phase: call.phase().as_str(),
            agent_leg: call.agent.as_ref().map(|a| AgentLegView {
                call_control_id: a.telnyx.as_ref().map(|t| t.call_control_id.clone()),
                status: a.status().as_str(),
                answered_at: a.answered_at(),
                ended_at: a.ended_at(),
                hangup_cause: a.hangup.as_ref().map(|h| h.cause.clone()),
            }),
            placed_by: call.placed_by.clone(),
        }
    }
}

/// The contact a call is linked to: the one it was dialled for, else the one holding the number
/// called, so calls link to contacts by number automatically. A store hiccup only costs the name
/// (logged), never the call view.
pub async fn contact_ref(contacts: &dyn ports::ContactStore, call: &Call) -> Option<ContactRef> {
    let found = match &call.contact_id {
        Some(id) => match contacts.contact(id).await {
            Ok(Some(c)) => Ok(Some(c)),
            Ok(None) => contacts.contact_by_phone(&call.to).await,
            Err(e) => Err(e),
        },
        None => contacts.contact_by_phone(&call.to).await,
    };
    match found {
        Ok(c) => c.map(|c| ContactRef {
            id: c.id,
            name: c.name,
        }),
        Err(e) => {
            tracing::warn!(call_id = %call.id, error = %e, "contact lookup failed");
            None
        }
    }
}

/// A call as a use case answers it: named after its contact, as of a moment (the talk timer
/// counts to it). The edge turns it into a [`CallView`].
#[derive(Debug, Clone)]
pub struct CallAt {
    pub call: Call,
    pub contact: Option<ContactRef>,
    pub at: DateTime<Utc>,
}

impl CallAt {
    /// Looks up the contact the call belongs to (a failed lookup leaves it unnamed).
    pub async fn named(contacts: &dyn ports::ContactStore, call: Call, at: DateTime<Utc>) -> Self {
        let contact = contact_ref(contacts, &call).await;
        Self { call, contact, at }
    }

    pub fn view(&self) -> CallView {
        CallView::new(&self.call, self.contact.clone(), self.at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::{CallId, PhoneNumber};

    #[test]
    fn a_view_names_who_placed_the_call() {
        let at = Utc::now();
        let n = |s: &str| PhoneNumber::parse(s, "US").unwrap();
        let mut call = Call::new(
            CallId::new_at(at),
            n("+13125550201"),
            n("+12125550100"),
            None,
            at,
        );
        let json = |c: &Call| serde_json::to_value(CallView::new(c, None, at)).unwrap();
        assert_eq!(json(&call)["placed_by"], serde_json::Value::Null);
        call.placed_by = Some("user-7".into());
        assert_eq!(json(&call)["placed_by"], "user-7");
    }
}
