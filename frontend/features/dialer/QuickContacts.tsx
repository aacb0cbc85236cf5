"use client";

import Link from "next/link";
import useSWR from "swr";
import { api } from "@/lib/api";
import { initials } from "@/lib/contacts";
import { displayNumber } from "@/lib/phone";
import { StarIcon } from "@/ui/icons";
import { focusRing } from "@/ui/primitives";

export interface QuickPick {
  id: string;
  name: string;
  phone: string;
  favorite: boolean;
}

/** Favorites first, then the people called most recently: one tap fills the dialer. */
export function QuickContacts({
  onPick,
  selectedId,
}: {
  onPick: (p: QuickPick) => void;
  selectedId: string | null;
}) {
  const favorites = useSWR(["quick-contacts", "favorites"], () =>
    api.contacts({ favorite: true, limit: 12 }),
  );
  const recent = useSWR(["quick-contacts", "recent"], () => api.calls({ limit: 30 }));
  const picks: QuickPick[] = [];
  const seen = new Set<string>();
  for (const c of favorites.data?.items ?? []) {
    seen.add(c.id);
    picks.push({ id: c.id, name: c.name, phone: c.phone, favorite: true });
  }
  for (const call of recent.data?.items ?? []) {
    if (!call.contact || seen.has(call.contact.id) || picks.length >= 16) continue;
    seen.add(call.contact.id);
    picks.push({
      id: call.contact.id,
      name: call.contact.name,
      phone: call.to_number,
      favorite: false,
    });
  }
  if (favorites.isLoading && recent.isLoading) return null;
  return (
    <div className="mb-4">
      <p className="mb-1.5 text-xs font-medium tracking-wide text-slate-500 uppercase">
        Favorites and recent
      </p>
      {picks.length === 0 ? (
        <p className="text-sm text-slate-500">
          <Link href="/contacts/" className={`rounded text-indigo-700 underline ${focusRing}`}>
            Add contacts
          </Link>{" "}
          and star them to call in one tap.
        </p>
      ) : (
        <ul
          aria-label="Favorites and recent contacts"
          className="-mx-1 flex gap-2 overflow-x-auto px-1 pb-1"
        >
          {picks.map((p) => (
            <li key={p.id} className="shrink-0">
              <button
                type="button"
                onClick={() => onPick(p)}
                aria-label={`Call ${p.name}, ${displayNumber(p.phone)}`}
                aria-pressed={selectedId === p.id}
                className={`flex items-center gap-2 rounded-full py-1 pr-3 pl-1 text-sm font-medium ring-1 ${focusRing} ${
                  selectedId === p.id
                    ? "bg-indigo-600 text-white ring-indigo-600"
                    : "bg-white text-slate-800 ring-slate-200 hover:bg-slate-50"
                }`}
              >
                <span
                  aria-hidden="true"
                  className={`relative flex size-7 items-center justify-center rounded-full text-xs font-semibold ${
                    selectedId === p.id ? "bg-white/20" : "bg-indigo-100 text-indigo-700"
                  }`}
                >
                  {initials(p.name) || "?"}
                  {p.favorite ? (
                    <StarIcon
                      size={11}
                      filled
                      className="absolute -top-0.5 -right-0.5 text-amber-500"
                    />
                  ) : null}
                </span>
                <span className="max-w-[8rem] truncate">{p.name}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
