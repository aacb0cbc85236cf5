import { expect, test } from "@playwright/test";
import {
  ACCOUNTS,
  SESSION_KEY,
  asAdmin,
  asAgent,
  bearer,
  signInThroughUi,
  signedOut,
  snap,
} from "./helpers";

// Sign-in, sign-out and roles against the real local stack and its demo accounts.

const mainNav = (page: import("@playwright/test").Page) =>
  page.getByRole("navigation", { name: "Main" }).first();

test.describe("signed out", () => {
  test.use(signedOut);

  test("wrong password, right password, sign out: every page needs a session", async ({ page }) => {
    // A protected page sends to sign-in with a way back, and shows nothing of itself.
    await page.goto("/calls/");
    await expect(page).toHaveURL(/\/signin\/\?next=%2Fcalls%2F$/);
    await expect(page.getByRole("heading", { name: "Sign in to Dialer" })).toBeVisible();
    await expect(page.getByRole("heading", { name: "Call logs" })).toHaveCount(0);

    await page.goto("/");
    await expect(page).toHaveURL(/\/signin\/$/);
    await snap(page, "sign-in");

    await signInThroughUi(page, ACCOUNTS.admin.email, "not-the-password");
    await expect(page.getByTestId("sign-in-error")).toContainText("Wrong e-mail or password");
    await expect(page.getByRole("form", { name: "Sign in" }).getByLabel("Password")).toHaveValue(
      "",
    );
    await expect(page).toHaveURL(/\/signin\/$/);
    await snap(page, "sign-in-error");

    await signInThroughUi(page, ACCOUNTS.admin.email, ACCOUNTS.admin.password);
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByRole("group", { name: "Dial pad" })).toBeVisible();
    const nav = mainNav(page);
    await expect(nav.getByRole("link", { name: "Settings" })).toBeVisible();
    await expect(nav.getByRole("link", { name: "Users" })).toBeVisible();
    await page.getByTestId("account-button").click();
    await expect(page.getByTestId("account-email")).toHaveText(ACCOUNTS.admin.email);
    await expect(page.getByTestId("account-role")).toHaveText("Admin");
    await snap(page, "shell-admin");

    const token = await page.evaluate(
      (key) => JSON.parse(localStorage.getItem(key) ?? "{}").token as string,
      SESSION_KEY,
    );
    expect(token).toBeTruthy();

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/signin\/$/);
    await expect(page.getByTestId("signed-out-reason")).toHaveText("You have signed out.");
    expect(await page.evaluate((key) => localStorage.getItem(key), SESSION_KEY)).toBeNull();

    // The token was revoked on the server, not only forgotten here.
    const after = await page.request.get("/api/calls", {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(after.status()).toBe(401);

    // Protected pages redirect again, and signing in returns to where the user was going.
    await page.goto("/stats/");
    await expect(page).toHaveURL(/\/signin\/\?next=%2Fstats%2F$/);
    await signInThroughUi(page, ACCOUNTS.admin.email, ACCOUNTS.admin.password);
    await expect(page).toHaveURL(/\/stats\/$/);
    await expect(page.getByRole("heading", { name: "Statistics", exact: true })).toBeVisible();
  });

  test("the API refuses requests without a token", async ({ request }) => {
    const res = await request.get("/api/calls");
    expect(res.status()).toBe(401);
    expect((await res.json()).code).toBe("sign_in_required");
  });
});

test.describe("as an agent", () => {
  test.use(asAgent);

  test("sees no Settings or Users, and gets a notice if they go there anyway", async ({ page }) => {
    await page.goto("/");
    await expect(page.getByRole("group", { name: "Dial pad" })).toBeVisible();
    const nav = mainNav(page);
    for (const name of ["Phone", "Call logs", "Contacts", "Statistics"]) {
      await expect(nav.getByRole("link", { name })).toBeVisible();
    }
    await expect(nav.getByRole("link", { name: "Settings" })).toHaveCount(0);
    await expect(nav.getByRole("link", { name: "Users" })).toHaveCount(0);
    // The dialer still gets the team's caller IDs (read-only for agents).
    await expect(page.getByLabel("From", { exact: true })).toBeEnabled();
    await page.getByTestId("account-button").click();
    await expect(page.getByTestId("account-email")).toHaveText(ACCOUNTS.agent.email);
    await expect(page.getByTestId("account-role")).toHaveText("Agent");
    await snap(page, "shell-agent");

    await page.goto("/settings/");
    await expect(page.getByTestId("admin-only-notice")).toBeVisible();
    await expect(page.getByRole("form")).toHaveCount(0);
    await snap(page, "settings-agent");
    await page.goto("/users/");
    await expect(page.getByTestId("admin-only-notice")).toBeVisible();

    // And the API agrees.
    const users = await page.request.get("/api/users", { headers: bearer("agent") });
    expect(users.status()).toBe(403);
    expect((await users.json()).code).toBe("forbidden");
  });
});

