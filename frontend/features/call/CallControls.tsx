"use client";

import type { ReactNode } from "react";
import type { CallView } from "@/lib/types";
import {
  GridIcon,
  MicIcon,
  RecordIcon,
  MicOffIcon,
  PauseIcon,
  PhoneOffIcon,
  PlayIcon,
  SpeakerIcon,
} from "@/ui/icons";
import { focusRing } from "@/ui/primitives";

export type ControlAction =
  "mute" | "unmute" | "hold" | "resume" | "speaker" | "record_start" | "record_stop" | "hangup";

function ControlButton({
  label,
  icon,
  enabled,
  pressed,
  busy,
  onClick,
}: {
  label: string;
  icon: ReactNode;
  enabled: boolean;
  pressed?: boolean;
  busy?: boolean;
  onClick: () => void;
}) {
  return (
    <div className="flex flex-col items-center gap-1.5">
      <button
        type="button"
        onClick={onClick}
        disabled={!enabled}
        aria-pressed={pressed}
        aria-busy={busy || undefined}
        aria-label={label}
        className={`flex size-16 items-center justify-center rounded-full transition active:scale-95 disabled:cursor-not-allowed disabled:opacity-40 ${focusRing} ${
          pressed
            ? "bg-slate-800 text-white hover:bg-slate-700"
            : "bg-slate-100 text-slate-800 hover:bg-slate-200"
        }`}
      >
        {busy ? (
          <span className="size-5 animate-spin rounded-full border-2 border-current border-t-transparent" />
        ) : (
          icon
        )}
      </button>
      <span aria-hidden="true" className="text-xs font-medium text-slate-600">
        {label}
      </span>
    </div>
  );
}

/**
 * In-call controls. Each button is enabled exactly when the server's `controls` says so;
 * `pending` names the action waiting for the server.
 */
export function CallControls({
  call,
  pending,
  onAction,
  keypadOpen,
  onToggleKeypad,
}: {
  call: CallView;
  pending: ControlAction | null;
  onAction: (action: ControlAction) => void;
  keypadOpen: boolean;
  onToggleKeypad: () => void;
}) {
  const c = call.controls;
  const busy = pending !== null;
  const muteAction = call.muted ? "unmute" : "mute";
  const holdAction = call.on_hold ? "resume" : "hold";
  // Follows `controls` alone: Stop is offered exactly when the server allows it.
  const recordAction = c.record_stop ? "record_stop" : "record_start";
  const recording = recordAction === "record_stop";
  const is = (...actions: ControlAction[]) => pending !== null && actions.includes(pending);
  return (
    <div>
      <div role="group" aria-label="Call controls" className="grid grid-cols-3 gap-x-4 gap-y-5">
        <ControlButton
          label={call.muted ? "Unmute" : "Mute"}
          icon={call.muted ? <MicOffIcon size={24} /> : <MicIcon size={24} />}
          enabled={c[muteAction] && !busy}
          pressed={call.muted}
          busy={is("mute", "unmute")}
          onClick={() => onAction(muteAction)}
        />
        <ControlButton
          label="Keypad"
          icon={<GridIcon size={24} />}
          enabled={c.dtmf || keypadOpen}
          pressed={keypadOpen}
          onClick={onToggleKeypad}
        />
        <ControlButton
          label="Speaker"
          icon={<SpeakerIcon size={24} />}
          enabled={c.speaker && !busy}
          pressed={call.speaker}
          busy={is("speaker")}
          onClick={() => onAction("speaker")}
        />
        <ControlButton
          label={recording ? "Stop recording" : "Record"}
          icon={<RecordIcon size={24} className={recording ? "text-rose-500" : undefined} />}
          enabled={c[recordAction] && !busy}
          pressed={recording}
          busy={is("record_start", "record_stop")}
          onClick={() => onAction(recordAction)}
        />
        <ControlButton
          label={call.on_hold ? "Resume" : "Hold"}
          icon={call.on_hold ? <PlayIcon size={24} /> : <PauseIcon size={24} />}
          enabled={c[holdAction] && !busy}
          pressed={call.on_hold}
          busy={is("hold", "resume")}
          onClick={() => onAction(holdAction)}
        />
        <span />
      </div>
      <div className="mt-8 flex justify-center">
        <button
          type="button"
          onClick={() => onAction("hangup")}
          disabled={!c.hangup || pending === "hangup"}
          aria-label="End call"
          className={`flex h-16 w-16 items-center justify-center rounded-full bg-rose-600 text-white shadow-md transition hover:bg-rose-700 active:scale-95 disabled:cursor-not-allowed disabled:bg-slate-300 disabled:text-slate-500 disabled:shadow-none ${focusRing}`}
        >
          {pending === "hangup" ? (
            <span className="size-6 animate-spin rounded-full border-2 border-white/40 border-t-white" />
          ) : (
            <PhoneOffIcon size={28} />
          )}
        </button>
      </div>
    </div>
  );
}
