//! The Verto JSON-RPC endpoint the `@telnyx/webrtc` SDK talks to: the subset a page that
//! receives calls needs (login, clientReady, gatewayState, invite, answer, bye, modify, info,
//! ping). Requests the server sends are acknowledged by the SDK with a bare `result`; those
//! are accepted and ignored.

use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use chrono::Utc;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use super::{Gateway, LegState, Legs, creds, peer, request, sending_for};
use crate::state::Core;

pub async fn upgrade(ws: WebSocketUpgrade, State(core): State<Arc<Core>>) -> Response {
    ws.on_upgrade(move |socket| serve(socket, core))
}

fn result(id: &Value, result: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string()
}

fn error(id: &Value, code: i64, message: &str) -> String {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}}).to_string()
}

const AUTH_REQUIRED: (i64, &str) = (-32000, "Authentication Required");
const LOGIN_FAILED: (i64, &str) = (-32001, "Authentication Failure");
const NO_CALL: (i64, &str) = (-32002, "CALL DOES NOT EXIST");
const BAD_PARAMS: (i64, &str) = (-32602, "Invalid params");

/// How often a logged-in page is pinged, as Telnyx does; the SDK pings back on its own
/// after 35 s without one, and drops a socket that stops answering.
const KEEPALIVE: std::time::Duration = std::time::Duration::from_secs(30);

struct Conn {
    inner: Arc<Core>,
    out: mpsc::UnboundedSender<String>,
    /// (gateway session id, sessid) once logged in.
    session: Option<(u64, String)>,
}

