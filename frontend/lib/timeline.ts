import type { TimelineEntry } from "./types";

const EVENT_LABELS: Record<string, string> = {
  "call.initiated": "Call placed",
  "call.answered": "Answered",
  "call.bridged": "Connected to the agent",
  "call.hangup": "Call ended",
  "call.dtmf.received": "Tone received",
  "call.playback.started": "Hold music started",
  "call.playback.ended": "Hold music stopped",
  "call.speak.started": "Message started",
  "call.speak.ended": "Message finished",
  "call.recording.saved": "Recording saved",
  "call.recording.error": "Recording failed",
  "call.machine.detection.ended": "Answering-machine check",
  "call.machine.premium.detection.ended": "Answering-machine check",
  "call.machine.greeting.ended": "Voicemail greeting ended",
  "call.machine.premium.greeting.ended": "Voicemail greeting ended",
  "call.cost": "Cost reported",
};

const COMMAND_LABELS: Record<string, string> = {
  dial: "Dial requested",
  hangup: "Hang-up requested",
  mute: "Microphone muted",
  unmute: "Microphone unmuted",
  speaker: "Speaker changed",
  playback_start: "Put on hold",
  playback_stop: "Resumed from hold",
  hold: "Put on hold",
  resume: "Resumed from hold",
  send_dtmf: "Sent tones",
  dtmf: "Sent tones",
  record_start: "Recording started",
  record_stop: "Recording stopped",
};

function humanise(text: string): string {
  const words = text
    .replace(/^call\./, "")
    .replace(/[._]+/g, " ")
    .trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The words a person reads for one timeline line. */
export function timelineLabel(entry: TimelineEntry): string {
  if (entry.kind === "event") return EVENT_LABELS[entry.event_type] ?? humanise(entry.event_type);
  return COMMAND_LABELS[entry.command] ?? humanise(entry.command);
}

/** Secondary text: what the event said, or what the command carried and how it went. */
export function timelineDetail(entry: TimelineEntry): string | null {
  if (entry.kind === "event") {
    const parts: string[] = [];
    if (entry.summary) parts.push(entry.summary.replace(/_/g, " "));
    if ((entry.deliveries ?? 1) > 1) parts.push(`delivered ${entry.deliveries} times`);
    return parts.length ? parts.join(" · ") : null;
  }
  const parts: string[] = [];
  if (entry.detail) parts.push(entry.detail);
  if (entry.result === "failed") {
    parts.push(
      `Failed${entry.code ? ` (${entry.code})` : ""}${entry.message ? `: ${entry.message}` : ""}`,
    );
  } else if (entry.result === "absorbed") {
    parts.push(`No effect: the call had already moved on${entry.code ? ` (${entry.code})` : ""}`);
  }
  return parts.length ? parts.join(" · ") : null;
}

/** "+12.3 s" from the first entry. */
export function offsetLabel(at: string, start: string): string {
  const ms = Date.parse(at) - Date.parse(start);
  if (Number.isNaN(ms)) return "";
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `+${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `+${m}:${String(Math.floor(s % 60)).padStart(2, "0")}`;
}

const CAUSES: Record<string, string> = {
  normal_clearing: "Hung up normally",
  originator_cancel: "Canceled before it was answered",
  user_busy: "The line was busy",
  timeout: "Nobody answered before the ring timeout",
  no_answer: "Nobody answered",
  call_rejected: "The call was declined",
  unallocated_number: "The number does not exist",
  invalid_number_format: "The number is not valid",
  destination_out_of_order: "The destination is out of order",
  normal_temporary_failure: "A temporary network failure",
  network_out_of_order: "The network is out of order",
  time_limit: "The call reached its time limit",
  unspecified: "No reason given",
};

/** A hangup cause (Telnyx's snake_case words) as a sentence. */
export function hangupCauseWords(cause: string | null | undefined): string | null {
  if (!cause) return null;
  return CAUSES[cause] ?? humanise(cause);
}

export function hangupSourceWords(source: string | null | undefined): string | null {
  switch (source) {
    case "caller":
      return "You";
    case "callee":
      return "The other side";
    case null:
    case undefined:
    case "":
      return null;
    default:
      return "The network";
  }
}
