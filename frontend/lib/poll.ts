import type { CallView } from "./types";

/**
 * How often the live call view asks for the call's status (issue #10).
 *
 * - 1 s while dialing or ringing (the answer must show at once), right after anything changed
 *   and right after the user pressed a control (`PollCadence.kick`);
 * - while a connected call stays the same (status, controls, mute/hold/speaker, recording), 1 s
 *   for the first 5 s, then 2 s, then 3 s from 15 s on; never slower than 3 s;
 * - 2 s after the end while the recording is being processed, then stop.
 *
 * A change is always seen at the next poll, and the poll after a change comes 1 s later. The
 * talk time does not count as a change (it grows every second and ticks locally; see
 * `talkSeconds`).
 */
export const POLL_FAST_MS = 1000;
export const POLL_MAX_MS = 3000;
export const POLL_RECORDING_MS = 2000;
const BACKOFF: readonly [sinceChangeMs: number, delayMs: number][] = [
  [15_000, POLL_MAX_MS],
  [5_000, 2000],
];

/** Everything the call screen shows from a poll, except the live talk time. */
export function callFingerprint(call: CallView): string {
  const { duration: _live, ...shown } = call;
  void _live;
  // Key order follows the server's (a reordered copy only costs one fast poll).
  return JSON.stringify(shown);
}

/**
 * The wait before the next poll, given the previous answer, the latest one and how long the
 * call has looked the same. 0 stops polling.
 */
export function nextPollDelay(
  prev: CallView | undefined,
  next: CallView | undefined,
  msSinceChange: number,
): number {
  if (!next) return POLL_FAST_MS; // not loaded yet (or failed): keep asking
  if (next.status === "ended") {
    return next.recording_status === "processing" || next.recording_status === "recording"
      ? POLL_RECORDING_MS
      : 0;
  }
  if (next.status !== "active") return POLL_FAST_MS;
  if (!prev || prev.call_id !== next.call_id || callFingerprint(prev) !== callFingerprint(next)) {
    return POLL_FAST_MS;
  }
  for (const [after, delay] of BACKOFF) if (msSinceChange >= after) return delay;
  return POLL_FAST_MS;
}

/**
 * Remembers the last answer, when the call last changed and when the next poll is due, for
 * SWR's `refreshInterval` function (called with the latest data after every poll).
 */
export class PollCadence {
  private last: CallView | undefined;
  private lastPrint: string | null = null;
  private changedAt: number;
  private dueAt: number | null = null;

  constructor(private readonly now: () => number = Date.now) {
    this.changedAt = now();
  }

  /** The wait before the next poll (0: no more polls). */
  delay(latest: CallView | undefined): number {
    const t = this.now();
    const print = latest ? callFingerprint(latest) : null;
    if (print !== this.lastPrint) this.changedAt = t;
    const wait = nextPollDelay(this.last, latest, t - this.changedAt);
    this.last = latest;
    this.lastPrint = print;
    this.dueAt = wait > 0 ? t + wait : null;
    return wait;
  }

  /**
   * A user action: the cadence starts again at 1 s. True when the poll now due is more than
   * 1 s away, so the timer should be restarted; a sooner poll is never put off (key presses
   * in quick succession must not keep postponing it).
   */
  kick(): boolean {
    const t = this.now();
    this.changedAt = t;
    return this.dueAt !== null && this.dueAt - t > POLL_FAST_MS;
  }
}

/**
 * Server clock minus this device's clock, estimated from an answer for a connected call
 * received at `receivedAt`: the server counted `duration` whole seconds since `answered_at`
 * when it answered. Null when the answer says nothing about the clocks.
 */
export function estimateClockOffset(call: CallView, receivedAt: number): number | null {
  if (call.status !== "active" || !call.answered_at) return null;
  const answered = Date.parse(call.answered_at);
  if (Number.isNaN(answered)) return null;
  // Half a second for the whole seconds the server rounded down.
  return answered + call.duration * 1000 + 500 - receivedAt;
}

/** Clocks closer than this are taken as equal; an estimate moves the offset only beyond it. */
export const CLOCK_TOLERANCE_MS = 2000;

/**
 * The offset to use after a new estimate: the old one unless the estimate disagrees by more
 * than rounding and network delay explain (so the timer does not wobble from poll to poll).
 */
export function settleClockOffset(prev: number | undefined, estimate: number | null): number {
  if (estimate === null) return prev ?? 0;
  const base = prev ?? 0;
  return Math.abs(estimate - base) <= CLOCK_TOLERANCE_MS ? base : Math.round(estimate);
}

/**
 * Talk time to show: counted locally from `answered_at` while connected (corrected by the
 * server-minus-local clock offset), so it ticks evenly whatever the poll cadence; the server's
 * final `duration` otherwise.
 */
export function talkSeconds(call: CallView, now: number, clockOffsetMs = 0): number {
  if (call.status !== "active" || !call.answered_at) return call.duration;
  const answered = Date.parse(call.answered_at);
  if (Number.isNaN(answered)) return call.duration;
  return Math.max(0, Math.floor((now + clockOffsetMs - answered) / 1000));
}
