"use client";

import Link from "next/link";
import { useId, useState } from "react";
import useSWRInfinite from "swr/infinite";
import { ApiError, api, errorMessage, saveBlob } from "@/lib/api";
import { useDebounced } from "@/lib/hooks";
import type { CallFilter, CallView, Page } from "@/lib/types";
import { CallRow } from "./CallRow";
import { CloseIcon, DownloadIcon, ListIcon, SearchIcon } from "./icons";
import { useToast } from "./Toasts";
import {
  Card,
  EmptyState,
  ErrorState,
  PageHeader,
  Spinner,
  buttonClass,
  focusRing,
  inputClass,
} from "./ui";

export const FILTERS: { value: CallFilter; label: string }[] = [
  { value: "all", label: "All" },
  { value: "active", label: "Active" },
  { value: "completed", label: "Completed" },
  { value: "missed", label: "Missed" },
  { value: "failed", label: "Failed" },
];

const PAGE_SIZE = 25;

function emptyText(
  filter: CallFilter,
  q: string,
  ranged: boolean,
): { title: string; body: string } {
  if (ranged && !q) {
    return {
      title: "No calls in these dates",
      body: "Widen the date range or clear it to see every call.",
    };
  }
  if (q) {
    return {
      title: `No calls match “${q}”`,
      body: "Search looks at numbers and contact names. Try fewer digits or clear the search.",
    };
  }
  switch (filter) {
    case "active":
      return { title: "No calls in progress", body: "Calls you are on right now show up here." };
    case "completed":
      return { title: "No completed calls", body: "Answered calls show up here once they end." };
    case "missed":
      return {
        title: "No missed calls",
        body: "Calls that were not answered, busy, declined or canceled show up here.",
      };
    case "failed":
      return {
        title: "No failed calls",
        body: "Calls the network could not connect show up here.",
      };
    default:
      return {
        title: "No calls yet",
        body: "Open the Phone screen, enter a number and press Call. Every call is logged here.",
      };
  }
}

/** A local calendar day ("2026-11-24") as the instant it starts, in RFC 3339 UTC. */
export function dayStart(day: string, plusDays = 0): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return null;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + plusDays).toISOString();
}

