"use client";

import useSWR from "swr";
import { api, errorMessage } from "@/lib/api";
import { Card, CardHeader, Spinner } from "@/ui/primitives";

/** The AWS bill a team can expect, so pay-per-use is a number, not a promise. */
export function CostCard() {
  const { data, error } = useSWR("cost-estimate", api.costEstimate, { shouldRetryOnError: false });
  const usd = (n: number) => `$${n.toFixed(2)}`;
  return (
    <Card>
      <CardHeader title="What it costs on AWS" />
      <div className="px-5 py-4 text-sm text-slate-700">
        {data ? (
          <p>
            About <strong>{usd(data.aws_per_1000_calls)}</strong> of AWS per 1,000 three-minute
            calls with live status, next to {usd(data.telnyx_per_1000_calls)} of Telnyx minutes
            {data.aws_share_of_telnyx_percent !== null
              ? ` (${data.aws_share_of_telnyx_percent.toFixed(1)} % of the carrier cost)`
              : ""}
            . Idle costs nothing.
          </p>
        ) : error ? (
          <p className="text-slate-500">The estimate is not available: {errorMessage(error)}</p>
        ) : (
          <Spinner label="Loading the estimate" />
        )}
      </div>
    </Card>
  );
}
