"use client";

import { useCallback, useEffect, useState } from "react";
import useSWR from "swr";
import { api } from "./api";
import { PollCadence, estimateClockOffset, settleClockOffset, talkSeconds } from "./poll";
import type { CallView } from "./types";

export const callKey = (id: string) => ["call", id] as const;

/** Server-minus-local clock offset per call, learnt from the polls (see `talkSeconds`). */
const clockOffsets = new Map<string, number>();

/** Note what an answer says about the clocks; call it when a view arrives. */
export function noteCallView(view: CallView, receivedAt = Date.now()): CallView {
  const estimate = estimateClockOffset(view, receivedAt);
  if (estimate !== null) {
    clockOffsets.set(view.call_id, settleClockOffset(clockOffsets.get(view.call_id), estimate));
  }
  return view;
}

const fetchCall = async ([, id]: readonly [string, string]) => noteCallView(await api.status(id));

/**
 * Poll a call's status until it has ended, at the cadence of `nextPollDelay` (1 s while it
 * rings or changes, relaxing to 3 s while a connected call stays the same). `pollSoon()` after
 * a user action brings it back to 1 s at once.
 */
export function useCall(id: string | null) {
  const [cadence] = useState(() => new PollCadence());
  // SWR restarts its poll timer whenever this function's identity changes: it changes only on
  // `pollSoon()`, never on a re-render (the call timer re-renders every second).
  const [refreshInterval, setRefreshInterval] = useState(
    () => (latest?: CallView) => cadence.delay(latest),
  );
  const pollSoon = useCallback(() => {
    if (cadence.kick()) setRefreshInterval(() => (latest?: CallView) => cadence.delay(latest));
  }, [cadence]);
  const swr = useSWR<CallView, unknown, readonly [string, string] | null>(
    id ? callKey(id) : null,
    fetchCall,
    {
      refreshInterval,
      revalidateOnFocus: true,
      dedupingInterval: 500,
      keepPreviousData: true,
    },
  );
  return { swr, pollSoon };
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
 * Talk time to show: ticks locally from `answered_at` while connected, corrected by the clock
 * offset the polls revealed, so it runs evenly however often the status is polled; the
 * server's `duration` once ended.
 */
export function liveSeconds(call: CallView, now: number): number {
  return talkSeconds(call, now, clockOffsets.get(call.call_id) ?? 0);
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
