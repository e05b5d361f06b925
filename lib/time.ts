import { fromZonedTime } from "date-fns-tz";

/** A calendar date as YYYY-MM-DD. */
export type LocalDate = string;

const DATE_PARTS = { year: "numeric", month: "2-digit", day: "2-digit" } as const;
const CLOCK = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" } as const;

// Every way an instant or a date is written, server and browser alike. en-CA writes dates as
// YYYY-MM-DD; en-GB the dashboard's "Tue 24 Nov, 09:14".
const STYLES = {
  isoDate: ["en-CA", DATE_PARTS],
  isoDateTime: ["en-CA", { ...DATE_PARTS, ...CLOCK, second: "2-digit" }],
  clock: ["en-GB", CLOCK],
  dayAndClock: ["en-GB", { weekday: "short", day: "numeric", month: "short", ...CLOCK }],
  day: ["en-GB", { weekday: "short", day: "numeric", month: "short" }],
  dayLong: ["en-GB", { weekday: "long", day: "numeric", month: "long", year: "numeric" }],
  month: ["en-GB", { month: "long", year: "numeric" }],
  monthShort: ["en-GB", { month: "short" }],
} satisfies Record<string, [string, Intl.DateTimeFormatOptions]>;
export type TimeStyle = keyof typeof STYLES;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The one cache of Intl formatters: building a formatter costs far more than using one. */
export function dateTimeFormat(timeZone: string, style: TimeStyle): Intl.DateTimeFormat {
  const key = `${style}|${timeZone}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    const [locale, options] = STYLES[style];
    formatter = new Intl.DateTimeFormat(locale, { timeZone, ...options });
    formatters.set(key, formatter);
  }
  return formatter;
}

/** The local date, in `timeZone`, of an instant given as epoch milliseconds. */
export function localDateOf(ms: number, timeZone: string): LocalDate {
  return dateTimeFormat(timeZone, "isoDate").format(ms);
}

/** An instant as "YYYY-MM-DD HH:mm:ss" local to `timeZone`, which spreadsheets read as a date-time. */
export function localDateTimeOf(ms: number, timeZone: string): string {
  const part = Object.fromEntries(
    dateTimeFormat(timeZone, "isoDateTime")
      .formatToParts(ms)
      .map((p) => [p.type, p.value]),
  );
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}:${part.second}`;
}

/** The calendar date `days` after (or before) `date`. */
export function addDays(date: LocalDate, days: number): LocalDate {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

const dayStarts = new Map<string, number>();

/**
 * The first instant of a local date. Where the zone skips midnight (a DST change at 00:00, as
 * in America/Santiago), the day begins at the first instant that exists.
 */
export function startOfLocalDay(date: LocalDate, timeZone: string): number {
  const key = `${timeZone}|${date}`;
  const cached = dayStarts.get(key);
  if (cached !== undefined) return cached;
  let start = fromZonedTime(`${date}T00:00:00`, timeZone).getTime();
  if (localDateOf(start, timeZone) < date) {
    // Midnight does not exist: search the next hours for the minute the date begins. A zone
    // may skip a whole date (Pacific/Apia, 2011-12-30): it then begins where the next one does.
    let lo = start;
    let hi = start + 48 * 3_600_000;
    while (hi - lo > 60_000) {
      const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
      if (localDateOf(mid, timeZone) < date) lo = mid;
      else hi = mid;
    }
    start = hi;
  } else if (localDateOf(start - 1, timeZone) === date) {
    // The zone's offset put us past the true start: step back to it.
    let lo = start - 4 * 3_600_000;
    let hi = start;
    while (hi - lo > 60_000) {
      const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
      if (localDateOf(mid, timeZone) < date) lo = mid;
      else hi = mid;
    }
    start = hi;
  }
  if (dayStarts.size > 100_000) dayStarts.clear();
  dayStarts.set(key, start);
  return start;
}

const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** True for a real calendar date written YYYY-MM-DD. */
export function isLocalDate(text: string): boolean {
  if (!DATE_PATTERN.test(text)) return false;
  return addDays(text, 0) === text;
}

/** A wait as a person reads it: seconds under a minute, else whole minutes rounded up, so it is never too short. */
export function describeWait(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return `${s} second${s === 1 ? "" : "s"}`;
  const minutes = Math.ceil(s / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}