async fn serve(mut socket: WebSocket, inner: Arc<Core>) {
    let (out, mut rx) = mpsc::unbounded_channel::<String>();
    let mut conn = Conn {
        inner,
        out,
        session: None,
    };
    let mut keepalive = tokio::time::interval(KEEPALIVE);
    keepalive.tick().await;
    loop {
        tokio::select! {
            _ = keepalive.tick() => conn.ping(),
            m = socket.recv() => match m {
                Some(Ok(Message::Text(t))) => {
                    if let Some(reply) = conn.handle(t.as_str())
                        && socket.send(Message::Text(reply.into())).await.is_err()
                    {
                        break;
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            Some(frame) = rx.recv() => {
                if socket.send(Message::Text(frame.into())).await.is_err() {
                    break;
                }
            }
        }
    }
    conn.leave();
}

impl Conn {
    fn gw(&self) -> &Gateway {
        &self.inner.gateway
    }

    fn ping(&self) {
        if self.session.is_some() {
            let ping = request(self.gw().next_id(), "telnyx_rtc.ping", json!({}));
            let _ = self.out.send(ping);
        }
    }

    fn handle(&mut self, text: &str) -> Option<String> {
        let Ok(msg) = serde_json::from_str::<Value>(text) else {
            return Some(error(&Value::Null, -32700, "Parse error"));
        };
        let id = msg.get("id").cloned().unwrap_or(Value::Null);
        // A bare result/error is the SDK acknowledging one of our requests.
        let method = msg.get("method")?.as_str().unwrap_or_default().to_string();
        let params = msg.get("params").cloned().unwrap_or(json!({}));
        if method == "login" {
            return Some(self.login(&id, &params));
        }
        if method == "telnyx_rtc.ping" {
            return Some(result(&id, json!({"method": method})));
        }
        let Some((session, sessid)) = self.session.clone() else {
            return Some(error(&id, AUTH_REQUIRED.0, AUTH_REQUIRED.1));
        };
        let call_id = params["dialogParams"]["callID"]
            .as_str()
            .or(params["callID"].as_str())
            .unwrap_or_default()
            .to_string();
        let r = match method.as_str() {
            "telnyx_rtc.gatewayState" => {
                Ok(json!({"params": {"state": "REGED"}, "sessid": sessid}))
            }
            "telnyx_rtc.answer" => self.answer(session, &call_id, &params),
            "telnyx_rtc.bye" => self.bye(session, &call_id),
            "telnyx_rtc.modify" => self.modify(session, &call_id, &params),
            "telnyx_rtc.info" => self.info(session, &call_id, &params),
            _ => Err((-32601, "Method not found")),
        };
        Some(match r {
            Ok(mut v) => {
                if v.get("sessid").is_none() {
                    v["sessid"] = json!(sessid);
                }
                result(&id, v)
            }
            Err((code, message)) => error(&id, code, message),
        })
    }

    fn login(&mut self, id: &Value, params: &Value) -> String {
        let user = match self.authenticate(params) {
            Some(u) => u,
            None => return error(id, LOGIN_FAILED.0, LOGIN_FAILED.1),
        };
        // Logging in again on the same socket starts a new session: the old one's calls end.
        self.leave();
        let sessid = params["sessid"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let session = self.gw().register(&user, self.out.clone());
        self.session = Some((session, sessid.clone()));
        let ready = request(self.gw().next_id(), "telnyx_rtc.clientReady", json!({}));
        let _ = self.out.send(ready);
        result(id, json!({"message": "logged in", "sessid": sessid}))
    }

    /// A valid token of a live credential, or the credential's SIP username and password.
    fn authenticate(&self, params: &Value) -> Option<String> {
        let st = self.gw().creds();
        if let Some(token) = params["login_token"].as_str().filter(|t| !t.is_empty()) {
            let user = creds::verify_token(&self.inner.signing_key, token, Utc::now()).ok()?;
            return st.by_sip_username(&user).map(|c| c.sip_username.clone());
        }
        let login = params["login"].as_str()?;
        let user = login.split('@').next().unwrap_or_default();
        let pass = params["passwd"].as_str().or(params["password"].as_str())?;
        st.by_sip_username(user)
            .filter(|c| c.sip_password == pass)
            .map(|c| c.sip_username.clone())
    }

    fn answer(
        &self,
        session: u64,
        call_id: &str,
        params: &Value,
    ) -> Result<Value, (i64, &'static str)> {
        let sdp = params["sdp"].as_str().ok_or(BAD_PARAMS)?;
        let (ccid, active, stats, stop) = {
            let mut st = self.gw().lock();
            let (ccid, leg) = Gateway::leg_by_call_id(&mut st, session, call_id).ok_or(NO_CALL)?;
            let pending = leg.pending.take().ok_or(NO_CALL)?;
            let active = pending.accept(sdp).map_err(|e| {
                tracing::warn!(error = %e, "page's SDP answer refused");
                BAD_PARAMS
            })?;
            let (tx, rx) = oneshot::channel();
            leg.stop = Some(tx);
            (ccid.clone(), active, leg.stats.clone(), rx)
        };
        let legs: Arc<dyn Legs> = Arc::new(self.inner.clone());
        let view_legs = legs.clone();
        let id = ccid.clone();
        let own = stats.clone();
        let what = move || match view_legs.view(&id) {
            Some(v) => sending_for(&v, peer::lock(&own).held),
            None => super::Sending::None,
        };
        tokio::spawn(peer::run(active, stats, what, stop));
        legs.answer(&ccid);
        Ok(json!({"method": "telnyx_rtc.answer", "callID": call_id}))
    }

    fn bye(&self, session: u64, call_id: &str) -> Result<Value, (i64, &'static str)> {
        let ccid = {
            let mut st = self.gw().lock();
            let (ccid, leg) = Gateway::leg_by_call_id(&mut st, session, call_id).ok_or(NO_CALL)?;
            leg.page_gone = true;
            ccid.clone()
        };
        let legs: &dyn Legs = &self.inner;
        page_left(legs, &ccid, "call_rejected", "603");
        Ok(
            json!({"callID": call_id, "message": "CALL ENDED", "cause": "NORMAL_CLEARING", "causeCode": 16}),
        )
    }

    fn modify(
        &self,
        session: u64,
        call_id: &str,
        params: &Value,
    ) -> Result<Value, (i64, &'static str)> {
        let action = params["action"].as_str().unwrap_or_default();
        let mut st = self.gw().lock();
        let (_, leg) = Gateway::leg_by_call_id(&mut st, session, call_id).ok_or(NO_CALL)?;
        let mut stats = peer::lock(&leg.stats);
        let held = match action {
            "hold" => true,
            "unhold" => false,
            "toggleHold" => !stats.held,
            _ => return Err(BAD_PARAMS),
        };
        stats.held = held;
        let state = if held { "held" } else { "active" };
        Ok(json!({"callID": call_id, "action": action, "holdState": state}))
    }

    fn info(
        &self,
        session: u64,
        call_id: &str,
        params: &Value,
    ) -> Result<Value, (i64, &'static str)> {
        let digits = params["dtmf"].as_str().ok_or(BAD_PARAMS)?.to_string();
        let ccid = {
            let mut st = self.gw().lock();
            let (ccid, leg) = Gateway::leg_by_call_id(&mut st, session, call_id).ok_or(NO_CALL)?;
            leg.dtmf.push_str(&digits);
            ccid.clone()
        };
        let legs: &dyn Legs = &self.inner;
        legs.dtmf(&ccid, &digits);
        Ok(json!({"message": "SENT"}))
    }

    /// The page's session is over (socket gone, or a new login): it no longer takes calls,
    /// and its calls end.
    fn leave(&mut self) {
        let Some((session, _)) = self.session.take() else {
            return;
        };
        let legs: &dyn Legs = &self.inner;
        for ccid in self.gw().unregister(session) {
            page_left(legs, &ccid, "not_found", "480");
        }
    }
}

/// The page left a call: declined it while ringing, or hung up once answered.
fn page_left(legs: &dyn Legs, ccid: &str, ringing_cause: &str, ringing_sip: &str) {
    match legs.view(ccid).map(|v| v.state) {
        Some(LegState::Ringing) => legs.end(ccid, ringing_cause, "callee", ringing_sip),
        Some(LegState::Answered) => legs.end(ccid, "normal_clearing", "callee", "200"),
        _ => false,
    };
}
