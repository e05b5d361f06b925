"use client";

import { useId, useState, type FocusEventHandler, type KeyboardEventHandler, type PointerEvent } from "react";
import { formatClock, formatDuration } from "./format";

/** A period as [milliseconds after the day's start, milliseconds long], as the employee view gives it. */
export type TimelineSpan = readonly [start: number, length: number];

/** A period clamped to the day, in milliseconds after its start, with what a reader is told of it. */
export type Bar = { from: number; to: number; text: string };

type Tick = { at: number; position: number; hour: number; label: string | null };

const QUARTER_HOUR = 15 * 60_000;
/** The hovered bar is found within this many pixels, so that a bar of a few seconds can be pointed at. */
const POINTER_SLACK_PX = 3;

const FOCUS_RING = "rounded-sm focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-500";

export const toPercent = (value: number) => `${Number(value.toFixed(4))}%`;

/**
 * Every local full hour of the day with its position. Walking real instants (rather than adding
 * hours to midnight) keeps a 23- or 25-hour DST day right; quarter-hour steps also catch zones
 * whose offset is not a whole hour.
 */
export function listHourTicks(dayStart: number, dayEnd: number, timeZone: string): Tick[] {
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

export function toBars(spans: readonly TimelineSpan[], dayStart: number, span: number, timeZone: string): Bar[] {
  return spans
    .filter(([start, length]) => Number.isFinite(start) && Number.isFinite(length))
    .map(([start, length]) => ({
      from: Math.min(span, Math.max(0, start)),
      to: Math.min(span, Math.max(0, start + length)),
      text: `${formatClock(dayStart + start, timeZone)} – ${formatClock(dayStart + start + length, timeZone)}, ${formatDuration(Math.max(0, Math.floor(length / 1000)))}`,
    }))
    .sort((a, b) => a.from - b.from);
}

/**
 * A lane's bars as two paths in whole seconds of the day, one unit high (the SVG stretches
 * them): `fill` holds each bar as a rectangle, `marks` a line through each bar's middle that is
 * drawn 2px wide whatever the scale, so that a period of a few seconds stays visible. Relative
 * moves keep a bar to about a dozen bytes, where an element per bar took hundreds.
 */
function toLanePaths(bars: readonly Pick<Bar, "from" | "to">[]): { fill: string; marks: string } {
  let fill = "";
  let marks = "";
  let x = 0;
  let mark: number | null = null;
  for (const bar of bars) {
    const from = Math.round(bar.from / 1000);
    const width = Math.round(bar.to / 1000) - from;
    if (width > 0) {
      // After "z" the pen is back at the bar's top left corner.
      fill += `m${from - x} 0v1h${width}V0z`;
      x = from;
    }
    const middle = Math.round((bar.from + bar.to) / 2000);
    marks += mark === null ? `m${middle} 0v1` : `m${middle - mark}-1v1`;
    mark = middle;
  }
  return { fill, marks };
}

/** The bar under a point `at` milliseconds into the day, allowing `slack` either side. */
export function findBarAt(bars: readonly Bar[], at: number, slack: number): number | null {
  let low = 0;
  let high = bars.length - 1;
  let before = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (bars[mid].from <= at) {
      before = mid;
      low = mid + 1;
    } else high = mid - 1;
  }
  const distance = (i: number) =>
    i < 0 || i >= bars.length ? Infinity : Math.max(0, bars[i].from - at, at - bars[i].to);
  const nearest = distance(before) <= distance(before + 1) ? before : before + 1;
  return distance(nearest) <= slack ? nearest : null;
}

/**
 * One lane of bars across the day: one SVG however many bars, scaled to the lane's box. Geometry
 * attributes only: the pages' Content-Security-Policy blocks inline style attributes.
 */
