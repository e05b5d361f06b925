"use client";

import { useState } from "react";
import type { PeriodEmployee, PeriodView } from "@/lib/reports/dashboard";
import { formatDuration } from "../../../_components/format";
import { Heatmap } from "../../../_components/heatmap";
import { LiveStatus } from "../../../_components/live-status";
import { formatPeriodTitle, PeriodNav } from "../../../_components/period-nav";
import { filterRows, sortRows } from "../../../_components/rows";
import {
  ActivityCells,
  bodyRow,
  EmployeeCells,
  EmployeeTableHead,
  FilterBar,
  NoMatch,
  numCell,
  TableFrame,
  type Column,
} from "../../../_components/table-controls";
import { ExportLinks, linkClass, NoDataYet, PageHeading, StatCard } from "../../../_components/ui";
import { useLiveView } from "../../../_components/use-live-view";
import { carriedParams, useViewParams } from "../../../_components/view-params";

const DEFAULTS = { sort: "name", dir: "asc" } as const;
/** Rows of the heatmap drawn at first: a month of 500 employees is 15,000 cells; the table below lists everyone. */
const HEATMAP_ROWS = 100;
const TITLES = { day: "Day report", week: "Week report", month: "Month report" } as const;

const SORT_VALUES: Record<string, (row: PeriodEmployee) => string | number | null> = {
  name: (row) => row.username,
  days: (row) => row.days_active,
  first: (row) => row.first_activity,
  last: (row) => row.last_activity,
  worked: (row) => row.working_seconds,
  rwh: (row) => row.real_hours_counted,
};

const periodTitle = (view: PeriodView) => formatPeriodTitle(view.view, view.date, view.start, view.end);

