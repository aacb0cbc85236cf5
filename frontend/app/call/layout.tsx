import type { Metadata } from "next";

export const metadata: Metadata = { title: "Call" };

export default function CallLayout({ children }: { children: React.ReactNode }) {
  return children;
}
