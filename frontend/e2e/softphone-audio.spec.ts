import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import {
  ACCOUNTS,
  asAgent,
  bearer,
  callStatus,
  fillFrom,
  openDialer,
  signInThroughUi,
  signedOut,
  snap,
} from "./helpers";
import { CHROMIUM_ARGS, CHROMIUM_PATH, FAKE_MEDIA_ARGS } from "./chromium";

/**
 * The whole product with real audio: the agent signs in, talks through this browser (the real
 * `@telnyx/webrtc` in real Chromium with a fake microphone), the backend rings the page first
 * and then the customer, and the local stack's emulator is Telnyx's WebRTC gateway: it plays
 * the customer's voice to the page and measures what it hears from the page.
 */

test.use({
  launchOptions: {
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, ...FAKE_MEDIA_ARGS],
  },
});

type Media = {
  packets_received: number;
  voiced_ms: number;
  sending: string;
  hold_music: boolean;
  held: boolean;
};
type EmuCall = {
  call_control_id: string;
  state: string;
  to?: string;
  from?: string;
  bridged_with?: string | null;
};
type CallViewish = {
  call_id: string;
  status: string;
  phase?: string;
  agent_mode?: string;
  agent_leg?: { call_control_id: string; status: string } | null;
};

const agentHeaders = () => ({ ...bearer("agent"), "Content-Type": "application/json" });

let emulatorRoot = process.env.E2E_EMULATOR_URL?.replace(/\/+$/, "") ?? "";

/** The emulator's base URL: given by the runner, else the host the token endpoint hands out. */
async function emulator(request: APIRequestContext): Promise<string> {
  if (emulatorRoot) return emulatorRoot;
  const res = await request.post("/api/webrtc/token", { headers: agentHeaders() });
  expect(res.status(), await res.text()).toBe(200);
  const host = ((await res.json()) as { host?: string }).host ?? "";
  const url = new URL(host);
  emulatorRoot = `http://${url.host}`;
  return emulatorRoot;
}

async function media(request: APIRequestContext, ccid: string): Promise<Media> {
  const res = await request.get(
    `${await emulator(request)}/emulator/calls/${encodeURIComponent(ccid)}/media`,
  );
  expect(res.status()).toBe(200);
  return (await res.json()) as Media;
}

async function emuCall(request: APIRequestContext, ccid: string): Promise<EmuCall> {
  const res = await request.get(
    `${await emulator(request)}/emulator/calls/${encodeURIComponent(ccid)}`,
  );
  expect(res.status()).toBe(200);
  return (await res.json()) as EmuCall;
}

async function callView(request: APIRequestContext, id: string): Promise<CallViewish> {
  const res = await request.get(`/api/calls/${encodeURIComponent(id)}`, {
    headers: agentHeaders(),
  });
  expect(res.status()).toBe(200);
  return (await res.json()) as CallViewish;
}

/** The customer's leg: the emulator's live call to `to` that is not the agent's leg. */
async function customerLeg(request: APIRequestContext, to: string, agentLeg: string) {
  let found = "";
  await expect
    .poll(async () => {
      const bridged = (await emuCall(request, agentLeg)).bridged_with;
      if (bridged) return (found = bridged);
      const res = await request.get(`${await emulator(request)}/emulator/calls`);
      const calls = (await res.json()) as EmuCall[];
      found =
        calls.find((c) => c.call_control_id !== agentLeg && c.to === to && c.state !== "ended")
          ?.call_control_id ?? "";
      return found;
    })
    .not.toBe("");
  return found;
}

async function setMode(request: APIRequestContext, body: Record<string, unknown>) {
  const res = await request.patch("/api/auth/me", { headers: agentHeaders(), data: body });
  expect(res.status(), await res.text()).toBe(200);
}

/** Audio energy per second of samples the page received over the next `ms` (getStats). */
async function heardRate(page: Page, ms: number): Promise<number> {
  const read = () =>
    page.evaluate(async () => {
      const phone = (
        window as unknown as { __softphone?: { peerConnection(): RTCPeerConnection | null } }
      ).__softphone;
      const pc = phone?.peerConnection();
      let energy = 0;
      let duration = 0;
      if (pc) {
        (await pc.getStats()).forEach((s: Record<string, unknown>) => {
          if (s.type === "inbound-rtp" && s.kind === "audio") {
            energy = Number(s.totalAudioEnergy ?? 0);
            duration = Number(s.totalSamplesDuration ?? 0);
          }
        });
      }
      return { energy, duration };
    });
  const a = await read();
  await page.waitForTimeout(ms);
  const b = await read();
  return (b.energy - a.energy) / Math.max(b.duration - a.duration, 1e-6);
}

