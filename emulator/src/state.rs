use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signer, SigningKey};
use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use crate::config::{ChaosConfig, EmulatorConfig};
use crate::numbers::Numbers;
use crate::scenario::{self, Scenario, Step};
use crate::webhook::{self, Delivery, Event, Target, rfc3339};

/// A request the emulator received under `/v2`, as the test wants to see it.
#[derive(Clone, Debug, Serialize)]
pub struct RecordedRequest {
    pub method: String,
    /// Path with query string, e.g. `/v2/calls`.
    pub path: String,
    /// Lower-case header names; `authorization` is left out.
    pub headers: BTreeMap<String, String>,
    /// JSON body, or a JSON string holding the raw text when it was not JSON; null if empty.
    pub body: Value,
    pub status: u16,
    pub received_at: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    Ringing,
    Answered,
    Ended,
}

/// What a test can read about a call.
#[derive(Clone, Debug, Serialize)]
pub struct CallSnapshot {
    pub call_control_id: String,
    pub call_leg_id: String,
    pub call_session_id: String,
    pub from: String,
    pub to: String,
    pub state: CallState,
    pub scenario: String,
    pub client_state: Option<String>,
    pub hangup_cause: Option<String>,
    pub hangup_source: Option<String>,
    pub sip_hangup_cause: Option<String>,
    pub recording_ids: Vec<String>,
    pub bridged_with: Option<String>,
    pub created_at: String,
    pub answered_at: Option<String>,
    pub ended_at: Option<String>,
}

#[derive(Clone, Debug)]
pub struct RecordSpec {
    pub recording_id: String,
    pub format: String,
    pub channels: String,
    pub initiated_by: &'static str,
}

#[derive(Clone, Debug)]
pub struct ActiveRecording {
    pub spec: RecordSpec,
    pub started_at: DateTime<Utc>,
    pub started: Instant,
    pub paused_since: Option<Instant>,
    pub paused_total: Duration,
}

#[derive(Clone, Debug)]
pub struct Recording {
    pub id: String,
    pub call_control_id: String,
    pub call_leg_id: String,
    pub call_session_id: String,
    pub connection_id: String,
    pub from: String,
    pub to: String,
    pub format: String,
    pub channels: String,
    pub duration_ms: u64,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub initiated_by: &'static str,
}

/// Everything a dial (or a transfer) decides about a new leg.
#[derive(Clone, Debug, Default)]
pub struct NewCall {
    pub from: String,
    pub to: String,
    pub from_display_name: Option<String>,
    pub client_state: Option<String>,
    pub timeout_secs: u64,
    pub retry_on_timeout: bool,
    pub time_limit_secs: u64,
    pub amd: Option<String>,
    pub record: Option<RecordSpec>,
    pub custom_headers: Value,
    pub target: Target,
    pub chaos: Option<ChaosConfig>,
    pub link_to: Option<String>,
    pub bridge_on_answer: bool,
    pub park_after_unbridge: bool,
}

pub struct Call {
    pub seq: u64,
    pub call_control_id: String,
    pub call_leg_id: String,
    pub call_session_id: String,
    pub spec: NewCall,
    pub scenario: String,
    pub client_state: Option<String>,
    pub state: CallState,
    pub created_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub ended: Option<Instant>,
    pub hangup: Option<(String, String, String)>,
    pub recording: Option<ActiveRecording>,
    pub recording_ids: Vec<String>,
    pub playback: Option<(u64, Value)>,
    pub speak: Option<u64>,
    pub bridged_with: Option<String>,
    pub command_ids: HashMap<String, Instant>,
    tx: Option<mpsc::UnboundedSender<Event>>,
}

