"use client";

import { useEffect, useState } from "react";
import useSWR from "swr";
import { api } from "./api";
import type { CallView } from "./types";

export const callKey = (id: string) => ["call", id] as const;

// Module-level on purpose: SWR restarts its poll timer whenever this function's identity
// changes, so an inline arrow plus a 1 s re-render (the call timer) would starve the polling.
// After the end, keep asking (more slowly) while the recording is still being processed.
const pollUntilEnded = (latest: CallView | undefined) => {
  if (!latest || latest.status !== "ended") return 1000;
  return latest.recording_status === "processing" || latest.recording_status === "recording"
    ? 2000
    : 0;
};

const fetchCall = ([, id]: readonly [string, string]) => api.status(id);

/** Poll a call's status every second until it has ended. */
export function useCall(id: string | null) {
  return useSWR<CallView, unknown, readonly [string, string] | null>(
    id ? callKey(id) : null,
    fetchCall,
    {
      refreshInterval: pollUntilEnded,
      revalidateOnFocus: true,
      dedupingInterval: 500,
      keepPreviousData: true,
    },
  );
}

/** Re-render every `ms` while `on`; returns Date.now() of the last tick. */
export function useNow(on: boolean, ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!on) return;
    const tick = () => setNow(Date.now());
    const handle = window.setInterval(tick, ms);
    return () => window.clearInterval(handle);
  }, [on, ms]);
  return now;
}

/**
 * Talk time to show: ticks locally from `answered_at` while active; falls back to the server's
 * `duration` (itself live, refreshed every poll) when the local clock disagrees (skew).
 */
export function liveSeconds(call: CallView, now: number): number {
  if (call.status !== "active" || !call.answered_at) return call.duration;
  const answered = Date.parse(call.answered_at);
  if (Number.isNaN(answered)) return call.duration;
  const fromAnswer = Math.floor((now - answered) / 1000);
  // A stale `duration` (a slow poll) must not freeze the clock: allow the local count to run
  // ahead of it for a while.
  if (fromAnswer >= call.duration - 1 && fromAnswer <= call.duration + 60) {
    return Math.max(fromAnswer, call.duration);
  }
  return call.duration;
}

/** Debounced copy of a value (search as you type without a request per key). */
export function useDebounced<T>(value: T, ms = 300): T {
  const [current, setCurrent] = useState(value);
  useEffect(() => {
    const handle = window.setTimeout(() => setCurrent(value), ms);
    return () => window.clearTimeout(handle);
  }, [value, ms]);
  return current;
}
