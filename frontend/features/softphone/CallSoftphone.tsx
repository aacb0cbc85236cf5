"use client";

import { useEffect, useState } from "react";
import type { CallPhase, CallView } from "@/lib/types";
import { getSoftphone } from "@/lib/webrtc/browser";
import { AudioSettings } from "./AudioSettings";
import { useAgent, useSoftphoneLifecycle } from "./agent";

const STEPS: { phase: CallPhase; label: string }[] = [
  { phase: "calling_agent", label: "Calling you" },
  { phase: "agent_answered", label: "You answered" },
  { phase: "dialing_customer", label: "Dialing customer" },
  { phase: "ringing", label: "Ringing" },
  { phase: "connected", label: "Connected" },
];

/**
 * The agent's leg on the call screen: where the two-leg call is (calling you → … → connected),
 * and in browser mode the page's own audio; in phone mode, a pointer to the handset.
 */
export function CallSoftphone({ call, onEnded }: { call: CallView; onEnded: () => void }) {
  const { mode, swr } = useAgent();
  const state = useSoftphoneLifecycle(mode, !!swr.data);
  const [showAudio, setShowAudio] = useState(false);
  const agentMode = call.agent_mode ?? "none";
  const live = call.status !== "ended";

  // The customer (or the agent's own leg) hanging up ends the page's call: look again now.
  useEffect(() => getSoftphone().onCallEnded(() => onEnded()), [onEnded]);

  if (agentMode === "none" || !call.phase) return null;
  const current = STEPS.findIndex((s) => s.phase === call.phase);
  const pageCall =
    state.call && state.call.callControlId === call.agent_leg?.call_control_id ? state.call : null;

  return (
    <div className="border-t border-slate-100 px-6 py-4" data-testid="agent-leg">
      {live ? (
        <div>
          <ol aria-label="Call progress" className="grid grid-cols-5 gap-1">
            {STEPS.map((s, i) => (
              <li
                key={s.phase}
                aria-current={current === i ? "step" : undefined}
                className={`h-1.5 rounded-full ${current >= i ? "bg-indigo-600" : "bg-slate-200"}`}
              >
                <span className="sr-only">{s.label}</span>
              </li>
            ))}
          </ol>
          <p
            data-testid="call-phase"
            className="mt-2 text-center text-sm font-medium text-slate-800"
          >
            {STEPS[current]?.label ?? ""}
            <span className="font-normal text-slate-500">
              {current >= 0 ? ` · step ${current + 1} of ${STEPS.length}` : ""}
            </span>
          </p>
        </div>
      ) : null}
      {agentMode === "phone" && live ? (
        <p className="mt-3 text-center text-sm text-slate-600" data-testid="use-handset">
          You talk on your phone: use your handset (its own mute and volume).
        </p>
      ) : null}
      {agentMode === "browser" && live ? (
        <div className="mt-3 text-center text-sm">
          <p data-testid="browser-leg" className="text-slate-700">
            {pageCall?.state === "held"
              ? "On hold: you and the customer do not hear each other"
              : pageCall?.state === "active"
                ? pageCall.muted
                  ? "Talking through this browser (muted)"
                  : "Talking through this browser"
                : pageCall
                  ? "Answering in this browser…"
                  : state.status === "ready"
                    ? "This browser rings first and answers by itself"
                    : `Softphone not ready: ${state.problem?.nextStep ?? "connecting…"}`}
          </p>
          {state.note ? <p className="mt-1 text-xs text-slate-500">{state.note}</p> : null}
          <button
            type="button"
            aria-expanded={showAudio}
            onClick={() => setShowAudio((s) => !s)}
            className="mt-2 text-xs font-medium text-indigo-700 hover:text-indigo-900"
          >
            {showAudio ? "Hide audio settings" : "Audio settings"}
          </button>
          {showAudio ? (
            <div className="mt-3 text-left">
              <AudioSettings live />
            </div>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
