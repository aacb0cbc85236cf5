"use client";

import { useRef, useState } from "react";
import useSWR from "swr";
import { ApiError, api, errorMessage } from "@/lib/api";
import type { RecordingLink } from "@/lib/types";
import { DownloadIcon, RefreshIcon } from "@/ui/icons";
import { useToast } from "@/ui/Toasts";
import { Spinner, buttonClass } from "@/ui/primitives";

/** A link is treated as spent a few seconds before it really expires. */
export function linkExpired(link: RecordingLink, now = Date.now(), marginMs = 5_000): boolean {
  const at = Date.parse(link.expires_at);
  return Number.isNaN(at) || at - marginMs <= now;
}

const fetchLink = ([, id]: readonly [string, string]) => api.recordingLink(id);

/**
 * A short-lived direct link to a call's recording (an audio element cannot send the bearer
 * token). Not refreshed on a timer, which would restart playback: a player asks again when the
 * link has expired or fails to load.
 */
export function useRecordingLink(callId: string | null) {
  return useSWR<RecordingLink, unknown, readonly [string, string] | null>(
    callId ? ["recording-link", callId] : null,
    fetchLink,
    { revalidateOnFocus: false, revalidateIfStale: false, shouldRetryOnError: false },
  );
}

function followLink(url: string) {
  const a = document.createElement("a");
  a.href = url;
  a.download = "";
  a.rel = "noopener";
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
}

export function RecordingAudio({
  callId,
  className,
  testId,
}: {
  callId: string;
  className?: string;
  testId?: string;
}) {
  const { data: link, error, mutate, isValidating } = useRecordingLink(callId);
  const failures = useRef(0);
  const playWhenReady = useRef(false);

  const refresh = (play: boolean) => {
    playWhenReady.current = play;
    void mutate();
  };

  if (!link) {
    if (error && !isValidating) {
      const processing = error instanceof ApiError && error.code === "recording_processing";
      return (
        <div role="alert" className="flex flex-wrap items-center gap-3 text-sm text-rose-700">
          <span>
            {processing
              ? "The recording is still being processed."
              : `Could not load the recording: ${errorMessage(error)}`}
          </span>
          <button
            type="button"
            onClick={() => refresh(false)}
            className={buttonClass("secondary", "sm")}
          >
            <RefreshIcon size={16} /> Try again
          </button>
        </div>
      );
    }
    return <Spinner label="Loading the recording" />;
  }

  return (
    <audio
      controls
      preload="metadata"
      src={link.url}
      aria-label="Call recording"
      data-testid={testId}
      className={className}
      onPlay={(e) => {
        // Pressed play long after the page loaded: fetch a fresh link, then play it.
        if (linkExpired(link)) {
          e.currentTarget.pause();
          refresh(true);
        }
      }}
      onError={(e) => {
        // An expired or revoked link: ask for a new one (a couple of times, not forever).
        if (failures.current < 2) {
          failures.current += 1;
          refresh(!e.currentTarget.paused || playWhenReady.current);
        }
      }}
      onLoadedMetadata={() => {
        failures.current = 0;
      }}
      onCanPlay={(e) => {
        if (!playWhenReady.current) return;
        playWhenReady.current = false;
        void e.currentTarget.play().catch(() => {
          /* autoplay refused: the user presses play again */
        });
      }}
    >
      <a href={link.url}>Download the recording</a>
    </audio>
  );
}

export function RecordingDownload({ callId }: { callId: string }) {
  const toast = useToast();
  const { data: link, mutate } = useRecordingLink(callId);
  const [busy, setBusy] = useState(false);
  if (!link) return null;
  return (
    <a
      href={link.url}
      download
      aria-disabled={busy ? true : undefined}
      onClick={(e) => {
        if (!linkExpired(link)) return;
        e.preventDefault();
        if (busy) return;
        setBusy(true);
        mutate()
          .then((fresh) => {
            if (fresh) followLink(fresh.url);
          })
          .catch((err: unknown) => toast.error(`Could not download: ${errorMessage(err)}`))
          .finally(() => setBusy(false));
      }}
      className={buttonClass("secondary", "sm")}
    >
      <DownloadIcon size={16} /> {busy ? "Preparing…" : "Download"}
    </a>
  );
}
