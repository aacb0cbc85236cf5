"use client";

import Link from "next/link";
import { useId, useState } from "react";
import { ApiError, api, errorMessage, saveBlob } from "@/lib/api";
import { useDebounced } from "@/lib/hooks";
import type { CallFilter, CallView, User } from "@/lib/types";
import useSWR from "swr";
import { useIsAdmin } from "@/features/admin/Admin";
import { ListStates, ListToolbar, SearchField, Tabs, usePagedList } from "@/ui/list";
import { CallRow } from "./CallRow";
import { DownloadIcon, ListIcon } from "@/ui/icons";
import { useToast } from "@/ui/Toasts";
import { Card, EmptyState, PageHeader, buttonClass, focusRing, inputClass } from "@/ui/primitives";

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

/** One end of the date range: a local calendar day. */
function DayField({
  label,
  value,
  onChange,
  min,
  max,
  invalid,
}: {
  label: string;
  value: string;
  onChange: (day: string) => void;
  min?: string;
  max?: string;
  invalid?: boolean;
}) {
  const id = useId();
  return (
    <div className="min-w-[9rem] flex-1 sm:flex-none">
      <label htmlFor={id} className="text-xs font-medium text-slate-600">
        {label}
      </label>
      <input
        id={id}
        type="date"
        value={value}
        min={min}
        max={max}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={invalid ? true : undefined}
        className={`${inputClass} mt-0.5`}
      />
    </div>
  );
}

/** Who placed a call, for the admin's agent column. */
export function agentName(call: Pick<CallView, "placed_by">, users: User[] | undefined): string {
  if (!call.placed_by) return "Team API key";
  const u = users?.find((x) => x.id === call.placed_by);
  return u ? u.name || u.email : "Former user";
}

function AgentFilter({
  users,
  value,
  onChange,
}: {
  users: User[];
  value: string;
  onChange: (id: string) => void;
}) {
  const id = useId();
  return (
    <div className="min-w-[10rem] flex-1 sm:ml-auto sm:flex-none">
      <label htmlFor={id} className="text-xs font-medium text-slate-600">
        Agent
      </label>
      <select
        id={id}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        className={`${inputClass} mt-0.5`}
      >
        <option value="">Everyone</option>
        {users.map((u) => (
          <option key={u.id} value={u.id}>
            {u.name || u.email}
          </option>
        ))}
      </select>
    </div>
  );
}

export function CallLogs() {
  const [filter, setFilter] = useState<CallFilter>("all");
  const [query, setQuery] = useState("");
  const [fromDay, setFromDay] = useState("");
  const [toDay, setToDay] = useState("");
  const [mine, setMine] = useState(false);
  // Admins pick any agent; everyone else can narrow to their own calls.
  const admin = useIsAdmin();
  const [agent, setAgent] = useState("");
  const users = useSWR<User[]>(admin ? "users" : null, () => api.users());
  const placedBy = admin ? agent || null : mine ? "me" : null;
  const q = useDebounced(query.trim());
  const panelId = useId();
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

  const list = usePagedList(
    rangeError ? null : (["calls", filter, q, since, until, placedBy] as const),
    ([, status, search, from, to, by], cursor) =>
      api.calls({
        status,
        q: search,
        since: from,
        until: to,
        placed_by: by,
        limit: PAGE_SIZE,
        cursor,
      }),
    {
      refreshInterval: filter === "active" ? 2000 : 0,
      // Fresh on arrival (the default 2 s dedupe would show a list from just before).
      dedupingInterval: 200,
    },
  );
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
        <ListToolbar>
          <Tabs
            label="Filter calls by status"
            options={FILTERS}
            value={filter}
            onChange={setFilter}
            controls={panelId}
          />
          <SearchField
            label="Search calls by number or name"
            placeholder="Search number, name, notes or tags"
            value={query}
            onChange={setQuery}
          />
        </ListToolbar>

        <div className="flex flex-wrap items-end gap-3 border-b border-slate-100 px-3 py-3 sm:px-4">
          <DayField
            label="From date"
            value={fromDay}
            onChange={setFromDay}
            max={toDay || undefined}
          />
          <DayField
            label="To date"
            value={toDay}
            onChange={setToDay}
            min={fromDay || undefined}
            invalid={!!rangeError}
          />
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
          {admin ? (
            <AgentFilter users={users.data ?? []} value={agent} onChange={setAgent} />
          ) : (
            <label className="flex items-center gap-2 py-2 text-sm text-slate-700 sm:ml-auto">
              <input
                type="checkbox"
                checked={mine}
                onChange={(e) => setMine(e.target.checked)}
                className="size-4 rounded border-slate-300 text-indigo-600 focus:ring-indigo-600"
              />
              Only calls I placed
            </label>
          )}
          {rangeError ? (
            <p role="alert" className="w-full text-sm text-rose-700">
              {rangeError}
            </p>
          ) : null}
        </div>

        <ListStates
          list={list}
          panelId={panelId}
          loadingLabel="Loading calls"
          errorTitle={(error) =>
            error instanceof ApiError && error.status === 404
              ? "Call history is not available yet"
              : "Could not load calls"
          }
          onRetry={list.reload}
          moreLabel="Load more calls"
          empty={
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
          }
        >
          <ul aria-label="Calls" className="divide-y divide-slate-100 py-1">
            {list.items.map((call) => (
              <CallRow
                key={call.call_id}
                call={call}
                agent={admin ? agentName(call, users.data) : undefined}
              />
            ))}
          </ul>
        </ListStates>
      </Card>
    </div>
  );
}
