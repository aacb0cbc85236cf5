import { Dialer } from "@/features/dialer/Dialer";

export default function PhonePage() {
  return <Dialer />;
}
