import { cookies } from "next/headers";
import Link from "next/link";
import { Suspense } from "react";
import { NavLinks } from "./nav-links";
import { THEME_COOKIE, toTheme } from "./theme";
import { ThemeToggle } from "./theme-toggle";

/** The top of every dashboard page: the product, its sections, the theme and who is signed in. */
export async function SiteHeader({ username, role, csrfToken }: { username: string; role: string; csrfToken: string }) {
  const theme = toTheme((await cookies()).get(THEME_COOKIE)?.value);
  return (
    <header className="border-b border-slate-200 bg-white/80 backdrop-blur dark:border-slate-800 dark:bg-slate-900/80">
      <div className="mx-auto flex max-w-7xl flex-wrap items-center justify-between gap-x-6 gap-y-2 px-4 pt-3 sm:px-6">
        <Link
          href="/"
          className="flex items-center gap-2 rounded font-semibold tracking-tight focus-visible:ring-2 focus-visible:ring-sky-500/50 focus-visible:outline-none"
        >
          <svg
            viewBox="0 0 24 24"
            className="h-6 w-6 text-sky-600 dark:text-sky-400"
            fill="none"
            stroke="currentColor"
            strokeWidth="2"
            strokeLinecap="round"
            aria-hidden="true"
          >
            <circle cx="12" cy="12" r="9" />
            <path d="M12 7v5l3 2" />
          </svg>
          work-tracing
        </Link>
        <div className="flex items-center gap-3 text-sm">
          <ThemeToggle initial={theme} />
          <span className="hidden text-slate-600 sm:inline dark:text-slate-400">
            <span className="font-medium text-slate-900 dark:text-slate-100">{username}</span> · {role}
          </span>
          <form method="post" action="/auth/sign-out">
            <input type="hidden" name="csrf" value={csrfToken} />
            <button
              type="submit"
              className="rounded-lg border border-slate-300 px-3 py-1.5 font-medium hover:bg-slate-100 focus-visible:ring-2 focus-visible:ring-sky-500/50 focus-visible:outline-none dark:border-slate-700 dark:hover:bg-slate-800"
            >
              Sign out
            </button>
          </form>
        </div>
        <div className="w-full">
          <Suspense fallback={<div className="h-10" />}>
            <NavLinks role={role} />
          </Suspense>
        </div>
      </div>
    </header>
  );
}
