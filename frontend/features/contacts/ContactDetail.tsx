"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import useSWR, { useSWRConfig } from "swr";
import { api, errorMessage } from "@/lib/api";
import { dialHref, isContactsKey } from "@/lib/contacts";
import { formatWhen } from "@/lib/format";
import { displayNumber } from "@/lib/phone";
import { CallRow } from "@/features/calls/CallRow";
import { ContactForm } from "./ContactForm";
import { Avatar, FavoriteButton } from "./Contacts";
import { ArrowLeftIcon, EditIcon, ListIcon, PhoneIcon, TrashIcon } from "@/ui/icons";
import { Modal } from "@/ui/Modal";
import { useToast } from "@/ui/Toasts";
import {
  Card,
  CardHeader,
  EmptyState,
  ErrorState,
  Spinner,
  buttonClass,
  focusRing,
} from "@/ui/primitives";
import { LoadingOrError } from "@/ui/LoadingOrError";

export function ContactDetail({ id }: { id: string }) {
  const router = useRouter();
  const toast = useToast();
  const {
    data: contact,
    error,
    isLoading,
    mutate,
  } = useSWR(["contact", id], () => api.contact(id));
  const history = useSWR(["contact-calls", id], () => api.contactCalls(id));
  const { mutate: globalMutate } = useSWRConfig();
  // Lists elsewhere (contacts, dialer picks) must not show a stale copy after a change here.
  const invalidateLists = () => void globalMutate(isContactsKey);
  const [editing, setEditing] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [deleting, setDeleting] = useState(false);

  const back = (
    <Link
      href="/contacts/"
      className={`mb-4 inline-flex items-center gap-1.5 rounded text-sm font-medium text-indigo-700 hover:text-indigo-900 ${focusRing}`}
    >
      <ArrowLeftIcon size={16} /> Contacts
    </Link>
  );

  if (!contact) {
    return (
      <div className="mx-auto max-w-3xl">
        {back}
        <Card>
          <LoadingOrError
            loading={isLoading}
            error={error}
            label="Loading contact"
            notFound="Contact not found"
            failed="Could not load the contact"
            onRetry={() => void mutate()}
          />
        </Card>
      </div>
    );
  }

  const remove = async () => {
    setDeleting(true);
    try {
      await api.deleteContact(contact.id);
      toast.success(`${contact.name} deleted`);
      invalidateLists();
      router.push("/contacts/");
    } catch (err) {
      toast.error(errorMessage(err));
      setDeleting(false);
    }
  };

  const facts: [string, string][] = [["Phone", displayNumber(contact.phone)]];
  if (contact.email) facts.push(["Email", contact.email]);
  if (contact.company) facts.push(["Company", contact.company]);
  facts.push(["Calls", String(contact.call_count)]);
  if (contact.last_called_at) facts.push(["Last call", formatWhen(contact.last_called_at)]);

  const calls = history.data?.items ?? [];
  return (
    <div className="mx-auto max-w-3xl">
      {back}
      <Card className="mb-5">
        <div className="flex flex-col gap-4 px-5 py-5 sm:flex-row sm:items-center">
          <Avatar name={contact.name} size="lg" />
          <div className="min-w-0 flex-1">
            <h1 className="truncate text-2xl font-semibold tracking-tight text-slate-900">
              {contact.name}
            </h1>
            <p className="text-sm text-slate-600">
              {displayNumber(contact.phone)}
              {contact.company ? ` · ${contact.company}` : ""}
            </p>
            {contact.tags.length ? (
              <ul aria-label="Tags" className="mt-2 flex flex-wrap gap-1.5">
                {contact.tags.map((t) => (
                  <li
                    key={t}
                    className="rounded-full bg-indigo-50 px-2.5 py-0.5 text-xs font-medium text-indigo-800 ring-1 ring-indigo-200"
                  >
                    {t}
                  </li>
                ))}
              </ul>
            ) : null}
          </div>
          <div className="flex flex-wrap items-center gap-2">
            <FavoriteButton
              contact={contact}
              onChanged={(c) => {
                void mutate(c);
                invalidateLists();
              }}
            />
            <Link href={dialHref(contact.phone, contact.id)} className={buttonClass("call", "sm")}>
              <PhoneIcon size={16} /> Call
            </Link>
            <button
              type="button"
              onClick={() => setEditing(true)}
              className={buttonClass("secondary", "sm")}
            >
              <EditIcon size={16} /> Edit
            </button>
            <button
              type="button"
              onClick={() => setConfirmDelete(true)}
              aria-label={`Delete ${contact.name}`}
              className={buttonClass("secondary", "sm")}
            >
              <TrashIcon size={16} /> Delete
            </button>
          </div>
        </div>
        <dl className="grid grid-cols-1 gap-x-6 border-t border-slate-100 px-5 py-4 text-sm sm:grid-cols-2">
          {facts.map(([k, v]) => (
            <div key={k} className="flex justify-between gap-4 py-1.5 sm:block">
              <dt className="text-slate-500">{k}</dt>
              <dd className="font-medium break-words text-slate-900">{v}</dd>
            </div>
          ))}
        </dl>
        {contact.notes ? (
          <p className="border-t border-slate-100 px-5 py-4 text-sm whitespace-pre-wrap text-slate-700">
            {contact.notes}
          </p>
        ) : null}
      </Card>

      <Card>
        <CardHeader title="Call history" />
        {history.isLoading ? (
          <div className="px-5 py-8">
            <Spinner label="Loading calls" />
          </div>
        ) : history.error ? (
          <ErrorState
            title="Could not load the calls"
            message={errorMessage(history.error)}
            onRetry={() => void history.mutate()}
          />
        ) : calls.length === 0 ? (
          <EmptyState icon={<ListIcon size={22} />} title="No calls yet">
            Press Call to ring {contact.name}; every call shows up here.
          </EmptyState>
        ) : (
          <ul aria-label={`Calls with ${contact.name}`} className="divide-y divide-slate-100 py-1">
            {calls.map((c) => (
              <CallRow key={c.call_id} call={c} />
            ))}
          </ul>
        )}
      </Card>

      {editing ? (
        <Modal title="Edit contact" onClose={() => setEditing(false)}>
          <ContactForm
            contact={contact}
            onCancel={() => setEditing(false)}
            onSaved={(c) => {
              setEditing(false);
              void mutate(c);
              invalidateLists();
              toast.success("Contact saved");
            }}
          />
        </Modal>
      ) : null}
      {confirmDelete ? (
        <Modal title={`Delete ${contact.name}?`} onClose={() => setConfirmDelete(false)}>
          <p className="text-sm text-slate-700">
            The contact is removed. Calls with {displayNumber(contact.phone)} stay in the call logs.
          </p>
          <div className="mt-5 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">
            <button
              type="button"
              onClick={() => setConfirmDelete(false)}
              className={buttonClass("secondary")}
            >
              Keep contact
            </button>
            <button
              type="button"
              onClick={() => void remove()}
              disabled={deleting}
              className={buttonClass("danger")}
            >
              {deleting ? "Deleting…" : "Delete contact"}
            </button>
          </div>
        </Modal>
      ) : null}
    </div>
  );
}
