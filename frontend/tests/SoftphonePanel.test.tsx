import "./mocks";
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useSyncExternalStore } from "react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { Dialer } from "@/features/dialer/Dialer";
import { SoftphonePanel } from "@/features/softphone/SoftphonePanel";
import { ApiError, api } from "@/lib/api";
import type { User, UserAgent } from "@/lib/types";
import type { SdkClient } from "@/lib/webrtc/softphone";
import { makeCall, renderApp } from "./utils";

// The panel and the dialer with a real Softphone whose SDK is a stand-in: what is tested is
// what the screens do with its state, and what they send to the API.
const sdk = vi.hoisted(() => ({ ready: [] as (() => void)[] }));

vi.mock("@/lib/webrtc/browser", async () => {
  const { Softphone: SP } = await import("@/lib/webrtc/softphone");
  const phone = new SP({
    fetchToken: async () => ({ token: "t", expires_at: "2999-01-01T00:00:00Z", sip_username: "u" }),
    createClient: async () => {
      const handlers = new Map<string, (p: unknown) => void>();
      sdk.ready.push(() => handlers.get("telnyx.ready")?.(undefined));
      return {
        on: (e: string, cb: (p: never) => void) => handlers.set(e, cb as (p: unknown) => void),
        connect: () => undefined,
        disconnect: () => undefined,
        login: () => undefined,
      } satisfies SdkClient;
    },
    probeMicrophone: async () => undefined,
    remoteAudio: () => null,
    channel: null,
    tabId: "t",
    now: () => Date.now(),
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (h) => clearTimeout(h as number),
  });
  return {
    AUDIO_KEYS: { mic: "m", output: "o", volume: "v" },
    getSoftphone: () => phone,
    useSoftphone: () => useSyncExternalStore(phone.subscribe, phone.getState, phone.getState),
    canChooseOutput: () => false,
    currentVolume: () => 1,
    setOutputDevice: async () => undefined,
    setVolume: () => undefined,
  };
});

vi.mock("@/lib/api", async (orig) => {
  const real = await orig<typeof import("@/lib/api")>();
  return {
    ...real,
    api: {
      me: vi.fn(),
      updateMe: vi.fn(),
      dial: vi.fn(),
      calls: vi.fn(async () => ({ items: [], next_cursor: null })),
      contacts: vi.fn(async () => ({ items: [], next_cursor: null })),
      settings: vi.fn(async () => {
        throw new real.ApiError(404, { code: "not_found", detail: "No route" });
      }),
      numbers: vi.fn(async () => {
        throw new real.ApiError(404, { code: "not_found", detail: "No route" });
      }),
    },
  };
});

const { getSoftphone } = await import("@/lib/webrtc/browser");

function me(agent: Partial<UserAgent>): User {
  return {
    id: "u1",
    email: "agent@dialer.local",
    name: "Agent",
    role: "agent",
    disabled: false,
    created_at: "2026-01-01T00:00:00Z",
    agent: { mode: null, phone: null, effective_mode: "none", effective_phone: null, ...agent },
  };
}

beforeEach(() => {
  getSoftphone().stop();
  sdk.ready.length = 0;
  vi.mocked(api.me).mockReset();
  vi.mocked(api.updateMe).mockReset();
  vi.mocked(api.dial).mockReset();
});

describe("softphone panel", () => {
  it("choosing This browser saves the user's own mode and registers the softphone", async () => {
    const user = userEvent.setup();
    vi.mocked(api.me).mockResolvedValue(me({}));
    vi.mocked(api.updateMe).mockResolvedValue(me({ mode: "browser", effective_mode: "browser" }));
    renderApp(<SoftphonePanel />);
    const panel = await screen.findByRole("region", { name: "Softphone" });
    expect(panel).toHaveTextContent("Choose how you talk");
    await user.click(screen.getByLabelText("This browser"));
    expect(api.updateMe).toHaveBeenCalledWith({ agent_mode: "browser" });
    expect(await screen.findByTestId("softphone-status")).toHaveTextContent("Connecting…");
    await waitFor(() => expect(sdk.ready).toHaveLength(1));
    sdk.ready[0]!();
    await waitFor(() => expect(screen.getByTestId("softphone-status")).toHaveTextContent("Ready"));
  });

  it("phone mode saves the number; a bad number shows the server's field error", async () => {
    const user = userEvent.setup();
    vi.mocked(api.me).mockResolvedValue(me({}));
    vi.mocked(api.updateMe).mockRejectedValueOnce(
      new ApiError(400, {
        code: "invalid_agent_phone",
        detail: "Invalid agent phone",
        errors: [{ field: "agent_phone", message: "Enter the number in +E.164 form" }],
      }),
    );
    renderApp(<SoftphonePanel />);
    await user.click(await screen.findByLabelText("My phone"));
    expect(api.updateMe).not.toHaveBeenCalled();
    await user.type(screen.getByLabelText("Your phone number"), "12");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(api.updateMe).toHaveBeenCalledWith({ agent_mode: "phone", agent_phone: "12" });
    expect(await screen.findByText("Enter the number in +E.164 form")).toBeInTheDocument();
    expect(screen.getByLabelText("Your phone number")).toHaveAttribute("aria-invalid", "true");

    vi.mocked(api.updateMe).mockResolvedValueOnce(
      me({
        mode: "phone",
        phone: "+13125550100",
        effective_mode: "phone",
        effective_phone: "+13125550100",
      }),
    );
    await user.clear(screen.getByLabelText("Your phone number"));
    await user.type(screen.getByLabelText("Your phone number"), "+13125550100");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByTestId("phone-mode-note")).toHaveTextContent("use your handset");
  });
});