impl Call {
    fn base_payload(&self, connection_id: &str) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("call_control_id".into(), json!(self.call_control_id));
        m.insert("call_leg_id".into(), json!(self.call_leg_id));
        m.insert("call_session_id".into(), json!(self.call_session_id));
        m.insert("connection_id".into(), json!(connection_id));
        m.insert("client_state".into(), json!(self.client_state));
        m.insert("from".into(), json!(self.spec.from));
        m.insert("to".into(), json!(self.spec.to));
        m.insert("calling_party_type".into(), json!("pstn"));
        m
    }

    pub fn is_alive(&self) -> bool {
        self.state != CallState::Ended
    }

    fn snapshot(&self) -> CallSnapshot {
        let h = self.hangup.clone();
        CallSnapshot {
            call_control_id: self.call_control_id.clone(),
            call_leg_id: self.call_leg_id.clone(),
            call_session_id: self.call_session_id.clone(),
            from: self.spec.from.clone(),
            to: self.spec.to.clone(),
            state: self.state,
            scenario: self.scenario.clone(),
            client_state: self.client_state.clone(),
            hangup_cause: h.as_ref().map(|h| h.0.clone()),
            hangup_source: h.as_ref().map(|h| h.1.clone()),
            sip_hangup_cause: h.map(|h| h.2),
            recording_ids: self.recording_ids.clone(),
            bridged_with: self.bridged_with.clone(),
            created_at: rfc3339(self.created_at),
            answered_at: self.answered_at.map(rfc3339),
            ended_at: self.ended_at.map(rfc3339),
        }
    }
}

#[derive(Default)]
pub struct State {
    pub calls: HashMap<String, Call>,
    pub call_seq: u64,
    pub media_seq: u64,
    pub dial_dedup: HashMap<String, (Value, Instant)>,
    pub recordings: HashMap<String, Recording>,
    pub requests: Vec<RecordedRequest>,
    pub deliveries: Vec<Delivery>,
    pub dial_times: VecDeque<Instant>,
    pub scripts: HashMap<String, Scenario>,
    pub chaos: Option<ChaosConfig>,
    pub numbers: Numbers,
}

pub struct Inner {
    pub config: EmulatorConfig,
    pub signing_key: SigningKey,
    pub public_base: String,
    pub http: reqwest::Client,
    st: Mutex<State>,
}

fn emit(call: &mut Call, connection_id: &str, event_type: &str, extra: Value) {
    let mut payload = call.base_payload(connection_id);
    if let Value::Object(extra) = extra {
        payload.extend(extra);
    }
    let ev = Event::new(event_type, Value::Object(payload));
    if let Some(tx) = &call.tx {
        let _ = tx.send(ev);
    }
}

fn new_call_control_id() -> String {
    let bytes: [u8; 40] = rand::random();
    format!("v3:{}", URL_SAFE_NO_PAD.encode(bytes))
}

impl Inner {
    pub fn new(config: EmulatorConfig, public_base: String) -> Inner {
        let signing_key = SigningKey::from_bytes(&config.signing_seed);
        let st = State {
            chaos: config.chaos.clone(),
            numbers: Numbers::seeded(&config.connection_id),
            ..State::default()
        };
        Inner {
            config,
            signing_key,
            public_base,
            http: reqwest::Client::builder()
                .build()
                .expect("reqwest client builds"),
            st: Mutex::new(st),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock must not take the whole emulator down.
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn record_delivery(&self, d: Delivery) {
        self.lock().deliveries.push(d);
    }

    pub fn scaled(&self, d: Duration) -> Duration {
        self.config.scaled(d)
    }

    /// Looks a call up, hiding calls that ended longer ago than Telnyx keeps them.
    pub fn live_call<'a>(&self, st: &'a mut State, id: &str) -> Option<&'a mut Call> {
        let retention = self.config.call_retention;
        let c = st.calls.get_mut(id)?;
        if c.ended.is_some_and(|t| t.elapsed() > retention) {
            return None;
        }
        Some(c)
    }

