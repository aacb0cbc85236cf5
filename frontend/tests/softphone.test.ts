import { describe, expect, it, vi } from "vitest";
import { ApiError } from "@/lib/api";
import type { WebRtcToken } from "@/lib/types";
import {
  EARLY_INVITE_WAIT_MS,
  Softphone,
  refreshDelay,
  type SdkCall,
  type SdkClient,
  type SdkOptions,
  type SoftphoneDeps,
  type TabMessage,
} from "@/lib/webrtc/softphone";

// A stand-in for the SDK at the boundary: it records what the softphone asks of it and lets
// the test fire the events the real SDK fires. What is tested is the softphone's own logic.

class FakeCall implements SdkCall {
  state = "ringing";
  answered = 0;
  hungUp = 0;
  muted: boolean[] = [];
  holds: string[] = [];
  tones = "";
  telnyxIDs: { telnyxCallControlId: string };
  constructor(
    public id: string,
    ccid: string,
  ) {
    this.telnyxIDs = { telnyxCallControlId: ccid };
  }
  answer() {
    this.answered++;
  }
  hangup() {
    this.hungUp++;
  }
  muteAudio() {
    this.muted.push(true);
  }
  unmuteAudio() {
    this.muted.push(false);
  }
  async hold() {
    this.holds.push("hold");
  }
  async unhold() {
    this.holds.push("unhold");
  }
  dtmf(d: string) {
    this.tones += d;
  }
}

class FakeClient implements SdkClient {
  handlers = new Map<string, ((p: unknown) => void)[]>();
  connected = 0;
  disconnected = 0;
  logins: string[] = [];
  constructor(public options: SdkOptions) {}
  on(event: string, cb: (p: never) => void) {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), cb as (p: unknown) => void]);
  }
  emit(event: string, payload?: unknown) {
    (this.handlers.get(event) ?? []).forEach((h) => h(payload));
  }
  connect() {
    this.connected++;
  }
  disconnect() {
    this.disconnected++;
  }
  login({ creds }: { creds: { login_token: string } }) {
    this.logins.push(creds.login_token);
  }
  ring(call: FakeCall) {
    this.emit("telnyx.notification", { type: "callUpdate", call });
  }
  update(call: FakeCall, state: string) {
    call.state = state;
    this.emit("telnyx.notification", { type: "callUpdate", call });
  }
}

interface Timer {
  fn: () => void;
  at: number;
  cleared: boolean;
}

