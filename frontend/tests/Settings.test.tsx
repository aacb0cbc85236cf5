import "./mocks";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { Settings } from "@/features/settings/Settings";
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
  dial_policy: {
    extra_countries: ["CA"],
    max_concurrent_calls: 3,
    max_calls_per_hour: 60,
    max_calls_per_day: 400,
  },
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

  it("shows an agent a read-only notice and the dial policy, and nothing to change", async () => {
    signInAs(AGENT);
    vi.mocked(api.numbers).mockResolvedValue({
      items: [{ phone_number: "+13125550201" }],
      next_cursor: null,
    });
    renderApp(<Settings />);
    expect(await screen.findByTestId("admin-only-notice")).toHaveTextContent(
      "Only administrators can change this",
    );
    const policy = await screen.findByTestId("dial-policy-readonly");
    expect(
      await within(policy).findByRole("list", { name: "Countries of the team's numbers" }),
    ).toHaveTextContent("United StatesUS");
    expect(within(policy).getByRole("list", { name: "Other countries allowed" })).toHaveTextContent(
      "CanadaCA",
    );
    expect(within(policy).getByTestId("limit-max_concurrent_calls")).toHaveTextContent("3");
    expect(within(policy).getByTestId("limit-max_calls_per_hour")).toHaveTextContent("60");
    expect(within(policy).getByTestId("limit-max_calls_per_day")).toHaveTextContent("400");
    expect(screen.queryByRole("form")).toBeNull();
    expect(screen.queryByRole("textbox")).toBeNull();
    expect(screen.queryByRole("spinbutton")).toBeNull();
    expect(screen.queryByRole("combobox")).toBeNull();
    expect(screen.queryByRole("button", { name: /Save|Remove|Add/ })).toBeNull();
    expect(screen.queryByRole("button", { name: "Send test webhook" })).toBeNull();
    expect(api.saveSettings).not.toHaveBeenCalled();
    expect(api.testWebhook).not.toHaveBeenCalled();
  });
});

