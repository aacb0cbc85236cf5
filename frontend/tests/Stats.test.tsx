import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { StatsView } from "@/features/stats/Statistics";
import { fillDays, rangeSince } from "@/lib/stats";
import type { Stats, StatsGroupRow } from "@/lib/types";

const summary = {
  total: 5,
  active: 0,
  completed: 3,
  missed: 1,
  failed: 1,
  by_outcome: {
    completed: 3,
    no_answer: 0,
    busy: 1,
    rejected: 0,
    canceled: 0,
    failed: 1,
    agent_no_answer: 0,
    agent_failed: 0,
  },
  answer_rate: 0.75,
  total_talk_secs: 390,
  avg_talk_secs: 130,
  avg_ring_secs: 3.2,
};

const day = (key: string, over: Partial<StatsGroupRow> = {}): StatsGroupRow => ({
  ...summary,
  key,
  ...over,
});

const now = new Date("2026-11-24T12:00:00Z");

describe("stats helpers", () => {
  it("a range starts at UTC midnight and includes today", () => {
    expect(rangeSince("7d", now)).toBe("2026-11-18T00:00:00Z");
    expect(rangeSince("all", now)).toBeNull();
  });

  it("fills the days without calls with zeros", () => {
    const days = fillDays([day("2026-11-20")], "2026-11-18T00:00:00Z", now);
    expect(days.map((d) => d.key)).toEqual([
      "2026-11-18",
      "2026-11-19",
      "2026-11-20",
      "2026-11-21",
      "2026-11-22",
      "2026-11-23",
      "2026-11-24",
    ]);
    expect(days[0].total).toBe(0);
    expect(days[2].total).toBe(5);
  });
});

describe("StatsView", () => {
  const stats: Stats = {
    ...summary,
    since: null,
    until: null,
    by_day: [
      day("2026-11-23", { completed: 1, missed: 1, failed: 0, total_talk_secs: 90 }),
      day("2026-11-24"),
    ],
    by_number: [
      day("+12125550200", { total: 4 }),
      day("+13125550201", { total: 1, answer_rate: null }),
    ],
  };

  it("shows the headline numbers", () => {
    render(<StatsView stats={stats} since={null} />);
    expect(screen.getByText("Answer rate").nextSibling).toHaveTextContent("75%");
    expect(screen.getByText("Talk time").nextSibling).toHaveTextContent("6 min 30 s");
    expect(screen.getByText("Average call").nextSibling).toHaveTextContent("2 min 10 s");
    expect(screen.getByRole("img", { name: "Answer rate 75%" })).toBeInTheDocument();
  });

  it("shows the two-leg outcomes once a call ended with one", () => {
    const twoLeg = {
      ...stats,
      by_outcome: { ...stats.by_outcome, agent_no_answer: 2, agent_failed: 1 },
    };
    render(<StatsView stats={twoLeg} since={null} />);
    const outcome = screen.getByRole("group", { name: /Calls by outcome/ });
    const items = within(outcome).getAllByRole("listitem");
    expect(items).toHaveLength(8);
    expect(within(outcome).getByText("Agent didn't answer").closest("li")).toHaveTextContent("2");
    expect(within(outcome).getByText("Agent unreachable").closest("li")).toHaveTextContent("1");
  });

  it("draws charts with the same numbers in tables for screen readers", () => {
    render(<StatsView stats={stats} since={null} />);
    expect(screen.getByRole("img", { name: "Calls per day by result" })).toBeInTheDocument();
    const table = screen.getByRole("table", { name: "Calls per day by result" });
    const rows = within(table).getAllByRole("row");
    // header + two days
    expect(rows).toHaveLength(3);
    expect(rows[1]).toHaveTextContent("2026-11-23");
    const talk = screen.getByRole("table", { name: "Talk time per day in minutes" });
    expect(within(talk).getAllByRole("row")[1]).toHaveTextContent("1.5");
    // One bar per outcome, one per caller ID, busiest first.
    const outcome = screen.getByRole("group", { name: /Calls by outcome/ });
    expect(within(outcome).getAllByRole("listitem")).toHaveLength(6);
    expect(outcome).not.toHaveTextContent("Agent");
    const numbers = screen.getByRole("group", { name: "Calls per caller ID" });
    const items = within(numbers).getAllByRole("listitem");
    expect(items[0]).toHaveTextContent("+1 212 555 0200");
    expect(items[0]).toHaveTextContent("4");
    expect(items[1]).toHaveTextContent("— answered");
  });
});

describe("StatsView talk time units", () => {
  it("short days are drawn in seconds", () => {
    render(
      <StatsView
        stats={{
          ...summary,
          since: null,
          until: null,
          by_day: [day("2026-11-24", { total_talk_secs: 42 })],
          by_number: [],
        }}
        since={null}
      />,
    );
    const talk = screen.getByRole("table", { name: "Talk time per day in seconds" });
    expect(within(talk).getAllByRole("row")[1]).toHaveTextContent("42");
  });
});
