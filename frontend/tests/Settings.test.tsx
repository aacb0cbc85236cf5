import "./mocks";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { Settings } from "@/components/Settings";
import { ApiError, api } from "@/lib/api";
import type { SettingsView } from "@/lib/types";
import { AGENT, renderApp, signInAs } from "./utils";

vi.mock("@/lib/api", async (orig) => {
  const real = await orig<typeof import("@/lib/api")>();
  return {
    ...real,
    api: { settings: vi.fn(), saveSettings: vi.fn(), numbers: vi.fn(), testWebhook: vi.fn() },
  };
});

const base: SettingsView = {
  telnyx_api_key: { configured: false, masked: null, writable: true },
  telnyx_public_key: null,
  telnyx_connection_id: "1700000000000000001",
  default_caller_id: null,
  recording: { auto_record: false, format: "mp3", channels: "dual" },
  hold_music_url: null,
  agent_mode: "none",
  agent_phone: null,
  webhook_url: "https://example.com/api/webhooks/telnyx",
};

const KEY = "KEY0123456789SECRETabcd";

beforeEach(() => {
  signInAs(); // an administrator: settings are theirs
  vi.mocked(api.settings).mockReset().mockResolvedValue(base);
  vi.mocked(api.saveSettings).mockReset();
  vi.mocked(api.numbers).mockReset().mockResolvedValue({ items: [], next_cursor: null });
  vi.mocked(api.testWebhook).mockReset();
});

describe("Settings", () => {
  it("sends a new API key once, then shows only the masked form", async () => {
    vi.mocked(api.saveSettings).mockResolvedValue({
      ...base,
      telnyx_api_key: { configured: true, masked: "••••abcd", writable: true },
    });
    const user = userEvent.setup();
    renderApp(<Settings />);
    const form = await screen.findByRole("form", { name: "Telnyx account" });
    const input = within(form).getByLabelText("API key");
    expect(input).toHaveAttribute("type", "password");
    expect(within(form).getByRole("button", { name: "Save" })).toBeDisabled();
    await user.type(input, KEY);
    await user.click(within(form).getByRole("button", { name: "Save" }));
    expect(api.saveSettings).toHaveBeenCalledWith({ telnyx_api_key: KEY });
    expect(await screen.findByText("••••abcd")).toBeInTheDocument();
    await waitFor(() => expect(screen.getByLabelText("API key")).toHaveValue(""));
    expect(document.body.innerHTML).not.toContain(KEY);
  });

  it("shows the server's field errors under the field", async () => {
    vi.mocked(api.saveSettings).mockRejectedValue(
      new ApiError(422, {
        code: "invalid_settings",
        detail: "Some settings are not valid",
        errors: [{ field: "hold_music_url", message: "must be an http(s) URL Telnyx can fetch" }],
      }),
    );
    const user = userEvent.setup();
    renderApp(<Settings />);
    const form = await screen.findByRole("form", { name: "Calling" });
    await user.type(within(form).getByLabelText("Hold music URL"), "ftp://x");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    expect(
      await within(form).findByText("Must be an http(s) URL Telnyx can fetch"),
    ).toBeInTheDocument();
  });

  it("reports the test webhook's result", async () => {
    vi.mocked(api.testWebhook).mockResolvedValue({
      supported: true,
      webhook_url: base.webhook_url!,
      event_id: "e1",
      arrived: true,
      verified: false,
      result: "signature_rejected",
      status: 401,
      error: null,
      advice: "Set the Telnyx public key.",
    });
    const user = userEvent.setup();
    renderApp(<Settings />);
    await user.click(await screen.findByRole("button", { name: "Send test webhook" }));
    const result = await screen.findByTestId("webhook-result");
    expect(result).toHaveTextContent("The endpoint refused the signature.");
    expect(result).toHaveTextContent("HTTP 401");
    expect(result).toHaveTextContent("Set the Telnyx public key.");
  });

  it("shows an agent a read-only notice and asks for nothing an agent may not read", async () => {
    signInAs(AGENT);
    renderApp(<Settings />);
    expect(await screen.findByTestId("admin-only-notice")).toHaveTextContent(
      "Only administrators can change this",
    );
    expect(screen.queryByRole("form")).toBeNull();
    expect(screen.queryByRole("button", { name: "Send test webhook" })).toBeNull();
    expect(api.settings).not.toHaveBeenCalled();
    expect(api.testWebhook).not.toHaveBeenCalled();
  });
});
