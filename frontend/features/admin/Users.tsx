"use client";

import { useId, useState } from "react";
import type { FormEvent } from "react";
import useSWR from "swr";
import { ApiError, api, errorMessage } from "@/lib/api";
import { formatDateTime, initials, ROLE_LABEL } from "@/lib/format";
import { useSession } from "@/lib/session";
import type { NewUser, Role, User, UserPatch } from "@/lib/types";
import { Field } from "@/ui/Field";
import { ListStates } from "@/ui/list";
import { AdminOnlyNotice, AdminTabs, useIsAdmin } from "./Admin";
import { PlusIcon, ShieldIcon } from "@/ui/icons";
import { useToast } from "@/ui/Toasts";
import {
  Badge,
  Card,
  CardHeader,
  EmptyState,
  PageHeader,
  buttonClass,
  inputClass,
} from "@/ui/primitives";
import { looksLikeEmail } from "@/features/auth/SignIn";

export const MIN_PASSWORD = 10;
export const MAX_PASSWORD = 256;

type UserField = "name" | "email" | "password" | "role";
export type UserErrors = Partial<Record<UserField, string>>;

/** The same rules the API applies, checked before sending. */
export function validateNewUser(input: NewUser): UserErrors {
  const errors: UserErrors = {};
  const name = input.name.trim();
  if (!name) errors.name = "Enter the person's name.";
  else if ([...name].length > 100) errors.name = "Keep the name to 100 characters or fewer.";
  const email = input.email.trim();
  if (!email) errors.email = "Enter an e-mail address.";
  else if (!looksLikeEmail(email)) errors.email = "Enter a valid e-mail address.";
  const length = [...input.password].length;
  if (!input.password) errors.password = "Choose a password.";
  else if (length < MIN_PASSWORD)
    errors.password = `Use at least ${MIN_PASSWORD} characters (${length} so far).`;
  else if (length > MAX_PASSWORD) errors.password = `Use at most ${MAX_PASSWORD} characters.`;
  if (input.role !== "admin" && input.role !== "agent") errors.role = "Pick a role.";
  return errors;
}

const sentence = (s: string) => (s ? s.charAt(0).toUpperCase() + s.slice(1) : s);

const EMPTY: NewUser = { name: "", email: "", password: "", role: "agent" };

export function AddUserForm({ onAdded }: { onAdded: (u: User) => void }) {
  const toast = useToast();
  const ids = { name: useId(), email: useId(), password: useId(), role: useId() };
  const [form, setForm] = useState<NewUser>(EMPTY);
  const [errors, setErrors] = useState<UserErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const set = (field: keyof NewUser, value: string) => {
    setForm((f) => ({ ...f, [field]: value }));
    if (errors[field]) setErrors((e) => ({ ...e, [field]: undefined }));
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const found = validateNewUser(form);
    setErrors(found);
    setFormError(null);
    if (Object.keys(found).length) {
      const first = (["name", "email", "password", "role"] as const).find((f) => found[f]);
      if (first) document.getElementById(ids[first])?.focus();
      return;
    }
    setSaving(true);
    try {
      const created = await api.createUser({
        ...form,
        name: form.name.trim(),
        email: form.email.trim(),
      });
      toast.success(`${created.name} can now sign in as ${created.email}`);
      setForm(EMPTY);
      onAdded(created);
    } catch (err) {
      if (err instanceof ApiError && err.code === "email_taken") {
        setErrors({ email: "A user with this e-mail already exists." });
      } else if (err instanceof ApiError && err.errors.length) {
        const next: UserErrors = {};
        for (const f of err.errors) {
          if (f.field in ids) next[f.field as UserField] = sentence(f.message);
        }
        setErrors(next);
        if (!Object.keys(next).length) setFormError(err.detail);
      } else {
        setFormError(errorMessage(err));
      }
    } finally {
      setSaving(false);
    }
  };

  const invalid = (f: UserField) =>
    errors[f] ? { "aria-invalid": true, "aria-describedby": `${ids[f]}-error` } : {};

  return (
    <Card>
      <CardHeader title="Add a user" />
      <form
        onSubmit={(e) => void submit(e)}
        noValidate
        aria-label="Add a user"
        className="contents"
      >
        <div className="grid gap-4 px-5 py-4 sm:grid-cols-2">
          <Field label="Name" htmlFor={ids.name} error={errors.name}>
            <input
              id={ids.name}
              value={form.name}
              onChange={(e) => set("name", e.target.value)}
              autoComplete="off"
              className={inputClass}
              {...invalid("name")}
            />
          </Field>
          <Field label="E-mail" htmlFor={ids.email} error={errors.email}>
            <input
              id={ids.email}
              type="email"
              value={form.email}
              onChange={(e) => set("email", e.target.value)}
              autoComplete="off"
              spellCheck={false}
              className={inputClass}
              {...invalid("email")}
            />
          </Field>
          <Field
            label="Password"
            htmlFor={ids.password}
            error={errors.password}
            hint={`At least ${MIN_PASSWORD} characters. Share it with them privately.`}
          >
            <input
              id={ids.password}
              type="password"
              value={form.password}
              onChange={(e) => set("password", e.target.value)}
              autoComplete="new-password"
              className={inputClass}
              {...invalid("password")}
            />
          </Field>
          <Field
            label="Role"
            htmlFor={ids.role}
            error={errors.role}
            hint={
              form.role === "admin"
                ? "Everything, including settings, numbers, users and the audit log."
                : "Calls, contacts, call logs and statistics."
            }
          >
            <select
              id={ids.role}
              value={form.role}
              onChange={(e) => set("role", e.target.value as Role)}
              className={inputClass}
            >
              <option value="agent">Agent</option>
              <option value="admin">Admin</option>
            </select>
          </Field>
        </div>
        {formError ? (
          <p
            role="alert"
            className="mx-5 mb-3 rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-800 ring-1 ring-rose-200"
          >
            {formError}
          </p>
        ) : null}
        <div className="flex justify-end border-t border-slate-100 px-5 py-3">
          <button type="submit" disabled={saving} className={buttonClass("primary")}>
            <PlusIcon size={16} /> {saving ? "Adding…" : "Add user"}
          </button>
        </div>
      </form>
    </Card>
  );
}

