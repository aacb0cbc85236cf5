"use client";

import Link from "next/link";
import { useEffect, useId, useState } from "react";
import useSWR from "swr";
import { ApiError, api, errorMessage } from "@/lib/api";
import {
  badgeText,
  formatClock,
  formatDateTime,
  formatDuration,
  outcomeWords,
  outcomeTone,
} from "@/lib/format";
import { displayNumber } from "@/lib/phone";
import {
  hangupCauseWords,
  hangupSourceWords,
  offsetLabel,
  timelineDetail,
  timelineLabel,
} from "@/lib/timeline";
import type { CallDetail as CallDetailView, TimelineEntry } from "@/lib/types";
import { AlertIcon, ArrowLeftIcon, PhoneIcon } from "@/ui/icons";
import { RecordingAudio, RecordingDownload } from "./Recording";
import { TagInput } from "@/ui/TagInput";
import { useToast } from "@/ui/Toasts";
import {
  Badge,
  Card,
  CardHeader,
  EmptyState,
  Spinner,
  buttonClass,
  focusRing,
  inputClass,
} from "@/ui/primitives";
import { LoadingOrError } from "@/ui/LoadingOrError";

const refresh = (d: CallDetailView | undefined) =>
  !d ||
  d.status !== "ended" ||
  d.recording_status === "processing" ||
  d.recording_status === "recording"
    ? 2000
    : 0;

export function CallDetail({ id }: { id: string }) {
  const {
    data: detail,
    error,
    isLoading,
    mutate,
  } = useSWR(["call-detail", id], () => api.call(id), { refreshInterval: refresh });
  // The detail may come without the contact's name; the status view resolves it.
  const { data: status } = useSWR(
    detail && !detail.contact ? ["call-contact", id] : null,
    () => api.status(id),
    { revalidateOnFocus: false },
  );
  const data =
    detail && !detail.contact && status?.contact ? { ...detail, contact: status.contact } : detail;

  if (!data) {
    return (
      <div className="mx-auto max-w-3xl">
        <BackLink />
        <Card>
          <LoadingOrError
            loading={isLoading}
            error={error}
            label="Loading call"
            notFound="Call not found"
            failed="Could not load the call"
            onRetry={() => void mutate()}
          />
        </Card>
      </div>
    );
  }

  const name = data.contact?.name ?? null;
  const number = displayNumber(data.to_number);
  return (
    <div className="mx-auto max-w-3xl">
      <BackLink />
      <Card className="mb-5">
        <div className="flex flex-col gap-4 px-5 py-5 sm:flex-row sm:items-center sm:justify-between">
          <div className="min-w-0">
            <div className="flex flex-wrap items-center gap-2">
              <h1
                className="truncate text-2xl font-semibold tracking-tight text-slate-900"
                data-testid="detail-party"
              >
                {name ?? number}
              </h1>
              <Badge tone={outcomeTone(data)}>
                <span data-testid="detail-badge">{badgeText(data)}</span>
              </Badge>
            </div>
            <p className="mt-0.5 text-sm text-slate-600">
              {name ? `${number} · ` : ""}
              {formatDateTime(data.started_at)}
            </p>
          </div>
          <div className="flex flex-wrap gap-2">
            {data.status !== "ended" ? (
              <Link
                href={`/call/?id=${encodeURIComponent(data.call_id)}`}
                className={buttonClass("call")}
              >
                <PhoneIcon size={16} /> Open live call
              </Link>
            ) : (
              <Link
                href={`/?number=${encodeURIComponent(data.to_number)}`}
                className={buttonClass("call")}
              >
                <PhoneIcon size={16} /> Call again
              </Link>
            )}
          </div>
        </div>
        <Facts call={data} />
      </Card>

      <div className="grid gap-5 lg:grid-cols-2">
        <RecordingCard call={data} />
        <NotesCard call={data} onSaved={(d) => void mutate(d, { revalidate: true })} />
      </div>

      <Card className="mt-5">
        <CardHeader title="Timeline" />
        <Timeline entries={data.timeline ?? []} />
      </Card>
    </div>
  );
}

function BackLink() {
  return (
    <Link
      href="/calls/"
      className={`mb-4 inline-flex items-center gap-1.5 rounded text-sm font-medium text-indigo-700 hover:text-indigo-900 ${focusRing}`}
    >
      <ArrowLeftIcon size={16} /> Call logs
    </Link>
  );
}