function logPage(page: Page) {
  page.on("pageerror", (e) => console.log(`page error: ${e.message}`));
}

async function dial(page: Page, number: string): Promise<string> {
  await fillFrom(page);
  await page.getByLabel("To", { exact: true }).fill(number);
  await page.getByRole("button", { name: "Call", exact: true }).click();
  await expect(page).toHaveURL(/\/call\/\?id=/);
  return new URL(page.url()).searchParams.get("id")!;
}

test.afterAll(async ({ request }) => {
  // Back to the team default, so other specs dial as before.
  await request.patch("/api/auth/me", {
    headers: agentHeaders(),
    data: { agent_mode: null, agent_phone: null },
  });
});

test("browser mode: the page hears the customer and is heard; mute, hold and hangup act on real audio", async ({
  browser,
  request,
}) => {
  const context = await browser.newContext({ ...signedOut });
  const page = await context.newPage();
  logPage(page);
  await setMode(request, { agent_mode: null, agent_phone: null });

  // Sign in as the agent; hold the first token back a moment to see "connecting".
  await page.goto("/signin/");
  await signInThroughUi(page, ACCOUNTS.agent.email, ACCOUNTS.agent.password);
  await expect(page.getByRole("group", { name: "Dial pad" })).toBeVisible();
  let release: () => void = () => undefined;
  const held = new Promise<void>((r) => (release = r));
  await page.route("**/api/webrtc/token", async (route) => {
    await held;
    await route.continue();
  });
  const panel = page.getByRole("region", { name: "Softphone" });
  await panel.getByLabel("This browser").check();
  await expect(panel.getByTestId("softphone-status")).toHaveText("Connecting…");
  await fillFrom(page);
  await page.getByLabel("To", { exact: true }).fill("+1 212 555 0100");
  await expect(page.getByText(/Softphone: Connecting/)).toBeVisible();
  await expect(page.getByRole("button", { name: "Call", exact: true })).toBeDisabled();
  await snap(page, "softphone-connecting");
  release(); // the route stays: later token requests pass straight through
  await expect(panel.getByTestId("softphone-status")).toHaveText("Ready", { timeout: 20_000 });
  await expect(panel.getByTestId("mic-level")).toBeVisible();
  await snap(page, "softphone-ready");

  const to = "+12125550100";
  const id = await dial(page, "+1 212 555 0100");
  await expect(page.getByRole("list", { name: "Call progress" })).toBeVisible();
  await expect(callStatus(page)).toHaveText("Connected", { timeout: 30_000 });
  await expect(page.getByTestId("browser-leg")).toHaveText("Talking through this browser");
  const view = await callView(request, id);
  expect(view.agent_mode).toBe("browser");
  expect(view.phase).toBe("connected");
  const agentLeg = view.agent_leg!.call_control_id;
  const customer = await customerLeg(request, to, agentLeg);
  await expect.poll(async () => (await media(request, agentLeg)).sending).toBe("voice");
  await snap(page, "softphone-in-call");

  // The emulator hears the agent's (fake) microphone.
  const m0 = await media(request, agentLeg);
  await expect
    .poll(async () => (await media(request, agentLeg)).voiced_ms, { timeout: 20_000 })
    .toBeGreaterThan(m0.voiced_ms + 200);

  // The page plays the customer's voice.
  const voiceRate = await heardRate(page, 3000);
  expect(voiceRate, "the page hears the customer").toBeGreaterThan(0);

  // Mute: packets keep coming, voiced time stands still.
  await page.getByRole("button", { name: "Mute", exact: true }).click();
  await expect(page.getByRole("button", { name: "Unmute", exact: true })).toBeVisible();
  await page.waitForTimeout(600); // frames already in flight
  const muted = await media(request, agentLeg);
  await expect
    .poll(async () => (await media(request, agentLeg)).packets_received, { timeout: 15_000 })
    .toBeGreaterThan(muted.packets_received + 100);
  expect((await media(request, agentLeg)).voiced_ms).toBe(muted.voiced_ms);

  // Unmute: voiced time grows again.
  await page.getByRole("button", { name: "Unmute", exact: true }).click();
  await expect
    .poll(async () => (await media(request, agentLeg)).voiced_ms, { timeout: 15_000 })
    .toBeGreaterThan(muted.voiced_ms + 200);

  // Hold: the customer hears hold music; the page no longer hears the customer.
  await page.getByRole("button", { name: "Hold", exact: true }).click();
  await expect(callStatus(page)).toHaveText("On hold");
  await expect.poll(async () => (await media(request, customer)).hold_music).toBe(true);
  await expect.poll(async () => (await media(request, agentLeg)).sending).toBe("silence");
  await expect(page.getByTestId("browser-leg")).toHaveText(/On hold/);
  await page.waitForTimeout(500); // the jitter buffer still holds some voice
  const heldRate = await heardRate(page, 3000);
  console.log(`heard energy rate: voice ${voiceRate}, held ${heldRate}`);
  expect(voiceRate).toBeGreaterThan(heldRate * 5);
  await snap(page, "softphone-on-hold");
  await page.getByRole("button", { name: "Resume", exact: true }).click();
  await expect(callStatus(page)).toHaveText("Connected");
  await expect.poll(async () => (await media(request, customer)).hold_music).toBe(false);
  await expect.poll(async () => (await media(request, agentLeg)).sending).toBe("voice");

  // The page hangs up: both legs end.
  await page.getByRole("button", { name: "End call" }).click();
  await expect(callStatus(page)).toHaveText("Ended", { timeout: 15_000 });
  await expect.poll(async () => (await emuCall(request, agentLeg)).state).toBe("ended");
  await expect.poll(async () => (await emuCall(request, customer)).state).toBe("ended");
  await context.close();
});

