import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Timeline } from "@/features/calls/CallDetail";
import { hangupCauseWords, timelineDetail, timelineLabel } from "@/lib/timeline";
import type { TimelineEntry } from "@/lib/types";

const T = (s: number) => new Date(Date.UTC(2026, 10, 24, 10, 0, s)).toISOString();

const entries: TimelineEntry[] = [
  { kind: "command", at: T(0), command: "dial", command_id: "c1", detail: null, result: "ok" },
  {
    kind: "event",
    at: T(0),
    event_type: "call.initiated",
    event_id: "e1",
    received_at: T(0),
    attempt: 1,
    deliveries: 1,
    summary: null,
  },
  {
    kind: "event",
    at: T(2),
    event_type: "call.answered",
    event_id: "e2",
    received_at: T(2),
    attempt: 1,
    deliveries: 2,
    summary: null,
  },
  { kind: "command", at: T(4), command: "playback_start", command_id: "c2", result: "ok" },
  { kind: "command", at: T(6), command: "playback_stop", command_id: "c3", result: "ok" },
  {
    kind: "command",
    at: T(7),
    command: "send_dtmf",
    command_id: "c4",
    detail: "1#",
    result: "failed",
    code: "90018",
    message: "Call has already ended",
  },
  {
    kind: "event",
    at: T(9),
    event_type: "call.hangup",
    event_id: "e3",
    received_at: T(9),
    attempt: 1,
    deliveries: 1,
    summary: "normal_clearing by caller (SIP 200)",
  },
];

describe("Timeline", () => {
  it("lists events and commands in readable words, in order", () => {
    render(<Timeline entries={entries} />);
    const items = screen.getAllByTestId("timeline-entry");
    expect(items.map((li) => li.querySelector("span.font-medium")?.textContent)).toEqual([
      "Dial requested",
      "Call placed",
      "Answered",
      "Put on hold",
      "Resumed from hold",
      "Sent tones",
      "Call ended",
    ]);
    expect(items[2]).toHaveTextContent("delivered 2 times");
    expect(items[6]).toHaveTextContent("normal clearing by caller (SIP 200)");
    expect(items[6]).toHaveTextContent("+9.0 s");
  });

  it("a two-leg call's events say whose leg they are about", () => {
    const legs: TimelineEntry[] = [
      { kind: "event", at: T(0), event_type: "call.answered", event_id: "a1", leg: "agent" },
      { kind: "event", at: T(3), event_type: "call.answered", event_id: "b1", leg: "customer" },
    ];
    render(<Timeline entries={legs} />);
    const items = screen.getAllByTestId("timeline-entry");
    expect(items[0]).toHaveTextContent("Event · your leg");
    expect(items[1]).toHaveTextContent("Event · customer's leg");
  });

  it("highlights a failed command with its code and message", () => {
    render(<Timeline entries={entries} />);
    const failed = screen
      .getAllByTestId("timeline-entry")
      .filter((li) => li.dataset.result === "failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toHaveClass("bg-rose-50");
    expect(failed[0]).toHaveTextContent("1# · Failed (90018): Call has already ended");
  });

  it("says what will appear when there is nothing yet", () => {
    render(<Timeline entries={[]} />);
    expect(screen.getByText("Nothing recorded yet")).toBeInTheDocument();
  });

  it("unknown kinds still read as words", () => {
    expect(
      timelineLabel({
        kind: "event",
        at: T(0),
        event_type: "call.fork.started",
        event_id: "x",
      }),
    ).toBe("Fork started");
    expect(
      timelineDetail({
        kind: "command",
        at: T(0),
        command: "hangup",
        command_id: "h",
        result: "absorbed",
        code: "90018",
      }),
    ).toMatch(/No effect/);
    expect(hangupCauseWords("user_busy")).toBe("The line was busy");
    expect(hangupCauseWords("some_new_cause")).toBe("Some new cause");
  });
});
