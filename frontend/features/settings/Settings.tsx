"use client";

import { useEffect, useId, useRef, useState } from "react";
import type { FormEvent, ReactNode } from "react";
import useSWR, { useSWRConfig, type SWRResponse } from "swr";
import { ApiError, api, errorMessage } from "@/lib/api";
import {
  checkNumber,
  countryName,
  displayNumber,
  isCountryCode,
  listCountries,
  teamCountries,
  DEFAULT_COUNTRY,
} from "@/lib/phone";
import type {
  AgentMode,
  AvailableNumber,
  DialPolicy,
  OwnedNumber,
  Page,
  RecordingPrefs,
  SettingsUpdate,
  SettingsView,
  WebhookTest,
} from "@/lib/types";
import { AdminOnlyNotice, useIsAdmin } from "@/features/admin/Admin";
import { AlertIcon, CheckIcon, CloseIcon, CopyIcon, PlusIcon, SearchIcon } from "@/ui/icons";
import { Modal } from "@/ui/Modal";
import { useToast } from "@/ui/Toasts";
import {
  Badge,
  Card,
  CardHeader,
  ErrorState,
  PageHeader,
  Spinner,
  buttonClass,
  focusRing,
  inputClass,
} from "@/ui/primitives";

function FieldRow({
  label,
  htmlFor,
  hint,
  error,
  children,
}: {
  label: string;
  htmlFor?: string;
  hint?: ReactNode;
  error?: string;
  children: ReactNode;
}) {
  return (
    <div>
      <label htmlFor={htmlFor} className="text-sm font-medium text-slate-700">
        {label}
      </label>
      <div className="mt-1">{children}</div>
      {error ? (
        <p role="alert" className="mt-1 text-sm text-rose-700">
          {error.charAt(0).toUpperCase() + error.slice(1)}
        </p>
      ) : hint ? (
        <p className="mt-1 text-xs text-slate-500">{hint}</p>
      ) : null}
    </div>
  );
}

/** Save part of the settings; field errors come back from the problem JSON. */
function useSave(onSaved: (s: SettingsView) => void) {
  const toast = useToast();
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const save = async (update: SettingsUpdate, message = "Settings saved") => {
    setSaving(true);
    setError(null);
    try {
      const saved = await api.saveSettings(update);
      onSaved(saved);
      toast.success(message);
      return true;
    } catch (err) {
      setError(err instanceof ApiError ? err : null);
      // Field errors show under their fields; the toast only says why nothing was saved.
      toast.error(
        err instanceof ApiError && err.errors.length
          ? "Not saved: see the messages under the fields"
          : errorMessage(err),
      );
      return false;
    } finally {
      setSaving(false);
    }
  };
  return { save, saving, error, fieldError: (f: string) => error?.fieldError(f) };
}

function SaveBar({
  saving,
  disabled,
  reason,
}: {
  saving: boolean;
  disabled?: boolean;
  reason?: string;
}) {
  return (
    <div className="flex items-center justify-end gap-3 border-t border-slate-100 px-5 py-3">
      {disabled && reason ? <span className="text-xs text-slate-500">{reason}</span> : null}
      <button type="submit" disabled={saving || disabled} className={buttonClass("primary")}>
        {saving ? "Saving…" : "Save"}
      </button>
    </div>
  );
}

