import Link from "next/link";
import { formatDuration, formatHours, formatMonth, weekdayOf } from "./format";
import { describeDayWork } from "./heatmap";

export type TrendDay = { date: string; working_seconds: number; real_hours_counted: number };

// Chart units: every day gets a slot 10 wide; the plot is 100 high. The SVG is stretched to its box.
const SLOT = 10;
const BAR = 6.4;
const HEIGHT = 100;
const HOUR = 3600;

const toPercent = (value: number) => `${Number(value.toFixed(4))}%`;

/** The summary a screen reader hears for the chart. */
function summarizeTrend(days: TrendDay[], today: string): string {
  const past = days.filter((day) => day.date <= today);
  const total = past.reduce((sum, day) => sum + day.working_seconds, 0);
  const active = past.filter((day) => day.working_seconds > 0).length;
  const month = days.length ? formatMonth(days[0].date) : "this month";
  return `Hours worked per day in ${month}: ${formatDuration(total)} over ${active} ${active === 1 ? "day" : "days"}`;
}

/** Average working seconds over the days with any work so far, or null when there are none. */
function averageActiveSeconds(days: TrendDay[], today: string): number | null {
  const active = days.filter((day) => day.date <= today && day.working_seconds > 0);
  if (active.length === 0) return null;
  return active.reduce((sum, day) => sum + day.working_seconds, 0) / active.length;
}

