import "./mocks";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { AuditLog, actorName } from "@/features/admin/AuditLog";
import { Users, validateNewUser } from "@/features/admin/Users";
import { ApiError, api } from "@/lib/api";
import type { User } from "@/lib/types";
import { ADMIN, AGENT, renderApp, signInAs } from "./utils";

vi.mock("@/lib/api", async (orig) => {
  const real = await orig<typeof import("@/lib/api")>();
  return {
    ...real,
    api: { users: vi.fn(), createUser: vi.fn(), updateUser: vi.fn(), audit: vi.fn() },
  };
});

const BOB: User = {
  id: "u-bob",
  email: "bob@example.com",
  name: "Bob Stone",
  role: "agent",
  disabled: false,
  created_at: "2026-11-03T09:00:00Z",
};

beforeEach(() => {
  signInAs(ADMIN);
  vi.mocked(api.users).mockReset().mockResolvedValue([ADMIN, AGENT]);
  vi.mocked(api.createUser).mockReset();
  vi.mocked(api.updateUser).mockReset();
  vi.mocked(api.audit).mockReset();
});

async function openForm() {
  const user = userEvent.setup();
  renderApp(<Users />);
  const form = await screen.findByRole("form", { name: "Add a user" });
  return { user, form };
}

describe("validateNewUser", () => {
  it("mirrors the API's rules", () => {
    expect(
      validateNewUser({
        name: "Ana",
        email: "ana@example.com",
        password: "0123456789",
        role: "agent",
      }),
    ).toEqual({});
    const e = validateNewUser({ name: "  ", email: "ana@", password: "short", role: "agent" });
    expect(e.name).toMatch(/name/);
    expect(e.email).toMatch(/valid e-mail/);
    expect(e.password).toMatch(/at least 10 characters \(5 so far\)/);
    expect(
      validateNewUser({
        name: "x".repeat(101),
        email: "a@b.co",
        password: "0123456789",
        role: "admin",
      }).name,
    ).toMatch(/100/);
    expect(
      validateNewUser({ name: "A", email: "a@b.co", password: "p".repeat(257), role: "admin" })
        .password,
    ).toMatch(/256/);
  });
});

