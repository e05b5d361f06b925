"use client";

import Link from "next/link";
import { useCallback, useEffect, useState } from "react";
import { DEFAULT_PAGE_SIZE, PAGE_SIZES, type SortDirection, type TablePage } from "@/lib/reports/table";
import { formatBalance, formatDuration, formatWhenRelative } from "./format";
import { buttonSecondary, EmptyState, linkClass, TeamChips } from "./ui";
import type { ViewParams } from "./view-params";

const control =
  "rounded-lg border border-slate-300 bg-white px-3 py-1.5 text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500/30 dark:border-slate-700 dark:bg-slate-900";

/** How long typing in the name filter waits before asking the server. */
const TYPING_MS = 300;

/** The name filter: what is typed shows at once; the table asks for it once typing pauses or the field is left. */
function NameFilter({ value, onChange }: { value: string; onChange: (q: string) => void }) {
  const [typed, setTyped] = useState(value);
  const [seen, setSeen] = useState(value);
  // The URL changed (this field's own change, Clear filters): show what it says.
  if (value !== seen) {
    setSeen(value);
    setTyped(value);
  }
  useEffect(() => {
    if (typed === value) return;
    const timer = setTimeout(() => onChange(typed), TYPING_MS);
    // A link followed before the pause takes the page elsewhere; rewriting the URL after that
    // would cancel its navigation, and the click would seem to do nothing.
    const onLink = (event: MouseEvent) => {
      if (event.target instanceof Element && event.target.closest("a[href]")) clearTimeout(timer);
    };
    document.addEventListener("click", onLink, true);
    return () => {
      clearTimeout(timer);
      document.removeEventListener("click", onLink, true);
    };
  }, [typed, value, onChange]);
  return (
    <label className="relative">
      <span className="sr-only">Filter by name</span>
      <svg
        viewBox="0 0 20 20"
        className="pointer-events-none absolute top-1/2 left-2.5 h-4 w-4 -translate-y-1/2 text-slate-400"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.8"
        aria-hidden="true"
      >
        <circle cx="9" cy="9" r="5.5" />
        <path d="m13.5 13.5 3 3" strokeLinecap="round" />
      </svg>
      <input
        type="search"
        value={typed}
        onChange={(event) => setTyped(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === "Enter" && typed !== value) onChange(typed);
        }}
        // Leaving the field commits it at once: a change still waiting for the pause would land
        // after a click elsewhere and undo that click's navigation.
        onBlur={() => {
          if (typed !== value) onChange(typed);
        }}
        placeholder="Filter by name"
        className={`${control} w-56 pl-8`}
      />
    </label>
  );
}

const STATUS_LABELS = { working: "Working", idle: "Idle", offline: "Offline" } as const;

/**
 * Name, team (and on Today, status) filters over an employee table, with how many employees
 * they leave among everyone. The server applies them to everyone before cutting the page.
 */