test.describe("as the agent", () => {
  test.use(asAgent);

  test("the team's default phone mode: the agent's phone rings first, then the customer", async ({
    page,
    request,
  }) => {
    logPage(page);
    const admin = { ...bearer("admin"), "Content-Type": "application/json" };
    const put = (data: Record<string, unknown>) =>
      request.put("/api/settings", { headers: admin, data });
    // The agent's own choice must not override the team's default here: back to "none of my
    // own" (a stack without per-user modes has nothing to reset).
    const own = await request.patch("/api/auth/me", {
      headers: agentHeaders(),
      data: { agent_mode: null, agent_phone: null },
    });
    expect([200, 404, 405]).toContain(own.status());
    expect((await put({ agent_mode: "phone", agent_phone: "+13125550100" })).status()).toBe(200);
    try {
      await openDialer(page);
      const id = await dial(page, "+1 212 555 0100");
      await expect(callStatus(page)).toHaveText(/Calling your phone|Ringing|Connected/);
      await expect(page.getByTestId("use-handset")).toBeVisible();
      await expect(callStatus(page)).toHaveText("Connected", { timeout: 40_000 });
      await expect(page.getByTestId("call-phase")).toContainText("Connected");
      const view = await callView(request, id);
      expect(view).toMatchObject({ agent_mode: "phone", phase: "connected" });
      const agentLeg = view.agent_leg!.call_control_id;
      expect((await emuCall(request, agentLeg)).to).toBe("+13125550100");
      const customer = await customerLeg(request, "+12125550100", agentLeg);
      await snap(page, "softphone-phone-in-call");
      await page.getByRole("button", { name: "End call" }).click();
      await expect(callStatus(page)).toHaveText("Ended", { timeout: 15_000 });
      await expect.poll(async () => (await emuCall(request, agentLeg)).state).toBe("ended");
      await expect.poll(async () => (await emuCall(request, customer)).state).toBe("ended");
    } finally {
      await put({ agent_mode: "none" });
    }
  });

  test("the customer hanging up ends the page's call by itself", async ({ page, request }) => {
    logPage(page);
    await setMode(request, { agent_mode: "browser" });
    await openDialer(page);
    await expect(
      page.getByRole("region", { name: "Softphone" }).getByTestId("softphone-status"),
    ).toHaveText("Ready", { timeout: 20_000 });
    const id = await dial(page, "+1 212 555 0101");
    await expect(callStatus(page)).toHaveText("Connected", { timeout: 30_000 });
    const agentLeg = (await callView(request, id)).agent_leg!.call_control_id;
    // Scenario 0101: the customer hangs up 5 s after answering; nobody touches the page.
    await expect(callStatus(page)).toHaveText("Ended", { timeout: 20_000 });
    await expect(page.getByTestId("call-outcome")).toHaveText(/Completed/);
    await expect.poll(async () => (await emuCall(request, agentLeg)).state).toBe("ended");
    await expect
      .poll(() =>
        page.evaluate(
          () =>
            (
              window as unknown as {
                __softphone?: { getState(): { call: { state: string } | null } };
              }
            ).__softphone?.getState().call?.state,
        ),
      )
      .toBe("ended");
  });

  test("a dial while the page is not registered is refused before anything is sent", async ({
    request,
  }) => {
    await setMode(request, { agent_mode: "browser" });
    const res = await request.post("/api/telnyx/dial", {
      headers: agentHeaders(),
      data: { to_number: "+12125550100", from_number: "+13125550201", agent_ready: false },
    });
    expect(res.status()).toBe(409);
    expect(((await res.json()) as { code: string }).code).toBe("agent_not_registered");
  });

  test("a blocked microphone says so, with the next step, and the dial waits", async ({
    page,
    request,
  }) => {
    await setMode(request, { agent_mode: "browser" });
    await page.addInitScript(() => {
      const deny = () => Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
      Object.defineProperty(navigator.mediaDevices, "getUserMedia", { value: deny });
    });
    await openDialer(page);
    const panel = page.getByRole("region", { name: "Softphone" });
    await expect(panel.getByTestId("softphone-status")).toHaveText("Microphone blocked");
    await expect(panel.getByTestId("softphone-problem")).toContainText("Allow the microphone");
    await fillFrom(page);
    await page.getByLabel("To", { exact: true }).fill("+1 212 555 0100");
    await expect(page.getByRole("button", { name: "Call", exact: true })).toBeDisabled();
    await expect(page.getByText(/Softphone: Microphone blocked/)).toBeVisible();
    await snap(page, "softphone-mic-blocked");
  });

  test("a second tab takes the calls; the first one says so", async ({
    page,
    context,
    request,
  }) => {
    await setMode(request, { agent_mode: "browser" });
    await openDialer(page);
    const status = page.getByRole("region", { name: "Softphone" }).getByTestId("softphone-status");
    await expect(status).toHaveText("Ready", { timeout: 20_000 });
    const second = await context.newPage();
    await openDialer(second);
    await expect(
      second.getByRole("region", { name: "Softphone" }).getByTestId("softphone-status"),
    ).toHaveText("Ready", { timeout: 20_000 });
    await expect(status).toHaveText("Open in another tab");
    await expect(page.getByText("This softphone is open in another tab")).toBeVisible();
    await snap(page, "softphone-other-tab");
    await second.close();
  });

  test("phone mode: the agent's phone rings first, then the customer; use your handset", async ({
    page,
    request,
  }) => {
    logPage(page);
    await setMode(request, { agent_mode: null, agent_phone: null });
    await openDialer(page);
    const panel = page.getByRole("region", { name: "Softphone" });
    await panel.getByLabel("My phone").check();
    await panel.getByLabel("Your phone number").fill("+1 312 555 0100");
    await panel.getByRole("button", { name: "Save" }).click();
    await expect(panel.getByTestId("phone-mode-note")).toContainText("use your handset");
    await snap(page, "softphone-phone-mode");

    const id = await dial(page, "+1 212 555 0100");
    await expect(page.getByTestId("use-handset")).toBeVisible();
    await expect(callStatus(page)).toHaveText("Connected", { timeout: 40_000 });
    const view = await callView(request, id);
    expect(view.agent_mode).toBe("phone");
    const agentLeg = view.agent_leg!.call_control_id;
    expect((await emuCall(request, agentLeg)).to).toBe("+13125550100");
    const customer = await customerLeg(request, "+12125550100", agentLeg);
    await page.getByRole("button", { name: "End call" }).click();
    await expect(callStatus(page)).toHaveText("Ended", { timeout: 15_000 });
    await expect.poll(async () => (await emuCall(request, agentLeg)).state).toBe("ended");
    await expect.poll(async () => (await emuCall(request, customer)).state).toBe("ended");
  });
});
