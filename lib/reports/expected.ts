import type { Db } from "../db/index.ts";
import { addDays, localDateOf, type LocalDate } from "../time.ts";
import { createExpectedCalculator, dayOffOf, type DayOff } from "../schedules/expected.ts";
import { loadCalendar } from "../schedules/store.ts";
import type { ReportSettings } from "./settings.ts";

/** Expected hours over a range, read once: per user, each date's expected seconds and day off. */
export type ExpectedRange = {
  dates: LocalDate[];
  /** Seconds expected of a user on each of `dates`, in order. */
  daysOf: (userKey: string) => number[];
  /** The sum of `daysOf`. */
  totalOf: (userKey: string) => number;
  /** A holiday or the user's leave on `date`, for the pages to mark. */
  dayOffOf: (userKey: string, date: LocalDate) => DayOff | null;
};

/**
 * The calendar of [start, end] for every report of that range: expected seconds count only
 * days up to today (in the report zone), so the period under way is judged on its days so far.
 */
export async function loadExpected(
  db: Db,
  range: { start: LocalDate; end: LocalDate },
  settings: Pick<ReportSettings, "timeZone">,
  now: number,
): Promise<ExpectedRange> {
  const calendar = await loadCalendar(db, range, localDateOf(now, settings.timeZone));
  const dates: LocalDate[] = [];
  for (let d = range.start; d <= range.end; d = addDays(d, 1)) dates.push(d);
  const expectedDays = createExpectedCalculator(calendar);
  // Employees on the same schedule without leave share one array of days: sum it once.
  const totals = new WeakMap<number[], number>();
  const daysOf = (userKey: string) => expectedDays(userKey, dates);
  return {
    dates,
    daysOf,
    totalOf(userKey) {
      const days = daysOf(userKey);
      let total = totals.get(days);
      if (total === undefined) totals.set(days, (total = days.reduce((a, b) => a + b, 0)));
      return total;
    },
    dayOffOf: (userKey, date) => dayOffOf(calendar, userKey, date),
  };
}