function TelnyxCard({
  settings,
  onSaved,
}: {
  settings: SettingsView;
  onSaved: (s: SettingsView) => void;
}) {
  const { save, saving, fieldError } = useSave(onSaved);
  const ids = { key: useId(), pub: useId(), conn: useId() };
  const [apiKey, setApiKey] = useState("");
  const [connection, setConnection] = useState(settings.telnyx_connection_id ?? "");
  const key = settings.telnyx_api_key;
  const dirty = apiKey.trim() !== "" || connection !== (settings.telnyx_connection_id ?? "");

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const update: SettingsUpdate = {};
    if (apiKey.trim()) update.telnyx_api_key = apiKey.trim();
    if (connection !== (settings.telnyx_connection_id ?? ""))
      update.telnyx_connection_id = connection.trim() || null;
    if (await save(update, "Telnyx settings saved")) setApiKey("");
  };

  return (
    <Card>
      <CardHeader title="Telnyx account" />
      <form onSubmit={(e) => void submit(e)} aria-label="Telnyx account" className="contents">
        <div className="space-y-4 px-5 py-4">
          <FieldRow
            label="API key"
            htmlFor={ids.key}
            error={fieldError("telnyx_api_key")}
            hint={
              key.writable
                ? "Write-only: the saved key is never shown, only its last characters."
                : "This deployment keeps the key in AWS Secrets Manager; change it there."
            }
          >
            <div className="mb-2 flex items-center gap-2 text-sm" data-testid="api-key-status">
              {key.configured ? (
                <>
                  <Badge tone="success">Configured</Badge>
                  <span className="font-mono text-slate-700" aria-label="Saved key, masked">
                    {key.masked}
                  </span>
                </>
              ) : (
                <Badge tone="warning">Not set</Badge>
              )}
              {key.configured && key.writable ? (
                <button
                  type="button"
                  onClick={() => void save({ telnyx_api_key: null }, "API key removed")}
                  disabled={saving}
                  className={buttonClass("ghost", "sm")}
                >
                  Remove key
                </button>
              ) : null}
            </div>
            <input
              id={ids.key}
              type="password"
              autoComplete="off"
              spellCheck={false}
              value={apiKey}
              onChange={(e) => setApiKey(e.target.value)}
              disabled={!key.writable}
              placeholder={key.configured ? "Paste a new key to replace it" : "KEY0123…"}
              aria-invalid={fieldError("telnyx_api_key") ? true : undefined}
              className={inputClass}
            />
          </FieldRow>
          <FieldRow
            label="Webhook public key"
            htmlFor={ids.pub}
            hint="Set by the deployment (TELNYX_PUBLIC_KEY; the TelnyxPublicKey parameter in AWS) from Portal → Keys & Credentials → Public Key. Every webhook is verified with it."
          >
            <input
              id={ids.pub}
              value={settings.telnyx_public_key ?? "Not configured"}
              readOnly
              spellCheck={false}
              className={`${inputClass} font-mono text-slate-600`}
            />
          </FieldRow>
          <FieldRow
            label="Connection (Call Control application ID)"
            htmlFor={ids.conn}
            error={fieldError("telnyx_connection_id")}
          >
            <input
              id={ids.conn}
              value={connection}
              onChange={(e) => setConnection(e.target.value)}
              spellCheck={false}
              aria-invalid={fieldError("telnyx_connection_id") ? true : undefined}
              className={`${inputClass} font-mono`}
            />
          </FieldRow>
        </div>
        <SaveBar saving={saving} disabled={!dirty} reason="No changes to save" />
      </form>
    </Card>
  );
}

function CallingCard({
  settings,
  onSaved,
  owned,
}: {
  settings: SettingsView;
  onSaved: (s: SettingsView) => void;
  owned: string[];
}) {
  const { save, saving, fieldError } = useSave(onSaved);
  const ids = { caller: useId(), hold: useId(), phone: useId() };
  const [caller, setCaller] = useState(settings.default_caller_id ?? "");
  const [hold, setHold] = useState(settings.hold_music_url ?? "");
  const [mode, setMode] = useState<AgentMode>(settings.agent_mode);
  const [agentPhone, setAgentPhone] = useState(
    settings.agent_phone ? displayNumber(settings.agent_phone) : "",
  );

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const agentCheck = checkNumber(agentPhone, DEFAULT_COUNTRY);
    await save(
      {
        default_caller_id: caller.trim() || null,
        hold_music_url: hold.trim() || null,
        agent_mode: mode,
        agent_phone: agentPhone.trim()
          ? agentCheck.valid
            ? agentCheck.e164
            : agentPhone.trim()
          : null,
      },
      "Calling settings saved",
    );
  };

  const modes: { value: AgentMode; label: string; hint: string }[] = [
    {
      value: "none",
      label: "No agent leg",
      hint: "Calls the customer only (demos, automated calls).",
    },
    { value: "browser", label: "Browser", hint: "You talk through this browser (WebRTC)." },
    {
      value: "phone",
      label: "Agent phone",
      hint: "Your own phone rings first, then the customer.",
    },
  ];

  return (
    <Card>
      <CardHeader title="Calling" />
      <form onSubmit={(e) => void submit(e)} aria-label="Calling" className="contents">
        <div className="space-y-4 px-5 py-4">
          <FieldRow
            label="Default caller ID"
            htmlFor={ids.caller}
            error={fieldError("default_caller_id")}
            hint="Preselected in the dialer's From field."
          >
            {owned.length ? (
              <select
                id={ids.caller}
                value={caller}
                onChange={(e) => setCaller(e.target.value)}
                className={inputClass}
              >
                <option value="">No default (first number)</option>
                {owned.map((n) => (
                  <option key={n} value={n}>
                    {displayNumber(n)}
                  </option>
                ))}
              </select>
            ) : (
              <input
                id={ids.caller}
                type="tel"
                value={caller}
                onChange={(e) => setCaller(e.target.value)}
                placeholder="+1 212 555 0200"
                className={inputClass}
              />
            )}
          </FieldRow>
          <fieldset>
            <legend className="text-sm font-medium text-slate-700">Agent mode</legend>
            <div className="mt-2 grid gap-2 sm:grid-cols-3">
              {modes.map((m) => (
                <label
                  key={m.value}
                  className={`flex cursor-pointer flex-col rounded-xl px-3 py-2 ring-1 ${
                    mode === m.value
                      ? "bg-indigo-50 ring-indigo-400"
                      : "ring-slate-200 hover:bg-slate-50"
                  }`}
                >
                  <span className="flex items-center gap-2 text-sm font-medium text-slate-900">
                    <input
                      type="radio"
                      name="agent_mode"
                      value={m.value}
                      checked={mode === m.value}
                      onChange={() => setMode(m.value)}
                      className="accent-indigo-600"
                    />
                    {m.label}
                  </span>
                  <span className="mt-0.5 text-xs text-slate-500">{m.hint}</span>
                </label>
              ))}
            </div>
          </fieldset>
          {mode === "phone" || fieldError("agent_phone") ? (
            <FieldRow label="Agent phone" htmlFor={ids.phone} error={fieldError("agent_phone")}>
              <input
                id={ids.phone}
                type="tel"
                value={agentPhone}
                onChange={(e) => setAgentPhone(e.target.value)}
                placeholder="The number that rings for you"
                aria-invalid={fieldError("agent_phone") ? true : undefined}
                className={inputClass}
              />
            </FieldRow>
          ) : null}
          <FieldRow
            label="Hold music URL"
            htmlFor={ids.hold}
            error={fieldError("hold_music_url")}
            hint="An mp3 or wav Telnyx can fetch; played in a loop while a call is on hold."
          >
            <input
              id={ids.hold}
              type="url"
              value={hold}
              onChange={(e) => setHold(e.target.value)}
              placeholder="https://example.com/hold.mp3"
              aria-invalid={fieldError("hold_music_url") ? true : undefined}
              className={inputClass}
            />
          </FieldRow>
        </div>
        <SaveBar saving={saving} />
      </form>
    </Card>
  );
}

