import { expect, type Locator, type Page } from "@playwright/test";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { ACCOUNTS, AUTH_DIR, SESSION_KEY, stateFile, type AccountName } from "./accounts";

export { ACCOUNTS, SESSION_KEY };

/**
 * Who a test runs as: `test.use(asAdmin)`. The sessions come from one sign-in per account per
 * run (global-setup.ts), seeded into localStorage before the first page loads.
 */
export const asAdmin = { storageState: stateFile("admin") };
export const asAgent = { storageState: stateFile("agent") };
export const signedOut = { storageState: { cookies: [], origins: [] } };

/** Headers for calling the API directly (page.request) as one of the demo accounts. */
export function bearer(name: AccountName = "admin"): Record<string, string> {
  const token = readFileSync(path.join(AUTH_DIR, `${name}.token`), "utf8").trim();
  return { Authorization: `Bearer ${token}` };
}

/** Sign in through the sign-in page (the page must be showing it). */
export async function signInThroughUi(page: Page, email: string, password: string) {
  const form = page.getByRole("form", { name: "Sign in" });
  await form.getByLabel("E-mail").fill(email);
  await form.getByLabel("Password").fill(password);
  await form.getByRole("button", { name: "Sign in" }).click();
}

export const SCREENSHOTS = path.resolve(process.cwd(), "test-results/screenshots");
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
export const FROM = "+1 212 555 0200";

/**
 * Save the current screen at desktop and phone widths, then restore the viewport. The viewport
 * is made as tall as the page for the picture, so fixed and sticky bars (the phone tab bar) sit
 * where a person sees them, not in the middle of a stitched full-page capture.
 */
export async function snap(page: Page, name: string) {
  await atEachWidth(page, (label) =>
    page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${label}.png`) }),
  );
}

/** Save one part of the screen (a card) at desktop and phone widths, then restore the viewport. */
export async function snapPart(page: Page, part: Locator, name: string) {
  // As tall as the page, as in `snap`: fixed bars stay where they belong, off the part.
  await atEachWidth(page, (label) =>
    part.screenshot({ path: path.join(SCREENSHOTS, `${name}-${label}.png`) }),
  );
}

/** Run `shoot` at 1280 and 390 px wide, the viewport as tall as the page, then restore it. */
async function atEachWidth(page: Page, shoot: (label: string) => Promise<unknown>) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const original = page.viewportSize() ?? DESKTOP;
  for (const [label, size] of [
    ["1280", DESKTOP],
    ["390", PHONE],
  ] as const) {
    await page.setViewportSize(size);
    // Let layout settle (fonts, transitions, chart resize) before measuring.
    await page.waitForTimeout(200);
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    await page.setViewportSize({ width: size.width, height: Math.max(size.height, height) });
    await page.waitForTimeout(100);
    await shoot(label);
  }
  await page.setViewportSize(original);
}

export async function openDialer(page: Page) {
  await page.goto("/");
  await expect(page.getByRole("group", { name: "Dial pad" })).toBeVisible();
  // Settled: the caller IDs and the recent calls have loaded.
  await expect(page.getByLabel("From", { exact: true })).toBeEnabled();
  await expect(page.getByText("Loading recent calls")).toHaveCount(0);
}

export async function fillFrom(page: Page, number = FROM) {
  const from = page.getByLabel("From", { exact: true });
  // The field is a disabled placeholder until the team's numbers have loaded.
  await expect(from).toBeEnabled();
  if ((await from.evaluate((el) => el.tagName)) === "INPUT") {
    await from.fill(number);
  }
}

export const callStatus = (page: Page) => page.getByTestId("call-status");