function Facts({ call }: { call: CallDetailView }) {
  const rows: [string, React.ReactNode][] = [
    [
      "Status",
      call.status === "ended"
        ? call.outcome
          ? outcomeWords(call.outcome)
          : "Ended"
        : badgeText(call),
    ],
    ["From", displayNumber(call.from_number)],
    ["To", displayNumber(call.to_number)],
  ];
  if (call.contact) {
    rows.push([
      "Contact",
      <Link
        key="c"
        href={`/contacts/?id=${encodeURIComponent(call.contact.id)}`}
        className={`rounded text-indigo-700 underline hover:text-indigo-900 ${focusRing}`}
      >
        {call.contact.name}
      </Link>,
    ]);
  }
  rows.push(["Started", formatDateTime(call.started_at)]);
  if (call.answered_at) rows.push(["Answered", formatDateTime(call.answered_at)]);
  if (call.ended_at) rows.push(["Ended", formatDateTime(call.ended_at)]);
  rows.push([
    "Talk time",
    <span key="d" data-testid="detail-duration">
      {call.answered_at ? formatDuration(call.duration) : "Not answered"}
    </span>,
  ]);
  if (call.answered_by) {
    rows.push(["Answered by", call.answered_by === "machine" ? "Answering machine" : "A person"]);
  }
  const cause = hangupCauseWords(call.hangup_cause);
  if (cause) {
    rows.push([
      "Why it ended",
      <span key="h" data-testid="detail-cause">
        {cause}
        {call.sip_hangup_cause ? (
          <span className="text-slate-500"> (SIP {call.sip_hangup_cause})</span>
        ) : null}
      </span>,
    ]);
  }
  const source = hangupSourceWords(call.hangup_source);
  if (source) rows.push(["Ended by", source]);
  if (call.failure) rows.push(["Failure", call.failure.message]);
  return (
    <dl className="grid grid-cols-1 gap-x-6 border-t border-slate-100 px-5 py-4 text-sm sm:grid-cols-2">
      {rows.map(([k, v]) => (
        <div key={k} className="flex justify-between gap-4 border-b border-slate-50 py-2 sm:block">
          <dt className="text-slate-500">{k}</dt>
          <dd className="text-right font-medium text-slate-900 tabular-nums sm:mt-0.5 sm:text-left">
            {v}
          </dd>
        </div>
      ))}
    </dl>
  );
}

function RecordingCard({ call }: { call: CallDetailView }) {
  const recordings = call.recordings ?? [];
  const status = call.recording_status ?? (call.recording_url ? "available" : null);
  return (
    <Card>
      <CardHeader title="Recording" />
      <div className="px-5 py-4">
        {status === "available" && call.recording_url ? (
          <>
            <RecordingAudio callId={call.call_id} testId="recording-audio" className="w-full" />
            <div className="mt-3 flex flex-wrap items-center justify-between gap-2 text-sm text-slate-600">
              <span>
                {recordings.length > 1 ? `${recordings.length} recordings · ` : ""}
                {recordings[0]?.format ? recordings[0].format.toUpperCase() : ""}
                {recordings[0]?.channels ? ` · ${recordings[0].channels} channel` : ""}
                {recordings[0]?.duration ? ` · ${formatDuration(recordings[0].duration)}` : ""}
              </span>
              <RecordingDownload callId={call.call_id} />
            </div>
          </>
        ) : status === "recording" ? (
          <p className="flex items-center gap-2 text-sm text-rose-700">
            <span aria-hidden="true" className="size-2 animate-pulse rounded-full bg-rose-600" />
            Recording in progress
          </p>
        ) : status === "processing" ? (
          <Spinner label="The recording is being processed. It appears here in a moment." />
        ) : status === "failed" ? (
          <p className="flex items-center gap-2 text-sm text-rose-700">
            <AlertIcon size={16} /> The recording could not be saved.
          </p>
        ) : (
          <p className="text-sm text-slate-600">
            This call was not recorded. Tick “Record this call” on the dialer, or press Record
            during a call.
          </p>
        )}
      </div>
    </Card>
  );
}