function RecordingCard({
  settings,
  onSaved,
}: {
  settings: SettingsView;
  onSaved: (s: SettingsView) => void;
}) {
  const { save, saving } = useSave(onSaved);
  const [prefs, setPrefs] = useState<RecordingPrefs>(settings.recording);
  const ids = { format: useId(), channels: useId() };
  return (
    <Card>
      <CardHeader title="Recording" />
      <form
        aria-label="Recording"
        className="contents"
        onSubmit={(e) => {
          e.preventDefault();
          void save({ recording: prefs }, "Recording preferences saved");
        }}
      >
        <div className="space-y-4 px-5 py-4">
          <label className="flex items-start gap-2 text-sm text-slate-700">
            <input
              type="checkbox"
              checked={prefs.auto_record}
              onChange={(e) => setPrefs({ ...prefs, auto_record: e.target.checked })}
              className="mt-0.5 size-4 accent-indigo-600"
            />
            <span>
              <span className="font-medium text-slate-900">Record every call</span>
              <span className="block text-xs text-slate-500">
                Check local consent rules: many places require telling the other side.
              </span>
            </span>
          </label>
          <div className="grid gap-4 sm:grid-cols-2">
            <FieldRow label="Format" htmlFor={ids.format}>
              <select
                id={ids.format}
                value={prefs.format}
                onChange={(e) =>
                  setPrefs({ ...prefs, format: e.target.value as RecordingPrefs["format"] })
                }
                className={inputClass}
              >
                <option value="mp3">MP3 (smaller)</option>
                <option value="wav">WAV (lossless)</option>
              </select>
            </FieldRow>
            <FieldRow label="Channels" htmlFor={ids.channels}>
              <select
                id={ids.channels}
                value={prefs.channels}
                onChange={(e) =>
                  setPrefs({ ...prefs, channels: e.target.value as RecordingPrefs["channels"] })
                }
                className={inputClass}
              >
                <option value="dual">Dual (each side on its own channel)</option>
                <option value="single">Single (mixed)</option>
              </select>
            </FieldRow>
          </div>
        </div>
        <SaveBar saving={saving} />
      </form>
    </Card>
  );
}

/** A country as a chip: its name, with the ISO code the API and the error messages use. */
function CountryChip({ code, onRemove }: { code: string; onRemove?: () => void }) {
  const name = isCountryCode(code) ? countryName(code) : code;
  return (
    <li
      className={`inline-flex items-center gap-1.5 rounded-full py-0.5 text-xs font-medium ring-1 ${
        onRemove
          ? "bg-indigo-50 pr-1 pl-2.5 text-indigo-900 ring-indigo-200"
          : "bg-slate-100 px-2.5 text-slate-800 ring-slate-200"
      }`}
    >
      <span>{name}</span>
      <span className={`font-mono ${onRemove ? "text-indigo-600" : "text-slate-500"}`}>{code}</span>
      {onRemove ? (
        <button
          type="button"
          onClick={onRemove}
          aria-label={`Remove ${name}`}
          className={`rounded-full p-0.5 text-indigo-500 hover:bg-indigo-100 hover:text-indigo-800 ${focusRing}`}
        >
          <CloseIcon size={12} />
        </button>
      ) : null}
    </li>
  );
}

type LimitField = "max_concurrent_calls" | "max_calls_per_hour" | "max_calls_per_day";

