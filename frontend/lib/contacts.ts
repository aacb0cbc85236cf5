import { checkNumber, type CountryCode } from "./phone";
import type { ContactInput, FieldError } from "./types";

export interface ContactDraft {
  name: string;
  phone: string;
  email: string;
  company: string;
  notes: string;
  tags: string[];
  favorite: boolean;
}

export const EMPTY_DRAFT: ContactDraft = {
  name: "",
  phone: "",
  email: "",
  company: "",
  notes: "",
  tags: [],
  favorite: false,
};

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@.]+$/;

/** The checks the server makes too, so most mistakes show before a round trip. */
export function validateContact(draft: ContactDraft, country: CountryCode): FieldError[] {
  const errors: FieldError[] = [];
  const name = draft.name.trim();
  if (!name) errors.push({ field: "name", message: "Enter a name" });
  else if (name.length > 200) errors.push({ field: "name", message: "At most 200 characters" });
  if (!draft.phone.trim()) errors.push({ field: "phone", message: "Enter a phone number" });
  else {
    const check = checkNumber(draft.phone, country);
    if (!check.valid) errors.push({ field: "phone", message: check.reason });
  }
  const email = draft.email.trim();
  if (email && !EMAIL.test(email)) {
    errors.push({ field: "email", message: "Not an email address" });
  }
  if (draft.notes.length > 5000) {
    errors.push({ field: "notes", message: "At most 5,000 characters" });
  }
  if (draft.tags.length > 20) errors.push({ field: "tags", message: "At most 20 tags" });
  return errors;
}

/** The body the API takes; the phone goes out in E.164 when it parses. */
export function toInput(draft: ContactDraft, country: CountryCode): ContactInput {
  const check = checkNumber(draft.phone, country);
  const text = (v: string) => (v.trim() ? v.trim() : null);
  return {
    name: draft.name.trim(),
    phone: check.valid ? check.e164 : draft.phone.trim(),
    email: text(draft.email),
    company: text(draft.company),
    notes: text(draft.notes),
    tags: draft.tags,
    favorite: draft.favorite,
  };
}

export function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((w) => w[0]?.toUpperCase())
    .join("");
}

/** Link to the dialer with the number (and contact) filled in. */
export function dialHref(phone: string, contactId?: string): string {
  const qs = new URLSearchParams({ number: phone });
  if (contactId) qs.set("contact", contactId);
  return `/?${qs.toString()}`;
}

/** SWR key filter for every cached contacts list (plain or infinite) and the dialer's picks. */
export function isContactsKey(key: unknown): boolean {
  if (Array.isArray(key)) return key[0] === "contacts" || key[0] === "quick-contacts";
  return (
    typeof key === "string" && (key.includes('"contacts"') || key.includes('"quick-contacts"'))
  );
}
