"use client";

import { useState } from "react";
import type { PeriodView } from "@/lib/reports/dashboard";
import { formatBalance, formatDuration } from "../../../_components/format";
import { Heatmap } from "../../../_components/heatmap";
import { LiveStatus } from "../../../_components/live-status";
import { formatPeriodTitle, PeriodNav } from "../../../_components/period-nav";
import { TeamTimeline } from "../../../_components/team-timeline";
import {
  ActivityCells,
  bodyRow,
  EmployeeCells,
  EmployeeTableHead,
  ExpectedCells,
  FilterBar,
  NoMatch,
  numCell,
  Pager,
  TableFrame,
  type Column,
} from "../../../_components/table-controls";
import { ExportLinks, linkClass, NoDataYet, PageHeading, sectionTitle, StatCard } from "../../../_components/ui";
import { useLiveView } from "../../../_components/use-live-view";
import { carriedParams, tableSearch, useViewParams } from "../../../_components/view-params";

const DEFAULTS = { sort: "name", dir: "asc" } as const;
/**
 * Rows of the heatmap drawn at first: a worked month's row is about 10 KB of HTML, so 50 keep
 * the page of 100 employees under 1 MB (DESIGN §10); "show all" draws the rest of the page.
 */
const HEATMAP_ROWS = 50;
const TITLES = { day: "Day report", week: "Week report", month: "Month report" } as const;

const periodTitle = (view: PeriodView) => formatPeriodTitle(view.view, view.date, view.start, view.end);

/** Each employee's totals for a day, week or month, with a heatmap of days for weeks and months. */
export function PeriodDashboard({ initial }: { initial: PeriodView }) {
  const live = initial.start <= initial.today && initial.today <= initial.end;
  const [params, setParams] = useViewParams(DEFAULTS);
  const search = tableSearch(params, DEFAULTS);
  const { view, error, refreshing, loading, refresh } = useLiveView(
    `/api/dashboard/${initial.view}?date=${initial.date}${search ? `&${search}` : ""}`,
    initial,
    live,
  );
  const [wholeHeatmap, setWholeHeatmap] = useState(false);
  const { employees: shown, table, totals, timezone, today, dates } = view;
  const tableParams = { ...params, sort: table.sort, dir: table.dir };
  const multiDay = view.view !== "day";
  const employeeHref = (username: string) =>
    `/employees/${encodeURIComponent(username)}?date=${view.view === "day" || !live ? view.date : today}`;
  const columns: Column[] = [
    { key: "name", label: "Employee" },
    ...(multiDay ? [{ key: "days", label: "Days active", numeric: true }] : []),
    { key: "first", label: "First activity", firstDirection: "asc" as const },
    { key: "last", label: "Last activity", numeric: true },
    { key: "worked", label: "Time worked", numeric: true },
    { key: "rwh", label: "Real Work Hours", numeric: true },
    { key: "expected", label: "Expected", numeric: true },
    { key: "balance", label: "Over / under", numeric: true },
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
      {table.total === 0 ? (
        <NoDataYet
          title={view.start > today ? `This ${view.view} has not begun yet` : `No one was tracked in this ${view.view}`}
        />
      ) : (
        <>
          <div className="mb-6 grid grid-cols-2 gap-3 lg:grid-cols-5">
            <StatCard
              label="Employees active"
              value={`${totals.active.toLocaleString("en-US")} of ${table.total.toLocaleString("en-US")}`}
              testId="stat-active"
            />
            <StatCard
              label="Time worked"
              value={formatDuration(totals.working_seconds)}
              detail="all employees together"
              tone="sky"
              testId="stat-worked"
            />
            <StatCard
              label="Real Work Hours"
              value={totals.real_hours_counted}
              detail="all employees together"
              testId="stat-rwh"
            />
            <StatCard
              label="Average per active employee"
              value={totals.active ? formatDuration(Math.floor(totals.working_seconds / totals.active)) : "—"}
              detail={multiDay ? "over the whole period" : undefined}
              testId="stat-average"
            />
            <StatCard
              label="Over / under time"
              value={formatBalance(totals.balance_seconds)}
              detail={`against ${formatDuration(totals.expected_seconds)} expected so far`}
              testId="stat-balance"
            />
          </div>
          <FilterBar params={params} onChange={setParams} teams={view.teams} table={table}>
            <ExportLinks period={view.view} date={view.date} />
          </FilterBar>
          {totals.active === 0 ? (
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
                  <h2 id="heatmap-title" className={sectionTitle}>
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
                      balance_seconds: e.balance_seconds,
                    }))}
                  />
                  {shown.length > HEATMAP_ROWS && !wholeHeatmap ? (
                    <p className="mt-2 text-sm text-slate-600 dark:text-slate-400">
                      The first {HEATMAP_ROWS} of this page&rsquo;s {shown.length} employees in this order; filter by
                      team or name to narrow it, or{" "}
                      <button type="button" onClick={() => setWholeHeatmap(true)} className={linkClass}>
                        show all {shown.length}
                      </button>
                      .
                    </p>
                  ) : null}
                </section>
              ) : null}
              {view.day_bounds ? (
                <section aria-labelledby="team-timeline-title" className="mb-6">
                  <h2 id="team-timeline-title" className={sectionTitle}>
                    Who worked when
                  </h2>
                  <TeamTimeline
                    caption={`Working periods per employee, ${periodTitle(view)}`}
                    dayStart={Date.parse(view.day_bounds.starts_at)}
                    dayEnd={Date.parse(view.day_bounds.ends_at)}
                    timeZone={timezone}
                    now={view.date === today ? Date.parse(view.generated_at) : undefined}
                    rows={shown.map((e) => ({
                      username: e.username,
                      href: employeeHref(e.username),
                      spans: e.periods ?? [],
                      merged: e.periods_merged ?? false,
                    }))}
                  />
                </section>
              ) : null}
              <section aria-labelledby="totals-title">
                <h2
                  id="totals-title"
                  className="mb-2 text-sm font-semibold tracking-wide text-slate-500 uppercase dark:text-slate-400"
                >
                  Totals
                </h2>
                <TableFrame caption={`Totals per employee, ${periodTitle(view)}`} busy={loading}>
                  <EmployeeTableHead columns={columns} params={tableParams} onChange={setParams} />
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
                        <ExpectedCells row={employee} />
                      </tr>
                    ))}
                  </tbody>
                </TableFrame>
                <Pager table={table} onChange={setParams} busy={loading} />
              </section>
            </>
          )}
        </>
      )}
    </>
  );
}