const LIMITS: { field: LimitField; label: string; unit: string; max: number; hint: string }[] = [
  {
    field: "max_concurrent_calls",
    label: "Calls at once",
    unit: "calls",
    max: 20,
    hint: "Live calls one person may have at the same time (1–20).",
  },
  {
    field: "max_calls_per_hour",
    label: "Calls per hour",
    unit: "/ hour",
    max: 1000,
    hint: "Calls one person may start in an hour (1–1,000, not above the daily limit).",
  },
  {
    field: "max_calls_per_day",
    label: "Calls per day",
    unit: "/ day",
    max: 10000,
    hint: "Calls one person may start in a day (1–10,000).",
  },
];

/** The countries allowed because the team has numbers there (read-only: buy a number to add). */
function TeamCountries({ numbers }: { numbers: SWRResponse<Page<OwnedNumber>> }) {
  const countries = teamCountries(numbers.data?.items ?? []);
  if (numbers.isLoading && !numbers.data) return <Spinner label="Loading the team's numbers" />;
  if (numbers.error && !numbers.data) {
    return (
      <p className="text-sm text-slate-600">
        Could not load the team&apos;s numbers: {errorMessage(numbers.error)}
      </p>
    );
  }
  if (!countries.length) {
    return <p className="text-sm text-slate-600">None yet: the team has no numbers.</p>;
  }
  return (
    <ul aria-label="Countries of the team's numbers" className="flex flex-wrap gap-1.5">
      {countries.map((c) => (
        <CountryChip key={c} code={c} />
      ))}
    </ul>
  );
}

/**
 * Where calls may go and how many each person may make: the adjustable part of the toll-fraud
 * guard. Admins edit it; agents see it read-only (it explains the dialer's refusals).
 */