export function LaneBars({
  bars,
  span,
  label,
  describedBy,
  tone = "merged",
  keys,
}: {
  bars: readonly Bar[];
  span: number;
  label: string;
  describedBy?: string;
  tone?: "merged" | "device";
  /** Makes the lane one keyboard stop whose keys walk its bars (the team timeline). */
  keys?: {
    onKeyDown: KeyboardEventHandler<SVGSVGElement>;
    onFocus: FocusEventHandler<SVGSVGElement>;
    onBlur: FocusEventHandler<SVGSVGElement>;
  };
}) {
  const { fill, marks } = toLanePaths(bars);
  return (
    <svg
      role="img"
      aria-label={label}
      aria-describedby={describedBy}
      viewBox={`0 0 ${Math.round(span / 1000)} 1`}
      preserveAspectRatio="none"
      tabIndex={keys ? 0 : undefined}
      {...keys}
      className={keys ? `block size-full ${FOCUS_RING}` : "block size-full"}
    >
      <path
        data-lane-bars=""
        d={fill}
        className={tone === "merged" ? "fill-emerald-500 dark:fill-emerald-400" : "fill-sky-500 dark:fill-sky-400"}
      />
      <path
        data-lane-marks=""
        d={marks}
        vectorEffect="non-scaling-stroke"
        className={`fill-none stroke-2 ${tone === "merged" ? "stroke-emerald-500 dark:stroke-emerald-400" : "stroke-sky-500 dark:stroke-sky-400"}`}
      />
    </svg>
  );
}

/**
 * A day's working periods as emerald bars on a 24-hour (or DST-length) track. Pointing at a bar
 * tells its times; the track as a whole is one image with a summary, however many bars it holds.
 */