function setup(over: Partial<SoftphoneDeps> = {}) {
  let now = Date.parse("2026-01-01T00:00:00Z");
  const timers: Timer[] = [];
  const clients: FakeClient[] = [];
  const tabListeners: ((m: TabMessage) => void)[] = [];
  const posted: TabMessage[] = [];
  let tokens = 0;
  const fetchToken = vi.fn(async (): Promise<WebRtcToken> => ({
    token: `tok-${++tokens}`,
    expires_at: new Date(now + 3_600_000).toISOString(),
    sip_username: "gencredAgent",
    host: "ws://127.0.0.1:9/verto",
    ice_servers: [],
  }));
  const deps: SoftphoneDeps = {
    fetchToken,
    createClient: async (o) => {
      const c = new FakeClient(o);
      clients.push(c);
      return c;
    },
    probeMicrophone: async () => undefined,
    remoteAudio: () => null,
    channel: {
      post: (m) => posted.push(m),
      listen: (on) => {
        tabListeners.push(on);
        return () => tabListeners.splice(tabListeners.indexOf(on), 1);
      },
    },
    tabId: "tab-a",
    now: () => now,
    setTimer: (fn, ms) => {
      const t = { fn, at: now + ms, cleared: false };
      timers.push(t);
      return t;
    },
    clearTimer: (t) => {
      if (t) (t as Timer).cleared = true;
    },
    ...over,
  };
  const phone = new Softphone(deps);
  /** Moves the clock and runs the timers that came due. */
  const advance = async (ms: number) => {
    now += ms;
    for (const t of timers.filter((t) => !t.cleared && t.at <= now)) {
      t.cleared = true;
      t.fn();
    }
    await flush();
  };
  return {
    phone,
    clients,
    client: () => clients[clients.length - 1]!,
    fetchToken,
    advance,
    posted,
    fromOtherTab: (m: TabMessage) => tabListeners.forEach((l) => l(m)),
  };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

async function registered(over: Partial<SoftphoneDeps> = {}) {
  const s = setup(over);
  await s.phone.start();
  s.client().emit("telnyx.ready");
  return s;
}

describe("registration states", () => {
  it("connects with the token's host and ICE servers, then is ready and tells other tabs", async () => {
    const s = setup();
    const states: string[] = [];
    s.phone.subscribe(() => states.push(s.phone.getState().status));
    await s.phone.start();
    expect(s.phone.getState().status).toBe("connecting");
    expect(s.phone.ready).toBe(false);
    expect(s.client().options).toEqual({
      login_token: "tok-1",
      host: "ws://127.0.0.1:9/verto",
      iceServers: [],
    });
    expect(s.client().connected).toBe(1);
    s.client().emit("telnyx.ready");
    expect(s.phone.getState()).toMatchObject({ status: "ready", sipUsername: "gencredAgent" });
    expect(s.phone.ready).toBe(true);
    expect(states[0]).toBe("connecting");
    expect(s.posted).toEqual([{ type: "registered", tab: "tab-a" }]);
  });

  it("leaves host and ICE servers to the SDK when the token has none", async () => {
    const s = setup({
      fetchToken: async () => ({
        token: "t",
        expires_at: "2026-01-02T00:00:00Z",
        sip_username: "u",
      }),
    });
    await s.phone.start();
    expect(s.client().options).toEqual({ login_token: "t" });
  });

  it("a denied microphone is 'microphone blocked' with a next step, and no token is fetched", async () => {
    const s = setup({
      probeMicrophone: async () => {
        throw Object.assign(new Error("denied"), { name: "NotAllowedError" });
      },
    });
    await s.phone.start();
    const st = s.phone.getState();
    expect(st.status).toBe("mic_blocked");
    expect(st.problem?.nextStep).toMatch(/Allow the microphone/);
    expect(s.fetchToken).not.toHaveBeenCalled();
    expect(s.phone.ready).toBe(false);
  });

  it("a token the backend cannot mint is an error naming what to do", async () => {
    const s = setup({
      fetchToken: async () => {
        throw new ApiError(503, { code: "webrtc_not_configured", detail: "not configured" });
      },
    });
    await s.phone.start();
    expect(s.phone.getState()).toMatchObject({
      status: "error",
      problem: { code: "webrtc_not_configured" },
    });
    expect(s.phone.getState().problem?.nextStep).toMatch(/Agent phone/);
    expect(s.clients).toHaveLength(0);
  });

  it("no network is offline", async () => {
    const s = setup({
      fetchToken: async () => {
        throw new ApiError(0, { code: "network_error", detail: "down" });
      },
    });
    await s.phone.start();
    expect(s.phone.getState().status).toBe("offline");
  });

  it("a closed socket is offline until the SDK is ready again", async () => {
    const s = await registered();
    s.client().emit("telnyx.socket.close");
    expect(s.phone.getState().status).toBe("offline");
    expect(s.phone.ready).toBe(false);
    s.client().emit("telnyx.ready");
    expect(s.phone.getState()).toMatchObject({ status: "ready", problem: null });
  });

  it("a refused login is an error; Retry starts afresh with a new token", async () => {
    const s = setup();
    await s.phone.start();
    s.client().emit("telnyx.error", { error: { message: "Authentication Failure" } });
    expect(s.phone.getState().status).toBe("error");
    expect(s.phone.getState().problem?.nextStep).toMatch(/Authentication Failure/);
    const first = s.client();
    await s.phone.start();
    expect(first.disconnected).toBe(1);
    expect(s.client()).not.toBe(first);
    expect(s.client().options.login_token).toBe("tok-2");
    // The old client's late events change nothing.
    first.emit("telnyx.ready");
    expect(s.phone.getState().status).toBe("connecting");
  });

  it("another tab registering makes this one say so; 'use this tab' registers again", async () => {
    const s = await registered();
    s.fromOtherTab({ type: "registered", tab: "tab-a" });
    expect(s.phone.getState().status).toBe("ready");
    s.fromOtherTab({ type: "registered", tab: "tab-b" });
    expect(s.phone.getState()).toMatchObject({
      status: "other_tab",
      problem: { title: "This softphone is open in another tab" },
    });
    expect(s.phone.ready).toBe(false);
    s.phone.useThisTab();
    await flush();
    s.client().emit("telnyx.ready");
    expect(s.phone.getState().status).toBe("ready");
    expect(s.posted).toHaveLength(2);
  });

  it("stop disconnects and forgets", async () => {
    const s = await registered();
    s.phone.stop();
    expect(s.client().disconnected).toBe(1);
    expect(s.phone.getState().status).toBe("idle");
  });
});

describe("token refresh", () => {
  it("refreshes before expires_at by logging in again on the same client", async () => {
    const s = await registered();
    expect(refreshDelay(new Date(Date.now() + 3_600_000).toISOString(), Date.now())).toBe(
      3_300_000,
    );
    await s.advance(3_300_000 - 1);
    expect(s.fetchToken).toHaveBeenCalledTimes(1);
    await s.advance(1);
    expect(s.fetchToken).toHaveBeenCalledTimes(2);
    expect(s.client().logins).toEqual(["tok-2"]);
    expect(s.clients).toHaveLength(1);
    // ...and again before the new token's expiry.
    await s.advance(3_300_000);
    expect(s.client().logins).toEqual(["tok-2", "tok-3"]);
  });

  it("refreshes at once on the SDK's TOKEN_EXPIRING_SOON warning", async () => {
    const s = await registered();
    s.client().emit("telnyx.warning", { warning: { code: 34001 } });
    await flush();
    expect(s.client().logins).toEqual(["tok-2"]);
  });

  it("a short-lived token is refreshed at 80 % of its life", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(refreshDelay("2026-01-01T00:10:00Z", now)).toBe(480_000);
    expect(refreshDelay("2025-12-31T00:00:00Z", now)).toBe(0);
  });

  it("a failed refresh is tried again later", async () => {
    let fail = false;
    let n = 0;
    const s = await registered({
      fetchToken: async () => {
        if (fail) throw new ApiError(503, { code: "telnyx_unavailable" });
        return {
          token: `t${++n}`,
          expires_at: new Date(Date.parse("2026-01-01T01:00:00Z")).toISOString(),
          sip_username: "u",
        };
      },
    });
    fail = true;
    await s.advance(3_300_000);
    expect(s.client().logins).toEqual([]);
    fail = false;
    await s.advance(30_000);
    expect(s.client().logins).toEqual(["t2"]);
  });
});

