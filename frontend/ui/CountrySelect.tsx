"use client";

import { useMemo } from "react";
import { getCountryCallingCode } from "libphonenumber-js";
import { isCountryCode, listCountries, type CountryCode } from "@/lib/phone";

/**
 * A native <select> (so it works with every screen reader and keyboard) laid over a compact
 * "US +1" face.
 */
export function CountrySelect({
  value,
  onChange,
  id,
}: {
  value: CountryCode;
  onChange: (c: CountryCode) => void;
  /** For a visible <label htmlFor>. */
  id?: string;
}) {
  const countries = useMemo(() => listCountries(), []);
  return (
    <div className="relative flex shrink-0 items-center rounded-lg bg-white px-3 text-sm font-medium text-slate-800 ring-1 ring-slate-300 focus-within:ring-2 focus-within:ring-indigo-600 hover:bg-slate-50">
      <span aria-hidden="true" className="tabular-nums">
        {value} +{getCountryCallingCode(value)}
      </span>
      <svg
        aria-hidden="true"
        viewBox="0 0 20 20"
        className="ml-1 size-4 text-slate-500"
        fill="currentColor"
      >
        <path d="M5.23 7.21a.75.75 0 0 1 1.06.02L10 11.17l3.71-3.94a.75.75 0 1 1 1.08 1.04l-4.25 4.5a.75.75 0 0 1-1.08 0l-4.25-4.5a.75.75 0 0 1 .02-1.06z" />
      </svg>
      <select
        id={id}
        aria-label="Country"
        value={value}
        onChange={(e) => {
          if (isCountryCode(e.target.value)) onChange(e.target.value);
        }}
        className="absolute inset-0 size-full cursor-pointer opacity-0"
      >
        {countries.map((c) => (
          <option key={c.code} value={c.code}>
            {c.name} (+{c.callingCode})
          </option>
        ))}
      </select>
    </div>
  );
}
