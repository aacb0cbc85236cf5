//! Rows 11–14: browser mode. The page is the emulator's Verto test peer
//! (`emulator::dev::test_peer`, a Rust stand-in for a `@telnyx/webrtc` page: login with a token,
//! invites, SDP answer, real str0m media over loopback UDP), so the figures are the product's and
//! the emulator's, not a browser's.
//!
//! * 11: Press Call → the page rings, through the local product (`local::Stack`);
//! * 12: token mint, through the local product and the emulator's token endpoint alone;
//! * 13, 14: the emulator's WebRTC gateway alone: SDP answer → first audio packet, and one-way
//!   media delay from the page's sender to the gateway's meter.

use crate::e2e::{Local, send};
use crate::{Row, ms, percentile};
use emulator::dev::test_peer::{PeerState, Verto, answer};
use emulator::{Emulator, EmulatorConfig};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const WARM_UP: usize = 20;
const MINTS: usize = 500;
const WARM_UP_CALLS: usize = 5;
const MEDIA_CALLS: usize = 60;
/// One of the emulator's owned numbers, the caller ID of the gateway rows' dials.
const FROM: &str = "+13125550201";
const WAIT: Duration = Duration::from_secs(10);
const RING_CALLS: usize = 50;
/// The customer: never dialled in row 11 (the agent's leg is hung up while it rings).
const CUSTOMER: &str = "+12125550108";

/// "p50 a ms, p95 b ms" of sorted samples.
fn p50_p95(sorted: &[Duration]) -> String {
    format!(
        "p50 {:.2} ms, p95 {:.2} ms",
        ms(percentile(sorted, 0.5)),
        ms(percentile(sorted, 0.95))
    )
}

fn spread_max(sorted: &[Duration]) -> String {
    format!(
        "{}, max {:.2} ms over {}",
        p50_p95(sorted),
        ms(*sorted.last().expect("samples")),
        sorted.len()
    )
}

/// The emulator alone on a loopback port, with a webhook sink (events are not the point here)
/// and one credential a page logs in with.
struct Gateway {
    emu: Emulator,
    http: reqwest::Client,
    webhook_url: String,
    credential_id: String,
}

impl Gateway {
    async fn start() -> Gateway {
        let sink = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let webhook_url = format!("http://{}/hook", sink.local_addr().expect("an address"));
        let app = axum::Router::new().route("/hook", axum::routing::post(|| async { "" }));
        tokio::spawn(async move { axum::serve(sink, app).await });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let config = EmulatorConfig {
            time_scale: 1.0,
            dial_rate_limit_per_sec: 100_000,
            ..EmulatorConfig::default()
        };
        let emu = Emulator::start(config, listener)
            .await
            .expect("the emulator starts");
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("an HTTP client");
        let mut g = Gateway {
            emu,
            http,
            webhook_url,
            credential_id: String::new(),
        };
        let connection = g
            .v2(
                "/credential_connections",
                json!({"connection_name": "bench", "user_name": "benchconn",
                       "password": "bench-pass-1"}),
            )
            .await;
        let credential = g
            .v2(
                "/telephony_credentials",
                json!({"connection_id": connection["data"]["id"], "name": "bench agent"}),
            )
            .await;
        g.credential_id = credential["data"]["id"]
            .as_str()
            .expect("a credential id")
            .to_string();
        g
    }

    async fn v2(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.emu.base_url()))
            .bearer_auth(&self.emu.config().api_key)
            .json(&body)
            .send()
            .await
            .expect("the emulator answers");
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "POST {path}: {status} {body}");
        body
    }

    async fn token(&self) -> String {
        let r = self
            .http
            .post(format!(
                "{}/telephony_credentials/{}/token",
                self.emu.base_url(),
                self.credential_id
            ))
            .bearer_auth(&self.emu.config().api_key)
            .send()
            .await
            .expect("the emulator answers");
        assert_eq!(r.status(), 201, "token");
        r.text().await.expect("a token")
    }

    async fn sip_username(&self) -> String {
        let r: Value = self
            .http
            .get(format!(
                "{}/telephony_credentials/{}",
                self.emu.base_url(),
                self.credential_id
            ))
            .bearer_auth(&self.emu.config().api_key)
            .send()
            .await
            .expect("the emulator answers")
            .json()
            .await
            .expect("JSON");
        r["data"]["sip_username"]
            .as_str()
            .expect("a sip_username")
            .into()
    }
}

