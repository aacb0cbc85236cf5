import { Users } from "@/features/admin/Users";

export default function UsersPage() {
  return <Users />;
}
