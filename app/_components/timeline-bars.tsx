import { formatClock, formatDuration } from "./format";

export type TimelinePeriod = { start: string; end: string };

type Tick = { at: number; position: number; hour: number; label: string | null };

const QUARTER_HOUR = 15 * 60_000;

const toPercent = (value: number) => `${Number(value.toFixed(4))}%`;

/**
 * Every local full hour of the day with its position. Walking real instants (rather than adding
 * hours to midnight) keeps a 23- or 25-hour DST day right; quarter-hour steps also catch zones
 * whose offset is not a whole hour.
 */
function listHourTicks(dayStart: number, dayEnd: number, timeZone: string): Tick[] {
  const span = dayEnd - dayStart;
  if (!(span > 0)) return [];
  const ticks: Tick[] = [];
  const labelled = new Set<number>();
  for (let at = dayStart; at < dayEnd; at += QUARTER_HOUR) {
    const clock = formatClock(at, timeZone);
    if (!clock.endsWith(":00")) continue;
    const hour = Number(clock.slice(0, 2));
    // The repeated hour of an autumn day is drawn twice but labelled once.
    const label = hour % 3 === 0 && !labelled.has(hour) ? clock : null;
    if (label) labelled.add(hour);
    ticks.push({ at, position: ((at - dayStart) / span) * 100, hour, label });
  }
  return ticks;
}

/** A day's working periods as emerald bars on a 24-hour (or DST-length) track. */
export function TimelineBars({
  periods,
  dayStart,
  dayEnd,
  timeZone,
  now,
  label = "Working periods",
}: {
  periods: TimelinePeriod[];
  dayStart: number;
  dayEnd: number;
  timeZone: string;
  now?: number;
  label?: string;
}) {
  const span = Math.max(1, dayEnd - dayStart);
  const clamp = (ms: number) => Math.min(dayEnd, Math.max(dayStart, ms));
  const bars = periods
    .map((period) => {
      const startMs = Date.parse(period.start);
      const endMs = Date.parse(period.end);
      const from = clamp(startMs);
      const to = clamp(endMs);
      const text = `${formatClock(startMs, timeZone)} – ${formatClock(endMs, timeZone)}, ${formatDuration(Math.max(0, Math.floor((endMs - startMs) / 1000)))}`;
      return { ...period, from, to, text, left: ((from - dayStart) / span) * 100, width: ((to - from) / span) * 100 };
    })
    .filter((bar) => !Number.isNaN(bar.from) && !Number.isNaN(bar.to))
    .sort((a, b) => a.from - b.from);
  const ticks = listHourTicks(dayStart, dayEnd, timeZone);
  const nowMs = now !== undefined && now >= dayStart && now < dayEnd ? now : null;
  const nowPosition = nowMs === null ? null : ((nowMs - dayStart) / span) * 100;

  return (
    <div className="w-full select-none">
      <div className="relative h-11 rounded-lg bg-slate-100 ring-1 ring-slate-200 ring-inset dark:bg-slate-800/60 dark:ring-slate-700/70">
        <div aria-hidden="true" className="pointer-events-none absolute inset-0 overflow-hidden rounded-lg">
          {ticks.map((tick) => (
            <span
              key={tick.at}
              className={`absolute inset-y-0 w-px ${tick.label ? "bg-slate-300/80 dark:bg-slate-600/70" : "bg-slate-200 dark:bg-slate-700/50"}`}
              style={{ left: toPercent(tick.position) }}
            />
          ))}
          {nowPosition !== null && (
            <span
              className="absolute inset-y-0 right-0 bg-[repeating-linear-gradient(135deg,transparent_0_6px,rgb(148_163_184/0.12)_6px_12px)]"
              style={{ left: toPercent(nowPosition) }}
            />
          )}
        </div>

        {bars.length === 0 ? (
          <p className="absolute inset-0 flex items-center justify-center px-3 text-center text-xs text-slate-500 dark:text-slate-400">
            <span className="rounded-md bg-slate-100/90 px-2 py-0.5 dark:bg-slate-800/90">
              No working periods on this day.
            </span>
          </p>
        ) : (
          <ol aria-label={label} className="absolute inset-x-0 inset-y-1.5">
            {bars.map((bar) => {
              const middle = bar.left + bar.width / 2;
              const tipPlacement = middle < 15 ? "left-0" : middle > 85 ? "right-0" : "left-1/2 -translate-x-1/2";
              return (
                <li
                  key={`${bar.start}-${bar.end}`}
                  tabIndex={0}
                  aria-label={bar.text}
                  title={bar.text}
                  data-start={bar.start}
                  data-end={bar.end}
                  className="group absolute inset-y-0 min-w-0.5 rounded-[3px] bg-emerald-500 shadow-sm shadow-emerald-900/10 transition-colors outline-none hover:bg-emerald-600 focus-visible:z-10 focus-visible:ring-2 focus-visible:ring-sky-500/50 focus-visible:ring-offset-1 focus-visible:ring-offset-white dark:bg-emerald-400 dark:hover:bg-emerald-300 dark:focus-visible:ring-offset-slate-900"
                  style={{ left: toPercent(bar.left), width: toPercent(bar.width) }}
                >
                  <span
                    aria-hidden="true"
                    className={`pointer-events-none absolute bottom-full z-20 mb-2 hidden rounded-md bg-slate-900 px-2 py-1 text-xs font-medium whitespace-nowrap text-white tabular-nums shadow-lg group-focus-visible:block dark:bg-slate-100 dark:text-slate-900 ${tipPlacement}`}
                  >
                    {bar.text}
                  </span>
                </li>
              );
            })}
          </ol>
        )}

        {nowMs !== null && nowPosition !== null && (
          <div
            data-now={new Date(nowMs).toISOString()}
            title={`Now ${formatClock(nowMs, timeZone)}`}
            aria-hidden="true"
            className="pointer-events-none absolute -inset-y-1 z-10 w-0.5 -translate-x-1/2 rounded-full bg-sky-500 dark:bg-sky-400"
            style={{ left: toPercent(nowPosition) }}
          >
            <span className="absolute -top-1 left-1/2 size-2 -translate-x-1/2 rounded-full bg-sky-500 ring-2 ring-white dark:bg-sky-400 dark:ring-slate-900" />
          </div>
        )}
      </div>

      <div
        aria-hidden="true"
        className="relative mt-1.5 h-4 text-[11px] leading-4 text-slate-500 tabular-nums dark:text-slate-400"
      >
        {ticks
          .filter((tick) => tick.label)
          .map((tick) => (
            <span
              key={tick.at}
              data-tick={tick.label}
              className={`absolute top-0 ${tick.position === 0 ? "" : "-translate-x-1/2"}`}
              style={{ left: toPercent(tick.position) }}
            >
              {tick.label}
            </span>
          ))}
      </div>
    </div>
  );
}
