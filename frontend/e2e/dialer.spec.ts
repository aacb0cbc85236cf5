import { expect, test } from "@playwright/test";
import { asAdmin, callStatus, fillFrom, openDialer, snap } from "./helpers";

// Every screen needs a session: these run signed in as the demo admin.
test.use(asAdmin);

// These run against the real local stack: the Rust `local` process serving this build, the
// API and the Telnyx emulator. The emulator's magic numbers decide what the callee does:
// ...0100 answers after ~2 s and stays up, ...0102 is busy.

test("call logs before any call", async ({ page }) => {
  await page.goto("/calls/");
  await expect(page.getByRole("heading", { name: "Call logs", exact: true })).toBeVisible();
  await expect(page.getByRole("tab", { name: "All" })).toHaveAttribute("aria-selected", "true");
  // Either an empty state or rows, but never a spinner forever.
  await expect(page.getByRole("tabpanel")).toHaveAttribute("aria-busy", "false");
  await snap(page, "call-logs-start");
});

test("dial, connect, end: the call lands in call logs with its duration", async ({ page }) => {
  await openDialer(page);
  await snap(page, "dialer-empty");
  await expect(page.getByRole("button", { name: "Call", exact: true })).toBeDisabled();
  await expect(page.getByText("Enter a phone number")).toBeVisible();

  await fillFrom(page);
  const to = page.getByLabel("To", { exact: true });
  await to.fill("+1 212 555 0100");
  await expect(to).toHaveValue("+1 212 555 0100");
  await expect(page.getByText("United States · +1 212 555 0100")).toBeVisible();
  await snap(page, "dialer-ready");

  await page.getByRole("button", { name: "Call", exact: true }).click();
  await expect(page).toHaveURL(/\/call\/\?id=/);
  await expect(callStatus(page)).toHaveText(/Ringing|Dialing/);
  await snap(page, "call-ringing");

  await expect(callStatus(page)).toHaveText("Connected", { timeout: 20_000 });
  const timer = page.getByTestId("call-timer");
  await expect(timer).toBeVisible();
  await expect(timer).toHaveText(/^0:0[2-9]$/, { timeout: 10_000 });
  await expect(page.getByRole("button", { name: "End call" })).toBeEnabled();
  await snap(page, "call-connected");

  await page.getByRole("button", { name: "End call" }).click();
  await expect(callStatus(page)).toHaveText("Ended", { timeout: 15_000 });
  await expect(page.getByTestId("call-outcome")).toHaveText(/Completed/);
  const talk = page.locator("dt", { hasText: "Talk time" }).locator("xpath=following-sibling::dd");
  await expect(talk).toHaveText(/^0:0[1-9]|^0:[1-5]\d/);
  const duration = (await talk.textContent())?.trim() ?? "";
  await expect(page.getByRole("link", { name: "New call" })).toBeVisible();
  await snap(page, "call-ended");

  await page
    .getByRole("navigation", { name: "Main" })
    .getByRole("link", { name: "Call logs" })
    .click();
  await expect(page.getByRole("heading", { name: "Call logs", exact: true })).toBeVisible();
  const row = page.getByTestId("call-row").filter({ hasText: "+1 212 555 0100" }).first();
  await expect(row).toBeVisible();
  await expect(row).toContainText("Completed");
  await expect(row).toContainText(duration);
  await snap(page, "call-logs");

  await page.getByRole("tab", { name: "Completed" }).click();
  await expect(
    page.getByTestId("call-row").filter({ hasText: "+1 212 555 0100" }).first(),
  ).toBeVisible();
  await page.getByRole("tab", { name: "Failed" }).click();
  await expect(page.getByTestId("call-row").filter({ hasText: "+1 212 555 0100" })).toHaveCount(0);
  await snap(page, "call-logs-failed-tab");
});

test("a busy callee shows Busy (phone width, keypad)", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await openDialer(page);
  await fillFrom(page);
  for (const key of ["2 ABC", "1", "2 ABC", "5 JKL", "5 JKL", "5 JKL", "0", "1", "0", "2 ABC"]) {
    await page.getByRole("button", { name: key, exact: true }).click();
  }
  await expect(page.getByLabel("To", { exact: true })).toHaveValue("(212) 555-0102");
  await page.getByRole("button", { name: "Call", exact: true }).click();
  await expect(callStatus(page)).toHaveText("Ended", { timeout: 20_000 });
  await expect(page.getByTestId("call-outcome")).toHaveText(/Busy/);
  await expect(page.getByRole("button", { name: "End call" })).toHaveCount(0);
  await snap(page, "call-busy");
});

test("the physical keyboard dials and Enter calls", async ({ page }) => {
  await openDialer(page);
  await fillFrom(page);
  await page.getByRole("heading", { name: "Recent calls" }).click();
  await page.keyboard.type("21255501");
  await page.keyboard.press("Backspace");
  await page.keyboard.type("100");
  await expect(page.getByLabel("To", { exact: true })).toHaveValue("(212) 555-0100");
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/call\/\?id=/);
  await expect(callStatus(page)).toHaveText(/Dialing|Ringing|Connected/);

  // Leaving the call screen keeps a way back to the live call.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Phone" }).click();
  const back = page.getByRole("link", { name: "Return to call" });
  await expect(back).toBeVisible();
  await snap(page, "dialer-call-in-progress");
  await back.click();
  await expect(page).toHaveURL(/\/call\/\?id=/);
  await page.getByRole("button", { name: "End call" }).click();
  await expect(callStatus(page)).toHaveText("Ended", { timeout: 15_000 });
});

test("an invalid number shows why Call is disabled", async ({ page }) => {
  await openDialer(page);
  await fillFrom(page);
  const to = page.getByLabel("To", { exact: true });
  await to.fill("212 555");
  const call = page.getByRole("button", { name: "Call", exact: true });
  await expect(call).toBeDisabled();
  await expect(page.locator(`#${await call.getAttribute("aria-describedby")}`)).toHaveText(
    "Number is too short",
  );
  await to.fill("+1 212 555 010 000 00");
  await expect(page.getByText("Number is too long").first()).toBeVisible();
  await to.fill("+1 212 555 0100");
  const from = page.getByLabel("From", { exact: true });
  if ((await from.evaluate((el) => el.tagName)) === "INPUT") {
    // Without a list of the team's numbers, From is typed and checked like To.
    await from.fill("12");
    await expect(call).toBeDisabled();
    await expect(page.getByText("From: Number is too short")).toBeVisible();
  } else {
    await expect(call).toBeEnabled();
  }
  await snap(page, "dialer-invalid");
});

test("an unknown call id shows an error, not a spinner", async ({ page }) => {
  await page.goto("/call/?id=00000000-0000-0000-0000-000000000000");
  await expect(page.getByRole("heading", { name: "Call not found" })).toBeVisible();
  await expect(page.getByRole("alert").filter({ hasText: "Call not found" })).toBeVisible();
  await snap(page, "call-not-found");
});
