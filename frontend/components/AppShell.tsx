"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";
import { SWRConfig } from "swr";
import { ChartIcon, ListIcon, PhoneIcon, SettingsIcon, UsersIcon } from "./icons";
import { OngoingCall } from "./OngoingCall";
import { ToastProvider } from "./Toasts";
import { focusRing } from "./ui";

const NAV = [
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
    href: "/settings/",
    label: "Settings",
    icon: SettingsIcon,
    match: (p: string) => p === "/settings/",
  },
];

export function AppShell({ children }: { children: ReactNode }) {
  const pathname = usePathname() ?? "/";
  const path = pathname.endsWith("/") ? pathname : `${pathname}/`;
  return (
    <SWRConfig value={{ revalidateOnFocus: true, shouldRetryOnError: false }}>
      <ToastProvider>
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
              <nav aria-label="Main" className="hidden md:block">
                <ul className="flex items-center gap-1">
                  {NAV.map(({ href, label, icon: NavIcon, match }) => {
                    const active = match(path);
                    return (
                      <li key={href}>
                        <Link
                          href={href}
                          aria-current={active ? "page" : undefined}
                          className={`flex items-center gap-2 rounded-lg px-3 py-2 text-sm font-medium ${focusRing} ${
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
            </div>
            <OngoingCall />
          </header>
          <main id="main" className="mx-auto w-full max-w-5xl flex-1 px-4 py-6 sm:px-6 sm:py-10">
            {children}
          </main>
          <nav
            aria-label="Main"
            className="sticky bottom-0 z-40 border-t border-slate-200 bg-white/95 pb-[env(safe-area-inset-bottom)] backdrop-blur md:hidden"
          >
            <ul className="mx-auto grid max-w-lg grid-cols-5">
              {NAV.map(({ href, label, icon: NavIcon, match }) => {
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
      </ToastProvider>
    </SWRConfig>
  );
}
