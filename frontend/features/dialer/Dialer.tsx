"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useId, useMemo, useRef, useState } from "react";
import type { ChangeEvent, FormEvent } from "react";
import useSWR, { useSWRConfig } from "swr";
import { ApiError, api, errorMessage } from "@/lib/api";
import { callKey } from "@/lib/hooks";
import {
  DEFAULT_COUNTRY,
  checkNumber,
  cleanNumberInput,
  countryName,
  displayNumber,
  formatAsYouType,
  isCountryCode,
  type CountryCode,
} from "@/lib/phone";
import { KEYS as STORE, storage } from "@/lib/storage";
import type { CallView } from "@/lib/types";
import { useIsAdmin } from "@/features/admin/Admin";
import { CountrySelect } from "@/ui/CountrySelect";
import { FromField } from "./FromField";
import { BackspaceIcon, CheckIcon, PhoneIcon } from "@/ui/icons";
import { Keypad, isKeypadKey, type Key } from "./Keypad";
import { QuickContacts, type QuickPick } from "./QuickContacts";
import { RecentCalls } from "./RecentCalls";
import { useToast } from "@/ui/Toasts";
import { Card, InlineError, focusRing } from "@/ui/primitives";
import { SoftphonePanel } from "@/features/softphone/SoftphonePanel";
import { dialNextStep, useDialAgent } from "@/features/softphone/agent";

function isEditable(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return (
    target.isContentEditable ||
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement
  );
}

/**
 * What the number field holds after an edit. Formatting characters are not in the stored
 * value, so deleting one ("(212) |") must delete the digit before it instead.
 */
export function nextRawValue(previousRaw: string, previousShown: string, typed: string): string {
  const cleaned = cleanNumberInput(typed);
  if (cleaned === previousRaw && typed.length < previousShown.length) {
    return previousRaw.slice(0, -1);
  }
  return cleaned;
}

export interface DialerProps {
  /** Start with this number in the field (e.g. from a "call back" link). */
  initialNumber?: string;
}

