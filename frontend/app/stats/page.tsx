import { Statistics } from "@/features/stats/Statistics";

export default function StatsPage() {
  return <Statistics />;
}