function DialPolicyCard({
  policy,
  numbers,
  onSaved,
  readOnly = false,
}: {
  policy: DialPolicy;
  numbers: SWRResponse<Page<OwnedNumber>>;
  onSaved?: (s: SettingsView) => void;
  readOnly?: boolean;
}) {
  const { save, saving, fieldError } = useSave(onSaved ?? (() => {}));
  const ids = {
    max_concurrent_calls: useId(),
    max_calls_per_hour: useId(),
    max_calls_per_day: useId(),
  };
  const [extra, setExtra] = useState<string[]>(policy.extra_countries);
  const [pick, setPick] = useState("");
  const [limits, setLimits] = useState<Record<LimitField, string>>({
    max_concurrent_calls: String(policy.max_concurrent_calls),
    max_calls_per_hour: String(policy.max_calls_per_hour),
    max_calls_per_day: String(policy.max_calls_per_day),
  });
  const [localErrors, setLocalErrors] = useState<Partial<Record<LimitField, string>>>({});
  const team = teamCountries(numbers.data?.items ?? []);
  const choices = listCountries().filter((c) => !extra.includes(c.code) && !team.includes(c.code));

  const sameCountries =
    extra.length === policy.extra_countries.length &&
    extra.every((c) => policy.extra_countries.includes(c));
  const changedLimits = LIMITS.filter((l) => limits[l.field].trim() !== String(policy[l.field]));
  const dirty = !sameCountries || changedLimits.length > 0;
  const countryError = fieldError("dial_policy.extra_countries");
  const errorFor = (field: LimitField) => localErrors[field] ?? fieldError(`dial_policy.${field}`);

  const add = () => {
    if (pick && !extra.includes(pick)) setExtra([...extra, pick]);
    setPick("");
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const update: Partial<DialPolicy> = {};
    const problems: Partial<Record<LimitField, string>> = {};
    if (!sameCountries) update.extra_countries = [...extra].sort();
    for (const l of changedLimits) {
      const text = limits[l.field].trim();
      if (!/^\d+$/.test(text)) problems[l.field] = "Enter a whole number";
      else update[l.field] = Number(text);
    }
    setLocalErrors(problems);
    if (Object.keys(problems).length) return;
    await save({ dial_policy: update }, "Dial policy saved");
  };

  const body = (
    <div className="space-y-5 px-5 py-4">
      <p className="text-sm text-slate-600">
        Calls may go to the countries of the team&apos;s numbers and to the other countries allowed
        below. Premium-rate and special numbers (such as +1 900 or UK 09) are always blocked,
        whatever is allowed.
      </p>
      <div>
        <h3 className="text-sm font-medium text-slate-700">Countries of the team&apos;s numbers</h3>
        <div className="mt-2">
          <TeamCountries numbers={numbers} />
        </div>
        <p className="mt-1 text-xs text-slate-500">
          Always allowed: buying a number in a country allows it.
        </p>
      </div>
      {readOnly ? (
        <div>
          <h3 className="text-sm font-medium text-slate-700">Other countries allowed</h3>
          <div className="mt-2">
            {policy.extra_countries.length ? (
              <ul aria-label="Other countries allowed" className="flex flex-wrap gap-1.5">
                {policy.extra_countries.map((c) => (
                  <CountryChip key={c} code={c} />
                ))}
              </ul>
            ) : (
              <p className="text-sm text-slate-600">None.</p>
            )}
          </div>
        </div>
      ) : (
        <fieldset>
          <legend className="text-sm font-medium text-slate-700">Other countries allowed</legend>
          <div className="mt-2">
            {extra.length ? (
              <ul aria-label="Other countries allowed" className="flex flex-wrap gap-1.5">
                {extra.map((c) => (
                  <CountryChip
                    key={c}
                    code={c}
                    onRemove={() => setExtra(extra.filter((x) => x !== c))}
                  />
                ))}
              </ul>
            ) : (
              <p className="text-sm text-slate-600">None: only the countries above.</p>
            )}
          </div>
          <div className="mt-2 flex gap-2">
            <select
              aria-label="Add a country"
              value={pick}
              onChange={(e) => setPick(e.target.value)}
              aria-invalid={countryError ? true : undefined}
              className={`${inputClass} min-w-0`}
            >
              <option value="">Choose a country…</option>
              {choices.map((c) => (
                <option key={c.code} value={c.code}>
                  {c.name} ({c.code}, +{c.callingCode})
                </option>
              ))}
            </select>
            <button
              type="button"
              onClick={add}
              disabled={!pick}
              className={`${buttonClass("secondary")} shrink-0`}
            >
              <PlusIcon size={16} /> Add
            </button>
          </div>
          {countryError ? (
            <p role="alert" className="mt-1 text-sm text-rose-700">
              {countryError}
            </p>
          ) : (
            <p className="mt-1 text-xs text-slate-500">Everyone on the team may call these too.</p>
          )}
        </fieldset>
      )}
      <div>
        <h3 className="text-sm font-medium text-slate-700">Limits for each person</h3>
        {readOnly ? (
          <dl className="mt-2 grid gap-3 sm:grid-cols-3">
            {LIMITS.map((l) => (
              <div key={l.field} className="rounded-xl bg-slate-50 px-3 py-2 ring-1 ring-slate-200">
                <dt className="text-xs text-slate-500">{l.label}</dt>
                <dd
                  className="text-lg font-semibold text-slate-900 tabular-nums"
                  data-testid={`limit-${l.field}`}
                >
                  {policy[l.field].toLocaleString("en")}
                </dd>
              </div>
            ))}
          </dl>
        ) : (
          <div className="mt-2 grid gap-4 sm:grid-cols-3">
            {LIMITS.map((l) => (
              <FieldRow
                key={l.field}
                label={l.label}
                htmlFor={ids[l.field]}
                error={errorFor(l.field)}
                hint={l.hint}
              >
                <div className="relative">
                  <input
                    id={ids[l.field]}
                    type="number"
                    inputMode="numeric"
                    min={1}
                    max={l.max}
                    step={1}
                    value={limits[l.field]}
                    onChange={(e) => setLimits({ ...limits, [l.field]: e.target.value })}
                    aria-invalid={errorFor(l.field) ? true : undefined}
                    className={`${inputClass} pr-16 tabular-nums`}
                  />
                  <span
                    aria-hidden="true"
                    className="pointer-events-none absolute inset-y-0 right-3 flex items-center text-xs text-slate-500"
                  >
                    {l.unit}
                  </span>
                </div>
              </FieldRow>
            ))}
          </div>
        )}
      </div>
    </div>
  );

  // The dialer links admins here (/settings/#dial-policy) when it refuses a country; the card
  // appears only once the settings have loaded, after the browser looked for the anchor.
  const anchor = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (window.location.hash === "#dial-policy") anchor.current?.scrollIntoView();
  }, []);

  return (
    <Card>
      <div id="dial-policy" ref={anchor} className="scroll-mt-20">
        <CardHeader
          title="Dial policy"
          actions={readOnly ? <Badge tone="neutral">Read-only</Badge> : undefined}
        />
      </div>
      {readOnly ? (
        <div data-testid="dial-policy-readonly">{body}</div>
      ) : (
        <form
          onSubmit={(e) => void submit(e)}
          aria-label="Dial policy"
          className="contents"
          noValidate
        >
          {body}
          <SaveBar saving={saving} disabled={!dirty} reason="No changes to save" />
        </form>
      )}
    </Card>
  );
}

const WEBHOOK_RESULT: Record<string, string> = {
  verified: "Delivered and verified: the signature checked out and the event was queued.",
  signature_rejected: "The endpoint refused the signature.",
  endpoint_error: "The endpoint answered with an error.",
  unreachable: "The webhook URL could not be reached.",
  no_answer_yet: "No answer yet: the test event is still on its way.",
  unsupported: "Telnyx cannot send a test event on request.",
};