    pub fn scenario_for(&self, st: &State, to: &str) -> Scenario {
        if let Some(s) = st.scripts.get(to) {
            return s.clone();
        }
        scenario::magic_key(to)
            .and_then(scenario::builtin)
            .unwrap_or_else(scenario::default_scenario)
    }

    /// Creates the leg, queues `call.initiated` and starts the callee's script and the ring
    /// timer. Returns (call_control_id, call_leg_id, call_session_id).
    pub fn create_call(self: &Arc<Self>, spec: NewCall) -> (String, String, String) {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut st = self.lock();
        st.call_seq += 1;
        let seq = st.call_seq;
        let session = spec
            .link_to
            .as_ref()
            .and_then(|l| st.calls.get(l))
            .map(|c| c.call_session_id.clone())
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        let sc = self.scenario_for(&st, &spec.to);
        let mut call = Call {
            seq,
            call_control_id: new_call_control_id(),
            call_leg_id: uuid::Uuid::now_v7().to_string(),
            call_session_id: session,
            client_state: spec.client_state.clone(),
            spec,
            scenario: sc.name.clone(),
            state: CallState::Ringing,
            created_at: Utc::now(),
            answered_at: None,
            ended_at: None,
            ended: None,
            hangup: None,
            recording: None,
            recording_ids: vec![],
            playback: None,
            speak: None,
            bridged_with: None,
            command_ids: HashMap::new(),
            tx: Some(tx),
        };
        let caller_id_name = call
            .spec
            .from_display_name
            .clone()
            .unwrap_or_else(|| call.spec.from.clone());
        let extra = json!({
            "direction": "outgoing",
            "state": "bridging",
            "start_time": rfc3339(call.created_at),
            "caller_id_name": caller_id_name,
            "custom_headers": call.spec.custom_headers,
            "sip_headers": [],
            "tags": [],
            "connection_codecs": "PCMU,PCMA,G722,OPUS",
            "offered_codecs": "PCMU,PCMA,G722,OPUS",
        });
        emit(
            &mut call,
            &self.config.connection_id,
            "call.initiated",
            extra,
        );
        let ids = (
            call.call_control_id.clone(),
            call.call_leg_id.clone(),
            call.call_session_id.clone(),
        );
        let target = call.spec.target.clone();
        let chaos = call.spec.chaos.clone();
        let timeout = Duration::from_secs(call.spec.timeout_secs);
        st.calls.insert(ids.0.clone(), call);
        drop(st);

        webhook::spawn_worker(self.clone(), rx, target, chaos, seq);
        let inner = self.clone();
        let id = ids.0.clone();
        tokio::spawn(async move { inner.run_scenario(&id, sc).await });
        let inner = self.clone();
        let id = ids.0.clone();
        tokio::spawn(async move {
            tokio::time::sleep(inner.scaled(timeout)).await;
            let cause = {
                let st = inner.lock();
                match st.calls.get(&id) {
                    Some(c) if c.state == CallState::Ringing => {
                        if c.spec.retry_on_timeout {
                            "timeout"
                        } else {
                            "no_answer"
                        }
                    }
                    _ => return,
                }
            };
            inner.end_call(&id, cause, "unknown", "487");
        });
        ids
    }

    async fn run_scenario(self: &Arc<Self>, id: &str, sc: Scenario) {
        for step in sc.steps {
            if !self.lock().calls.get(id).is_some_and(Call::is_alive) {
                return;
            }
            match step {
                Step::Wait { ms } => {
                    tokio::time::sleep(self.scaled(Duration::from_millis(ms))).await;
                }
                Step::Answer => {
                    self.answer(id);
                }
                Step::Hangup { cause, sip, source } => {
                    self.end_call(id, &cause, &source, &sip);
                }
                Step::Dtmf { digits } => {
                    self.callee_dtmf(id, &digits);
                }
                Step::Machine { result } => self.machine_detection(id, &result),
            }
        }
    }