describe("Users (admin)", () => {
  it("lists users with role and state; your own row cannot be demoted or disabled", async () => {
    vi.mocked(api.users).mockResolvedValue([ADMIN, { ...AGENT, disabled: true }]);
    renderApp(<Users />);
    const rows = await screen.findAllByTestId("user-row");
    expect(rows).toHaveLength(2);
    const me = rows.find((r) => r.dataset.email === ADMIN.email)!;
    const agent = rows.find((r) => r.dataset.email === AGENT.email)!;
    expect(me).toHaveTextContent("You");
    expect(within(me).queryByRole("combobox")).toBeNull();
    expect(within(me).queryByRole("button", { name: /Disable|Enable/ })).toBeNull();
    expect(agent).toHaveTextContent("Disabled");
    expect(within(agent).getByLabelText("Role of Alan Agent")).toHaveValue("agent");
    expect(within(agent).getByRole("button", { name: "Enable Alan Agent" })).toBeInTheDocument();
  });

  it("shows every problem in the form and sends nothing", async () => {
    const { user, form } = await openForm();
    await user.type(within(form).getByLabelText("E-mail"), "bob@");
    await user.type(within(form).getByLabelText("Password"), "short");
    await user.click(within(form).getByRole("button", { name: "Add user" }));
    expect(within(form).getByText("Enter the person's name.")).toBeInTheDocument();
    expect(within(form).getByText("Enter a valid e-mail address.")).toBeInTheDocument();
    expect(within(form).getByText(/Use at least 10 characters/)).toBeInTheDocument();
    expect(within(form).getByLabelText("Name")).toHaveAttribute("aria-invalid", "true");
    expect(api.createUser).not.toHaveBeenCalled();
  });

  it("adds a user with the chosen role, then lists them", async () => {
    vi.mocked(api.createUser).mockResolvedValue({ ...BOB, role: "admin" });
    const { user, form } = await openForm();
    await user.type(within(form).getByLabelText("Name"), "  Bob Stone ");
    await user.type(within(form).getByLabelText("E-mail"), "bob@example.com");
    await user.type(within(form).getByLabelText("Password"), "correct-horse-battery");
    await user.selectOptions(within(form).getByLabelText("Role"), "admin");
    vi.mocked(api.users).mockResolvedValue([ADMIN, AGENT, { ...BOB, role: "admin" }]);
    await user.click(within(form).getByRole("button", { name: "Add user" }));
    expect(api.createUser).toHaveBeenCalledWith({
      name: "Bob Stone",
      email: "bob@example.com",
      password: "correct-horse-battery",
      role: "admin",
    });
    await waitFor(() => expect(screen.getAllByTestId("user-row")).toHaveLength(3));
    expect(within(form).getByLabelText("Name")).toHaveValue("");
    expect(within(form).getByLabelText("Password")).toHaveValue("");
  });

  it("a taken e-mail (409) is shown under the e-mail field", async () => {
    vi.mocked(api.createUser).mockRejectedValue(
      new ApiError(409, { code: "email_taken", detail: "a user with this e-mail already exists" }),
    );
    const { user, form } = await openForm();
    await user.type(within(form).getByLabelText("Name"), "Bob");
    await user.type(within(form).getByLabelText("E-mail"), "agent@dialer.local");
    await user.type(within(form).getByLabelText("Password"), "correct-horse-battery");
    await user.click(within(form).getByRole("button", { name: "Add user" }));
    expect(
      await within(form).findByText("A user with this e-mail already exists."),
    ).toBeInTheDocument();
    expect(within(form).getByLabelText("E-mail")).toHaveAttribute("aria-invalid", "true");
  });

  it("the server's field errors land under their fields", async () => {
    vi.mocked(api.createUser).mockRejectedValue(
      new ApiError(400, {
        code: "invalid_user",
        detail: "password: must be at most 256 characters",
        errors: [{ field: "password", message: "must be at most 256 characters" }],
      }),
    );
    const { user, form } = await openForm();
    await user.type(within(form).getByLabelText("Name"), "Bob");
    await user.type(within(form).getByLabelText("E-mail"), "bob@example.com");
    await user.type(within(form).getByLabelText("Password"), "correct-horse-battery");
    await user.click(within(form).getByRole("button", { name: "Add user" }));
    expect(await within(form).findByText("Must be at most 256 characters")).toBeInTheDocument();
  });

  it("disables a user and changes a role", async () => {
    vi.mocked(api.updateUser).mockImplementation(async (_id, patch) => ({ ...AGENT, ...patch }));
    const user = userEvent.setup();
    renderApp(<Users />);
    await user.click(await screen.findByRole("button", { name: "Disable Alan Agent" }));
    expect(api.updateUser).toHaveBeenCalledWith("u-agent", { disabled: true });
    expect(await screen.findByRole("button", { name: "Enable Alan Agent" })).toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText("Role of Alan Agent"), "admin");
    expect(api.updateUser).toHaveBeenLastCalledWith("u-agent", { role: "admin" });
  });

  it("an agent gets a notice and no user list", async () => {
    signInAs(AGENT);
    renderApp(<Users />);
    expect(screen.getByTestId("admin-only-notice")).toBeInTheDocument();
    expect(screen.queryByRole("form", { name: "Add a user" })).toBeNull();
    expect(api.users).not.toHaveBeenCalled();
  });
});

describe("Audit log", () => {
  it("shows who did what, when and from where, as the server orders it; refresh asks again", async () => {
    vi.mocked(api.audit)
      .mockResolvedValueOnce([
        {
          at: "2026-11-24T10:05:00Z",
          actor: "u-admin",
          action: "user_created",
          detail: "bob@example.com (agent)",
          ip: null,
        },
        {
          at: "2026-11-24T10:00:00Z",
          actor: "eve@example.com",
          action: "sign_in_failed",
          detail: "",
          ip: "203.0.113.9",
        },
      ])
      .mockResolvedValueOnce([
        {
          at: "2026-11-24T10:06:00Z",
          actor: "u-agent",
          action: "sign_in",
          detail: "agent@dialer.local",
          ip: "198.51.100.4",
        },
      ]);
    const user = userEvent.setup();
    renderApp(<AuditLog />);
    const rows = await screen.findAllByTestId("audit-entry");
    expect(rows.map((r) => r.dataset.action)).toEqual(["user_created", "sign_in_failed"]);
    expect(rows[0]).toHaveTextContent("User added");
    expect(rows[0]).toHaveTextContent("Ada Admin (admin@dialer.local)");
    expect(rows[1]).toHaveTextContent("Sign-in failed");
    expect(rows[1]).toHaveTextContent("eve@example.com");
    expect(rows[1]).toHaveTextContent("from 203.0.113.9");
    expect(api.audit).toHaveBeenCalledWith({ limit: 100 });
    await user.click(screen.getByRole("button", { name: "Refresh" }));
    await waitFor(() =>
      expect(screen.getAllByTestId("audit-entry").map((r) => r.dataset.action)).toEqual([
        "sign_in",
      ]),
    );
  });

  it("names the system when there is no actor", () => {
    expect(actorName(null, [])).toBe("System");
    expect(actorName("u-agent", [AGENT])).toBe("Alan Agent (agent@dialer.local)");
    expect(actorName("x@y.z", undefined)).toBe("x@y.z");
  });
});
