"use client";

import { useSearchParams } from "next/navigation";
import { Suspense } from "react";
import { ContactDetail } from "@/features/contacts/ContactDetail";
import { Contacts } from "@/features/contacts/Contacts";
import { Spinner } from "@/ui/primitives";

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
