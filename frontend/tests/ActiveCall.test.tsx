import "./mocks";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { ActiveCall } from "@/components/ActiveCall";
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
});
