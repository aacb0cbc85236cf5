import { AuditLog } from "@/features/admin/AuditLog";

export default function AuditPage() {
  return <AuditLog />;
}