export function CallLogs() {
  const [filter, setFilter] = useState<CallFilter>("all");
  const [query, setQuery] = useState("");
  const [fromDay, setFromDay] = useState("");
  const [toDay, setToDay] = useState("");
  const [mine, setMine] = useState(false);
  const placedBy = mine ? ("me" as const) : null;
  const q = useDebounced(query.trim());
  const searchId = useId();
  const panelId = useId();
  const fromId = useId();
  const toId = useId();
  const toast = useToast();
  const since = fromDay ? dayStart(fromDay) : null;
  // The end day is inclusive: ask for calls before the next midnight.
  const until = toDay ? dayStart(toDay, 1) : null;
  const rangeError = since && until && since >= until ? "The end date is before the start" : null;
  const [exporting, setExporting] = useState(false);
  // The export needs the bearer token, so it is fetched, then saved from a Blob.
  const exportCsv = async () => {
    setExporting(true);
    try {
      const blob = await api.exportCalls({ status: filter, q, since, until, placed_by: placedBy });
      saveBlob(blob, "calls.csv");
    } catch (err) {
      toast.error(`Could not export the calls: ${errorMessage(err)}`);
    } finally {
      setExporting(false);
    }
  };

  const { data, error, isLoading, isValidating, size, setSize, mutate } = useSWRInfinite<
    Page<CallView>
  >(
    (index, previous) => {
      if (previous && !previous.next_cursor) return null;
      if (rangeError) return null;
      return [
        "calls",
        filter,
        q,
        since,
        until,
        placedBy,
        index === 0 ? null : previous?.next_cursor,
      ];
    },
    ([, status, search, from, to, by, cursor]) =>
      api.calls({
        status: status as CallFilter,
        q: search as string,
        since: from as string | null,
        until: to as string | null,
        placed_by: by as "me" | null,
        limit: PAGE_SIZE,
        cursor: cursor as string | null,
      }),
    {
      refreshInterval: filter === "active" ? 2000 : 0,
      // Fresh on arrival (the default 2 s dedupe would show a list from just before).
      dedupingInterval: 200,
    },
  );

  const calls = data?.flatMap((p) => p.items) ?? [];
  const hasMore = !!data && !!data[data.length - 1]?.next_cursor;
  const loadingMore = isValidating && size > (data?.length ?? 0);
  const empty = emptyText(filter, q, !!(since || until));

  return (
    <div className="mx-auto max-w-3xl">
      <PageHeader
        title="Call logs"
        description="Every call, newest first."
        actions={
          <button
            type="button"
            onClick={() => void exportCsv()}
            disabled={exporting || !!rangeError}
            className={buttonClass("secondary")}
          >
            <DownloadIcon size={16} /> {exporting ? "Exporting…" : "Export CSV"}
          </button>
        }
      />

      <Card>
        <div className="flex flex-col gap-3 border-b border-slate-100 p-3 sm:flex-row sm:items-center sm:justify-between sm:p-4">
          <div
            role="tablist"
            aria-label="Filter calls by status"
            className="flex gap-1 rounded-xl bg-slate-100 p-1 sm:bg-transparent sm:p-0"
          >
            {FILTERS.map((f) => {
              const selected = f.value === filter;
              return (
                <button
                  key={f.value}
                  type="button"
                  role="tab"
                  aria-selected={selected}
                  aria-controls={panelId}
                  onClick={() => setFilter(f.value)}
                  className={`flex-1 rounded-lg px-1.5 py-1.5 text-[0.8125rem] font-medium sm:flex-none sm:px-3 sm:text-sm ${focusRing} ${
                    selected
                      ? "bg-white text-indigo-700 shadow-sm sm:bg-indigo-600 sm:text-white"
                      : "text-slate-600 hover:bg-white/60 hover:text-slate-900 sm:hover:bg-slate-100"
                  }`}
                >
                  {f.label}
                </button>
              );
            })}
          </div>
          <div className="relative sm:w-64">
            <label htmlFor={searchId} className="sr-only">
              Search calls by number or name
            </label>
            <SearchIcon
              size={16}
              className="pointer-events-none absolute top-1/2 left-3 -translate-y-1/2 text-slate-400"
            />
            <input
              id={searchId}
              type="search"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
              placeholder="Search number or name"
              className="block w-full rounded-lg border-0 bg-white py-2 pr-9 pl-9 text-sm text-slate-900 ring-1 ring-slate-300 placeholder:text-slate-400 focus:ring-2 focus:ring-indigo-600 focus:outline-none"
            />
            {query ? (
              <button
                type="button"
                onClick={() => setQuery("")}
                aria-label="Clear search"
                className={`absolute top-1/2 right-2 -translate-y-1/2 rounded p-1 text-slate-400 hover:text-slate-700 ${focusRing}`}
              >
                <CloseIcon size={14} />
              </button>
            ) : null}
          </div>
        </div>

        <div className="flex flex-wrap items-end gap-3 border-b border-slate-100 px-3 py-3 sm:px-4">
          <div className="min-w-[9rem] flex-1 sm:flex-none">
            <label htmlFor={fromId} className="text-xs font-medium text-slate-600">
              From date
            </label>
            <input
              id={fromId}
              type="date"
              value={fromDay}
              max={toDay || undefined}
              onChange={(e) => setFromDay(e.target.value)}
              className={`${inputClass} mt-0.5`}
            />
          </div>
          <div className="min-w-[9rem] flex-1 sm:flex-none">
            <label htmlFor={toId} className="text-xs font-medium text-slate-600">
              To date
            </label>
            <input
              id={toId}
              type="date"
              value={toDay}
              min={fromDay || undefined}
              onChange={(e) => setToDay(e.target.value)}
              aria-invalid={rangeError ? true : undefined}
              className={`${inputClass} mt-0.5`}
            />
          </div>
          {fromDay || toDay ? (
            <button
              type="button"
              onClick={() => {
                setFromDay("");
                setToDay("");
              }}
              className={buttonClass("ghost", "sm")}
            >
              Clear dates
            </button>
          ) : null}
          <label className="flex items-center gap-2 py-2 text-sm text-slate-700 sm:ml-auto">
            <input
              type="checkbox"
              checked={mine}
              onChange={(e) => setMine(e.target.checked)}
              className="size-4 rounded border-slate-300 text-indigo-600 focus:ring-indigo-600"
            />
            Only calls I placed
          </label>
          {rangeError ? (
            <p role="alert" className="w-full text-sm text-rose-700">
              {rangeError}
            </p>
          ) : null}
        </div>

        <div id={panelId} role="tabpanel" aria-busy={isLoading}>
          {isLoading ? (
            <div className="flex justify-center px-6 py-14">
              <Spinner label="Loading calls" />
            </div>
          ) : error && calls.length === 0 ? (
            <ErrorState
              title={
                error instanceof ApiError && error.status === 404
                  ? "Call history is not available yet"
                  : "Could not load calls"
              }
              message={errorMessage(error)}
              onRetry={() => void mutate()}
            />
          ) : calls.length === 0 ? (
            <EmptyState icon={<ListIcon size={22} />} title={empty.title}>
              <p>{empty.body}</p>
              {!q && filter === "all" ? (
                <Link
                  href="/"
                  className={`mt-4 inline-flex rounded-lg bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-700 ${focusRing}`}
                >
                  Make a call
                </Link>
              ) : null}
            </EmptyState>
          ) : (
            <>
              <ul aria-label="Calls" className="divide-y divide-slate-100 py-1">
                {calls.map((call) => (
                  <CallRow key={call.call_id} call={call} />
                ))}
              </ul>
              {error ? (
                <p role="alert" className="px-5 pb-3 text-sm text-rose-700">
                  {errorMessage(error)}
                </p>
              ) : null}
              {hasMore ? (
                <div className="flex justify-center border-t border-slate-100 p-3">
                  <button
                    type="button"
                    onClick={() => void setSize(size + 1)}
                    disabled={loadingMore}
                    className={`rounded-lg px-4 py-2 text-sm font-medium text-indigo-700 hover:bg-indigo-50 disabled:opacity-50 ${focusRing}`}
                  >
                    {loadingMore ? "Loading…" : "Load more calls"}
                  </button>
                </div>
              ) : null}
            </>
          )}
        </div>
      </Card>
    </div>
  );
}