export function Dialer({ initialNumber = "" }: DialerProps) {
  const router = useRouter();
  const toast = useToast();
  const admin = useIsAdmin();
  const { mutate } = useSWRConfig();
  const inputRef = useRef<HTMLInputElement>(null);
  const ids = { number: useId(), hint: useId(), reason: useId(), error: useId(), auto: useId() };
  const { data: settings } = useSWR("settings", api.settings, {
    shouldRetryOnError: false,
    revalidateOnFocus: false,
  });
  const autoRecord = settings?.recording?.auto_record === true;
  const agentLeg = useDialAgent();

  const [country, setCountry] = useState<CountryCode>(DEFAULT_COUNTRY);
  const [raw, setRaw] = useState(() => cleanNumberInput(initialNumber));
  const [from, setFrom] = useState("");
  const [record, setRecord] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [serverError, setServerError] = useState<ApiError | Error | null>(null);
  const [activeKey, setActiveKey] = useState<string | null>(null);
  // The contact being called (from a contact's Call button or a quick pick): kept while the
  // number stays theirs.
  const [contact, setContact] = useState<{ id: string; phone: string } | null>(null);

  // Remembered choices (read after mount: the page is prerendered without storage).
  useEffect(() => {
    const storedCountry = storage.get(STORE.country);
    // eslint-disable-next-line react-hooks/set-state-in-effect -- hydrating from storage once
    if (isCountryCode(storedCountry)) setCountry(storedCountry);
    const storedFrom = storage.get(STORE.from);
    if (storedFrom) setFrom(displayNumber(storedFrom));
    setRecord(storage.get(STORE.record) === "1");
    const params = new URLSearchParams(window.location.search);
    const fromLink = params.get("number");
    if (fromLink) setRaw(cleanNumberInput(fromLink));
    const contactLink = params.get("contact");
    if (fromLink && contactLink) setContact({ id: contactLink, phone: cleanNumberInput(fromLink) });
  }, []);

  const shown = formatAsYouType(raw, country);
  const to = useMemo(() => checkNumber(raw, country), [raw, country]);
  const fromCheck = useMemo(() => checkNumber(from, country), [from, country]);

  const toFieldError = serverError instanceof ApiError ? serverError.fieldError("to_number") : "";
  const fromFieldError =
    serverError instanceof ApiError ? serverError.fieldError("from_number") : "";

  let disabledReason: string | null = null;
  if (!to.valid) disabledReason = to.reason;
  else if (!from.trim()) disabledReason = "Enter the number to call from";
  else if (!fromCheck.valid) disabledReason = `From: ${fromCheck.reason}`;
  else if (agentLeg.blockReason) disabledReason = agentLeg.blockReason;
  else if (submitting) disabledReason = null;
  const canCall = disabledReason === null && !submitting;

  const update = useCallback((next: string) => {
    setRaw(next);
    setServerError(null);
  }, []);

  // Functional updates: key presses can arrive faster than React re-renders.
  const press = useCallback((key: Key | "+") => {
    setRaw((r) => cleanNumberInput(r + key));
    setServerError(null);
  }, []);

  const backspace = useCallback(() => {
    setRaw((r) => r.slice(0, -1));
    setServerError(null);
  }, []);

  const submit = useCallback(async () => {
    if (!to.valid || !fromCheck.valid || submitting) return;
    setSubmitting(true);
    setServerError(null);
    try {
      const contactId = contact && contact.phone === raw ? contact.id : undefined;
      const call = await api.dial({
        to_number: to.e164,
        from_number: fromCheck.e164,
        record,
        ...(contactId ? { contact_id: contactId } : {}),
        ...agentLeg.prepare(),
      });
      agentLeg.placed(call);
      storage.set(STORE.from, fromCheck.e164);
      storage.set(STORE.currentCall, call.call_id);
      storage.set(STORE.country, country);
      await mutate<CallView>(callKey(call.call_id), call, { revalidate: false });
      toast.success(`Calling ${displayNumber(call.to_number)}`);
      router.push(`/call/?id=${encodeURIComponent(call.call_id)}`);
    } catch (err) {
      agentLeg.failed();
      setServerError(err instanceof Error ? err : new Error(errorMessage(err)));
      setSubmitting(false);
    }
  }, [to, fromCheck, submitting, record, country, mutate, toast, router, contact, raw, agentLeg]);

  const submitRef = useRef(submit);
  useEffect(() => {
    submitRef.current = submit;
  }, [submit]);

  // Physical keyboard: digits, * and #, Backspace and Enter work anywhere on the page that is
  // not a text field (inside the number field the browser's own editing applies).
  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isEditable(e.target)) return;
      if (e.target instanceof HTMLButtonElement && (e.key === "Enter" || e.key === " ")) return;
      if (isKeypadKey(e.key) || e.key === "+") {
        e.preventDefault();
        press(e.key);
        setActiveKey(e.key);
        window.setTimeout(() => setActiveKey(null), 120);
      } else if (e.key === "Backspace") {
        e.preventDefault();
        backspace();
      } else if (e.key === "Enter") {
        e.preventDefault();
        void submitRef.current();
      }
    };
    const onPaste = (e: ClipboardEvent) => {
      if (isEditable(e.target)) return;
      const text = e.clipboardData?.getData("text") ?? "";
      if (!text) return;
      e.preventDefault();
      update(cleanNumberInput(text));
    };
    window.addEventListener("keydown", onKeyDown);
    window.addEventListener("paste", onPaste);
    return () => {
      window.removeEventListener("keydown", onKeyDown);
      window.removeEventListener("paste", onPaste);
    };
  }, [press, backspace, update]);

  const onNumberChange = (e: ChangeEvent<HTMLInputElement>) => {
    update(nextRawValue(raw, shown, e.target.value));
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit();
  };

  const onCountryChange = (c: CountryCode) => {
    setCountry(c);
    storage.set(STORE.country, c);
    setServerError(null);
  };

  const onFromChange = (value: string) => {
    setFrom(value);
    setServerError(null);
  };

  const onRecordChange = (on: boolean) => {
    setRecord(on);
    storage.set(STORE.record, on ? "1" : "0");
  };

  const pickRecent = (number: string) => {
    update(cleanNumberInput(number));
    setContact(null);
    inputRef.current?.focus();
  };

  const pickContact = (p: QuickPick) => {
    const phone = cleanNumberInput(p.phone);
    update(phone);
    setContact({ id: p.id, phone });
  };

  const hint = !raw ? (
    <span className="text-slate-500">Type, paste or tap a number</span>
  ) : to.valid ? (
    <span className="inline-flex items-center gap-1 text-emerald-700">
      <CheckIcon size={14} />
      {to.country ? `${countryName(to.country)} · ` : ""}
      {to.international}
    </span>
  ) : (
    <span className="text-slate-600">{to.reason}</span>
  );

  return (
    <div className="grid grid-cols-[minmax(0,1fr)] items-start gap-6 lg:grid-cols-[minmax(0,26rem)_minmax(0,1fr)] lg:gap-8">
      <Card className="mx-auto w-full max-w-md p-5 sm:p-6">
        <form onSubmit={onSubmit} noValidate aria-label="Dialer">
          <h1 className="sr-only">Phone</h1>
          <QuickContacts
            onPick={pickContact}
            selectedId={contact && contact.phone === raw ? contact.id : null}
          />
          <FromField
            value={from}
            onChange={onFromChange}
            check={fromCheck}
            serverError={fromFieldError}
          />

          <div className="mt-5">
            <label htmlFor={ids.number} className="text-sm font-medium text-slate-700">
              To
            </label>
            <div className="mt-1 flex items-stretch gap-2">
              <CountrySelect value={country} onChange={onCountryChange} />
              <input
                ref={inputRef}
                id={ids.number}
                name="to_number"
                type="tel"
                inputMode="tel"
                autoComplete="tel"
                placeholder="Phone number"
                value={shown}
                onChange={onNumberChange}
                aria-invalid={toFieldError ? true : undefined}
                aria-describedby={`${ids.hint}${toFieldError ? ` ${ids.error}` : ""}`}
                className={`min-w-0 flex-1 rounded-lg border-0 bg-white px-3 py-2 text-xl font-medium tracking-wide text-slate-900 tabular-nums ring-1 ring-slate-300 placeholder:text-base placeholder:font-normal placeholder:tracking-normal placeholder:text-slate-400 focus:ring-2 focus:ring-indigo-600 focus:outline-none ${
                  toFieldError ? "ring-rose-500" : ""
                }`}
              />
            </div>
            <p id={ids.hint} aria-live="polite" className="mt-1.5 min-h-5 text-sm">
              {hint}
            </p>
            {toFieldError ? <InlineError id={ids.error}>{toFieldError}</InlineError> : null}
          </div>

          <div className="mt-4">
            <Keypad onPress={press} activeKey={activeKey} label="Dial pad" />
          </div>

          <label className="mt-5 flex cursor-pointer items-center justify-center gap-2 text-sm text-slate-700">
            <input
              type="checkbox"
              checked={record || autoRecord}
              disabled={autoRecord}
              aria-describedby={autoRecord ? ids.auto : undefined}
              onChange={(e) => onRecordChange(e.target.checked)}
              className={`size-4 rounded border-slate-300 accent-indigo-600 ${focusRing}`}
            />
            Record this call
          </label>
          {autoRecord ? (
            <p id={ids.auto} className="mt-1 text-center text-xs text-slate-500">
              Every call is recorded (Settings → Recording).
            </p>
          ) : null}

          {serverError ? (
            <div
              role="alert"
              className="mt-4 rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-800 ring-1 ring-rose-200"
            >
              <p className="font-medium">
                {serverError instanceof ApiError ? serverError.title : "Could not place the call"}
              </p>
              <p>{errorMessage(serverError)}</p>
              {dialNextStep(serverError) ? (
                <p className="mt-1">{dialNextStep(serverError)}</p>
              ) : null}
              {admin &&
              serverError instanceof ApiError &&
              serverError.code === "destination_country_not_allowed" ? (
                <p className="mt-1">
                  <Link
                    href="/settings/#dial-policy"
                    className={`rounded font-medium text-rose-900 underline ${focusRing}`}
                  >
                    Open the dial policy
                  </Link>
                </p>
              ) : null}
            </div>
          ) : null}

          <div className="mt-5 grid grid-cols-3 items-center justify-items-center">
            <span />
            <button
              type="submit"
              disabled={!canCall}
              aria-describedby={disabledReason ? ids.reason : undefined}
              className={`flex size-16 items-center justify-center rounded-full bg-emerald-600 text-white shadow-md transition hover:bg-emerald-700 active:scale-95 disabled:cursor-not-allowed disabled:bg-slate-300 disabled:text-slate-500 disabled:shadow-none sm:size-[4.5rem] ${focusRing}`}
            >
              {submitting ? (
                <span className="size-6 animate-spin rounded-full border-2 border-white/40 border-t-white" />
              ) : (
                <PhoneIcon size={28} />
              )}
              <span className="sr-only">{submitting ? "Calling…" : "Call"}</span>
            </button>
            <button
              type="button"
              onClick={backspace}
              disabled={!raw}
              aria-label="Delete last digit"
              className={`flex size-12 items-center justify-center rounded-full text-slate-600 hover:bg-slate-100 disabled:invisible ${focusRing}`}
            >
              <BackspaceIcon size={24} />
            </button>
          </div>
          <p id={ids.reason} className="mt-2 min-h-5 text-center text-sm text-slate-600">
            {submitting ? "Placing the call…" : disabledReason}
          </p>
        </form>
      </Card>
      <div className="grid gap-6">
        <SoftphonePanel />
        <RecentCalls onPick={pickRecent} />
      </div>
    </div>
  );
}