    pub fn answer(self: &Arc<Self>, id: &str) -> bool {
        let conn = self.config.connection_id.clone();
        let mut st = self.lock();
        let Some(call) = st.calls.get_mut(id) else {
            return false;
        };
        if call.state != CallState::Ringing {
            return false;
        }
        call.state = CallState::Answered;
        let now = Utc::now();
        call.answered_at = Some(now);
        let extra = json!({
            "state": "answered",
            "start_time": rfc3339(call.created_at),
            "custom_headers": call.spec.custom_headers,
            "sip_headers": [],
            "tags": [],
            "codec": "PCMU",
            "sampling_rate": 8000,
        });
        emit(call, &conn, "call.answered", extra);
        if let Some(spec) = call.spec.record.clone() {
            start_recording(call, spec);
        }
        let limit = Duration::from_secs(call.spec.time_limit_secs);
        let bridge_to = call
            .spec
            .bridge_on_answer
            .then(|| call.spec.link_to.clone())
            .flatten();
        if let Some(other) = bridge_to
            && st
                .calls
                .get(&other)
                .is_some_and(|o| o.state == CallState::Answered)
        {
            self.bridge_locked(&mut st, id, &other);
        }
        drop(st);
        let inner = self.clone();
        let id = id.to_string();
        tokio::spawn(async move {
            tokio::time::sleep(inner.scaled(limit)).await;
            let answered = inner
                .lock()
                .calls
                .get(&id)
                .is_some_and(|c| c.state == CallState::Answered);
            if answered {
                inner.end_call(&id, "time_limit", "unknown", "200");
            }
        });
        true
    }

    /// Emits `call.bridged` on both legs and links them.
    pub fn bridge_locked(&self, st: &mut State, a: &str, b: &str) {
        let conn = &self.config.connection_id;
        for (me, other) in [(a, b), (b, a)] {
            if let Some(c) = st.calls.get_mut(me) {
                c.bridged_with = Some(other.to_string());
                let start = rfc3339(c.created_at);
                emit(c, conn, "call.bridged", json!({"start_time": start}));
            }
        }
    }

    /// Ends a leg (any side) and queues what follows a hangup. False if it had ended.
    pub fn end_call(&self, id: &str, cause: &str, source: &str, sip: &str) -> bool {
        let mut st = self.lock();
        self.end_locked(&mut st, id, cause, source, sip)
    }

    pub fn end_locked(
        &self,
        st: &mut State,
        id: &str,
        cause: &str,
        source: &str,
        sip: &str,
    ) -> bool {
        let conn = self.config.connection_id.clone();
        let Some(call) = st.calls.get_mut(id) else {
            return false;
        };
        if !call.is_alive() {
            return false;
        }
        let answered = call.state == CallState::Answered;
        call.state = CallState::Ended;
        let now = Utc::now();
        call.ended_at = Some(now);
        call.ended = Some(Instant::now());
        call.hangup = Some((cause.into(), source.into(), sip.into()));
        if let Some((_, media)) = call.playback.take() {
            let mut extra = media;
            extra["status"] = json!("call_hangup");
            emit(call, &conn, "call.playback.ended", extra);
        }
        if call.speak.take().is_some() {
            emit(
                call,
                &conn,
                "call.speak.ended",
                json!({"status": "call_hangup"}),
            );
        }
        let stats = answered.then(|| {
            json!({
                "inbound": {"jitter_max_variance": "0.00", "jitter_packet_count": "0",
                            "mos": "4.50", "packet_count": "500", "skip_packet_count": "0"},
                "outbound": {"packet_count": "500", "skip_packet_count": "0"}
            })
        });
        let extra = json!({
            "state": "hangup",
            "hangup_cause": cause,
            "hangup_source": source,
            "sip_hangup_cause": sip,
            "start_time": rfc3339(call.created_at),
            "end_time": rfc3339(now),
            "call_quality_stats": stats,
            "custom_headers": call.spec.custom_headers,
            "tags": [],
        });
        emit(call, &conn, "call.hangup", extra);
        if let Some(rec) = self.finish_recording(call) {
            st.recordings.insert(rec.id.clone(), rec);
        }
        let call = st.calls.get_mut(id).expect("still there");
        if self.config.call_cost_in_webhooks {
            let billed = call
                .answered_at
                .map(|a| ((now - a).num_milliseconds().max(0) as f64 / 1000.0).ceil() as u64)
                .unwrap_or(0);
            // Per-minute rate with per-second billing, like US termination on a rate deck.
            let rate = 0.005;
            let cost = format!("{:.4}", rate * billed as f64 / 60.0);
            emit(
                call,
                &conn,
                "call.cost",
                json!({
                    "total_cost": cost,
                    "billed_duration_secs": billed,
                    "status": "success",
                    "billing_group_id": null,
                    "cost_parts": [{"call_part": "call-control", "billed_duration_secs": billed,
                                    "rate": format!("{rate}"), "cost": cost, "currency": "USD"}],
                }),
            );
        }
        // Closing the channel lets the delivery worker finish once the queue is drained.
        call.tx = None;
        let partner = call.bridged_with.take();
        if let Some(p) = partner
            && let Some(pc) = st.calls.get_mut(&p)
        {
            pc.bridged_with = None;
            if !pc.spec.park_after_unbridge {
                self.end_locked(st, &p, "normal_clearing", "unknown", "200");
            }
        }
        true
    }

