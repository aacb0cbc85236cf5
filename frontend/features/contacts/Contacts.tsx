"use client";

import Link from "next/link";
import { useId, useState } from "react";
import { useSWRConfig } from "swr";
import { api, errorMessage } from "@/lib/api";
import { dialHref, initials, isContactsKey } from "@/lib/contacts";
import { useDebounced } from "@/lib/hooks";
import { displayNumber } from "@/lib/phone";
import type { Contact } from "@/lib/types";
import {
  ListStates,
  ListToolbar,
  SearchField,
  Tabs,
  type TabOption,
  usePagedList,
} from "@/ui/list";
import { ContactForm } from "./ContactForm";
import { PhoneIcon, PlusIcon, StarIcon, UploadIcon, UsersIcon } from "@/ui/icons";
import { ImportContacts } from "./ImportContacts";
import { Modal } from "@/ui/Modal";
import { useToast } from "@/ui/Toasts";
import { Card, EmptyState, PageHeader, buttonClass, focusRing } from "@/ui/primitives";

const PAGE = 50;

const WHICH: TabOption<boolean>[] = [
  { value: false, label: "All" },
  { value: true, label: "Favorites" },
];

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
  const panelId = useId();
  const toast = useToast();

  const list = usePagedList(
    ["contacts", q, favorites] as const,
    ([, search, favorite], cursor) => api.contacts({ q: search, favorite, limit: PAGE, cursor }),
    // Always fresh on arrival: a contact may have been changed or deleted on another screen.
    { dedupingInterval: 200 },
  );

  const refreshAll = () => {
    list.reload();
    void globalMutate(isContactsKey);
  };

  // In the header, and again in the empty list as the way to begin.
  const addButton = (
    <button type="button" onClick={() => setAdding(true)} className={buttonClass("primary")}>
      <PlusIcon size={16} /> Add contact
    </button>
  );
  const importButton = (
    <button type="button" onClick={() => setImporting(true)} className={buttonClass("secondary")}>
      <UploadIcon size={16} /> Import CSV
    </button>
  );

  return (
    <div className="mx-auto max-w-3xl">
      <PageHeader
        title="Contacts"
        description="The people your team calls."
        actions={
          <>
            {importButton}
            {addButton}
          </>
        }
      />
      <Card>
        <ListToolbar>
          <Tabs
            label="Which contacts"
            options={WHICH}
            value={favorites}
            onChange={setFavorites}
            controls={panelId}
          />
          <SearchField
            label="Search contacts by name, number or company"
            placeholder="Search name, number or company"
            value={query}
            onChange={setQuery}
            className="sm:w-80"
          />
        </ListToolbar>
        <ListStates
          list={list}
          panelId={panelId}
          loadingLabel="Loading contacts"
          errorTitle="Could not load contacts"
          onRetry={list.reload}
          moreLabel="Load more contacts"
          empty={
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
                    {addButton}
                    {importButton}
                  </div>
                </>
              )}
            </EmptyState>
          }
        >
          <ul aria-label="Contacts" className="divide-y divide-slate-100 py-1">
            {list.items.map((c) => (
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
        </ListStates>
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
