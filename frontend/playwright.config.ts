import { defineConfig } from "@playwright/test";
import { stateFile } from "./e2e/accounts";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./e2e/chromium";

if (!process.env.E2E_BASE_URL) {
  throw new Error("E2E_BASE_URL must point at the running local stack (npm run e2e sets it)");
}
// The browser resolves only 127.0.0.1 (no DNS here), so "localhost" is spelled out.
const baseURL = process.env.E2E_BASE_URL.replace("//localhost", "//127.0.0.1").replace(/\/+$/, "");

export default defineConfig({
  testDir: "./e2e",
  // Signs in as the demo admin and agent once; every test starts as the admin unless it says
  // otherwise (test.use({ storageState: … })).
  globalSetup: "./e2e/global-setup.ts",
  outputDir: "./test-results/playwright",
  timeout: 90_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [
    ["list"],
    [
      "json",
      { outputFile: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ?? "test-results/playwright.json" },
    ],
  ],
  use: {
    baseURL,
    storageState: stateFile("admin"),
    viewport: { width: 1280, height: 800 },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
  },
});
