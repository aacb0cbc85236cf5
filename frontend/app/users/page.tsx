import { Users } from "@/components/Users";

export default function UsersPage() {
  return <Users />;
}
