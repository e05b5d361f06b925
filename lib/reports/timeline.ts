import { z } from "zod";
import type { Db } from "../db/index.ts";
import type { SqlValue } from "../db/dialect.ts";
import { EVENT_STATES, type EventState } from "../users.ts";
import { badRequest, notFound } from "../errors.ts";
import { toUserKey } from "../users.ts";
import { addDays, localDateOf, startOfLocalDay, type LocalDate } from "../time.ts";
import { TIMELINE_PAGE_MAX, type TimelinePageQuery, type TimelineQuery } from "./schemas.ts";
import { loadExpected } from "./expected.ts";
import type { ReportSettings } from "./settings.ts";
import { canSee, type Visible } from "./visible.ts";
import { dialectOf, toNumber } from "../db/dialect.ts";

type TimelinePeriod = { start: string; end: string };
/** A device as shown: its first spelling, or "" for the unnamed device (the original agent's). */
type DevicePeriod = TimelinePeriod & { device: string };

export type Timeline = {
  username: string;
  date: LocalDate;
  timezone: string;
  /** This page of the day's merged periods (DESIGN §5 rule 6), by start. */
  periods: TimelinePeriod[];
  periods_total: number;
  /** This page of each device's own periods, by start and device. */
  device_periods: DevicePeriod[];
  device_periods_total: number;
  /** This page of the day's events, in DESIGN §5.1 order, then by device. */
  events: { id: number; ts: string; state: EventState; device: string }[];
  events_total: number;
  events_by_state: Record<EventState, number>;
  limit: number;
  /** Ask again with `cursor` set to this for the next page of both lists; null when both are complete. */
  next_cursor: string | null;
  working_seconds: number;
  real_hours_counted: number;
  /** What the schedule expected that day, 0 on a holiday or leave (DESIGN §11); balance = worked − expected. */
  expected_seconds: number;
  balance_seconds: number;
};

/**
 * Where the next page starts in each list: after an event (its instant, state and device key,
 * unique per user), after a merged period's start, after a device period's start and device
 * key; absent for a list not read yet, `false` for one finished.
 */
