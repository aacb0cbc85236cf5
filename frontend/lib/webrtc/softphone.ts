/**
 * The browser softphone: one `@telnyx/webrtc` client per page, registered with the token the
 * backend mints, answering only the agent leg of the dial this page just placed.
 *
 * Everything the SDK, the browser and the API do is reached through `SoftphoneDeps`, so the
 * state machine and the auto-answer rule can be tested with fakes (tests/softphone.test.ts).
 */
import { ApiError } from "../api";
import type { WebRtcToken } from "../types";

/** The part of an SDK call this client uses. */
export interface SdkCall {
  id: string;
  state: string;
  direction?: string;
  telnyxIDs?: { telnyxCallControlId?: string };
  options?: { telnyxCallControlId?: string };
  answer(): unknown;
  hangup(): unknown;
  muteAudio(): void;
  unmuteAudio(): void;
  hold(): Promise<unknown>;
  unhold(): Promise<unknown>;
  dtmf(digits: string): void;
  setAudioInDevice?(deviceId: string): Promise<void>;
  peer?: { instance?: RTCPeerConnection } | null;
}

/** The part of the SDK client this client uses. */
export interface SdkClient {
  on(event: string, callback: (payload: never) => void): unknown;
  connect(): unknown;
  disconnect(): unknown;
  login(params: { creds: { login_token: string } }): unknown;
  setAudioSettings?(settings: { micId?: string }): unknown;
}

export interface SdkOptions {
  login_token: string;
  /** Only when the deployment says so (locally: the emulator's /verto). */
  host?: string;
  iceServers?: RTCIceServer[];
}

/** Tabs of the same browser tell each other who registered last (only that one rings). */
export interface TabChannel {
  post(message: TabMessage): void;
  listen(onMessage: (message: TabMessage) => void): () => void;
}
export interface TabMessage {
  type: "registered";
  tab: string;
}

export interface SoftphoneDeps {
  fetchToken(): Promise<WebRtcToken>;
  createClient(options: SdkOptions, remoteAudio: HTMLMediaElement | null): Promise<SdkClient>;
  /** Asks for the microphone once (the answer is all that matters: the stream is stopped). */
  probeMicrophone(deviceId: string | null): Promise<void>;
  remoteAudio(): HTMLMediaElement | null;
  channel: TabChannel | null;
  tabId: string;
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export type SoftphoneStatus =
  "idle" | "connecting" | "ready" | "offline" | "mic_blocked" | "other_tab" | "error";

/** Why the softphone cannot take calls, and what the agent can do about it. */
export interface SoftphoneProblem {
  title: string;
  nextStep: string;
  code?: string;
}

export type SoftphoneCallState = "answering" | "active" | "held" | "ended";

export interface SoftphoneCall {
  callControlId: string;
  state: SoftphoneCallState;
  muted: boolean;
  held: boolean;
}

export interface SoftphoneState {
  status: SoftphoneStatus;
  problem: SoftphoneProblem | null;
  call: SoftphoneCall | null;
  /** Something worth telling the agent that does not stop the softphone (a declined call). */
  note: string | null;
  sipUsername: string | null;
}

export const IDLE: SoftphoneState = {
  status: "idle",
  problem: null,
  call: null,
  note: null,
  sipUsername: null,
};

/** How long an invite that arrives before the dial's answer waits for it. */
export const EARLY_INVITE_WAIT_MS = 10_000;
/** Refresh the token this long before it expires (or at 80 % of a shorter lifetime). */
export const TOKEN_REFRESH_LEAD_MS = 5 * 60_000;
const TOKEN_RETRY_MS = 30_000;
/** The SDK's TOKEN_EXPIRING_SOON warning. */
const TOKEN_EXPIRING_SOON = 34001;

const LIVE_CALL_STATES = new Set(["answering", "early", "active", "held", "recovering"]);
const ENDED_CALL_STATES = new Set(["hangup", "destroy", "purge"]);

export function callControlIdOf(call: SdkCall): string | null {
  return call.telnyxIDs?.telnyxCallControlId || call.options?.telnyxCallControlId || null;
}

/** Turns a token failure into words and a next step. */
export function tokenProblem(err: unknown): SoftphoneProblem {
  const code = err instanceof ApiError ? err.code : undefined;
  switch (code) {
    case "webrtc_not_configured":
      return {
        code,
        title: "Browser calling is not set up",
        nextStep:
          "Ask an admin to configure the Telnyx credential connection, or choose Agent phone.",
      };
    case "telnyx_unavailable":
    case "rate_limited":
      return {
        code,
        title: "Telnyx is not answering",
        nextStep: "Retry in a minute.",
      };
    case "telnyx_rejected":
      return {
        code,
        title: "Telnyx refused the softphone's credential",
        nextStep: "Ask an admin to check the Telnyx API key and credential connection.",
      };
    default:
      return {
        code,
        title: "Could not start the softphone",
        nextStep: `${err instanceof Error ? err.message : String(err)} Retry.`,
      };
  }
}

export function microphoneProblem(err: unknown): {
  status: SoftphoneStatus;
  problem: SoftphoneProblem;
} {
  const name = (err as { name?: string } | null)?.name ?? "";
  if (name === "NotAllowedError" || name === "SecurityError") {
    return {
      status: "mic_blocked",
      problem: {
        code: "microphone_blocked",
        title: "The microphone is blocked",
        nextStep:
          "Allow the microphone for this site (the icon at the left of the address bar), then Retry.",
      },
    };
  }
  return {
    status: "error",
    problem: {
      code: "microphone_unavailable",
      title: name === "NotFoundError" ? "No microphone found" : "The microphone cannot be opened",
      nextStep: "Plug in a microphone or close the app that holds it, then Retry.",
    },
  };
}

/** When to fetch the next token, in ms from now. */
export function refreshDelay(expiresAt: string, now: number): number {
  const left = Date.parse(expiresAt) - now;
  if (!Number.isFinite(left) || left <= 0) return 0;
  return Math.max(0, left - Math.min(TOKEN_REFRESH_LEAD_MS, left * 0.2));
}

export class Softphone {
  private state: SoftphoneState = IDLE;
  private readonly listeners = new Set<() => void>();
  private readonly endListeners = new Set<(callControlId: string) => void>();
  private client: SdkClient | null = null;
  /** Bumped by every start/stop: events of an older client are ignored. */
  private generation = 0;
  private sdkCall: SdkCall | null = null;
  /** Invites seen while a dial was on its way, by call control id, with their expiry timer. */
  private readonly early = new Map<string, { call: SdkCall; timer: unknown }>();
  private readonly seen = new WeakSet<SdkCall>();
  private dialInFlight = false;
  private expected: string | null = null;
  private refreshTimer: unknown = null;
  private refreshing = false;
  private unlisten: (() => void) | null = null;
  private micId: string | null = null;

