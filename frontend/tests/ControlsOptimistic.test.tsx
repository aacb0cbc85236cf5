import "./mocks";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { ActiveCall, optimistic } from "@/features/call/ActiveCall";
import { CallControls } from "@/features/call/CallControls";
import { ApiError, api } from "@/lib/api";
import type { CallView } from "@/lib/types";
import { NO_CONTROLS, makeCall, renderApp } from "./utils";

vi.mock("@/lib/api", async (orig) => {
  const real = await orig<typeof import("@/lib/api")>();
  return {
    ...real,
    api: {
      status: vi.fn(),
      hangup: vi.fn(),
      control: vi.fn(),
      speaker: vi.fn(),
      dtmf: vi.fn(),
      recording: vi.fn(),
    },
  };
});

// One instant for every fixture: two calls built a millisecond apart must still compare equal.
const ANSWERED_AT = new Date().toISOString();

const talking = (over: Partial<CallView> = {}) =>
  makeCall({
    status: "active",
    answered_at: ANSWERED_AT,
    contact: { id: "k1", name: "Ada Lovelace" },
    controls: {
      ...NO_CONTROLS,
      hangup: true,
      mute: true,
      hold: true,
      speaker: true,
      dtmf: true,
      record_start: true,
    },
    ...over,
  });

beforeEach(() => {
  for (const f of Object.values(api)) vi.mocked(f).mockReset();
});

describe("optimistic control state", () => {
  it("flips the state and the controls that follow from it", () => {
    const held = optimistic(talking(), "hold");
    expect(held.on_hold).toBe(true);
    expect(held.controls.hold).toBe(false);
    expect(held.controls.resume).toBe(true);
    const rec = optimistic(talking(), "record_start");
    expect(rec.recording_status).toBe("recording");
    expect(rec.controls.record_stop).toBe(true);
    expect(optimistic(talking({ speaker: true }), "speaker").speaker).toBe(false);
    expect(optimistic(talking(), "hangup")).toEqual(talking());
  });
});

describe("Record control", () => {
  it("Record is gated on controls.record_start; recording offers Stop recording", async () => {
    const onAction = vi.fn();
    const props = { pending: null, onAction, keypadOpen: false, onToggleKeypad: () => {} };
    const { rerender } = render(<CallControls call={talking()} {...props} />);
    await userEvent.setup().click(screen.getByRole("button", { name: "Record" }));
    expect(onAction).toHaveBeenCalledWith("record_start");
    rerender(
      <CallControls
        call={talking({
          recording_status: "recording",
          controls: { ...talking().controls, record_start: false, record_stop: true },
        })}
        {...props}
      />,
    );
    expect(screen.getByRole("button", { name: "Stop recording" })).toHaveAttribute(
      "aria-pressed",
      "true",
    );
    rerender(<CallControls call={talking({ controls: NO_CONTROLS })} {...props} />);
    expect(screen.getByRole("button", { name: "Record" })).toBeDisabled();
  });
});

describe("ActiveCall controls", () => {
  it("shows On hold at once, before the server answers, and keeps the contact", async () => {
    vi.mocked(api.status).mockResolvedValue(talking());
    let answer!: (v: CallView) => void;
    vi.mocked(api.control).mockReturnValue(new Promise<CallView>((r) => (answer = r)));
    const user = userEvent.setup();
    renderApp(<ActiveCall id="c1" />);
    await user.click(await screen.findByRole("button", { name: "Hold" }));
    expect(screen.getByTestId("call-status")).toHaveTextContent("On hold");
    expect(screen.getByRole("button", { name: "Resume" })).toHaveAttribute("aria-busy", "true");
    // The control's answer has no contact; the name stays on screen.
    answer(
      talking({
        on_hold: true,
        contact: null,
        controls: { ...talking().controls, hold: false, resume: true },
      }),
    );
    expect(await screen.findByText("Call on hold")).toBeInTheDocument();
    expect(screen.getByTestId("call-party")).toHaveTextContent("Ada Lovelace");
    expect(screen.getByTestId("call-status")).toHaveTextContent("On hold");
  });

  it("rolls back and says why when the server refuses", async () => {
    vi.mocked(api.status).mockResolvedValue(talking());
    vi.mocked(api.control).mockRejectedValue(
      new ApiError(409, {
        code: "hold_music_not_configured",
        detail: "Set a hold-music URL first",
      }),
    );
    const user = userEvent.setup();
    renderApp(<ActiveCall id="c1" />);
    await user.click(await screen.findByRole("button", { name: "Hold" }));
    expect(await screen.findByTestId("call-error")).toHaveTextContent("Set a hold-music URL first");
    expect(screen.getByTestId("call-status")).toHaveTextContent("Connected");
    expect(screen.getByRole("button", { name: "Hold" })).toBeInTheDocument();
  });

  it("sends each key press in order, each with its own Idempotency-Key", async () => {
    vi.mocked(api.status).mockResolvedValue(talking());
    vi.mocked(api.dtmf).mockImplementation(async () => talking());
    const user = userEvent.setup();
    renderApp(<ActiveCall id="c1" />);
    await user.click(await screen.findByRole("button", { name: "Keypad" }));
    const pad = screen.getByRole("group", { name: "Send tones" });
    for (const name of ["1", "2 ABC", "Pound"]) {
      await user.click(within(pad).getByRole("button", { name }));
    }
    await vi.waitFor(() => expect(api.dtmf).toHaveBeenCalledTimes(3));
    const calls = vi.mocked(api.dtmf).mock.calls;
    expect(calls.map((c) => c[1])).toEqual(["1", "2", "#"]);
    expect(new Set(calls.map((c) => c[2])).size).toBe(3);
    expect(screen.getByLabelText("Sent 12#")).toBeInTheDocument();
  });

  it("retries a press lost to the network with the same key", async () => {
    vi.mocked(api.status).mockResolvedValue(talking());
    vi.mocked(api.dtmf)
      .mockRejectedValueOnce(new ApiError(0, { code: "network_error", detail: "offline" }))
      .mockResolvedValue(talking());
    const user = userEvent.setup();
    renderApp(<ActiveCall id="c1" />);
    await user.click(await screen.findByRole("button", { name: "Keypad" }));
    await user.click(
      within(screen.getByRole("group", { name: "Send tones" })).getByRole("button", {
        name: "5 JKL",
      }),
    );
    await vi.waitFor(() => expect(api.dtmf).toHaveBeenCalledTimes(2));
    const [first, second] = vi.mocked(api.dtmf).mock.calls;
    expect(first[2]).toBe(second[2]);
    expect(screen.queryByTestId("call-error")).toBeNull();
  });
});
