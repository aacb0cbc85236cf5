"use client";

import Link from "next/link";
import useSWR from "swr";
import { ApiError, api, errorMessage } from "@/lib/api";
import { CallRow } from "@/features/calls/CallRow";
import { ListIcon } from "@/ui/icons";
import { Card, EmptyState, ErrorState, Spinner, focusRing } from "@/ui/primitives";

export function RecentCalls({ onPick }: { onPick: (number: string) => void }) {
  const { data, error, isLoading, mutate } = useSWR(["calls", "recent"], () =>
    api.calls({ limit: 6 }),
  );
  return (
    <Card className="mx-auto w-full max-w-md lg:max-w-none">
      <div className="flex items-center justify-between border-b border-slate-100 px-5 py-4">
        <h2 className="text-base font-semibold text-slate-900">Recent calls</h2>
        <Link
          href="/calls/"
          className={`rounded text-sm font-medium text-indigo-700 hover:text-indigo-900 ${focusRing}`}
        >
          All call logs
        </Link>
      </div>
      {isLoading ? (
        <div className="px-5 py-8">
          <Spinner label="Loading recent calls" />
        </div>
      ) : error ? (
        <ErrorState
          title={
            error instanceof ApiError && error.status === 404
              ? "Call history is not available yet"
              : "Could not load recent calls"
          }
          message={errorMessage(error)}
          onRetry={() => void mutate()}
        />
      ) : !data || data.items.length === 0 ? (
        <EmptyState icon={<ListIcon size={22} />} title="No calls yet">
          Your calls will show up here. Enter a number and press Call to make the first one.
        </EmptyState>
      ) : (
        <ul className="divide-y divide-slate-100 py-1">
          {data.items.map((call) => (
            <CallRow key={call.call_id} call={call} onCallAgain={onPick} />
          ))}
        </ul>
      )}
    </Card>
  );
}
