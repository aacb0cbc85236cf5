"use client";

import { useSearchParams } from "next/navigation";
import { CallDetail } from "./CallDetail";
import { CallLogs } from "./CallLogs";

/** `/calls/` is the list; `/calls/?id=…` one call's detail (no dynamic routes in an export). */
export function CallsRoute() {
  const id = useSearchParams().get("id");
  return id ? <CallDetail id={id} /> : <CallLogs />;
}
