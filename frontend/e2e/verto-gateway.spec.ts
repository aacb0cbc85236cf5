import { expect, test, type Page } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { CHROMIUM_ARGS, CHROMIUM_PATH, FAKE_MEDIA_ARGS } from "./chromium";

/**
 * The emulator as Telnyx's WebRTC gateway, against the real `@telnyx/webrtc` SDK in real
 * Chromium: a page registers with a login token, the test dials its SIP URI over REST, the
 * page auto-answers, and audio flows both ways over loopback. Runs against the emulator
 * binary alone (EMULATOR_BIN, default ../target/debug/emulator), which it starts itself.
 */

const EMULATOR_BIN = path.resolve(process.env.EMULATOR_BIN || "../target/debug/emulator");
const SDK_DIR = path.resolve("node_modules/@telnyx/webrtc");
const API_KEY = "KEY_EMULATOR_0123456789";
const CONNECTION_ID = "1700000000000000001";

test.use({
  launchOptions: {
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, ...FAKE_MEDIA_ARGS],
  },
});
test.describe.configure({ mode: "serial" });

type Hook = { data: { event_type: string; payload: Record<string, unknown> } };
type Media = {
  packets_received: number;
  voiced_ms: number;
  sending: string;
  leg: string;
  webrtc: boolean;
  rfc6464_level_dbov: number | null;
};
type Hearing = { energy: number; duration: number; rms: number };
/** What e2e/verto-page.html puts on `window`. */
type TestPage = {
  pageState: {
    ready: boolean;
    error: string | null;
    callState: string | null;
    firstAudioMs: number | null;
  };
  register(token: string, host: string): void;
  expectCall(callControlId: string): void;
  hearing(): Promise<Hearing>;
  control(what: "mute" | "unmute" | "hold" | "unhold" | "hangup"): Promise<string>;
};

let emulator: ChildProcess | undefined;
let root = "";
let testServer = "";
let hookServer: http.Server | undefined;
const hooks: Hook[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * One small loopback server for the test's side: it receives the emulator's webhooks and
 * serves the test page with the SDK's ESM bundle (a page served from 127.0.0.1 may open the
 * emulator's socket under Chromium's local-network-access rules; a routed page may not).
 */
async function startTestServer(): Promise<string> {
  const html = readFileSync(path.resolve("e2e/verto-page.html"), "utf8");
  const bundle = readFileSync(path.join(SDK_DIR, "lib/bundle.mjs"), "utf8");
  hookServer = http.createServer((req, res) => {
    if (req.method === "GET") {
      const isBundle = req.url === "/bundle.mjs";
      res.setHeader("content-type", isBundle ? "text/javascript" : "text/html");
      res.end(isBundle ? bundle : html);
      return;
    }
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      hooks.push(JSON.parse(body) as Hook);
      res.end("ok");
    });
  });
  await new Promise<void>((r) => hookServer!.listen(0, "127.0.0.1", () => r()));
  return `http://127.0.0.1:${(hookServer.address() as net.AddressInfo).port}`;
}