test.describe("as an admin", () => {
  test.use(asAdmin);

  test("adds a user who can then sign in; disabling them ends their session", async ({
    page,
    browser,
  }) => {
    const email = `e2e-${Date.now()}@example.com`;
    const password = "e2e-password-123";
    await page.goto("/users/");
    await expect(page.getByRole("heading", { name: "Users", exact: true })).toBeVisible();
    const me = page.getByTestId("user-row").filter({ hasText: ACCOUNTS.admin.email });
    await expect(me).toContainText("You");
    await expect(me.getByRole("button", { name: /Disable/ })).toHaveCount(0);

    const form = page.getByRole("form", { name: "Add a user" });
    await form.getByLabel("Name").fill("Erin Example");
    await form.getByLabel("E-mail").fill(email);
    await form.getByLabel("Password").fill("short");
    await form.getByRole("button", { name: "Add user" }).click();
    await expect(form.getByText(/Use at least 10 characters/)).toBeVisible();
    await form.getByLabel("Password").fill(password);
    await form.getByRole("button", { name: "Add user" }).click();
    const row = page.getByTestId("user-row").filter({ hasText: email });
    await expect(row).toBeVisible();
    await expect(row.getByLabel("Role of Erin Example")).toHaveValue("agent");
    await snap(page, "users");

    // The same e-mail twice is refused in plain words.
    await form.getByLabel("Name").fill("Erin Again");
    await form.getByLabel("E-mail").fill(email);
    await form.getByLabel("Password").fill(password);
    await form.getByRole("button", { name: "Add user" }).click();
    await expect(form.getByText("A user with this e-mail already exists.")).toBeVisible();

    // Erin signs in in her own browser and lands on the dialer as an agent.
    const erinContext = await browser.newContext({ storageState: { cookies: [], origins: [] } });
    const erin = await erinContext.newPage();
    await erin.goto("/");
    await expect(erin).toHaveURL(/\/signin\/$/);
    await signInThroughUi(erin, email, password);
    await expect(erin.getByRole("group", { name: "Dial pad" })).toBeVisible();
    await expect(mainNav(erin).getByRole("link", { name: "Settings" })).toHaveCount(0);

    // The admin disables her: her next request is refused and she is back at sign-in.
    await row.getByRole("button", { name: "Disable Erin Example" }).click();
    await expect(row).toContainText("Disabled");
    await erin.goto("/calls/");
    await expect(erin).toHaveURL(/\/signin\//);
    await expect(erin.getByRole("heading", { name: "Sign in to Dialer" })).toBeVisible();
    await erinContext.close();

    // Everything above is in the audit log, newest first.
    await page
      .getByRole("navigation", { name: "Administration" })
      .getByRole("link", {
        name: "Audit log",
      })
      .click();
    await expect(page).toHaveURL(/\/audit\/$/);
    const entries = page.getByTestId("audit-entry");
    await expect(entries.first()).toBeVisible();
    await expect(entries.filter({ hasText: "User added" }).filter({ hasText: email })).toHaveCount(
      1,
    );
    await expect(entries.filter({ hasText: "Sign-in failed" }).first()).toBeVisible();
    const actions = await entries.evaluateAll((els) =>
      els.map((el) => (el as HTMLElement).dataset.action),
    );
    expect(actions.indexOf("user_updated")).toBeGreaterThanOrEqual(0);
    expect(actions.indexOf("user_updated")).toBeLessThan(actions.indexOf("user_created"));
    await snap(page, "audit");
  });
});
