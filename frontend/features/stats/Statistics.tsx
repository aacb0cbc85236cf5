"use client";

import Link from "next/link";
import { useState } from "react";
import useSWR from "swr";
import { api, errorMessage } from "@/lib/api";
import { OUTCOME_WORDS, formatTalkTime } from "@/lib/format";
import { displayNumber } from "@/lib/phone";
import { RANGES, dayLabel, fillDays, percent, rangeSince, type Range } from "@/lib/stats";
import type { CallOutcome, Stats } from "@/lib/types";
import { HBars, Ring, StackedBars, type Series } from "./charts";
import { ChartIcon } from "@/ui/icons";
import {
  Card,
  CardHeader,
  EmptyState,
  ErrorState,
  PageHeader,
  Spinner,
  buttonClass,
  focusRing,
} from "@/ui/primitives";

const OUTCOME_FILL: Record<CallOutcome, string> = {
  completed: "fill-emerald-500",
  no_answer: "fill-amber-400",
  busy: "fill-orange-500",
  rejected: "fill-rose-400",
  canceled: "fill-slate-400",
  failed: "fill-rose-600",
  agent_no_answer: "fill-violet-400",
  agent_failed: "fill-violet-700",
};

const TWO_LEG_OUTCOMES: CallOutcome[] = ["agent_no_answer", "agent_failed"];

const DAY_SERIES: Series[] = [
  { key: "completed", label: "Answered", fill: "fill-emerald-500", swatch: "bg-emerald-500" },
  { key: "missed", label: "Missed", fill: "fill-amber-400", swatch: "bg-amber-400" },
  { key: "failed", label: "Failed", fill: "fill-rose-600", swatch: "bg-rose-600" },
  { key: "active", label: "In progress", fill: "fill-sky-400", swatch: "bg-sky-400" },
];

const talkSeries = (unit: "minutes" | "seconds"): Series[] => [
  { key: "talk", label: `Talk time (${unit})`, fill: "fill-indigo-500", swatch: "bg-indigo-500" },
];

function Tile({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div className="rounded-2xl bg-white px-4 py-3 shadow-sm ring-1 ring-slate-200">
      <p className="text-xs font-medium text-slate-500">{label}</p>
      <p className="mt-1 text-2xl font-semibold tracking-tight text-slate-900 tabular-nums">
        {value}
      </p>
      {hint ? <p className="text-xs text-slate-500">{hint}</p> : null}
    </div>
  );
}

