import type { ReactNode } from "react";
import { InlineError } from "./primitives";

/**
 * A labelled input with its hint under it; an error takes the hint's place, first letter
 * capitalised (server messages come in lower case), with the id `aria-describedby` can name
 * (`errorId`, by default `<htmlFor>-error`).
 */
export function Field({
  label,
  htmlFor,
  hint,
  error,
  errorId = htmlFor ? `${htmlFor}-error` : undefined,
  children,
}: {
  label: string;
  htmlFor?: string;
  hint?: ReactNode;
  error?: string;
  errorId?: string;
  children: ReactNode;
}) {
  return (
    <div>
      <label htmlFor={htmlFor} className="text-sm font-medium text-slate-700">
        {label}
      </label>
      <div className="mt-1">{children}</div>
      {error ? (
        <InlineError id={errorId}>{error.charAt(0).toUpperCase() + error.slice(1)}</InlineError>
      ) : hint ? (
        <p className="mt-1 text-xs text-slate-500">{hint}</p>
      ) : null}
    </div>
  );
}
