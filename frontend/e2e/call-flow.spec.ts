import { expect, test, type Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import { asAdmin, callStatus, fillFrom, openDialer, snap } from "./helpers";

// Every screen needs a session: these run signed in as the demo admin.
test.use(asAdmin);

// The whole life of a call against the real stack: dial → ringing → active → hold → resume →
// DTMF → end → call logs → detail (timeline, recording playback).

async function dial(page: Page, number: string, record = false) {
  await openDialer(page);
  await fillFrom(page);
  await page.getByLabel("To", { exact: true }).fill(number);
  if (record) await page.getByLabel("Record this call").check();
  await page.getByRole("button", { name: "Call", exact: true }).click();
  await expect(page).toHaveURL(/\/call\/\?id=/);
  return new URL(page.url()).searchParams.get("id")!;
}

test("a recorded call: controls, logs, detail timeline and playback", async ({ page }) => {
  await dial(page, "+1 212 555 0100", true);
  await expect(callStatus(page)).toHaveText(/Dialing|Ringing/);
  await expect(callStatus(page)).toHaveText("Connected", { timeout: 20_000 });
  await expect(page.getByTestId("recording-indicator")).toBeVisible();

  await page.getByRole("button", { name: "Mute", exact: true }).click();
  await expect(page.getByRole("button", { name: "Unmute", exact: true })).toHaveAttribute(
    "aria-pressed",
    "true",
  );
  await expect(page.getByText("Your microphone is muted")).toBeVisible();
  await page.getByRole("button", { name: "Unmute", exact: true }).click();
  await expect(page.getByRole("button", { name: "Mute", exact: true })).toBeVisible();

  await page.getByRole("button", { name: "Hold", exact: true }).click();
  await expect(callStatus(page)).toHaveText("On hold");
  await expect(page.getByRole("button", { name: "Resume", exact: true })).toBeEnabled();
  await snap(page, "call-on-hold");
  await page.getByRole("button", { name: "Resume", exact: true }).click();
  await expect(callStatus(page)).toHaveText("Connected");

  await page.getByRole("button", { name: "Keypad", exact: true }).click();
  const tones = page.getByRole("group", { name: "Send tones" });
  await tones.getByRole("button", { name: "1", exact: true }).click();
  await tones.getByRole("button", { name: "Pound", exact: true }).click();
  await expect(page.getByLabel("Sent 1#")).toBeVisible();
  await snap(page, "call-dtmf");
  await expect(page.getByTestId("call-error")).toHaveCount(0);
  await page.getByRole("button", { name: "Hide keypad" }).click();
  await page.waitForTimeout(1200);

  await page.getByRole("button", { name: "End call" }).click();
  await expect(callStatus(page)).toHaveText("Ended", { timeout: 15_000 });
  await expect(page.getByTestId("call-outcome")).toHaveText(/Completed/);
  const talk = page.locator("dt", { hasText: "Talk time" }).locator("xpath=following-sibling::dd");
  await expect(talk).toHaveText(/^0:0[1-9]|^0:[1-5]\d/);
  const duration = (await talk.textContent())?.trim() ?? "";
  await snap(page, "call-ended-recorded");

  // The call in the logs, with its duration; open its detail.
  await page
    .getByRole("navigation", { name: "Main" })
    .getByRole("link", { name: "Call logs" })
    .click();
  const row = page.getByTestId("call-row").filter({ hasText: "+1 212 555 0100" }).first();
  await expect(row).toContainText("Completed");
  await expect(row).toContainText(duration);
  await row.click();
  await expect(page).toHaveURL(/\/calls\/\?id=/);
  await expect(page.getByTestId("detail-badge")).toHaveText("Completed");
  await expect(page.getByTestId("detail-duration")).toHaveText(duration);
  await expect(page.getByTestId("detail-cause")).toContainText("Hung up normally");

  const timeline = page.getByRole("list", { name: "Call timeline" });
  for (const label of [
    "Dial requested",
    "Call placed",
    "Answered",
    "Microphone muted",
    "Put on hold",
    "Resumed from hold",
    "Sent tones",
    "Call ended",
  ]) {
    await expect(timeline.getByText(label, { exact: true }).first()).toBeVisible();
  }
  await expect(timeline.getByTestId("timeline-entry").filter({ hasText: "send_dtmf" })).toHaveCount(
    2,
  );

  // The recording plays: the audio element loads real metadata.
  const audio = page.getByTestId("recording-audio");
  await expect(audio).toBeVisible({ timeout: 30_000 });
  await expect
    .poll(
      async () =>
        audio.evaluate((a: HTMLAudioElement) => (Number.isFinite(a.duration) ? a.duration : 0)),
      {
        timeout: 20_000,
      },
    )
    .toBeGreaterThan(0);
  // Audio elements cannot send the token: both the player and the download use the short-lived
  // link the API hands out, which works on its own (no Authorization header).
  const download = page.getByRole("link", { name: "Download" });
  const href = await download.getAttribute("href");
  expect(href).toBeTruthy();
  expect(href).not.toMatch(/\/api\/calls\/[^/]+\/recording$/);
  expect(await audio.getAttribute("src")).toBe(href);
  const file = await page.request.get(href!);
  expect(file.ok()).toBeTruthy();
  expect(file.headers()["content-type"] ?? "").toMatch(/audio|octet-stream/);

  // Notes and tags are saved.
  await page.getByLabel("Notes").fill("Asked for a call back on Friday");
  await page.getByLabel("Tags").fill("follow-up");
  await page.getByLabel("Tags").press("Enter");
  await page.getByRole("button", { name: "Save notes" }).click();
  await expect(page.getByText("Notes saved")).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("Notes")).toHaveValue("Asked for a call back on Friday");
  await expect(page.getByRole("button", { name: "Remove tag follow-up" })).toBeVisible();
  await snap(page, "call-detail");
});