function WebhookCard({ settings }: { settings: SettingsView }) {
  const toast = useToast();
  const urlId = useId();
  const [testing, setTesting] = useState(false);
  const [result, setResult] = useState<WebhookTest | null>(null);
  const [error, setError] = useState<string | null>(null);
  const url = settings.webhook_url;

  const copy = async () => {
    if (!url) return;
    try {
      await navigator.clipboard.writeText(url);
      toast.success("Webhook URL copied");
    } catch {
      const input = document.getElementById(urlId) as HTMLInputElement | null;
      input?.select();
      toast.error("Could not copy: the URL is selected, press Ctrl+C");
    }
  };

  const test = async () => {
    setTesting(true);
    setError(null);
    setResult(null);
    try {
      setResult(await api.testWebhook());
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setTesting(false);
    }
  };

  return (
    <Card>
      <CardHeader title="Webhook" />
      <div className="space-y-4 px-5 py-4">
        <FieldRow
          label="Webhook URL"
          htmlFor={urlId}
          hint="Paste it into your Telnyx Call Control application's webhook URL."
        >
          <div className="flex gap-2">
            <input
              id={urlId}
              readOnly
              value={url ?? "Not known: set WEBHOOK_URL for this deployment"}
              className={`${inputClass} font-mono text-xs`}
              onFocus={(e) => e.target.select()}
            />
            <button
              type="button"
              onClick={() => void copy()}
              disabled={!url}
              aria-label="Copy webhook URL"
              className={buttonClass("secondary")}
            >
              <CopyIcon size={16} /> Copy
            </button>
          </div>
        </FieldRow>
        <div className="flex flex-wrap items-center gap-3">
          <button
            type="button"
            onClick={() => void test()}
            disabled={testing || !url}
            className={buttonClass("secondary")}
          >
            {testing ? "Sending…" : "Send test webhook"}
          </button>
          {!url ? <span className="text-xs text-slate-500">Needs a webhook URL</span> : null}
        </div>
        {testing ? <Spinner label="Waiting for the test event to arrive…" /> : null}
        {error ? (
          <p
            role="alert"
            className="rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-800 ring-1 ring-rose-200"
          >
            {error}
          </p>
        ) : null}
        {result ? (
          <div
            role="status"
            data-testid="webhook-result"
            className={`rounded-lg px-3 py-2 text-sm ring-1 ${
              result.verified
                ? "bg-emerald-50 text-emerald-900 ring-emerald-200"
                : "bg-amber-50 text-amber-900 ring-amber-200"
            }`}
          >
            <p className="flex items-center gap-2 font-medium">
              {result.verified ? <CheckIcon size={16} /> : <AlertIcon size={16} />}
              {WEBHOOK_RESULT[result.result] ?? result.result}
            </p>
            {result.status ? <p className="mt-0.5">HTTP {result.status}</p> : null}
            {result.error ? <p className="mt-0.5">{result.error}</p> : null}
            {result.advice ? <p className="mt-0.5">{result.advice}</p> : null}
          </div>
        ) : null}
      </div>
    </Card>
  );
}

