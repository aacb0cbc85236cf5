import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "@/lib/api";
import { resetConfig } from "@/lib/config";
import {
  CLOCK_TOLERANCE_MS,
  PollCadence,
  estimateClockOffset,
  nextPollDelay,
  settleClockOffset,
  talkSeconds,
} from "@/lib/poll";
import { NO_CONTROLS, makeCall } from "./utils";

const ANSWERED = "2026-11-24T10:00:00Z";
const answeredMs = Date.parse(ANSWERED);
const talking = (over = {}) =>
  makeCall({
    status: "active",
    answered_at: ANSWERED,
    duration: 12,
    controls: { ...NO_CONTROLS, hangup: true, mute: true, hold: true, dtmf: true },
    ...over,
  });

describe("nextPollDelay", () => {
  it("asks every second until the first answer and while dialing or ringing", () => {
    expect(nextPollDelay(undefined, undefined, 60_000)).toBe(1000);
    const ringing = makeCall({ status: "ringing" });
    expect(nextPollDelay(ringing, ringing, 60_000)).toBe(1000);
    expect(nextPollDelay(undefined, makeCall({ status: "dialing" }), 0)).toBe(1000);
  });

  it("polls every second right after a change", () => {
    expect(nextPollDelay(makeCall({ status: "ringing" }), talking(), 0)).toBe(1000);
    expect(nextPollDelay(talking(), talking({ muted: true }), 60_000)).toBe(1000);
    expect(nextPollDelay(talking(), talking({ on_hold: true }), 60_000)).toBe(1000);
    expect(
      nextPollDelay(talking(), talking({ controls: { ...NO_CONTROLS, hangup: true } }), 60_000),
    ).toBe(1000);
    expect(nextPollDelay(talking(), talking({ recording_status: "recording" }), 60_000)).toBe(1000);
    expect(nextPollDelay(undefined, talking(), 60_000)).toBe(1000);
  });

  it("relaxes 1 → 2 → 3 s while a connected call stays the same, never beyond 3 s", () => {
    const prev = talking({ duration: 40 });
    // The growing talk time is not a change.
    const next = talking({ duration: 43 });
    expect(nextPollDelay(prev, next, 0)).toBe(1000);
    expect(nextPollDelay(prev, next, 4_999)).toBe(1000);
    expect(nextPollDelay(prev, next, 5_000)).toBe(2000);
    expect(nextPollDelay(prev, next, 14_999)).toBe(2000);
    expect(nextPollDelay(prev, next, 15_000)).toBe(3000);
    expect(nextPollDelay(prev, next, 3_600_000)).toBe(3000);
  });

  it("stops once ended, after the recording is processed", () => {
    const ended = makeCall({ status: "ended", outcome: "completed", controls: NO_CONTROLS });
    expect(nextPollDelay(talking(), ended, 0)).toBe(0);
    expect(nextPollDelay(ended, ended, 60_000)).toBe(0);
    expect(nextPollDelay(ended, { ...ended, recording_status: "processing" }, 0)).toBe(2000);
    expect(nextPollDelay(ended, { ...ended, recording_status: "available" }, 0)).toBe(0);
  });
});

describe("PollCadence", () => {
  let t = 0;
  const clock = () => t;
  beforeEach(() => {
    t = 1_000_000;
  });

  it("backs off over a quiet connected call and comes back at once on a change", () => {
    const cadence = new PollCadence(clock);
    const seen: number[] = [];
    const poll = (call: ReturnType<typeof talking>) => {
      const wait = cadence.delay(call);
      seen.push(wait);
      t += wait;
    };
    poll(makeCall({ status: "ringing" }));
    for (let i = 0; i < 12; i++) poll(talking({ duration: i }));
    expect(seen).toEqual([
      1000, 1000, 1000, 1000, 1000, 1000, 2000, 2000, 2000, 2000, 2000, 3000, 3000,
    ]);
    poll(talking({ on_hold: true }));
    expect(seen.at(-1)).toBe(1000);
  });

  it("a user action restarts at 1 s, without putting off a poll already due sooner", () => {
    const cadence = new PollCadence(clock);
    cadence.delay(talking());
    t += 30_000;
    expect(cadence.delay(talking())).toBe(3000);
    t += 500;
    expect(cadence.kick()).toBe(true); // 2.5 s to go: restart the timer
    expect(cadence.delay(talking())).toBe(1000);
    t += 300;
    expect(cadence.kick()).toBe(false); // 0.7 s to go: leave it
    expect(cadence.delay(talking())).toBe(1000);
  });

  it("a user action on an ended call schedules nothing", () => {
    const cadence = new PollCadence(clock);
    expect(cadence.delay(makeCall({ status: "ended", controls: NO_CONTROLS }))).toBe(0);
    expect(cadence.kick()).toBe(false);
  });
});

describe("the talk clock", () => {
  it("ticks from answered_at, whatever the poll's duration", () => {
    const call = talking({ duration: 4 });
    expect(talkSeconds(call, answeredMs + 5_400)).toBe(5);
    expect(talkSeconds(call, answeredMs + 9_999)).toBe(9);
    expect(talkSeconds(call, answeredMs - 2_000)).toBe(0);
  });

  it("uses the final duration once ended, and 0 before the answer", () => {
    const ended = makeCall({ status: "ended", answered_at: ANSWERED, duration: 42 });
    expect(talkSeconds(ended, answeredMs + 99_000)).toBe(42);
    expect(talkSeconds(makeCall({ status: "ringing" }), answeredMs)).toBe(0);
  });

  it("corrects a device clock that is off by the server's", () => {
    // This device is 10 minutes ahead: the poll says 4 s when the device counts 604 s.
    const call = talking({ duration: 4 });
    const received = answeredMs + 600_000 + 4_300;
    const offset = settleClockOffset(undefined, estimateClockOffset(call, received));
    expect(Math.abs(offset + 600_000)).toBeLessThan(1000);
    expect(talkSeconds(call, received, offset)).toBe(4);
    // Between polls it keeps ticking evenly, one second a second.
    const shown = [1, 2, 3, 4, 5].map((s) => talkSeconds(call, received + s * 1000, offset));
    expect(shown).toEqual([5, 6, 7, 8, 9]);
  });

  it("keeps the offset through the jitter of rounding and network delay", () => {
    expect(settleClockOffset(undefined, 800)).toBe(0);
    expect(settleClockOffset(0, -CLOCK_TOLERANCE_MS)).toBe(0);
    expect(settleClockOffset(-600_000, -601_400)).toBe(-600_000);
    expect(settleClockOffset(0, 5_000)).toBe(5_000);
    expect(settleClockOffset(5_000, null)).toBe(5_000);
    expect(estimateClockOffset(makeCall({ status: "ringing" }), Date.now())).toBeNull();
  });
});

describe("the status request", () => {
  beforeEach(() => resetConfig({ apiBaseUrl: "" }));
  afterEach(() => vi.unstubAllGlobals());

  it("lets the browser revalidate with its ETag (no `no-store`)", async () => {
    const fetchMock = vi.fn(
      async () =>
        new Response(JSON.stringify(talking()), {
          headers: { "Content-Type": "application/json", ETag: 'W/"1"' },
        }),
    );
    vi.stubGlobal("fetch", fetchMock);
    await api.status("c1");
    const init = (fetchMock.mock.calls[0] as unknown[])[1] as RequestInit;
    expect(init.cache).toBeUndefined();
    await api.calls({});
    expect(((fetchMock.mock.calls[1] as unknown[])[1] as RequestInit).cache).toBe("no-store");
  });
});
