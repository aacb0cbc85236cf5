import { AuditLog } from "@/components/AuditLog";

export default function AuditPage() {
  return <AuditLog />;
}