function NumbersCard({ defaultCaller }: { defaultCaller: string | null }) {
  const { mutate: globalMutate } = useSWRConfig();
  const owned = useSWR("numbers", api.numbers);
  const ids = { country: useId(), area: useId(), contains: useId() };
  const [country, setCountry] = useState("US");
  const [area, setArea] = useState("");
  const [contains, setContains] = useState("");
  const [searching, setSearching] = useState(false);
  const [found, setFound] = useState<AvailableNumber[] | null>(null);
  const [searchError, setSearchError] = useState<ApiError | null>(null);
  const [searchMessage, setSearchMessage] = useState<string | null>(null);
  const [buying, setBuying] = useState<AvailableNumber | null>(null);

  const search = async (e: FormEvent) => {
    e.preventDefault();
    setSearching(true);
    setSearchError(null);
    setSearchMessage(null);
    try {
      const page = await api.availableNumbers({ country, area_code: area, contains });
      setFound(page.items);
    } catch (err) {
      setSearchError(err instanceof ApiError ? err : null);
      if (!(err instanceof ApiError && err.errors.length)) setSearchMessage(errorMessage(err));
      setFound(null);
    } finally {
      setSearching(false);
    }
  };

  const list = owned.data?.items ?? [];
  return (
    <Card>
      <CardHeader title="Phone numbers" />
      <div className="px-5 py-4">
        <h3 className="text-sm font-medium text-slate-700">Your numbers</h3>
        {owned.isLoading ? (
          <div className="py-3">
            <Spinner label="Loading numbers" />
          </div>
        ) : owned.error ? (
          <ErrorState
            title="Could not load numbers"
            message={errorMessage(owned.error)}
            onRetry={() => void owned.mutate()}
          />
        ) : list.length === 0 ? (
          <p className="mt-1 text-sm text-slate-600">
            No numbers yet: search below and buy one to call from.
          </p>
        ) : (
          <ul
            aria-label="Your numbers"
            className="mt-2 divide-y divide-slate-100 rounded-xl ring-1 ring-slate-200"
          >
            {list.map((n) => (
              <li
                key={n.phone_number}
                className="flex items-center justify-between gap-3 px-3 py-2 text-sm"
              >
                <span className="font-medium text-slate-900 tabular-nums">
                  {displayNumber(n.phone_number)}
                </span>
                <span className="flex items-center gap-2">
                  {n.phone_number === defaultCaller || n.is_default_caller_id ? (
                    <Badge tone="info">Default caller ID</Badge>
                  ) : null}
                  {n.status ? (
                    <Badge tone={n.status === "active" ? "success" : "neutral"}>{n.status}</Badge>
                  ) : null}
                </span>
              </li>
            ))}
          </ul>
        )}

        <h3 className="mt-6 text-sm font-medium text-slate-700">Buy a number</h3>
        <form
          onSubmit={(e) => void search(e)}
          aria-label="Search numbers"
          className="mt-2 grid gap-3 sm:grid-cols-[6rem_1fr_1fr_auto] sm:items-end"
        >
          <FieldRow
            label="Country"
            htmlFor={ids.country}
            error={searchError?.fieldError("country")}
          >
            <input
              id={ids.country}
              value={country}
              maxLength={2}
              onChange={(e) => setCountry(e.target.value.toUpperCase())}
              className={`${inputClass} uppercase`}
            />
          </FieldRow>
          <FieldRow
            label="Area code"
            htmlFor={ids.area}
            error={searchError?.fieldError("area_code")}
          >
            <input
              id={ids.area}
              inputMode="numeric"
              value={area}
              onChange={(e) => setArea(e.target.value)}
              placeholder="e.g. 212"
              className={inputClass}
            />
          </FieldRow>
          <FieldRow
            label="Contains digits"
            htmlFor={ids.contains}
            error={searchError?.fieldError("contains")}
          >
            <input
              id={ids.contains}
              inputMode="numeric"
              value={contains}
              onChange={(e) => setContains(e.target.value)}
              placeholder="e.g. 777"
              className={inputClass}
            />
          </FieldRow>
          <button type="submit" disabled={searching} className={buttonClass("secondary")}>
            <SearchIcon size={16} /> {searching ? "Searching…" : "Search"}
          </button>
        </form>
        {searchMessage ? (
          <p
            role="alert"
            className="mt-3 rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-800 ring-1 ring-rose-200"
          >
            Could not search numbers: {searchMessage}
          </p>
        ) : null}
        {found ? (
          found.length === 0 ? (
            <p className="mt-3 text-sm text-slate-600">
              No numbers match. Try another area code or fewer digits.
            </p>
          ) : (
            <ul
              aria-label="Available numbers"
              className="mt-3 divide-y divide-slate-100 rounded-xl ring-1 ring-slate-200"
            >
              {found.map((n) => (
                <li
                  key={n.phone_number}
                  className="flex items-center justify-between gap-3 px-3 py-2 text-sm"
                >
                  <span className="min-w-0">
                    <span className="block font-medium text-slate-900 tabular-nums">
                      {displayNumber(n.phone_number)}
                    </span>
                    <span className="block truncate text-xs text-slate-500">
                      {[n.locality, n.region, n.country].filter(Boolean).join(", ")}
                      {n.monthly_cost ? ` · ${n.monthly_cost} ${n.currency ?? ""}/month` : ""}
                    </span>
                  </span>
                  <button
                    type="button"
                    onClick={() => setBuying(n)}
                    aria-label={`Buy ${displayNumber(n.phone_number)}`}
                    className={buttonClass("primary", "sm")}
                  >
                    Buy
                  </button>
                </li>
              ))}
            </ul>
          )
        ) : null}
      </div>
      {buying ? (
        <BuyDialog
          number={buying}
          onClose={() => setBuying(null)}
          onBought={() => {
            setBuying(null);
            setFound((f) => f?.filter((n) => n.phone_number !== buying.phone_number) ?? null);
            void owned.mutate();
            void globalMutate("numbers");
          }}
        />
      ) : null}
    </Card>
  );
}

function BuyDialog({
  number,
  onClose,
  onBought,
}: {
  number: AvailableNumber;
  onClose: () => void;
  onBought: () => void;
}) {
  const toast = useToast();
  const id = useId();
  const [confirm, setConfirm] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const typed = checkNumber(confirm, DEFAULT_COUNTRY);
  const matches = typed.valid && typed.e164 === number.phone_number;
  const buy = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.orderNumber(number.phone_number, confirm);
      toast.success(`${displayNumber(number.phone_number)} ordered`);
      onBought();
    } catch (err) {
      setError(
        err instanceof ApiError ? (err.fieldError("confirm") ?? err.detail) : errorMessage(err),
      );
      setBusy(false);
    }
  };
  return (
    <Modal title="Buy this number?" onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (matches) void buy();
        }}
        className="space-y-4"
      >
        <p className="text-sm text-slate-700">
          <span className="font-semibold text-slate-900">{displayNumber(number.phone_number)}</span>
          {number.monthly_cost
            ? ` costs ${number.monthly_cost} ${number.currency ?? ""} a month`
            : " is billed to your Telnyx account"}
          {number.upfront_cost && number.upfront_cost !== "0"
            ? ` plus ${number.upfront_cost} upfront`
            : ""}
          . To confirm, type the number again.
        </p>
        <FieldRow label="Type the number to confirm" htmlFor={id} error={error ?? undefined}>
          <input
            id={id}
            type="tel"
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
            placeholder={displayNumber(number.phone_number)}
            className={inputClass}
          />
        </FieldRow>
        <div className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
          <button type="button" onClick={onClose} className={buttonClass("secondary")}>
            Cancel
          </button>
          <button type="submit" disabled={!matches || busy} className={buttonClass("primary")}>
            {busy ? "Buying…" : "Buy number"}
          </button>
        </div>
        {!matches ? (
          <p className="text-right text-xs text-slate-500">
            Type the number exactly to enable Buy.
          </p>
        ) : null}
      </form>
    </Modal>
  );
}

