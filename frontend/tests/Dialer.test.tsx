import "./mocks";
import { act, fireEvent, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { Dialer } from "@/features/dialer/Dialer";
import { ApiError, api } from "@/lib/api";
import { push } from "./mocks";
import { makeCall, renderApp } from "./utils";

vi.mock("@/lib/api", async (orig) => {
  const real = await orig<typeof import("@/lib/api")>();
  return {
    ...real,
    api: {
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

const numberField = () => screen.getByLabelText("To") as HTMLInputElement;
const fromField = () => screen.getByLabelText("From") as HTMLInputElement;
const callButton = () => screen.getByRole("button", { name: "Call" });
/** From is a disabled placeholder until the numbers and settings have answered. */
async function readyFrom() {
  await waitFor(() => expect(fromField()).toBeEnabled());
  return fromField();
}

beforeEach(() => {
  vi.mocked(api.dial).mockReset();
  push.mockReset();
});

describe("Dialer", () => {
  it("builds the number from keypad clicks, formatted as typed", async () => {
    const user = userEvent.setup();
    renderApp(<Dialer />);
    for (const name of ["2 ABC", "1", "2 ABC", "5 JKL", "5 JKL", "5 JKL", "0", "1", "0", "0"]) {
      await user.click(screen.getByRole("button", { name }));
    }
    expect(numberField()).toHaveValue("(212) 555-0100");
    expect(screen.getByText(/United States · \+1 212 555 0100/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Delete last digit" }));
    expect(numberField()).toHaveValue("(212) 555-010");
  });

  it("takes digits, *, #, Backspace from the physical keyboard", async () => {
    const user = userEvent.setup();
    renderApp(<Dialer />);
    await user.keyboard("2125550199");
    expect(numberField()).toHaveValue("(212) 555-0199");
    await user.keyboard("{Backspace}{Backspace}00");
    expect(numberField()).toHaveValue("(212) 555-0100");
    await user.keyboard("#");
    expect(numberField()).toHaveValue("2125550100#");
    expect(screen.getAllByText("* and # can only be sent during a call").length).toBeGreaterThan(0);
  });

  it("typing in the From field does not feed the number", async () => {
    const user = userEvent.setup();
    renderApp(<Dialer />);
    await user.type(await readyFrom(), "+12125550200");
    expect(fromField()).toHaveValue("+12125550200");
    expect(numberField()).toHaveValue("");
  });

  it("accepts a pasted number in any format", async () => {
    const user = userEvent.setup();
    renderApp(<Dialer />);
    await user.click(numberField());
    await user.paste("+1 (212) 555-0100");
    expect(numberField()).toHaveValue("+1 212 555 0100");
    // Pasting anywhere on the page (outside a field) also fills the number.
    fireEvent.change(numberField(), { target: { value: "" } });
    (document.activeElement as HTMLElement).blur();
    const paste = new Event("paste", { bubbles: true }) as Event & { clipboardData: unknown };
    paste.clipboardData = { getData: () => "tel:212.555.0101" };
    act(() => {
      document.body.dispatchEvent(paste);
    });
    expect(numberField()).toHaveValue("(212) 555-0101");
  });

  it("Call stays disabled with a visible reason until both numbers are valid", async () => {
    const user = userEvent.setup();
    renderApp(<Dialer />);
    const reason = () => document.getElementById(callButton().getAttribute("aria-describedby")!);
    expect(callButton()).toBeDisabled();
    expect(reason()).toHaveTextContent("Enter a phone number");
    await user.type(numberField(), "212555");
    expect(reason()).toHaveTextContent("Number is too short");
    await user.type(numberField(), "0100");
    expect(reason()).toHaveTextContent("Enter the number to call from");
    await user.type(await readyFrom(), "12");
    expect(reason()).toHaveTextContent("From: Number is too short");
    await user.clear(fromField());
    await user.type(await readyFrom(), "2125550200");
    expect(callButton()).toBeEnabled();
  });

  it("Enter dials in E.164, remembers the From number and opens the call", async () => {
    vi.mocked(api.dial).mockResolvedValue(makeCall({ call_id: "abc" }));
    const user = userEvent.setup();
    renderApp(<Dialer />);
    await user.type(await readyFrom(), "(212) 555-0200");
    (document.activeElement as HTMLElement).blur();
    await user.keyboard("2125550100{Enter}");
    await waitFor(() => expect(push).toHaveBeenCalledWith("/call/?id=abc"));
    expect(api.dial).toHaveBeenCalledWith({
      to_number: "+12125550100",
      from_number: "+12125550200",
      record: false,
    });
    expect(window.localStorage.getItem("dialer.from")).toBe("+12125550200");
  });

  it("remembers the last From number", async () => {
    window.localStorage.setItem("dialer.from", "+12125550299");
    renderApp(<Dialer />);
    expect(await readyFrom()).toHaveValue("+1 212 555 0299");
  });

  it("with the team's numbers, From is a picker that starts on the default caller ID", async () => {
    vi.mocked(api.numbers).mockResolvedValueOnce({
      items: [
        { phone_number: "+13125550201", status: "active" },
        { phone_number: "+14155550203", status: "active" },
      ],
      next_cursor: null,
    });
    vi.mocked(api.settings).mockResolvedValueOnce({
      default_caller_id: "+14155550203",
    } as Awaited<ReturnType<typeof api.settings>>);
    renderApp(<Dialer />);
    const from = await readyFrom();
    expect(from.tagName).toBe("SELECT");
    await waitFor(() => expect(from).toHaveValue("+14155550203"));
    expect(screen.getByRole("option", { name: "+1 415 555 0203 (default)" })).toBeInTheDocument();
  });

  it("shows the server's problem detail and field errors", async () => {
    vi.mocked(api.dial).mockRejectedValue(
      new ApiError(400, {
        title: "Invalid phone number",
        detail: "to_number is not a dialable number",
        code: "invalid_phone_number",
        errors: [{ field: "to_number", message: "This number cannot be dialed" }],
      }),
    );
    const user = userEvent.setup();
    renderApp(<Dialer />);
    await user.type(await readyFrom(), "+12125550200");
    await user.type(numberField(), "2125550100");
    await user.click(callButton());
    expect(await screen.findByText("to_number is not a dialable number")).toBeInTheDocument();
    expect(screen.getByText("This number cannot be dialed")).toBeInTheDocument();
    expect(numberField()).toHaveAttribute("aria-invalid", "true");
    expect(push).not.toHaveBeenCalled();
    // Editing the number clears the stale error.
    await user.type(numberField(), "{Backspace}");
    expect(screen.queryByText("This number cannot be dialed")).toBeNull();
  });
});
