// Runs the Playwright browser tests against the real local stack and prints a plain
// "playwright: N passed, N failed" line from the JSON report.
//
// The stack's URL comes from E2E_BASE_URL. Without it, the script starts the workspace's
// `local` binary itself (LOCAL_BIN, default ../target/debug/local) on a free port, serving
// this folder's out/, with a throwaway DATA_DIR.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const report = "test-results/playwright.json";

function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  console.log(`${CHROMIUM} is missing: installing Debian's chromium`);
  const opts = { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } };
  let r = spawnSync("apt-get", ["install", "-y", "-q", "chromium"], opts);
  if (r.status !== 0) {
    spawnSync("apt-get", ["update", "-q"], opts);
    r = spawnSync("apt-get", ["install", "-y", "-q", "chromium"], opts);
  }
  if (r.status !== 0 || !existsSync(CHROMIUM)) {
    console.error("could not install chromium");
    process.exit(1);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitUp(url, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/config.json`);
      if (res.ok) return true;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

async function startLocal() {
  const bin = path.resolve(process.env.LOCAL_BIN || "../target/debug/local");
  if (!existsSync(bin)) {
    console.error(
      `E2E_BASE_URL is not set and ${bin} does not exist: build it (cargo build -p local) or pass E2E_BASE_URL`,
    );
    process.exit(1);
  }
  if (!existsSync("out/index.html")) {
    console.error("out/ is missing: run `npm run build` first");
    process.exit(1);
  }
  const port = await freePort();
  const emulatorPort = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "dialer-e2e-"));
  const child = spawn(bin, [], {
    stdio: ["ignore", "inherit", "inherit"],
    env: {
      ...process.env,
      PORT: String(port),
      EMULATOR_PORT: String(emulatorPort),
      DATA_DIR: dataDir,
      FRONTEND_DIR: path.resolve("out"),
      // The no-answer scenario rings until this timeout: keep the test short.
      RING_TIMEOUT_SECS: process.env.RING_TIMEOUT_SECS || "5",
    },
  });
  const url = `http://127.0.0.1:${port}`;
  const up = await waitUp(url, 60_000);
  if (!up) {
    child.kill("SIGTERM");
    console.error(`local stack did not answer on ${url}`);
    process.exit(1);
  }
  return {
    url,
    emulatorUrl: `http://127.0.0.1:${emulatorPort}`,
    stop: () => {
      child.kill("SIGTERM");
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

ensureChromium();
let base = process.env.E2E_BASE_URL;
let stack = null;
if (!base) {
  stack = await startLocal();
  base = stack.url;
}
console.log(`e2e against ${base}`);
rmSync(report, { force: true });
rmSync("test-results/screenshots", { recursive: true, force: true });

const code = await new Promise((resolve) => {
  const child = spawn("npx", ["playwright", "test", ...process.argv.slice(2)], {
    stdio: "inherit",
    env: {
      ...process.env,
      E2E_BASE_URL: base,
      // The Verto gateway spec starts its own emulator: by default the one built beside LOCAL_BIN.
      EMULATOR_BIN:
        process.env.EMULATOR_BIN ||
        (process.env.LOCAL_BIN
          ? path.join(path.dirname(path.resolve(process.env.LOCAL_BIN)), "emulator")
          : path.resolve("../target/debug/emulator")),
      // The softphone spec reads the emulator's media measurements (the page finds its Verto
      // socket through the token endpoint's host).
      ...(stack ? { E2E_EMULATOR_URL: stack.emulatorUrl } : {}),
      PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: "1",
      PLAYWRIGHT_JSON_OUTPUT_NAME: report,
    },
  });
  child.on("exit", (c) => resolve(c ?? 1));
});
stack?.stop();

let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(report)) {
  const stats = JSON.parse(readFileSync(report, "utf8")).stats ?? {};
  passed = (stats.expected ?? 0) + (stats.flaky ?? 0);
  failed = stats.unexpected ?? 0;
  skipped = stats.skipped ?? 0;
} else {
  console.error(`no JSON report at ${report}`);
  failed = 1;
}
console.log(
  `playwright: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`,
);
process.exit(code !== 0 ? code : failed > 0 || passed === 0 ? 1 : 0);
