import "./mocks";
import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { ContactForm } from "@/features/contacts/ContactForm";
import { ApiError, api } from "@/lib/api";
import { validateContact, EMPTY_DRAFT } from "@/lib/contacts";
import type { Contact } from "@/lib/types";
import { renderApp } from "./utils";

vi.mock("@/lib/api", async (orig) => {
  const real = await orig<typeof import("@/lib/api")>();
  return { ...real, api: { createContact: vi.fn(), updateContact: vi.fn() } };
});

const saved: Contact = {
  id: "k1",
  name: "Ada Lovelace",
  phone: "+12125550100",
  email: null,
  company: null,
  notes: null,
  tags: [],
  favorite: false,
  created_at: "2026-11-24T10:00:00Z",
  updated_at: "2026-11-24T10:00:00Z",
  call_count: 0,
  last_called_at: null,
};

beforeEach(() => {
  vi.mocked(api.createContact).mockReset();
  vi.mocked(api.updateContact).mockReset();
});

function setup(contact?: Contact) {
  const onSaved = vi.fn();
  const onCancel = vi.fn();
  renderApp(<ContactForm contact={contact} onSaved={onSaved} onCancel={onCancel} />);
  return { onSaved, onCancel, user: userEvent.setup() };
}

describe("validateContact", () => {
  it("names every missing or bad field", () => {
    const errors = validateContact({ ...EMPTY_DRAFT, email: "nope" }, "US");
    expect(errors.map((e) => e.field).sort()).toEqual(["email", "name", "phone"]);
    expect(validateContact({ ...EMPTY_DRAFT, name: "A", phone: "(212) 555-0100" }, "US")).toEqual(
      [],
    );
    expect(validateContact({ ...EMPTY_DRAFT, name: "A", phone: "212 55" }, "US")[0]).toEqual({
      field: "phone",
      message: "Number is too short",
    });
  });
});

describe("ContactForm", () => {
  it("shows field errors on submit and sends nothing", async () => {
    const { user } = setup();
    await user.click(screen.getByRole("button", { name: "Add contact" }));
    expect(screen.getByText("Enter a name")).toBeInTheDocument();
    expect(screen.getByText("Enter a phone number")).toBeInTheDocument();
    expect(screen.getByLabelText("Name")).toHaveAttribute("aria-invalid", "true");
    expect(api.createContact).not.toHaveBeenCalled();
  });

  it("sends E.164 and trimmed fields, then reports the saved contact", async () => {
    vi.mocked(api.createContact).mockResolvedValue(saved);
    const { user, onSaved } = setup();
    await user.type(screen.getByLabelText("Name"), "  Ada Lovelace ");
    await user.type(screen.getByLabelText("Phone"), "(212) 555-0100");
    await user.type(screen.getByLabelText("Tags"), "vip,");
    await user.click(screen.getByRole("button", { name: "Add contact" }));
    expect(api.createContact).toHaveBeenCalledWith({
      name: "Ada Lovelace",
      phone: "+12125550100",
      email: null,
      company: null,
      notes: null,
      tags: ["vip"],
      favorite: false,
    });
    expect(onSaved).toHaveBeenCalledWith(saved);
  });

  it("puts the server's field errors under their fields", async () => {
    vi.mocked(api.createContact).mockRejectedValue(
      new ApiError(422, {
        code: "invalid_contact",
        detail: "The contact has errors",
        errors: [{ field: "email", message: "is not an email address" }],
      }),
    );
    const { user } = setup();
    await user.type(screen.getByLabelText("Name"), "Ada");
    await user.type(screen.getByLabelText("Phone"), "2125550100");
    await user.type(screen.getByLabelText("Email"), "ada@example.com");
    await user.click(screen.getByRole("button", { name: "Add contact" }));
    expect(await screen.findByText("Is not an email address")).toBeInTheDocument();
    expect(screen.getByLabelText("Email")).toHaveAttribute("aria-invalid", "true");
  });

  it("a number already taken shows on the phone field", async () => {
    vi.mocked(api.createContact).mockRejectedValue(
      new ApiError(409, {
        code: "duplicate_phone",
        detail: "another contact already has this phone number",
      }),
    );
    const { user } = setup();
    await user.type(screen.getByLabelText("Name"), "Ada");
    await user.type(screen.getByLabelText("Phone"), "2125550100");
    await user.click(screen.getByRole("button", { name: "Add contact" }));
    expect(
      await screen.findByText("Another contact already has this phone number"),
    ).toBeInTheDocument();
    expect(screen.getByLabelText("Phone")).toHaveAttribute("aria-invalid", "true");
  });

  it("edits with PUT, starting from the contact's values", async () => {
    vi.mocked(api.updateContact).mockResolvedValue({ ...saved, company: "Analytical" });
    const { user, onSaved } = setup(saved);
    expect(screen.getByLabelText("Name")).toHaveValue("Ada Lovelace");
    expect(screen.getByLabelText("Phone")).toHaveValue("+1 212 555 0100");
    await user.type(screen.getByLabelText("Company"), "Analytical");
    await user.click(screen.getByRole("button", { name: "Save changes" }));
    expect(api.updateContact).toHaveBeenCalledWith(
      "k1",
      expect.objectContaining({ company: "Analytical", phone: "+12125550100" }),
    );
    expect(onSaved).toHaveBeenCalled();
  });
});