/** A month of hours worked as a small bar chart; each past day's bar links to that day when `hrefFor` is given. */
export function TrendChart({
  days,
  today,
  hrefFor,
  weekendDays = [0, 6],
}: {
  days: TrendDay[];
  today: string;
  /** Part of the contract; the dates are already local, so the chart itself needs no zone. */
  timeZone: string;
  hrefFor?: (date: string) => string;
  weekendDays?: readonly number[];
}) {
  const width = Math.max(1, days.length) * SLOT;
  const past = days.filter((day) => day.date <= today);
  const peakHours = Math.max(0, ...past.map((day) => day.working_seconds / HOUR));
  // Round the axis up to an even number of hours, and never below a working day.
  const maxHours = Math.max(8, Math.ceil(peakHours / 2) * 2);
  const toY = (seconds: number) => HEIGHT - (Math.min(seconds / HOUR, maxHours) / maxHours) * HEIGHT;
  const average = averageActiveSeconds(days, today);
  const averageY = average === null ? null : toY(average);
  const summary = summarizeTrend(days, today);

  return (
    <figure className="w-full">
      <div className="flex gap-2">
        <div
          aria-hidden="true"
          className="relative h-[140px] w-7 shrink-0 text-right text-[10px] leading-none text-slate-500 tabular-nums dark:text-slate-400"
        >
          <span data-axis="max" className="absolute top-0 right-0 -translate-y-1/2">
            {maxHours}h
          </span>
          <span className="absolute top-1/2 right-0 -translate-y-1/2">{maxHours / 2}h</span>
          <span className="absolute right-0 bottom-0 translate-y-1/2">0</span>
        </div>

        <div className="min-w-0 flex-1">
          <div className="relative h-[140px]">
            <svg
              // Linked days are focusable: a group may hold them, an image may not.
              role={hrefFor ? "group" : "img"}
              aria-label={summary}
              viewBox={`0 0 ${width} ${HEIGHT}`}
              preserveAspectRatio="none"
              className="block h-[140px] w-full overflow-visible"
            >
              <g aria-hidden="true" className="stroke-slate-200 dark:stroke-slate-800">
                <line x1={0} x2={width} y1={0} y2={0} vectorEffect="non-scaling-stroke" strokeDasharray="2 3" />
                <line
                  x1={0}
                  x2={width}
                  y1={HEIGHT / 2}
                  y2={HEIGHT / 2}
                  vectorEffect="non-scaling-stroke"
                  strokeDasharray="2 3"
                />
              </g>

              {days.map((day, index) => {
                const x = index * SLOT;
                const isToday = day.date === today;
                if (day.date > today) return null;
                const weekend = weekendDays.includes(weekdayOf(day.date));
                const y = toY(day.working_seconds);
                // An idle day keeps a thin stub on the baseline so it reads as zero rather than missing.
                const barY = day.working_seconds > 0 ? Math.min(y, HEIGHT - 1) : HEIGHT - 1;
                const text = describeDayWork(day.date, day);
                const fill =
                  day.working_seconds === 0
                    ? "fill-slate-200 dark:fill-slate-700"
                    : weekend
                      ? "fill-slate-300 dark:fill-slate-600"
                      : "fill-emerald-500 dark:fill-emerald-400";
                const content = (
                  <>
                    <title>{text}</title>
                    {isToday && (
                      <rect
                        x={x}
                        y={0}
                        width={SLOT}
                        height={HEIGHT}
                        className="fill-sky-500/[0.06] dark:fill-sky-400/10"
                      />
                    )}
                    <rect
                      x={x}
                      y={0}
                      width={SLOT}
                      height={HEIGHT}
                      vectorEffect="non-scaling-stroke"
                      className="fill-transparent stroke-transparent stroke-2 transition-colors group-hover:fill-slate-500/10 group-focus-visible:fill-sky-500/10 group-focus-visible:stroke-sky-500/60 dark:group-focus-visible:stroke-sky-400/70"
                    />
                    <rect
                      data-bar=""
                      x={x + (SLOT - BAR) / 2}
                      y={barY}
                      width={BAR}
                      height={HEIGHT - barY}
                      vectorEffect="non-scaling-stroke"
                      className={`${fill} transition-colors ${
                        isToday
                          ? "stroke-sky-500 stroke-[1.5] dark:stroke-sky-400"
                          : day.working_seconds > 0 && !weekend
                            ? "group-hover:fill-emerald-600 dark:group-hover:fill-emerald-300"
                            : ""
                      }`}
                    />
                  </>
                );
                return hrefFor ? (
                  <Link
                    key={day.date}
                    href={hrefFor(day.date)}
                    aria-label={text}
                    data-date={day.date}
                    data-seconds={day.working_seconds}
                    className="group outline-none"
                  >
                    {content}
                  </Link>
                ) : (
                  <g key={day.date} data-date={day.date} data-seconds={day.working_seconds} className="group">
                    {content}
                  </g>
                );
              })}

              <line
                aria-hidden="true"
                x1={0}
                x2={width}
                y1={HEIGHT}
                y2={HEIGHT}
                vectorEffect="non-scaling-stroke"
                className="stroke-slate-300 dark:stroke-slate-700"
              />
              {averageY !== null && (
                <line
                  data-average={average === null ? undefined : formatHours(average)}
                  x1={0}
                  x2={width}
                  y1={averageY}
                  y2={averageY}
                  vectorEffect="non-scaling-stroke"
                  strokeDasharray="5 4"
                  className="pointer-events-none stroke-sky-500 stroke-[1.5] dark:stroke-sky-400"
                />
              )}
            </svg>

            {/* SVG text placed by attributes (not a positioned span): the page's CSP blocks style attributes. */}
            {average !== null && averageY !== null && (
              <svg aria-hidden="true" className="pointer-events-none absolute inset-0 size-full overflow-visible">
                <text
                  x="100%"
                  y={toPercent((averageY / HEIGHT) * 100)}
                  dy={averageY < 15 ? "1.1em" : "-0.45em"}
                  textAnchor="end"
                  className="fill-sky-700 stroke-white stroke-[3px] text-[10px] font-medium tabular-nums [paint-order:stroke] [stroke-linejoin:round] dark:fill-sky-300 dark:stroke-slate-900"
                >
                  {`avg ${formatHours(average)}h`}
                </text>
              </svg>
            )}
          </div>

          <div aria-hidden="true" className="mt-1.5 flex text-center text-[10px] leading-none tabular-nums">
            {days.map((day) => {
              const isToday = day.date === today;
              const weekend = weekendDays.includes(weekdayOf(day.date));
              return (
                <span
                  key={day.date}
                  data-day-label={day.date}
                  className={`min-w-0 flex-1 ${
                    isToday
                      ? "font-semibold text-sky-700 dark:text-sky-300"
                      : day.date > today || weekend
                        ? "text-slate-500 dark:text-slate-400"
                        : "text-slate-700 dark:text-slate-300"
                  }`}
                >
                  {Number(day.date.slice(8, 10))}
                </span>
              );
            })}
          </div>
        </div>
      </div>
      {average !== null && (
        <figcaption className="sr-only">Average on days with work: {formatHours(average)} hours.</figcaption>
      )}
    </figure>
  );
}
