import "./mocks";
import { act, fireEvent, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ActiveCall } from "@/features/call/ActiveCall";
import { ApiError, api } from "@/lib/api";
import { NO_CONTROLS, makeCall, renderApp } from "./utils";

vi.mock("@/lib/api", async (orig) => {
  const real = await orig<typeof import("@/lib/api")>();
  return {
    ...real,
    api: { status: vi.fn(), hangup: vi.fn(), control: vi.fn(), speaker: vi.fn(), dtmf: vi.fn() },
  };
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeEach(() => {
  vi.mocked(api.status).mockReset();
  vi.mocked(api.hangup).mockReset();
  vi.mocked(api.control).mockReset();
});

describe("ActiveCall", () => {
  it("shows the outcome in words and stops polling once ended", async () => {
    vi.mocked(api.status).mockResolvedValue(
      makeCall({ status: "ended", outcome: "busy", controls: NO_CONTROLS }),
    );
    renderApp(<ActiveCall id="c1" />);
    expect(await screen.findByTestId("call-status")).toHaveTextContent("Ended");
    expect(screen.getByTestId("call-outcome")).toHaveTextContent("Busy");
    expect(screen.getByRole("link", { name: "New call" })).toHaveAttribute("href", "/");
    // At most one refresh already scheduled before the first answer; then nothing.
    await sleep(1300);
    const settled = vi.mocked(api.status).mock.calls.length;
    expect(settled).toBeLessThanOrEqual(2);
    await sleep(2200);
    expect(vi.mocked(api.status).mock.calls.length).toBe(settled);
  });

  it("polls every second while live and follows the status", async () => {
    vi.mocked(api.status)
      .mockResolvedValueOnce(makeCall({ status: "ringing" }))
      .mockResolvedValue(
        makeCall({
          status: "active",
          answered_at: new Date().toISOString(),
          controls: { ...NO_CONTROLS, hangup: true, mute: true },
        }),
      );
    renderApp(<ActiveCall id="c1" />);
    expect(await screen.findByTestId("call-status")).toHaveTextContent("Ringing…");
    await waitFor(() => expect(screen.getByTestId("call-status")).toHaveTextContent("Connected"), {
      timeout: 2500,
    });
    expect(screen.getByTestId("call-timer")).toHaveTextContent(/^0:0\d$/);
    expect(screen.getByRole("button", { name: "Mute" })).toBeEnabled();
    expect(screen.getByRole("button", { name: "Hold" })).toBeDisabled();
    // The ticking timer re-renders every second; polling must go on regardless.
    const before = vi.mocked(api.status).mock.calls.length;
    await sleep(3200);
    expect(vi.mocked(api.status).mock.calls.length - before).toBeGreaterThanOrEqual(2);
  });

  it("shows a control's error instead of swallowing it", async () => {
    vi.mocked(api.status).mockResolvedValue(
      makeCall({ status: "active", controls: { ...NO_CONTROLS, hangup: true, hold: true } }),
    );
    vi.mocked(api.control).mockRejectedValue(
      new ApiError(409, { code: "call_not_active", detail: "The call is not connected yet" }),
    );
    const user = userEvent.setup();
    renderApp(<ActiveCall id="c1" />);
    await user.click(await screen.findByRole("button", { name: "Hold" }));
    expect(api.control).toHaveBeenCalledWith(expect.any(String), "hold");
    expect((await screen.findAllByText("The call is not connected yet")).length).toBeGreaterThan(0);
  });

  it("says when the call does not exist", async () => {
    vi.mocked(api.status).mockRejectedValue(
      new ApiError(404, { code: "call_not_found", detail: "No call with id c9" }),
    );
    renderApp(<ActiveCall id="c9" />);
    expect(await screen.findByRole("heading", { name: "Call not found" })).toBeInTheDocument();
    expect(screen.getByText("No call with id c9")).toBeInTheDocument();
  });

  describe("with a clock under test control", () => {
    beforeEach(() => vi.useFakeTimers({ now: Date.parse("2026-11-24T10:00:00Z") }));
    afterEach(() => vi.useRealTimers());

    /** Let `ms` pass, running the polls and renders due meanwhile. */
    const pass = (ms: number) => act(() => vi.advanceTimersByTimeAsync(ms));
    const polls = () => vi.mocked(api.status).mock.calls.length;

    it("relaxes to a poll every 3 s on a quiet call, with a smooth timer, and is back to 1 s after a control", async () => {
      const answeredAt = new Date(Date.now() - 1000).toISOString();
      const talking = (muted = false) =>
        makeCall({
          status: "active",
          answered_at: answeredAt,
          // The server's live talk time at the moment it answers.
          duration: Math.floor((Date.now() - Date.parse(answeredAt)) / 1000),
          muted,
          controls: { ...NO_CONTROLS, hangup: true, mute: !muted, unmute: muted },
        });
      vi.mocked(api.status).mockImplementation(async () => talking());
      renderApp(<ActiveCall id="c1" />);
      await pass(100);
      expect(screen.getByTestId("call-status")).toHaveTextContent("Connected");

      // A quiet call: 1 s polls for 5 s, 2 s ones until 15 s, then one every 3 s.
      await pass(30_000);
      const before = polls();
      await pass(12_000);
      expect(polls() - before).toBe(4);
      // The timer ticks every second all the same.
      const shown: string[] = [];
      for (let i = 0; i < 4; i++) {
        await pass(1000);
        shown.push(screen.getByTestId("call-timer").textContent ?? "");
      }
      expect(shown).toEqual(["0:44", "0:45", "0:46", "0:47"]);

      // Mute: the answer shows at once and the next poll comes within a second.
      vi.mocked(api.control).mockImplementation(async () => talking(true));
      vi.mocked(api.status).mockImplementation(async () => talking(true));
      await pass(100); // just after a poll: the next is nearly 3 s away
      const atPress = polls();
      fireEvent.click(screen.getByRole("button", { name: "Mute" }));
      await pass(50);
      expect(api.control).toHaveBeenCalledWith(expect.any(String), "mute");
      expect(screen.getByText("Your microphone is muted")).toBeInTheDocument();
      await pass(1000);
      expect(polls()).toBe(atPress + 1);
      await pass(3000);
      expect(polls()).toBe(atPress + 4);
    });
  });
});
