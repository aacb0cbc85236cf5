import "./mocks";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { NumbersCard } from "@/features/settings/cards/NumbersCard";
import { api } from "@/lib/api";
import { renderApp } from "./utils";

vi.mock("@/lib/api", async (orig) => {
  const real = await orig<typeof import("@/lib/api")>();
  return { ...real, api: { numbers: vi.fn(), availableNumbers: vi.fn() } };
});

beforeEach(() => {
  vi.mocked(api.numbers).mockReset().mockResolvedValue({ items: [], next_cursor: null });
  vi.mocked(api.availableNumbers).mockReset().mockResolvedValue({ items: [], next_cursor: null });
});

describe("NumbersCard", () => {
  it("searches numbers in a country picked by its name", async () => {
    const user = userEvent.setup();
    renderApp(<NumbersCard defaultCaller={null} />);
    const country = await screen.findByLabelText("Country");
    // "Germany", not the two letters "GE" (Georgia).
    await user.selectOptions(country, screen.getByRole("option", { name: /^Germany/ }));
    await user.click(screen.getByRole("button", { name: "Search" }));
    await waitFor(() =>
      expect(vi.mocked(api.availableNumbers).mock.lastCall?.[0]).toMatchObject({ country: "DE" }),
    );
  });
});
