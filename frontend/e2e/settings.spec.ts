import { expect, test } from "@playwright/test";
import {
  asAdmin,
  asAgent,
  bearer,
  callStatus,
  fillFrom,
  openDialer,
  snap,
  snapPart,
} from "./helpers";

// Every screen needs a session: these run signed in as the demo admin.
test.use(asAdmin);

const KEY = "KEY0123456789ABCDEFsecretTAIL";

test("settings: the API key is write-only and shown masked", async ({ page }) => {
  await page.goto("/settings/");
  await expect(page.getByRole("heading", { name: "Settings", exact: true })).toBeVisible();
  await expect(page.getByTestId("api-key-status")).toContainText("Not set");
  await snap(page, "settings");

  const telnyx = page.getByRole("form", { name: "Telnyx account" });
  await telnyx.getByLabel("API key").fill("short");
  await telnyx.getByRole("button", { name: "Save" }).click();
  await expect(telnyx.getByText(/10–256 printable characters/)).toBeVisible();

  await telnyx.getByLabel("API key").fill(KEY);
  await expect(telnyx.getByLabel("API key")).toHaveAttribute("type", "password");
  await telnyx.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Telnyx settings saved")).toBeVisible();
  await expect(page.getByTestId("api-key-status")).toContainText("Configured");
  await expect(page.getByTestId("api-key-status")).toContainText("TAIL");
  await expect(page.getByLabel("API key")).toHaveValue("");
  expect(await page.content()).not.toContain(KEY);
  expect(await page.content()).not.toContain("secret");

  await page.reload();
  await expect(page.getByTestId("api-key-status")).toContainText("Configured");
  expect(await page.content()).not.toContain(KEY);
  const body = await (await page.request.get("/api/settings", { headers: bearer() })).text();
  expect(body).not.toContain(KEY);

  // A wrong key would break every Telnyx request (the emulator rejects it): remove it again.
  await page.getByRole("button", { name: "Remove key" }).click();
  await expect(page.getByText("API key removed")).toBeVisible();
  await expect(page.getByTestId("api-key-status")).toContainText("Not set");
});

test("settings: caller ID, recording, webhook test, numbers", async ({ page, context }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  await page.goto("/settings/");

  const calling = page.getByRole("form", { name: "Calling" });
  await calling.getByLabel("Default caller ID").selectOption({ label: "+1 415 555 0203" });
  await calling.getByLabel("Hold music URL").fill("ftp://nope");
  await calling.getByRole("button", { name: "Save" }).click();
  await expect(calling.getByText(/must be an http\(s\) URL/i)).toBeVisible();
  await calling.getByLabel("Hold music URL").fill("");
  await calling.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Calling settings saved")).toBeVisible();

  const recording = page.getByRole("form", { name: "Recording" });
  await recording.getByLabel("Format").selectOption("wav");
  await recording.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Recording preferences saved")).toBeVisible();
  await page.reload();
  await expect(page.getByRole("form", { name: "Recording" }).getByLabel("Format")).toHaveValue(
    "wav",
  );

  // The dialer starts from the default caller ID.
  await page.goto("/");
  await expect(page.getByLabel("From", { exact: true })).toHaveValue("+14155550203");
  await page.goto("/settings/");

  await expect(page.getByLabel("Webhook URL", { exact: true })).toHaveValue(
    /\/api\/webhooks\/telnyx$/,
  );
  await page.getByRole("button", { name: "Copy webhook URL" }).click();
  await expect(page.getByText("Webhook URL copied")).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toMatch(
    /\/api\/webhooks\/telnyx$/,
  );
  await page.getByRole("button", { name: "Send test webhook" }).click();
  await expect(page.getByTestId("webhook-result")).toContainText("Delivered and verified", {
    timeout: 15_000,
  });

  // The cost model's figure for the default profile (docs/cost-model.md: about $0.29).
  await expect(page.getByText(/About \$0\.\d\d of AWS per 1,000 three-minute calls/)).toBeVisible();

  const numbers = page.getByRole("list", { name: "Your numbers" });
  await expect(numbers.getByRole("listitem")).not.toHaveCount(0);
  const before = await numbers.getByRole("listitem").count();
  await page.getByLabel("Area code").fill("312");
  await page.getByRole("button", { name: "Search" }).click();
  const available = page.getByRole("list", { name: "Available numbers" });
  await expect(available.getByRole("listitem").first()).toBeVisible();
  const first = available.getByRole("listitem").first();
  const number = (await first.locator("span.font-medium").textContent())!.trim();
  await first.getByRole("button", { name: /^Buy / }).click();
  const dialog = page.getByRole("dialog", { name: "Buy this number?" });
  await expect(dialog.getByRole("button", { name: "Buy number" })).toBeDisabled();
  await dialog.getByLabel("Type the number to confirm").fill(number);
  await snap(page, "settings-buy-number");
  await dialog.getByRole("button", { name: "Buy number" }).click();
  await expect(page.getByText(`${number} ordered`)).toBeVisible();
  await expect(numbers.getByRole("listitem")).toHaveCount(before + 1);
  await snap(page, "settings-saved");
});