  constructor(private readonly deps: SoftphoneDeps) {}

  // --- store -----------------------------------------------------------------------------

  getState = (): SoftphoneState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Called with the call control id when the page's call ends (any side). */
  onCallEnded(listener: (callControlId: string) => void): () => void {
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  private set(patch: Partial<SoftphoneState>) {
    this.state = { ...this.state, ...patch };
    this.listeners.forEach((l) => l());
  }

  private patchCall(patch: Partial<SoftphoneCall>) {
    if (this.state.call) this.set({ call: { ...this.state.call, ...patch } });
  }

  /** The dial may say agent_ready: true. */
  get ready(): boolean {
    return this.state.status === "ready";
  }

  // --- registration ----------------------------------------------------------------------

  /** Registers (again). Safe to call while already running: it starts afresh. */
  async start(): Promise<void> {
    this.teardown();
    const gen = ++this.generation;
    this.set({ status: "connecting", problem: null, note: null });
    try {
      await this.deps.probeMicrophone(this.micId);
    } catch (err) {
      if (gen !== this.generation) return;
      this.set(microphoneProblem(err));
      return;
    }
    let token: WebRtcToken;
    try {
      token = await this.deps.fetchToken();
    } catch (err) {
      if (gen !== this.generation) return;
      if (err instanceof ApiError && err.status === 0) {
        this.set({
          status: "offline",
          problem: {
            code: "network_error",
            title: "You are offline",
            nextStep: "Check your network connection, then Retry.",
          },
        });
      } else {
        this.set({ status: "error", problem: tokenProblem(err) });
      }
      return;
    }
    if (gen !== this.generation) return;
    const options: SdkOptions = { login_token: token.token };
    if (token.host) options.host = token.host;
    if (Array.isArray(token.ice_servers)) options.iceServers = token.ice_servers;
    let client: SdkClient;
    try {
      client = await this.deps.createClient(options, this.deps.remoteAudio());
    } catch (err) {
      if (gen !== this.generation) return;
      this.set({ status: "error", problem: tokenProblem(err) });
      return;
    }
    if (gen !== this.generation) {
      void client.disconnect();
      return;
    }
    this.client = client;
    this.set({ sipUsername: token.sip_username });
    if (this.micId) void client.setAudioSettings?.({ micId: this.micId });
    this.wire(client, gen);
    this.scheduleRefresh(token.expires_at, gen);
    this.unlisten = this.deps.channel?.listen((m) => this.onTabMessage(m)) ?? null;
    void client.connect();
  }

  /** Unregisters and forgets everything (sign-out, agent mode no longer browser). */
  stop() {
    this.generation++;
    this.teardown();
    this.set(IDLE);
  }

  private teardown() {
    this.unlisten?.();
    this.unlisten = null;
    if (this.refreshTimer !== null) this.deps.clearTimer(this.refreshTimer);
    this.refreshTimer = null;
    this.early.forEach(({ timer }) => this.deps.clearTimer(timer));
    this.early.clear();
    this.dialInFlight = false;
    this.expected = null;
    const client = this.client;
    this.client = null;
    this.sdkCall = null;
    if (client) void Promise.resolve(client.disconnect()).catch(() => undefined);
  }

  private wire(client: SdkClient, gen: number) {
    const live = () => gen === this.generation;
    client.on("telnyx.ready", () => {
      if (!live()) return;
      this.set({ status: "ready", problem: null });
      this.deps.channel?.post({ type: "registered", tab: this.deps.tabId });
    });
    client.on("telnyx.error", ((e: { error?: { message?: string } }) => {
      if (!live() || this.state.status === "ready") return;
      this.set({
        status: "error",
        problem: {
          code: "login_failed",
          title: "The calling service did not accept the softphone",
          nextStep: `${e?.error?.message ?? "Login failed."} Retry (a new token is fetched).`,
        },
      });
    }) as (p: never) => void);
    client.on("telnyx.socket.close", () => {
      if (!live() || this.state.status === "other_tab") return;
      this.set({
        status: "offline",
        problem: {
          code: "socket_closed",
          title: "Lost the connection to the calling service",
          nextStep: "Reconnecting… If it stays offline, check your network and Retry.",
        },
      });
    });
    client.on("telnyx.warning", ((e: { warning?: { code?: number } }) => {
      if (live() && e?.warning?.code === TOKEN_EXPIRING_SOON) void this.refresh(gen);
    }) as (p: never) => void);
    client.on("telnyx.notification", ((n: { type?: string; call?: SdkCall }) => {
      if (!live()) return;
      if (n?.type === "userMediaError") {
        this.set(microphoneProblem({ name: "NotAllowedError" }));
        return;
      }
      if (n?.type === "callUpdate" && n.call) this.onCallUpdate(n.call);
    }) as (p: never) => void);
  }

  private scheduleRefresh(expiresAt: string, gen: number) {
    if (this.refreshTimer !== null) this.deps.clearTimer(this.refreshTimer);
    this.refreshTimer = this.deps.setTimer(
      () => void this.refresh(gen),
      refreshDelay(expiresAt, this.deps.now()),
    );
  }

  /** A new token for the same socket: the SDK logs in with it again. */
  private async refresh(gen: number) {
    if (this.refreshing || gen !== this.generation) return;
    this.refreshing = true;
    try {
      const token = await this.deps.fetchToken();
      if (gen !== this.generation || !this.client) return;
      await this.client.login({ creds: { login_token: token.token } });
      this.scheduleRefresh(token.expires_at, gen);
    } catch {
      if (gen !== this.generation) return;
      this.refreshTimer = this.deps.setTimer(() => void this.refresh(gen), TOKEN_RETRY_MS);
    } finally {
      this.refreshing = false;
    }
  }

  private onTabMessage(m: TabMessage) {
    if (m.type !== "registered" || m.tab === this.deps.tabId) return;
    // Only the last tab to register rings: this one no longer does.
    this.set({
      status: "other_tab",
      problem: {
        code: "other_tab",
        title: "This softphone is open in another tab",
        nextStep: "Calls ring in the other tab. Use that tab, or choose Use this tab.",
      },
    });
  }

  // --- the auto-answer rule --------------------------------------------------------------

  /** The page is about to dial: invites arriving before the dial answers are held. */
  beginDial() {
    this.dialInFlight = true;
    this.expected = null;
    if (this.state.call?.state === "ended") this.set({ call: null, note: null });
    else this.set({ note: null });
  }

  /** The dial answered; its agent leg (null when it has none) is the one call to answer. */
  dialPlaced(agentCallControlId: string | null) {
    this.dialInFlight = false;
    this.expected = agentCallControlId;
    const waiting = agentCallControlId ? this.early.get(agentCallControlId) : undefined;
    if (waiting) {
      this.deps.clearTimer(waiting.timer);
      this.early.delete(agentCallControlId!);
      this.answer(waiting.call, agentCallControlId!);
    }
    this.declineEarly();
  }

  /** The dial failed: nothing is coming, so nothing that rings is ours. */
  dialFailed() {
    this.dialInFlight = false;
    this.expected = null;
    this.declineEarly();
  }

  private declineEarly() {
    const stale = [...this.early.values()];
    this.early.clear();
    stale.forEach(({ call, timer }) => {
      this.deps.clearTimer(timer);
      this.decline(call);
    });
  }

  private decline(call: SdkCall) {
    void Promise.resolve()
      .then(() => call.hangup())
      .catch(() => undefined);
    this.set({ note: "Declined an incoming call this page did not place." });
  }

  private answer(call: SdkCall, callControlId: string) {
    this.expected = null;
    this.sdkCall = call;
    this.set({
      call: { callControlId, state: "answering", muted: false, held: false },
    });
    void Promise.resolve()
      .then(() => call.answer())
      .catch(() => undefined);
  }

  private onCallUpdate(call: SdkCall) {
    if (call === this.sdkCall) {
      this.onOwnCallUpdate(call);
      return;
    }
    if (call.state !== "ringing" || this.seen.has(call)) return;
    this.seen.add(call);
    const ccid = callControlIdOf(call);
    const busy = !!this.state.call && this.state.call.state !== "ended";
    if (ccid && !busy && ccid === this.expected) {
      this.answer(call, ccid);
    } else if (ccid && !busy && this.dialInFlight) {
      const timer = this.deps.setTimer(() => {
        if (this.early.get(ccid)?.call !== call) return;
        this.early.delete(ccid);
        this.decline(call);
      }, EARLY_INVITE_WAIT_MS);
      this.early.set(ccid, { call, timer });
    } else {
      this.decline(call);
    }
  }

  private onOwnCallUpdate(call: SdkCall) {
    const current = this.state.call;
    if (!current) return;
    if (ENDED_CALL_STATES.has(call.state)) {
      if (current.state === "ended") return;
      this.sdkCall = null;
      this.patchCall({ state: "ended", held: false });
      this.endListeners.forEach((l) => l(current.callControlId));
    } else if (call.state === "held") {
      this.patchCall({ state: "held", held: true });
    } else if (call.state === "active") {
      this.patchCall({ state: "active", held: false });
    } else if (LIVE_CALL_STATES.has(call.state) && current.state !== "answering") {
      // recovering etc.: keep what the agent sees
    }
  }

  // --- controls on the page's call --------------------------------------------------------

  /** Whether the page holds the live leg with this call control id. */
  owns(callControlId: string | null | undefined): boolean {
    const c = this.state.call;
    return !!callControlId && !!c && c.state !== "ended" && c.callControlId === callControlId;
  }

  setMuted(muted: boolean) {
    const call = this.sdkCall;
    if (!call) return;
    if (muted) call.muteAudio();
    else call.unmuteAudio();
    this.patchCall({ muted });
  }

  async setHeld(held: boolean) {
    const call = this.sdkCall;
    if (!call) return;
    await (held ? call.hold() : call.unhold());
    this.patchCall({ held, state: held ? "held" : "active" });
  }

  hangup() {
    const call = this.sdkCall;
    if (!call) return;
    void Promise.resolve()
      .then(() => call.hangup())
      .catch(() => undefined);
  }

  dtmf(digits: string) {
    this.sdkCall?.dtmf(digits);
  }

  /** The microphone for this and future calls. */
  async setMicrophone(deviceId: string | null) {
    this.micId = deviceId;
    if (deviceId) {
      await this.client?.setAudioSettings?.({ micId: deviceId });
      await this.sdkCall?.setAudioInDevice?.(deviceId);
    }
  }

  /** The live peer connection of the page's call (for the page's own audio checks). */
  peerConnection(): RTCPeerConnection | null {
    return this.sdkCall?.peer?.instance ?? null;
  }

  /** Another tab registered last: take the calls back to this one. */
  useThisTab() {
    void this.start();
  }
}
