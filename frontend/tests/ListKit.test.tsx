import "./mocks";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { AuditLog } from "@/features/admin/AuditLog";
import { ApiError, api } from "@/lib/api";
import type { AuditEntry, Page } from "@/lib/types";
import { EmptyState } from "@/ui/primitives";
import { ListStates, SearchField, Tabs, usePagedList } from "@/ui/list";
import { ADMIN, renderApp, signInAs } from "./utils";

vi.mock("@/lib/api", async (orig) => {
  const real = await orig<typeof import("@/lib/api")>();
  return { ...real, api: { users: vi.fn(), audit: vi.fn() } };
});

const fetchPage =
  vi.fn<(key: readonly ["fruit", string], cursor: string | null) => Promise<Page<string>>>();

/** A list screen made of the kit alone: tabs, search, pages, states. */
function Fruit() {
  const [kind, setKind] = useState("all");
  const [query, setQuery] = useState("");
  const list = usePagedList(["fruit", `${kind}:${query}`] as const, fetchPage, {
    dedupingInterval: 0,
  });
  return (
    <>
      <Tabs
        label="Which fruit"
        options={[
          { value: "all", label: "All" },
          { value: "red", label: "Red" },
        ]}
        value={kind}
        onChange={setKind}
        controls="fruit-panel"
      />
      <SearchField label="Search fruit" placeholder="Search" value={query} onChange={setQuery} />
      <ListStates
        list={list}
        panelId="fruit-panel"
        loadingLabel="Loading fruit"
        errorTitle="Could not load fruit"
        onRetry={list.reload}
        moreLabel="More fruit"
        empty={<EmptyState title="No fruit" />}
      >
        <ul aria-label="Fruit">
          {list.items.map((f) => (
            <li key={f}>{f}</li>
          ))}
        </ul>
      </ListStates>
    </>
  );
}

const entry = (n: number): AuditEntry => ({
  at: new Date(Date.UTC(2026, 10, 24) - n * 60_000).toISOString(),
  actor: null,
  action: "sign_out",
  detail: `entry ${n}`,
  ip: null,
});

beforeEach(() => {
  fetchPage.mockReset();
  vi.mocked(api.users).mockReset().mockResolvedValue([ADMIN]);
  vi.mocked(api.audit).mockReset();
});

describe("the list kit", () => {
  it("climbs loading, list, next page by cursor, and stops when a page has no cursor", async () => {
    fetchPage.mockImplementation(async (_key, cursor) =>
      cursor === "p2"
        ? { items: ["cherry"], next_cursor: null }
        : { items: ["apple", "banana"], next_cursor: "p2" },
    );
    const user = userEvent.setup();
    renderApp(<Fruit />);
    expect(screen.getByRole("status")).toHaveTextContent("Loading fruit");
    expect(screen.getByRole("tabpanel")).toHaveAttribute("aria-busy", "true");
    expect(await screen.findByText("banana")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "More fruit" }));
    expect(await screen.findByText("cherry")).toBeInTheDocument();
    expect(fetchPage).toHaveBeenLastCalledWith(["fruit", "all:"], "p2");
    expect(screen.queryByRole("button", { name: "More fruit" })).toBeNull();
  });

  it("a new tab or search starts again at the first page; empty shows the empty state", async () => {
    fetchPage.mockImplementation(async ([, filter]) =>
      filter === "all:"
        ? { items: ["apple"], next_cursor: null }
        : { items: [], next_cursor: null },
    );
    const user = userEvent.setup();
    renderApp(<Fruit />);
    expect(await screen.findByText("apple")).toBeInTheDocument();
    await user.click(screen.getByRole("tab", { name: "Red" }));
    expect(screen.getByRole("tab", { name: "Red" })).toHaveAttribute("aria-selected", "true");
    expect(await screen.findByText("No fruit")).toBeInTheDocument();
    expect(fetchPage).toHaveBeenLastCalledWith(["fruit", "red:"], null);
    await user.type(screen.getByLabelText("Search fruit"), "x");
    await waitFor(() => expect(fetchPage).toHaveBeenLastCalledWith(["fruit", "red:x"], null));
    await user.click(screen.getByRole("button", { name: "Clear search" }));
    expect(screen.getByLabelText("Search fruit")).toHaveValue("");
  });

  it("an error with nothing to show offers a retry that asks again", async () => {
    fetchPage
      .mockRejectedValueOnce(new ApiError(503, { code: "unavailable", detail: "Store down." }))
      .mockResolvedValue({ items: ["apple"], next_cursor: null });
    const user = userEvent.setup();
    renderApp(<Fruit />);
    expect(await screen.findByText("Could not load fruit")).toBeInTheDocument();
    expect(screen.getByText("Store down.")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByText("apple")).toBeInTheDocument();
  });

  it("a later page's error stays under the list already shown", async () => {
    fetchPage.mockImplementation(async (_key, cursor) => {
      if (cursor) throw new ApiError(500, { code: "internal", detail: "Page two failed." });
      return { items: ["apple"], next_cursor: "p2" };
    });
    const user = userEvent.setup();
    renderApp(<Fruit />);
    await user.click(await screen.findByRole("button", { name: "More fruit" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Page two failed.");
    expect(screen.getByText("apple")).toBeInTheDocument();
  });
});

describe("the audit log's pages", () => {
  it("asks for 100, then 200, shows the older hundred once and stops when fewer come", async () => {
    signInAs(ADMIN);
    vi.mocked(api.audit).mockImplementation(async ({ limit = 100 } = {}) =>
      Array.from({ length: Math.min(limit, 150) }, (_, i) => entry(i)),
    );
    const user = userEvent.setup();
    renderApp(<AuditLog />);
    await waitFor(() => expect(screen.getAllByTestId("audit-entry")).toHaveLength(100));
    await user.click(screen.getByRole("button", { name: "Show older entries" }));
    await waitFor(() => expect(screen.getAllByTestId("audit-entry")).toHaveLength(150));
    expect(vi.mocked(api.audit).mock.calls.map(([q]) => q?.limit)).toEqual([100, 200]);
    const details = screen.getAllByTestId("audit-entry").map((r) => r.textContent);
    expect(new Set(details).size).toBe(150);
    expect(screen.queryByRole("button", { name: "Show older entries" })).toBeNull();
  });
});
