"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useEffect, useId, useRef, useState } from "react";
import type { ReactNode } from "react";
import { SWRConfig } from "swr";
import { api } from "@/lib/api";
import { initials, ROLE_LABEL } from "@/lib/format";
import {
  SIGN_IN_PATH,
  clearSession,
  signInHref,
  takeDeliberateSignOut,
  useSession,
  type Session,
} from "@/lib/session";
import type { Role } from "@/lib/types";
import {
  ChartIcon,
  ChevronDownIcon,
  ListIcon,
  LogOutIcon,
  PhoneIcon,
  SettingsIcon,
  ShieldIcon,
  UsersIcon,
} from "@/ui/icons";
import { OngoingCall } from "./OngoingCall";
import { ToastProvider } from "@/ui/Toasts";
import { Badge, Spinner, focusRing } from "@/ui/primitives";

interface NavItem {
  href: string;
  label: string;
  icon: typeof PhoneIcon;
  match: (p: string) => boolean;
  /** Only administrators see it (the API answers 403 to anyone else). */
  admin?: boolean;
}

export const NAV: NavItem[] = [
  { href: "/", label: "Phone", icon: PhoneIcon, match: (p: string) => p === "/" || p === "/call/" },
  { href: "/calls/", label: "Call logs", icon: ListIcon, match: (p: string) => p === "/calls/" },
  {
    href: "/contacts/",
    label: "Contacts",
    icon: UsersIcon,
    match: (p: string) => p === "/contacts/",
  },
  { href: "/stats/", label: "Statistics", icon: ChartIcon, match: (p: string) => p === "/stats/" },
  {
    href: "/users/",
    label: "Users",
    icon: ShieldIcon,
    match: (p: string) => p === "/users/" || p === "/audit/",
    admin: true,
  },
  {
    href: "/settings/",
    label: "Settings",
    icon: SettingsIcon,
    match: (p: string) => p === "/settings/",
    admin: true,
  },
];

export const navFor = (role: Role) => NAV.filter((n) => !n.admin || role === "admin");

function withSlash(pathname: string) {
  return pathname.endsWith("/") ? pathname : `${pathname}/`;
}

export function AppShell({ children }: { children: ReactNode }) {
  const path = withSlash(usePathname() ?? "/");
  return (
    <ToastProvider>
      {path === SIGN_IN_PATH ? (
        <SWRConfig value={{ revalidateOnFocus: false, shouldRetryOnError: false }}>
          {children}
        </SWRConfig>
      ) : (
        <Guard path={path}>{children}</Guard>
      )}
    </ToastProvider>
  );
}

/** Protected pages render only with a session; without one, off to the sign-in page. */
function Guard({ path, children }: { path: string; children: ReactNode }) {
  const session = useSession();
  const router = useRouter();

  useEffect(() => {
    if (session !== null) return;
    // Signing out on purpose starts afresh; otherwise come back here after signing in.
    const here = `${window.location.pathname}${window.location.search}`;
    router.replace(takeDeliberateSignOut() ? SIGN_IN_PATH : signInHref(here));
  }, [session, router]);

  if (!session) {
    return (
      <div className="flex min-h-dvh items-center justify-center" data-testid="auth-pending">
        <Spinner label={session === undefined ? "Loading" : "Taking you to sign in…"} />
      </div>
    );
  }
  return (
    // A fresh cache per session: nothing one user loaded is shown to the next.
    <SWRConfig
      key={session.token}
      value={{ provider: () => new Map(), revalidateOnFocus: true, shouldRetryOnError: false }}
    >
      <Shell path={path} session={session}>
        {children}
      </Shell>
    </SWRConfig>
  );
}

