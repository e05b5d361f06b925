import { fromZonedTime } from "date-fns-tz";

/** A calendar date as YYYY-MM-DD. */
export type LocalDate = string;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The local date, in `timeZone`, of an instant given as epoch milliseconds. */
export function localDateOf(ms: number, timeZone: string): LocalDate {
  return formatterFor(timeZone).format(ms);
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

export const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** True for a real calendar date written YYYY-MM-DD. */
export function isLocalDate(text: string): boolean {
  if (!DATE_PATTERN.test(text)) return false;
  return addDays(text, 0) === text;
}
