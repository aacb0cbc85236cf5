"use client";

import { useEffect, useId, useMemo, useRef } from "react";
import useSWR from "swr";
import { api } from "@/lib/api";
import { displayNumber, type NumberCheck } from "@/lib/phone";
import { InlineError } from "@/ui/primitives";

/**
 * Caller ID. When the server lists the team's numbers (GET /api/numbers) this is a picker;
 * until then it is a plain phone-number field with validation.
 */
export function FromField({
  value,
  onChange,
  check,
  serverError,
}: {
  value: string;
  onChange: (v: string) => void;
  check: NumberCheck;
  serverError?: string;
}) {
  const id = useId();
  const hintId = useId();
  const errorId = useId();
  const { data, isLoading: numbersLoading } = useSWR("numbers", api.numbers, {
    shouldRetryOnError: false,
    revalidateOnFocus: false,
  });
  const { data: settings, isLoading: settingsLoading } = useSWR("settings", api.settings, {
    shouldRetryOnError: false,
    revalidateOnFocus: false,
  });
  const owned = useMemo(() => (data?.items ?? []).filter((n) => n.status !== "deleted"), [data]);
  const hasList = owned.length > 0;
  const preferred = settings?.default_caller_id ?? null;
  const prefilled = useRef(false);
  // Choose only once both answers are in, so the default caller ID is not raced by the list.
  const settled = !numbersLoading && !settingsLoading;

  // With a list, keep the choice inside it: the remembered number if owned, else the default
  // caller ID from settings, else the first. Without one, start from the default caller ID.
  useEffect(() => {
    if (!settled) return;
    if (hasList && !owned.some((n) => n.phone_number === value)) {
      const fallback = owned.find((n) => n.phone_number === preferred) ?? owned[0];
      onChange(fallback.phone_number);
    } else if (!hasList && !value && preferred && !prefilled.current) {
      prefilled.current = true;
      onChange(displayNumber(preferred));
    }
  }, [settled, hasList, owned, value, onChange, preferred]);

  const describedBy = `${hintId}${serverError ? ` ${errorId}` : ""}`;
  const fieldClasses = `mt-1 block w-full rounded-lg border-0 bg-white px-3 py-2 text-base text-slate-900 ring-1 ring-slate-300 focus:ring-2 focus:ring-indigo-600 focus:outline-none ${
    serverError ? "ring-rose-500" : ""
  }`;

  return (
    <div>
      <label htmlFor={id} className="text-sm font-medium text-slate-700">
        From
      </label>
      {!settled ? (
        <select id={id} name="from_number" disabled aria-busy="true" className={fieldClasses}>
          <option>Loading your numbers…</option>
        </select>
      ) : hasList ? (
        <select
          id={id}
          name="from_number"
          value={value}
          onChange={(e) => onChange(e.target.value)}
          aria-describedby={describedBy}
          className={fieldClasses}
        >
          {owned.map((n) => (
            <option key={n.phone_number} value={n.phone_number}>
              {displayNumber(n.phone_number)}
              {n.phone_number === preferred ? " (default)" : ""}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          name="from_number"
          type="tel"
          inputMode="tel"
          autoComplete="off"
          placeholder="Your caller ID, e.g. +1 212 555 0200"
          value={value}
          onChange={(e) => onChange(e.target.value)}
          aria-invalid={serverError || (value && !check.valid) ? true : undefined}
          aria-describedby={describedBy}
          className={fieldClasses}
        />
      )}
      <p id={hintId} className="mt-1 text-xs text-slate-500">
        {value && !check.valid && !hasList
          ? check.reason
          : "The number the person you call will see."}
      </p>
      {serverError ? <InlineError id={errorId}>{serverError}</InlineError> : null}
    </div>
  );
}
