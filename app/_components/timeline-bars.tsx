import { useId } from "react";
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

  const hatch = `hatch-${useId().replace(/[^\w-]/g, "")}`;

  // Drawn in SVG, positioned by geometry attributes: the pages' Content-Security-Policy blocks
  // inline style attributes, so a left/width style would collapse every bar on a fresh load.
  return (
    <div className="w-full select-none">
      <div className="relative h-11 rounded-lg bg-slate-100 ring-1 ring-slate-200 ring-inset dark:bg-slate-800/60 dark:ring-slate-700/70">
        <svg aria-hidden="true" className="pointer-events-none absolute inset-0 size-full overflow-hidden rounded-lg">
          {nowPosition !== null && (
            <>
              <defs>
                <pattern id={hatch} patternUnits="userSpaceOnUse" width={12} height={12} patternTransform="rotate(45)">
                  <rect width={6} height={12} className="fill-slate-400/[0.12]" />
                </pattern>
              </defs>
              <rect
                x={toPercent(nowPosition)}
                width={toPercent(100 - nowPosition)}
                height="100%"
                fill={`url(#${hatch})`}
              />
            </>
          )}
          {ticks.map((tick) => (
            <line
              key={tick.at}
              x1={toPercent(tick.position)}
              x2={toPercent(tick.position)}
              y1={0}
              y2="100%"
              className={
                tick.label
                  ? "stroke-slate-300/80 dark:stroke-slate-600/70"
                  : "stroke-slate-200 dark:stroke-slate-700/50"
              }
            />
          ))}
        </svg>

        {bars.length === 0 ? (
          <p className="absolute inset-0 flex items-center justify-center px-3 text-center text-xs text-slate-500 dark:text-slate-400">
            <span className="rounded-md bg-slate-100/90 px-2 py-0.5 dark:bg-slate-800/90">
              No working periods on this day.
            </span>
          </p>
        ) : (
          <svg role="list" aria-label={label} className="absolute top-1.5 left-0 h-8 w-full overflow-visible">
            {bars.map((bar) => {
              const middle = bar.left + bar.width / 2;
              const anchor = middle < 15 ? "start" : middle > 85 ? "end" : "middle";
              const tipX = anchor === "start" ? bar.left : anchor === "end" ? bar.left + bar.width : middle;
              return (
                <g
                  key={`${bar.start}-${bar.end}`}
                  role="listitem"
                  tabIndex={0}
                  aria-label={bar.text}
                  data-start={bar.start}
                  data-end={bar.end}
                  className="group outline-none"
                >
                  <title>{bar.text}</title>
                  <rect
                    data-bar=""
                    x={toPercent(bar.left)}
                    y={0}
                    width={toPercent(bar.width)}
                    height="100%"
                    rx={3}
                    className="fill-emerald-500 transition-colors group-hover:fill-emerald-600 dark:fill-emerald-400 dark:group-hover:fill-emerald-300"
                  />
                  {/* A 2px stroke through the middle keeps a period of a few seconds visible. */}
                  <line
                    data-min-width=""
                    x1={toPercent(middle)}
                    x2={toPercent(middle)}
                    y1={0}
                    y2="100%"
                    className="stroke-emerald-500 stroke-2 transition-colors group-hover:stroke-emerald-600 dark:stroke-emerald-400 dark:group-hover:stroke-emerald-300"
                  />
                  <rect
                    aria-hidden="true"
                    x={toPercent(bar.left)}
                    y={-2}
                    width={toPercent(bar.width)}
                    height={36}
                    rx={4}
                    className="fill-none stroke-sky-500/60 stroke-2 opacity-0 group-focus-visible:opacity-100"
                  />
                  <text
                    aria-hidden="true"
                    x={toPercent(tipX)}
                    y={-10}
                    textAnchor={anchor}
                    className="fill-slate-900 stroke-white stroke-[4px] text-xs font-medium tabular-nums opacity-0 [paint-order:stroke] [stroke-linejoin:round] group-focus-visible:opacity-100 dark:fill-slate-100 dark:stroke-slate-900"
                  >
                    {bar.text}
                  </text>
                </g>
              );
            })}
          </svg>
        )}

        {nowMs !== null && nowPosition !== null && (
          <div
            data-now={new Date(nowMs).toISOString()}
            title={`Now ${formatClock(nowMs, timeZone)}`}
            aria-hidden="true"
            className="pointer-events-none absolute inset-x-0 -inset-y-1 z-10"
          >
            <svg className="size-full overflow-visible">
              <line
                x1={toPercent(nowPosition)}
                x2={toPercent(nowPosition)}
                y1={0}
                y2="100%"
                strokeLinecap="round"
                className="stroke-sky-500 stroke-2 dark:stroke-sky-400"
              />
              <circle
                cx={toPercent(nowPosition)}
                cy={0}
                r={4}
                className="fill-sky-500 stroke-white stroke-2 dark:fill-sky-400 dark:stroke-slate-900"
              />
            </svg>
          </div>
        )}
      </div>

      <svg
        aria-hidden="true"
        className="mt-1.5 block h-4 w-full overflow-visible fill-slate-500 text-[11px] tabular-nums dark:fill-slate-400"
      >
        {ticks
          .filter((tick) => tick.label)
          .map((tick) => (
            <text
              key={tick.at}
              data-tick={tick.label}
              x={toPercent(tick.position)}
              y={12}
              textAnchor={tick.position === 0 ? "start" : "middle"}
            >
              {tick.label}
            </text>
          ))}
      </svg>
    </div>
  );
}
