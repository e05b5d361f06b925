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
        {/* The first stop of Tab on every page: past the header's links, straight to the page's own content. */}
        <a
          href="#main"
          className="sr-only rounded-lg bg-white px-4 py-2 text-sm font-semibold text-sky-800 shadow-lg ring-2 ring-sky-600 focus:not-sr-only focus:fixed focus:top-3 focus:left-3 focus:z-50 focus:outline-none dark:bg-slate-900 dark:text-sky-300 dark:ring-sky-400"
        >
          Skip to content
        </a>
        {children}
      </body>
    </html>
  );
}
