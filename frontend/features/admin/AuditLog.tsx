"use client";

import useSWR from "swr";
import { api } from "@/lib/api";
import { formatDateTime, type Tone } from "@/lib/format";
import type { AuditEntry, Page, User } from "@/lib/types";
import { ListStates, usePagedList } from "@/ui/list";
import { AdminOnlyNotice, AdminTabs, useIsAdmin } from "./Admin";
import { ListIcon, RefreshIcon } from "@/ui/icons";
import { Badge, Card, EmptyState, PageHeader, buttonClass } from "@/ui/primitives";

const PAGE = 100;
const MAX = 1000;

export const AUDIT_ACTIONS: Record<string, { label: string; tone: Tone }> = {
  sign_in: { label: "Signed in", tone: "success" },
  sign_in_failed: { label: "Sign-in failed", tone: "danger" },
  sign_out: { label: "Signed out", tone: "neutral" },
  user_created: { label: "User added", tone: "info" },
  user_updated: { label: "User changed", tone: "info" },
  settings_changed: { label: "Settings changed", tone: "warning" },
  numbers_ordered: { label: "Number bought", tone: "warning" },
  dial_refused: { label: "Call refused", tone: "danger" },
  admin_bootstrapped: { label: "First admin created", tone: "info" },
};

/** Who did it: a user's name (the audit keeps ids), a tried e-mail, or the system. */
export function actorName(actor: string | null, users: User[] | undefined): string {
  if (!actor) return "System";
  const user = users?.find((u) => u.id === actor || u.email === actor);
  return user ? `${user.name} (${user.email})` : actor;
}

function AuditRow({ entry, users }: { entry: AuditEntry; users: User[] | undefined }) {
  const action = AUDIT_ACTIONS[entry.action] ?? { label: entry.action, tone: "neutral" as Tone };
  const who = actorName(entry.actor, users);
  // A sign-in's detail is the e-mail already shown with the name.
  const detail = entry.detail && !who.includes(`(${entry.detail})`) ? entry.detail : null;
  return (
    <li
      data-testid="audit-entry"
      data-action={entry.action}
      className="flex flex-col gap-1 px-5 py-3 sm:flex-row sm:items-start sm:justify-between sm:gap-4"
    >
      <div className="min-w-0">
        <p className="flex flex-wrap items-center gap-2 text-sm">
          <Badge tone={action.tone}>{action.label}</Badge>
          <span className="font-medium break-all text-slate-900">{who}</span>
        </p>
        {detail ? <p className="mt-1 text-sm break-words text-slate-600">{detail}</p> : null}
      </div>
      <div className="shrink-0 text-xs text-slate-500 tabular-nums sm:text-right">
        <time dateTime={entry.at} className="block">
          {formatDateTime(entry.at)}
        </time>
        {entry.ip ? <span className="block">from {entry.ip}</span> : null}
      </div>
    </li>
  );
}

/**
 * The audit answers its newest `limit` entries and has no cursor: page n asks for n × 100 and
 * keeps the last hundred of them, the cursor being the next limit (up to 1,000).
 */
async function auditPage(
  _key: readonly ["audit"],
  cursor: string | null,
): Promise<Page<AuditEntry>> {
  const limit = cursor ? Number(cursor) : PAGE;
  const entries = await api.audit({ limit });
  const more = entries.length >= limit && limit < MAX;
  return {
    items: entries.slice(limit - PAGE),
    next_cursor: more ? String(Math.min(MAX, limit + PAGE)) : null,
  };
}

function AdminAudit() {
  // The older pages' limits already hold the first page's entries: no need to ask it again.
  const list = usePagedList(["audit"] as const, auditPage, { revalidateFirstPage: false });
  // Names for the ids the audit keeps; the log still shows without them.
  const { data: users } = useSWR("users", api.users);
  const refreshing = list.isValidating && !list.isLoading;

  return (
    <div className="mx-auto max-w-3xl">
      <PageHeader
        title="Audit log"
        description="Sign-ins, user changes, settings and refused calls, newest first."
        actions={
          <button
            type="button"
            onClick={list.reload}
            disabled={list.isValidating}
            className={buttonClass("secondary")}
          >
            <RefreshIcon size={16} /> {refreshing ? "Refreshing…" : "Refresh"}
          </button>
        }
      />
      <AdminTabs current="/audit/" />
      <Card>
        <ListStates
          list={list}
          loadingLabel="Loading the audit log"
          errorTitle="Could not load the audit log"
          onRetry={list.reload}
          moreLabel="Show older entries"
          empty={
            <EmptyState icon={<ListIcon size={22} />} title="Nothing recorded yet">
              Sign-ins, user and settings changes show up here.
            </EmptyState>
          }
        >
          <ul aria-label="Audit log" className="divide-y divide-slate-100">
            {list.items.map((e, i) => (
              <AuditRow key={`${e.at}-${e.action}-${i}`} entry={e} users={users} />
            ))}
          </ul>
        </ListStates>
      </Card>
    </div>
  );
}

export function AuditLog() {
  const admin = useIsAdmin();
  if (!admin) {
    return (
      <AdminOnlyNotice title="Audit log">
        The audit log of sign-ins and changes is kept for administrators.
      </AdminOnlyNotice>
    );
  }
  return <AdminAudit />;
}
