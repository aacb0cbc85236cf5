"use client";

import Link from "next/link";
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, api, errorMessage, newIdempotencyKey } from "@/lib/api";
import { formatDuration, outcomeDetail, outcomeTone, statusHeadline } from "@/lib/format";
import { liveSeconds, useCall, useNow } from "@/lib/hooks";
import { hangupCauseWords, hangupSourceWords } from "@/lib/timeline";
import { displayNumber } from "@/lib/phone";
import type { CallView } from "@/lib/types";
import { CallControls, type ControlAction } from "./CallControls";
import { PhoneIcon, PhoneOffIcon } from "@/ui/icons";
import { RecordingAudio } from "@/features/calls/Recording";
import { Keypad, type Key } from "@/features/dialer/Keypad";
import { useToast } from "@/ui/Toasts";
import { Card, EmptyState, Spinner, focusRing } from "@/ui/primitives";
import { LoadingOrError } from "@/ui/LoadingOrError";
import { CallSoftphone } from "@/features/softphone/CallSoftphone";
import { agentHeadline, softphoneControl, softphoneHangup } from "@/features/softphone/agent";

const ACTION_DONE: Record<ControlAction, (c: CallView) => string> = {
  mute: () => "Microphone muted",
  unmute: () => "Microphone on",
  hold: () => "Call on hold",
  resume: () => "Call resumed",
  speaker: (c) => (c.speaker ? "Speaker on" : "Speaker off"),
  record_start: () => "Recording started",
  record_stop: () => "Recording stopped",
  hangup: () => "Call ended",
};

/** What the screen shows the moment a control is pressed, before the server answers. */
export function optimistic(call: CallView, action: ControlAction): CallView {
  const c = { ...call.controls };
  switch (action) {
    case "mute":
      return { ...call, muted: true, controls: { ...c, mute: false, unmute: true } };
    case "unmute":
      return { ...call, muted: false, controls: { ...c, mute: true, unmute: false } };
    case "hold":
      return { ...call, on_hold: true, controls: { ...c, hold: false, resume: true } };
    case "resume":
      return { ...call, on_hold: false, controls: { ...c, hold: true, resume: false } };
    case "speaker":
      return { ...call, speaker: !call.speaker };
    case "record_start":
      return {
        ...call,
        recording_status: "recording",
        controls: { ...c, record_start: false, record_stop: true },
      };
    case "record_stop":
      return {
        ...call,
        recording_status: "processing",
        controls: { ...c, record_start: true, record_stop: false },
      };
    default:
      return call;
  }
}

/** Control answers do not carry the contact: keep the one the status poll found. */
function keepContact(next: CallView, current: CallView | undefined): CallView {
  return next.contact || !current?.contact ? next : { ...next, contact: current.contact };
}

const HEADLINE_COLOUR: Record<string, string> = {
  success: "text-emerald-700",
  warning: "text-amber-700",
  danger: "text-rose-700",
  info: "text-slate-900",
  neutral: "text-slate-900",
};

function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]?.toUpperCase())
    .join("");
}

