import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { KEYS, Keypad, keyLabel } from "@/features/dialer/Keypad";

describe("Keypad", () => {
  it("has 12 keys with phone letters and spoken names", () => {
    render(<Keypad onPress={() => {}} label="Dial pad" />);
    const pad = screen.getByRole("group", { name: "Dial pad" });
    const buttons = pad.querySelectorAll("button");
    expect(buttons).toHaveLength(12);
    expect(screen.getByRole("button", { name: "2 ABC" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "7 PQRS" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "9 WXYZ" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Star" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Pound" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "0" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "1" })).toBeInTheDocument();
    expect(KEYS.map(keyLabel)).toEqual([
      "1",
      "2 ABC",
      "3 DEF",
      "4 GHI",
      "5 JKL",
      "6 MNO",
      "7 PQRS",
      "8 TUV",
      "9 WXYZ",
      "Star",
      "0",
      "Pound",
    ]);
  });

  it("reports clicks", async () => {
    const onPress = vi.fn();
    const user = userEvent.setup();
    render(<Keypad onPress={onPress} />);
    await user.click(screen.getByRole("button", { name: "5 JKL" }));
    await user.click(screen.getByRole("button", { name: "Star" }));
    await user.click(screen.getByRole("button", { name: "Pound" }));
    await user.click(screen.getByRole("button", { name: "0" }));
    expect(onPress.mock.calls.map((c) => c[0])).toEqual(["5", "*", "#", "0"]);
  });

  it("works from the keyboard: Tab to a key, Enter or Space presses it", async () => {
    const onPress = vi.fn();
    const user = userEvent.setup();
    render(<Keypad onPress={onPress} />);
    await user.tab();
    expect(screen.getByRole("button", { name: "1" })).toHaveFocus();
    await user.keyboard("{Enter}");
    await user.tab();
    expect(screen.getByRole("button", { name: "2 ABC" })).toHaveFocus();
    await user.keyboard(" ");
    expect(onPress.mock.calls.map((c) => c[0])).toEqual(["1", "2"]);
  });

  it("does nothing when disabled", async () => {
    const onPress = vi.fn();
    const user = userEvent.setup();
    render(<Keypad onPress={onPress} disabled />);
    await user.click(screen.getByRole("button", { name: "5 JKL" }));
    expect(onPress).not.toHaveBeenCalled();
    expect(screen.getByRole("button", { name: "5 JKL" })).toBeDisabled();
  });
});
