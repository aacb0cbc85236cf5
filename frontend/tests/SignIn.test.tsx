import { nav, replace } from "./mocks";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SignIn } from "@/features/auth/SignIn";
import { resetConfig } from "@/lib/config";
import { clearSession, getSession } from "@/lib/session";
import { ADMIN, renderApp, signInAs } from "./utils";

let fetchMock: ReturnType<typeof vi.fn>;

const problem = (status: number, code: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ status, code, title: "Error", detail: code }), {
    status,
    headers: { "Content-Type": "application/problem+json", ...headers },
  });

beforeEach(() => {
  replace.mockReset();
  resetConfig({ apiBaseUrl: "" });
  fetchMock = vi.fn();
  vi.stubGlobal("fetch", fetchMock);
  nav.pathname = "/signin/";
  nav.search = "";
});

afterEach(() => {
  vi.unstubAllGlobals();
});

async function fillAndSubmit(email = "admin@dialer.local", password = "wrong-password-1") {
  const user = userEvent.setup();
  renderApp(<SignIn />);
  await user.type(screen.getByLabelText("E-mail"), email);
  await user.type(screen.getByLabelText("Password"), password);
  await user.click(screen.getByRole("button", { name: "Sign in" }));
  return user;
}

describe("Sign-in form", () => {
  it("a wrong password says so, keeps the e-mail and clears the password", async () => {
    fetchMock.mockResolvedValue(problem(401, "invalid_credentials"));
    await fillAndSubmit();
    expect(await screen.findByTestId("sign-in-error")).toHaveTextContent(
      "Wrong e-mail or password",
    );
    expect(screen.getByLabelText("E-mail")).toHaveValue("admin@dialer.local");
    expect(screen.getByLabelText("Password")).toHaveValue("");
    expect(screen.getByRole("button", { name: "Sign in" })).toBeEnabled();
    expect(getSession()).toBeNull();
    expect(replace).not.toHaveBeenCalled();
  });

  it("too many attempts (429) locks the button for Retry-After seconds", async () => {
    fetchMock.mockResolvedValue(problem(429, "too_many_attempts", { "Retry-After": "37" }));
    await fillAndSubmit();
    expect(await screen.findByTestId("sign-in-error")).toHaveTextContent(
      "Too many sign-in attempts. Try again in 37 s.",
    );
    expect(screen.getByRole("button", { name: "Sign in" })).toBeDisabled();
  });

  it("the lock lifts when Retry-After has passed", async () => {
    fetchMock.mockResolvedValue(problem(429, "too_many_attempts", { "Retry-After": "1" }));
    await fillAndSubmit();
    expect(await screen.findByTestId("sign-in-error")).toHaveTextContent("Try again in 1 s");
    await waitFor(
      () => expect(screen.getByTestId("sign-in-error")).toHaveTextContent("You can try again now."),
      { timeout: 3000 },
    );
    expect(screen.getByRole("button", { name: "Sign in" })).toBeEnabled();
  });

  it("an unreachable server is told apart from wrong credentials", async () => {
    fetchMock.mockRejectedValue(new TypeError("Failed to fetch"));
    await fillAndSubmit();
    expect(await screen.findByTestId("sign-in-error")).toHaveTextContent(
      "Could not reach the server",
    );
  });

  it("a malformed e-mail the server refuses (400) is shown under the e-mail", async () => {
    fetchMock.mockResolvedValue(problem(400, "invalid_credentials"));
    // Passes the quick client check, refused by the server.
    await fillAndSubmit("a@b.c", "whatever-password");
    expect(await screen.findByText(/Enter a valid e-mail address/)).toBeInTheDocument();
    expect(screen.getByLabelText("E-mail")).toHaveAttribute("aria-invalid", "true");
  });

  it("checks the fields before asking the server", async () => {
    const user = userEvent.setup();
    renderApp(<SignIn />);
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(screen.getByText("Enter your e-mail address.")).toBeInTheDocument();
    await user.type(screen.getByLabelText("E-mail"), "not-an-email");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(screen.getByText(/Enter a valid e-mail address/)).toBeInTheDocument();
    await user.clear(screen.getByLabelText("E-mail"));
    await user.type(screen.getByLabelText("E-mail"), "agent@dialer.local");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(screen.getByText("Enter your password.")).toBeInTheDocument();
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("disables the button while signing in, then stores the session and follows next", async () => {
    nav.search = "?next=%2Fcalls%2F%3Fid%3D7";
    let answer!: (r: Response) => void;
    fetchMock.mockReturnValue(new Promise<Response>((r) => (answer = r)));
    await fillAndSubmit("Admin@Dialer.local ", "dialer-demo-admin");
    const button = screen.getByRole("button", { name: "Signing in…" });
    expect(button).toBeDisabled();
    expect(JSON.parse((fetchMock.mock.calls[0][1] as RequestInit).body as string)).toEqual({
      email: "Admin@Dialer.local",
      password: "dialer-demo-admin",
    });
    answer(
      new Response(
        JSON.stringify({ token: "tok-ok", expires_at: "2099-01-01T00:00:00Z", user: ADMIN }),
        { status: 200 },
      ),
    );
    await waitFor(() => expect(replace).toHaveBeenCalledWith("/calls/?id=7"));
    expect(getSession()).toMatchObject({ token: "tok-ok", user: { email: ADMIN.email } });
  });

  it("never follows a next link out of the app", async () => {
    nav.search = "?next=%2F%2Fevil.example%2F";
    fetchMock.mockResolvedValue(
      new Response(JSON.stringify({ token: "t", expires_at: "2099-01-01T00:00:00Z", user: ADMIN })),
    );
    await fillAndSubmit("admin@dialer.local", "dialer-demo-admin");
    await waitFor(() => expect(replace).toHaveBeenCalled());
    expect(replace).toHaveBeenCalledWith("/");
    expect(replace).not.toHaveBeenCalledWith(expect.stringContaining("evil"));
  });

  it("says why the last session ended", () => {
    signInAs(ADMIN);
    clearSession("session_expired");
    renderApp(<SignIn />);
    expect(screen.getByTestId("signed-out-reason")).toHaveTextContent(
      "Your session has expired. Sign in again.",
    );
  });
});