export function StatsView({ stats, since }: { stats: Stats; since: string | null }) {
  const days = fillDays(stats.by_day ?? [], since);
  const numbers = [...(stats.by_number ?? [])].sort((a, b) => b.total - a.total);
  const outcomes = (Object.keys(OUTCOME_WORDS) as CallOutcome[])
    .map((o) => ({
      key: o,
      label: OUTCOME_WORDS[o],
      value: stats.by_outcome[o] ?? 0,
      fill: OUTCOME_FILL[o],
    }))
    // The agent-leg outcomes only exist for two-leg calls: teams that never place one would
    // only see two empty bars.
    .filter((r) => r.value > 0 || !TWO_LEG_OUTCOMES.includes(r.key));
  const ended = stats.total - stats.active;
  // Short calls read better in seconds than in hundredths of a minute.
  const unit = Math.max(0, ...days.map((d) => d.total_talk_secs)) < 180 ? "seconds" : "minutes";
  return (
    <div className="space-y-5" data-testid="stats">
      <div className="grid grid-cols-2 gap-3 lg:grid-cols-4">
        <Tile
          label="Calls"
          value={String(stats.total)}
          hint={stats.active ? `${stats.active} in progress` : undefined}
        />
        <Tile
          label="Answer rate"
          value={percent(stats.answer_rate)}
          hint={`${stats.completed} answered of ${stats.completed + stats.missed} that rang`}
        />
        <Tile label="Talk time" value={formatTalkTime(stats.total_talk_secs)} />
        <Tile
          label="Average call"
          value={stats.avg_talk_secs === null ? "—" : formatTalkTime(stats.avg_talk_secs)}
          hint={
            stats.avg_ring_secs === null
              ? undefined
              : `${Math.round(stats.avg_ring_secs)} s average ring`
          }
        />
      </div>

      <div className="grid gap-5 lg:grid-cols-2">
        <Card>
          <CardHeader title="Calls by outcome" />
          <div className="flex flex-col items-center gap-5 px-5 py-4 sm:flex-row">
            <Ring value={stats.answer_rate} label={`Answer rate ${percent(stats.answer_rate)}`} />
            <div className="w-full min-w-0 flex-1">
              <HBars title={`Calls by outcome, ${ended} ended`} rows={outcomes} />
            </div>
          </div>
        </Card>
        <Card>
          <CardHeader title="By caller ID" />
          <div className="px-5 py-4">
            {numbers.length ? (
              <HBars
                title="Calls per caller ID"
                rows={numbers.map((n) => ({
                  key: n.key,
                  label: displayNumber(n.key),
                  value: n.total,
                  fill: "fill-indigo-500",
                  note: `${percent(n.answer_rate)} answered · ${formatTalkTime(n.total_talk_secs)}`,
                }))}
              />
            ) : (
              <p className="text-sm text-slate-600">No calls in this range.</p>
            )}
          </div>
        </Card>
      </div>

      <Card>
        <CardHeader title="Calls per day" />
        <div className="px-5 py-4">
          <StackedBars
            title="Calls per day by result"
            series={DAY_SERIES}
            integer
            data={days.map((d) => ({
              label: dayLabel(d.key),
              title: d.key,
              values: {
                completed: d.completed,
                missed: d.missed,
                failed: d.failed,
                active: d.active,
              },
            }))}
          />
        </div>
      </Card>
      <Card>
        <CardHeader title="Talk time per day" />
        <div className="px-5 py-4">
          <StackedBars
            title={`Talk time per day in ${unit}`}
            series={talkSeries(unit)}
            integer={unit === "seconds"}
            data={days.map((d) => ({
              label: dayLabel(d.key),
              title: d.key,
              values: {
                talk:
                  unit === "seconds"
                    ? d.total_talk_secs
                    : Math.round((d.total_talk_secs / 60) * 10) / 10,
              },
            }))}
          />
        </div>
      </Card>
    </div>
  );
}

export function Statistics() {
  const [range, setRange] = useState<Range>("7d");
  const since = rangeSince(range);
  const { data, error, isLoading, mutate } = useSWR(["stats", since], () => api.stats({ since }), {
    refreshInterval: 15000,
  });
  return (
    <div className="mx-auto max-w-5xl">
      <PageHeader
        title="Statistics"
        description="How your calls go: who answers, for how long, from which number."
        actions={
          <div
            role="radiogroup"
            aria-label="Date range"
            className="flex gap-1 rounded-xl bg-slate-100 p-1"
          >
            {RANGES.map((r) => (
              <button
                key={r.value}
                type="button"
                role="radio"
                aria-checked={range === r.value}
                onClick={() => setRange(r.value)}
                className={`rounded-lg px-3 py-1.5 text-sm font-medium ${focusRing} ${
                  range === r.value
                    ? "bg-white text-indigo-700 shadow-sm"
                    : "text-slate-600 hover:text-slate-900"
                }`}
              >
                {r.label}
              </button>
            ))}
          </div>
        }
      />
      {isLoading && !data ? (
        <Card>
          <div className="flex justify-center px-6 py-16">
            <Spinner label="Loading statistics" />
          </div>
        </Card>
      ) : error && !data ? (
        <Card>
          <ErrorState
            title="Could not load statistics"
            message={errorMessage(error)}
            onRetry={() => void mutate()}
          />
        </Card>
      ) : data && data.total === 0 ? (
        <Card>
          <EmptyState icon={<ChartIcon size={22} />} title="No calls in this range">
            <p>Charts fill in as you make calls. Pick a longer range, or place a call.</p>
            <Link href="/" className={`mt-4 ${buttonClass("primary")}`}>
              Make a call
            </Link>
          </EmptyState>
        </Card>
      ) : data ? (
        <StatsView stats={data} since={since} />
      ) : null}
    </div>
  );
}
