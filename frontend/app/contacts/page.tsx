"use client";

import { useSearchParams } from "next/navigation";
import { Suspense } from "react";
import { ContactDetail } from "@/components/ContactDetail";
import { Contacts } from "@/components/Contacts";
import { Spinner } from "@/components/ui";

function ContactsRoute() {
  const id = useSearchParams().get("id");
  return id ? <ContactDetail id={id} /> : <Contacts />;
}

export default function ContactsPage() {
  return (
    <Suspense fallback={<Spinner label="Loading contacts" />}>
      <ContactsRoute />
    </Suspense>
  );
}
