import type { Metadata, Viewport } from "next";
import { AppShell } from "@/features/shell/AppShell";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Dialer", template: "%s · Dialer" },
  description: "Outbound softphone on Telnyx",
};

export const viewport: Viewport = {
  width: "device-width",
  initialScale: 1,
  themeColor: "#4f46e5",
};

export default function RootLayout({ children }: Readonly<{ children: React.ReactNode }>) {
  return (
    <html lang="en">
      <body>
        <AppShell>{children}</AppShell>
      </body>
    </html>
  );
}
