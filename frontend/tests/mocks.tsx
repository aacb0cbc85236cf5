import type { AnchorHTMLAttributes, ReactNode } from "react";
import { vi } from "vitest";

export const push = vi.fn();
export const replace = vi.fn();

/** What usePathname / useSearchParams answer; tests may change it. */
export const nav = { pathname: "/", search: "" };

vi.mock("next/navigation", () => ({
  useRouter: () => ({ push, replace, back: vi.fn(), prefetch: vi.fn() }),
  usePathname: () => nav.pathname,
  useSearchParams: () => new URLSearchParams(nav.search),
}));

vi.mock("next/link", () => ({
  default: ({
    href,
    children,
    ...rest
  }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string; children: ReactNode }) => (
    <a href={href} {...rest}>
      {children}
    </a>
  ),
}));
