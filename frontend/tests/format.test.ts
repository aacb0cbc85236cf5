import { describe, expect, it } from "vitest";
import {
  badgeText,
  formatDuration,
  outcomeDetail,
  outcomeTone,
  statusHeadline,
} from "@/lib/format";
import { liveSeconds, noteCallView } from "@/lib/hooks";
import type { CallOutcome } from "@/lib/types";
import { makeCall } from "./utils";

describe("status words", () => {
  it("names each live state", () => {
    expect(statusHeadline(makeCall({ status: "dialing" }))).toBe("Dialing…");
    expect(statusHeadline(makeCall({ status: "ringing" }))).toBe("Ringing…");
    expect(statusHeadline(makeCall({ status: "active" }))).toBe("Connected");
    expect(statusHeadline(makeCall({ status: "active", on_hold: true }))).toBe("On hold");
    expect(statusHeadline(makeCall({ status: "ended" }))).toBe("Ended");
  });

  it.each<[CallOutcome, string]>([
    ["completed", "Completed"],
    ["no_answer", "No answer"],
    ["busy", "Busy"],
    ["rejected", "Declined"],
    ["canceled", "Canceled"],
    ["failed", "Failed"],
    ["agent_no_answer", "You did not answer"],
    ["agent_failed", "Your leg failed"],
  ])("outcome %s reads %s", (outcome, words) => {
    expect(outcomeDetail(makeCall({ status: "ended", outcome }))).toBe(words);
    expect(badgeText(makeCall({ status: "ended", outcome }))).toBe(words);
  });

  it("adds the failure message", () => {
    const call = makeCall({
      status: "ended",
      outcome: "failed",
      failure: { code: "unroutable", message: "The number could not be reached" },
    });
    expect(outcomeDetail(call)).toBe("Failed: The number could not be reached");
    expect(outcomeTone(call)).toBe("danger");
  });

  it.each<[CallOutcome, string]>([
    ["agent_no_answer", "warning"],
    ["agent_failed", "danger"],
  ])("the two-leg outcome %s has the %s colour", (outcome, tone) => {
    expect(outcomeTone(makeCall({ status: "ended", outcome }))).toBe(tone);
  });

  it("has no outcome line while live", () => {
    expect(outcomeDetail(makeCall({ status: "active" }))).toBeNull();
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0:00"],
    [7, "0:07"],
    [65, "1:05"],
    [3723, "1:02:03"],
    [-3, "0:00"],
  ])("%i s -> %s", (s, text) => {
    expect(formatDuration(s)).toBe(text);
  });
});

describe("liveSeconds", () => {
  const answered = Date.parse("2026-11-24T10:00:00Z");
  it("ticks from answered_at while active", () => {
    const call = makeCall({
      status: "active",
      answered_at: "2026-11-24T10:00:00Z",
      duration: 4,
    });
    expect(liveSeconds(call, answered + 5_400)).toBe(5);
  });
  it("follows the server's clock once a poll showed this device's is off", () => {
    const call = makeCall({
      call_id: "skewed",
      status: "active",
      answered_at: "2026-11-24T10:00:00Z",
      duration: 4,
    });
    noteCallView(call, answered + 600_000 + 4_200);
    expect(liveSeconds(call, answered + 600_000 + 4_200)).toBe(4);
    expect(liveSeconds(call, answered + 600_000 + 7_200)).toBe(7);
  });
  it("uses the final duration once ended", () => {
    const call = makeCall({ status: "ended", answered_at: "2026-11-24T10:00:00Z", duration: 42 });
    expect(liveSeconds(call, answered + 99_000)).toBe(42);
  });
});
