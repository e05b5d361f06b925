import Link from "next/link";
import { formatBalance, formatDay, formatDuration, formatHours, weekdayOf } from "./format";

/** A public holiday (named) or the employee's leave (of a kind): a day nobody expected work. */
export type DayOff = { holiday: string } | { leave: string };
export type HeatmapCell = {
  working_seconds: number;
  real_hours_counted: number;
  expected_seconds?: number;
  off?: DayOff | null;
};
export type HeatmapRow = HeatmapCell & {
  username: string;
  href: string;
  cells: HeatmapCell[];
  /** Worked − expected over the period; shown as a column when given. */
  balance_seconds?: number;
};

/** "public holiday: Christmas" or "on leave (sick)": the words that mark a day off. */
export function describeDayOff(off: DayOff): string {
  return "holiday" in off ? `public holiday: ${off.holiday}` : `on leave (${off.leave})`;
}

const HOUR = 3600;

/** Upper bounds (exclusive, in seconds) of buckets 1–4; bucket 0 is no work at all, 5 is 8h or more. */
const BUCKET_LIMITS = [2 * HOUR, 4 * HOUR, 6 * HOUR, 8 * HOUR];

/** The six colour steps; each class (app/globals.css) sets the swatch's fill, ring and text in both themes. */
const HEATMAP_BUCKETS = [
  { range: "0h", className: "hm-0" },
  { range: "< 2h", className: "hm-1" },
  { range: "2–4h", className: "hm-2" },
  { range: "4–6h", className: "hm-3" },
  { range: "6–8h", className: "hm-4" },
  { range: "≥ 8h", className: "hm-5" },
] as const;

/** Which of the six colour steps a day's working time falls in. */
export function pickBucket(seconds: number): number {
  if (!(seconds > 0)) return 0;
  const index = BUCKET_LIMITS.findIndex((limit) => seconds < limit);
  return index === -1 ? BUCKET_LIMITS.length + 1 : index + 1;
}

/** "11 Real Work Hours" (or "1 Real Work Hour"). */
function formatRealHours(count: number): string {
  return `${count} Real Work ${count === 1 ? "Hour" : "Hours"}`;
}

/** "Tue 24 Nov: 7h 32m, 11 Real Work Hours", the words a chart or cell uses for one day. */
export function describeDayWork(date: string, cell: HeatmapCell): string {
  return `${formatDay(date)}: ${formatDuration(cell.working_seconds)}, ${formatRealHours(cell.real_hours_counted)}`;
}

const isWeekend = (date: string, weekendDays: readonly number[]) => weekendDays.includes(weekdayOf(date));

