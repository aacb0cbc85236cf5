"use client";

import { useEffect, useId, useRef, useState } from "react";
import type { FormEvent } from "react";
import type { SWRResponse } from "swr";
import { errorMessage } from "@/lib/api";
import { countryName, isCountryCode, listCountries, teamCountries } from "@/lib/phone";
import type { DialPolicy, OwnedNumber, Page, SettingsView } from "@/lib/types";
import { CloseIcon, PlusIcon } from "@/ui/icons";
import {
  Badge,
  Card,
  CardHeader,
  Spinner,
  buttonClass,
  focusRing,
  inputClass,
} from "@/ui/primitives";
import { Field } from "@/ui/Field";
import { useSave, SaveBar } from "../form";

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
export function DialPolicyCard({
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
              <Field
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
              </Field>
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
