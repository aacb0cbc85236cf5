import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError, api, parseRetryAfter, request } from "@/lib/api";
import { resetConfig } from "@/lib/config";
import {
  getSession,
  parseSession,
  safeNext,
  setSession,
  signInHref,
  signedOutReason,
} from "@/lib/session";
import { KEYS } from "@/lib/storage";
import { ADMIN, AGENT, signInAs } from "./utils";

function problem(
  status: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return new Response(JSON.stringify({ status, ...body }), {
    status,
    headers: { "Content-Type": "application/problem+json", ...headers },
  });
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

let fetchMock: ReturnType<typeof vi.fn>;

/** The headers the n-th fetch was sent with. */
function sentHeaders(n = 0): Headers {
  const init = fetchMock.mock.calls[n]?.[1] as RequestInit | undefined;
  return new Headers(init?.headers);
}

beforeEach(() => {
  resetConfig({ apiBaseUrl: "" });
  fetchMock = vi.fn();
  vi.stubGlobal("fetch", fetchMock);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the bearer token", () => {
  it("is sent on every API request while signed in", async () => {
    signInAs(ADMIN, "tok-123");
    fetchMock.mockImplementation(async () => json({ items: [], next_cursor: null }));
    await api.calls({});
    await api.contacts({});
    expect(fetchMock).toHaveBeenCalledTimes(2);
    expect(sentHeaders(0).get("Authorization")).toBe("Bearer tok-123");
    expect(sentHeaders(1).get("Authorization")).toBe("Bearer tok-123");
  });

  it("is not sent when signed out, nor once the session has expired", async () => {
    fetchMock.mockImplementation(async () => json({ status: "ok" }));
    await request("/api/health");
    expect(sentHeaders(0).has("Authorization")).toBe(false);

    signInAs(AGENT, "tok-old", -1_000); // expired a second ago
    expect(getSession()).toBeNull();
    await request("/api/health");
    expect(sentHeaders(1).has("Authorization")).toBe(false);
  });

  it("is not sent with a sign-in (a stale token must not ride along)", async () => {
    signInAs(ADMIN, "tok-stale");
    fetchMock.mockResolvedValue(
      json({ token: "tok-new", expires_at: "2099-01-01T00:00:00Z", user: AGENT }),
    );
    const session = await api.signIn("agent@dialer.local", "dialer-demo-agent");
    expect(session.token).toBe("tok-new");
    expect(fetchMock.mock.calls[0][0]).toBe("/api/auth/sign-in");
    expect(sentHeaders(0).has("Authorization")).toBe(false);
    expect(JSON.parse((fetchMock.mock.calls[0][1] as RequestInit).body as string)).toEqual({
      email: "agent@dialer.local",
      password: "dialer-demo-agent",
    });
  });

  it("goes with the CSV export, which comes back as a Blob", async () => {
    signInAs(ADMIN, "tok-csv");
    fetchMock.mockResolvedValue(
      new Response("call_id,to_number\n1,+12125550102\n", {
        headers: { "Content-Type": "text/csv" },
      }),
    );
    const blob = await api.exportCalls({ status: "missed", q: "0102" });
    expect(await blob.text()).toContain("+12125550102");
    const url = new URL(fetchMock.mock.calls[0][0] as string, "http://x");
    expect(url.pathname).toBe("/api/calls/export.csv");
    expect(url.searchParams.get("status")).toBe("missed");
    expect(url.searchParams.get("q")).toBe("0102");
    expect(sentHeaders(0).get("Authorization")).toBe("Bearer tok-csv");
  });
});

describe("a 401 answer", () => {
  it("clears the session and remembers why", async () => {
    signInAs(ADMIN, "tok-1");
    fetchMock.mockResolvedValue(
      problem(401, { code: "session_expired", title: "Unauthorized", detail: "sign in again" }),
    );
    const err = await api.stats({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 401, code: "session_expired", detail: "sign in again" });
    expect(getSession()).toBeNull();
    expect(window.localStorage.getItem(KEYS.session)).toBeNull();
    expect(signedOutReason()).toBe("session_expired");
  });

  it("also forgets the call this browser was following", async () => {
    signInAs(ADMIN, "tok-1");
    window.localStorage.setItem(KEYS.currentCall, "call-1");
    fetchMock.mockResolvedValue(problem(401, { code: "invalid_token" }));
    await api.status("call-1").catch(() => undefined);
    expect(window.localStorage.getItem(KEYS.currentCall)).toBeNull();
    expect(signedOutReason()).toBe("invalid_token");
  });

  it("from a failed sign-in does not end anything", async () => {
    const session = signInAs(ADMIN, "tok-keep");
    fetchMock.mockResolvedValue(problem(401, { code: "invalid_credentials" }));
    await expect(api.signIn("a@b.co", "wrong-password")).rejects.toMatchObject({
      status: 401,
      code: "invalid_credentials",
    });
    expect(getSession()).toEqual(session);
  });

  it("to an older session's request leaves a newer session alone", async () => {
    signInAs(ADMIN, "tok-old");
    let answer!: (r: Response) => void;
    fetchMock.mockReturnValue(new Promise<Response>((r) => (answer = r)));
    const pending = api.stats({}).catch((e: unknown) => e);
    await vi.waitFor(() => expect(fetchMock).toHaveBeenCalled());
    const fresh = signInAs(AGENT, "tok-new");
    answer(problem(401, { code: "invalid_token" }));
    expect(await pending).toBeInstanceOf(ApiError);
    expect(getSession()).toEqual(fresh);
  });

  it("is not confused with a 403: a forbidden action keeps the session", async () => {
    const session = signInAs(AGENT, "tok-agent");
    fetchMock.mockResolvedValue(
      problem(403, {
        code: "destination_blocked",
        title: "Destination blocked",
        detail: "Premium-rate numbers cannot be called.",
      }),
    );
    await expect(
      api.dial({ to_number: "+19005550100", from_number: "+13125550201" }),
    ).rejects.toMatchObject({ status: 403, detail: "Premium-rate numbers cannot be called." });
    expect(getSession()).toEqual(session);
  });
});

describe("rate limits", () => {
  it("carry the Retry-After seconds on the error", async () => {
    fetchMock.mockResolvedValue(
      problem(429, { code: "too_many_attempts" }, { "Retry-After": "42" }),
    );
    await expect(api.signIn("a@b.co", "whatever-password")).rejects.toMatchObject({
      status: 429,
      retryAfter: 42,
    });
  });

  it("Retry-After: seconds or an HTTP date", () => {
    expect(parseRetryAfter("17")).toBe(17);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter("soon")).toBeNull();
    const now = Date.parse("2026-11-24T10:00:00Z");
    expect(parseRetryAfter("Tue, 24 Nov 2026 10:01:30 GMT", now)).toBe(90);
  });
});