/** Employees × days, each day a square shaded by hours worked, with the period's totals. */
export function Heatmap({
  days,
  rows,
  today,
  caption,
  showCaption = false,
  weekendDays = [0, 6],
}: {
  days: string[];
  rows: HeatmapRow[];
  today: string;
  caption: string;
  showCaption?: boolean;
  weekendDays?: readonly number[];
}) {
  // A week has room for the hours written in each cell; a month gets plain squares.
  const roomy = days.length <= 7;
  const hasFuture = days.some((date) => date > today);
  const showBalance = rows.some((row) => row.balance_seconds !== undefined);
  const hasHoliday = rows.some((row) => row.cells.some((cell) => cell.off && "holiday" in cell.off));
  const hasLeave = rows.some((row) => row.cells.some((cell) => cell.off && "leave" in cell.off));
  const pickColumnTint = (date: string) => (date === today ? "hm-today" : isWeekend(date, weekendDays) ? "hm-wk" : "");

  return (
    <div className="w-full">
      {/* Positioned, so the visually hidden labels inside stay within the scroller instead of widening the page. */}
      <div className="relative overflow-x-auto overscroll-x-contain rounded-lg">
        <table className="w-full border-separate border-spacing-0 text-sm">
          <caption
            className={
              showCaption ? "mb-2 text-left text-xs font-medium text-slate-500 dark:text-slate-400" : "sr-only"
            }
          >
            {caption}
          </caption>
          <thead>
            <tr>
              <th
                scope="col"
                className="sticky left-0 z-20 min-w-32 border-r border-b border-slate-200 bg-white px-3 py-2 text-left text-xs font-medium text-slate-500 dark:border-slate-800 dark:bg-slate-900 dark:text-slate-400"
              >
                Employee
              </th>
              {days.map((date) => {
                const isToday = date === today;
                const [weekday, dayNumber] = [formatDay(date).slice(0, 3), String(Number(date.slice(8, 10)))];
                return (
                  <th
                    key={date}
                    scope="col"
                    aria-current={isToday ? "date" : undefined}
                    data-date={date}
                    className={`border-b border-slate-200 px-0.5 py-1.5 text-center font-medium dark:border-slate-800 ${pickColumnTint(date)} ${roomy ? "min-w-12" : "min-w-7"}`}
                  >
                    <span className="sr-only">{formatDay(date)}</span>
                    <span aria-hidden="true" className="flex flex-col items-center gap-0.5 leading-none">
                      <span
                        className={`text-[10px] tracking-wide uppercase ${isToday ? "text-sky-700 dark:text-sky-300" : "text-slate-500 dark:text-slate-400"}`}
                      >
                        {roomy ? weekday : weekday.charAt(0)}
                      </span>
                      <span
                        className={`inline-flex size-5 items-center justify-center rounded-full text-[11px] tabular-nums ${
                          isToday
                            ? "bg-sky-700 font-semibold text-white dark:bg-sky-500 dark:text-slate-950"
                            : "text-slate-600 dark:text-slate-300"
                        }`}
                      >
                        {dayNumber}
                      </span>
                    </span>
                  </th>
                );
              })}
              <th
                scope="col"
                className="border-b border-l border-slate-200 px-3 py-2 text-right text-xs font-medium whitespace-nowrap text-slate-500 dark:border-slate-800 dark:text-slate-400"
              >
                Worked
              </th>
              <th
                scope="col"
                className="border-b border-slate-200 px-3 py-2 text-right text-xs font-medium whitespace-nowrap text-slate-500 dark:border-slate-800 dark:text-slate-400"
              >
                <abbr title="Real Work Hours" className="no-underline">
                  Real hours
                </abbr>
              </th>
              {showBalance && (
                <th
                  scope="col"
                  className="border-b border-slate-200 px-3 py-2 text-right text-xs font-medium whitespace-nowrap text-slate-500 dark:border-slate-800 dark:text-slate-400"
                >
                  Balance
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 && (
              <tr>
                <td
                  colSpan={days.length + (showBalance ? 4 : 3)}
                  className="px-3 py-8 text-center text-sm text-slate-500 dark:text-slate-400"
                >
                  No employees to show.
                </td>
              </tr>
            )}
            {rows.map((row) => (
              <tr key={row.username} className="group">
                <th
                  scope="row"
                  className="sticky left-0 z-10 max-w-40 border-r border-b border-slate-100 bg-white px-3 py-1.5 text-left font-normal group-hover:bg-slate-50 dark:border-slate-800/70 dark:bg-slate-900 dark:group-hover:bg-slate-800"
                >
                  <Link
                    href={row.href}
                    title={row.username}
                    className="block truncate rounded font-medium text-slate-800 hover:text-sky-700 focus-visible:ring-2 focus-visible:ring-sky-500/50 focus-visible:outline-none dark:text-slate-100 dark:hover:text-sky-300"
                  >
                    {row.username}
                  </Link>
                </th>
                {days.map((date, index) => {
                  const cell = row.cells[index] ?? { working_seconds: 0, real_hours_counted: 0 };
                  const future = date > today;
                  const bucket = pickBucket(cell.working_seconds);
                  const look = HEATMAP_BUCKETS[bucket];
                  const offText = cell.off ? `, ${describeDayOff(cell.off)}` : "";
                  const text = future
                    ? `${row.username}, ${formatDay(date)}: not yet${offText}`
                    : `${row.username}, ${describeDayWork(date, cell)}${offText}`;
                  return (
                    <td key={date} className={`hm-td ${pickColumnTint(date)}`}>
                      {/* The title names the cell for screen readers too (role="img") and shows on hover. */}
                      <div
                        role="img"
                        title={text}
                        data-date={date}
                        data-seconds={cell.working_seconds}
                        data-bucket={future ? undefined : bucket}
                        data-future={future ? "" : undefined}
                        data-off={cell.off ? ("holiday" in cell.off ? "holiday" : "leave") : undefined}
                        className={`hm-cell ${roomy ? "hm-wide" : "hm-sq"} ${future ? "hm-future" : look.className}`}
                      >
                        {roomy && !future && cell.working_seconds > 0 && (
                          <span aria-hidden="true">{formatHours(cell.working_seconds)}</span>
                        )}
                        {cell.off && (
                          <span aria-hidden="true" className="text-[9px] font-bold underline">
                            {"holiday" in cell.off ? "H" : "L"}
                          </span>
                        )}
                      </div>
                    </td>
                  );
                })}
                <td className="border-b border-l border-slate-100 px-3 py-1.5 text-right whitespace-nowrap text-slate-700 tabular-nums dark:border-slate-800/70 dark:text-slate-200">
                  {formatDuration(row.working_seconds)}
                </td>
                <td className="border-b border-slate-100 px-3 py-1.5 text-right font-medium whitespace-nowrap text-slate-900 tabular-nums dark:border-slate-800/70 dark:text-slate-50">
                  {row.real_hours_counted}
                </td>
                {showBalance && (
                  <td
                    data-balance={row.balance_seconds ?? 0}
                    className="border-b border-slate-100 px-3 py-1.5 text-right whitespace-nowrap text-slate-700 tabular-nums dark:border-slate-800/70 dark:text-slate-200"
                  >
                    {formatBalance(row.balance_seconds ?? 0)}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <div className="mt-3 flex flex-wrap items-center justify-end gap-x-3 gap-y-2 text-[11px] text-slate-500 dark:text-slate-400">
        <span>Less</span>
        <ul aria-label="Legend: hours worked per day" className="flex flex-wrap items-center gap-x-2.5 gap-y-1">
          {HEATMAP_BUCKETS.map((bucket, index) => (
            <li key={bucket.range} className="flex items-center gap-1" data-bucket={index}>
              <span aria-hidden="true" className={`size-3 rounded-[3px] ${bucket.className}`} />
              <span className="tabular-nums">{bucket.range}</span>
            </li>
          ))}
        </ul>
        <span>More</span>
        {hasHoliday && (
          <span className="flex items-center gap-1 border-l border-slate-200 pl-3 dark:border-slate-800">
            <span aria-hidden="true" className="font-bold underline">
              H
            </span>
            Public holiday
          </span>
        )}
        {hasLeave && (
          <span className="flex items-center gap-1 border-l border-slate-200 pl-3 dark:border-slate-800">
            <span aria-hidden="true" className="font-bold underline">
              L
            </span>
            Leave
          </span>
        )}
        {hasFuture && (
          <span className="flex items-center gap-1 border-l border-slate-200 pl-3 dark:border-slate-800">
            <span
              aria-hidden="true"
              className="size-3 rounded-[3px] border border-dashed border-slate-300 dark:border-slate-700"
            />
            Not yet
          </span>
        )}
      </div>
    </div>
  );
}