function UserRow({
  user,
  self,
  onChanged,
}: {
  user: User;
  self: boolean;
  onChanged: (u: User) => void;
}) {
  const toast = useToast();
  const roleId = useId();
  const [busy, setBusy] = useState(false);

  const change = async (patch: UserPatch, done: string) => {
    setBusy(true);
    try {
      const updated = await api.updateUser(user.id, patch);
      onChanged(updated);
      toast.success(done);
    } catch (err) {
      toast.error(
        err instanceof ApiError && err.code === "cannot_lock_yourself_out"
          ? "You cannot demote or disable your own account. Ask another administrator."
          : errorMessage(err),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <li
      data-testid="user-row"
      data-email={user.email}
      className="flex flex-col gap-3 px-5 py-3 sm:flex-row sm:items-center sm:justify-between"
    >
      <div className="flex min-w-0 items-center gap-3">
        <span
          aria-hidden="true"
          className={`flex size-9 shrink-0 items-center justify-center rounded-full text-xs font-semibold ${
            user.disabled ? "bg-slate-100 text-slate-400" : "bg-indigo-50 text-indigo-700"
          }`}
        >
          {initials(user.name, user.email)}
        </span>
        <div className="min-w-0">
          <p className="flex flex-wrap items-center gap-2 text-sm font-medium text-slate-900">
            <span className={user.disabled ? "text-slate-500" : undefined}>{user.name}</span>
            {self ? <Badge tone="info">You</Badge> : null}
            {user.disabled ? <Badge tone="warning">Disabled</Badge> : null}
          </p>
          <p className="truncate text-sm text-slate-600">{user.email}</p>
          <p className="text-xs text-slate-500">Added {formatDateTime(user.created_at)}</p>
        </div>
      </div>
      <div className="flex items-center gap-2 sm:shrink-0">
        <label htmlFor={roleId} className="sr-only">
          Role of {user.name}
        </label>
        {self ? (
          <span className="text-sm text-slate-600" title="You cannot change your own role">
            <Badge tone="info">{ROLE_LABEL[user.role]}</Badge>
          </span>
        ) : (
          <select
            id={roleId}
            value={user.role}
            disabled={busy}
            onChange={(e) => {
              const role = e.target.value as Role;
              void change({ role }, `${user.name} is now ${ROLE_LABEL[role].toLowerCase()}`);
            }}
            className={`${inputClass} w-auto`}
          >
            <option value="agent">Agent</option>
            <option value="admin">Admin</option>
          </select>
        )}
        {self ? null : (
          <button
            type="button"
            disabled={busy}
            aria-label={`${user.disabled ? "Enable" : "Disable"} ${user.name}`}
            onClick={() =>
              void change(
                { disabled: !user.disabled },
                user.disabled
                  ? `${user.name} can sign in again`
                  : `${user.name} is disabled and signed out`,
              )
            }
            className={`${buttonClass("secondary", "sm")} min-w-20 ${user.disabled ? "" : "text-rose-700"}`}
          >
            {user.disabled ? "Enable" : "Disable"}
          </button>
        )}
      </div>
    </li>
  );
}

function AdminUsers() {
  const me = useSession()?.user;
  const { data, error, isLoading, mutate } = useSWR("users", api.users);
  const users = data ?? [];
  const replace = (u: User) =>
    void mutate((list) => (list ?? []).map((x) => (x.id === u.id ? u : x)), { revalidate: false });

  return (
    <div className="mx-auto max-w-3xl">
      <PageHeader title="Users" description="Who can sign in, and what each person may do." />
      <AdminTabs current="/users/" />
      <div className="space-y-5">
        <Card>
          <CardHeader
            title="Team"
            actions={
              data ? (
                <span className="text-sm text-slate-500">
                  {users.length} {users.length === 1 ? "user" : "users"}
                </span>
              ) : null
            }
          />
          <ListStates
            list={{ items: users, error, isLoading: isLoading && !data }}
            loadingLabel="Loading users"
            errorTitle="Could not load users"
            onRetry={() => void mutate()}
            empty={<EmptyState icon={<ShieldIcon size={22} />} title="No users yet" />}
          >
            <ul aria-label="Users" className="divide-y divide-slate-100">
              {users.map((u) => (
                <UserRow key={u.id} user={u} self={u.id === me?.id} onChanged={replace} />
              ))}
            </ul>
          </ListStates>
        </Card>
        <AddUserForm
          onAdded={(u) =>
            void mutate((list) => [...(list ?? []).filter((x) => x.id !== u.id), u], {
              revalidate: true,
            })
          }
        />
      </div>
    </div>
  );
}

export function Users() {
  const admin = useIsAdmin();
  if (!admin) {
    return (
      <AdminOnlyNotice title="Users">
        Your account can call, keep contacts and see call logs and statistics. An administrator adds
        people and changes their roles.
      </AdminOnlyNotice>
    );
  }
  return <AdminUsers />;
}
