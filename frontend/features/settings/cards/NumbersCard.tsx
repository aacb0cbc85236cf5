"use client";

import { useId, useState } from "react";
import type { FormEvent } from "react";
import useSWR, { useSWRConfig } from "swr";
import { ApiError, api, errorMessage } from "@/lib/api";
import { checkNumber, displayNumber, DEFAULT_COUNTRY, type CountryCode } from "@/lib/phone";
import type { AvailableNumber } from "@/lib/types";
import { SearchIcon } from "@/ui/icons";
import { Modal } from "@/ui/Modal";
import { useToast } from "@/ui/Toasts";
import {
  Badge,
  Card,
  CardHeader,
  ErrorState,
  Spinner,
  buttonClass,
  inputClass,
} from "@/ui/primitives";
import { Field } from "@/ui/Field";
import { CountrySelect } from "@/ui/CountrySelect";

export function NumbersCard({ defaultCaller }: { defaultCaller: string | null }) {
  const { mutate: globalMutate } = useSWRConfig();
  const owned = useSWR("numbers", api.numbers);
  const ids = { country: useId(), area: useId(), contains: useId() };
  const [country, setCountry] = useState<CountryCode>("US");
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
          <Field label="Country" htmlFor={ids.country} error={searchError?.fieldError("country")}>
            {/* By name: two typed letters were ambiguous ("GE" is Georgia, not Germany). */}
            <div className="flex h-9 [&>div]:flex-1">
              <CountrySelect id={ids.country} value={country} onChange={setCountry} />
            </div>
          </Field>
          <Field label="Area code" htmlFor={ids.area} error={searchError?.fieldError("area_code")}>
            <input
              id={ids.area}
              inputMode="numeric"
              value={area}
              onChange={(e) => setArea(e.target.value)}
              placeholder="e.g. 212"
              className={inputClass}
            />
          </Field>
          <Field
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
          </Field>
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
        <Field label="Type the number to confirm" htmlFor={id} error={error ?? undefined}>
          <input
            id={id}
            type="tel"
            value={confirm}
            onChange={(e) => setConfirm(e.target.value)}
            placeholder={displayNumber(number.phone_number)}
            className={inputClass}
          />
        </Field>
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