// ── Row 12, the emulator's part ────────────────────────────────────────────────────────────

/// `POST /v2/telephony_credentials/{id}/token` back to back on one keep-alive connection.
pub async fn emulator_token_mint() -> Vec<Duration> {
    let g = Gateway::start().await;
    for _ in 0..WARM_UP {
        g.token().await;
    }
    let mut samples = Vec::with_capacity(MINTS);
    for _ in 0..MINTS {
        let t = Instant::now();
        let jwt = g.token().await;
        samples.push(t.elapsed());
        assert_eq!(jwt.split('.').count(), 3, "a JWT");
    }
    samples.sort();
    samples
}

// ── Row 11 and row 12 through the local product ─────────────────────────────────────────────

pub struct ProductFigures {
    /// Press Call (the dial request leaves) → the page's socket receives `telnyx_rtc.invite`.
    pub press_to_ring: Vec<Duration>,
    /// The same dials: request → the dial's 201.
    pub dial_201: Vec<Duration>,
    /// How many invites arrived before the dial's 201.
    pub invite_first: usize,
    /// `POST /api/webrtc/token` with the user's credential already made.
    pub token: Vec<Duration>,
    /// The first `POST /api/webrtc/token`, which also creates the Telnyx credential.
    pub first_token: Duration,
}

/// Browser mode through the local product, as the softphone drives it: an agent signs in,
/// chooses browser mode, mints tokens, a page logs in with one, then Press Call × N.
/// `Err` says why when the product has no browser mode (yet).
pub async fn product() -> Result<ProductFigures, String> {
    let local = Local::start(
        EmulatorConfig {
            time_scale: 1.0,
            dial_rate_limit_per_sec: 100_000,
            ..EmulatorConfig::default()
        },
        600,
    )
    .await;
    let admin = local.admin().await;
    let agent = local.agents(&admin, 1).await.pop().expect("an agent");
    let (status, me) = send(
        agent
            .patch(local.url("/api/auth/me"))
            .json(&json!({"agent_mode": "browser"})),
    )
    .await;
    if status != 200 || me["agent"]["effective_mode"] != "browser" {
        return Err(format!(
            "PATCH /api/auth/me agent_mode browser: {status} {me}"
        ));
    }
    let mint = || send(agent.post(local.url("/api/webrtc/token")));
    let t = Instant::now();
    let (status, first) = mint().await;
    let first_token = t.elapsed();
    if status != 200 {
        return Err(format!("POST /api/webrtc/token: {status} {first}"));
    }
    for _ in 0..WARM_UP {
        mint().await;
    }
    let mut token = Vec::with_capacity(MINTS);
    for _ in 0..MINTS {
        let t = Instant::now();
        let (status, body) = mint().await;
        token.push(t.elapsed());
        assert_eq!(status, 200, "token: {body}");
    }
    token.sort();

    let host = first["host"].as_str().expect("a local Verto host");
    let page = Verto::connect(host).await;
    let (_, fresh) = mint().await;
    page.register(fresh["token"].as_str().expect("a token"))
        .await;
    let mut f = ProductFigures {
        press_to_ring: Vec::new(),
        dial_201: Vec::new(),
        invite_first: 0,
        token,
        first_token,
    };
    for i in 0..WARM_UP_CALLS + RING_CALLS {
        let pressed = Instant::now();
        let (status, call) = send(
            agent
                .post(local.url("/api/telnyx/dial"))
                .json(&json!({"to_number": CUSTOMER, "from_number": FROM, "agent_ready": true})),
        )
        .await;
        let answered = Instant::now();
        if status != 201 {
            return Err(format!("browser-mode dial: {status} {call}"));
        }
        let (rang, invite) = page.wait_request_timed("telnyx_rtc.invite").await;
        // The invite is the one for this dial's agent leg, not a stray one.
        assert_eq!(
            invite["params"]["telnyx_call_control_id"], call["agent_leg"]["call_control_id"],
            "invite {invite} for dial {call}"
        );
        let id = call["call_id"].as_str().expect("a call id");
        let (status, body) = send(agent.post(local.url(&format!("/api/telnyx/hangup/{id}")))).await;
        assert!((200..300).contains(&status), "hangup: {status} {body}");
        page.wait_request("telnyx_rtc.bye").await;
        let status_url = local.url(&format!("/api/call-status/status/{id}"));
        until_async("the call ended", || async {
            let (_, view) = send(agent.get(&status_url)).await;
            let legs_up = local
                .stack
                .emulator
                .calls()
                .iter()
                .any(|c| c.state != emulator::CallState::Ended);
            (view["status"] == "ended" && !legs_up).then_some(())
        })
        .await;
        if i >= WARM_UP_CALLS {
            f.press_to_ring.push(rang - pressed);
            f.dial_201.push(answered - pressed);
            if rang < answered {
                f.invite_first += 1;
            }
        }
    }
    f.press_to_ring.sort();
    f.dial_201.sort();
    Ok(f)
}

