"use client";

import Link from "next/link";
import { useId, useState } from "react";
import { useSWRConfig } from "swr";
import useSWRInfinite from "swr/infinite";
import { api, errorMessage } from "@/lib/api";
import { dialHref, initials, isContactsKey } from "@/lib/contacts";
import { useDebounced } from "@/lib/hooks";
import { displayNumber } from "@/lib/phone";
import type { Contact, Page } from "@/lib/types";
import { ContactForm } from "./ContactForm";
import {
  CloseIcon,
  PhoneIcon,
  PlusIcon,
  SearchIcon,
  StarIcon,
  UploadIcon,
  UsersIcon,
} from "./icons";
import { ImportContacts } from "./ImportContacts";
import { Modal } from "./Modal";
import { useToast } from "./Toasts";
import { Card, EmptyState, ErrorState, PageHeader, Spinner, buttonClass, focusRing } from "./ui";

const PAGE = 50;

export function Avatar({ name, size = "md" }: { name: string; size?: "md" | "lg" }) {
  return (
    <span
      aria-hidden="true"
      className={`flex shrink-0 items-center justify-center rounded-full bg-indigo-100 font-semibold text-indigo-700 ${
        size === "lg" ? "size-16 text-xl" : "size-9 text-sm"
      }`}
    >
      {initials(name) || "?"}
    </span>
  );
}

export function FavoriteButton({
  contact,
  onChanged,
}: {
  contact: Contact;
  onChanged: (c: Contact) => void;
}) {
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  const [shown, setShown] = useState<boolean | null>(null);
  const on = shown ?? contact.favorite;
  return (
    <button
      type="button"
      aria-pressed={on}
      aria-label={on ? `Remove ${contact.name} from favorites` : `Add ${contact.name} to favorites`}
      disabled={busy}
      onClick={async () => {
        setBusy(true);
        setShown(!on);
        try {
          const saved = await api.setFavorite(contact.id, !on);
          onChanged(saved);
          toast.success(saved.favorite ? `${saved.name} is a favorite` : `${saved.name} unstarred`);
        } catch (err) {
          toast.error(errorMessage(err));
        } finally {
          setShown(null);
          setBusy(false);
        }
      }}
      className={`flex size-9 shrink-0 items-center justify-center rounded-full hover:bg-amber-50 ${focusRing} ${
        on ? "text-amber-500" : "text-slate-400 hover:text-amber-500"
      }`}
    >
      <StarIcon size={18} filled={on} />
    </button>
  );
}

