"use client";

import useSWRInfinite, { type SWRInfiniteConfiguration } from "swr/infinite";
import type { Page } from "@/lib/types";

/** What a list screen needs from its data, paged or not (see `ListStates`). */
export interface ListData<T> {
  items: T[];
  error: unknown;
  /** Nothing to show yet: the first answer has not come. */
  isLoading: boolean;
  /** Set for a list that comes in pages. */
  pager?: Pager;
}

export interface Pager {
  hasMore: boolean;
  loadingMore: boolean;
  loadMore: () => void;
}

export interface PagedList<T> extends ListData<T> {
  pager: Pager;
  isValidating: boolean;
  /** Fetch every loaded page again. */
  reload: () => void;
}

/**
 * A list fetched page by page: page n+1 asks with page n's `next_cursor`, and `loadMore` stops
 * once a page has none. `key` names the list and its filters (`["calls", status, q]`); another
 * key starts again at the first page, and `null` fetches nothing. The SWR key of a page is
 * `[...key, cursor]`, so `mutate` with a matcher on `key[0]` reaches it.
 */
export function usePagedList<T, K extends readonly unknown[]>(
  key: K | null,
  fetchPage: (key: K, cursor: string | null) => Promise<Page<T>>,
  config?: SWRInfiniteConfiguration<Page<T>>,
): PagedList<T> {
  const { data, error, isLoading, isValidating, size, setSize, mutate } = useSWRInfinite<Page<T>>(
    (index, previous: Page<T> | null) => {
      if (key === null || (previous && !previous.next_cursor)) return null;
      return [...key, index === 0 ? null : (previous?.next_cursor ?? null)];
    },
    (pageKey: readonly unknown[]) =>
      fetchPage(pageKey.slice(0, -1) as unknown as K, pageKey[pageKey.length - 1] as string | null),
    config,
  );
  return {
    items: data?.flatMap((p) => p.items) ?? [],
    error,
    isLoading,
    isValidating,
    reload: () => void mutate(),
    pager: {
      hasMore: !!data && !!data[data.length - 1]?.next_cursor,
      loadingMore: isValidating && size > (data?.length ?? 0),
      loadMore: () => void setSize(size + 1),
    },
  };
}