describe("auto-answer only the agent leg of this page's dial", () => {
  it("answers the invite whose call control id the dial answered with", async () => {
    const s = await registered();
    s.phone.beginDial();
    s.phone.dialPlaced("v3:agent-1");
    const call = new FakeCall("c1", "v3:agent-1");
    s.client().ring(call);
    await flush();
    expect(call.answered).toBe(1);
    expect(s.phone.getState().call).toMatchObject({
      callControlId: "v3:agent-1",
      state: "answering",
    });
    s.client().update(call, "active");
    expect(s.phone.getState().call?.state).toBe("active");
    expect(s.phone.owns("v3:agent-1")).toBe(true);
    expect(s.phone.owns("v3:other")).toBe(false);
  });

  it("holds an invite that arrives before the dial's answer, then answers it", async () => {
    const s = await registered();
    s.phone.beginDial();
    const call = new FakeCall("c1", "v3:agent-1");
    s.client().ring(call);
    s.client().ring(call); // the SDK may report ringing more than once
    await flush();
    expect(call.answered).toBe(0);
    expect(call.hungUp).toBe(0);
    s.phone.dialPlaced("v3:agent-1");
    await flush();
    expect(call.answered).toBe(1);
    await s.advance(EARLY_INVITE_WAIT_MS + 1);
    expect(call.hungUp).toBe(0);
  });

  it("declines an early invite that is not the dial's agent leg, with a note", async () => {
    const s = await registered();
    s.phone.beginDial();
    const stranger = new FakeCall("c0", "v3:someone-else");
    const ours = new FakeCall("c1", "v3:agent-1");
    s.client().ring(stranger);
    s.client().ring(ours);
    s.phone.dialPlaced("v3:agent-1");
    await flush();
    expect(ours.answered).toBe(1);
    expect(stranger.answered).toBe(0);
    expect(stranger.hungUp).toBe(1);
    expect(s.phone.getState().note).toMatch(/did not place/);
  });

  it("an early invite waits at most ~10 s for the dial", async () => {
    const s = await registered();
    s.phone.beginDial();
    const call = new FakeCall("c1", "v3:agent-1");
    s.client().ring(call);
    await s.advance(EARLY_INVITE_WAIT_MS - 1);
    expect(call.hungUp).toBe(0);
    await s.advance(1);
    expect(call.hungUp).toBe(1);
    s.phone.dialPlaced("v3:agent-1");
    await flush();
    expect(call.answered).toBe(0);
  });

  it("never answers an invite when no dial is on its way", async () => {
    const s = await registered();
    const call = new FakeCall("c1", "v3:agent-1");
    s.client().ring(call);
    await flush();
    expect(call.answered).toBe(0);
    expect(call.hungUp).toBe(1);
    expect(s.phone.getState().call).toBeNull();
  });

  it("a failed dial declines what was waiting", async () => {
    const s = await registered();
    s.phone.beginDial();
    const call = new FakeCall("c1", "v3:agent-1");
    s.client().ring(call);
    s.phone.dialFailed();
    await flush();
    expect(call.hungUp).toBe(1);
    expect(call.answered).toBe(0);
  });

  it("answers once: a second invite with the same id while on the call is declined", async () => {
    const s = await registered();
    s.phone.beginDial();
    s.phone.dialPlaced("v3:agent-1");
    const call = new FakeCall("c1", "v3:agent-1");
    s.client().ring(call);
    s.client().update(call, "active");
    const again = new FakeCall("c2", "v3:agent-1");
    s.client().ring(again);
    await flush();
    expect(again.answered).toBe(0);
    expect(again.hungUp).toBe(1);
  });

  it("a dial without an agent leg (mode none) answers nothing", async () => {
    const s = await registered();
    s.phone.beginDial();
    const call = new FakeCall("c1", "v3:agent-1");
    s.client().ring(call);
    s.phone.dialPlaced(null);
    await flush();
    expect(call.answered).toBe(0);
    expect(call.hungUp).toBe(1);
  });
});

