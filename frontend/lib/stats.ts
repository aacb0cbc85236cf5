import type { StatsGroupRow } from "./types";

export type Range = "7d" | "30d" | "90d" | "all";

export const RANGES: { value: Range; label: string }[] = [
  { value: "7d", label: "7 days" },
  { value: "30d", label: "30 days" },
  { value: "90d", label: "90 days" },
  { value: "all", label: "All time" },
];

const DAYS: Record<Exclude<Range, "all">, number> = { "7d": 7, "30d": 30, "90d": 90 };

/** UTC midnight `days - 1` days before `now`, so the range includes today. */
export function rangeSince(range: Range, now: Date = new Date()): string | null {
  if (range === "all") return null;
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  d.setUTCDate(d.getUTCDate() - (DAYS[range] - 1));
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

const EMPTY = (key: string): StatsGroupRow => ({
  key,
  total: 0,
  active: 0,
  completed: 0,
  missed: 0,
  failed: 0,
  by_outcome: {
    completed: 0,
    no_answer: 0,
    busy: 0,
    rejected: 0,
    canceled: 0,
    failed: 0,
    agent_no_answer: 0,
    agent_failed: 0,
  },
  answer_rate: null,
  total_talk_secs: 0,
  avg_talk_secs: null,
  avg_ring_secs: null,
});

/** Every day from `since` to `now` (UTC keys), days without calls filled with zeros. */
export function fillDays(rows: StatsGroupRow[], since: string | null, now = new Date()) {
  if (!since) return rows;
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const out: StatsGroupRow[] = [];
  const d = new Date(since);
  const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  while (d.getTime() <= end && out.length < 400) {
    const key = d.toISOString().slice(0, 10);
    out.push(byKey.get(key) ?? EMPTY(key));
    d.setUTCDate(d.getUTCDate() + 1);
  }
  return out;
}

/** "2026-11-24" → "Nov 24" */
export function dayLabel(key: string): string {
  const d = new Date(`${key}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return key;
  return d.toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
}

export function percent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? "—" : `${Math.round(rate * 100)}%`;
}
