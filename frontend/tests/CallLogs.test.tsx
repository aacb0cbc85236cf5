import "./mocks";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { CallLogs, dayStart } from "@/features/calls/CallLogs";
import { ApiError, api, saveBlob } from "@/lib/api";
import { resetConfig } from "@/lib/config";
import { clearSession } from "@/lib/session";
import { ADMIN, makeCall, renderApp, signInAs } from "./utils";

vi.mock("@/lib/api", async (orig) => {
  const real = await orig<typeof import("@/lib/api")>();
  return {
    ...real,
    api: { calls: vi.fn(), exportCalls: vi.fn(), users: vi.fn() },
    saveBlob: vi.fn(),
  };
});

const ended = (n: number) =>
  makeCall({
    call_id: `call-${n}`,
    to_number: `+1212555${String(100 + n).padStart(4, "0")}`,
    status: "ended",
    outcome: "completed",
    answered_at: "2026-11-24T10:00:02Z",
    duration: n,
  });

beforeEach(() => {
  vi.mocked(api.calls).mockReset();
  vi.mocked(api.exportCalls).mockReset();
  vi.mocked(saveBlob).mockReset();
  resetConfig({ apiBaseUrl: "" });
  clearSession();
});

describe("CallLogs", () => {
  it("pages with next_cursor and links ended calls to their detail", async () => {
    vi.mocked(api.calls).mockImplementation(async ({ cursor }) =>
      cursor === "c2"
        ? { items: [ended(3)], next_cursor: null }
        : { items: [ended(1), ended(2)], next_cursor: "c2" },
    );
    const user = userEvent.setup();
    renderApp(<CallLogs />);
    expect(await screen.findAllByTestId("call-row")).toHaveLength(2);
    expect(screen.getAllByTestId("call-row")[0]).toHaveAttribute("href", "/calls/?id=call-1");
    await user.click(screen.getByRole("button", { name: "Load more calls" }));
    await waitFor(() => expect(screen.getAllByTestId("call-row")).toHaveLength(3));
    expect(vi.mocked(api.calls).mock.lastCall?.[0]).toMatchObject({ cursor: "c2" });
    expect(screen.queryByRole("button", { name: "Load more calls" })).toBeNull();
  });

  it("filters by tab, search and dates; the export carries the same filters", async () => {
    vi.mocked(api.calls).mockResolvedValue({ items: [], next_cursor: null });
    const user = userEvent.setup();
    renderApp(<CallLogs />);
    await user.click(await screen.findByRole("tab", { name: "Missed" }));
    await user.type(screen.getByLabelText("Search calls by number or name"), "0102");
    await user.type(screen.getByLabelText("From date"), "2026-11-20");
    await waitFor(() =>
      expect(vi.mocked(api.calls).mock.lastCall?.[0]).toMatchObject({
        status: "missed",
        q: "0102",
        since: dayStart("2026-11-20"),
      }),
    );
    expect(await screen.findByText("No calls match “0102”")).toBeInTheDocument();
    // The export is fetched with the session (not a bare link) and saved from a Blob.
    const csv = new Blob(["call_id\n"], { type: "text/csv" });
    vi.mocked(api.exportCalls).mockResolvedValue(csv);
    await user.click(screen.getByRole("button", { name: "Export CSV" }));
    await waitFor(() => expect(saveBlob).toHaveBeenCalledWith(csv, "calls.csv"));
    expect(api.exportCalls).toHaveBeenCalledWith({
      status: "missed",
      q: "0102",
      since: dayStart("2026-11-20"),
      until: null,
      placed_by: null,
    });
  });

  it("narrows to the calls I placed, in the list and the export", async () => {
    vi.mocked(api.calls).mockResolvedValue({ items: [], next_cursor: null });
    vi.mocked(api.exportCalls).mockResolvedValue(new Blob(["call_id\n"]));
    const user = userEvent.setup();
    renderApp(<CallLogs />);
    await waitFor(() => expect(api.calls).toHaveBeenCalled());
    expect(vi.mocked(api.calls).mock.lastCall?.[0].placed_by).toBeNull();
    await user.click(screen.getByRole("checkbox", { name: "Only calls I placed" }));
    await waitFor(() =>
      expect(vi.mocked(api.calls).mock.lastCall?.[0]).toMatchObject({ placed_by: "me" }),
    );
    await user.click(screen.getByRole("button", { name: /Export CSV/ }));
    await waitFor(() =>
      expect(vi.mocked(api.exportCalls).mock.lastCall?.[0]).toMatchObject({ placed_by: "me" }),
    );
  });

  it("shows admins who placed each call and filters by agent", async () => {
    signInAs(ADMIN);
    vi.mocked(api.users).mockResolvedValue([
      { ...ADMIN },
      {
        id: "u-ann",
        email: "ann@example.com",
        name: "Ann Agent",
        role: "agent",
        disabled: false,
        created_at: "2026-11-02T09:00:00Z",
      },
    ]);
    vi.mocked(api.calls).mockResolvedValue({
      items: [
        { ...ended(1), placed_by: "u-ann" },
        { ...ended(2), placed_by: null },
      ],
      next_cursor: null,
    });
    const user = userEvent.setup();
    renderApp(<CallLogs />);
    await waitFor(() =>
      expect(screen.getAllByTestId("call-agent").map((e) => e.textContent)).toEqual([
        " · Ann Agent",
        " · Team API key",
      ]),
    );
    expect(screen.queryByRole("checkbox", { name: "Only calls I placed" })).toBeNull();
    await user.selectOptions(screen.getByLabelText("Agent"), "Ann Agent");
    await waitFor(() =>
      expect(vi.mocked(api.calls).mock.lastCall?.[0]).toMatchObject({ placed_by: "u-ann" }),
    );
  });

  it("a failed export says so and saves nothing", async () => {
    vi.mocked(api.calls).mockResolvedValue({ items: [], next_cursor: null });
    vi.mocked(api.exportCalls).mockRejectedValue(
      new ApiError(403, { code: "forbidden", detail: "You may not do this." }),
    );
    const user = userEvent.setup();
    renderApp(<CallLogs />);
    await user.click(await screen.findByRole("button", { name: "Export CSV" }));
    expect(
      await screen.findByText("Could not export the calls: You may not do this."),
    ).toBeInTheDocument();
    expect(saveBlob).not.toHaveBeenCalled();
  });

  it("an end date before the start is refused without a request", async () => {
    vi.mocked(api.calls).mockResolvedValue({ items: [], next_cursor: null });
    const user = userEvent.setup();
    renderApp(<CallLogs />);
    await user.type(await screen.findByLabelText("From date"), "2026-11-20");
    await user.type(screen.getByLabelText("To date"), "2026-11-10");
    expect(await screen.findByText("The end date is before the start")).toBeInTheDocument();
  });
});
