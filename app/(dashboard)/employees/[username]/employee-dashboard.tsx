"use client";

import Link from "next/link";
import type { EmployeeView } from "@/lib/reports/dashboard";
import {
  formatBalance,
  formatClock,
  formatDay,
  formatDuration,
  formatMonth,
  formatWhenRelative,
} from "../../../_components/format";
import { describeDayOff } from "../../../_components/heatmap";
import { LiveStatus } from "../../../_components/live-status";
import { PeriodNav } from "../../../_components/period-nav";
import { StatusBadge } from "../../../_components/status-badge";
import { ActivityCells, bodyRow, cell, headRow, TableFrame } from "../../../_components/table-controls";
import { DeviceLanes, TimelineBars } from "../../../_components/timeline-bars";
import { TrendChart } from "../../../_components/trend-chart";
import { ExportLinks, linkClass, PageHeading, panel, sectionTitle, StatCard, TeamChips } from "../../../_components/ui";
import { useLiveView } from "../../../_components/use-live-view";

const periodList =
  "mt-4 grid gap-1 text-sm sm:grid-cols-2 lg:grid-cols-3 *:flex *:justify-between *:gap-3 *:rounded-md *:bg-slate-50 *:px-2.5 *:py-1.5 *:tabular-nums dark:*:bg-slate-800/50 [&_span+span]:text-slate-500 dark:[&_span+span]:text-slate-400";

