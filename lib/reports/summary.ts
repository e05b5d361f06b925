import type { Db } from "../db/index.ts";
import type { SqlValue } from "../db/dialect.ts";
import { toUserKey } from "../users.ts";
import { addDays, localDateOf, startOfLocalDay, type LocalDate } from "../time.ts";
import type { Period, SummaryQuery } from "./schemas.ts";
import type { ReportSettings } from "./settings.ts";
import { byUserKey, canSee, type Visible } from "./visible.ts";
import { dialectOf, toIsoOrNull, toNumber } from "../db/dialect.ts";
import { loadExpected, type ExpectedRange } from "./expected.ts";

export type SummaryRow = {
  username: string;
  period_start: LocalDate;
  period_end: LocalDate;
  working_seconds: number;
  real_hours_counted: number;
  days_active: number;
  first_activity: string | null;
  last_activity: string | null;
  /** Seconds the schedule expected over the period's days so far, less holidays and leave (DESIGN §11). */
  expected_seconds: number;
  /** working_seconds − expected_seconds: positive is overtime, negative undertime. */
  balance_seconds: number;
};

/** The first and last local dates of the day, week or calendar month that contains `date`. */
export function periodBounds(
  period: Period,
  date: LocalDate,
  weekStartsOn: number,
): { start: LocalDate; end: LocalDate } {
  if (period === "day") return { start: date, end: date };
  if (period === "week") {
    const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
    const start = addDays(date, -((weekday - weekStartsOn + 7) % 7));
    return { start, end: addDays(start, 6) };
  }
  const [year, month] = date.split("-").map(Number);
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return { start: `${date.slice(0, 8)}01`, end: `${date.slice(0, 8)}${String(lastDay).padStart(2, "0")}` };
}

/**
 * One row per user for the period containing `query.date` (today when absent): the sum of
 * the user's days. Every user first seen by the period's end is listed, with zeros when they
 * did not work, sorted by username; only those in `visible` when it is a set.
 */
export async function summarise(
  db: Db,
  query: SummaryQuery,
  settings: ReportSettings,
  now = Date.now(),
  visible: Visible = null,
  expected?: ExpectedRange | Promise<ExpectedRange>,
): Promise<SummaryRow[]> {
  const date = query.date ?? localDateOf(now, settings.timeZone);
  const { start, end } = periodBounds(query.period, date, settings.weekStartsOn);
  if (visible?.size === 0) return [];
  const d = dialectOf(db);
  const userKey = query.username ? toUserKey(query.username) : null;
  const onlyUser = userKey ? " AND user_key = ?" : "";
  const userParam: SqlValue[] = userKey ? [userKey] : [];

  const [users, days, calendar] = await Promise.all([
    db.raw.query<Record<string, unknown>>(
      `SELECT user_key, display_name FROM tracked_users WHERE first_seen_at < ${d.at}${onlyUser}`,
      [startOfLocalDay(addDays(end, 1), settings.timeZone), ...userParam],
    ),
    db.raw.query<Record<string, unknown>>(
      `SELECT user_key, MAX(username) AS username, SUM(working_seconds) AS working_seconds,
         SUM(real_hours_counted) AS real_hours_counted,
         SUM(CASE WHEN working_seconds > 0 THEN 1 ELSE 0 END) AS days_active,
         ${d.ms("MIN(first_activity)")} AS first_activity, ${d.ms("MAX(last_activity)")} AS last_activity
       FROM user_real_work_summary WHERE work_date >= ? AND work_date <= ?${onlyUser} GROUP BY user_key`,
      [start, end, ...userParam],
    ),
    expected ?? loadExpected(db, { start, end }, settings, now),
  ]);

  // Each listed user once, with their row of the summary's GROUP BY when they have one.
  const listed = new Map<string, { userKey: string; username: string; day?: Record<string, unknown> }>();
  for (const user of users) {
    const key = String(user.user_key);
    if (canSee(visible, key)) listed.set(key, { userKey: key, username: String(user.display_name) });
  }
  // A user first seen after the period (events sent late) still appears where they worked.
  for (const day of days) {
    const key = String(day.user_key);
    if (!canSee(visible, key)) continue;
    const user = listed.get(key);
    if (user) user.day = day;
    else listed.set(key, { userKey: key, username: String(day.username), day });
  }
  return [...listed.values()].sort(byUserKey).map(({ userKey, username, day }): SummaryRow => {
    const expectedSeconds = calendar.totalOf(userKey);
    const workingSeconds = day ? toNumber(day.working_seconds) : 0;
    return {
      username,
      period_start: start,
      period_end: end,
      working_seconds: workingSeconds,
      real_hours_counted: day ? toNumber(day.real_hours_counted) : 0,
      days_active: day ? toNumber(day.days_active) : 0,
      first_activity: day ? toIsoOrNull(day.first_activity) : null,
      last_activity: day ? toIsoOrNull(day.last_activity) : null,
      expected_seconds: expectedSeconds,
      balance_seconds: workingSeconds - expectedSeconds,
    };
  });
}
