import { z } from "zod";
import type { Db } from "../db/index.ts";
import type { SqlValue } from "../db/dialect.ts";
import { EVENT_STATES, type EventState } from "../users.ts";
import { badRequest, notFound } from "../errors.ts";
import { toUserKey } from "../users.ts";
import { addDays, localDateOf, startOfLocalDay, type LocalDate } from "../time.ts";
import { TIMELINE_PAGE_MAX, type TimelinePageQuery, type TimelineQuery } from "./schemas.ts";
import type { ReportSettings } from "./settings.ts";
import { canSee, type Visible } from "./visible.ts";
import { dialectOf, toNumber } from "../db/dialect.ts";

type TimelinePeriod = { start: string; end: string };

export type Timeline = {
  username: string;
  date: LocalDate;
  timezone: string;
  /** This page of the day's merged periods, by start. */
  periods: TimelinePeriod[];
  periods_total: number;
  /** This page of the day's events, in DESIGN §5.1 order. */
  events: { id: number; ts: string; state: EventState }[];
  events_total: number;
  events_by_state: Record<EventState, number>;
  limit: number;
  /** Ask again with `cursor` set to this for the next page of both lists; null when both are complete. */
  next_cursor: string | null;
  working_seconds: number;
  real_hours_counted: number;
};

/**
 * Where the next page starts in each list: after an event (its instant and state, unique per
 * user), after a period's start; absent for a list not read yet, `false` for one finished.
 */
const cursorSchema = z.strictObject({
  e: z.union([z.tuple([z.number().int(), z.enum(EVENT_STATES)]), z.literal(false)]).optional(),
  p: z.union([z.number().int(), z.literal(false)]).optional(),
});
type Cursor = z.output<typeof cursorSchema>;

const encodeCursor = (cursor: Cursor) => Buffer.from(JSON.stringify(cursor)).toString("base64url");

function decodeCursor(text: string | undefined): Cursor {
  if (!text) return {};
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(text, "base64url").toString("utf8")));
    if (parsed.success) return parsed.data;
  } catch {
    // Falls through to the one answer for any cursor this server did not give.
  }
  const message = "cursor must be a next_cursor given by a previous answer";
  throw badRequest("invalid_query", message, [{ field: "cursor", message }]);
}

const iso = (value: unknown) => new Date(toNumber(value)).toISOString();

type Day = { userKey: string; username: string; date: LocalDate; from: number; to: number };

/** The visible user's local day (today when no date is given), or a 404 that tells a limited reader nothing. */
async function findDay(
  db: Db,
  query: TimelineQuery,
  settings: ReportSettings,
  now: number,
  visible: Visible,
): Promise<Day> {
  const userKey = toUserKey(query.username);
  if (!canSee(visible, userKey)) throw notFound(`No user named ${query.username}`);
  const date = query.date ?? localDateOf(now, settings.timeZone);
  const [user] = await db.raw.query<Record<string, unknown>>(
    `SELECT display_name FROM tracked_users WHERE user_key = ?`,
    [userKey],
  );
  if (!user) throw notFound(`No user named ${query.username}`);
  return {
    userKey,
    username: String(user.display_name),
    date,
    from: startOfLocalDay(date, settings.timeZone),
    to: startOfLocalDay(addDays(date, 1), settings.timeZone),
  };
}

/** How many events the day holds, and of each state: counted in SQL, never read. */
async function countEvents(db: Db, day: Day): Promise<{ total: number; byState: Record<EventState, number> }> {
  const d = dialectOf(db);
  const [row] = await db.raw.query<Record<string, unknown>>(
    `SELECT COUNT(*) AS total, SUM(CASE WHEN state = 'working' THEN 1 ELSE 0 END) AS working
     FROM work_events WHERE user_key = ? AND ts >= ${d.at} AND ts < ${d.at}`,
    [day.userKey, day.from, day.to],
  );
  const total = toNumber(row?.total ?? 0);
  const working = toNumber(row?.working ?? 0);
  return { total, byState: { working, stopped: total - working } };
}

async function countPeriods(db: Db, day: Day): Promise<number> {
  const [row] = await db.raw.query<Record<string, unknown>>(
    `SELECT COUNT(*) AS total FROM work_periods WHERE user_key = ? AND work_date = ?`,
    [day.userKey, day.date],
  );
  return toNumber(row?.total ?? 0);
}

/** Up to `limit` + 1 of the day's events after `after`, in DESIGN §5.1 order (the extra one says whether more follow). */
async function readEvents(db: Db, day: Day, after: [number, EventState] | undefined, limit: number) {
  const d = dialectOf(db);
  const params: SqlValue[] = [day.userKey, day.from, day.to];
  // (ts, state) is unique per user; "working" sorts before "stopped" at one instant.
  let keyset = "";
  if (after) {
    keyset = ` AND (work_events.ts > ${d.at} OR (work_events.ts = ${d.at} AND state < ?))`;
    params.push(after[0], after[0], after[1]);
  }
  const rows = await db.raw.query<Record<string, unknown>>(
    `SELECT id, ${d.ms("ts")} AS ts_ms, state FROM work_events
     WHERE user_key = ? AND ts >= ${d.at} AND ts < ${d.at}${keyset}
     ORDER BY work_events.ts, state DESC LIMIT ${limit + 1}`,
    params,
  );
  return rows.map((row) => ({ id: toNumber(row.id), ms: toNumber(row.ts_ms), state: row.state as EventState }));
}