    /// Stops the active recording (if any), queues `call.recording.saved`, returns it.
    pub fn finish_recording(&self, call: &mut Call) -> Option<Recording> {
        let active = call.recording.take()?;
        let now = Instant::now();
        let paused_now = active.paused_since.map(|p| now - p).unwrap_or_default();
        let dur = (now - active.started).saturating_sub(active.paused_total + paused_now);
        let ended_at = Utc::now();
        let rec = Recording {
            id: active.spec.recording_id.clone(),
            call_control_id: call.call_control_id.clone(),
            call_leg_id: call.call_leg_id.clone(),
            call_session_id: call.call_session_id.clone(),
            connection_id: self.config.connection_id.clone(),
            from: call.spec.from.clone(),
            to: call.spec.to.clone(),
            format: active.spec.format.clone(),
            channels: active.spec.channels.clone(),
            duration_ms: dur.as_millis() as u64,
            started_at: active.started_at,
            ended_at,
            initiated_by: active.spec.initiated_by,
        };
        let url = self.recording_url(&rec.id, &rec.format);
        let extra = json!({
            "recording_id": rec.id,
            "format": rec.format,
            "channels": rec.channels,
            "recording_started_at": rfc3339(rec.started_at),
            "recording_ended_at": rfc3339(rec.ended_at),
            "start_time": rfc3339(rec.started_at),
            "end_time": rfc3339(rec.ended_at),
            "duration_millis": rec.duration_ms,
            "recording_urls": {rec.format.clone(): url},
            "public_recording_urls": {},
        });
        emit(
            call,
            &self.config.connection_id,
            "call.recording.saved",
            extra,
        );
        Some(rec)
    }

    /// A pre-signed, expiring download link on this server, shaped like Telnyx's S3 links.
    pub fn recording_url(&self, id: &str, format: &str) -> String {
        let ttl = self.config.recording_url_ttl;
        let now = Utc::now();
        let expires_ms = now.timestamp_millis() + ttl.as_millis() as i64;
        let file = format!("{id}.{format}");
        let sig = self.sign_hex(&format!("{file}|{expires_ms}"));
        format!(
            "{}/storage/recordings/{file}?X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=EMULATOR%2F{}%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date={}&X-Amz-Expires={}&X-Amz-SignedHeaders=host\
             &X-Emulator-Expires-At={expires_ms}&X-Amz-Signature={sig}",
            self.public_base,
            now.format("%Y%m%d"),
            now.format("%Y%m%dT%H%M%SZ"),
            ttl.as_secs_f64().ceil() as u64,
        )
    }