test("dial policy: an admin allows GB, then an agent's call there goes through", async ({
  page,
  browser,
}) => {
  const UK = "+44 20 7946 0018";
  const agentContext = await browser.newContext(asAgent);
  const agent = await agentContext.newPage();
  try {
    // Before: the team has no UK number, so the dialer refuses in the policy's words.
    await openDialer(agent);
    await fillFrom(agent);
    await agent.getByLabel("To", { exact: true }).fill(UK);
    await agent.getByRole("button", { name: "Call", exact: true }).click();
    const refusal = agent.getByRole("alert").filter({ hasText: "does not call" });
    await expect(refusal).toContainText("an admin can allow GB in settings");
    await expect(agent).not.toHaveURL(/\/call\//);

    // The admin sees the countries the team's numbers allow, adds GB and saves.
    await page.goto("/settings/");
    const form = page.getByRole("form", { name: "Dial policy" });
    const card = page.locator("section").filter({ has: form });
    await expect(form.getByRole("list", { name: "Countries of the team's numbers" })).toContainText(
      "United States",
    );
    await expect(form.getByLabel("Calls at once")).toHaveValue(/^\d+$/);
    await form.getByLabel("Add a country").selectOption("GB");
    await form.getByRole("button", { name: "Add", exact: true }).click();
    await expect(form.getByRole("list", { name: "Other countries allowed" })).toContainText(
      "United KingdomGB",
    );

    // A per-hour limit above the daily one is the server's to refuse, under its input.
    const perHour = form.getByLabel("Calls per hour");
    const hourly = await perHour.inputValue();
    const daily = Number(await form.getByLabel("Calls per day").inputValue());
    await perHour.fill(String(daily + 1));
    await form.getByRole("button", { name: "Save" }).click();
    await expect(form.getByText("Cannot be more than the calls allowed per day")).toBeVisible();
    await expect(perHour).toHaveAttribute("aria-invalid", "true");
    await snapPart(page, card, "settings-dial-policy-card-error");
    await perHour.fill(hourly);
    await form.getByRole("button", { name: "Save" }).click();
    await expect(page.getByText("Dial policy saved")).toBeVisible();
    await expect(form.getByRole("button", { name: "Save" })).toBeDisabled();
    await page.reload();
    await expect(
      page
        .getByRole("form", { name: "Dial policy" })
        .getByRole("list", { name: "Other countries allowed" }),
    ).toContainText("GB");
    await snapPart(
      page,
      page.locator("section").filter({ has: page.getByRole("form", { name: "Dial policy" }) }),
      "settings-dial-policy-card",
    );
    await snap(page, "settings-dial-policy");

    // The agent sees it, read-only, and the same dial now goes through.
    await agent.goto("/settings/");
    const readOnly = agent.getByTestId("dial-policy-readonly");
    await expect(readOnly.getByRole("list", { name: "Other countries allowed" })).toContainText(
      "United Kingdom",
    );
    await expect(agent.getByRole("form")).toHaveCount(0);
    await openDialer(agent);
    await fillFrom(agent);
    await agent.getByLabel("To", { exact: true }).fill(UK);
    await agent.getByRole("button", { name: "Call", exact: true }).click();
    await expect(agent).toHaveURL(/\/call\/\?id=/);
    await expect(callStatus(agent)).toHaveText(/Dialing|Ringing|Connected/);
    await agent.getByRole("button", { name: "End call" }).click();
    await expect(callStatus(agent)).toHaveText("Ended", { timeout: 15_000 });
  } finally {
    await agentContext.close();
    // Leave the policy as the other tests expect it.
    await page.request.put("/api/settings", {
      headers: bearer(),
      data: { dial_policy: { extra_countries: [] } },
    });
  }
});