export function TimelineBars({
  spans,
  dayStart,
  dayEnd,
  timeZone,
  now,
  label = "Working periods",
}: {
  spans: readonly TimelineSpan[];
  dayStart: number;
  dayEnd: number;
  timeZone: string;
  now?: number;
  label?: string;
}) {
  const span = Math.max(1, dayEnd - dayStart);
  const bars = toBars(spans, dayStart, span, timeZone);
  const ticks = listHourTicks(dayStart, dayEnd, timeZone);
  const nowMs = now !== undefined && now >= dayStart && now < dayEnd ? now : null;
  const nowPosition = nowMs === null ? null : ((nowMs - dayStart) / span) * 100;
  const [hovered, setHovered] = useState<number | null>(null);
  const shown = hovered !== null && hovered < bars.length ? bars[hovered] : null;

  const id = useId().replace(/[^\w-]/g, "");
  const hatch = `hatch-${id}`;
  const summaryId = `summary-${id}`;

  const pointAt = (event: PointerEvent<HTMLDivElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    if (!(box.width > 0)) return;
    const at = ((event.clientX - box.left) / box.width) * span;
    setHovered(findBarAt(bars, at, (POINTER_SLACK_PX / box.width) * span));
  };

  const first = bars[0];
  const last = bars.at(-1);
  const summary =
    first && last
      ? `Drawn from ${formatClock(dayStart + first.from, timeZone)} to ${formatClock(dayStart + last.to, timeZone)} as ${bars.length} bar${bars.length === 1 ? "" : "s"}.`
      : "";

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
          <HourLines ticks={ticks} />
        </svg>

        {bars.length === 0 ? (
          <p className="absolute inset-0 flex items-center justify-center px-3 text-center text-xs text-slate-500 dark:text-slate-400">
            <span className="rounded-md bg-slate-100/90 px-2 py-0.5 dark:bg-slate-800/90">
              No working periods on this day.
            </span>
          </p>
        ) : (
          <div
            className="absolute top-1.5 left-0 h-8 w-full"
            onPointerMove={pointAt}
            onPointerLeave={() => setHovered(null)}
          >
            <LaneBars bars={bars} span={span} label={label} describedBy={summaryId} />
            {shown && <HoveredBar bar={shown} span={span} />}
          </div>
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
      {summary ? (
        <p id={summaryId} className="sr-only">
          {summary}
        </p>
      ) : null}

      <HourLabels ticks={ticks} className="mt-1.5 h-4 w-full" baseline={12} />
    </div>
  );
}

/** The hour axis' lines across a day's lanes: stronger where the axis has a label. */
export function HourLines({ ticks }: { ticks: Tick[] }) {
  return ticks.map((tick) => (
    <line
      key={tick.at}
      x1={toPercent(tick.position)}
      x2={toPercent(tick.position)}
      y1={0}
      y2="100%"
      className={
        tick.label ? "stroke-slate-300/80 dark:stroke-slate-600/70" : "stroke-slate-200/70 dark:stroke-slate-700/50"
      }
    />
  ));
}

/** The hour axis' labels under (or over) a day's lanes. */
export function HourLabels({ ticks, className, baseline }: { ticks: Tick[]; className: string; baseline: number }) {
  return (
    <svg
      aria-hidden="true"
      className={`block overflow-visible fill-slate-500 text-[11px] tabular-nums dark:fill-slate-400 ${className}`}
    >
      {ticks
        .filter((tick) => tick.label)
        .map((tick) => (
          <text
            key={tick.at}
            data-tick={tick.label}
            x={toPercent(tick.position)}
            y={baseline}
            textAnchor={tick.position === 0 ? "start" : "middle"}
          >
            {tick.label}
          </text>
        ))}
    </svg>
  );
}

export function HoveredBar({
  bar,
  span,
  tip = true,
  height = 36,
}: {
  bar: Bar;
  span: number;
  tip?: boolean;
  height?: number;
}) {
  const left = (bar.from / span) * 100;
  const width = ((bar.to - bar.from) / span) * 100;
  const middle = left + width / 2;
  const anchor = middle < 15 ? "start" : middle > 85 ? "end" : "middle";
  const tipX = anchor === "start" ? left : anchor === "end" ? left + width : middle;
  return (
    <svg aria-hidden="true" data-hovered="" className="pointer-events-none absolute inset-0 size-full overflow-visible">
      <rect
        x={toPercent(left)}
        y={-2}
        width={toPercent(width)}
        height={height}
        rx={4}
        className="fill-emerald-600/30 stroke-sky-500/70 stroke-2 dark:fill-emerald-300/30"
      />
      {tip ? (
        <text
          x={toPercent(tipX)}
          y={-10}
          textAnchor={anchor}
          className="fill-slate-900 stroke-white stroke-[4px] text-xs font-medium tabular-nums [paint-order:stroke] [stroke-linejoin:round] dark:fill-slate-100 dark:stroke-slate-900"
        >
          {bar.text}
        </text>
      ) : null}
    </svg>
  );
}

/** One device's periods, as the employee view gives them; "" is the unnamed device. */
export type DeviceLane = { device: string; spans: readonly TimelineSpan[] };

const nameOf = (device: string) => device || "Unnamed device";

/**
 * Each device's own periods as a thin lane under the merged bar, on the same scale, so that
 * a reader sees which PC the work was done on and where two overlapped.
 */
export function DeviceLanes({
  lanes,
  dayStart,
  dayEnd,
  timeZone,
}: {
  lanes: readonly DeviceLane[];
  dayStart: number;
  dayEnd: number;
  timeZone: string;
}) {
  const span = Math.max(1, dayEnd - dayStart);
  const id = useId().replace(/[^\w-]/g, "");
  return (
    <ul aria-label="Devices" className="mt-3 space-y-2">
      {lanes.map((lane, i) => {
        const bars = toBars(lane.spans, dayStart, span, timeZone);
        const first = bars[0];
        const last = bars.at(-1);
        const summaryId = `lane-${id}-${i}`;
        return (
          <li key={lane.device} data-device-lane={lane.device}>
            <p className="mb-0.5 truncate text-xs text-slate-600 dark:text-slate-400">{nameOf(lane.device)}</p>
            <div className="relative h-3 rounded bg-slate-100 ring-1 ring-slate-200 ring-inset dark:bg-slate-800/60 dark:ring-slate-700/70">
              <LaneBars
                bars={bars}
                span={span}
                label={`Working periods on ${nameOf(lane.device)}`}
                describedBy={summaryId}
                tone="device"
              />
            </div>
            <p id={summaryId} className="sr-only">
              {first && last
                ? `From ${formatClock(dayStart + first.from, timeZone)} to ${formatClock(dayStart + last.to, timeZone)} in ${bars.length} bar${bars.length === 1 ? "" : "s"}.`
                : "No working periods on this device."}
            </p>
          </li>
        );
      })}
    </ul>
  );
}
