import { defineConfig } from "@playwright/test";

// The Verto gateway contract test: real Chromium and the pinned @telnyx/webrtc against the
// emulator binary alone (the spec starts it), no local stack and no sign-in.
//   EMULATOR_BIN=../target/debug/emulator npx playwright test -c playwright.verto.config.ts
export default defineConfig({
  testDir: "./e2e",
  testMatch: "verto-gateway.spec.ts",
  outputDir: "./test-results/playwright-verto",
  timeout: 90_000,
  expect: { timeout: 15_000 },
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: { trace: "retain-on-failure" },
});