describe("Settings: dial policy", () => {
  beforeEach(() => {
    vi.mocked(api.numbers).mockResolvedValue({
      items: [
        { phone_number: "+13125550201", country: "US" },
        { phone_number: "+442079460000", country: null },
      ],
      next_cursor: null,
    });
  });

  it("shows the team's countries, the extra ones by name and the limits", async () => {
    renderApp(<Settings />);
    const form = await screen.findByRole("form", { name: "Dial policy" });
    const team = await within(form).findByRole("list", {
      name: "Countries of the team's numbers",
    });
    expect(
      within(team)
        .getAllByRole("listitem")
        .map((li) => li.textContent),
    ).toEqual(["United KingdomGB", "United StatesUS"]);
    // The team's countries are not removable; the extra ones are.
    expect(within(team).queryByRole("button")).toBeNull();
    const extra = within(form).getByRole("list", { name: "Other countries allowed" });
    expect(extra).toHaveTextContent("CanadaCA");
    expect(within(extra).getByRole("button", { name: "Remove Canada" })).toBeEnabled();
    expect(within(form).getByLabelText("Calls at once")).toHaveValue(3);
    expect(within(form).getByLabelText("Calls per hour")).toHaveValue(60);
    expect(within(form).getByLabelText("Calls per day")).toHaveValue(400);
    expect(within(form).getByText(/1–1,000, not above the daily limit/)).toBeInTheDocument();
    // Nothing to add twice: allowed countries are not offered again.
    const picker = within(form).getByLabelText("Add a country");
    const offered = within(picker)
      .getAllByRole("option")
      .map((o) => (o as HTMLOptionElement).value);
    expect(offered).toContain("DE");
    expect(offered).not.toContain("CA");
    expect(offered).not.toContain("US");
    expect(offered).not.toContain("GB");
    expect(within(form).getByRole("button", { name: "Save" })).toBeDisabled();
  });

  it("sends only the dial policy, and only what changed", async () => {
    vi.mocked(api.saveSettings).mockImplementation(async (u) => ({
      ...base,
      dial_policy: { ...base.dial_policy, ...u.dial_policy },
    }));
    const user = userEvent.setup();
    renderApp(<Settings />);
    const form = await screen.findByRole("form", { name: "Dial policy" });
    await user.selectOptions(within(form).getByLabelText("Add a country"), "DE");
    await user.click(within(form).getByRole("button", { name: "Add" }));
    await user.selectOptions(within(form).getByLabelText("Add a country"), "BE");
    await user.click(within(form).getByRole("button", { name: "Add" }));
    await user.click(within(form).getByRole("button", { name: "Remove Canada" }));
    const perHour = within(form).getByLabelText("Calls per hour");
    await user.clear(perHour);
    await user.type(perHour, "30");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    expect(api.saveSettings).toHaveBeenCalledTimes(1);
    expect(api.saveSettings).toHaveBeenCalledWith({
      dial_policy: { extra_countries: ["BE", "DE"], max_calls_per_hour: 30 },
    });
    expect(await screen.findByText("Dial policy saved")).toBeInTheDocument();
    const saved = await screen.findByRole("form", { name: "Dial policy" });
    await waitFor(() =>
      expect(
        within(saved).getByRole("list", { name: "Other countries allowed" }),
      ).toHaveTextContent("BelgiumBEGermanyDE"),
    );
  });

  it("shows the server's field errors under their inputs", async () => {
    vi.mocked(api.saveSettings).mockRejectedValue(
      new ApiError(400, {
        code: "invalid_settings",
        detail: "Some settings are not valid",
        errors: [
          {
            field: "dial_policy.max_calls_per_hour",
            message: "cannot be more than the calls allowed per day",
          },
          { field: "dial_policy.max_concurrent_calls", message: "must be between 1 and 20" },
        ],
      }),
    );
    const user = userEvent.setup();
    renderApp(<Settings />);
    const form = await screen.findByRole("form", { name: "Dial policy" });
    const atOnce = within(form).getByLabelText("Calls at once");
    await user.clear(atOnce);
    await user.type(atOnce, "50");
    const perHour = within(form).getByLabelText("Calls per hour");
    await user.clear(perHour);
    await user.type(perHour, "900");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    expect(api.saveSettings).toHaveBeenCalledWith({
      dial_policy: { max_concurrent_calls: 50, max_calls_per_hour: 900 },
    });
    expect(
      await within(form).findByText("Cannot be more than the calls allowed per day"),
    ).toBeInTheDocument();
    expect(within(form).getByText("Must be between 1 and 20")).toBeInTheDocument();
    expect(perHour).toHaveAttribute("aria-invalid", "true");
    expect(atOnce).toHaveAttribute("aria-invalid", "true");
    expect(within(form).getByLabelText("Calls per day")).not.toHaveAttribute("aria-invalid");
    // The hint gives way to the error under the same input.
    expect(within(form).queryByText(/not above the daily limit/)).toBeNull();
  });

  it("shows a bad country code under the country picker", async () => {
    vi.mocked(api.saveSettings).mockRejectedValue(
      new ApiError(400, {
        code: "invalid_settings",
        detail: "Some settings are not valid",
        errors: [
          {
            field: "dial_policy.extra_countries",
            message: '"XK" is not a country code (use ISO codes such as "GB" or "DE")',
          },
        ],
      }),
    );
    const user = userEvent.setup();
    renderApp(<Settings />);
    const form = await screen.findByRole("form", { name: "Dial policy" });
    await user.selectOptions(within(form).getByLabelText("Add a country"), "XK");
    await user.click(within(form).getByRole("button", { name: "Add" }));
    await user.click(within(form).getByRole("button", { name: "Save" }));
    expect(await within(form).findByText(/"XK" is not a country code/)).toBeInTheDocument();
    expect(within(form).getByLabelText("Add a country")).toHaveAttribute("aria-invalid", "true");
  });

  it("asks for a whole number before sending", async () => {
    const user = userEvent.setup();
    renderApp(<Settings />);
    const form = await screen.findByRole("form", { name: "Dial policy" });
    await user.clear(within(form).getByLabelText("Calls per day"));
    await user.click(within(form).getByRole("button", { name: "Save" }));
    expect(await within(form).findByText("Enter a whole number")).toBeInTheDocument();
    expect(api.saveSettings).not.toHaveBeenCalled();
  });
});
