"use client";

import { useRouter, useSearchParams } from "next/navigation";
import { useEffect, useId, useRef, useState } from "react";
import type { FormEvent } from "react";
import { ApiError, api, errorMessage } from "@/lib/api";
import { useNow } from "@/lib/hooks";
import {
  safeNext,
  setSession,
  useSession,
  useSignedOutReason,
  type SignedOutReason,
} from "@/lib/session";
import { AlertIcon, LockIcon, PhoneIcon } from "@/ui/icons";
import { InlineError, buttonClass, inputClass } from "@/ui/primitives";

const REASON_TEXT: Record<SignedOutReason, string> = {
  signed_out: "You have signed out.",
  sign_in_required: "Sign in to continue.",
  invalid_token: "Your sign-in is no longer valid. Sign in again.",
  session_expired: "Your session has expired. Sign in again.",
  account_disabled: "This account has been disabled. Ask an administrator.",
  session_ended: "Your password was changed. Sign in with the new one.",
};

/** Same shape the API accepts: something@domain.tld, no spaces. */
export function looksLikeEmail(value: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value.trim()) && !value.trim().endsWith(".");
}

type Failure =
  | { kind: "field"; field: "email" | "password"; message: string }
  | { kind: "form"; message: string }
  | { kind: "locked"; since: number; until: number };

