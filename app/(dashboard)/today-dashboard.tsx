"use client";

import type { TodayView } from "@/lib/reports/dashboard";
import { formatDayLong, formatDuration } from "../_components/format";
import { LiveStatus } from "../_components/live-status";
import { StatusBadge } from "../_components/status-badge";
import {
  ActivityCells,
  bodyRow,
  cell,
  EmployeeCells,
  EmployeeTableHead,
  ExpectedCells,
  FilterBar,
  NoMatch,
  Pager,
  TableFrame,
  type Column,
} from "../_components/table-controls";
import { ExportLinks, NoDataYet, PageHeading, StatCard } from "../_components/ui";
import { useLiveView } from "../_components/use-live-view";
import { tableSearch, useViewParams } from "../_components/view-params";

const DEFAULTS = { sort: "status", dir: "asc" } as const;

const COLUMNS: Column[] = [
  { key: "name", label: "Employee" },
  { key: "status", label: "Status", firstDirection: "asc" },
  { key: "first", label: "First activity", firstDirection: "asc" },
  { key: "last", label: "Last activity", numeric: true },
  { key: "worked", label: "Time worked", numeric: true },
  { key: "rwh", label: "Real Work Hours", numeric: true },
  { key: "expected", label: "Expected", numeric: true },
  { key: "balance", label: "Over / under", numeric: true },
];

/** Everyone's status now and their day so far, kept current every minute; the table a page at a time. */
export function TodayDashboard({ initial, blockMinutes }: { initial: TodayView; blockMinutes: number }) {
  const [params, setParams] = useViewParams(DEFAULTS);
  const search = tableSearch(params, DEFAULTS);
  const { view, error, refreshing, loading, refresh } = useLiveView(
    `/api/dashboard/today${search ? `?${search}` : ""}`,
    initial,
    true,
  );
  const { employees: shown, table, totals, timezone, today } = view;
  const sortLabel = COLUMNS.find((c) => c.key === table.sort)?.label ?? "status";
  const tableParams = { ...params, sort: table.sort, dir: table.dir };

  return (
    <>
      <PageHeading title="Today" subtitle={`${formatDayLong(today)} · times in ${timezone}`}>
        <LiveStatus
          generatedAt={view.generated_at}
          hoursAsOf={view.hours_as_of}
          timeZone={timezone}
          live
          refreshing={refreshing}
          error={error}
          onRefresh={refresh}
        />
      </PageHeading>
      {table.total === 0 ? (
        <NoDataYet />
      ) : (
        <>
          <div className="mb-6 grid grid-cols-2 gap-3 md:grid-cols-3 lg:grid-cols-5">
            <StatCard label="Working now" value={totals.working} tone="emerald" testId="stat-working" />
            <StatCard label="Idle" value={totals.idle} tone="amber" testId="stat-idle" />
            <StatCard label="Offline" value={totals.offline} testId="stat-offline" />
            <StatCard
              label="Time worked today"
              value={formatDuration(totals.working_seconds)}
              detail="all employees together"
              tone="sky"
              testId="stat-worked"
            />
            <StatCard
              label="Real Work Hours"
              value={totals.real_hours_counted}
              detail="today, all employees"
              testId="stat-rwh"
            />
          </div>
          <FilterBar params={params} onChange={setParams} teams={view.teams} table={table} statuses>
            <ExportLinks period="day" date={today} />
          </FilterBar>
          {shown.length === 0 ? (
            <NoMatch onClear={() => setParams({ q: "", team: "", status: "" })} />
          ) : (
            <TableFrame caption={`Employees on ${today}, by ${sortLabel}`} busy={loading}>
              <EmployeeTableHead columns={COLUMNS} params={tableParams} onChange={setParams} />
              <tbody>
                {shown.map((employee) => (
                  <tr key={employee.username} className={bodyRow} data-username={employee.username}>
                    <EmployeeCells
                      username={employee.username}
                      href={`/employees/${encodeURIComponent(employee.username)}`}
                      teams={employee.teams}
                    />
                    <td className={cell}>
                      <StatusBadge status={employee.status} since={employee.since} today={today} timeZone={timezone} />
                    </td>
                    <ActivityCells row={employee} day={today} timeZone={timezone} />
                    <ExpectedCells row={employee} />
                  </tr>
                ))}
              </tbody>
            </TableFrame>
          )}
          <Pager table={table} onChange={setParams} busy={loading} />
          <p className="mt-3 text-xs text-slate-500 dark:text-slate-400">
            Statuses are live; time worked and Real Work Hours come from the hours engine and are as of its last run
            (shown above). Each continuous {blockMinutes} minutes of work counts as one Real Work Hour.
          </p>
        </>
      )}
    </>
  );
}