describe("dialer with the softphone", { timeout: 20_000 }, () => {
  async function fillNumbers(user: ReturnType<typeof userEvent.setup>) {
    await waitFor(() => expect(screen.getByLabelText("From")).toBeEnabled());
    await user.type(screen.getByLabelText("From"), "+12125550200");
    await user.type(screen.getByLabelText("To"), "2125550100");
  }
  const callButton = () => screen.getByRole("button", { name: "Call" });

  it("in browser mode Call waits for the softphone, then sends agent_ready and expects the agent leg", async () => {
    const user = userEvent.setup();
    vi.mocked(api.me).mockResolvedValue(me({ mode: "browser", effective_mode: "browser" }));
    vi.mocked(api.dial).mockResolvedValue(
      makeCall({
        agent_mode: "browser",
        phase: "calling_agent",
        agent_leg: {
          call_control_id: "v3:agent-1",
          status: "dialing",
          answered_at: null,
          ended_at: null,
          hangup_cause: null,
        },
      }),
    );
    renderApp(<Dialer />);
    await fillNumbers(user);
    await waitFor(() => expect(screen.getByText(/Softphone: Connecting/)).toBeInTheDocument());
    expect(callButton()).toBeDisabled();
    await waitFor(() => expect(sdk.ready).toHaveLength(1));
    sdk.ready[0]!();
    await waitFor(() => expect(callButton()).toBeEnabled());
    const placed = vi.spyOn(getSoftphone(), "dialPlaced");
    await user.click(callButton());
    await waitFor(() => expect(api.dial).toHaveBeenCalled());
    expect(vi.mocked(api.dial).mock.calls[0]![0]).toMatchObject({ agent_ready: true });
    await waitFor(() => expect(placed).toHaveBeenCalledWith("v3:agent-1"));
  });

  it("a refused dial (agent_not_registered) says what to do next", async () => {
    const user = userEvent.setup();
    vi.mocked(api.me).mockResolvedValue(me({ mode: "browser", effective_mode: "browser" }));
    vi.mocked(api.dial).mockRejectedValue(
      new ApiError(409, {
        code: "agent_not_registered",
        title: "Softphone not registered",
        detail: "Open the softphone and allow the microphone.",
      }),
    );
    renderApp(<Dialer />);
    await fillNumbers(user);
    await waitFor(() => expect(sdk.ready).toHaveLength(1));
    sdk.ready[0]!();
    await waitFor(() => expect(callButton()).toBeEnabled());
    const failed = vi.spyOn(getSoftphone(), "dialFailed");
    await user.click(callButton());
    expect(await screen.findByRole("alert")).toHaveTextContent("Softphone not registered");
    expect(screen.getByRole("alert")).toHaveTextContent(/Next step: wait until the softphone/);
    expect(failed).toHaveBeenCalled();
  });

  it("without an agent mode the dial is today's (no agent_ready)", async () => {
    const user = userEvent.setup();
    vi.mocked(api.me).mockResolvedValue(me({}));
    vi.mocked(api.dial).mockResolvedValue(makeCall());
    renderApp(<Dialer />);
    await fillNumbers(user);
    await waitFor(() => expect(callButton()).toBeEnabled());
    await user.click(callButton());
    await waitFor(() => expect(api.dial).toHaveBeenCalled());
    expect(vi.mocked(api.dial).mock.calls[0]![0]).not.toHaveProperty("agent_ready");
  });
});
