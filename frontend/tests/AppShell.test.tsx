import { nav, replace } from "./mocks";
import { act, cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useEffect, useState } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AppShell } from "@/features/shell/AppShell";
import { api, errorMessage } from "@/lib/api";
import { resetConfig } from "@/lib/config";
import { getSession, signedOutReason } from "@/lib/session";
import { ADMIN, AGENT, signInAs } from "./utils";

let fetchMock: ReturnType<typeof vi.fn>;

function go(path: string) {
  const url = new URL(path, "http://localhost");
  nav.pathname = url.pathname;
  nav.search = url.search;
  window.history.replaceState({}, "", path);
}

beforeEach(() => {
  replace.mockReset();
  resetConfig({ apiBaseUrl: "" });
  fetchMock = vi.fn();
  vi.stubGlobal("fetch", fetchMock);
  go("/");
});

afterEach(() => {
  vi.unstubAllGlobals();
});

const mainLinks = (name: string) =>
  screen
    .queryAllByRole("navigation", { name: "Main" })
    .flatMap((n) => within(n).queryAllByRole("link", { name }));

describe("AppShell guard", () => {
  it("shows nothing protected without a session and sends to sign-in with a way back", async () => {
    go("/calls/?id=call-1");
    render(
      <AppShell>
        <p>Private call logs</p>
      </AppShell>,
    );
    expect(screen.queryByText("Private call logs")).toBeNull();
    expect(screen.queryByRole("navigation", { name: "Main" })).toBeNull();
    await waitFor(() =>
      expect(replace).toHaveBeenCalledWith("/signin/?next=%2Fcalls%2F%3Fid%3Dcall-1"),
    );
  });

  it("renders the sign-in page itself without a session and without the app's navigation", () => {
    go("/signin/");
    render(
      <AppShell>
        <p>The sign-in form</p>
      </AppShell>,
    );
    expect(screen.getByText("The sign-in form")).toBeInTheDocument();
    expect(screen.queryByRole("navigation", { name: "Main" })).toBeNull();
    expect(replace).not.toHaveBeenCalled();
  });

  it("a 401 in the middle of the work ends the session and goes to sign-in", async () => {
    signInAs(ADMIN, "tok-1");
    go("/stats/");
    fetchMock.mockImplementation(
      async () =>
        new Response(JSON.stringify({ status: 401, code: "session_expired" }), { status: 401 }),
    );
    function Stats() {
      const [state, setState] = useState("loading");
      useEffect(() => {
        api.stats({}).then(
          () => setState("loaded"),
          (e: unknown) => setState(errorMessage(e)),
        );
      }, []);
      return <p>Stats: {state}</p>;
    }
    render(
      <AppShell>
        <Stats />
      </AppShell>,
    );
    expect(screen.getByText(/Stats:/)).toBeInTheDocument();
    await waitFor(() => expect(replace).toHaveBeenCalledWith("/signin/?next=%2Fstats%2F"));
    expect(screen.queryByText(/Stats:/)).toBeNull();
    expect(getSession()).toBeNull();
    expect(signedOutReason()).toBe("session_expired");
  });

  it("signs out by itself when the session expires", async () => {
    signInAs(AGENT, "tok-short", 150);
    render(
      <AppShell>
        <p>Phone screen</p>
      </AppShell>,
    );
    expect(screen.getByText("Phone screen")).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByText("Phone screen")).toBeNull(), { timeout: 2000 });
    expect(replace).toHaveBeenCalledWith("/signin/");
    expect(signedOutReason()).toBe("session_expired");
  });
});

describe("AppShell for each role", () => {
  it("an admin sees Users and Settings, and who is signed in", async () => {
    signInAs(ADMIN);
    render(
      <AppShell>
        <p>Phone screen</p>
      </AppShell>,
    );
    expect(mainLinks("Users").length).toBeGreaterThan(0);
    expect(mainLinks("Settings").length).toBeGreaterThan(0);
    const account = screen.getByRole("button", { name: "Account: Ada Admin, Admin" });
    await userEvent.setup().click(account);
    expect(screen.getByTestId("account-email")).toHaveTextContent("admin@dialer.local");
    expect(screen.getByTestId("account-role")).toHaveTextContent("Admin");
  });

  it("an agent does not see Users or Settings, only what an agent may use", () => {
    signInAs(AGENT);
    render(
      <AppShell>
        <p>Phone screen</p>
      </AppShell>,
    );
    expect(mainLinks("Users")).toHaveLength(0);
    expect(mainLinks("Settings")).toHaveLength(0);
    for (const name of ["Phone", "Call logs", "Contacts", "Statistics"]) {
      expect(mainLinks(name).length).toBeGreaterThan(0);
    }
    expect(screen.getByRole("button", { name: "Account: Alan Agent, Agent" })).toBeInTheDocument();
  });
});

describe("Sign out", () => {
  it("revokes the token on the server, forgets it and goes to sign-in", async () => {
    signInAs(ADMIN, "tok-bye");
    fetchMock.mockImplementation(async () => new Response(null, { status: 204 }));
    const user = userEvent.setup();
    render(
      <AppShell>
        <p>Phone screen</p>
      </AppShell>,
    );
    await user.click(screen.getByTestId("account-button"));
    await user.click(screen.getByRole("button", { name: "Sign out" }));
    await waitFor(() => expect(replace).toHaveBeenCalledWith("/signin/"));
    const [url, init] = fetchMock.mock.calls[0] as [string, RequestInit];
    expect(url).toBe("/api/auth/sign-out");
    expect(init.method).toBe("POST");
    expect(new Headers(init.headers).get("Authorization")).toBe("Bearer tok-bye");
    expect(getSession()).toBeNull();
    expect(signedOutReason()).toBe("signed_out");
    expect(replace).not.toHaveBeenCalledWith(expect.stringContaining("next="));

    // Later, a protected page still offers the way back after signing in.
    cleanup();
    replace.mockReset();
    go("/stats/");
    render(
      <AppShell>
        <p>Stats</p>
      </AppShell>,
    );
    await waitFor(() => expect(replace).toHaveBeenCalledWith("/signin/?next=%2Fstats%2F"));
  });

  it("still signs out of this browser when the server cannot be reached", async () => {
    signInAs(ADMIN, "tok-offline");
    fetchMock.mockRejectedValue(new TypeError("Failed to fetch"));
    const user = userEvent.setup();
    render(
      <AppShell>
        <p>Phone screen</p>
      </AppShell>,
    );
    await user.click(screen.getByTestId("account-button"));
    await act(async () => {
      await user.click(screen.getByRole("button", { name: "Sign out" }));
    });
    await waitFor(() => expect(getSession()).toBeNull());
    expect(screen.queryByText("Phone screen")).toBeNull();
    expect(replace).toHaveBeenCalledWith("/signin/");
  });
});
