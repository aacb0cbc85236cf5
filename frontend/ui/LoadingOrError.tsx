"use client";

import { ApiError, errorMessage } from "@/lib/api";
import { ErrorState, Spinner } from "./primitives";

/**
 * What a screen of one thing (a call, a contact) shows until it is there: a spinner while it
 * loads, else its error with a retry; a 404 says it was not found.
 */
export function LoadingOrError({
  loading,
  error,
  label,
  notFound,
  failed,
  onRetry,
}: {
  loading: boolean;
  error: unknown;
  /** "Loading call" */
  label: string;
  notFound: string;
  failed: string;
  onRetry: () => void;
}) {
  if (loading || !error) {
    return (
      <div className="flex justify-center px-6 py-16">
        <Spinner label={label} />
      </div>
    );
  }
  return (
    <ErrorState
      title={error instanceof ApiError && error.status === 404 ? notFound : failed}
      message={errorMessage(error)}
      onRetry={onRetry}
    />
  );
}
