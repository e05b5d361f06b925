import { dateTimeFormat, localDateOf } from "@/lib/time";

// How the dashboard writes numbers, times and dates. Tests compare pages with the read API
// through these same functions, so a number on a page is always the API's number, written once.

/** Seconds worked as "7h 32m" (minutes rounded down, as the API's seconds are). */
export function formatDuration(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  if (hours === 0) return `${minutes}m`;
  return `${hours}h ${String(minutes % 60).padStart(2, "0")}m`;
}

/** Seconds as decimal hours with one place ("7.5"), for chart axes and cell labels. */
export function formatHours(seconds: number): string {
  return (Math.floor(seconds / 360) / 10).toFixed(1);
}

const toMs = (instant: string | number) => (typeof instant === "number" ? instant : Date.parse(instant));

/** An instant as the local wall-clock time "09:14" in `timeZone`. */
export function formatClock(instant: string | number, timeZone: string): string {
  return dateTimeFormat(timeZone, "clock").format(toMs(instant));
}

/** An instant as "Tue 24 Nov, 09:14" in `timeZone`. */
function formatDateTime(instant: string | number, timeZone: string): string {
  return dateTimeFormat(timeZone, "dayAndClock").format(toMs(instant));
}

/** The local date (YYYY-MM-DD) of an instant in `timeZone`. */
export function localDateIn(instant: string | number, timeZone: string): string {
  return localDateOf(toMs(instant), timeZone);
}

/** An instant as a clock time when it falls on `today`, otherwise with its date too. */
export function formatWhenRelative(instant: string | number, today: string, timeZone: string): string {
  return localDateIn(instant, timeZone) === today ? formatClock(instant, timeZone) : formatDateTime(instant, timeZone);
}

// Local dates are calendar dates: formatted in UTC so the zone of the browser or server never shifts them.
const dateUtc = (date: string) => Date.parse(`${date}T12:00:00Z`);

// A month's heatmap names each of its 31 dates in some 3,000 cells: each is formatted once.
const dayNames = new Map<string, string>();

/** A local date as "Tue 24 Nov". */
export function formatDay(date: string): string {
  let name = dayNames.get(date);
  if (name === undefined) dayNames.set(date, (name = dateTimeFormat("UTC", "day").format(dateUtc(date))));
  return name;
}

/** A local date as "Tuesday, 24 November 2026". */
export function formatDayLong(date: string): string {
  return dateTimeFormat("UTC", "dayLong").format(dateUtc(date));
}

/** A month as "November 2026" from any of its dates. */
export function formatMonth(date: string): string {
  return dateTimeFormat("UTC", "month").format(dateUtc(date));
}

/**
 * A range of local dates as "23–29 Nov 2026", "30 Nov – 6 Dec 2026" or across years. Written
 * by hand: Intl's formatRange spaces differ between Node and browsers, which breaks hydration.
 */
export function formatDateRange(start: string, end: string): string {
  const [startYear, startMonth, startDay] = start.split("-").map(Number);
  const [endYear, endMonth, endDay] = end.split("-").map(Number);
  const month = (date: string) => dateTimeFormat("UTC", "monthShort").format(dateUtc(date));
  if (startYear !== endYear) return `${startDay} ${month(start)} ${startYear} – ${endDay} ${month(end)} ${endYear}`;
  if (startMonth !== endMonth) return `${startDay} ${month(start)} – ${endDay} ${month(end)} ${endYear}`;
  return `${startDay}–${endDay} ${month(end)} ${endYear}`;
}

/** 0 = Sunday … 6 = Saturday, for a local date. */
export function weekdayOf(date: string): number {
  return new Date(dateUtc(date)).getUTCDay();
}

/** A balance (worked − expected) as "+1h 05m over", "−2h 30m under" or "on target": words, not colour alone. */
export function formatBalance(seconds: number): string {
  if (Math.abs(seconds) < 60) return "on target";
  return `${seconds > 0 ? "+" : "−"}${formatDuration(Math.abs(seconds))} ${seconds > 0 ? "over" : "under"}`;
}

/** A schedule's seconds as hours a person types back: "8", "7.5", "7:20" → "7:20". */
export function formatScheduleHours(seconds: number): string {
  const minutes = Math.round(seconds / 60);
  return minutes % 60 === 0
    ? String(minutes / 60)
    : `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}`;
}