/** One employee: the chosen day's working periods across 24 hours, and that day's month. */
export function EmployeeDashboard({ initial, canEnterLeave }: { initial: EmployeeView; canEnterLeave: boolean }) {
  const live = initial.date === initial.today;
  const base = `/employees/${encodeURIComponent(initial.username)}`;
  const { view, error, refreshing, refresh } = useLiveView(`/api/dashboard${base}?date=${initial.date}`, initial, live);
  const { day, month, timezone, today, date } = view;
  const hrefFor = (d: string) => `${base}?date=${d}`;
  const dayStart = Date.parse(day.starts_at);

  return (
    <>
      <p className="mb-3 text-sm">
        <Link href={`/reports/month?date=${date}`} className={linkClass}>
          ← Month report
        </Link>
      </p>
      <PageHeading
        title={
          <span className="flex flex-wrap items-center gap-3">
            {view.username}
            {view.status ? (
              <StatusBadge status={view.status.status} since={view.status.since} today={today} timeZone={timezone} />
            ) : null}
          </span>
        }
        subtitle={
          <span className="flex flex-wrap items-center gap-2">
            {view.teams.length ? <TeamChips teams={view.teams} /> : <span>No team</span>}
            <span>· times in {timezone}</span>
            {view.status ? <span>· last seen {formatWhenRelative(view.status.last_seen, today, timezone)}</span> : null}
          </span>
        }
      >
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
        <PeriodNav period="day" date={date} start={date} end={date} today={today} basePath={base} />
      </div>

      {day.off ? (
        <p
          className="mb-4 rounded-lg border border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900 dark:border-amber-900 dark:bg-amber-950 dark:text-amber-200"
          data-testid="day-off"
        >
          {formatDay(date)}: {describeDayOff(day.off)}. No work was expected.
        </p>
      ) : null}
      <div className="mb-6 grid grid-cols-2 gap-3 lg:grid-cols-5">
        <StatCard label="Time worked" value={formatDuration(day.working_seconds)} tone="sky" testId="stat-worked" />
        <StatCard
          label="Over / under"
          value={formatBalance(day.balance_seconds)}
          detail={`${formatDuration(day.expected_seconds)} expected`}
          testId="stat-balance"
        />
        <StatCard label="Real Work Hours" value={day.real_hours_counted} testId="stat-rwh" />
        <StatCard
          label="First activity"
          value={day.first_activity ? formatClock(day.first_activity, timezone) : "—"}
          testId="stat-first"
        />
        <StatCard
          label="Last activity"
          value={day.last_activity ? formatClock(day.last_activity, timezone) : "—"}
          testId="stat-last"
        />
      </div>

      <section aria-labelledby="periods-title" className={`${panel} mb-8 p-4`}>
        <div className="mb-3 flex flex-wrap items-baseline justify-between gap-2">
          <h2 id="periods-title" className={sectionTitle}>
            Working periods
          </h2>
          <p className="text-xs text-slate-500 dark:text-slate-400">
            {day.periods_total} period{day.periods_total === 1 ? "" : "s"} from {day.events} event
            {day.events === 1 ? "" : "s"}
            {day.periods_merged ? ", drawn merged to the minute" : ""}
          </p>
        </div>
        <TimelineBars
          spans={day.periods}
          dayStart={dayStart}
          dayEnd={Date.parse(day.ends_at)}
          timeZone={timezone}
          now={live ? Date.parse(view.generated_at) : undefined}
          label={`Working periods of ${view.username} on ${date}`}
        />
        {day.devices.length ? (
          <DeviceLanes
            lanes={day.devices.map((lane) => ({ device: lane.device, spans: lane.periods }))}
            dayStart={dayStart}
            dayEnd={Date.parse(day.ends_at)}
            timeZone={timezone}
          />
        ) : day.only_device && day.periods.length ? (
          <p className="mt-2 text-xs text-slate-600 dark:text-slate-400" data-testid="single-device">
            All on {day.only_device}
          </p>
        ) : null}
        {day.devices_more > 0 ? (
          <p className="mt-2 text-xs text-slate-500 dark:text-slate-400">
            and {day.devices_more} more device{day.devices_more === 1 ? "" : "s"} not drawn
          </p>
        ) : null}
        {day.periods.length && !day.periods_merged ? (
          // Up to 1,000 items: styled once on the list rather than on each item, which would triple the page.
          <ol className={periodList} aria-label="Periods">
            {day.periods.map(([start, length]) => (
              <li key={start}>
                <span>{`${formatClock(dayStart + start, timezone)} – ${formatClock(dayStart + start + length, timezone)}`}</span>
                <span>{formatDuration(Math.floor(length / 1000))}</span>
              </li>
            ))}
          </ol>
        ) : null}
      </section>

      <section aria-labelledby="month-title">
        <div className="mb-3 flex flex-wrap items-end justify-between gap-3">
          <div>
            <h2 id="month-title" className="text-lg font-semibold tracking-tight">
              {formatMonth(date)}
            </h2>
            <p className="text-sm text-slate-600 dark:text-slate-400" data-testid="month-totals">
              {formatDuration(month.working_seconds)} worked · {month.real_hours_counted} Real Work Hours ·{" "}
              {month.days_active} day{month.days_active === 1 ? "" : "s"} active ·{" "}
              {formatDuration(month.expected_seconds)} expected so far ·{" "}
              <span data-testid="month-balance">{formatBalance(month.balance_seconds)}</span>
            </p>
            {canEnterLeave ? (
              <p className="text-sm">
                <Link href={`/admin/leave?employee=${encodeURIComponent(view.username)}`} className={linkClass}>
                  Enter leave for {view.username}
                </Link>
              </p>
            ) : null}
          </div>
          <ExportLinks period="month" date={date} username={view.username} />
        </div>
        <div className={`${panel} mb-4 p-4`}>
          <TrendChart days={month.days} today={today} timeZone={timezone} hrefFor={hrefFor} />
        </div>
        <TableFrame caption={`Days of ${formatMonth(date)} for ${view.username}`}>
          <thead>
            <tr className={headRow}>
              {[
                "Date",
                "First activity",
                "Last activity",
                "Time worked",
                "Real Work Hours",
                "Expected",
                "Over / under",
              ].map((label, i) => (
                <th
                  key={label}
                  scope="col"
                  className={`px-3 py-2 font-medium ${i === 0 || i === 1 ? "text-left" : "text-right"}`}
                >
                  {label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {month.days
              .filter((d) => d.date <= today)
              .map((d) => (
                <tr
                  key={d.date}
                  className={`${bodyRow} ${d.date === date ? "bg-sky-50 dark:bg-sky-400/10" : ""}`}
                  data-date={d.date}
                  aria-current={d.date === date ? "date" : undefined}
                >
                  <th scope="row" className={`${cell} text-left font-medium`}>
                    <Link href={hrefFor(d.date)} className={linkClass}>
                      {formatDay(d.date)}
                    </Link>
                    {d.off ? (
                      <span
                        className="ml-2 rounded bg-amber-100 px-1.5 py-0.5 text-xs font-normal text-amber-900 dark:bg-amber-950 dark:text-amber-200"
                        data-off={"holiday" in d.off ? "holiday" : "leave"}
                      >
                        {"holiday" in d.off ? `Holiday: ${d.off.holiday}` : `Leave: ${d.off.leave}`}
                      </span>
                    ) : null}
                  </th>
                  <ActivityCells row={d} day={d.date} timeZone={timezone} dashWhenIdle />
                  <td className={`${cell} text-right tabular-nums`} data-col="expected_seconds">
                    {formatDuration(d.expected_seconds)}
                  </td>
                  <td
                    className={`${cell} text-right tabular-nums`}
                    data-col="balance_seconds"
                    data-seconds={d.balance_seconds}
                  >
                    {formatBalance(d.balance_seconds)}
                  </td>
                </tr>
              ))}
          </tbody>
        </TableFrame>
      </section>
    </>
  );
}
