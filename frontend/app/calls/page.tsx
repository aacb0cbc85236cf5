import type { Metadata } from "next";
import { Suspense } from "react";
import { CallsRoute } from "@/components/CallsRoute";
import { Spinner } from "@/components/ui";

export const metadata: Metadata = { title: "Call logs" };

export default function CallLogsPage() {
  return (
    <Suspense fallback={<Spinner label="Loading calls" />}>
      <CallsRoute />
    </Suspense>
  );
}