function NotesCard({
  call,
  onSaved,
}: {
  call: CallDetailView;
  onSaved: (d: CallDetailView) => void;
}) {
  const toast = useToast();
  const notesId = useId();
  const [notes, setNotes] = useState(call.notes ?? "");
  const [tags, setTags] = useState<string[]>(call.tags ?? []);
  const [saving, setSaving] = useState(false);
  const [errors, setErrors] = useState<ApiError | null>(null);
  const serverNotes = call.notes ?? "";
  const serverTags = (call.tags ?? []).join(",");

  // Follow the server when it changes under us (another tab), unless there are edits.
  useEffect(() => {
    // eslint-disable-next-line react-hooks/set-state-in-effect -- sync from server data
    setNotes(serverNotes);
    setTags(serverTags ? serverTags.split(",") : []);
  }, [serverNotes, serverTags]);

  const dirty = notes !== serverNotes || tags.join(",") !== serverTags;

  const save = async () => {
    setSaving(true);
    setErrors(null);
    try {
      const updated = await api.updateCall(call.call_id, { notes: notes.trim() || null, tags });
      onSaved({ ...call, ...updated, timeline: call.timeline, recordings: call.recordings });
      toast.success("Notes saved");
    } catch (err) {
      if (err instanceof ApiError) setErrors(err);
      toast.error(errorMessage(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Card>
      <CardHeader title="Notes and tags" />
      <form
        className="space-y-4 px-5 py-4"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <div>
          <label htmlFor={notesId} className="text-sm font-medium text-slate-700">
            Notes
          </label>
          <textarea
            id={notesId}
            rows={3}
            value={notes}
            onChange={(e) => setNotes(e.target.value)}
            placeholder="What was said, what happens next…"
            aria-invalid={errors?.fieldError("notes") ? true : undefined}
            className={`${inputClass} mt-1`}
          />
          {errors?.fieldError("notes") ? (
            <p role="alert" className="mt-1 text-sm text-rose-700">
              {errors.fieldError("notes")}
            </p>
          ) : null}
        </div>
        <TagInput label="Tags" value={tags} onChange={setTags} error={errors?.fieldError("tags")} />
        <div className="flex items-center justify-end gap-3">
          {!dirty ? <span className="text-xs text-slate-500">No unsaved changes</span> : null}
          <button type="submit" disabled={!dirty || saving} className={buttonClass("primary")}>
            {saving ? "Saving…" : "Save notes"}
          </button>
        </div>
      </form>
    </Card>
  );
}

export function Timeline({ entries }: { entries: TimelineEntry[] }) {
  if (entries.length === 0) {
    return (
      <EmptyState title="Nothing recorded yet">
        Events from Telnyx and the commands sent for this call appear here as they happen.
      </EmptyState>
    );
  }
  const start = entries[0].at;
  return (
    <ol aria-label="Call timeline" className="relative px-5 py-4">
      {entries.map((e, i) => {
        const failed = e.kind === "command" && e.result === "failed";
        const absorbed = e.kind === "command" && e.result === "absorbed";
        const detail = timelineDetail(e);
        return (
          <li
            key={`${e.kind}-${e.kind === "event" ? e.event_id : e.command_id}-${i}`}
            data-testid="timeline-entry"
            data-kind={e.kind}
            data-result={e.kind === "command" ? e.result : undefined}
            className={`relative flex gap-3 pb-4 pl-1 last:pb-0 ${failed ? "rounded-lg bg-rose-50 ring-1 ring-rose-200" : ""}`}
          >
            <span
              aria-hidden="true"
              className={`relative z-10 mt-1.5 size-2.5 shrink-0 rounded-full ring-4 ring-white ${
                failed
                  ? "bg-rose-600 ring-rose-50"
                  : e.kind === "command"
                    ? "bg-indigo-600"
                    : "bg-slate-400"
              }`}
            />
            <div className="min-w-0 flex-1">
              <p className="flex flex-wrap items-baseline gap-x-2 text-sm">
                <span
                  className={`font-medium ${failed ? "text-rose-800" : absorbed ? "text-slate-500" : "text-slate-900"}`}
                >
                  {timelineLabel(e)}
                </span>
                <span className="text-xs text-slate-500">
                  {e.kind === "command" ? "Command" : "Event"}
                  {e.kind === "event" && e.leg
                    ? e.leg === "agent"
                      ? " · your leg"
                      : " · customer's leg"
                    : ""}
                  {failed ? " · failed" : ""}
                </span>
              </p>
              {detail ? (
                <p className={`text-sm break-words ${failed ? "text-rose-700" : "text-slate-600"}`}>
                  {detail}
                </p>
              ) : null}
              <p className="font-mono text-xs text-slate-400">
                {e.kind === "event" ? e.event_type : e.command}
              </p>
            </div>
            <div className="shrink-0 text-right text-xs text-slate-500 tabular-nums">
              <time dateTime={e.at} className="block">
                {formatClock(e.at)}
              </time>
              <span className="block">{offsetLabel(e.at, start)}</span>
            </div>
          </li>
        );
      })}
    </ol>
  );
}