describe("controls and the end of the call", () => {
  async function onCall() {
    const s = await registered();
    s.phone.beginDial();
    s.phone.dialPlaced("v3:agent-1");
    const call = new FakeCall("c1", "v3:agent-1");
    s.client().ring(call);
    s.client().update(call, "active");
    return { ...s, call };
  }

  it("mute and hold act on the SDK call and show in the state", async () => {
    const { phone, call } = await onCall();
    phone.setMuted(true);
    expect(call.muted).toEqual([true]);
    expect(phone.getState().call?.muted).toBe(true);
    phone.setMuted(false);
    expect(call.muted).toEqual([true, false]);
    await phone.setHeld(true);
    expect(call.holds).toEqual(["hold"]);
    expect(phone.getState().call).toMatchObject({ held: true, state: "held" });
    await phone.setHeld(false);
    expect(phone.getState().call).toMatchObject({ held: false, state: "active" });
    phone.dtmf("1");
    expect(call.tones).toBe("1");
  });

  it("the far end hanging up ends the page's call and tells the listeners once", async () => {
    const { phone, client, call } = await onCall();
    const ended: string[] = [];
    phone.onCallEnded((id) => ended.push(id));
    client().update(call, "hangup");
    client().update(call, "destroy");
    expect(phone.getState().call?.state).toBe("ended");
    expect(ended).toEqual(["v3:agent-1"]);
    expect(phone.owns("v3:agent-1")).toBe(false);
    // The next dial starts clean.
    phone.beginDial();
    expect(phone.getState().call).toBeNull();
  });

  it("hangup asks the SDK to hang up", async () => {
    const { phone, call } = await onCall();
    phone.hangup();
    await flush();
    expect(call.hungUp).toBe(1);
  });
});

describe("agent-side outcomes in words", () => {
  it("names the two-leg outcomes and never prints undefined", async () => {
    const { outcomeWords } = await import("@/lib/format");
    expect(outcomeWords("agent_no_answer")).toBe("You did not answer");
    expect(outcomeWords("agent_failed")).toBe("Your leg failed");
    expect(outcomeWords("completed")).toBe("Completed");
    expect(outcomeWords("something_new")).toBe("Ended");
    expect(outcomeWords(null)).toBe("Ended");
  });
});

describe("the call screen's headline while the agent's leg rings", () => {
  it("says whose phone rings, then gives way to the customer's status", async () => {
    const { agentHeadline } = await import("@/features/softphone/agent");
    const { makeCall } = await import("./utils");
    expect(agentHeadline(makeCall({ agent_mode: "browser", phase: "calling_agent" }))).toBe(
      "Ringing your browser…",
    );
    expect(agentHeadline(makeCall({ agent_mode: "phone", phase: "calling_agent" }))).toBe(
      "Calling your phone…",
    );
    expect(agentHeadline(makeCall({ agent_mode: "phone", phase: "agent_answered" }))).toBe(
      "You answered",
    );
    expect(agentHeadline(makeCall({ agent_mode: "phone", phase: "ringing" }))).toBeNull();
    expect(agentHeadline(makeCall({ agent_mode: "none", phase: "dialing_customer" }))).toBeNull();
  });
});
