import { useEffect, useSyncExternalStore } from "react";
import { KEYS, storage } from "./storage";
import type { User } from "./types";

export type { Role, User } from "./types";

/** What `POST /api/auth/sign-in` answers, kept in localStorage between visits. */
export interface Session {
  token: string;
  expires_at: string;
  user: User;
}

/** Why the session ended, shown on the sign-in page. */
export type SignedOutReason =
  | "signed_out"
  | "sign_in_required"
  | "invalid_token"
  | "session_expired"
  | "account_disabled"
  | "session_ended";

export const SIGN_IN_PATH = "/signin/";

function isSession(value: unknown): value is Session {
  if (!value || typeof value !== "object") return false;
  const s = value as Partial<Session>;
  return (
    typeof s.token === "string" &&
    s.token.length > 0 &&
    typeof s.expires_at === "string" &&
    !!s.user &&
    typeof s.user === "object" &&
    typeof s.user.id === "string" &&
    (s.user.role === "admin" || s.user.role === "agent")
  );
}

/** Parse a stored session; null when missing, broken or expired at `now`. */
export function parseSession(raw: string | null, now = Date.now()): Session | null {
  if (!raw) return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!isSession(value)) return null;
  const expires = Date.parse(value.expires_at);
  if (Number.isNaN(expires) || expires <= now) return null;
  return value;
}

/** The current session, or null when signed out or expired. */
export function getSession(): Session | null {
  return parseSession(storage.get(KEYS.session));
}

export function getToken(): string | null {
  return getSession()?.token ?? null;
}

export function setSession(session: Session) {
  storage.remove(KEYS.signedOut);
  storage.set(KEYS.session, JSON.stringify(session));
}

// Set by a deliberate sign-out in this page, taken by the app shell's redirect (which then
// leaves out the way back: signing out is not a detour).
let deliberateSignOut = false;

/** True once after a deliberate sign-out in this page. */
export function takeDeliberateSignOut(): boolean {
  const was = deliberateSignOut;
  deliberateSignOut = false;
  return was;
}

/** Forget the session (and the call this browser was following: it belonged to that user). */
export function clearSession(reason: SignedOutReason = "signed_out") {
  // Signing out on purpose always says so; a second 401 does not overwrite the first reason.
  if (storage.get(KEYS.session) === null && reason !== "signed_out") return;
  if (reason === "signed_out") deliberateSignOut = true;
  storage.set(KEYS.signedOut, reason);
  storage.remove(KEYS.currentCall);
  storage.remove(KEYS.session);
}

/** Why the last session ended (null once someone signed in again). */
export function signedOutReason(): SignedOutReason | null {
  return storage.get(KEYS.signedOut) as SignedOutReason | null;
}

/**
 * Only paths inside this app are followed after sign-in (no open redirect). Browsers drop tabs
 * and line breaks from a URL and read a backslash as a slash, so `/\t/evil.example` and
 * `/\\evil` would leave the site: any control character or backslash is refused outright, and what is left must
 * resolve to this origin.
 */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith("/") || next.startsWith("//")) return "/";
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return "/";
  let url: URL;
  try {
    url = new URL(next, "https://app.invalid");
  } catch {
    return "/";
  }
  if (url.origin !== "https://app.invalid") return "/";
  const path = `${url.pathname}${url.search}${url.hash}`;
  if (path === "/signin" || path.startsWith(SIGN_IN_PATH)) return "/";
  return path;
}

/** The sign-in page, with a way back to `next` once signed in. */
export function signInHref(next?: string | null): string {
  const back = next ? safeNext(next) : "/";
  return back === "/" ? SIGN_IN_PATH : `${SIGN_IN_PATH}?next=${encodeURIComponent(back)}`;
}

function subscribe(onChange: () => void) {
  window.addEventListener("storage", onChange);
  return () => window.removeEventListener("storage", onChange);
}

const readRaw = () => storage.get(KEYS.session);
const serverRaw = () => undefined;

// Parsing is memoised on the raw string so the hook returns the same object between renders.
let lastRaw: string | null | undefined;
let lastSession: Session | null = null;
function parsed(raw: string | null): Session | null {
  if (raw !== lastRaw) {
    lastRaw = raw;
    lastSession = parseSession(raw);
  }
  // An expired session is signed out even if nothing changed in storage.
  if (lastSession && Date.parse(lastSession.expires_at) <= Date.now()) return null;
  return lastSession;
}

/**
 * The session, kept up to date with localStorage (this tab and others). `undefined` until the
 * browser's storage has been read (server render and hydration), so nothing protected flashes.
 * Clears the session the moment it expires.
 */
export function useSession(): Session | null | undefined {
  const raw = useSyncExternalStore<string | null | undefined>(subscribe, readRaw, serverRaw);
  const session = raw === undefined ? undefined : parsed(raw);

  useEffect(() => {
    if (raw === undefined) return;
    if (raw !== null && session === null) {
      // Stored but expired or unreadable.
      clearSession(parseSessionShape(raw) ? "session_expired" : "invalid_token");
      return;
    }
    if (!session) return;
    const left = Date.parse(session.expires_at) - Date.now();
    // setTimeout takes at most 2^31-1 ms; a longer session is checked again later.
    const handle = window.setTimeout(
      () => {
        if (!getSession()) clearSession("session_expired");
      },
      Math.min(Math.max(left, 0) + 50, 2_147_483_000),
    );
    return () => window.clearTimeout(handle);
  }, [raw, session]);

  return session;
}

function parseSessionShape(raw: string): boolean {
  try {
    return isSession(JSON.parse(raw));
  } catch {
    return false;
  }
}

const readReason = () => storage.get(KEYS.signedOut) as SignedOutReason | null;
const serverReason = () => null;

/** Why the last session ended, kept up to date (null once someone signs in again). */
export function useSignedOutReason(): SignedOutReason | null {
  return useSyncExternalStore(subscribe, readReason, serverReason);
}
