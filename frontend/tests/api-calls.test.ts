import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "@/lib/api";
import { resetConfig } from "@/lib/config";
import { ADMIN, signInAs } from "./utils";

let fetchMock: ReturnType<typeof vi.fn>;

/** The query string of the n-th request. */
const sentQuery = (n = 0) =>
  new URL(String(fetchMock.mock.calls[n]?.[0]), "http://x").searchParams.toString();

beforeEach(() => {
  resetConfig({ apiBaseUrl: "" });
  signInAs(ADMIN);
  fetchMock = vi.fn(
    async () =>
      new Response(JSON.stringify({ items: [], next_cursor: null }), {
        headers: { "Content-Type": "application/json" },
      }),
  );
  vi.stubGlobal("fetch", fetchMock);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the call list's query", () => {
  it("carries every filter the export carries, then the page", async () => {
    const filters = {
      status: "missed",
      q: "0102",
      since: "2026-11-20T00:00:00.000Z",
      until: null,
      placed_by: "me",
    } as const;
    await api.calls({ ...filters, limit: 25, cursor: "c2" });
    await api.exportCalls(filters);
    expect(sentQuery(0)).toBe(`${sentQuery(1)}&limit=25&cursor=c2`);
    expect(sentQuery(0)).toContain("placed_by=me");
  });
});