export function FilterBar({
  params,
  onChange,
  teams,
  table,
  statuses = false,
  children,
}: {
  params: ViewParams;
  onChange: (patch: Partial<ViewParams>) => void;
  teams: string[];
  table: TablePage;
  /** Offer the live status filter. */
  statuses?: boolean;
  children?: React.ReactNode;
}) {
  const filtered = Boolean(params.q || params.team || params.status);
  const onName = useCallback((q: string) => onChange({ q }), [onChange]);
  return (
    <div role="search" className="mb-3 flex flex-wrap items-center gap-2">
      <NameFilter value={params.q} onChange={onName} />
      <label>
        <span className="sr-only">Team</span>
        <select
          value={params.team}
          onChange={(event) => onChange({ team: event.target.value })}
          className={control}
          disabled={!teams.length && !params.team}
        >
          <option value="">All teams</option>
          {params.team && !teams.includes(params.team) ? <option value={params.team}>{params.team}</option> : null}
          {teams.map((team) => (
            <option key={team} value={team}>
              {team}
            </option>
          ))}
        </select>
      </label>
      {statuses ? (
        <label>
          <span className="sr-only">Status</span>
          <select
            value={params.status}
            onChange={(event) => onChange({ status: event.target.value })}
            className={control}
          >
            <option value="">Any status</option>
            {Object.entries(STATUS_LABELS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      {filtered ? (
        <button
          type="button"
          onClick={() => onChange({ q: "", team: "", status: "" })}
          className="rounded-lg px-2 py-1.5 text-sm font-medium text-sky-700 hover:underline focus-visible:ring-2 focus-visible:ring-sky-500/50 focus-visible:outline-none dark:text-sky-300"
        >
          Clear filters
        </button>
      ) : null}
      <p className="text-sm text-slate-500 dark:text-slate-400" aria-live="polite">
        {filtered
          ? `${count(table.matched)} of ${count(table.total)} employees`
          : `${count(table.total)} employee${table.total === 1 ? "" : "s"}`}
      </p>
      {children ? <div className="ml-auto flex items-center gap-2">{children}</div> : null}
    </div>
  );
}

const count = (n: number) => n.toLocaleString("en-US");

const pagerButton =
  "rounded-lg border border-slate-300 bg-white px-2.5 py-1.5 text-sm font-medium text-slate-700 shadow-sm hover:bg-slate-50 focus-visible:ring-2 focus-visible:ring-sky-500/50 focus-visible:outline-none disabled:cursor-not-allowed disabled:opacity-40 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-200 dark:hover:bg-slate-800";

/**
 * Which rows of how many the table shows, and buttons to the other pages; nothing when one
 * page at the usual size holds everyone, so a small installation sees just its table.
 */
export function Pager({
  table,
  onChange,
  busy,
}: {
  table: TablePage;
  onChange: (patch: Partial<ViewParams>) => void;
  busy: boolean;
}) {
  if (table.pages === 1 && table.size === DEFAULT_PAGE_SIZE) return null;
  const last = Math.min(table.matched, table.first + table.size - 1);
  const go = (page: number) => onChange({ page });
  return (
    <nav aria-label="Pages of the table" className="mt-3 flex flex-wrap items-center gap-2" aria-busy={busy}>
      <p
        className="text-sm text-slate-600 tabular-nums dark:text-slate-400"
        aria-live="polite"
        data-testid="page-range"
      >
        {table.matched ? `${count(table.first)}–${count(last)} of ${count(table.matched)}` : "None"}
      </p>
      <div className="flex items-center gap-1">
        <button
          type="button"
          className={pagerButton}
          disabled={table.page <= 1}
          onClick={() => go(1)}
          aria-label="First page"
        >
          «
        </button>
        <button
          type="button"
          className={pagerButton}
          disabled={table.page <= 1}
          onClick={() => go(table.page - 1)}
          aria-label="Previous page"
        >
          ‹ Previous
        </button>
        <span className="px-2 text-sm text-slate-600 tabular-nums dark:text-slate-400">
          Page {count(table.page)} of {count(table.pages)}
        </span>
        <button
          type="button"
          className={pagerButton}
          disabled={table.page >= table.pages}
          onClick={() => go(table.page + 1)}
          aria-label="Next page"
        >
          Next ›
        </button>
        <button
          type="button"
          className={pagerButton}
          disabled={table.page >= table.pages}
          onClick={() => go(table.pages)}
          aria-label="Last page"
        >
          »
        </button>
      </div>
      <label className="ml-auto flex items-center gap-2 text-sm text-slate-600 dark:text-slate-400">
        Rows per page
        <select
          value={table.size}
          onChange={(event) => onChange({ size: Number(event.target.value) })}
          className={control}
        >
          {PAGE_SIZES.map((size) => (
            <option key={size} value={size}>
              {size}
            </option>
          ))}
        </select>
      </label>
    </nav>
  );
}

export type Column = {
  key: string;
  label: string;
  numeric?: boolean;
  firstDirection?: SortDirection;
  className?: string;
};

/** A column header that orders the table by its column; a second press reverses the order. */
export function SortHeader({
  column,
  params,
  onChange,
}: {
  column: Column;
  params: Pick<ViewParams, "sort" | "dir">;
  onChange: (patch: { sort: string; dir: SortDirection }) => void;
}) {
  const active = params.sort === column.key;
  const first = column.firstDirection ?? (column.numeric ? "desc" : "asc");
  const next = active ? (params.dir === "asc" ? "desc" : "asc") : first;
  return (
    <th
      scope="col"
      aria-sort={active ? (params.dir === "asc" ? "ascending" : "descending") : "none"}
      className={`px-3 py-2 font-medium ${column.numeric ? "text-right" : "text-left"} ${column.className ?? ""}`}
    >
      <button
        type="button"
        onClick={() => onChange({ sort: column.key, dir: next })}
        className={`inline-flex items-center gap-1 rounded tracking-wide uppercase hover:text-slate-900 focus-visible:ring-2 focus-visible:ring-sky-500/50 focus-visible:outline-none dark:hover:text-slate-100 ${active ? "text-slate-900 dark:text-slate-100" : ""}`}
      >
        {column.label}
        <span aria-hidden="true" className={active ? "" : "opacity-0"}>
          {active && params.dir === "asc" ? "↑" : "↓"}
        </span>
      </button>
    </th>
  );
}

/** A table frame that scrolls sideways on narrow screens instead of squeezing its columns. */
export function TableFrame({
  caption,
  busy = false,
  children,
}: {
  caption: string;
  /** Another page or filter is on its way: the rows shown are the previous ones. */
  busy?: boolean;
  children: React.ReactNode;
}) {
  return (
    <div
      aria-busy={busy}
      className={`overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm transition-opacity dark:border-slate-800 dark:bg-slate-900 ${busy ? "opacity-60" : ""}`}
    >
      <table className="w-full min-w-[720px] text-sm">
        <caption className="sr-only">{caption}</caption>
        {children}
      </table>
    </div>
  );
}

export const headRow =
  "border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-500 dark:border-slate-800 dark:bg-slate-900/60 dark:text-slate-400";
export const bodyRow =
  "border-b border-slate-100 last:border-0 hover:bg-slate-50 dark:border-slate-800/70 dark:hover:bg-slate-800/40";
export const cell = "px-3 py-2.5";
export const numCell = "px-3 py-2.5 text-right tabular-nums";

/** The employee tables' header: the name, the teams (on wide screens), then the sortable figures. */
export function EmployeeTableHead({
  columns,
  params,
  onChange,
}: {
  columns: Column[];
  params: ViewParams;
  onChange: (patch: Partial<ViewParams>) => void;
}) {
  return (
    <thead>
      <tr className={headRow}>
        <SortHeader column={columns[0]} params={params} onChange={onChange} />
        <th scope="col" className="hidden px-3 py-2 text-left font-medium lg:table-cell">
          Teams
        </th>
        {columns.slice(1).map((column) => (
          <SortHeader key={column.key} column={column} params={params} onChange={onChange} />
        ))}
      </tr>
    </thead>
  );
}

/** A row's first cells: the employee, linking to their page, and their teams. */
export function EmployeeCells({ username, href, teams }: { username: string; href: string; teams: string[] }) {
  return (
    <>
      <th scope="row" className={`${cell} text-left font-medium`}>
        <Link href={href} className={linkClass}>
          {username}
        </Link>
      </th>
      <td className={`${cell} hidden lg:table-cell`}>
        <TeamChips teams={teams} />
      </td>
    </>
  );
}

/** In place of a table whose filters leave nobody. */
export function NoMatch({ onClear }: { onClear: () => void }) {
  return (
    <EmptyState
      title="No employee matches these filters"
      action={
        <button type="button" className={buttonSecondary} onClick={onClear}>
          Clear filters
        </button>
      }
    />
  );
}

/**
 * A row's figures: first and last activity (as a clock time on `day`, with the date on other
 * days), time worked and Real Work Hours. `dashWhenIdle` writes a day without work as dashes.
 */
export function ActivityCells({
  row,
  day,
  timeZone,
  dashWhenIdle = false,
}: {
  row: {
    first_activity: string | null;
    last_activity: string | null;
    working_seconds: number;
    real_hours_counted: number;
  };
  day: string;
  timeZone: string;
  dashWhenIdle?: boolean;
}) {
  const when = (iso: string | null) => (iso ? formatWhenRelative(iso, day, timeZone) : "—");
  const idle = dashWhenIdle && row.working_seconds === 0;
  return (
    <>
      <td className={`${cell} tabular-nums`} data-col="first_activity">
        {when(row.first_activity)}
      </td>
      <td className={numCell} data-col="last_activity">
        {when(row.last_activity)}
      </td>
      <td className={numCell} data-col="working_seconds">
        {idle ? "—" : formatDuration(row.working_seconds)}
      </td>
      <td className={numCell} data-col="real_hours_counted">
        {idle ? "—" : row.real_hours_counted}
      </td>
    </>
  );
}

/** An employee's time against their schedule (DESIGN §11): expected so far, and over or under it. */
export function ExpectedCells({ row }: { row: { expected_seconds: number; balance_seconds: number } }) {
  return (
    <>
      <td className={numCell} data-col="expected_seconds">
        {formatDuration(row.expected_seconds)}
      </td>
      <td className={numCell} data-col="balance_seconds" data-seconds={row.balance_seconds}>
        {formatBalance(row.balance_seconds)}
      </td>
    </>
  );
}
