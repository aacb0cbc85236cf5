import { Statistics } from "@/components/Statistics";

export default function StatsPage() {
  return <Statistics />;
}
