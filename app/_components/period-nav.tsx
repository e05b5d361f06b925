"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useId, useRef } from "react";
import { formatDateRange, formatDayLong, formatMonth } from "./format";

export type PeriodKind = "day" | "week" | "month";

const DAY_MS = 86_400_000;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

const toIsoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Whether `value` is a real calendar date written YYYY-MM-DD. */
function isIsoDate(value: string): boolean {
  const match = DATE_PATTERN.exec(value);
  if (!match) return false;
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return !Number.isNaN(ms) && toIsoDate(ms) === value;
}

/**
 * The date one period before or after `date`, computed on the calendar in UTC so no local zone
 * can shift it. A month step keeps the day of the month, clamped to the target month's length.
 */
export function shiftDate(period: PeriodKind, date: string, direction: -1 | 1): string {
  const match = DATE_PATTERN.exec(date);
  if (!match) throw new Error(`Not a YYYY-MM-DD date: ${date}`);
  const [year, month, day] = [Number(match[1]), Number(match[2]) - 1, Number(match[3])];
  if (period === "month") {
    const lastDay = new Date(Date.UTC(year, month + direction + 1, 0)).getUTCDate();
    return toIsoDate(Date.UTC(year, month + direction, Math.min(day, lastDay)));
  }
  return toIsoDate(Date.UTC(year, month, day) + (period === "week" ? 7 : 1) * direction * DAY_MS);
}

/** `basePath?date=…&…params`, leaving out empty parameters. */
function buildPeriodHref(basePath: string, date: string, params: Record<string, string | undefined> = {}): string {
  const search = new URLSearchParams({ date });
  for (const [key, value] of Object.entries(params)) {
    if (key !== "date" && value) search.set(key, value);
  }
  return `${basePath}?${search}`;
}

/** The heading a period is shown under: a day, "Week of 23 – 29 Nov 2026" or a month. */
export function formatPeriodTitle(period: PeriodKind, date: string, start: string, end: string): string {
  if (period === "day") return formatDayLong(date);
  if (period === "week") return `Week of ${formatDateRange(start, end)}`;
  return formatMonth(date);
}

// Years typed digit by digit pass through valid but absurd dates ("0002-…"); don't navigate to those.
const isReasonableDate = (value: string) => isIsoDate(value) && value >= "1970-01-01";

const isTyping = (target: EventTarget | null) =>
  target instanceof HTMLElement &&
  (target.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName));

/** Keys that edit a date picker's fields (rather than open its calendar or leave it). */
const isEditingKey = (event: React.KeyboardEvent) =>
  !event.altKey && (/^\d$/.test(event.key) || ["ArrowUp", "ArrowDown", "Backspace", "Delete"].includes(event.key));

const stepButton =
  "inline-flex size-8 items-center justify-center text-slate-600 transition-colors hover:bg-slate-100 hover:text-slate-900 focus-visible:relative focus-visible:z-10 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-sky-500/50 dark:text-slate-300 dark:hover:bg-slate-800 dark:hover:text-white";

function Chevron({ direction }: { direction: "left" | "right" }) {
  return (
    <svg
      aria-hidden="true"
      viewBox="0 0 16 16"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.75}
      strokeLinecap="round"
      strokeLinejoin="round"
      className="size-4"
    >
      <path d={direction === "left" ? "M10 3.5 5.5 8l4.5 4.5" : "M6 3.5 10.5 8 6 12.5"} />
    </svg>
  );
}

