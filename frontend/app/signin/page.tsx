"use client";

import { Suspense } from "react";
import { SignIn } from "@/components/SignIn";
import { Spinner } from "@/components/ui";

export default function SignInPage() {
  return (
    <Suspense
      fallback={
        <div className="flex min-h-dvh items-center justify-center">
          <Spinner label="Loading" />
        </div>
      }
    >
      <SignIn />
    </Suspense>
  );
}