/** The AWS bill a team can expect, so pay-per-use is a number, not a promise. */
function CostCard() {
  const { data, error } = useSWR("cost-estimate", api.costEstimate, { shouldRetryOnError: false });
  const usd = (n: number) => `$${n.toFixed(2)}`;
  return (
    <Card>
      <CardHeader title="What it costs on AWS" />
      <div className="px-5 py-4 text-sm text-slate-700">
        {data ? (
          <p>
            About <strong>{usd(data.aws_per_1000_calls)}</strong> of AWS per 1,000 three-minute
            calls with live status, next to {usd(data.telnyx_per_1000_calls)} of Telnyx minutes
            {data.aws_share_of_telnyx_percent !== null
              ? ` (${data.aws_share_of_telnyx_percent.toFixed(1)} % of the carrier cost)`
              : ""}
            . Idle costs nothing.
          </p>
        ) : error ? (
          <p className="text-slate-500">The estimate is not available: {errorMessage(error)}</p>
        ) : (
          <Spinner label="Loading the estimate" />
        )}
      </div>
    </Card>
  );
}

export function Settings() {
  const admin = useIsAdmin();
  if (!admin) {
    return (
      <div className="mx-auto max-w-3xl space-y-5">
        <AdminOnlyNotice title="Settings" description={DESCRIPTION}>
          Your account can place calls with the team&apos;s numbers, keep contacts and see call logs
          and statistics. An administrator changes the Telnyx account, numbers, recording, webhooks
          and the dial policy below.
        </AdminOnlyNotice>
        <AgentDialPolicy />
      </div>
    );
  }
  return <AdminSettings />;
}

const DESCRIPTION = "Telnyx connection, numbers, dial policy, recording and webhooks.";

/** What an agent may call, read-only: it explains the dialer's refusals. */
function AgentDialPolicy() {
  const settings = useSWR("settings", api.settings, { shouldRetryOnError: false });
  const numbers = useSWR("numbers", api.numbers, { shouldRetryOnError: false });
  const policy = settings.data?.dial_policy;
  if (policy) return <DialPolicyCard policy={policy} numbers={numbers} readOnly />;
  return (
    <Card>
      <CardHeader title="Dial policy" />
      <div className="px-5 py-4">
        {settings.error ? (
          <p className="text-sm text-slate-600">
            The dial policy is not available: {errorMessage(settings.error)}
          </p>
        ) : settings.data ? (
          <p className="text-sm text-slate-600">This server has no adjustable dial policy.</p>
        ) : (
          <Spinner label="Loading the dial policy" />
        )}
      </div>
    </Card>
  );
}

function AdminSettings() {
  const { data, error, isLoading, mutate } = useSWR("settings", api.settings);
  const numbers = useSWR("numbers", api.numbers, { shouldRetryOnError: false });
  // Re-mount the forms when the server's copy changes so they show what was saved.
  const version = data ? JSON.stringify(data) : "";
  const onSaved = (s: SettingsView) => void mutate(s, { revalidate: false });

  return (
    <div className="mx-auto max-w-3xl">
      <PageHeader title="Settings" description={DESCRIPTION} />
      {isLoading && !data ? (
        <Card>
          <div className="flex justify-center px-6 py-16">
            <Spinner label="Loading settings" />
          </div>
        </Card>
      ) : error && !data ? (
        <Card>
          <ErrorState
            title="Could not load settings"
            message={errorMessage(error)}
            onRetry={() => void mutate()}
          />
        </Card>
      ) : data ? (
        <div className="space-y-5" key={version}>
          <TelnyxCard settings={data} onSaved={onSaved} />
          <CallingCard
            settings={data}
            onSaved={onSaved}
            owned={(numbers.data?.items ?? []).map((n) => n.phone_number)}
          />
          {data.dial_policy ? (
            <DialPolicyCard policy={data.dial_policy} numbers={numbers} onSaved={onSaved} />
          ) : null}
          <NumbersCard defaultCaller={data.default_caller_id} />
          <RecordingCard settings={data} onSaved={onSaved} />
          <WebhookCard settings={data} />
          <CostCard />
        </div>
      ) : null}
    </div>
  );
}