/** Up to `limit` + 1 of the day's periods starting after `after` (starts are unique: one stream's periods never overlap). */
async function readPeriods(db: Db, day: Day, after: number | undefined, limit: number) {
  const d = dialectOf(db);
  const params: SqlValue[] = [day.userKey, day.date];
  if (after !== undefined) params.push(after);
  const rows = await db.raw.query<Record<string, unknown>>(
    `SELECT ${d.ms("start_ts")} AS start_ms, ${d.ms("end_ts")} AS end_ms FROM work_periods
     WHERE user_key = ? AND work_date = ?${after === undefined ? "" : ` AND start_ts > ${d.at}`}
     ORDER BY start_ts LIMIT ${limit + 1}`,
    params,
  );
  return rows.map((row) => ({ start: toNumber(row.start_ms), end: toNumber(row.end_ms) }));
}

/**
 * One user's local day (today when no date is given): the derived working periods, cut at
 * midnight, and the raw events they came from, a page of each at most `limit` long with the
 * day's counts, so that no day, however much was stored for it, is read whole. An unknown
 * user, or one outside `visible`, is a 404: a limited reader cannot tell who exists beyond
 * their teams.
 */
export async function getTimeline(
  db: Db,
  query: TimelineQuery & Partial<Pick<TimelinePageQuery, "limit" | "cursor">>,
  settings: ReportSettings,
  now = Date.now(),
  visible: Visible = null,
): Promise<Timeline> {
  const limit = Math.min(query.limit ?? TIMELINE_PAGE_MAX, TIMELINE_PAGE_MAX);
  const cursor = decodeCursor(query.cursor);
  const day = await findDay(db, query, settings, now, visible);
  const [events, periods, eventCounts, periodsTotal, [totals]] = await Promise.all([
    cursor.e === false ? [] : readEvents(db, day, cursor.e, limit),
    cursor.p === false ? [] : readPeriods(db, day, cursor.p, limit),
    countEvents(db, day),
    countPeriods(db, day),
    db.raw.query<Record<string, unknown>>(
      `SELECT working_seconds, real_hours_counted FROM user_real_work_summary WHERE user_key = ? AND work_date = ?`,
      [day.userKey, day.date],
    ),
  ]);
  const eventPage = events.slice(0, limit);
  const periodPage = periods.slice(0, limit);
  const lastEvent = eventPage.at(-1);
  const next: Cursor = {
    e: events.length > limit && lastEvent ? [lastEvent.ms, lastEvent.state] : false,
    p: periods.length > limit ? periodPage.at(-1)!.start : false,
  };
  return {
    username: day.username,
    date: day.date,
    timezone: settings.timeZone,
    periods: periodPage.map((period) => ({ start: iso(period.start), end: iso(period.end) })),
    periods_total: periodsTotal,
    events: eventPage.map((event) => ({ id: event.id, ts: iso(event.ms), state: event.state })),
    events_total: eventCounts.total,
    events_by_state: eventCounts.byState,
    limit,
    next_cursor: next.e === false && next.p === false ? null : encodeCursor(next),
    working_seconds: totals ? toNumber(totals.working_seconds) : 0,
    real_hours_counted: totals ? toNumber(totals.real_hours_counted) : 0,
  };
}

/** More periods than a page of the employee's bars shows are drawn merged to the minute. */
const DRAWN_PERIODS_MAX = 1000;
const DRAWN_RESOLUTION_MS = 60_000;

export type DayOverview = {
  username: string;
  userKey: string;
  /** Instants in epoch milliseconds, by start. */
  periods: { start: number; end: number }[];
  periods_total: number;
  /** True when `periods` are the day's periods merged per minute, because there are too many to list. */
  periods_merged: boolean;
  events: number;
  working_seconds: number;
  real_hours_counted: number;
};

/**
 * What the employee page draws of a day: its periods (each minute's periods merged into one
 * when there are more than a page can show, so the bars still cover the whole day) and its
 * event count, all bounded whatever the day holds.
 */
export async function getDayOverview(
  db: Db,
  query: TimelineQuery,
  settings: ReportSettings,
  now = Date.now(),
  visible: Visible = null,
): Promise<DayOverview> {
  const day = await findDay(db, query, settings, now, visible);
  const d = dialectOf(db);
  const [periodsTotal, events, [totals]] = await Promise.all([
    countPeriods(db, day),
    countEvents(db, day),
    db.raw.query<Record<string, unknown>>(
      `SELECT working_seconds, real_hours_counted FROM user_real_work_summary WHERE user_key = ? AND work_date = ?`,
      [day.userKey, day.date],
    ),
  ]);
  const merged = periodsTotal > DRAWN_PERIODS_MAX;
  // Periods never overlap, so each minute's [first start, last end] never overlaps the next one's.
  const periods = merged
    ? (
        await db.raw.query<Record<string, unknown>>(
          `SELECT MIN(${d.ms("start_ts")}) AS start_ms, MAX(${d.ms("end_ts")}) AS end_ms FROM work_periods
         WHERE user_key = ? AND work_date = ?
         GROUP BY floor(${d.ms("start_ts")} / ${DRAWN_RESOLUTION_MS}) ORDER BY 1`,
          [day.userKey, day.date],
        )
      ).map((row) => ({ start: toNumber(row.start_ms), end: toNumber(row.end_ms) }))
    : await readPeriods(db, day, undefined, DRAWN_PERIODS_MAX);
  return {
    username: day.username,
    userKey: day.userKey,
    periods,
    periods_total: periodsTotal,
    periods_merged: merged,
    events: events.total,
    working_seconds: totals ? toNumber(totals.working_seconds) : 0,
    real_hours_counted: totals ? toNumber(totals.real_hours_counted) : 0,
  };
}