function Shell({
  path,
  session,
  children,
}: {
  path: string;
  session: Session;
  children: ReactNode;
}) {
  const nav = navFor(session.user.role);
  return (
    <div className="flex min-h-dvh flex-col">
      <a
        href="#main"
        className="sr-only rounded-md bg-white px-3 py-2 text-sm font-medium text-indigo-700 focus:not-sr-only focus:fixed focus:left-3 focus:top-3 focus:z-50"
      >
        Skip to content
      </a>
      <header className="sticky top-0 z-40 border-b border-slate-200 bg-white/90 backdrop-blur">
        <div className="mx-auto flex h-14 max-w-5xl items-center justify-between gap-4 px-4 sm:h-16 sm:px-6">
          <Link
            href="/"
            className={`flex items-center gap-2 rounded-md text-slate-900 ${focusRing}`}
          >
            <span className="flex size-8 items-center justify-center rounded-lg bg-indigo-600 text-white">
              <PhoneIcon size={16} />
            </span>
            <span className="text-base font-semibold tracking-tight">Dialer</span>
          </Link>
          <nav aria-label="Main" className="hidden lg:block">
            <ul className="flex items-center gap-1">
              {nav.map(({ href, label, icon: NavIcon, match }) => {
                const active = match(path);
                return (
                  <li key={href}>
                    <Link
                      href={href}
                      aria-current={active ? "page" : undefined}
                      className={`flex items-center gap-2 rounded-lg px-3 py-2 text-sm font-medium whitespace-nowrap ${focusRing} ${
                        active
                          ? "bg-indigo-50 text-indigo-700"
                          : "text-slate-600 hover:bg-slate-100 hover:text-slate-900"
                      }`}
                    >
                      <NavIcon size={16} />
                      {label}
                    </Link>
                  </li>
                );
              })}
            </ul>
          </nav>
          <AccountMenu session={session} />
        </div>
        <OngoingCall />
      </header>
      <main id="main" className="mx-auto w-full max-w-5xl flex-1 px-4 py-6 sm:px-6 sm:py-10">
        {children}
      </main>
      <nav
        aria-label="Main"
        className="sticky bottom-0 z-40 border-t border-slate-200 bg-white/95 pb-[env(safe-area-inset-bottom)] backdrop-blur lg:hidden"
      >
        <ul
          className="mx-auto grid max-w-lg"
          style={{ gridTemplateColumns: `repeat(${nav.length}, minmax(0, 1fr))` }}
        >
          {nav.map(({ href, label, icon: NavIcon, match }) => {
            const active = match(path);
            return (
              <li key={href}>
                <Link
                  href={href}
                  aria-current={active ? "page" : undefined}
                  className={`flex flex-col items-center gap-0.5 px-1 py-2 text-[0.6875rem] font-medium ${focusRing} ${
                    active ? "text-indigo-700" : "text-slate-500 hover:text-slate-900"
                  }`}
                >
                  <NavIcon size={20} />
                  {label}
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
    </div>
  );
}

/** Who is signed in, their role, and the way out. */
function AccountMenu({ session }: { session: Session }) {
  const { user } = session;
  const router = useRouter();
  const panelId = useId();
  const [open, setOpen] = useState(false);
  const [leaving, setLeaving] = useState(false);
  const root = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const onPointer = (e: PointerEvent) => {
      if (root.current && !root.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") setOpen(false);
    };
    document.addEventListener("pointerdown", onPointer);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("pointerdown", onPointer);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

  const signOut = async () => {
    setLeaving(true);
    try {
      await api.signOut();
    } catch {
      // The server may be unreachable or the token already dead: this browser forgets it anyway.
    }
    clearSession("signed_out");
    router.replace(SIGN_IN_PATH);
  };

  return (
    <div ref={root} className="relative">
      <button
        type="button"
        aria-expanded={open}
        aria-controls={panelId}
        aria-label={`Account: ${user.name || user.email}, ${ROLE_LABEL[user.role]}`}
        onClick={() => setOpen((o) => !o)}
        data-testid="account-button"
        title={`${user.name} · ${user.email}`}
        className={`flex items-center gap-2 rounded-full py-1 pr-2 pl-1 text-sm hover:bg-slate-100 ${focusRing}`}
      >
        <span
          aria-hidden="true"
          className="flex size-8 items-center justify-center rounded-full bg-slate-200 text-xs font-semibold text-slate-700"
        >
          {initials(user.name, user.email)}
        </span>
        <Badge tone={user.role === "admin" ? "info" : "neutral"}>{ROLE_LABEL[user.role]}</Badge>
        <ChevronDownIcon size={16} className="text-slate-500" />
      </button>
      <div
        id={panelId}
        hidden={!open}
        data-testid="account-panel"
        className="absolute right-0 z-50 mt-2 w-64 rounded-xl bg-white p-1 shadow-lg ring-1 ring-slate-200"
      >
        <div className="px-3 py-2">
          <p className="truncate text-sm font-semibold text-slate-900" data-testid="account-name">
            {user.name}
          </p>
          <p className="truncate text-sm text-slate-600" data-testid="account-email">
            {user.email}
          </p>
          <p className="mt-1.5" data-testid="account-role">
            <Badge tone={user.role === "admin" ? "info" : "neutral"}>{ROLE_LABEL[user.role]}</Badge>
          </p>
        </div>
        <div className="my-1 border-t border-slate-100" />
        <button
          type="button"
          onClick={() => void signOut()}
          disabled={leaving}
          className={`flex w-full items-center gap-2 rounded-lg px-3 py-2 text-left text-sm font-medium text-slate-700 hover:bg-slate-100 disabled:text-slate-400 ${focusRing}`}
        >
          <LogOutIcon size={16} />
          {leaving ? "Signing out…" : "Sign out"}
        </button>
      </div>
    </div>
  );
}
