//! A Verto test peer: what a `@telnyx/webrtc` page does, for end-to-end tests of browser mode
//! without a browser (log in with a token, take an invite, answer it with real media).
//! The same peer the conformance tests use, behind the `test-peer` feature.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use str0m::change::SdpOffer;
use str0m::format::Codec;
use str0m::media::{Frequency, MediaTime, Mid};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc, RtcConfig};
use tokio::net::UdpSocket;
use tokio::sync::{Notify, mpsc};
use tokio_tungstenite::tungstenite::Message;

/// How long a wait for the gateway may take.
pub const WAIT: Duration = Duration::from_secs(10);

pub struct Verto {
    out: mpsc::UnboundedSender<String>,
    /// Each message with the moment the socket delivered it, so a wait reports when the
    /// message arrived, not when the waiter looked.
    inbox: Arc<Mutex<Vec<(Instant, Value)>>>,
    arrived: Arc<Notify>,
    next_id: Mutex<u64>,
}

impl Verto {
    pub async fn connect(url: &str) -> Verto {
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let (mut sink, mut stream) = ws.split();
        let (out, mut rx) = mpsc::unbounded_channel::<String>();
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let arrived = Arc::new(Notify::new());
        tokio::spawn(async move {
            while let Some(m) = rx.recv().await {
                if sink.send(Message::text(m)).await.is_err() {
                    break;
                }
            }
            let _ = sink.close().await;
        });
        let (ib, notify) = (inbox.clone(), arrived.clone());
        tokio::spawn(async move {
            while let Some(Ok(m)) = stream.next().await {
                if let Message::Text(t) = m {
                    let at = Instant::now();
                    ib.lock()
                        .unwrap()
                        .push((at, serde_json::from_str(&t).unwrap()));
                    notify.notify_waiters();
                }
            }
        });
        Verto {
            out,
            inbox,
            arrived,
            next_id: Mutex::new(0),
        }
    }

    pub fn send_raw(&self, v: Value) {
        self.out.send(v.to_string()).unwrap();
    }

    /// Sends a request and waits for the answer with the same id.
    pub async fn call(&self, method: &str, params: Value) -> Value {
        let id = {
            let mut n = self.next_id.lock().unwrap();
            *n += 1;
            *n
        };
        self.send_raw(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait(&format!("answer to {method}"), |m| {
            m["id"] == id && m.get("method").is_none()
        })
        .await
    }

    /// Waits for (and consumes) the first message that matches.
    pub async fn wait(&self, what: &str, f: impl Fn(&Value) -> bool) -> Value {
        self.wait_timed(what, f).await.1
    }

    /// [`Verto::wait`], with the moment the message arrived on the socket.
    pub async fn wait_timed(&self, what: &str, f: impl Fn(&Value) -> bool) -> (Instant, Value) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            // Registered before looking, so a message landing in between still wakes us.
            let arrived = self.arrived.notified();
            {
                let mut ib = self.inbox.lock().unwrap();
                if let Some(i) = ib.iter().position(|(_, m)| f(m)) {
                    return ib.remove(i);
                }
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("timed out waiting for {what}");
            }
        }
    }

    /// Waits for a request the server sent, and acknowledges it like the SDK does.
    pub async fn wait_request(&self, method: &str) -> Value {
        self.wait_request_timed(method).await.1
    }

    /// [`Verto::wait_request`], with the moment the request arrived on the socket.
    pub async fn wait_request_timed(&self, method: &str) -> (Instant, Value) {
        let (at, m) = self
            .wait_timed(method, |m| m["method"] == method && m.get("id").is_some())
            .await;
        self.send_raw(json!({"jsonrpc": "2.0", "id": m["id"], "result": {"method": method}}));
        (at, m)
    }

    /// True if the server sent a request with this method (not consumed).
    pub fn has_request(&self, method: &str) -> bool {
        self.inbox
            .lock()
            .unwrap()
            .iter()
            .any(|(_, m)| m["method"] == method)
    }

    /// login + clientReady + gatewayState, as the SDK does before `telnyx.ready`.
    pub async fn register(&self, token: &str) -> String {
        let r = self.call("login", json!({"login_token": token})).await;
        let sessid = r["result"]["sessid"]
            .as_str()
            .expect("logged in")
            .to_string();
        self.wait_request("telnyx_rtc.clientReady").await;
        let g = self.call("telnyx_rtc.gatewayState", json!({})).await;
        assert_eq!(g["result"]["params"]["state"], "REGED", "{g}");
        sessid
    }
}

/// G.711 µ-law decode, written out independently of the emulator's codec.
fn ulaw(b: u8) -> i16 {
    let u = !b;
    let t = ((((u & 0x0F) as i32) << 3) + 0x84) << ((u & 0x70) >> 4);
    (if u & 0x80 != 0 { 0x84 - t } else { t - 0x84 }) as i16
}

fn level_dbov(payload: &[u8]) -> f64 {
    let n = payload.len().max(1) as f64;
    let sum: f64 = payload.iter().map(|b| (ulaw(*b) as f64).powi(2)).sum();
    let rms = (sum / n).sqrt();
    if rms < 1.0 {
        -127.0
    } else {
        20.0 * (rms / 32768.0).log10() + 3.01
    }
}

