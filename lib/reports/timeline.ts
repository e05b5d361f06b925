import type { Db } from "../db/index.ts";
import type { HoursEvent } from "../users.ts";
import { notFound } from "../errors.ts";
import { toUserKey } from "../users.ts";
import { addDays, localDateOf, startOfLocalDay, type LocalDate } from "../time.ts";
import type { TimelineQuery } from "./schemas.ts";
import type { ReportSettings } from "./settings.ts";
import { canSee, type Visible } from "./visible.ts";
import { dialectOf, toNumber } from "../db/dialect.ts";

export type Timeline = {
  username: string;
  date: LocalDate;
  timezone: string;
  periods: { start: string; end: string }[];
  events: { id: number; ts: string; state: HoursEvent["state"] }[];
  working_seconds: number;
  real_hours_counted: number;
};

const iso = (value: unknown) => new Date(toNumber(value)).toISOString();

/**
 * One user's local day (today when no date is given): the derived working periods, cut at
 * midnight, and the raw events they came from. An unknown user, or one outside `visible`,
 * is a 404: a limited reader cannot tell who exists beyond their teams.
 */
export async function getTimeline(
  db: Db,
  query: TimelineQuery,
  settings: ReportSettings,
  now = Date.now(),
  visible: Visible = null,
): Promise<Timeline> {
  const userKey = toUserKey(query.username);
  if (!canSee(visible, userKey)) throw notFound(`No user named ${query.username}`);
  const date = query.date ?? localDateOf(now, settings.timeZone);
  const d = dialectOf(db);
  const [user] = await db.raw.query<Record<string, unknown>>(
    `SELECT display_name FROM tracked_users WHERE user_key = ?`,
    [userKey],
  );
  if (!user) throw notFound(`No user named ${query.username}`);

  const [periods, events, [day]] = await Promise.all([
    db.raw.query<Record<string, unknown>>(
      `SELECT ${d.ms("start_ts")} AS start_ts, ${d.ms("end_ts")} AS end_ts FROM work_periods
       WHERE user_key = ? AND work_date = ? ORDER BY start_ts`,
      [userKey, date],
    ),
    // DESIGN §5.1 order: by time, "working" before "stopped", then by id.
    db.raw.query<Record<string, unknown>>(
      `SELECT id, ${d.ms("ts")} AS ts, state FROM work_events
       WHERE user_key = ? AND ts >= ${d.at} AND ts < ${d.at} ORDER BY ts, state DESC, id`,
      [userKey, startOfLocalDay(date, settings.timeZone), startOfLocalDay(addDays(date, 1), settings.timeZone)],
    ),
    db.raw.query<Record<string, unknown>>(
      `SELECT working_seconds, real_hours_counted FROM user_real_work_summary WHERE user_key = ? AND work_date = ?`,
      [userKey, date],
    ),
  ]);
  return {
    username: String(user.display_name),
    date,
    timezone: settings.timeZone,
    periods: periods.map((row) => ({ start: iso(row.start_ts), end: iso(row.end_ts) })),
    events: events.map((row) => ({ id: toNumber(row.id), ts: iso(row.ts), state: row.state as HoursEvent["state"] })),
    working_seconds: day ? toNumber(day.working_seconds) : 0,
    real_hours_counted: day ? toNumber(day.real_hours_counted) : 0,
  };
}
