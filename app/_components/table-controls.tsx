"use client";

import Link from "next/link";
import { formatDuration, formatWhenRelative } from "./format";
import type { SortDirection } from "./rows";
import { buttonSecondary, EmptyState, linkClass, TeamChips } from "./ui";
import type { ViewParams } from "./view-params";

const control =
  "rounded-lg border border-slate-300 bg-white px-3 py-1.5 text-sm shadow-sm focus:border-sky-500 focus:outline-none focus:ring-2 focus:ring-sky-500/30 dark:border-slate-700 dark:bg-slate-900";

/** Name and team filters over an employee table, with how many rows they leave. */
export function FilterBar({
  params,
  onChange,
  teams,
  shown,
  total,
  children,
}: {
  params: ViewParams;
  onChange: (patch: Partial<ViewParams>) => void;
  teams: string[];
  shown: number;
  total: number;
  children?: React.ReactNode;
}) {
  const filtered = Boolean(params.q || params.team);
  return (
    <div role="search" className="mb-3 flex flex-wrap items-center gap-2">
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
          value={params.q}
          onChange={(event) => onChange({ q: event.target.value })}
          placeholder="Filter by name"
          className={`${control} w-56 pl-8`}
        />
      </label>
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
      {filtered ? (
        <button
          type="button"
          onClick={() => onChange({ q: "", team: "" })}
          className="rounded-lg px-2 py-1.5 text-sm font-medium text-sky-700 hover:underline focus-visible:ring-2 focus-visible:ring-sky-500/50 focus-visible:outline-none dark:text-sky-300"
        >
          Clear filters
        </button>
      ) : null}
      <p className="text-sm text-slate-500 dark:text-slate-400" aria-live="polite">
        {filtered ? `${shown} of ${total} employees` : `${total} employee${total === 1 ? "" : "s"}`}
      </p>
      {children ? <div className="ml-auto flex items-center gap-2">{children}</div> : null}
    </div>
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
export function TableFrame({ caption, children }: { caption: string; children: React.ReactNode }) {
  return (
    <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900">
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
