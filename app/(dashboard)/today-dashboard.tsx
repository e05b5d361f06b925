"use client";

import type { TodayEmployee, TodayView } from "@/lib/reports/dashboard";
import { formatDayLong, formatDuration } from "../_components/format";
import { LiveStatus } from "../_components/live-status";
import { filterRows, sortRows } from "../_components/rows";
import { StatusBadge } from "../_components/status-badge";
import {
  ActivityCells,
  bodyRow,
  cell,
  EmployeeCells,
  EmployeeTableHead,
  FilterBar,
  NoMatch,
  TableFrame,
  type Column,
} from "../_components/table-controls";
import { ExportLinks, NoDataYet, PageHeading, StatCard } from "../_components/ui";
import { useLiveView } from "../_components/use-live-view";
import { useViewParams } from "../_components/view-params";

const DEFAULTS = { sort: "status", dir: "asc" } as const;
const STATUS_ORDER = { working: 0, idle: 1, offline: 2 } as const;

const COLUMNS: Column[] = [
  { key: "name", label: "Employee" },
  { key: "status", label: "Status", firstDirection: "asc" },
  { key: "first", label: "First activity", firstDirection: "asc" },
  { key: "last", label: "Last activity", numeric: true },
  { key: "worked", label: "Time worked", numeric: true },
  { key: "rwh", label: "Real Work Hours", numeric: true },
];

const SORT_VALUES: Record<string, (row: TodayEmployee) => string | number | null> = {
  name: (row) => row.username,
  status: (row) => STATUS_ORDER[row.status],
  first: (row) => row.first_activity,
  last: (row) => row.last_activity,
  worked: (row) => row.working_seconds,
  rwh: (row) => row.real_hours_counted,
};

/** Everyone's status now and their day so far, kept current every minute. */
export function TodayDashboard({ initial, blockMinutes }: { initial: TodayView; blockMinutes: number }) {
  const { view, error, refreshing, refresh } = useLiveView("/api/dashboard/today", initial, true);
  const [params, setParams] = useViewParams(DEFAULTS);
  const { employees, timezone, today } = view;
  const shown = sortRows(filterRows(employees, params), SORT_VALUES[params.sort] ?? SORT_VALUES.status, params.dir);
  const count = (status: TodayEmployee["status"]) => employees.filter((e) => e.status === status).length;
  const worked = employees.reduce((sum, e) => sum + e.working_seconds, 0);
  const realHours = employees.reduce((sum, e) => sum + e.real_hours_counted, 0);

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
      {employees.length === 0 ? (
        <NoDataYet />
      ) : (
        <>
          <div className="mb-6 grid grid-cols-2 gap-3 md:grid-cols-3 lg:grid-cols-5">
            <StatCard label="Working now" value={count("working")} tone="emerald" testId="stat-working" />
            <StatCard label="Idle" value={count("idle")} tone="amber" testId="stat-idle" />
            <StatCard label="Offline" value={count("offline")} testId="stat-offline" />
            <StatCard
              label="Time worked today"
              value={formatDuration(worked)}
              detail="all employees together"
              tone="sky"
              testId="stat-worked"
            />
            <StatCard label="Real Work Hours" value={realHours} detail="today, all employees" testId="stat-rwh" />
          </div>
          <FilterBar
            params={params}
            onChange={setParams}
            teams={view.teams}
            shown={shown.length}
            total={employees.length}
          >
            <ExportLinks period="day" date={today} />
          </FilterBar>
          {shown.length === 0 ? (
            <NoMatch onClear={() => setParams({ q: "", team: "" })} />
          ) : (
            <TableFrame
              caption={`Employees on ${today}, by ${COLUMNS.find((c) => c.key === params.sort)?.label ?? "status"}`}
            >
              <EmployeeTableHead columns={COLUMNS} params={params} onChange={setParams} />
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
                  </tr>
                ))}
              </tbody>
            </TableFrame>
          )}
          <p className="mt-3 text-xs text-slate-500 dark:text-slate-400">
            Statuses are live; time worked and Real Work Hours come from the hours engine and are as of its last run
            (shown above). Each continuous {blockMinutes} minutes of work counts as one Real Work Hour.
          </p>
        </>
      )}
    </>
  );
}