test.beforeAll(async () => {
  if (!existsSync(EMULATOR_BIN)) {
    throw new Error(`${EMULATOR_BIN} is missing: cargo build -p emulator (or set EMULATOR_BIN)`);
  }
  testServer = await startTestServer();
  const hookUrl = `${testServer}/hook`;
  const port = await freePort();
  root = `http://127.0.0.1:${port}`;
  emulator = spawn(EMULATOR_BIN, ["--port", String(port), "--webhook-url", hookUrl], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  await expect
    .poll(
      () =>
        fetch(`${root}/emulator/info`).then(
          (r) => r.ok,
          () => false,
        ),
      {
        timeout: 15_000,
      },
    )
    .toBe(true);
});

test.afterAll(() => {
  emulator?.kill("SIGTERM");
  hookServer?.close();
});

async function api(method: string, p: string, body?: unknown) {
  const res = await fetch(`${root}/v2${p}`, {
    method,
    headers: { Authorization: `Bearer ${API_KEY}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

async function media(ccid: string): Promise<Media> {
  const res = await fetch(`${root}/emulator/calls/${encodeURIComponent(ccid)}/media`);
  return (await res.json()) as Media;
}

function events(ccid: string): string[] {
  return hooks.filter((h) => h.data.payload.call_control_id === ccid).map((h) => h.data.event_type);
}

/** A credential and its login token, as the backend would make them. */
async function agentToken(): Promise<{ token: string; sipUsername: string }> {
  const name = `verto-e2e-${Date.now()}`;
  const conn = await api("POST", "/credential_connections", {
    connection_name: name,
    user_name: name,
    password: "e2e-password-1",
  });
  expect(conn.status).toBe(201);
  const cred = await api("POST", "/telephony_credentials", {
    connection_id: JSON.parse(conn.text).data.id,
  });
  expect(cred.status).toBe(201);
  const { id, sip_username } = JSON.parse(cred.text).data;
  const tok = await api("POST", `/telephony_credentials/${id}/token`);
  expect(tok.status).toBe(201);
  return { token: tok.text, sipUsername: sip_username };
}

async function openPage(page: Page) {
  page.on("console", (m) => {
    if (m.type() === "error") console.log(`page: ${m.text().slice(0, 400)}`);
  });
  page.on("pageerror", (e) => console.log(`page error: ${e.message}`));
  await page.goto(`${testServer}/index.html`);
}

const hearing = (page: Page) => page.evaluate(() => (window as unknown as TestPage).hearing());

/** Audio energy per second of samples the page received over the next `ms`. */
async function heardRate(page: Page, ms: number): Promise<number> {
  const a = await hearing(page);
  await page.waitForTimeout(ms);
  const b = await hearing(page);
  return (b.energy - a.energy) / Math.max(b.duration - a.duration, 1e-6);
}

test("the pinned SDK is the release the emulator's Verto side was checked against", () => {
  const installed = JSON.parse(readFileSync(path.join(SDK_DIR, "package.json"), "utf8")).version;
  const pinned = JSON.parse(readFileSync("package.json", "utf8")).dependencies["@telnyx/webrtc"];
  const src = readFileSync(path.resolve("../emulator/src/webrtc/mod.rs"), "utf8");
  const checked = /VERTO_CHECKED_SDK_VERSION: &str = "([^"]+)"/.exec(src)?.[1];
  expect(pinned, "pin @telnyx/webrtc exactly").toBe(installed);
  expect(
    installed,
    "re-check the emulator's Verto messages against this SDK, then bump VERTO_CHECKED_SDK_VERSION",
  ).toBe(checked);
});

const onPage = <T>(page: Page, f: (w: TestPage) => T | Promise<T>) =>
  page.evaluate(`(${f.toString()})(window)`) as Promise<T>;

/** Logs the page in with a fresh credential's token; resolves once `telnyx.ready` fired. */
async function registerPage(page: Page): Promise<string> {
  const { token, sipUsername } = await agentToken();
  const info = (await (await fetch(`${root}/emulator/info`)).json()) as { verto_url: string };
  await openPage(page);
  await page.evaluate(
    ([t, h]) => (window as unknown as TestPage).register(t, h),
    [token, info.verto_url],
  );
  await expect.poll(() => onPage(page, (w) => w.pageState.ready)).toBe(true);
  return sipUsername;
}

/** Dials the page's SIP URI over REST, as the backend does; the page auto-answers it. */
async function dialPage(page: Page, sipUsername: string): Promise<string> {
  const dial = await api("POST", "/calls", {
    connection_id: CONNECTION_ID,
    to: `sip:${sipUsername}@sip.telnyx.com`,
    from: "+13125550201",
    timeout_secs: 60,
  });
  expect(dial.status).toBe(200);
  const agentLeg: string = JSON.parse(dial.text).data.call_control_id;
  await page.evaluate((id) => (window as unknown as TestPage).expectCall(id), agentLeg);
  await expect.poll(() => onPage(page, (w) => w.pageState.callState)).toBe("active");
  await expect.poll(() => events(agentLeg)).toContain("call.answered");
  return agentLeg;
}

/** A customer bridged on answer (the answering scenario picks up after 2 s). */
async function bridgeCustomer(agentLeg: string): Promise<string> {
  const customer = await api("POST", "/calls", {
    connection_id: CONNECTION_ID,
    to: "+13125550100",
    from: "+13125550201",
    link_to: agentLeg,
    bridge_intent: true,
    bridge_on_answer: true,
  });
  expect(customer.status).toBe(200);
  await expect.poll(() => events(agentLeg)).toContain("call.bridged");
  await expect.poll(async () => (await media(agentLeg)).sending).toBe("voice");
  return JSON.parse(customer.text).data.call_control_id;
}

/** The page hears the customer's voice; held over Verto, it hears (next to) nothing. */
async function pageHearsVoiceThenHold(page: Page, agentLeg: string) {
  const voiceRate = await heardRate(page, 3000);
  const { rms } = await hearing(page);
  expect(await onPage(page, (w) => w.control("hold"))).toBe("held");
  await expect.poll(async () => (await media(agentLeg)).sending).toBe("silence");
  await page.waitForTimeout(500); // the page's jitter buffer still holds some voice
  const heldRate = await heardRate(page, 3000);
  console.log(`heard energy rate: voice ${voiceRate}, held ${heldRate}; analyser rms ${rms}`);
  expect(voiceRate).toBeGreaterThan(heldRate * 5);
  expect(voiceRate).toBeGreaterThan(0);
  expect(rms, "analyser on the remote stream hears the voice").toBeGreaterThan(0);
  expect(await onPage(page, (w) => w.control("unhold"))).toBe("active");
}

/** Mute is local: packets keep coming, voiced time stops growing. */
async function muteStopsVoice(page: Page, agentLeg: string) {
  await onPage(page, (w) => w.control("mute"));
  await page.waitForTimeout(500); // frames already in flight
  const muted = await media(agentLeg);
  await expect
    .poll(async () => (await media(agentLeg)).packets_received, { timeout: 15_000 })
    .toBeGreaterThan(muted.packets_received + 100);
  expect((await media(agentLeg)).voiced_ms).toBe(muted.voiced_ms);
}

/** The page hangs up: its leg ends as the callee's, the bridged customer with it. */
async function hangupEndsBoth(page: Page, agentLeg: string, customerLeg: string) {
  await onPage(page, (w) => w.control("hangup"));
  await expect.poll(() => events(agentLeg)).toContain("call.hangup");
  await expect.poll(() => events(customerLeg)).toContain("call.hangup");
  const hangup = hooks.find(
    (h) => h.data.payload.call_control_id === agentLeg && h.data.event_type === "call.hangup",
  )!;
  expect(hangup.data.payload.hangup_source).toBe("callee");
  const calls = (await (await fetch(`${root}/emulator/calls`)).json()) as { state: string }[];
  expect(calls.every((c) => c.state === "ended")).toBe(true);
}

test("a registered page answers a dial, talks and listens, mutes, holds and hangs up", async ({
  page,
}) => {
  const agentLeg = await dialPage(page, await registerPage(page));

  // Chromium's fake microphone reaches the emulator as voiced PCMU, with RFC 6464 levels.
  const m0 = await media(agentLeg);
  expect(m0).toMatchObject({ leg: "agent", webrtc: true });
  await expect
    .poll(async () => (await media(agentLeg)).voiced_ms, { timeout: 20_000 })
    .toBeGreaterThan(m0.voiced_ms + 200);
  expect(typeof (await media(agentLeg)).rfc6464_level_dbov).toBe("number");
  const firstAudio = await onPage(page, (w) => w.pageState.firstAudioMs);
  console.log(`FIGURE browser_answer_to_first_audio_ms=${firstAudio?.toFixed(1)}`);
  expect(firstAudio, "the page got the gateway's audio").not.toBeNull();

  const customerLeg = await bridgeCustomer(agentLeg);
  await pageHearsVoiceThenHold(page, agentLeg);
  await muteStopsVoice(page, agentLeg);
  await hangupEndsBoth(page, agentLeg, customerLeg);
});
