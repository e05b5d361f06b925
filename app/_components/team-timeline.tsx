"use client";

import Link from "next/link";
import { memo, useState, type KeyboardEvent, type PointerEvent } from "react";
import { formatClock } from "./format";
import {
  findBarAt,
  HoveredBar,
  HourLabels,
  HourLines,
  LaneBars,
  listHourTicks,
  toBars,
  toPercent,
  type Bar,
  type TimelineSpan,
} from "./timeline-bars";

/** One employee of the table's page: their merged periods of the day, as the day view gives them. */
export type TeamTimelineRow = {
  username: string;
  href: string;
  spans: readonly TimelineSpan[];
  /** Drawn per quarter hour: the day has too many periods to draw one by one. */
  merged: boolean;
};

/** Periods a row's accessible name lists before saying how many more it has. */
const NAMED_BARS = 8;
const POINTER_SLACK_PX = 3;
/** The name column's width, and the same offset for the hour lines drawn once over every row. */
const NAME_WIDTH = "w-28 sm:w-44";
const TRACK_LEFT = "left-28 sm:left-44";

/** "Ann: 09:00–10:30, 10:50–12:10": what a screen reader hears of a row before walking its bars. */
function nameRow(row: TeamTimelineRow, bars: readonly Bar[], dayStart: number, timeZone: string): string {
  if (bars.length === 0) return `${row.username}: no working periods`;
  const named = bars
    .slice(0, NAMED_BARS)
    .map((bar) => `${formatClock(dayStart + bar.from, timeZone)}–${formatClock(dayStart + bar.to, timeZone)}`);
  const more = bars.length > NAMED_BARS ? `, and ${bars.length - NAMED_BARS} more` : "";
  return `${row.username}: ${named.join(", ")}${more}${row.merged ? " (per quarter hour)" : ""}`;
}

type Detail = { username: string; text: string; index: number; count: number };

const TeamRow = memo(function TeamRow({
  row,
  span,
  dayStart,
  timeZone,
  onDetail,
}: {
  row: TeamTimelineRow;
  span: number;
  dayStart: number;
  timeZone: string;
  onDetail: (detail: Detail | null) => void;
}) {
  const bars = toBars(row.spans, dayStart, span, timeZone);
  const [pointed, setPointed] = useState<number | null>(null);
  const [focused, setFocused] = useState<number | null>(null);
  const active = pointed ?? focused;
  const shown = active !== null && active < bars.length ? bars[active] : null;
  const detailOf = (index: number | null): Detail | null =>
    index === null || index >= bars.length
      ? null
      : { username: row.username, text: bars[index].text, index, count: bars.length };

  const focusBar = (index: number) => {
    setFocused(index);
    onDetail(detailOf(index));
  };
  const onKeyDown = (event: KeyboardEvent<SVGSVGElement>) => {
    const last = bars.length - 1;
    const at = focused ?? 0;
    const next =
      event.key === "ArrowRight"
        ? Math.min(last, at + 1)
        : event.key === "ArrowLeft"
          ? Math.max(0, at - 1)
          : event.key === "Home"
            ? 0
            : event.key === "End"
              ? last
              : null;
    if (next === null) return;
    event.preventDefault();
    focusBar(next);
  };
  const pointAt = (event: PointerEvent<HTMLDivElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    if (!(box.width > 0)) return;
    const at = ((event.clientX - box.left) / box.width) * span;
    const index = findBarAt(bars, at, (POINTER_SLACK_PX / box.width) * span);
    if (index === pointed) return;
    setPointed(index);
    onDetail(detailOf(index ?? focused));
  };

  return (
    <li data-username={row.username} className="flex h-6 items-center">
      <Link
        href={row.href}
        prefetch={false}
        className={`${NAME_WIDTH} shrink-0 truncate pr-2 text-sm font-medium text-sky-700 hover:underline focus-visible:rounded focus-visible:ring-2 focus-visible:ring-sky-500/50 focus-visible:outline-none dark:text-sky-300`}
      >
        {row.username}
      </Link>
      <div
        className="relative h-4 min-w-0 flex-1"
        onPointerMove={bars.length ? pointAt : undefined}
        onPointerLeave={() => {
          setPointed(null);
          onDetail(detailOf(focused));
        }}
      >
        {bars.length ? (
          <LaneBars
            bars={bars}
            span={span}
            label={nameRow(row, bars, dayStart, timeZone)}
            keys={{
              onKeyDown,
              onFocus: () => focusBar(focused ?? 0),
              onBlur: () => {
                setFocused(null);
                onDetail(detailOf(pointed));
              },
            }}
          />
        ) : (
          <span className="sr-only">no working periods</span>
        )}
        {shown ? <HoveredBar bar={shown} span={span} tip={false} height={20} /> : null}
      </div>
    </li>
  );
});