async fn until_async<F: std::future::Future<Output = Option<()>>>(
    what: &str,
    mut f: impl FnMut() -> F,
) {
    let deadline = Instant::now() + WAIT;
    while f().await.is_none() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

pub fn row11(f: &Result<ProductFigures, String>) -> Row {
    const WHAT: &str = "11 Press Call → the page rings (browser mode, local product)";
    const TARGET: &str = "p95 ≤ 25 ms";
    match f {
        Ok(f) => Row {
            what: WHAT,
            figure: spread_max(&f.press_to_ring),
            target: TARGET,
            pass: percentile(&f.press_to_ring, 0.95) <= Duration::from_millis(25),
            notes: vec![
                format!(
                    "POST /api/telnyx/dial {{agent_ready: true}} sent → telnyx_rtc.invite on the page's socket; {RING_CALLS} dials after {WARM_UP_CALLS} warm-up, each hung up while the page rings (bye seen, every leg ended) before the next"
                ),
                format!(
                    "the dial's 201: {}; the invite came before the 201 in {} of {}",
                    p50_p95(&f.dial_201),
                    f.invite_first,
                    f.press_to_ring.len()
                ),
            ],
        },
        Err(why) => Row {
            what: WHAT,
            figure: format!("not measured: {why}"),
            target: TARGET,
            pass: false,
            notes: Vec::new(),
        },
    }
}

// ── Rows 13 and 14 ────────────────────────────────────────────────────────────────────────

pub struct MediaFigures {
    /// SDP answer sent → first RTP packet from the gateway at the page.
    pub answer_to_audio: Vec<Duration>,
    /// First tone frame written by the page's sender → the gateway's meter first counting a
    /// voiced frame.
    pub one_way: Vec<Duration>,
}

/// One page registered once; each call: dial its SIP URI, answer the invite with a fresh str0m
/// peer, time the first packet back, then turn the tone on and time its arrival at the meter.
pub async fn gateway_media() -> MediaFigures {
    let g = Gateway::start().await;
    let page = Verto::connect(&g.emu.verto_url()).await;
    let sessid = page.register(&g.token().await).await;
    let to = format!("sip:{}@sip.telnyx.com", g.sip_username().await);
    let mut figures = MediaFigures {
        answer_to_audio: Vec::new(),
        one_way: Vec::new(),
    };
    for i in 0..WARM_UP_CALLS + MEDIA_CALLS {
        let dial = g
            .v2(
                "/calls",
                json!({"connection_id": g.emu.config().connection_id, "to": to, "from": FROM,
                       "webhook_url": g.webhook_url, "timeout_secs": 600}),
            )
            .await;
        let ccid = dial["data"]["call_control_id"]
            .as_str()
            .expect("a call_control_id")
            .to_string();
        let invite = page.wait_request("telnyx_rtc.invite").await;
        let offer = invite["params"]["sdp"].as_str().expect("an SDP offer");
        let (sdp, peer) = answer(offer).await;
        let state = Arc::new(PeerState::default());
        let stop = Arc::new(AtomicBool::new(false));
        let running = tokio::spawn(peer.run(state.clone(), stop.clone()));
        let answered_at = Instant::now();
        let r = page
            .call(
                "telnyx_rtc.answer",
                json!({"sessid": sessid, "sdp": sdp,
                       "dialogParams": {"callID": invite["params"]["callID"]}}),
            )
            .await;
        assert!(r["result"].is_object(), "answer: {r}");
        let first_audio = until("the first packet at the page", || state.first_heard()).await;
        state.set_tone(true);
        let first_voiced = until("the tone at the gateway's meter", || {
            g.emu.webrtc_first_voiced(&ccid)
        })
        .await;
        let tone_at = state
            .tone_since
            .lock()
            .expect("not poisoned")
            .expect("the tone was sent");
        if i >= WARM_UP_CALLS {
            figures.answer_to_audio.push(first_audio - answered_at);
            figures
                .one_way
                .push(first_voiced.saturating_duration_since(tone_at));
        }
        g.v2(&format!("/calls/{ccid}/actions/hangup"), json!({}))
            .await;
        page.wait_request("telnyx_rtc.bye").await;
        stop.store(true, Ordering::SeqCst);
        let _ = running.await;
    }
    figures.answer_to_audio.sort();
    figures.one_way.sort();
    figures
}

/// Polls `f` (a cheap in-process read whose value carries its own timestamp, so the poll's
/// period does not enter the figure) until it has a value.
async fn until<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

pub fn row12(emulator: &[Duration], product: &Result<ProductFigures, String>) -> Row {
    let emu_p95 = percentile(emulator, 0.95);
    let mut notes = vec![format!(
        "emulator alone (POST /v2/telephony_credentials/{{id}}/token, Ed25519-signed JWT): {} ({WARM_UP} warm-up)",
        spread_max(emulator)
    )];
    let (figure, pass) = match product {
        Ok(f) => {
            let p = &f.token;
            notes.push(format!(
                "through the local product (POST /api/webrtc/token, credential reused): {} ({WARM_UP} warm-up); the first call, which also creates the user's credential: {:.2} ms",
                spread_max(p),
                ms(f.first_token)
            ));
            let p95 = percentile(p, 0.95);
            (
                format!(
                    "product p95 {:.2} ms, emulator alone p95 {:.2} ms",
                    ms(p95),
                    ms(emu_p95)
                ),
                p95 <= Duration::from_millis(5) && emu_p95 <= Duration::from_millis(1),
            )
        }
        Err(why) => (
            format!(
                "emulator alone p95 {:.2} ms; product not measured: {why}",
                ms(emu_p95)
            ),
            false,
        ),
    };
    Row {
        what: "12 WebRTC token mint (local product; emulator's token endpoint alone)",
        figure,
        target: "product p95 ≤ 5 ms, emulator p95 ≤ 1 ms",
        pass,
        notes,
    }
}

pub fn rows13_14(f: &MediaFigures) -> Vec<Row> {
    let a = &f.answer_to_audio;
    let d = &f.one_way;
    vec![
        Row {
            what: "13 WebRTC answer → first audio packet from the emulator (loopback)",
            figure: spread_max(a),
            target: "p95 ≤ 100 ms",
            pass: percentile(a, 0.95) <= Duration::from_millis(100),
            notes: vec![format!(
                "Verto telnyx_rtc.answer sent → first RTP packet at the page's str0m peer (ICE-lite + DTLS + first 20 ms frame); {MEDIA_CALLS} calls after {WARM_UP_CALLS} warm-up, one page registered once, a fresh peer per call"
            )],
        },
        Row {
            what: "14 one-way media delay through the emulator (loopback)",
            figure: spread_max(d),
            target: "p95 ≤ 20 ms",
            pass: percentile(d, 0.95) <= Duration::from_millis(20),
            notes: vec![format!(
                "the page's first tone frame handed to its RTP sender → the gateway's meter counting a voiced frame (SRTP, µ-law decode, level), one sample per call, same {MEDIA_CALLS} calls as row 13"
            )],
        },
    ]
}

/// Rows 11–14, each part on a runtime of its own.
pub fn run(wanted: impl Fn(u8) -> bool) -> Vec<Row> {
    let mut rows = Vec::new();
    if wanted(11) || wanted(12) {
        let product = crate::e2e::on_own_runtime(product());
        if wanted(11) {
            rows.push(row11(&product));
        }
        if wanted(12) {
            let emulator = crate::e2e::on_own_runtime(emulator_token_mint());
            rows.push(row12(&emulator, &product));
        }
    }
    rows.extend(crate::e2e::on_own_runtime(async move {
        let mut rows = Vec::new();
        if wanted(13) || wanted(14) {
            let f = gateway_media().await;
            rows.extend(rows13_14(&f).into_iter().filter(|r| wanted(r.number())));
        }
        rows
    }));
    rows
}