export function SignIn() {
  const router = useRouter();
  const next = safeNext(useSearchParams().get("next"));
  const session = useSession();
  const reason = useSignedOutReason();
  const ids = { email: useId(), password: useId(), error: useId() };
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [submitting, setSubmitting] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const emailRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const locked = failure?.kind === "locked";
  const now = useNow(locked);
  // `now` is the last tick (it may predate the lock): never count from before the lock began.
  const lockLeft =
    failure?.kind === "locked"
      ? Math.max(0, Math.ceil((failure.until - Math.max(now, failure.since)) / 1000))
      : 0;

  // Already signed in (another tab, or just now): go where the user was heading.
  useEffect(() => {
    if (session) router.replace(next);
  }, [session, next, router]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (submitting || lockLeft > 0) return;
    const address = email.trim();
    if (!address) {
      setFailure({ kind: "field", field: "email", message: "Enter your e-mail address." });
      emailRef.current?.focus();
      return;
    }
    if (!looksLikeEmail(address)) {
      setFailure({
        kind: "field",
        field: "email",
        message: "Enter a valid e-mail address, like name@example.com.",
      });
      emailRef.current?.focus();
      return;
    }
    if (!password) {
      setFailure({ kind: "field", field: "password", message: "Enter your password." });
      passwordRef.current?.focus();
      return;
    }
    setSubmitting(true);
    setFailure(null);
    try {
      const signedIn = await api.signIn(address, password);
      setSession(signedIn);
      router.replace(next);
    } catch (err) {
      setSubmitting(false);
      setPassword("");
      if (err instanceof ApiError && err.status === 429) {
        const since = Date.now();
        setFailure({ kind: "locked", since, until: since + (err.retryAfter ?? 60) * 1000 });
      } else if (err instanceof ApiError && err.status === 400) {
        setFailure({
          kind: "field",
          field: "email",
          message: "Enter a valid e-mail address, like name@example.com.",
        });
        emailRef.current?.focus();
      } else if (err instanceof ApiError && err.status === 401) {
        setFailure({
          kind: "form",
          message:
            "Wrong e-mail or password, or the account is disabled. Check both and try again.",
        });
        passwordRef.current?.focus();
      } else if (err instanceof ApiError && err.status === 0) {
        setFailure({
          kind: "form",
          message: "Could not reach the server. Check your connection and try again.",
        });
      } else {
        setFailure({ kind: "form", message: `Could not sign in: ${errorMessage(err)}` });
      }
    }
  };

  const fieldError = (field: "email" | "password") =>
    failure?.kind === "field" && failure.field === field ? failure.message : undefined;
  const formMessage =
    failure?.kind === "form"
      ? failure.message
      : failure?.kind === "locked"
        ? lockLeft > 0
          ? `Too many sign-in attempts. Try again in ${lockLeft} s.`
          : "You can try again now."
        : null;

  return (
    <div className="flex min-h-dvh flex-col items-center justify-center px-4 py-10">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex flex-col items-center text-center">
          <span className="flex size-12 items-center justify-center rounded-2xl bg-indigo-600 text-white shadow-sm">
            <PhoneIcon size={24} />
          </span>
          <h1 className="mt-4 text-2xl font-semibold tracking-tight text-slate-900">
            Sign in to Dialer
          </h1>
          <p className="mt-1 text-sm text-slate-600">
            Use the account your administrator gave you.
          </p>
        </div>
        <div className="rounded-2xl bg-white p-6 shadow-sm ring-1 ring-slate-200">
          {reason && !failure ? (
            <p
              role="status"
              data-testid="signed-out-reason"
              className="mb-4 rounded-lg bg-slate-50 px-3 py-2 text-sm text-slate-700 ring-1 ring-slate-200"
            >
              {REASON_TEXT[reason] ?? REASON_TEXT.sign_in_required}
            </p>
          ) : null}
          {formMessage ? (
            <div
              id={ids.error}
              role="alert"
              data-testid="sign-in-error"
              className="mb-4 flex items-start gap-2 rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-800 ring-1 ring-rose-200"
            >
              {locked ? (
                <LockIcon size={16} className="mt-0.5 shrink-0" />
              ) : (
                <AlertIcon size={16} className="mt-0.5 shrink-0" />
              )}
              <span>{formMessage}</span>
            </div>
          ) : null}
          <form
            onSubmit={(e) => void submit(e)}
            noValidate
            aria-label="Sign in"
            aria-describedby={formMessage ? ids.error : undefined}
            className="space-y-4"
          >
            <div>
              <label htmlFor={ids.email} className="text-sm font-medium text-slate-700">
                E-mail
              </label>
              <input
                ref={emailRef}
                id={ids.email}
                type="email"
                name="email"
                autoComplete="username"
                inputMode="email"
                autoCapitalize="none"
                spellCheck={false}
                value={email}
                onChange={(e) => {
                  setEmail(e.target.value);
                  if (failure?.kind === "field") setFailure(null);
                }}
                aria-invalid={fieldError("email") ? true : undefined}
                aria-describedby={fieldError("email") ? `${ids.email}-error` : undefined}
                className={`${inputClass} mt-1`}
              />
              {fieldError("email") ? (
                <InlineError id={`${ids.email}-error`}>{fieldError("email")}</InlineError>
              ) : null}
            </div>
            <div>
              <label htmlFor={ids.password} className="text-sm font-medium text-slate-700">
                Password
              </label>
              <input
                ref={passwordRef}
                id={ids.password}
                type="password"
                name="password"
                autoComplete="current-password"
                value={password}
                onChange={(e) => {
                  setPassword(e.target.value);
                  if (failure?.kind === "field") setFailure(null);
                }}
                aria-invalid={fieldError("password") ? true : undefined}
                aria-describedby={fieldError("password") ? `${ids.password}-error` : undefined}
                className={`${inputClass} mt-1`}
              />
              {fieldError("password") ? (
                <InlineError id={`${ids.password}-error`}>{fieldError("password")}</InlineError>
              ) : null}
            </div>
            <button
              type="submit"
              disabled={submitting || lockLeft > 0}
              className={`${buttonClass("primary")} w-full`}
            >
              {submitting ? "Signing in…" : "Sign in"}
            </button>
          </form>
        </div>
        <p className="mt-6 text-center text-xs text-slate-500">
          No account? Ask an administrator of your team to add you.
        </p>
      </div>
    </div>
  );
}
