//! The dial use case: check a dial against the team's rules, record the call, ask Telnyx to
//! place it. No HTTP here: the edge (`lib.rs`) turns a request into a [`PlaceCall`] and the
//! answer into JSON, and the tests call [`DialState::place_call`] directly.

use chrono::Duration;
use domain::policy::DialUsage;
use domain::settings::{AgentMode, Settings};
use domain::{AgentLeg, Call, CallId, Leg, PhoneNumber};
use edge::ApiError;
use edge::auth::CurrentUser;
use edge::commands::Commander;
use edge::error::FieldError;
use edge::view::CallAt;
use ports::auth::{AuditEntry, AuditLog, AuthStore, RateDecision, RateLimiter};
use ports::{
    CallControl, CallFilter, CallStore, CommandRecord, CommandResult, DialCommand, SharedClock,
    TelnyxError,
};
use std::sync::Arc;

/// What the team's data says about a dial: which caller IDs the account owns, the recording
/// preferences and default caller ID from the settings, and the contacts numbers belong to.
#[derive(Clone)]
pub struct DialPolicy {
    pub owned_numbers: Arc<dyn ports::OwnedNumbers>,
    /// Countries callable besides those of the team's own numbers (`ALLOWED_COUNTRIES`).
    pub extra_countries: Vec<String>,
    pub settings: Arc<dyn ports::SettingsStore>,
    pub contacts: Arc<dyn ports::ContactStore>,
    /// Counts the caller's recent calls for the per-user limits.
    pub history: Arc<dyn ports::CallHistory>,
    /// Bursts of dials per user and per address (shared by every instance).
    pub limiter: Arc<dyn RateLimiter>,
    /// Refused dials are kept here: who tried to call what.
    pub audit: Arc<dyn AuditLog>,
    /// The caller's own agent mode and phone, and their softphone's credential.
    pub users: Arc<dyn ports::auth::UserStore>,
    /// Dials one user may place per minute (`DIAL_RATE_PER_MINUTE`); an address gets three
    /// users' worth, at least [`DIAL_RATE_PER_ADDRESS`].
    pub rate_per_minute: u32,
}

impl DialPolicy {
    /// Every team-data port from one store (the embedded file, or MongoDB in AWS).
    pub fn from_store<S>(
        owned_numbers: Arc<dyn ports::OwnedNumbers>,
        extra_countries: Vec<String>,
        store: Arc<S>,
    ) -> Self
    where
        S: wiring::DataStore + AuthStore + 'static,
    {
        Self {
            owned_numbers,
            extra_countries,
            settings: store.clone(),
            contacts: store.clone(),
            history: store.clone(),
            limiter: store.clone(),
            users: store.clone(),
            audit: store,
            rate_per_minute: DIAL_RATE_PER_USER,
        }
    }
}

/// Dials allowed per minute, per user and per client address, by default: a person redialing
/// after a busy line stays far below; a script looping over numbers does not.
pub const DIAL_RATE_WINDOW_SECS: u64 = 60;
pub const DIAL_RATE_PER_USER: u32 = 10;
pub const DIAL_RATE_PER_ADDRESS: u32 = 30;

#[derive(Clone)]
pub struct DialState {
    pub calls: Arc<dyn CallStore>,
    pub telnyx: Arc<dyn CallControl>,
    /// Keeps the dial in the call's timeline.
    pub commander: Commander,
    pub clock: SharedClock,
    pub default_country: String,
    pub ring_timeout_secs: u32,
    pub call_time_limit_secs: u32,
    pub policy: DialPolicy,
}

/// Who dials: the signed-in user (none where no sign-in runs in front, as in some tests) and
/// the client's address, which the rate limits and the audit trail key on.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: Option<CurrentUser>,
    pub address: String,
}

/// A dial as the edge read it. Numbers stay as typed: they are read against the default
/// country, and a missing caller ID falls back to the team's default, here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlaceCall {
    pub to_number: Option<String>,
    /// `None` (or blank): the team's default caller ID.
    pub from_number: Option<String>,
    /// Trimmed; `None` when blank.
    pub contact_id: Option<String>,
    /// Record from answer (the team's auto-record setting also turns it on).
    pub record: bool,
    /// Browser mode: the page says its softphone is registered and may ring.
    pub agent_ready: Option<bool>,
}

/// How the agent is reached for this dial, resolved before anything is stored or sent.
#[derive(Debug, Clone, PartialEq, Eq)]
enum AgentTarget {
    /// One leg: the customer only.
    None,
    /// The agent's own phone (E.164).
    Phone(PhoneNumber),
    /// The agent's registered softphone: `sip:<user>@sip.telnyx.com`.
    Browser(String),
}