export function ActiveCall({ id }: { id: string | null }) {
  const toast = useToast();
  const {
    swr: { data: call, error, isLoading, mutate },
    pollSoon,
  } = useCall(id);
  const [pending, setPending] = useState<ControlAction | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [keypadOpen, setKeypadOpen] = useState(false);
  const [sent, setSent] = useState("");
  const [endRequested, setEndRequested] = useState(false);
  const live = !!call && call.status !== "ended";
  const now = useNow(call?.status === "active");

  useEffect(() => {
    if (call?.status === "ended") {
      // eslint-disable-next-line react-hooks/set-state-in-effect -- closing the DTMF pad on end
      setKeypadOpen(false);
    }
  }, [call?.status]);

  const run = useCallback(
    async (action: ControlAction) => {
      if (!call) return;
      const id = call.call_id;
      setPending(action);
      setActionError(null);
      const request = (): Promise<CallView> => {
        switch (action) {
          case "hangup":
            return api.hangup(id);
          case "speaker":
            return api.speaker(id, !call.speaker);
          case "record_start":
            return api.recording(id, "start");
          case "record_stop":
            return api.recording(id, "stop");
          default:
            return api.control(id, action);
        }
      };
      try {
        // Browser mode: the page's own audio follows (the API acts on the customer's leg).
        await softphoneControl(call, action);
        const view = await mutate(
          request().then((v) => keepContact(v, call)),
          {
            optimisticData: (current) => optimistic(current ?? call, action),
            rollbackOnError: true,
            populateCache: true,
            revalidate: false,
          },
        );
        if (!view) return;
        if (action === "hangup") {
          setEndRequested(view.status !== "ended");
          if (view.status !== "ended") return;
        }
        toast.success(ACTION_DONE[action](view));
      } catch (err) {
        if (action === "hangup") softphoneHangup(call);
        const message = errorMessage(err);
        setActionError(message);
        toast.error(message);
        void mutate();
      } finally {
        setPending(null);
        // What follows an action (the other side's answer to hold, the hangup completing)
        // shows within a second.
        pollSoon();
      }
    },
    [call, mutate, toast, pollSoon],
  );

  // Key presses go out one at a time, in order; each carries its own Idempotency-Key so a
  // retry after a network error is not a second press.
  const dtmfQueue = useRef<Promise<void>>(Promise.resolve());
  const sendDigit = useCallback(
    (key: Key) => {
      if (!call) return;
      const id = call.call_id;
      const press = newIdempotencyKey();
      setSent((s) => (s + key).slice(-24));
      pollSoon();
      dtmfQueue.current = dtmfQueue.current.then(async () => {
        try {
          try {
            await api.dtmf(id, key, press);
          } catch (err) {
            if (err instanceof ApiError && err.status === 0) await api.dtmf(id, key, press);
            else throw err;
          }
        } catch (err) {
          const message = `Tone ${key} was not sent: ${errorMessage(err)}`;
          setActionError(message);
          toast.error(message);
        }
      });
    },
    [call, toast, pollSoon],
  );

  if (!id) {
    return (
      <Card className="mx-auto max-w-md">
        <EmptyState icon={<PhoneIcon size={22} />} title="No call selected">
          <Link href="/" className={`font-medium text-indigo-700 underline ${focusRing}`}>
            Open the dialer
          </Link>{" "}
          to start a call.
        </EmptyState>
      </Card>
    );
  }

  if (!call) {
    return (
      <Card className="mx-auto max-w-md">
        <LoadingOrError
          loading={isLoading}
          error={error}
          label="Loading call"
          notFound="Call not found"
          failed="Could not load the call"
          onRetry={() => void mutate()}
        />
      </Card>
    );
  }

  const name = call.contact?.name ?? null;
  const number = displayNumber(call.to_number);
  const detail = outcomeDetail(call);
  const seconds = liveSeconds(call, now);
  const showTimer = call.status === "active";

  return (
    <Card className="mx-auto max-w-md overflow-hidden">
      <div className="bg-gradient-to-b from-indigo-50 to-white px-6 pt-8 pb-6 text-center">
        <div
          aria-hidden="true"
          className={`mx-auto flex size-20 items-center justify-center rounded-full text-2xl font-semibold ${
            live ? "bg-indigo-600 text-white" : "bg-slate-200 text-slate-600"
          } ${call.status === "ringing" || call.status === "dialing" ? "animate-pulse" : ""}`}
        >
          {name ? initials(name) : <PhoneIcon size={32} />}
        </div>
        <h1 className="mt-4 text-xl font-semibold text-slate-900" data-testid="call-party">
          {name ?? number}
        </h1>
        {name ? <p className="text-sm text-slate-600">{number}</p> : null}
        <p className="mt-1 text-xs text-slate-500">From {displayNumber(call.from_number)}</p>

        <div aria-live="polite" aria-atomic="true" className="mt-6">
          <p
            data-testid="call-status"
            className={`text-3xl font-bold tracking-tight ${HEADLINE_COLOUR[outcomeTone(call)]}`}
          >
            {endRequested && live ? "Ending…" : (agentHeadline(call) ?? statusHeadline(call))}
          </p>
          {detail ? (
            <p data-testid="call-outcome" className="mt-1 text-base font-medium text-slate-700">
              {detail}
            </p>
          ) : null}
        </div>
        {showTimer ? (
          <p
            data-testid="call-timer"
            aria-label={`Talk time ${formatDuration(seconds)}`}
            className="mt-2 font-mono text-2xl text-slate-700 tabular-nums"
          >
            {formatDuration(seconds)}
          </p>
        ) : null}
        {call.muted && live ? (
          <p className="mt-2 text-sm font-medium text-amber-700">Your microphone is muted</p>
        ) : null}
        {call.on_hold && live ? (
          <p className="mt-2 text-sm font-medium text-slate-600">The other side hears hold music</p>
        ) : null}
        {call.recording_status === "recording" && live ? (
          <p
            data-testid="recording-indicator"
            className="mt-2 inline-flex items-center gap-1.5 rounded-full bg-rose-50 px-2.5 py-0.5 text-xs font-semibold text-rose-700 ring-1 ring-rose-200"
          >
            <span aria-hidden="true" className="size-2 animate-pulse rounded-full bg-rose-600" />
            Recording
          </p>
        ) : null}
      </div>

      <CallSoftphone call={call} onEnded={pollSoon} />

      {error ? (
        <p
          role="alert"
          className="mx-6 mb-2 rounded-lg bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-amber-200"
        >
          Lost contact with the server: {errorMessage(error)} Retrying…
        </p>
      ) : null}
      {actionError ? (
        <p
          role="alert"
          data-testid="call-error"
          className="mx-6 mb-2 rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-800 ring-1 ring-rose-200"
        >
          {actionError}
        </p>
      ) : null}

      <div className="px-6 pt-2 pb-8">
        {call.status !== "ended" ? (
          keypadOpen ? (
            <div>
              <p
                aria-live="polite"
                className="mb-3 min-h-7 text-center font-mono text-xl text-slate-800"
              >
                {sent ? <span aria-label={`Sent ${sent}`}>{sent}</span> : null}
              </p>
              <Keypad
                onPress={sendDigit}
                label="Send tones"
                disabled={!call.controls.dtmf}
                compact
              />
              <div className="mt-5 flex items-center justify-center gap-8">
                <button
                  type="button"
                  onClick={() => setKeypadOpen(false)}
                  className={`rounded-lg px-3 py-2 text-sm font-medium text-indigo-700 hover:bg-indigo-50 ${focusRing}`}
                >
                  Hide keypad
                </button>
                <button
                  type="button"
                  onClick={() => void run("hangup")}
                  disabled={!call.controls.hangup || pending === "hangup"}
                  aria-label="End call"
                  className={`flex size-14 items-center justify-center rounded-full bg-rose-600 text-white hover:bg-rose-700 disabled:bg-slate-300 ${focusRing}`}
                >
                  <PhoneOffIcon size={24} />
                </button>
              </div>
            </div>
          ) : (
            <CallControls
              call={call}
              pending={pending}
              onAction={(a) => void run(a)}
              keypadOpen={keypadOpen}
              onToggleKeypad={() => setKeypadOpen((o) => !o)}
            />
          )
        ) : (
          <EndedSummary call={call} />
        )}
      </div>
    </Card>
  );
}