const cursorSchema = z.strictObject({
  e: z.union([z.tuple([z.number().int(), z.enum(EVENT_STATES), z.string()]), z.literal(false)]).optional(),
  p: z.union([z.number().int(), z.literal(false)]).optional(),
  d: z.union([z.tuple([z.number().int(), z.string()]), z.literal(false)]).optional(),
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

/** The day's merged periods, or one device's own ("device_periods"), or every device's. */
type PeriodSource = { table: "work_periods" } | { table: "device_periods"; device?: string };

function periodsOf(day: Day, source: PeriodSource): { where: string; params: SqlValue[] } {
  const params: SqlValue[] = [day.userKey, day.date];
  let where = `user_key = ? AND work_date = ?`;
  if (source.table === "device_periods" && source.device !== undefined) {
    where += ` AND device_key = ?`;
    params.push(source.device);
  }
  return { where, params };
}

async function countPeriods(db: Db, day: Day, source: PeriodSource = { table: "work_periods" }): Promise<number> {
  const { where, params } = periodsOf(day, source);
  const [row] = await db.raw.query<Record<string, unknown>>(
    `SELECT COUNT(*) AS total FROM ${source.table} WHERE ${where}`,
    params,
  );
  return toNumber(row?.total ?? 0);
}

/** The user's devices, key → the spelling shown. */
async function readDevices(db: Db, day: Day): Promise<Map<string, string>> {
  const rows = await db.raw.query<Record<string, unknown>>(
    `SELECT device_key, display_name FROM tracked_devices WHERE user_key = ? ORDER BY device_key`,
    [day.userKey],
  );
  return new Map(rows.map((row) => [String(row.device_key), String(row.display_name)]));
}

/** Up to `limit` + 1 of the day's events after `after`, in DESIGN §5.1 order (the extra one says whether more follow). */
async function readEvents(db: Db, day: Day, after: [number, EventState, string] | undefined, limit: number) {
  const d = dialectOf(db);
  const params: SqlValue[] = [day.userKey, day.from, day.to];
  // (ts, state, device_key) is unique per user; "working" sorts before "stopped" at one instant.
  let keyset = "";
  if (after) {
    keyset = ` AND (work_events.ts > ${d.at} OR (work_events.ts = ${d.at} AND (state < ? OR (state = ? AND device_key > ?))))`;
    params.push(after[0], after[0], after[1], after[1], after[2]);
  }
  const rows = await db.raw.query<Record<string, unknown>>(
    `SELECT id, ${d.ms("ts")} AS ts_ms, state, device_key FROM work_events
     WHERE user_key = ? AND ts >= ${d.at} AND ts < ${d.at}${keyset}
     ORDER BY work_events.ts, state DESC, device_key LIMIT ${limit + 1}`,
    params,
  );
  return rows.map((row) => ({
    id: toNumber(row.id),
    ms: toNumber(row.ts_ms),
    state: row.state as EventState,
    deviceKey: String(row.device_key),
  }));
}

/** Up to `limit` + 1 of the day's merged periods, or one device's, starting after `after` (one such stream's periods never overlap). */
async function readPeriods(
  db: Db,
  day: Day,
  after: number | undefined,
  limit: number,
  source: PeriodSource = { table: "work_periods" },
) {
  const d = dialectOf(db);
  const { where, params } = periodsOf(day, source);
  if (after !== undefined) params.push(after);
  const rows = await db.raw.query<Record<string, unknown>>(
    `SELECT ${d.ms("start_ts")} AS start_ms, ${d.ms("end_ts")} AS end_ms FROM ${source.table}
     WHERE ${where}${after === undefined ? "" : ` AND start_ts > ${d.at}`}
     ORDER BY start_ts LIMIT ${limit + 1}`,
    params,
  );
  return rows.map((row) => ({ start: toNumber(row.start_ms), end: toNumber(row.end_ms) }));
}

/** Up to `limit` + 1 of the day's device periods after `after`, by start and device. */
async function readDevicePeriods(db: Db, day: Day, after: [number, string] | undefined, limit: number) {
  const d = dialectOf(db);
  const params: SqlValue[] = [day.userKey, day.date];
  let keyset = "";
  if (after) {
    keyset = ` AND (start_ts > ${d.at} OR (start_ts = ${d.at} AND device_key > ?))`;
    params.push(after[0], after[0], after[1]);
  }
  const rows = await db.raw.query<Record<string, unknown>>(
    `SELECT device_key, ${d.ms("start_ts")} AS start_ms, ${d.ms("end_ts")} AS end_ms FROM device_periods
     WHERE user_key = ? AND work_date = ?${keyset} ORDER BY start_ts, device_key LIMIT ${limit + 1}`,
    params,
  );
  return rows.map((row) => ({
    deviceKey: String(row.device_key),
    start: toNumber(row.start_ms),
    end: toNumber(row.end_ms),
  }));
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
  const [events, periods, devicePeriods, eventCounts, periodsTotal, devicePeriodsTotal, devices, [totals], expected] =
    await Promise.all([
      cursor.e === false ? [] : readEvents(db, day, cursor.e, limit),
      cursor.p === false ? [] : readPeriods(db, day, cursor.p, limit),
      cursor.d === false ? [] : readDevicePeriods(db, day, cursor.d, limit),
      countEvents(db, day),
      countPeriods(db, day),
      countPeriods(db, day, { table: "device_periods" }),
      readDevices(db, day),
      db.raw.query<Record<string, unknown>>(
        `SELECT working_seconds, real_hours_counted FROM user_real_work_summary WHERE user_key = ? AND work_date = ?`,
        [day.userKey, day.date],
      ),
      loadExpected(db, { start: day.date, end: day.date }, settings, now),
    ]);
  const eventPage = events.slice(0, limit);
  const periodPage = periods.slice(0, limit);
  const devicePeriodPage = devicePeriods.slice(0, limit);
  const lastEvent = eventPage.at(-1);
  const lastDevicePeriod = devicePeriodPage.at(-1);
  const next: Cursor = {
    e: events.length > limit && lastEvent ? [lastEvent.ms, lastEvent.state, lastEvent.deviceKey] : false,
    p: periods.length > limit ? periodPage.at(-1)!.start : false,
    d: devicePeriods.length > limit && lastDevicePeriod ? [lastDevicePeriod.start, lastDevicePeriod.deviceKey] : false,
  };
  const deviceName = (key: string) => devices.get(key) ?? key;
  return {
    username: day.username,
    date: day.date,
    timezone: settings.timeZone,
    periods: periodPage.map((period) => ({ start: iso(period.start), end: iso(period.end) })),
    periods_total: periodsTotal,
    device_periods: devicePeriodPage.map((period) => ({
      device: deviceName(period.deviceKey),
      start: iso(period.start),
      end: iso(period.end),
    })),
    device_periods_total: devicePeriodsTotal,
    events: eventPage.map((event) => ({
      id: event.id,
      ts: iso(event.ms),
      state: event.state,
      device: deviceName(event.deviceKey),
    })),
    events_total: eventCounts.total,
    events_by_state: eventCounts.byState,
    limit,
    next_cursor: next.e === false && next.p === false && next.d === false ? null : encodeCursor(next),
    working_seconds: totals ? toNumber(totals.working_seconds) : 0,
    real_hours_counted: totals ? toNumber(totals.real_hours_counted) : 0,
    expected_seconds: expected.totalOf(day.userKey),
    balance_seconds: (totals ? toNumber(totals.working_seconds) : 0) - expected.totalOf(day.userKey),
  };
}

/** More periods than a page of the employee's bars shows are drawn merged to the minute. */
const DRAWN_PERIODS_MAX = 1000;
/** Device lanes drawn under the merged bar; a user with more devices is told how many more. */
const DEVICE_LANES_MAX = 12;

/** Periods as drawn: instants in epoch milliseconds, by start. */
type Drawn = {
  periods: { start: number; end: number }[];
  periods_total: number;
  /** True when `periods` are merged per minute, because there are too many to list. */
  periods_merged: boolean;
};

export type DayOverview = Drawn & {
  username: string;
  userKey: string;
  /** One lane per device that reported, the most recently active first: its own periods that day. */
  devices: (Drawn & { device: string })[];
  /** Devices beyond the lanes drawn. */
  devices_more: number;
  events: number;
  working_seconds: number;
  real_hours_counted: number;
};

async function readDrawn(db: Db, day: Day, source: PeriodSource): Promise<Drawn> {
  const d = dialectOf(db);
  const total = await countPeriods(db, day, source);
  if (total <= DRAWN_PERIODS_MAX)
    return {
      periods: await readPeriods(db, day, undefined, DRAWN_PERIODS_MAX, source),
      periods_total: total,
      periods_merged: false,
    };
  const { where, params } = periodsOf(day, source);
  // One stream's periods never overlap, so each minute's [first start, last end] never overlaps the next one's.
  const rows = await db.raw.query<Record<string, unknown>>(
    `SELECT ${d.ms("MIN(start_ts)")} AS start_ms, ${d.ms("MAX(end_ts)")} AS end_ms FROM ${source.table}
     WHERE ${where} GROUP BY ${d.minute("start_ts")} ORDER BY 1`,
    params,
  );
  return {
    periods: rows.map((row) => ({ start: toNumber(row.start_ms), end: toNumber(row.end_ms) })),
    periods_total: total,
    periods_merged: true,
  };
}

/**
 * What the employee page draws of a day: its merged periods and each device's own (each
 * minute's periods merged into one when there are more than a page can show, so the bars
 * still cover the whole day) and its event count, all bounded whatever the day holds.
 */
export async function getDayOverview(
  db: Db,
  query: TimelineQuery,
  settings: ReportSettings,
  now = Date.now(),
  visible: Visible = null,
): Promise<DayOverview> {
  const day = await findDay(db, query, settings, now, visible);
  const [merged, events, [totals], devices] = await Promise.all([
    readDrawn(db, day, { table: "work_periods" }),
    countEvents(db, day),
    db.raw.query<Record<string, unknown>>(
      `SELECT working_seconds, real_hours_counted FROM user_real_work_summary WHERE user_key = ? AND work_date = ?`,
      [day.userKey, day.date],
    ),
    db.raw.query<Record<string, unknown>>(
      `SELECT device_key, display_name FROM tracked_devices WHERE user_key = ?
       ORDER BY last_event_at DESC, device_key LIMIT ${DEVICE_LANES_MAX + 1}`,
      [day.userKey],
    ),
  ]);
  const lanes = devices.slice(0, DEVICE_LANES_MAX);
  const [{ n }] = await db.raw.query<Record<string, unknown>>(
    `SELECT COUNT(*) AS n FROM tracked_devices WHERE user_key = ?`,
    [day.userKey],
  );
  return {
    username: day.username,
    userKey: day.userKey,
    ...merged,
    // One device's periods are the merged ones (rule 6 changes nothing): no need to read them again.
    devices: await Promise.all(
      lanes.map(async (row) => ({
        device: String(row.display_name),
        ...(devices.length === 1
          ? merged
          : await readDrawn(db, day, { table: "device_periods", device: String(row.device_key) })),
      })),
    ),
    devices_more: toNumber(n) - lanes.length,
    events: events.total,
    working_seconds: totals ? toNumber(totals.working_seconds) : 0,
    real_hours_counted: totals ? toNumber(totals.real_hours_counted) : 0,
  };
}

/** Bars a row of the team timeline draws one by one; a busier day is drawn per quarter hour (at most 96). */
const TEAM_ROW_PERIODS_MAX = 96;
const QUARTER_HOUR_MS = 15 * 60_000;

/** Rows (by start, each a [start, end] in epoch ms) joined per quarter hour: one stream's periods never overlap, so neither do the slots. */
function mergePerQuarterHour(periods: readonly { start: number; end: number }[]): { start: number; end: number }[] {
  const slots: { start: number; end: number; slot: number }[] = [];
  for (const period of periods) {
    const slot = Math.floor(period.start / QUARTER_HOUR_MS);
    const last = slots.at(-1);
    if (last && last.slot === slot) last.end = Math.max(last.end, period.end);
    else slots.push({ ...period, slot });
  }
  return slots.map(({ start, end }) => ({ start, end }));
}

/**
 * The merged periods of several users on one local date, for the Day page's team timeline:
 * the same pieces as each user's timeline, in a fixed number of queries however many users,
 * and at most {@link TEAM_ROW_PERIODS_MAX} bars each, so that a page of the table stays small
 * whatever its employees' days hold. Keyed by user key; a user with no period is absent.
 */
export async function listTeamDayPeriods(
  db: Db,
  date: LocalDate,
  userKeys: readonly string[],
): Promise<Map<string, Drawn>> {
  const drawn = new Map<string, Drawn>();
  if (userKeys.length === 0) return drawn;
  const d = dialectOf(db);
  const where = `work_date = ? AND ${d.inJsonList("user_key")}`;
  const counts = await db.raw.query<Record<string, unknown>>(
    `SELECT user_key, COUNT(*) AS n FROM work_periods WHERE ${where} GROUP BY user_key`,
    [date, JSON.stringify(userKeys)],
  );
  const totals = new Map(counts.map((row) => [String(row.user_key), toNumber(row.n)]));
  const few = [...totals].filter(([, n]) => n <= TEAM_ROW_PERIODS_MAX).map(([key]) => key);
  const busy = [...totals].filter(([, n]) => n > TEAM_ROW_PERIODS_MAX).map(([key]) => key);
  const [exact, perMinute] = await Promise.all([
    few.length
      ? db.raw.query<Record<string, unknown>>(
          `SELECT user_key, ${d.ms("start_ts")} AS start_ms, ${d.ms("end_ts")} AS end_ms FROM work_periods
           WHERE ${where} ORDER BY user_key, start_ts`,
          [date, JSON.stringify(few)],
        )
      : [],
    // A busy day is first read per minute, as the employee page draws it, so that no day is read whole.
    busy.length
      ? db.raw.query<Record<string, unknown>>(
          `SELECT user_key, ${d.ms("MIN(start_ts)")} AS start_ms, ${d.ms("MAX(end_ts)")} AS end_ms FROM work_periods
           WHERE ${where} GROUP BY user_key, ${d.minute("start_ts")} ORDER BY user_key, start_ms`,
          [date, JSON.stringify(busy)],
        )
      : [],
  ]);
  const byUser = (rows: Record<string, unknown>[]) => {
    const periods = new Map<string, { start: number; end: number }[]>();
    for (const row of rows) {
      const key = String(row.user_key);
      let list = periods.get(key);
      if (!list) periods.set(key, (list = []));
      list.push({ start: toNumber(row.start_ms), end: toNumber(row.end_ms) });
    }
    return periods;
  };
  for (const [key, periods] of byUser(exact))
    drawn.set(key, { periods, periods_total: totals.get(key)!, periods_merged: false });
  for (const [key, periods] of byUser(perMinute))
    drawn.set(key, { periods: mergePerQuarterHour(periods), periods_total: totals.get(key)!, periods_merged: true });
  return drawn;
}
