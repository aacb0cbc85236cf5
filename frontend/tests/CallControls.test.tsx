import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { CallControls } from "@/features/call/CallControls";
import type { CallView } from "@/lib/types";
import { NO_CONTROLS, makeCall } from "./utils";

function setup(call: CallView, pending: Parameters<typeof CallControls>[0]["pending"] = null) {
  const onAction = vi.fn();
  const onToggleKeypad = vi.fn();
  render(
    <CallControls
      call={call}
      pending={pending}
      onAction={onAction}
      keypadOpen={false}
      onToggleKeypad={onToggleKeypad}
    />,
  );
  return { onAction, onToggleKeypad };
}

const btn = (name: string) => screen.getByRole("button", { name });

describe("CallControls", () => {
  it("while ringing only End is enabled (as controls says)", () => {
    setup(makeCall({ status: "ringing", controls: { ...NO_CONTROLS, hangup: true } }));
    expect(btn("End call")).toBeEnabled();
    for (const name of ["Mute", "Keypad", "Speaker", "Hold"]) expect(btn(name)).toBeDisabled();
  });

  it("when connected every allowed control is enabled", () => {
    setup(
      makeCall({
        status: "active",
        controls: {
          ...NO_CONTROLS,
          hangup: true,
          mute: true,
          hold: true,
          speaker: true,
          dtmf: true,
        },
      }),
    );
    for (const name of ["Mute", "Keypad", "Speaker", "Hold", "End call"]) {
      expect(btn(name)).toBeEnabled();
    }
  });

  it("follows each flag on its own", () => {
    setup(
      makeCall({
        status: "active",
        controls: { ...NO_CONTROLS, hangup: true, mute: true, dtmf: false, speaker: false },
      }),
    );
    expect(btn("Mute")).toBeEnabled();
    expect(btn("Keypad")).toBeDisabled();
    expect(btn("Speaker")).toBeDisabled();
    expect(btn("Hold")).toBeDisabled();
  });

  it("a muted call offers Unmute (gated on controls.unmute), pressed", () => {
    setup(
      makeCall({
        status: "active",
        muted: true,
        controls: { ...NO_CONTROLS, hangup: true, mute: false, unmute: true },
      }),
    );
    expect(btn("Unmute")).toBeEnabled();
    expect(btn("Unmute")).toHaveAttribute("aria-pressed", "true");
  });

  it("a held call offers Resume (gated on controls.resume)", () => {
    setup(
      makeCall({
        status: "active",
        on_hold: true,
        controls: { ...NO_CONTROLS, hangup: true, hold: true, resume: false },
      }),
    );
    expect(btn("Resume")).toBeDisabled();
    expect(screen.queryByRole("button", { name: "Hold" })).toBeNull();
  });

  it("nothing is enabled when controls are all false", () => {
    setup(makeCall({ status: "ended", controls: NO_CONTROLS }));
    for (const name of ["Mute", "Keypad", "Speaker", "Hold", "End call"]) {
      expect(btn(name)).toBeDisabled();
    }
  });

  it("reports the action for each button", async () => {
    const user = userEvent.setup();
    const { onAction, onToggleKeypad } = setup(
      makeCall({
        status: "active",
        controls: {
          ...NO_CONTROLS,
          hangup: true,
          mute: true,
          hold: true,
          speaker: true,
          dtmf: true,
        },
      }),
    );
    await user.click(btn("Mute"));
    await user.click(btn("Hold"));
    await user.click(btn("Speaker"));
    await user.click(btn("End call"));
    await user.click(btn("Keypad"));
    expect(onAction.mock.calls.map((c) => c[0])).toEqual(["mute", "hold", "speaker", "hangup"]);
    expect(onToggleKeypad).toHaveBeenCalledTimes(1);
  });

  it("a pending action disables the other toggles until the server answers", () => {
    setup(
      makeCall({
        status: "active",
        controls: { ...NO_CONTROLS, hangup: true, mute: true, hold: true, speaker: true },
      }),
      "mute",
    );
    expect(btn("Mute")).toHaveAttribute("aria-busy", "true");
    expect(btn("Hold")).toBeDisabled();
    expect(btn("End call")).toBeEnabled();
  });
});