/// What the test peer sends and what it heard.
#[derive(Default)]
pub struct PeerState {
    /// Send a 1 kHz tone (-10 dBov) instead of digital silence.
    pub tone: AtomicBool,
    pub tone_since: Mutex<Option<Instant>>,
    /// (arrival, decoded level dBov) of every frame received.
    pub heard: Mutex<Vec<(Instant, f64)>>,
    pub connected: AtomicBool,
}

impl PeerState {
    pub fn set_tone(&self, on: bool) {
        self.tone.store(on, Ordering::SeqCst);
    }
    /// Frames louder than -40 dBov heard since `t`.
    pub fn voiced_since(&self, t: Instant) -> usize {
        self.heard
            .lock()
            .unwrap()
            .iter()
            .filter(|(at, l)| *at >= t && *l > -40.0)
            .count()
    }
    pub fn first_heard(&self) -> Option<Instant> {
        self.heard.lock().unwrap().first().map(|h| h.0)
    }
}

pub struct TestPeer {
    rtc: Rtc,
    socket: UdpSocket,
    mid: Option<Mid>,
}

/// Answers the gateway's offer; returns the SDP answer and the peer (not yet running).
pub async fn answer(offer_sdp: &str) -> (String, TestPeer) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut rtc = RtcConfig::new()
        .set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags()))
        .clear_codecs()
        .enable_pcmu(true, false)
        .build(Instant::now());
    rtc.add_local_candidate(Candidate::host(socket.local_addr().unwrap(), "udp").unwrap());
    let offer = SdpOffer::from_sdp_string(offer_sdp).unwrap();
    let answer = rtc.sdp_api().accept_offer(offer).unwrap();
    (
        answer.to_sdp_string(),
        TestPeer {
            rtc,
            socket,
            mid: None,
        },
    )
}

impl TestPeer {
    /// Runs until `state` is dropped elsewhere and `stop` is set, or 60 s pass.
    pub async fn run(mut self, state: Arc<PeerState>, stop: Arc<AtomicBool>) {
        let local = self.socket.local_addr().unwrap();
        let end = Instant::now() + Duration::from_secs(60);
        let mut buf = vec![0u8; 2048];
        let mut next = Instant::now();
        let mut n = 0u64;
        while !stop.load(Ordering::SeqCst) && Instant::now() < end {
            let timeout = loop {
                match self.rtc.poll_output().unwrap() {
                    Output::Timeout(t) => break t,
                    Output::Transmit(t) => {
                        let _ = self.socket.try_send_to(&t.contents, t.destination);
                    }
                    Output::Event(e) => self.event(e, &state),
                }
            };
            let wake = timeout.min(next);
            tokio::select! {
                r = self.socket.recv_from(&mut buf) => {
                    let (len, source) = r.unwrap();
                    let input = Input::Receive(Instant::now(), Receive {
                        proto: Protocol::Udp, source, destination: local,
                        contents: buf[..len].try_into().unwrap(),
                    });
                    self.rtc.handle_input(input).unwrap();
                }
                _ = tokio::time::sleep_until(wake.into()) => {}
            }
            let now = Instant::now();
            if now >= next {
                next += Duration::from_millis(20);
                if self.send_frame(&state, now, n * 160) {
                    n += 1;
                }
            }
            self.rtc
                .handle_input(Input::Timeout(Instant::now()))
                .unwrap();
        }
    }

    /// One 20 ms PCMU frame from sample `first`: a 1 kHz tone at -10 dBov, or digital
    /// silence. False before the connection is up.
    fn send_frame(&mut self, state: &PeerState, now: Instant, first: u64) -> bool {
        let Some(mid) = self.mid.filter(|_| state.connected.load(Ordering::SeqCst)) else {
            return false;
        };
        let tone = state.tone.load(Ordering::SeqCst);
        let frame: Vec<u8> = (0..160)
            .map(|i| {
                let t = (first + i) as f64 / 8000.0;
                let s = if tone {
                    (t * 1000.0 * std::f64::consts::TAU).sin() * 10_000.0
                } else {
                    0.0
                };
                crate::webrtc::mulaw::encode(s as i16)
            })
            .collect();
        let w = self.rtc.writer(mid).unwrap();
        let pt = w
            .payload_params()
            .find(|p| p.spec().codec == Codec::PCMU)
            .unwrap()
            .pt();
        w.write(pt, now, MediaTime::new(first, Frequency::EIGHT_KHZ), frame)
            .unwrap();
        if tone {
            state.tone_since.lock().unwrap().get_or_insert(now);
        }
        true
    }

    fn event(&mut self, e: Event, state: &PeerState) {
        match e {
            Event::MediaAdded(m) => self.mid = Some(m.mid),
            Event::Connected => state.connected.store(true, Ordering::SeqCst),
            Event::MediaData(d) => state
                .heard
                .lock()
                .unwrap()
                .push((Instant::now(), level_dbov(&d.data))),
            _ => {}
        }
    }
}
