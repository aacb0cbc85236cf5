"use client";

import { useCallback, useEffect } from "react";
import useSWR from "swr";
import { ApiError, api } from "@/lib/api";
import type { AgentMode, CallView, UserAgent } from "@/lib/types";
import { getSoftphone, useSoftphone } from "@/lib/webrtc/browser";
import type { SoftphoneState } from "@/lib/webrtc/softphone";

export const ME_KEY = "me";

/** The signed-in user's agent mode (own choice and what applies), from GET /api/auth/me. */
export function useAgent() {
  const swr = useSWR(ME_KEY, () => api.me(), {
    shouldRetryOnError: false,
    revalidateOnFocus: false,
  });
  const agent: UserAgent | null = swr.data?.agent ?? null;
  const mode: AgentMode = agent?.effective_mode ?? "none";
  return { agent, mode, swr };
}

/**
 * Keeps the page's softphone registered while the agent talks through the browser (it stays
 * up across screens: a call screen needs it as much as the dialer).
 */
export function useSoftphoneLifecycle(mode: AgentMode, known: boolean) {
  const state = useSoftphone();
  useEffect(() => {
    if (!known) return;
    const phone = getSoftphone();
    if (mode === "browser" && phone.getState().status === "idle") void phone.start();
    if (mode !== "browser" && phone.getState().status !== "idle") phone.stop();
  }, [mode, known]);
  return state;
}

/** Words for the softphone's state, as the panel and the dial button show them. */
export function softphoneWords(s: SoftphoneState): string {
  switch (s.status) {
    case "idle":
    case "connecting":
      return "Connecting…";
    case "ready":
      return "Ready";
    case "offline":
      return "Offline";
    case "mic_blocked":
      return "Microphone blocked";
    case "other_tab":
      return "Open in another tab";
    case "error":
      return "Not connected";
  }
}

/** What the dialer needs: whether it may dial, what to send, and what to do with the answer. */
export function useDialAgent() {
  const { mode, agent, swr } = useAgent();
  const state = useSoftphoneLifecycle(mode, !!swr.data);
  let blockReason: string | null = null;
  if (mode === "browser" && state.status !== "ready") {
    blockReason = `Softphone: ${softphoneWords(state)}${
      state.problem ? ` — ${state.problem.nextStep}` : ""
    }`;
  } else if (mode === "phone" && !agent?.effective_phone) {
    blockReason = "Set your phone number in the softphone panel";
  }

  /** Call right before POST /api/telnyx/dial; its result goes into the request body. */
  const prepare = useCallback((): { agent_ready?: boolean } => {
    if (mode !== "browser") return {};
    const phone = getSoftphone();
    phone.beginDial();
    return { agent_ready: phone.ready };
  }, [mode]);

  const placed = useCallback(
    (call: CallView) => {
      if (mode === "browser") getSoftphone().dialPlaced(call.agent_leg?.call_control_id ?? null);
    },
    [mode],
  );

  const failed = useCallback(() => {
    if (mode === "browser") getSoftphone().dialFailed();
  }, [mode]);

  return { mode, blockReason, prepare, placed, failed };
}

/** The next step under a refused dial, for the agent-leg codes. */
export function dialNextStep(err: unknown): string | null {
  if (!(err instanceof ApiError)) return null;
  switch (err.code) {
    case "agent_not_registered":
      return "Next step: wait until the softphone panel says Ready (allow the microphone if asked), or choose Agent phone.";
    case "agent_phone_required":
      return "Next step: enter your phone number in the softphone panel, or choose Browser.";
    default:
      return null;
  }
}

/**
 * The page's side of a call control in browser mode (the API records it and acts on the
 * customer's leg; the SDK makes it real in the agent's audio).
 */
export async function softphoneControl(call: CallView, action: string): Promise<void> {
  const phone = getSoftphone();
  if (!phone.owns(call.agent_leg?.call_control_id)) return;
  switch (action) {
    case "mute":
      phone.setMuted(true);
      break;
    case "unmute":
      phone.setMuted(false);
      break;
    case "hold":
      await phone.setHeld(true);
      break;
    case "resume":
      await phone.setHeld(false);
      break;
  }
}

/** The hangup request failed: still drop the page's own leg so the agent is not left on. */
export function softphoneHangup(call: CallView) {
  const phone = getSoftphone();
  if (phone.owns(call.agent_leg?.call_control_id)) phone.hangup();
}

/** The call screen's headline while the agent's own leg is the one ringing (else null). */
export function agentHeadline(call: CallView): string | null {
  if (call.status === "ended" || !call.agent_mode || call.agent_mode === "none") return null;
  if (call.phase === "calling_agent") {
    return call.agent_mode === "browser" ? "Ringing your browser…" : "Calling your phone…";
  }
  if (call.phase === "agent_answered") return "You answered";
  return null;
}