describe("the session store", () => {
  it("is signed out once expires_at has passed", () => {
    const raw = JSON.stringify({ token: "t", expires_at: "2026-11-24T10:00:00Z", user: ADMIN });
    expect(parseSession(raw, Date.parse("2026-11-24T09:59:59Z"))?.token).toBe("t");
    expect(parseSession(raw, Date.parse("2026-11-24T10:00:00Z"))).toBeNull();
    expect(parseSession("{not json")).toBeNull();
    expect(parseSession(JSON.stringify({ token: "t" }))).toBeNull();
  });

  it("keeps token, user and expiry in localStorage", () => {
    setSession({ token: "abc", expires_at: "2099-01-01T00:00:00Z", user: AGENT });
    expect(JSON.parse(window.localStorage.getItem(KEYS.session)!)).toEqual({
      token: "abc",
      expires_at: "2099-01-01T00:00:00Z",
      user: AGENT,
    });
    expect(getSession()?.user.role).toBe("agent");
  });

  it.each([
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "//evil",
    "/\\evil",
    "/\\/evil",
    "\\\\evil",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " /x",
    "https://evil.example/",
    "/%09/evil.example",
  ])("a next link of %j stays on the site", (payload) => {
    const next = safeNext(payload);
    expect(new URL(next, "https://dialer.example").origin).toBe("https://dialer.example");
    expect(next.startsWith("/") && !next.startsWith("//")).toBe(true);
  });

  it("only follows next links inside the app", () => {
    expect(safeNext("/calls/?id=1")).toBe("/calls/?id=1");
    expect(safeNext("//evil.example/")).toBe("/");
    expect(safeNext("https://evil.example/")).toBe("/");
    expect(safeNext("/signin/?next=/x")).toBe("/");
    expect(safeNext(null)).toBe("/");
    expect(signInHref("/settings/")).toBe("/signin/?next=%2Fsettings%2F");
    expect(signInHref("/")).toBe("/signin/");
  });
});

describe("recording links", () => {
  it("are asked for with the token; a path becomes a URL on the API's origin", async () => {
    resetConfig({ apiBaseUrl: "https://api.example.com" });
    signInAs(ADMIN, "tok-rec");
    fetchMock.mockResolvedValue(
      json({ url: "/api/recordings/r1?sig=abc", expires_at: "2099-01-01T00:00:00Z" }),
    );
    const link = await api.recordingLink("call 1");
    expect(fetchMock.mock.calls[0][0]).toBe(
      "https://api.example.com/api/calls/call%201/recording/link",
    );
    expect(sentHeaders(0).get("Authorization")).toBe("Bearer tok-rec");
    expect(link.url).toBe("https://api.example.com/api/recordings/r1?sig=abc");
  });

  it("keep an absolute URL as it is", async () => {
    fetchMock.mockResolvedValue(
      json({ url: "https://s3.example.com/r1.mp3?X-Amz=1", expires_at: "2099-01-01T00:00:00Z" }),
    );
    expect((await api.recordingLink("c")).url).toBe("https://s3.example.com/r1.mp3?X-Amz=1");
  });
});