function EndedSummary({ call }: { call: CallView }) {
  const rows: [string, string][] = [];
  if (call.answered_at) rows.push(["Talk time", formatDuration(call.duration)]);
  rows.push(["Started", new Date(call.started_at).toLocaleTimeString()]);
  if (call.ended_at) rows.push(["Ended", new Date(call.ended_at).toLocaleTimeString()]);
  const by = hangupSourceWords(call.hangup_source);
  if (by) rows.push(["Ended by", by]);
  if (call.hangup_cause && call.hangup_cause !== "normal_clearing") {
    rows.push(["Reason", hangupCauseWords(call.hangup_cause) ?? call.hangup_cause]);
  }
  return (
    <div>
      <dl className="grid grid-cols-2 gap-x-4 gap-y-2 rounded-xl bg-slate-50 px-4 py-3 text-sm">
        {rows.map(([k, v]) => (
          <div key={k} className="contents">
            <dt className="text-slate-500">{k}</dt>
            <dd className="text-right font-medium text-slate-900 tabular-nums">{v}</dd>
          </div>
        ))}
      </dl>
      {call.recording_status === "processing" || call.recording_status === "recording" ? (
        <p className="mt-4 flex items-center justify-center">
          <Spinner label="The recording is being processed…" />
        </p>
      ) : call.recording_status === "failed" ? (
        <p className="mt-4 text-center text-sm text-rose-700">The recording could not be saved.</p>
      ) : call.recording_url && call.recording_status !== null ? (
        <div className="mt-4">
          <RecordingAudio callId={call.call_id} className="w-full" />
        </div>
      ) : null}
      <div className="mt-6 flex flex-col gap-3 sm:flex-row">
        <Link
          href="/"
          className={`flex flex-1 items-center justify-center gap-2 rounded-xl bg-indigo-600 px-4 py-3 text-sm font-semibold text-white shadow-sm hover:bg-indigo-700 ${focusRing}`}
        >
          New call
        </Link>
        <Link
          href={`/?number=${encodeURIComponent(call.to_number)}`}
          className={`flex flex-1 items-center justify-center gap-2 rounded-xl bg-white px-4 py-3 text-sm font-semibold text-slate-800 ring-1 ring-slate-300 hover:bg-slate-50 ${focusRing}`}
        >
          <PhoneIcon size={16} /> Call again
        </Link>
      </div>
      <p className="mt-4 text-center">
        <Link
          href={`/calls/?id=${encodeURIComponent(call.call_id)}`}
          className={`rounded text-sm font-medium text-indigo-700 hover:text-indigo-900 ${focusRing}`}
        >
          View call details, notes and timeline
        </Link>
      </p>
    </div>
  );
}
