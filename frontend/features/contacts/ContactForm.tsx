"use client";

import { useId, useMemo, useState } from "react";
import { ApiError, api, errorMessage } from "@/lib/api";
import { EMPTY_DRAFT, toInput, validateContact, type ContactDraft } from "@/lib/contacts";
import { DEFAULT_COUNTRY, displayNumber, isCountryCode, type CountryCode } from "@/lib/phone";
import { KEYS, storage } from "@/lib/storage";
import type { Contact, FieldError } from "@/lib/types";
import { TagInput } from "@/ui/TagInput";
import { Field } from "@/ui/Field";
import { buttonClass, inputClass } from "@/ui/primitives";

function fromContact(c: Contact): ContactDraft {
  return {
    name: c.name,
    phone: displayNumber(c.phone),
    email: c.email ?? "",
    company: c.company ?? "",
    notes: c.notes ?? "",
    tags: c.tags,
    favorite: c.favorite,
  };
}

const capitalise = (m: string) => m.charAt(0).toUpperCase() + m.slice(1);

/** Add or edit a contact. Field errors come from local checks first, then the server's problem. */
export function ContactForm({
  contact,
  onSaved,
  onCancel,
}: {
  contact?: Contact | null;
  onSaved: (c: Contact) => void;
  onCancel: () => void;
}) {
  const [draft, setDraft] = useState<ContactDraft>(() =>
    contact ? fromContact(contact) : EMPTY_DRAFT,
  );
  const [touched, setTouched] = useState(false);
  const [serverErrors, setServerErrors] = useState<FieldError[]>([]);
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const country = useMemo<CountryCode>(() => {
    const stored = storage.get(KEYS.country);
    return isCountryCode(stored) ? stored : DEFAULT_COUNTRY;
  }, []);
  const ids = {
    name: useId(),
    phone: useId(),
    email: useId(),
    company: useId(),
    notes: useId(),
    nameErr: useId(),
    phoneErr: useId(),
    emailErr: useId(),
    companyErr: useId(),
    notesErr: useId(),
  };

  const localErrors = validateContact(draft, country);
  const errorFor = (field: string) => {
    const server = serverErrors.find((e) => e.field === field)?.message;
    if (server) return capitalise(server);
    return touched ? localErrors.find((e) => e.field === field)?.message : undefined;
  };

  const set = <K extends keyof ContactDraft>(key: K, value: ContactDraft[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    setServerErrors((errs) => errs.filter((e) => e.field !== key));
    setFormError(null);
  };

  const submit = async () => {
    setTouched(true);
    if (localErrors.length) return;
    setSaving(true);
    setFormError(null);
    try {
      const input = toInput(draft, country);
      const saved = contact
        ? await api.updateContact(contact.id, input)
        : await api.createContact(input);
      onSaved(saved);
    } catch (err) {
      if (err instanceof ApiError && err.errors.length) {
        setServerErrors(err.errors);
      } else if (err instanceof ApiError && err.code === "duplicate_phone") {
        setServerErrors([{ field: "phone", message: err.detail }]);
      } else {
        setFormError(errorMessage(err));
      }
    } finally {
      setSaving(false);
    }
  };

  const invalid = (field: string) => (errorFor(field) ? true : undefined);
  const described = (field: string, id: string) => (errorFor(field) ? id : undefined);

  return (
    <form
      noValidate
      aria-label={contact ? "Edit contact" : "New contact"}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
      className="space-y-4"
    >
      <Field label="Name" htmlFor={ids.name} errorId={ids.nameErr} error={errorFor("name")}>
        <input
          id={ids.name}
          value={draft.name}
          onChange={(e) => set("name", e.target.value)}
          autoComplete="name"
          aria-invalid={invalid("name")}
          aria-describedby={described("name", ids.nameErr)}
          className={inputClass}
        />
      </Field>
      <Field
        label="Phone"
        htmlFor={ids.phone}
        errorId={ids.phoneErr}
        error={errorFor("phone")}
        hint={`Any format; numbers without a country code are read as ${country}.`}
      >
        <input
          id={ids.phone}
          type="tel"
          inputMode="tel"
          value={draft.phone}
          onChange={(e) => set("phone", e.target.value)}
          autoComplete="tel"
          aria-invalid={invalid("phone")}
          aria-describedby={described("phone", ids.phoneErr)}
          className={inputClass}
        />
      </Field>
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Email" htmlFor={ids.email} errorId={ids.emailErr} error={errorFor("email")}>
          <input
            id={ids.email}
            type="email"
            value={draft.email}
            onChange={(e) => set("email", e.target.value)}
            autoComplete="email"
            aria-invalid={invalid("email")}
            aria-describedby={described("email", ids.emailErr)}
            className={inputClass}
          />
        </Field>
        <Field
          label="Company"
          htmlFor={ids.company}
          errorId={ids.companyErr}
          error={errorFor("company")}
        >
          <input
            id={ids.company}
            value={draft.company}
            onChange={(e) => set("company", e.target.value)}
            autoComplete="organization"
            aria-invalid={invalid("company")}
            className={inputClass}
          />
        </Field>
      </div>
      <Field label="Notes" htmlFor={ids.notes} errorId={ids.notesErr} error={errorFor("notes")}>
        <textarea
          id={ids.notes}
          rows={3}
          value={draft.notes}
          onChange={(e) => set("notes", e.target.value)}
          aria-invalid={invalid("notes")}
          className={inputClass}
        />
      </Field>
      <TagInput
        label="Tags"
        value={draft.tags}
        onChange={(t) => set("tags", t)}
        error={errorFor("tags")}
      />
      <label className="flex items-center gap-2 text-sm text-slate-700">
        <input
          type="checkbox"
          checked={draft.favorite}
          onChange={(e) => set("favorite", e.target.checked)}
          className="size-4 accent-indigo-600"
        />
        Favorite (shown first on the dialer)
      </label>
      {formError ? (
        <p
          role="alert"
          className="rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-800 ring-1 ring-rose-200"
        >
          {formError}
        </p>
      ) : null}
      <div className="flex flex-col-reverse gap-2 pt-2 sm:flex-row sm:justify-end">
        <button type="button" onClick={onCancel} className={buttonClass("secondary")}>
          Cancel
        </button>
        <button type="submit" disabled={saving} className={buttonClass("primary")}>
          {saving ? "Saving…" : contact ? "Save changes" : "Add contact"}
        </button>
      </div>
    </form>
  );
}