    pub fn sign_hex(&self, msg: &str) -> String {
        self.signing_key
            .sign(msg.as_bytes())
            .to_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    pub fn callee_dtmf(&self, id: &str, digits: &str) -> bool {
        let mut st = self.lock();
        let Some(call) = st.calls.get_mut(id) else {
            return false;
        };
        if call.state != CallState::Answered {
            return false;
        }
        for d in digits.chars() {
            emit(
                call,
                &self.config.connection_id,
                "call.dtmf.received",
                json!({"digit": d.to_string()}),
            );
        }
        true
    }

    pub fn machine_detection(&self, id: &str, result: &str) {
        let mut st = self.lock();
        let Some(call) = st.calls.get_mut(id) else {
            return;
        };
        if call.state != CallState::Answered {
            return;
        }
        let Some(mode) = call.spec.amd.clone() else {
            return;
        };
        let conn = &self.config.connection_id;
        if mode == "premium" {
            let r = match result {
                "human" => "human_residence",
                "machine" => "machine",
                _ => "not_sure",
            };
            emit(
                call,
                conn,
                "call.machine.premium.detection.ended",
                json!({"result": r}),
            );
            if r == "machine" {
                emit(
                    call,
                    conn,
                    "call.machine.premium.greeting.ended",
                    json!({"result": "beep_detected"}),
                );
            }
        } else {
            emit(
                call,
                conn,
                "call.machine.detection.ended",
                json!({"result": result}),
            );
            if result == "machine" && matches!(mode.as_str(), "detect_beep" | "greeting_end") {
                emit(
                    call,
                    conn,
                    "call.machine.greeting.ended",
                    json!({"result": "beep_detected"}),
                );
            }
        }
    }

    /// Queues an arbitrary event on a live call (used by commands).
    pub fn emit_on(&self, call: &mut Call, event_type: &str, extra: Value) {
        emit(call, &self.config.connection_id, event_type, extra);
    }

    pub fn snapshots(&self) -> Vec<CallSnapshot> {
        let st = self.lock();
        let mut v: Vec<_> = st.calls.values().map(|c| (c.seq, c.snapshot())).collect();
        v.sort_by_key(|(s, _)| *s);
        v.into_iter().map(|(_, s)| s).collect()
    }

    pub fn snapshot(&self, id: &str) -> Option<CallSnapshot> {
        self.lock().calls.get(id).map(Call::snapshot)
    }

    /// Schedules the natural end of a playback or speak unless it was stopped first.
    pub fn schedule_media_end(
        self: &Arc<Self>,
        id: &str,
        generation: u64,
        after: Duration,
        speak: bool,
    ) {
        let inner = self.clone();
        let id = id.to_string();
        tokio::spawn(async move {
            tokio::time::sleep(inner.scaled(after)).await;
            let mut st = inner.lock();
            let Some(call) = st.calls.get_mut(&id) else {
                return;
            };
            if speak {
                if call.speak == Some(generation) {
                    call.speak = None;
                    inner.emit_on(call, "call.speak.ended", json!({"status": "completed"}));
                }
            } else if call
                .playback
                .as_ref()
                .is_some_and(|(g, _)| *g == generation)
            {
                let (_, mut media) = call.playback.take().expect("checked");
                media["status"] = json!("completed");
                inner.emit_on(call, "call.playback.ended", media);
            }
        });
    }
}

pub fn start_recording(call: &mut Call, spec: RecordSpec) {
    call.recording_ids.push(spec.recording_id.clone());
    call.recording = Some(ActiveRecording {
        spec,
        started_at: Utc::now(),
        started: Instant::now(),
        paused_since: None,
        paused_total: Duration::ZERO,
    });
}
