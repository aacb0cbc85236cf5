import { Dialer } from "@/components/Dialer";

export default function PhonePage() {
  return <Dialer />;
}