/** Previous / next / today links for a day, week or month, a date picker, and Alt+←/→ shortcuts. */
export function PeriodNav({
  period,
  date,
  start,
  end,
  today,
  basePath,
  params = {},
}: {
  period: PeriodKind;
  date: string;
  start: string;
  end: string;
  today: string;
  basePath: string;
  params?: Record<string, string>;
}) {
  const router = useRouter();
  const inputId = useId();
  const previousHref = buildPeriodHref(basePath, shiftDate(period, date, -1), params);
  const nextHref = buildPeriodHref(basePath, shiftDate(period, date, 1), params);
  const todayHref = buildPeriodHref(basePath, today, params);
  const showsToday = start <= today && today <= end;
  const picker = useRef<HTMLInputElement>(null);
  // Typed or stepped from the keyboard, the date waits for Enter (or leaving the field): going
  // there at each key would jump through every half-typed date.
  const typing = useRef(false);
  const goTo = (value: string) => {
    typing.current = false;
    if (isReasonableDate(value) && value !== date) router.push(buildPeriodHref(basePath, value, params));
  };

  // Follow the period shown, but leave the picker alone while it has focus: the reader is
  // stepping or typing through it, and a new input would drop their focus at each step.
  useEffect(() => {
    const input = picker.current;
    if (input && input !== document.activeElement && input.value !== date) input.value = date;
  }, [date]);

  useEffect(() => {
    function onKeyDown(event: KeyboardEvent) {
      if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey || event.defaultPrevented) return;
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
      if (isTyping(event.target)) return;
      // Alt+← is also the browser's Back; on these pages it means the previous period instead.
      event.preventDefault();
      router.push(event.key === "ArrowLeft" ? previousHref : nextHref);
    }
    window.addEventListener("keydown", onKeyDown);
    return () => window.removeEventListener("keydown", onKeyDown);
  }, [router, previousHref, nextHref]);

  return (
    <nav aria-label="Period" className="flex flex-wrap items-center gap-x-3 gap-y-2">
      <div className="inline-flex shrink-0 overflow-hidden rounded-lg bg-white shadow-sm ring-1 ring-slate-200 dark:bg-slate-900 dark:ring-slate-700/80">
        <Link
          href={previousHref}
          aria-label={`Previous ${period}`}
          title={`Previous ${period} (Alt+←)`}
          aria-keyshortcuts="Alt+ArrowLeft"
          className={stepButton}
        >
          <Chevron direction="left" />
        </Link>
        <span aria-hidden="true" className="w-px bg-slate-200 dark:bg-slate-700/80" />
        <Link
          href={nextHref}
          aria-label={`Next ${period}`}
          title={`Next ${period} (Alt+→)`}
          aria-keyshortcuts="Alt+ArrowRight"
          className={stepButton}
        >
          <Chevron direction="right" />
        </Link>
      </div>

      <p className="min-w-0 text-base font-semibold tracking-tight text-slate-900 dark:text-slate-50">
        {formatPeriodTitle(period, date, start, end)}
      </p>

      <div className="ml-auto flex items-center gap-2">
        <Link
          href={todayHref}
          aria-current={showsToday ? "date" : undefined}
          className={`inline-flex h-8 items-center rounded-lg px-3 text-sm font-medium ring-1 transition-colors focus-visible:ring-2 focus-visible:ring-sky-500/50 focus-visible:outline-none ${
            showsToday
              ? "cursor-default bg-slate-50 text-slate-500 ring-slate-200 dark:bg-slate-900/50 dark:text-slate-400 dark:ring-slate-800"
              : "bg-white text-slate-700 shadow-sm ring-slate-200 hover:bg-slate-50 hover:text-slate-900 dark:bg-slate-900 dark:text-slate-200 dark:ring-slate-700/80 dark:hover:bg-slate-800 dark:hover:text-white"
          }`}
        >
          Today
        </Link>
        <label htmlFor={inputId} className="sr-only">
          Go to date
        </label>
        <input
          ref={picker}
          id={inputId}
          type="date"
          defaultValue={date}
          onKeyDown={(event) => {
            if (event.key === "Enter") goTo(event.currentTarget.value);
            else if (isEditingKey(event)) typing.current = true;
          }}
          // Leaving the field goes to the date typed there.
          onBlur={(event) => typing.current && goTo(event.currentTarget.value)}
          // A date picked from the calendar (or filled in at once) goes there straight away.
          onChange={(event) => typing.current || goTo(event.currentTarget.value)}
          className="h-8 rounded-lg border-0 bg-white px-2.5 text-sm text-slate-700 tabular-nums [color-scheme:light] shadow-sm ring-1 ring-slate-200 ring-inset focus-visible:ring-2 focus-visible:ring-sky-500/50 focus-visible:outline-none dark:bg-slate-900 dark:text-slate-200 dark:[color-scheme:dark] dark:ring-slate-700/80"
        />
      </div>
    </nav>
  );
}
