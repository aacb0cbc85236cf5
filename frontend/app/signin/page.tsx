"use client";

import { Suspense } from "react";
import { SignIn } from "@/features/auth/SignIn";
import { Spinner } from "@/ui/primitives";

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