/**
 * The team's day: one row per employee of the table's page, in its order, each their merged
 * periods on one shared hour axis. Hour lines and the present are drawn once over every row;
 * a row is one image and one keyboard stop whose arrow keys walk its bars, the bar pointed at
 * or reached told in the line above, which a screen reader also hears.
 */
export function TeamTimeline({
  rows,
  dayStart,
  dayEnd,
  timeZone,
  now,
  caption,
}: {
  rows: readonly TeamTimelineRow[];
  dayStart: number;
  dayEnd: number;
  timeZone: string;
  /** The present, marked when it falls in the day. */
  now?: number;
  caption: string;
}) {
  const span = Math.max(1, dayEnd - dayStart);
  const ticks = listHourTicks(dayStart, dayEnd, timeZone);
  const nowPosition = now !== undefined && now >= dayStart && now < dayEnd ? ((now - dayStart) / span) * 100 : null;
  const [detail, setDetail] = useState<Detail | null>(null);

  return (
    <div className="max-h-[32rem] scroll-pt-16 overflow-y-auto rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900">
      <div className="sticky top-0 z-20 border-b border-slate-200 bg-white px-3 pt-2 dark:border-slate-800 dark:bg-slate-900">
        <p
          role="status"
          data-timeline-detail=""
          className="min-h-5 truncate text-sm text-slate-700 tabular-nums dark:text-slate-200"
        >
          {detail ? (
            <>
              <span className="font-medium">{detail.username}</span>
              {`: ${detail.text} (period ${detail.index + 1} of ${detail.count})`}
            </>
          ) : (
            <span className="text-slate-500 dark:text-slate-400">
              Point at a bar, or Tab to a row and use ← →, to see its times.
            </span>
          )}
        </p>
        <div className="flex">
          <div className={`${NAME_WIDTH} shrink-0`} />
          <HourLabels ticks={ticks} className="h-5 min-w-0 flex-1" baseline={14} />
        </div>
      </div>
      <div className="px-3 py-1">
        <div className="relative">
          <div aria-hidden="true" className={`pointer-events-none absolute inset-y-0 right-0 ${TRACK_LEFT}`}>
            <svg className="block size-full">
              {nowPosition !== null ? (
                <rect
                  data-later=""
                  x={toPercent(nowPosition)}
                  width={toPercent(100 - nowPosition)}
                  height="100%"
                  className="fill-slate-400/10"
                />
              ) : null}
              <HourLines ticks={ticks} />
            </svg>
          </div>
          <ul aria-label={caption} className="relative">
            {rows.map((row) => (
              <TeamRow
                key={row.username}
                row={row}
                span={span}
                dayStart={dayStart}
                timeZone={timeZone}
                onDetail={setDetail}
              />
            ))}
          </ul>
          {nowPosition !== null ? (
            <div aria-hidden="true" className={`pointer-events-none absolute inset-y-0 right-0 ${TRACK_LEFT}`}>
              <svg data-now={new Date(now!).toISOString()} className="block size-full overflow-visible">
                <line
                  x1={toPercent(nowPosition)}
                  x2={toPercent(nowPosition)}
                  y1={0}
                  y2="100%"
                  className="stroke-sky-500 stroke-2 dark:stroke-sky-400"
                />
              </svg>
            </div>
          ) : null}
        </div>
      </div>
      {nowPosition !== null ? <p className="sr-only">The blue line marks now, {formatClock(now!, timeZone)}.</p> : null}
    </div>
  );
}