/// Contact ids are ours (UUIDs) or a CRM's; anything longer is not an id.
const MAX_CONTACT_ID_LEN: usize = 64;

/// The shape of an id: ours are UUIDs and CRMs use letters, digits, `-` and `_`. Anything else
/// (`../../etc`, markup, spaces) is refused before it is stored or linked.
pub fn valid_contact_id(id: &str) -> bool {
    (1..=MAX_CONTACT_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl DialState {
    /// Places a call: rate limits, numbers, caller ID, the dial policy, then the call is stored
    /// before Telnyx hears of it (its first webhook can beat the dial answer) and settled with
    /// Telnyx's answer. A refused dial is kept on the call as its failure.
    pub async fn place_call(
        &self,
        caller: &Caller,
        request: PlaceCall,
    ) -> Result<CallAt, ApiError> {
        self.rate_limit(caller).await?;
        let settings = self.policy.settings.load_settings().await?;
        let (to, from) = self.numbers(&request, &settings)?;
        let agent = self.agent_target(caller, &request, &settings).await?;
        let contact_id = request.contact_id.filter(|c| !c.is_empty());
        if contact_id.as_deref().is_some_and(|c| !valid_contact_id(c)) {
            return Err(ApiError::invalid_field(
                "invalid_contact_id",
                "contact_id",
                format!("must be 1 to {MAX_CONTACT_ID_LEN} letters, digits, `-` or `_`"),
            ));
        }
        self.check_caller_id(&from).await?;
        self.check_policy(caller, &settings, &to).await?;
        // Calls link to contacts by number when the dial does not name one.
        let contact_id = match contact_id {
            Some(id) => Some(id),
            None => self
                .policy
                .contacts
                .contact_by_phone(&to)
                .await?
                .map(|c| c.id),
        };
        let record = request.record || settings.recording.auto_record;
        let now = self.clock.now();
        let mut call = Call::new(CallId::new_at(now), from, to, contact_id, now);
        call.placed_by = caller.user.as_ref().map(|u| u.id.clone());
        call.recording_requested = record;
        // Telnyx records from answer on its own; the stop control must be offered once talking.
        call.recording_active = record;
        match agent {
            AgentTarget::None => {
                self.store_call(caller, &settings, &call).await?;
                let command = self.dial_command(&call, &settings, record);
                self.dial(&call, &command).await
            }
            AgentTarget::Phone(phone) => {
                // The agent first; the processor dials the customer when they answer.
                call.agent = Some(AgentLeg::new(AgentMode::Phone, phone.to_string()));
                self.store_call(caller, &settings, &call).await?;
                let command = self.agent_dial_command(&call, phone.to_string());
                self.dial(&call, &command).await
            }
            AgentTarget::Browser(uri) => {
                call.agent = Some(AgentLeg::new(AgentMode::Browser, uri.clone()));
                self.store_call(caller, &settings, &call).await?;
                let command = self.agent_dial_command(&call, uri);
                self.dial(&call, &command).await
            }
        }
    }

    /// Stores the new call, atomically with the per-user concurrent-call limit: the policy check
    /// before read usage a moment ago, and parallel dials of one agent could all have passed it.
    async fn store_call(
        &self,
        caller: &Caller,
        settings: &Settings,
        call: &Call,
    ) -> Result<(), ApiError> {
        if caller.user.is_none() {
            self.calls.insert(call).await?;
            return Ok(());
        }
        let limit = settings.dial_policy.max_concurrent_calls;
        // Calls stuck without their final webhook stop counting after a day, as in `usage`.
        let since = self.clock.now() - Duration::days(1);
        if self.calls.insert_within_limit(call, limit, since).await? {
            return Ok(());
        }
        let refusal = domain::policy::DialRefusal::TooManyConcurrent { limit };
        self.refused(caller, refusal.code(), &refusal.message())
            .await;
        Err(ApiError::Forbidden {
            code: refusal.code(),
            detail: refusal.message(),
        })
    }

    /// The agent leg in force for the caller (their own choice, else the team's default).
    /// Refused before anything is stored or sent.
    async fn agent_target(
        &self,
        caller: &Caller,
        request: &PlaceCall,
        settings: &Settings,
    ) -> Result<AgentTarget, ApiError> {
        let user = match &caller.user {
            Some(u) => self.policy.users.user_by_id(&u.id).await?,
            None => None,
        };
        let choice = user.as_ref().map(|u| u.agent.clone()).unwrap_or_default();
        let (mode, phone) = choice.effective(settings);
        match mode {
            AgentMode::None => Ok(AgentTarget::None),
            AgentMode::Phone => match phone {
                Some(phone) => Ok(AgentTarget::Phone(phone)),
                None => Err(ApiError::invalid_field(
                    "agent_phone_required",
                    "agent_phone",
                    "agent mode is \"phone\" but no agent phone is set (set it in your settings)",
                )),
            },
            AgentMode::Browser => {
                let credential = user.and_then(|u| u.webrtc);
                match (request.agent_ready, credential) {
                    (Some(true), Some(c)) => Ok(AgentTarget::Browser(c.sip_uri())),
                    _ => Err(ApiError::Conflict {
                        code: "agent_not_registered",
                        detail: "your softphone is not registered: open the softphone and allow \
                                 the microphone, then call again"
                            .into(),
                    }),
                }
            }
        }
    }

    /// The agent's leg: no recording (the customer's leg records both sides), no link.
    fn agent_dial_command(&self, call: &Call, to: String) -> DialCommand {
        DialCommand {
            to,
            from: call.from.clone(),
            call_id: call.id,
            command_id: format!("{}:agent", call.id),
            timeout_secs: self.ring_timeout_secs,
            time_limit_secs: self.call_time_limit_secs,
            record: false,
            record_format: Default::default(),
            record_channels: Default::default(),
            leg: Leg::Agent,
            link_to: None,
            bridge_on_answer: false,
        }
    }

    /// The two numbers of the call, both reported when both are wrong.
    fn numbers(
        &self,
        request: &PlaceCall,
        settings: &Settings,
    ) -> Result<(PhoneNumber, PhoneNumber), ApiError> {
        let default_from = settings.default_caller_id.as_ref().map(|n| n.to_string());
        let from_number = request
            .from_number
            .as_deref()
            .filter(|f| !f.trim().is_empty())
            .or(default_from.as_deref());
        let mut errors = Vec::new();
        let mut parse = |field: &str, value: Option<&str>| {
            PhoneNumber::parse(value.unwrap_or_default(), &self.default_country)
                .map_err(|e| errors.push(FieldError::new(field, e.to_string())))
                .ok()
        };
        let to = parse("to_number", request.to_number.as_deref());
        let from = parse("from_number", from_number);
        let (Some(to), Some(from)) = (to, from) else {
            return Err(ApiError::invalid_fields("invalid_phone_number", errors));
        };
        if to == from {
            return Err(ApiError::invalid_field(
                "invalid_phone_number",
                "to_number",
                "cannot call the caller ID itself",
            ));
        }
        Ok((to, from))
    }

    /// Telnyx would place a call from any number (and the callee's carrier may flag it as
    /// spoofed); only the account's own numbers are caller IDs.
    async fn check_caller_id(&self, from: &PhoneNumber) -> Result<(), ApiError> {
        let owned = self
            .policy
            .owned_numbers
            .owns(from)
            .await
            .map_err(ApiError::Telnyx)?;
        if owned {
            return Ok(());
        }
        Err(ApiError::invalid_field(
            "caller_id_not_owned",
            "from_number",
            format!("{from} is not one of this account's Telnyx numbers (see GET /api/numbers)"),
        ))
    }

    /// The toll-fraud guard: premium and special ranges, countries the team does not call, and
    /// the caller's own limits, before anything is written or sent. Refusals are audited.
    async fn check_policy(
        &self,
        caller: &Caller,
        settings: &Settings,
        to: &PhoneNumber,
    ) -> Result<(), ApiError> {
        let mut countries = self
            .policy
            .owned_numbers
            .countries()
            .await
            .map_err(ApiError::Telnyx)?;
        countries.extend(self.policy.extra_countries.iter().cloned());
        let guard = settings.dial_policy.policy(countries);
        let mut verdict = domain::policy::check_destination(&guard, to);
        if let (Ok(()), Some(user)) = (&verdict, &caller.user) {
            let usage = self.usage(&user.id).await?;
            verdict = domain::policy::check_usage(&guard, usage);
        }
        let Err(refusal) = verdict else {
            return Ok(());
        };
        tracing::warn!(code = refusal.code(), "dial refused by the dial policy");
        self.refused(caller, refusal.code(), &refusal.message())
            .await;
        Err(ApiError::Forbidden {
            code: refusal.code(),
            detail: refusal.message(),
        })
    }

    fn dial_command(&self, call: &Call, settings: &Settings, record: bool) -> DialCommand {
        DialCommand {
            to: call.to.to_string(),
            from: call.from.clone(),
            call_id: call.id,
            // Our call id: a retried dial for this call is ignored by Telnyx, never a second call.
            command_id: call.id.to_string(),
            timeout_secs: self.ring_timeout_secs,
            time_limit_secs: self.call_time_limit_secs,
            record,
            record_format: settings.recording.format,
            record_channels: settings.recording.channels,
            leg: Leg::Customer,
            link_to: None,
            bridge_on_answer: false,
        }
    }

    /// Sends the dial, keeps it in the timeline and settles the stored call with the answer:
    /// Telnyx's leg, or the refusal as the call's failure.
    async fn dial(&self, call: &Call, command: &DialCommand) -> Result<CallAt, ApiError> {
        let outcome = self.telnyx.dial(command).await;
        let now = self.clock.now();
        self.commander
            .note(CommandRecord {
                call_id: call.id,
                command_id: command.command_id.clone(),
                command: "dial".into(),
                detail: Some(match command.leg {
                    Leg::Customer => format!("{} → {}", call.from, call.to),
                    Leg::Agent => format!("{} → {} (agent)", call.from, command.to),
                }),
                at: now,
                result: match &outcome {
                    Ok(_) => CommandResult::Ok,
                    Err(e) => CommandResult::failed(e),
                },
            })
            .await;
        let which = command.leg;
        let updated = match &outcome {
            Ok(leg) => {
                let leg = leg.clone();
                self.calls
                    .update(call.id, &move |c: &mut Call| match which {
                        Leg::Customer => c.telnyx = Some(leg.clone()),
                        Leg::Agent => {
                            if let Some(a) = &mut c.agent {
                                a.telnyx = Some(leg.clone());
                            }
                        }
                    })
                    .await?
            }
            Err(e) => {
                let (code, message) = (e.recorded_code(), e.message());
                tracing::warn!(call_id = %call.id, %code, leg = which.as_str(), "dial refused");
                self.calls
                    .update(call.id, &move |c: &mut Call| match which {
                        Leg::Customer => c.fail_dial(code.clone(), message.clone(), now),
                        Leg::Agent => {
                            if let Some(a) = &mut c.agent {
                                a.dial_failure.get_or_insert(domain::DialFailure {
                                    code: code.clone(),
                                    message: message.clone(),
                                    at: now,
                                });
                            }
                        }
                    })
                    .await?
            }
        };
        let updated = updated.ok_or_else(|| ApiError::CallNotFound(call.id.to_string()))?;
        match outcome {
            Ok(_) => {
                tracing::info!(call_id = %call.id, "dialing");
                Ok(CallAt::named(self.policy.contacts.as_ref(), updated, now).await)
            }
            Err(e @ TelnyxError::RateLimited { .. }) => Err(ApiError::Telnyx(e)),
            Err(e) => Err(ApiError::DialRejected(e, call.id.to_string())),
        }
    }

    async fn rate_limit(&self, caller: &Caller) -> Result<(), ApiError> {
        let now = self.clock.now();
        let per_user = self.policy.rate_per_minute;
        let per_address = per_user.saturating_mul(3).max(DIAL_RATE_PER_ADDRESS);
        let mut keys = vec![(format!("dial:ip:{}", caller.address), per_address)];
        if let Some(u) = &caller.user {
            keys.push((format!("dial:user:{}", u.id), per_user));
        }
        for (key, limit) in keys {
            let decision = self
                .policy
                .limiter
                .hit(&key, DIAL_RATE_WINDOW_SECS, limit, now)
                .await?;
            if let RateDecision::Limited { retry_after_secs } = decision {
                return Err(ApiError::TooManyRequests {
                    code: "rate_limited",
                    detail: format!(
                        "too many calls placed in a short time; try again in {retry_after_secs} s"
                    ),
                    retry_after_secs,
                });
            }
        }
        Ok(())
    }

    /// What the user has been dialing: calls not yet ended, and calls started in the last hour
    /// and day. A call stuck without its final webhook stops counting after a day.
    async fn usage(&self, user_id: &str) -> Result<DialUsage, ApiError> {
        let now = self.clock.now();
        let since = |span| CallFilter {
            placed_by: Some(user_id.to_string()),
            since: Some(now - span),
            ..CallFilter::default()
        };
        let day = self.policy.history.tally(&since(Duration::days(1))).await?;
        let hour = self
            .policy
            .history
            .tally(&since(Duration::hours(1)))
            .await?;
        let count = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        Ok(DialUsage {
            active_calls: count(day.active),
            calls_last_hour: count(hour.total),
            calls_last_day: count(day.total),
        })
    }

    async fn refused(&self, caller: &Caller, code: &str, why: &str) {
        let entry = AuditEntry {
            at: self.clock.now(),
            actor: caller.user.as_ref().map(|u| u.id.clone()),
            action: "dial_refused".into(),
            detail: format!("{code}: {why}"),
            ip: Some(caller.address.clone()),
        };
        if let Err(e) = self.policy.audit.record_audit(&entry).await {
            tracing::warn!(error = %e, "refused dial not kept in the audit trail");
        }
    }
}
