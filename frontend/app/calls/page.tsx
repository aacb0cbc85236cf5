import type { Metadata } from "next";
import { Suspense } from "react";
import { CallsRoute } from "@/features/calls/CallsRoute";
import { Spinner } from "@/ui/primitives";

export const metadata: Metadata = { title: "Call logs" };

export default function CallLogsPage() {
  return (
    <Suspense fallback={<Spinner label="Loading calls" />}>
      <CallsRoute />
    </Suspense>
  );
}
