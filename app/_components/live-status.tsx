"use client";

import { formatClock, formatWhenRelative, localDateIn } from "./format";
import type { ViewError } from "./use-live-view";

/**
 * When the numbers on the page were taken and whether they keep themselves current; a failed
 * refresh says what happened and what to do, while the last good numbers stay on the page.
 */
export function LiveStatus({
  generatedAt,
  hoursAsOf,
  timeZone,
  live,
  refreshing,
  error,
  onRefresh,
}: {
  generatedAt: string;
  /** When the hours engine last finished; time worked and Real Work Hours are as of then. Left out where a page shows no hours. */
  hoursAsOf?: string | null;
  timeZone: string;
  live: boolean;
  refreshing: boolean;
  error: ViewError | undefined;
  onRefresh: () => void;
}) {
  const time = formatClock(generatedAt, timeZone);
  return (
    <div className="flex flex-col items-start gap-2 lg:items-end">
      <div
        className="flex items-center gap-2 text-xs text-slate-500 dark:text-slate-400"
        role="status"
        aria-live="polite"
      >
        {live ? (
          <span className="relative flex h-2 w-2" aria-hidden="true">
            <span className="absolute inline-flex h-full w-full rounded-full bg-emerald-400 opacity-75 motion-safe:animate-ping" />
            <span className="relative inline-flex h-2 w-2 rounded-full bg-emerald-500" />
          </span>
        ) : null}
        <span data-testid="updated-at" data-generated-at={generatedAt} className="whitespace-nowrap">
          {live ? "Live · " : ""}Updated {time}
          {refreshing ? " · refreshing…" : live ? " · refreshes every minute" : ""}
        </span>
        <button
          type="button"
          onClick={onRefresh}
          className="rounded-md border border-slate-300 px-2 py-0.5 font-medium text-slate-700 hover:bg-slate-100 focus-visible:ring-2 focus-visible:ring-sky-500/50 focus-visible:outline-none dark:border-slate-700 dark:text-slate-300 dark:hover:bg-slate-800"
        >
          Refresh
        </button>
      </div>
      {hoursAsOf === undefined ? null : (
        <p className="text-xs text-slate-500 dark:text-slate-400" data-testid="hours-as-of">
          {hoursAsOf
            ? `Hours computed at ${formatWhenRelative(hoursAsOf, localDateIn(generatedAt, timeZone), timeZone)}`
            : "Hours not computed yet: the engine has not run"}
        </p>
      )}
      {error ? (
        <p
          role="alert"
          className="rounded-lg border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-200"
        >
          {error.status === 401 ? (
            <>
              Your session has ended, so the page stopped updating.{" "}
              <a
                className="font-semibold underline"
                href={`/sign-in?next=${encodeURIComponent(window.location.pathname + window.location.search)}`}
              >
                Sign in again
              </a>
            </>
          ) : (
            <>
              Could not refresh: {error.message}. The numbers shown are from {time};{" "}
              {live ? "the page tries again every minute." : "try Refresh in a moment."}
            </>
          )}
        </p>
      ) : null}
    </div>
  );
}
