"use client";

import Link from "next/link";
import { linkClass } from "../_components/ui";

// A page whose data could not be read (the database unreachable, say): what happened and what to do.
export default function DashboardError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div
      role="alert"
      className="rounded-xl border border-rose-200 bg-rose-50 px-6 py-8 text-center dark:border-rose-900 dark:bg-rose-950/60"
    >
      <p className="font-semibold text-rose-800 dark:text-rose-200">This page could not be loaded</p>
      <p className="mx-auto mt-2 max-w-xl text-sm text-rose-700 dark:text-rose-300">
        The server could not read the figures just now — usually because its database is unavailable. Try again in a
        moment; if it keeps failing, the{" "}
        <Link href="/status" className={linkClass}>
          Server
        </Link>{" "}
        page and the server&apos;s log say more.
        {error.digest ? <span className="mt-1 block text-xs opacity-80">Reference: {error.digest}</span> : null}
      </p>
      <button
        type="button"
        onClick={reset}
        className="mt-4 rounded-lg bg-rose-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-rose-700 focus-visible:ring-2 focus-visible:ring-rose-500/50 focus-visible:outline-none"
      >
        Try again
      </button>
    </div>
  );
}