/** Each employee's totals for a day, week or month, with a heatmap of days for weeks and months. */
export function PeriodDashboard({ initial }: { initial: PeriodView }) {
  const live = initial.start <= initial.today && initial.today <= initial.end;
  const { view, error, refreshing, refresh } = useLiveView(
    `/api/dashboard/${initial.view}?date=${initial.date}`,
    initial,
    live,
  );
  const [params, setParams] = useViewParams(DEFAULTS);
  const [wholeHeatmap, setWholeHeatmap] = useState(false);
  const { employees, timezone, today, dates } = view;
  const multiDay = view.view !== "day";
  const shown = sortRows(filterRows(employees, params), SORT_VALUES[params.sort] ?? SORT_VALUES.name, params.dir);
  const active = employees.filter((e) => e.working_seconds > 0);
  const worked = employees.reduce((sum, e) => sum + e.working_seconds, 0);
  const realHours = employees.reduce((sum, e) => sum + e.real_hours_counted, 0);
  const employeeHref = (username: string) =>
    `/employees/${encodeURIComponent(username)}?date=${view.view === "day" || !live ? view.date : today}`;
  const columns: Column[] = [
    { key: "name", label: "Employee" },
    ...(multiDay ? [{ key: "days", label: "Days active", numeric: true }] : []),
    { key: "first", label: "First activity", firstDirection: "asc" as const },
    { key: "last", label: "Last activity", numeric: true },
    { key: "worked", label: "Time worked", numeric: true },
    { key: "rwh", label: "Real Work Hours", numeric: true },
  ];

  return (
    <>
      <PageHeading title={TITLES[view.view]} subtitle={`All times in ${timezone}`}>
        <LiveStatus
          generatedAt={view.generated_at}
          hoursAsOf={view.hours_as_of}
          timeZone={timezone}
          live={live}
          refreshing={refreshing}
          error={error}
          onRefresh={refresh}
        />
      </PageHeading>
      <div className="mb-6">
        <PeriodNav
          period={view.view}
          date={view.date}
          start={view.start}
          end={view.end}
          today={today}
          basePath={`/reports/${view.view}`}
          params={carriedParams(params, DEFAULTS)}
        />
      </div>
      {employees.length === 0 ? (
        <NoDataYet
          title={view.start > today ? `This ${view.view} has not begun yet` : `No one was tracked in this ${view.view}`}
        />
      ) : (
        <>
          <div className="mb-6 grid grid-cols-2 gap-3 lg:grid-cols-4">
            <StatCard label="Employees active" value={`${active.length} of ${employees.length}`} testId="stat-active" />
            <StatCard
              label="Time worked"
              value={formatDuration(worked)}
              detail="all employees together"
              tone="sky"
              testId="stat-worked"
            />
            <StatCard label="Real Work Hours" value={realHours} detail="all employees together" testId="stat-rwh" />
            <StatCard
              label="Average per active employee"
              value={active.length ? formatDuration(Math.floor(worked / active.length)) : "—"}
              detail={multiDay ? "over the whole period" : undefined}
              testId="stat-average"
            />
          </div>
          <FilterBar
            params={params}
            onChange={setParams}
            teams={view.teams}
            shown={shown.length}
            total={employees.length}
          >
            <ExportLinks period={view.view} date={view.date} />
          </FilterBar>
          {active.length === 0 ? (
            <p className="mb-3 rounded-lg border border-slate-200 bg-white px-3 py-2 text-sm text-slate-600 dark:border-slate-800 dark:bg-slate-900 dark:text-slate-400">
              Nobody worked in this {view.view}
              {view.start > today ? " — it has not begun yet" : ""}. Use the arrows or the date picker to go to another{" "}
              {view.view}.
            </p>
          ) : null}
          {shown.length === 0 ? (
            <NoMatch onClear={() => setParams({ q: "", team: "" })} />
          ) : (
            <>
              {multiDay ? (
                <section aria-labelledby="heatmap-title" className="mb-6">
                  <h2
                    id="heatmap-title"
                    className="mb-2 text-sm font-semibold tracking-wide text-slate-500 uppercase dark:text-slate-400"
                  >
                    Hours per day
                  </h2>
                  <Heatmap
                    days={dates}
                    today={today}
                    caption={`Hours worked per employee and day, ${periodTitle(view)}`}
                    rows={(wholeHeatmap ? shown : shown.slice(0, HEATMAP_ROWS)).map((e) => ({
                      username: e.username,
                      href: employeeHref(e.username),
                      cells: e.days,
                      working_seconds: e.working_seconds,
                      real_hours_counted: e.real_hours_counted,
                    }))}
                  />
                  {shown.length > HEATMAP_ROWS && !wholeHeatmap ? (
                    <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">
                      The first {HEATMAP_ROWS} of {shown.length} employees in this order; filter by team or name to
                      narrow it, or{" "}
                      <button type="button" onClick={() => setWholeHeatmap(true)} className={linkClass}>
                        show all {shown.length}
                      </button>
                      .
                    </p>
                  ) : null}
                </section>
              ) : null}
              <section aria-labelledby="totals-title">
                <h2
                  id="totals-title"
                  className="mb-2 text-sm font-semibold tracking-wide text-slate-500 uppercase dark:text-slate-400"
                >
                  Totals
                </h2>
                <TableFrame caption={`Totals per employee, ${periodTitle(view)}`}>
                  <EmployeeTableHead columns={columns} params={params} onChange={setParams} />
                  <tbody>
                    {shown.map((employee) => (
                      <tr key={employee.username} className={bodyRow} data-username={employee.username}>
                        <EmployeeCells
                          username={employee.username}
                          href={employeeHref(employee.username)}
                          teams={employee.teams}
                        />
                        {multiDay ? (
                          <td className={numCell} data-col="days_active">
                            {employee.days_active}
                          </td>
                        ) : null}
                        <ActivityCells row={employee} day={multiDay ? "" : view.date} timeZone={timezone} />
                      </tr>
                    ))}
                  </tbody>
                </TableFrame>
              </section>
            </>
          )}
        </>
      )}
    </>
  );
}
