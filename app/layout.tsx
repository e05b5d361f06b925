import type { Metadata } from "next";
import { cookies } from "next/headers";
import { THEME_COOKIE, toTheme } from "./_components/theme";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "work-tracing", template: "%s · work-tracing" },
  description: "Workstation activity and Real Work Hours",
  icons: { icon: { url: "/icon.svg", type: "image/svg+xml" } },
  manifest: "/manifest.webmanifest",
  // A private tool: never indexed, whatever a crawler makes of robots.txt.
  robots: { index: false, follow: false },
};

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  // Chosen on the server from the reader's cookie, so the page never flashes the other theme.
  const theme = toTheme((await cookies()).get(THEME_COOKIE)?.value);
  return (
    <html lang="en" className={theme === "system" ? undefined : theme}>
      <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
        {children}
      </body>
    </html>
  );
}
