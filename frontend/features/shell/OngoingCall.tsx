"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useEffect, useSyncExternalStore } from "react";
import { formatDuration, statusHeadline } from "@/lib/format";
import { liveSeconds, useCall, useNow } from "@/lib/hooks";
import { displayNumber } from "@/lib/phone";
import { KEYS, storage } from "@/lib/storage";
import { focusRing } from "@/ui/primitives";

function subscribe(onChange: () => void) {
  window.addEventListener("storage", onChange);
  return () => window.removeEventListener("storage", onChange);
}

/** A bar under the header, on every screen but the call itself, while a call is live. */
export function OngoingCall() {
  const pathname = usePathname() ?? "/";
  const id = useSyncExternalStore(
    subscribe,
    () => storage.get(KEYS.currentCall),
    () => null,
  );
  const onCallScreen = pathname.startsWith("/call/") || pathname === "/call";
  // The call screen polls the call itself: one poller per call keeps the cadence relaxed.
  const {
    swr: { data: call, error },
  } = useCall(onCallScreen ? null : id);
  const live = !!call && call.status !== "ended";
  const now = useNow(call?.status === "active");

  useEffect(() => {
    if (id && (call?.status === "ended" || (error && !call))) storage.remove(KEYS.currentCall);
  }, [id, call, error]);

  if (!live || onCallScreen) return null;
  return (
    <div className="border-b border-emerald-200 bg-emerald-50">
      <div className="mx-auto flex max-w-5xl items-center justify-between gap-3 px-4 py-2 text-sm sm:px-6">
        <p className="flex min-w-0 items-center gap-2 text-emerald-900">
          <span
            aria-hidden="true"
            className="size-2 shrink-0 animate-pulse rounded-full bg-emerald-600"
          />
          <span className="truncate">
            <span className="font-medium">{statusHeadline(call)}</span>{" "}
            {call.contact?.name ?? displayNumber(call.to_number)}
            {call.status === "active" ? ` · ${formatDuration(liveSeconds(call, now))}` : ""}
          </span>
        </p>
        <Link
          href={`/call/?id=${encodeURIComponent(call.call_id)}`}
          className={`shrink-0 rounded-lg bg-emerald-600 px-3 py-1.5 font-medium text-white hover:bg-emerald-700 ${focusRing}`}
        >
          Return to call
        </Link>
      </div>
    </div>
  );
}