test("no answer (0103) ends as No answer after the ring timeout", async ({ page }) => {
  await dial(page, "+1 212 555 0103");
  await expect(callStatus(page)).toHaveText(/Ringing/, { timeout: 10_000 });
  await expect(callStatus(page)).toHaveText("Ended", { timeout: 45_000 });
  await expect(page.getByTestId("call-outcome")).toHaveText(/No answer/);
  await snap(page, "call-no-answer");
  await page.getByRole("link", { name: /View call details/ }).click();
  await expect(page.getByTestId("detail-badge")).toHaveText("No answer");
  await expect(page.getByTestId("detail-cause")).toContainText(/Nobody answered/);
  await expect(page.getByText("This call was not recorded.")).toBeVisible();
});

test("busy (0102) is filed under Missed with its reason", async ({ page }) => {
  await dial(page, "+1 212 555 0102");
  await expect(callStatus(page)).toHaveText("Ended", { timeout: 20_000 });
  await expect(page.getByTestId("call-outcome")).toHaveText(/Busy/);
  await page.goto("/calls/");
  await page.getByRole("tab", { name: "Missed" }).click();
  const row = page.getByTestId("call-row").filter({ hasText: "+1 212 555 0102" }).first();
  await expect(row).toContainText("Busy");
  await page.getByRole("tab", { name: "Completed" }).click();
  await expect(page.getByTestId("call-row").filter({ hasText: "+1 212 555 0102" })).toHaveCount(0);

  await page.getByRole("tab", { name: "All" }).click();
  await page.getByLabel("Search calls by number or name").fill("5550102");
  await expect(page.getByTestId("call-row").first()).toContainText("+1 212 555 0102");
  await expect(page.getByTestId("call-row").filter({ hasText: "0100" })).toHaveCount(0);
  await snap(page, "call-logs-search");

  // The export carries the same filters; it is fetched with the session and saved as a file.
  const exportRequest = page.waitForRequest((r) => r.url().includes("/api/calls/export.csv"));
  const downloading = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export CSV" }).click();
  const sent = await exportRequest;
  expect(sent.url()).toContain("/api/calls/export.csv?q=5550102");
  expect(sent.headers()["authorization"]).toMatch(/^Bearer /);
  const file = await downloading;
  expect(file.suggestedFilename()).toBe("calls.csv");
  const text = readFileSync((await file.path())!, "utf8");
  expect(text.split("\n")[0]).toContain("call_id");
  expect(text).toContain("+12125550102");
  expect(text).not.toContain("+12125550100");

  // A date range in the future holds nothing.
  await page.getByLabel("Search calls by number or name").fill("");
  const next = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel("From date").fill(next);
  await expect(page.getByText("No calls in these dates")).toBeVisible();
  await snap(page, "call-logs-empty-range");
});

test("statistics show the calls made", async ({ page }) => {
  await page.goto("/stats/");
  await expect(page.getByRole("heading", { name: "Statistics", exact: true })).toBeVisible();
  await expect(page.getByTestId("stats")).toBeVisible();
  await expect(page.getByRole("img", { name: "Calls per day by result" })).toBeVisible();
  await expect(page.getByRole("img", { name: /Answer rate \d+%/ })).toBeVisible();
  await expect(page.getByRole("group", { name: "Calls per caller ID" })).toContainText("+1");
  await snap(page, "statistics");
});
