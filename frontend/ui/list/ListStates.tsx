import type { ReactNode } from "react";
import { errorMessage } from "@/lib/api";
import { ErrorState, Spinner, buttonClass } from "@/ui/primitives";
import type { ListData } from "./usePagedList";

/**
 * The ladder every list screen climbs: a spinner until the first answer, the error with a
 * retry when there is nothing to show, the `empty` state, else the list (`children`) with a
 * later page's error under it and, for a paged list, a "load more" button.
 */
export function ListStates({
  list,
  loadingLabel,
  errorTitle,
  onRetry,
  empty,
  moreLabel = "Load more",
  panelId,
  children,
}: {
  list: ListData<unknown>;
  /** "Loading calls" */
  loadingLabel: string;
  errorTitle: string | ((error: unknown) => string);
  onRetry: () => void;
  /** Shown when the list answered with nothing (usually an `EmptyState`). */
  empty: ReactNode;
  moreLabel?: string;
  /** The id a `Tabs` row `controls`: makes this the tab panel. */
  panelId?: string;
  children: ReactNode;
}) {
  const { items, error, isLoading, pager } = list;
  const body = isLoading ? (
    <div className="flex justify-center px-6 py-12">
      <Spinner label={loadingLabel} />
    </div>
  ) : error && items.length === 0 ? (
    <ErrorState
      title={typeof errorTitle === "function" ? errorTitle(error) : errorTitle}
      message={errorMessage(error)}
      onRetry={onRetry}
    />
  ) : items.length === 0 ? (
    empty
  ) : (
    <>
      {children}
      {error ? (
        <p role="alert" className="px-5 pb-3 text-sm text-rose-700">
          {errorMessage(error)}
        </p>
      ) : null}
      {pager?.hasMore ? (
        <div className="flex justify-center border-t border-slate-100 p-3">
          <button
            type="button"
            onClick={pager.loadMore}
            disabled={pager.loadingMore}
            className={buttonClass("ghost")}
          >
            {pager.loadingMore ? "Loading…" : moreLabel}
          </button>
        </div>
      ) : null}
    </>
  );
  if (!panelId) return body;
  return (
    <div id={panelId} role="tabpanel" aria-busy={isLoading}>
      {body}
    </div>
  );
}

/** The bar above a list that holds its tabs and search field. */
export function ListToolbar({ children }: { children: ReactNode }) {
  return (
    <div className="flex flex-col gap-3 border-b border-slate-100 p-3 sm:flex-row sm:items-center sm:justify-between sm:p-4">
      {children}
    </div>
  );
}
