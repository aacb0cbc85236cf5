"use client";

import { useSearchParams } from "next/navigation";
import { Suspense } from "react";
import { ActiveCall } from "@/features/call/ActiveCall";
import { Spinner } from "@/ui/primitives";

function CallFromQuery() {
  const id = useSearchParams().get("id");
  return <ActiveCall id={id} />;
}

export default function CallPage() {
  return (
    <Suspense fallback={<Spinner label="Loading call" />}>
      <CallFromQuery />
    </Suspense>
  );
}
