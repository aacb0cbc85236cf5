//! Sending a command to Telnyx and keeping it in the call's timeline, in one place, so every
//! function treats Telnyx's answers the same way.

use crate::error::ApiError;
use domain::CallId;
use ports::{
    CallAction, CallControl, CommandLog, CommandRecord, CommandResult, SharedClock, TelnyxError,
};
use std::sync::Arc;

#[derive(Clone)]
pub struct Commander {
    pub telnyx: Arc<dyn CallControl>,
    pub log: Arc<dyn CommandLog>,
    pub clock: SharedClock,
}

/// How a command ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    Done,
    /// Telnyx says the leg already ended (90018): the callee hung up first and the hangup event
    /// is on its way. Not a failure for the user.
    LegAlreadyEnded,
}

impl Commander {
    pub async fn send(
        &self,
        call_id: CallId,
        call_control_id: &str,
        action: CallAction,
        command_id: String,
        detail: Option<String>,
    ) -> Result<Sent, ApiError> {
        let outcome = self.telnyx.act(call_control_id, &action, &command_id).await;
        let (result, answer) = match outcome {
            Ok(()) => (CommandResult::Ok, Ok(Sent::Done)),
            Err(e) if e.is_call_already_ended() => (
                CommandResult::Absorbed {
                    code: TelnyxError::CALL_ALREADY_ENDED.into(),
                },
                Ok(Sent::LegAlreadyEnded),
            ),
            Err(e) => (CommandResult::failed(&e), Err(ApiError::Telnyx(e))),
        };
        self.note(CommandRecord {
            call_id,
            command_id,
            command: action.name().to_string(),
            detail,
            at: self.clock.now(),
            result,
        })
        .await;
        answer
    }

    /// Keeps a command in the timeline. A timeline gap is better than failing an action Telnyx
    /// already carried out, so a store error here is logged, not returned.
    pub async fn note(&self, record: CommandRecord) {
        if let Err(e) = self.log.record_command(&record).await {
            tracing::warn!(error = %e, command = %record.command, "command not kept in the timeline");
        }
    }
}
