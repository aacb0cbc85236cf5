import type { CallOutcome, CallView, Role } from "./types";

export const OUTCOME_WORDS: Record<CallOutcome, string> = {
  completed: "Completed",
  no_answer: "No answer",
  busy: "Busy",
  rejected: "Declined",
  canceled: "Canceled",
  failed: "Failed",
  agent_no_answer: "Agent didn't answer",
  agent_failed: "Agent unreachable",
};

/**
 * Two-leg calls that ended on the agent's side, as the agent reads them on their own calls
 * (OUTCOME_WORDS names them neutrally for statistics, where they are anyone's).
 */
const AGENT_OUTCOME_WORDS: Record<string, string> = {
  agent_no_answer: "You did not answer",
  agent_failed: "Your leg failed",
};

/** An outcome in words, also for outcomes newer than this page's list. */
export function outcomeWords(outcome: string | null | undefined): string {
  if (!outcome) return "Ended";
  return AGENT_OUTCOME_WORDS[outcome] ?? OUTCOME_WORDS[outcome as CallOutcome] ?? "Ended";
}

/** The big word on the call screen. */
export function statusHeadline(call: Pick<CallView, "status" | "on_hold">): string {
  switch (call.status) {
    case "dialing":
      return "Dialing…";
    case "ringing":
      return "Ringing…";
    case "active":
      return call.on_hold ? "On hold" : "Connected";
    case "ended":
      return "Ended";
  }
}

/** The line under the headline once a call has ended: outcome in words, and why it failed. */
export function outcomeDetail(
  call: Pick<CallView, "status" | "outcome" | "failure" | "answered_by">,
): string | null {
  if (call.status !== "ended") return null;
  const words = outcomeWords(call.outcome);
  if (call.failure?.message) return `${words}: ${call.failure.message}`;
  if (call.outcome === "completed" && call.answered_by === "machine") {
    return `${words} (answering machine)`;
  }
  return words;
}

export type Tone = "neutral" | "success" | "warning" | "danger" | "info";

export function outcomeTone(call: Pick<CallView, "status" | "outcome">): Tone {
  if (call.status !== "ended") return "info";
  switch (call.outcome) {
    case "completed":
      return "success";
    case "no_answer":
    case "busy":
    case "rejected":
    case "canceled":
    case "agent_no_answer":
      return "warning";
    case "failed":
    case "agent_failed":
      return "danger";
    default:
      return "neutral";
  }
}

/** Short badge text for lists. */
export function badgeText(call: Pick<CallView, "status" | "outcome" | "on_hold">): string {
  if (call.status === "ended") return outcomeWords(call.outcome);
  if (call.status === "active") return call.on_hold ? "On hold" : "Live";
  return call.status === "dialing" ? "Dialing" : "Ringing";
}

/** 0:07, 1:05, 1:02:03 */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

export function formatWhen(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const sameDay = d.toDateString() === now.toDateString();
  const time = d.toLocaleTimeString(undefined, { hour: "numeric", minute: "2-digit" });
  if (sameDay) return time;
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (d.toDateString() === yesterday.toDateString()) return `Yesterday ${time}`;
  const date = d.toLocaleDateString(undefined, {
    month: "short",
    day: "numeric",
    ...(d.getFullYear() !== now.getFullYear() ? { year: "numeric" } : {}),
  });
  return `${date}, ${time}`;
}

/** "Nov 24, 2026, 10:04:05 AM" */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
    second: "2-digit",
  });
}

/** "10:04:05.123" for timelines. */
export function formatClock(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const t = d.toLocaleTimeString(undefined, {
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
  });
  return `${t}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

/** 3725 → "1 h 2 min", 65 → "1 min 5 s", 7 → "7 s" */
export function formatTalkTime(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h) return `${h} h ${m} min`;
  if (m) return sec ? `${m} min ${sec} s` : `${m} min`;
  return `${sec} s`;
}

export const ROLE_LABEL: Record<Role, string> = { admin: "Admin", agent: "Agent" };

/** Two letters for an avatar: first and last name, else the e-mail's first letter. */
export function initials(name: string, email: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters =
    words.length >= 2 ? `${words[0][0]}${words[words.length - 1][0]}` : (words[0] ?? email)[0];
  return (letters ?? "?").toUpperCase();
}
