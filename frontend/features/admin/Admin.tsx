"use client";

import Link from "next/link";
import type { ReactNode } from "react";
import { useSession } from "@/lib/session";
import { LockIcon } from "@/ui/icons";
import { Card, EmptyState, PageHeader, focusRing } from "@/ui/primitives";

/** True only for a signed-in administrator. */
export function useIsAdmin(): boolean {
  return useSession()?.user.role === "admin";
}

/** What an agent sees instead of an administrator's page (the API would answer 403). */
export function AdminOnlyNotice({
  title,
  description,
  children,
}: {
  title: string;
  description?: string;
  children: ReactNode;
}) {
  return (
    <div className="mx-auto max-w-3xl">
      <PageHeader title={title} description={description} />
      <Card>
        <div data-testid="admin-only-notice">
          <EmptyState icon={<LockIcon size={22} />} title="Only administrators can change this">
            {children}
          </EmptyState>
        </div>
      </Card>
    </div>
  );
}

const TABS = [
  { href: "/users/", label: "Users" },
  { href: "/audit/", label: "Audit log" },
] as const;

/** Switches between the administration pages. */
export function AdminTabs({ current }: { current: (typeof TABS)[number]["href"] }) {
  return (
    <nav aria-label="Administration" className="mb-5">
      <ul className="flex gap-1 rounded-xl bg-slate-100 p-1 sm:inline-flex">
        {TABS.map((t) => {
          const active = t.href === current;
          return (
            <li key={t.href} className="flex-1 sm:flex-none">
              <Link
                href={t.href}
                aria-current={active ? "page" : undefined}
                className={`block rounded-lg px-3 py-1.5 text-center text-sm font-medium ${focusRing} ${
                  active
                    ? "bg-white text-slate-900 shadow-sm"
                    : "text-slate-600 hover:text-slate-900"
                }`}
              >
                {t.label}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
