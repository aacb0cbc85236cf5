"use client";

/**
 * The softphone wired to the real browser: `@telnyx/webrtc`, getUserMedia, one remote
 * `<audio>` element that outlives page navigation, and a BroadcastChannel between tabs.
 */
import { useSyncExternalStore } from "react";
import { api } from "../api";
import { storage } from "../storage";
import {
  IDLE,
  Softphone,
  type SdkClient,
  type SdkOptions,
  type SoftphoneState,
  type TabChannel,
  type TabMessage,
} from "./softphone";

export const AUDIO_KEYS = {
  mic: "softphone.mic",
  output: "softphone.output",
  volume: "softphone.volume",
} as const;

let remote: HTMLAudioElement | null = null;

/** The element the customer's audio plays in (one per page, kept across screens). */
export function remoteAudio(): HTMLAudioElement | null {
  if (typeof document === "undefined") return null;
  if (!remote) {
    remote = document.createElement("audio");
    remote.id = "softphone-remote-audio";
    remote.autoplay = true;
    remote.hidden = true;
    const volume = Number(storage.get(AUDIO_KEYS.volume));
    if (Number.isFinite(volume) && storage.get(AUDIO_KEYS.volume) !== null) {
      remote.volume = Math.min(1, Math.max(0, volume));
    }
    document.body.appendChild(remote);
    const output = storage.get(AUDIO_KEYS.output);
    if (output) void setOutputDevice(output).catch(() => undefined);
  }
  return remote;
}

/** Plays the call on this output device (Chromium's setSinkId). */
export async function setOutputDevice(deviceId: string): Promise<void> {
  const el = remoteAudio() as
    (HTMLAudioElement & { setSinkId?: (id: string) => Promise<void> }) | null;
  storage.set(AUDIO_KEYS.output, deviceId);
  if (el?.setSinkId) await el.setSinkId(deviceId);
}

export const canChooseOutput = (): boolean =>
  typeof HTMLMediaElement !== "undefined" && "setSinkId" in HTMLMediaElement.prototype;

export function setVolume(volume: number) {
  const v = Math.min(1, Math.max(0, volume));
  const el = remoteAudio();
  if (el) el.volume = v;
  storage.set(AUDIO_KEYS.volume, String(v));
}

export function currentVolume(): number {
  return remote?.volume ?? (Number(storage.get(AUDIO_KEYS.volume) ?? "1") || 1);
}

/** Opened on first use (the softphone starts only in browser agent mode). */
function broadcastChannel(): TabChannel | null {
  if (typeof BroadcastChannel === "undefined") return null;
  let ch: BroadcastChannel | null = null;
  const open = () => (ch ??= new BroadcastChannel("dialer-softphone"));
  return {
    post: (m) => open().postMessage(m),
    listen: (on) => {
      const handler = (e: MessageEvent<TabMessage>) => on(e.data);
      open().addEventListener("message", handler);
      return () => ch?.removeEventListener("message", handler);
    },
  };
}

async function createClient(options: SdkOptions, audio: HTMLMediaElement | null) {
  const { TelnyxRTC } = await import("@telnyx/webrtc");
  // `host` is in the SDK's internal options, not its public type; region is never set (it
  // would rewrite the host).
  const client = new TelnyxRTC(options as ConstructorParameters<typeof TelnyxRTC>[0]);
  if (audio) client.remoteElement = audio;
  return client as unknown as SdkClient;
}

async function probeMicrophone(deviceId: string | null) {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw Object.assign(new Error("This browser cannot open a microphone"), {
      name: "NotFoundError",
    });
  }
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: deviceId ? { deviceId: { exact: deviceId } } : true,
  });
  stream.getTracks().forEach((t) => t.stop());
}

let instance: Softphone | null = null;

export function getSoftphone(): Softphone {
  if (!instance) {
    instance = new Softphone({
      fetchToken: () => api.webrtcToken(),
      createClient,
      probeMicrophone,
      remoteAudio,
      channel: broadcastChannel(),
      tabId: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`,
      now: () => Date.now(),
      setTimer: (fn, ms) => window.setTimeout(fn, ms),
      clearTimer: (h) => window.clearTimeout(h as number),
    });
    const mic = storage.get(AUDIO_KEYS.mic);
    if (mic) void instance.setMicrophone(mic);
    // The audio test reads what the page hears through this (no other use).
    (window as unknown as { __softphone?: Softphone }).__softphone = instance;
  }
  return instance;
}

const noop = () => () => undefined;

export function useSoftphone(): SoftphoneState {
  return useSyncExternalStore(
    typeof window === "undefined" ? noop : (l) => getSoftphone().subscribe(l),
    () => getSoftphone().getState(),
    () => IDLE,
  );
}