export function Contacts() {
  const { mutate: globalMutate } = useSWRConfig();
  const [query, setQuery] = useState("");
  const [favorites, setFavorites] = useState(false);
  const [adding, setAdding] = useState(false);
  const [importing, setImporting] = useState(false);
  const q = useDebounced(query.trim());
  const searchId = useId();
  const panelId = useId();
  const toast = useToast();

  const { data, error, isLoading, isValidating, size, setSize, mutate } = useSWRInfinite<
    Page<Contact>
  >(
    (index, previous) => {
      if (previous && !previous.next_cursor) return null;
      return ["contacts", q, favorites, index === 0 ? null : previous?.next_cursor];
    },
    ([, search, fav, cursor]) =>
      api.contacts({
        q: search as string,
        favorite: fav as boolean,
        limit: PAGE,
        cursor: cursor as string | null,
      }),
    // Always fresh on arrival: a contact may have been changed or deleted on another screen.
    { dedupingInterval: 200 },
  );
  const contacts = data?.flatMap((p) => p.items) ?? [];
  const hasMore = !!data && !!data[data.length - 1]?.next_cursor;
  const loadingMore = isValidating && size > (data?.length ?? 0);

  const refreshAll = () => {
    void mutate();
    void globalMutate(isContactsKey);
  };

  return (
    <div className="mx-auto max-w-3xl">
      <PageHeader
        title="Contacts"
        description="The people your team calls."
        actions={
          <>
            <button
              type="button"
              onClick={() => setImporting(true)}
              className={buttonClass("secondary")}
            >
              <UploadIcon size={16} /> Import CSV
            </button>
            <button
              type="button"
              onClick={() => setAdding(true)}
              className={buttonClass("primary")}
            >
              <PlusIcon size={16} /> Add contact
            </button>
          </>
        }
      />
      <Card>
        <div className="flex flex-col gap-3 border-b border-slate-100 p-3 sm:flex-row sm:items-center sm:justify-between sm:p-4">
          <div
            role="tablist"
            aria-label="Which contacts"
            className="flex gap-1 rounded-xl bg-slate-100 p-1 sm:bg-transparent sm:p-0"
          >
            {[
              { fav: false, label: "All" },
              { fav: true, label: "Favorites" },
            ].map((t) => (
              <button
                key={t.label}
                type="button"
                role="tab"
                aria-selected={favorites === t.fav}
                aria-controls={panelId}
                onClick={() => setFavorites(t.fav)}
                className={`flex-1 rounded-lg px-3 py-1.5 text-sm font-medium sm:flex-none ${focusRing} ${
                  favorites === t.fav
                    ? "bg-white text-indigo-700 shadow-sm sm:bg-indigo-600 sm:text-white"
                    : "text-slate-600 hover:bg-white/60 hover:text-slate-900 sm:hover:bg-slate-100"
                }`}
              >
                {t.label}
              </button>
            ))}
          </div>
          <div className="relative sm:w-80">
            <label htmlFor={searchId} className="sr-only">
              Search contacts by name, number or company
            </label>
            <SearchIcon
              size={16}
              className="pointer-events-none absolute top-1/2 left-3 -translate-y-1/2 text-slate-400"
            />
            <input
              id={searchId}
              type="search"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
              placeholder="Search name, number or company"
              className="block w-full rounded-lg border-0 bg-white py-2 pr-9 pl-9 text-sm text-slate-900 ring-1 ring-slate-300 placeholder:text-slate-400 focus:ring-2 focus:ring-indigo-600 focus:outline-none"
            />
            {query ? (
              <button
                type="button"
                onClick={() => setQuery("")}
                aria-label="Clear search"
                className={`absolute top-1/2 right-2 -translate-y-1/2 rounded p-1 text-slate-400 hover:text-slate-700 ${focusRing}`}
              >
                <CloseIcon size={14} />
              </button>
            ) : null}
          </div>
        </div>
        <div id={panelId} role="tabpanel" aria-busy={isLoading}>
          {isLoading ? (
            <div className="flex justify-center px-6 py-14">
              <Spinner label="Loading contacts" />
            </div>
          ) : error && contacts.length === 0 ? (
            <ErrorState
              title="Could not load contacts"
              message={errorMessage(error)}
              onRetry={() => void mutate()}
            />
          ) : contacts.length === 0 ? (
            <EmptyState
              icon={<UsersIcon size={22} />}
              title={
                q ? `No contacts match “${q}”` : favorites ? "No favorites yet" : "No contacts yet"
              }
            >
              {q ? (
                <p>Search looks at names, numbers and companies. Try fewer letters or digits.</p>
              ) : favorites ? (
                <p>Star a contact to keep them one tap away on the dialer.</p>
              ) : (
                <>
                  <p>Add the people you call, or import them from a CSV file.</p>
                  <div className="mt-4 flex justify-center gap-2">
                    <button
                      type="button"
                      onClick={() => setAdding(true)}
                      className={buttonClass("primary")}
                    >
                      <PlusIcon size={16} /> Add contact
                    </button>
                    <button
                      type="button"
                      onClick={() => setImporting(true)}
                      className={buttonClass("secondary")}
                    >
                      <UploadIcon size={16} /> Import CSV
                    </button>
                  </div>
                </>
              )}
            </EmptyState>
          ) : (
            <>
              <ul aria-label="Contacts" className="divide-y divide-slate-100 py-1">
                {contacts.map((c) => (
                  <li
                    key={c.id}
                    className="flex items-center gap-1 px-2 py-1 sm:px-3"
                    data-testid="contact-row"
                  >
                    <Link
                      href={`/contacts/?id=${encodeURIComponent(c.id)}`}
                      className={`flex min-w-0 flex-1 items-center gap-3 rounded-lg px-2 py-2 hover:bg-slate-50 ${focusRing}`}
                    >
                      <Avatar name={c.name} />
                      <span className="min-w-0 flex-1">
                        <span className="block truncate text-sm font-medium text-slate-900">
                          {c.name}
                        </span>
                        <span className="block truncate text-xs text-slate-500">
                          {displayNumber(c.phone)}
                          {c.company ? ` · ${c.company}` : ""}
                        </span>
                      </span>
                      {c.call_count ? (
                        <span className="hidden shrink-0 text-xs text-slate-500 sm:block">
                          {c.call_count} call{c.call_count === 1 ? "" : "s"}
                        </span>
                      ) : null}
                    </Link>
                    <FavoriteButton contact={c} onChanged={refreshAll} />
                    <Link
                      href={dialHref(c.phone, c.id)}
                      aria-label={`Call ${c.name}`}
                      className={`flex size-9 shrink-0 items-center justify-center rounded-full text-emerald-700 hover:bg-emerald-50 ${focusRing}`}
                    >
                      <PhoneIcon size={16} />
                    </Link>
                  </li>
                ))}
              </ul>
              {hasMore ? (
                <div className="flex justify-center border-t border-slate-100 p-3">
                  <button
                    type="button"
                    onClick={() => void setSize(size + 1)}
                    disabled={loadingMore}
                    className={buttonClass("ghost")}
                  >
                    {loadingMore ? "Loading…" : "Load more contacts"}
                  </button>
                </div>
              ) : null}
            </>
          )}
        </div>
      </Card>

      {adding ? (
        <Modal title="New contact" onClose={() => setAdding(false)}>
          <ContactForm
            onCancel={() => setAdding(false)}
            onSaved={(c) => {
              setAdding(false);
              toast.success(`${c.name} added`);
              refreshAll();
            }}
          />
        </Modal>
      ) : null}
      {importing ? (
        <Modal title="Import contacts" onClose={() => setImporting(false)} wide>
          <ImportContacts onDone={refreshAll} onClose={() => setImporting(false)} />
        </Modal>
      ) : null}
    </div>
  );
}
