import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openDb, type Db } from "@/lib/db";
import { migrate } from "@/lib/db/migrator";
import { EventStore } from "@/lib/ingest/store";
import { checkEvent, type ParsedEvent } from "@/lib/ingest/schema";
import { toUserKey } from "@/lib/users";
import { PG_ENGINE_LOCK, runHoursEngine, type EngineOptions, type EngineResult } from "@/lib/hours/run";
import { compareEvents, derivePeriods, splitAtMidnight, summarisePieces, type HoursRules } from "@/lib/hours/periods";
import { type HoursEvent } from "@/lib/users";
import { addDays, startOfLocalDay } from "@/lib/time";
import { createTestDatabase, PROVIDERS, useMigratedDatabase, type TestDatabase } from "../helpers/databases";
import type { Provider } from "@/lib/db/dialect";

/*
 * The hours engine against real databases: events go in through the EventStore, as the ingest
 * route stores them (so hours_queue is filled as in production), and the derived tables are
 * compared with numbers worked out by hand, with a full rebuild and with the pure rules.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DUBAI = "Asia/Dubai";
const RULES: HoursRules = { gapMs: 15 * MINUTE, blockMs: 40 * MINUTE, timeZone: DUBAI };
/** The server's clock for every store: late enough that no 2026 event is "in the future". */
const NOW = Date.parse("2027-01-01T00:00:00Z");
/** The engine's advisory lock (lib/hours/run.ts): every instance must use this same number. */
const TABLES = [
  "work_events",
  "tracked_users",
  "tracked_devices",
  "hours_queue",
  "user_real_work_summary",
  "work_periods",
  "device_periods",
  "engine_runs",
];

const engineState = globalThis as typeof globalThis & { __workTracingEngineBusy?: boolean };

type State = "working" | "stopped";
type Sent = { user: string; state: State; ts: string | number; device?: string };

/** A wall-clock time in Dubai: "09:00" on 2026-03-02, or "2026-03-03T00:25". */
const dubai = (time: string) => (time.includes("T") ? `${time}+04:00` : `2026-03-02T${time}+04:00`);
const ms = (text: string) => Date.parse(text);
const w = (user: string, time: string): Sent => ({ user, state: "working", ts: dubai(time) });
const s = (user: string, time: string): Sent => ({ user, state: "stopped", ts: dubai(time) });

function parse(event: Sent): ParsedEvent {
  const ts = typeof event.ts === "number" ? new Date(event.ts).toISOString() : event.ts;
  const check = checkEvent(
    { user: event.user, state: event.state, ts, ...(event.device === undefined ? {} : { device: event.device }) },
    NOW,
  );
  if (!check.ok) throw new Error(`bad test event ${JSON.stringify(event)}: ${JSON.stringify(check.details)}`);
  return check.event;
}

/** Stores events as POST /api/report does; resolves once they are committed. */
async function send(db: Db, events: Sent[]): Promise<boolean[]> {
  return new EventStore(db).store(events.map(parse), NOW);
}

const column = (db: Db, name: string) =>
  db.provider === "sqlite" ? name : `(extract(epoch FROM ${name}) * 1000)::float8`;
const num = (value: unknown) => (value === null || value === undefined ? null : Number(value));

async function reset(db: Db) {
  for (const table of TABLES) await db.raw.execute(`DELETE FROM ${table}`);
}

/** A migrated database, emptied of events and everything derived from them before each test. */
function useEmptyDatabase(provider: Provider) {
  const database = useMigratedDatabase(provider);
  beforeEach(async () => {
    await reset(database.db);
  });
  return database;
}

type SummaryRow = {
  userKey: string;
  username: string;
  date: string;
  workingSeconds: number;
  realHours: number;
  first: number | null;
  last: number | null;
  lastEventId: number;
};
type PeriodRow = { userKey: string; date: string; start: number; end: number; lastEventId: number };
type DevicePeriodRow = PeriodRow & { deviceKey: string };

async function summaries(db: Db): Promise<SummaryRow[]> {
  const rows = await db.raw.query(
    `SELECT user_key, username, work_date, working_seconds, real_hours_counted, ${column(db, "first_activity")} AS first_activity,
       ${column(db, "last_activity")} AS last_activity, last_processed_event_id
     FROM user_real_work_summary ORDER BY user_key, work_date`,
  );
  return rows.map((row) => ({
    userKey: String(row.user_key),
    username: String(row.username),
    date: String(row.work_date),
    workingSeconds: Number(row.working_seconds),
    realHours: Number(row.real_hours_counted),
    first: num(row.first_activity),
    last: num(row.last_activity),
    lastEventId: Number(row.last_processed_event_id),
  }));
}

async function periods(db: Db): Promise<PeriodRow[]> {
  const rows = await db.raw.query(
    `SELECT user_key, work_date, ${column(db, "start_ts")} AS start_ts, ${column(db, "end_ts")} AS end_ts, last_event_id
     FROM work_periods ORDER BY user_key, start_ts`,
  );
  return rows.map((row) => ({
    userKey: String(row.user_key),
    date: String(row.work_date),
    start: Number(row.start_ts),
    end: Number(row.end_ts),
    lastEventId: Number(row.last_event_id),
  }));
}

async function devicePeriods(db: Db): Promise<DevicePeriodRow[]> {
  const rows = await db.raw.query(
    `SELECT user_key, device_key, work_date, ${column(db, "start_ts")} AS start_ts, ${column(db, "end_ts")} AS end_ts,
       last_event_id FROM device_periods ORDER BY user_key, device_key, start_ts`,
  );
  return rows.map((row) => ({
    userKey: String(row.user_key),
    deviceKey: String(row.device_key),
    date: String(row.work_date),
    start: Number(row.start_ts),
    end: Number(row.end_ts),
    lastEventId: Number(row.last_event_id),
  }));
}

/** The derived tables, without row ids or update times. */
async function derived(db: Db) {
  return { summaries: await summaries(db), periods: await periods(db), devicePeriods: await devicePeriods(db) };
}

/** The derived tables as they are, row ids and update times included. */
async function rawDerived(db: Db) {
  return {
    summaries: await db.raw.query(`SELECT * FROM user_real_work_summary ORDER BY id`),
    periods: await db.raw.query(`SELECT * FROM work_periods ORDER BY id`),
  };
}

const withoutEventIds = (tables: Awaited<ReturnType<typeof derived>>) => ({
  summaries: tables.summaries.map((row) => ({ ...row, lastEventId: 0 })),
  periods: tables.periods.map((row) => ({ ...row, lastEventId: 0 })),
  devicePeriods: tables.devicePeriods.map((row) => ({ ...row, lastEventId: 0 })),
});

/**
 * What the pure rules make of every event stored in `db`: each device stream's pieces (rules
 * 1–5, 7), their union per user and date (rule 6) and its day figures (rule 8). The engine's
 * result must equal it.
 */
async function expectedFromEvents(db: Db, rules: HoursRules) {
  const rows = await db.raw.query(`SELECT id, user_key, device_key, ${column(db, "ts")} AS ts, state FROM work_events`);
  const names = new Map(
    (await db.raw.query(`SELECT user_key, display_name FROM tracked_users`)).map((row) => [
      String(row.user_key),
      String(row.display_name),
    ]),
  );
  const byStream = new Map<string, { userKey: string; deviceKey: string; events: HoursEvent[] }>();
  for (const row of rows) {
    const key = `${row.user_key}\u0000${row.device_key}`;
    if (!byStream.has(key))
      byStream.set(key, { userKey: String(row.user_key), deviceKey: String(row.device_key), events: [] });
    byStream.get(key)!.events.push({ id: Number(row.id), ts: Number(row.ts), state: row.state as State });
  }
  const expected = {
    summaries: [] as SummaryRow[],
    periods: [] as PeriodRow[],
    devicePeriods: [] as DevicePeriodRow[],
  };
  for (const { userKey, deviceKey, events } of byStream.values()) {
    const list = events.sort(compareEvents);
    for (const piece of derivePeriods(list, rules.gapMs).flatMap((period) => splitAtMidnight(period, rules.timeZone)))
      expected.devicePeriods.push({
        userKey,
        deviceKey,
        ...piece,
        // "the highest event id used": of the stream's events inside the piece, ends included.
        lastEventId: Math.max(0, ...list.filter((e) => e.ts >= piece.start && e.ts <= piece.end).map((e) => e.id)),
      });
  }
  const byKey = (a: PeriodRow, b: PeriodRow) =>
    a.userKey === b.userKey ? a.start - b.start || a.end - b.end : a.userKey < b.userKey ? -1 : 1;
  expected.devicePeriods.sort((a, b) =>
    a.userKey === b.userKey && a.deviceKey !== b.deviceKey ? (a.deviceKey < b.deviceKey ? -1 : 1) : byKey(a, b),
  );
  // Rule 6: within each user and date, pieces that overlap or touch are one.
  for (const piece of [...expected.devicePeriods].sort(byKey)) {
    const last = expected.periods.at(-1);
    if (last && last.userKey === piece.userKey && last.date === piece.date && piece.start <= last.end) {
      last.end = Math.max(last.end, piece.end);
      last.lastEventId = Math.max(last.lastEventId, piece.lastEventId);
    } else
      expected.periods.push({
        userKey: piece.userKey,
        date: piece.date,
        start: piece.start,
        end: piece.end,
        lastEventId: piece.lastEventId,
      });
  }
  for (const userKey of [...new Set(expected.periods.map((p) => p.userKey))].sort()) {
    const pieces = expected.periods.filter((p) => p.userKey === userKey);
    for (const day of summarisePieces(pieces, rules.blockMs)) {
      expected.summaries.push({
        userKey,
        username: names.get(userKey)!,
        date: day.date,
        workingSeconds: day.workingSeconds,
        realHours: day.realHours,
        first: day.firstActivity,
        last: day.lastActivity,
        lastEventId: Math.max(...pieces.filter((p) => p.date === day.date).map((p) => p.lastEventId)),
      });
    }
  }
  return expected;
}

/** No local date holds more work than it has hours; pieces lie inside their date and never overlap. */
async function expectNoDayOverfull(db: Db, rules: HoursRules) {
  const dayLength = (date: string) =>
    startOfLocalDay(addDays(date, 1), rules.timeZone) - startOfLocalDay(date, rules.timeZone);
  for (const row of await summaries(db)) {
    expect(row.workingSeconds * 1000, `${row.userKey} ${row.date}`).toBeLessThanOrEqual(dayLength(row.date));
    expect(row.realHours).toBeLessThanOrEqual(Math.floor(dayLength(row.date) / rules.blockMs));
  }
  const rows = await periods(db);
  rows.forEach((row, i) => {
    expect(row.start).toBeGreaterThanOrEqual(startOfLocalDay(row.date, rules.timeZone));
    expect(row.end).toBeLessThanOrEqual(startOfLocalDay(addDays(row.date, 1), rules.timeZone));
    expect(row.end).toBeGreaterThan(row.start);
    if (i > 0 && rows[i - 1].userKey === row.userKey) expect(row.start).toBeGreaterThanOrEqual(rows[i - 1].end);
  });
}

async function idOf(db: Db, user: string, time: string, state: State): Promise<number> {
  const at = db.provider === "sqlite" ? "?" : "to_timestamp(?::float8 / 1000)";
  const [row] = await db.raw.query(`SELECT id FROM work_events WHERE user_key = ? AND ts = ${at} AND state = ?`, [
    toUserKey(user),
    ms(dubai(time)),
    state,
  ]);
  if (!row) throw new Error(`no event ${user} ${time} ${state}`);
  return Number(row.id);
}

async function queue(db: Db) {
  const rows = await db.raw.query(
    `SELECT user_key, ${column(db, "from_ts")} AS from_ts, ${column(db, "to_ts")} AS to_ts, revision FROM hours_queue ORDER BY user_key`,
  );
  return rows.map((row) => ({
    userKey: String(row.user_key),
    from: Number(row.from_ts),
    to: Number(row.to_ts),
    revision: Number(row.revision),
  }));
}

async function engineRuns(db: Db) {
  const rows = await db.raw.query(
    `SELECT id, trigger, status, users_processed, events_processed, error, ${column(db, "started_at")} AS started_at,
       ${column(db, "finished_at")} AS finished_at FROM engine_runs ORDER BY id`,
  );
  return rows.map((row) => ({
    id: Number(row.id),
    trigger: String(row.trigger),
    status: String(row.status),
    users: Number(row.users_processed),
    events: Number(row.events_processed),
    error: row.error,
    startedAt: Number(row.started_at),
    finishedAt: num(row.finished_at),
  }));
}

function ok(result: EngineResult) {
  if (result.status !== "ok") throw new Error(`expected an ok run, got ${JSON.stringify(result)}`);
  return result;
}

// Hand-worked streams, all in Dubai (UTC+4) around Monday 2026-03-02.
const ALICE = "CORP\\Alice";
const aliceDay: Sent[] = [
  // 09:00–10:25 with heartbeats every 10 min: 85 min, 2 real hours.
  ...["09:00", "09:10", "09:20", "09:30", "09:40", "09:50", "10:00", "10:10", "10:20"].map((t) => w(ALICE, t)),
  s(ALICE, "10:25"),
  // 11:10 → 11:30 is 20 min of silence (GAP 15): 11:00–11:10 (10 min), then 11:30–11:45 (15 min).
  w(ALICE, "11:00"),
  w(ALICE, "11:10"),
  w(ALICE, "11:30"),
  w(ALICE, "11:40"),
  s(ALICE, "11:45"),
  // 23:30 → 00:25 across midnight: 30 min on the 2nd, 25 min on the 3rd.
  ...["23:30", "23:40", "23:50", "2026-03-03T00:00", "2026-03-03T00:10", "2026-03-03T00:20"].map((t) => w(ALICE, t)),
  s(ALICE, "2026-03-03T00:25"),
];
// One user, three spellings; the first one to arrive ("CORP\Bob", 09:40) names him.
const bobFirst: Sent[] = [w("CORP\\Bob", "09:40")];
const bobRest: Sent[] = [
  w("corp\\BOB", "09:00"),
  w("Corp\\bob", "09:10"),
  w("corp\\BOB", "09:20"),
  w("CORP\\BOB", "09:30"),
  w("corp\\bob", "09:50"),
  w("Corp\\Bob", "10:00"),
  w("CORP\\bob", "10:10"),
  s("corp\\BOB", "10:20"),
];
// Stopped-only, and a lone heartbeat: both give nothing.
const carol: Sent[] = [s("CORP\\Carol", "09:00"), s("CORP\\Carol", "09:05"), s("CORP\\Carol", "17:00")];
const dave: Sent[] = [w("CORP\\Dave", "12:00")];

describe.each(PROVIDERS)("the hours engine on %s", (provider) => {
  const database = useEmptyDatabase(provider);
  let db: Db;
  beforeAll(() => {
    db = database.db;
  });

  const run = (options: Partial<EngineOptions> = {}) =>
    runHoursEngine({ trigger: "test", db, rules: RULES, ...options });

  it("derives a worked example's summaries and periods, as worked out by hand", async () => {
    await send(db, [...bobFirst, ...aliceDay, ...carol, ...dave]);
    await send(db, bobRest);
    expect((await queue(db)).map((q) => [q.userKey, q.revision])).toEqual([
      ["corp\\alice", 1],
      ["corp\\bob", 2],
      ["corp\\carol", 1],
      ["corp\\dave", 1],
    ]);

    const result = ok(await run());
    // Every event of the four users was read: 22 + 9 + 3 + 1.
    expect(result).toMatchObject({ users: 4, events: 35 });

    const id = (user: string, time: string, state: State) => idOf(db, user, time, state);
    const bobMax = Math.max(
      ...(await db.raw.query(`SELECT id FROM work_events WHERE user_key = ?`, ["corp\\bob"])).map((r) => Number(r.id)),
    );
    expect(await summaries(db)).toEqual([
      {
        userKey: "corp\\alice",
        username: ALICE,
        date: "2026-03-02",
        // 85 + 10 + 15 + 30 = 140 min; real hours 2 + 0 + 0 + 0.
        workingSeconds: 8400,
        realHours: 2,
        first: ms(dubai("09:00")),
        last: ms(dubai("2026-03-03T00:00")),
        lastEventId: await id(ALICE, "2026-03-03T00:00", "working"),
      },
      {
        userKey: "corp\\alice",
        username: ALICE,
        date: "2026-03-03",
        workingSeconds: 1500,
        realHours: 0,
        first: ms(dubai("2026-03-03T00:00")),
        last: ms(dubai("2026-03-03T00:25")),
        lastEventId: await id(ALICE, "2026-03-03T00:25", "stopped"),
      },
      {
        userKey: "corp\\bob",
        username: "CORP\\Bob",
        date: "2026-03-02",
        // 09:00–10:20: 80 min, 2 real hours.
        workingSeconds: 4800,
        realHours: 2,
        first: ms(dubai("09:00")),
        last: ms(dubai("10:20")),
        lastEventId: bobMax,
      },
    ]);
    expect(await periods(db)).toEqual([
      {
        userKey: "corp\\alice",
        date: "2026-03-02",
        start: ms(dubai("09:00")),
        end: ms(dubai("10:25")),
        lastEventId: await id(ALICE, "10:25", "stopped"),
      },
      {
        userKey: "corp\\alice",
        date: "2026-03-02",
        start: ms(dubai("11:00")),
        end: ms(dubai("11:10")),
        lastEventId: await id(ALICE, "11:10", "working"),
      },
      {
        userKey: "corp\\alice",
        date: "2026-03-02",
        start: ms(dubai("11:30")),
        end: ms(dubai("11:45")),
        lastEventId: await id(ALICE, "11:45", "stopped"),
      },
      {
        userKey: "corp\\alice",
        date: "2026-03-02",
        start: ms(dubai("23:30")),
        end: ms(dubai("2026-03-03T00:00")),
        lastEventId: await id(ALICE, "2026-03-03T00:00", "working"),
      },
      {
        userKey: "corp\\alice",
        date: "2026-03-03",
        start: ms(dubai("2026-03-03T00:00")),
        end: ms(dubai("2026-03-03T00:25")),
        lastEventId: await id(ALICE, "2026-03-03T00:25", "stopped"),
      },
      {
        userKey: "corp\\bob",
        date: "2026-03-02",
        start: ms(dubai("09:00")),
        end: ms(dubai("10:20")),
        lastEventId: bobMax,
      },
    ]);
    expect(await derived(db)).toEqual(await expectedFromEvents(db, RULES));
    expect(await queue(db)).toEqual([]);
    expect(await engineRuns(db)).toMatchObject([
      { id: result.runId, trigger: "test", status: "ok", users: 4, events: 35, error: null },
    ]);
  });

  it("treats one username in several spellings as one user, named by the first spelling that arrived", async () => {
    await send(db, bobFirst);
    await send(db, bobRest.slice(0, 4));
    await send(db, bobRest.slice(4));
    expect(await db.raw.query(`SELECT user_key, display_name FROM tracked_users`)).toEqual([
      { user_key: "corp\\bob", display_name: "CORP\\Bob" },
    ]);
    expect((await db.raw.query(`SELECT DISTINCT user_key FROM work_events`)).map((r) => r.user_key)).toEqual([
      "corp\\bob",
    ]);
    expect(await queue(db)).toMatchObject([
      { userKey: "corp\\bob", from: ms(dubai("09:00")), to: ms(dubai("10:20")), revision: 3 },
    ]);
    ok(await run());
    expect(await summaries(db)).toMatchObject([
      { userKey: "corp\\bob", username: "CORP\\Bob", date: "2026-03-02", workingSeconds: 4800, realHours: 2 },
    ]);
    expect(await periods(db)).toHaveLength(1);
    // Asking for the user in another spelling finds the same user.
    expect(ok(await run({ rebuild: true, user: "  cOrP\\bOb " }))).toMatchObject({ users: 1, events: 9 });
    expect(await summaries(db)).toMatchObject([
      { userKey: "corp\\bob", username: "CORP\\Bob", workingSeconds: 4800, realHours: 2 },
    ]);
  });

  it("re-derives both dates when a late event bridges two periods across midnight", async () => {
    const ERIN = "CORP\\Erin";
    await send(db, [
      ...["23:20", "23:30", "23:40"].map((t) => w(ERIN, t)),
      ...["2026-03-03T00:05", "2026-03-03T00:15", "2026-03-03T00:25"].map((t) => w(ERIN, t)),
      s(ERIN, "2026-03-03T00:30"),
    ]);
    ok(await run());
    // 23:40 → 00:05 is 25 min of silence: 23:20–23:40 (20 min) and 00:05–00:30 (25 min).
    expect((await summaries(db)).map((r) => [r.date, r.workingSeconds, r.realHours])).toEqual([
      ["2026-03-02", 1200, 0],
      ["2026-03-03", 1500, 0],
    ]);

    // 23:55 arrives late: exactly GAP after 23:40 and 10 min before 00:05, so one period 23:20–00:30.
    await send(db, [w(ERIN, "23:55")]);
    expect(await queue(db)).toMatchObject([{ from: ms(dubai("23:55")), to: ms(dubai("23:55")), revision: 1 }]);
    expect(ok(await run())).toMatchObject({ users: 1, events: 8 });
    expect(await summaries(db)).toMatchObject([
      {
        date: "2026-03-02",
        workingSeconds: 2400,
        realHours: 1,
        first: ms(dubai("23:20")),
        last: ms(dubai("2026-03-03T00:00")),
      },
      {
        date: "2026-03-03",
        workingSeconds: 1800,
        realHours: 0,
        first: ms(dubai("2026-03-03T00:00")),
        last: ms(dubai("2026-03-03T00:30")),
      },
    ]);
    expect((await periods(db)).map((p) => [p.date, p.start, p.end])).toEqual([
      ["2026-03-02", ms(dubai("23:20")), ms(dubai("2026-03-03T00:00"))],
      ["2026-03-03", ms(dubai("2026-03-03T00:00")), ms(dubai("2026-03-03T00:30"))],
    ]);
    expect(await derived(db)).toEqual(await expectedFromEvents(db, RULES));
  });

  it("removes a date's summary and periods when a late stop leaves that date no work", async () => {
    const KIM = "CORP\\Kim";
    await send(db, [w(KIM, "23:40"), w(KIM, "23:55"), s(KIM, "2026-03-03T00:05")]);
    ok(await run());
    // 23:40–00:05: 20 min on the 2nd, 5 min on the 3rd.
    expect((await summaries(db)).map((r) => [r.date, r.workingSeconds, r.realHours])).toEqual([
      ["2026-03-02", 1200, 0],
      ["2026-03-03", 300, 0],
    ]);
    // The agent's stop at 23:58 arrives late: 23:40–23:58, and the stop at 00:05 closes nothing.
    await send(db, [s(KIM, "23:58")]);
    ok(await run());
    expect(await summaries(db)).toMatchObject([
      { date: "2026-03-02", workingSeconds: 1080, realHours: 0, last: ms(dubai("23:58")) },
    ]);
    expect((await periods(db)).map((p) => [p.date, p.start, p.end])).toEqual([
      ["2026-03-02", ms(dubai("23:40")), ms(dubai("23:58"))],
    ]);
    expect(await derived(db)).toEqual(await expectedFromEvents(db, RULES));
  });

  it("re-derives a day when a late event bridges two of its periods, and when a late stop splits one", async () => {
    await send(db, aliceDay);
    ok(await run());
    // 11:20 bridges 11:00–11:10 and 11:30–11:45 into 11:00–11:45: 45 min, one more real hour.
    await send(db, [w(ALICE, "11:20")]);
    ok(await run());
    expect((await summaries(db)).map((r) => [r.date, r.workingSeconds, r.realHours])).toEqual([
      ["2026-03-02", 85 * 60 + 45 * 60 + 30 * 60, 2 + 1 + 0],
      ["2026-03-03", 1500, 0],
    ]);
    // A stop at 09:30 replayed late from the agent's spool: 09:00–09:30 (30 min) and 09:40–10:25 (45 min).
    await send(db, [s(ALICE, "09:30")]);
    ok(await run());
    expect((await summaries(db)).map((r) => [r.date, r.workingSeconds, r.realHours])).toEqual([
      ["2026-03-02", 30 * 60 + 45 * 60 + 45 * 60 + 30 * 60, 0 + 1 + 1 + 0],
      ["2026-03-03", 1500, 0],
    ]);
    expect((await periods(db)).filter((p) => p.date === "2026-03-02").map((p) => [p.start, p.end])).toEqual([
      [ms(dubai("09:00")), ms(dubai("09:30"))],
      [ms(dubai("09:40")), ms(dubai("10:25"))],
      [ms(dubai("11:00")), ms(dubai("11:45"))],
      [ms(dubai("23:30")), ms(dubai("2026-03-03T00:00"))],
    ]);
    expect(await derived(db)).toEqual(await expectedFromEvents(db, RULES));
  });

  it("adds a late previous day without touching the days after it", async () => {
    await send(db, aliceDay);
    ok(await run());
    const before = await rawDerived(db);
    // Sunday 2026-03-01, 09:00–09:45: 45 min, 1 real hour; far from Monday's first event.
    await send(db, [
      ...["09:00", "09:10", "09:20", "09:30"].map((t) => w(ALICE, `2026-03-01T${t}`)),
      s(ALICE, "2026-03-01T09:45"),
    ]);
    expect(ok(await run())).toMatchObject({ users: 1, events: 5 });
    const after = await rawDerived(db);
    expect(after.summaries.filter((row) => row.work_date !== "2026-03-01")).toEqual(before.summaries);
    expect(after.periods.filter((row) => row.work_date !== "2026-03-01")).toEqual(before.periods);
    expect((await summaries(db)).map((r) => [r.date, r.workingSeconds, r.realHours])).toEqual([
      ["2026-03-01", 2700, 1],
      ["2026-03-02", 8400, 2],
      ["2026-03-03", 1500, 0],
    ]);
    expect(await derived(db)).toEqual(await expectedFromEvents(db, RULES));
  });

  it("gives nothing for stopped-only streams and lone heartbeats, and still empties the queue", async () => {
    await send(db, [...carol, ...dave]);
    expect(ok(await run())).toMatchObject({ users: 2, events: 4 });
    expect(await derived(db)).toEqual({ summaries: [], periods: [], devicePeriods: [] });
    expect(await queue(db)).toEqual([]);
  });

  it("changes nothing when run again with nothing new", async () => {
    await send(db, [...aliceDay, ...bobFirst, ...bobRest]);
    ok(await run());
    const before = await rawDerived(db);
    expect(ok(await run())).toMatchObject({ users: 0, events: 0 });
    expect(ok(await run())).toMatchObject({ users: 0, events: 0 });
    expect(await rawDerived(db)).toEqual(before);
    // Duplicates of stored events are not stored, and so queue nothing either.
    expect(await send(db, aliceDay.slice(0, 3))).toEqual([false, false, false]);
    expect(await queue(db)).toEqual([]);
    expect(ok(await run())).toMatchObject({ users: 0, events: 0 });
    expect(await rawDerived(db)).toEqual(before);
  });

  it("records each run in engine_runs with its counts", async () => {
    const started = Date.now();
    await send(db, [...aliceDay, ...carol]);
    const first = ok(await run());
    await send(db, [w(ALICE, "11:20")]);
    const second = ok(await run({ trigger: "manual" }));
    const third = ok(await run({ rebuild: true }));
    const runs = await engineRuns(db);
    expect(
      runs.map(({ id, trigger, status, users, events, error }) => ({ id, trigger, status, users, events, error })),
    ).toEqual([
      { id: first.runId, trigger: "test", status: "ok", users: 2, events: 25, error: null },
      // The late 11:20 is re-derived from just after the stop at 10:25 to the stop at 11:45: six events.
      { id: second.runId, trigger: "manual", status: "ok", users: 1, events: 6, error: null },
      { id: third.runId, trigger: "test", status: "ok", users: 2, events: 26, error: null },
    ]);
    for (const row of runs) {
      expect(row.startedAt).toBeGreaterThanOrEqual(started - 1000);
      expect(row.finishedAt).toBeGreaterThanOrEqual(row.startedAt);
      expect(row.finishedAt).toBeLessThanOrEqual(Date.now() + 1000);
    }
  });

  it("rebuilds to the same tables as incremental runs, and restores lost or damaged rows", async () => {
    await send(db, aliceDay.slice(0, 12));
    ok(await run());
    await send(db, [...bobRest, ...aliceDay.slice(12)]);
    ok(await run());
    await send(db, [...bobFirst, w(ALICE, "11:20"), ...carol]);
    ok(await run());
    const incremental = await derived(db);
    expect(incremental).toEqual(await expectedFromEvents(db, RULES));

    expect(ok(await run({ rebuild: true }))).toMatchObject({ users: 3 });
    expect(await derived(db)).toEqual(incremental);

    await db.raw.execute(`DELETE FROM work_periods`);
    await db.raw.execute(`DELETE FROM user_real_work_summary`);
    ok(await run({ rebuild: true }));
    expect(await derived(db)).toEqual(incremental);

    await db.raw.execute(
      `UPDATE user_real_work_summary SET working_seconds = 1, real_hours_counted = 99, username = 'x'`,
    );
    await db.raw.execute(
      `INSERT INTO work_periods (user_key, work_date, start_ts, end_ts, last_event_id) VALUES (?, ?, ?, ?, ?)`,
      ["corp\\alice", "2026-03-02", new Date(ms(dubai("12:00"))), new Date(ms(dubai("12:30"))), 1],
    );
    ok(await run({ rebuild: true }));
    expect(await derived(db)).toEqual(incremental);
  });

  it("rebuilds only the given dates, and only the given user", async () => {
    const day = (user: string, date: string): Sent[] => [
      ...["09:00", "09:15", "09:30", "09:45"].map((t) => w(user, `${date}T${t}`)),
      s(user, `${date}T10:00`),
    ];
    const dates = ["2026-03-01", "2026-03-02", "2026-03-03"];
    await send(
      db,
      dates.flatMap((date) => [...day("CORP\\Fay", date), ...day("CORP\\Gus", date)]),
    );
    ok(await run());
    const good = await summaries(db);
    expect(good.map((r) => [r.userKey, r.date, r.workingSeconds, r.realHours])).toEqual(
      ["corp\\fay", "corp\\gus"].flatMap((user) => dates.map((date) => [user, date, 3600, 1])),
    );
    const damage = () =>
      db.raw.execute(`UPDATE user_real_work_summary SET working_seconds = 1, real_hours_counted = 99`);
    const repaired = async () =>
      (await summaries(db))
        .filter((row) => row.workingSeconds === 3600 && row.realHours === 1)
        .map((row) => `${row.userKey} ${row.date}`);

    await damage();
    expect(ok(await run({ rebuild: true, from: "2026-03-02", to: "2026-03-02" }))).toMatchObject({
      users: 2,
      events: 10,
    });
    expect(await repaired()).toEqual(["corp\\fay 2026-03-02", "corp\\gus 2026-03-02"]);

    await damage();
    ok(await run({ rebuild: true, user: "corp\\FAY" }));
    expect(await repaired()).toEqual(["corp\\fay 2026-03-01", "corp\\fay 2026-03-02", "corp\\fay 2026-03-03"]);

    await damage();
    ok(await run({ rebuild: true, from: "2026-03-02", user: "CORP\\Gus" }));
    expect(await repaired()).toEqual(["corp\\gus 2026-03-02", "corp\\gus 2026-03-03"]);

    await damage();
    ok(await run({ rebuild: true, to: "2026-03-01" }));
    expect(await repaired()).toEqual(["corp\\fay 2026-03-01", "corp\\gus 2026-03-01"]);

    // Dates with no events: nothing to do.
    await damage();
    expect(ok(await run({ rebuild: true, from: "2026-04-01", to: "2026-04-30" }))).toMatchObject({
      users: 0,
      events: 0,
    });
    expect(await repaired()).toEqual([]);

    ok(await run({ rebuild: true }));
    expect(await summaries(db)).toEqual(good);
  });

  it("reads past the first page of events to find where re-derivation must start and end", async () => {
    const LEE = "CORP\\Lee";
    const rules = { ...RULES, gapMs: 0 };
    const clock = (minute: number) =>
      `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;
    // A heartbeat every minute 10:00–19:59 (600), with stops at 10:05:30 and 19:50:30; GAP 0, so only stops close.
    await send(db, [
      ...Array.from({ length: 600 }, (_, i) => w(LEE, clock(600 + i))),
      s(LEE, "10:05:30"),
      s(LEE, "19:50:30"),
    ]);
    ok(await run({ rules }));
    // The late 15:00:30 has 301 events before it back to the stop at 10:05:30, and 290 after it up to the one at 19:50:30.
    await send(db, [w(LEE, "15:00:30")]);
    // Re-derived: 10:06–19:50 (585 heartbeats), the late one and the stop at 19:50:30.
    expect(ok(await run({ rules }))).toMatchObject({ users: 1, events: 587 });
    expect((await periods(db)).map((p) => [p.start, p.end])).toEqual([
      [ms(dubai("10:00")), ms(dubai("10:05:30"))],
      [ms(dubai("10:06")), ms(dubai("19:50:30"))],
      [ms(dubai("19:51")), ms(dubai("19:59"))],
    ]);
    // 5.5 + 584.5 + 8 = 598 min; real hours 0 + 14 + 0.
    expect(await summaries(db)).toMatchObject([{ date: "2026-03-02", workingSeconds: 35_880, realHours: 14 }]);
    expect(await derived(db)).toEqual(await expectedFromEvents(db, rules));
  });

  it("records a failed run, changes nothing, and leaves the queue for the next run", async () => {
    await send(db, aliceDay);
    await expect(run({ rules: { ...RULES, timeZone: "Not/A_Zone" } })).rejects.toThrow(RangeError);
    expect(await engineRuns(db)).toMatchObject([{ status: "failed", error: "RangeError", users: 0, events: 0 }]);
    expect(await derived(db)).toEqual({ summaries: [], periods: [], devicePeriods: [] });
    expect(await queue(db)).toHaveLength(1);
    ok(await run());
    expect((await summaries(db)).map((r) => [r.date, r.workingSeconds, r.realHours])).toEqual([
      ["2026-03-02", 8400, 2],
      ["2026-03-03", 1500, 0],
    ]);
    expect(await queue(db)).toEqual([]);
  });

  it("loses nothing that is stored while a run is in progress", async () => {
    await send(db, [...aliceDay.slice(0, 8), ...bobRest.slice(0, 3)]);
    const store = new EventStore(db);
    const [first] = await Promise.all([
      run(),
      store.store([...aliceDay.slice(8), ...bobRest.slice(3)].map(parse), NOW),
    ]);
    ok(first);
    await Promise.all([run(), store.store([...bobFirst, ...carol].map(parse), NOW)]);
    ok(await run());
    expect(await queue(db)).toEqual([]);
    expect(await derived(db)).toEqual(await expectedFromEvents(db, RULES));
  });

  it("lets two runs started together, each on its own connections, count nothing twice", async () => {
    const second = openDb(database.url);
    try {
      const results: EngineResult[] = [];
      const users = ["CORP\\Hal", "CORP\\Ivy", "CORP\\Jo"];
      // Heartbeats every 10 min from 08:00 to 18:00 on two days, with a stop at 12:00.
      const stream = (user: string, date: string): Sent[] =>
        Array.from({ length: 61 }, (_, i) => {
          const at = Date.parse(`${date}T08:00+04:00`) + i * 10 * MINUTE;
          return { user, state: i === 24 || i === 60 ? "stopped" : "working", ts: at } as Sent;
        });
      const together = async (options: Partial<EngineOptions>) => {
        const a = runHoursEngine({ trigger: "test", db, rules: RULES, ...options });
        // Past the in-process guard, so that only the database's own lock stands between the two runs.
        engineState.__workTracingEngineBusy = false;
        const b = runHoursEngine({ trigger: "test", db: second, rules: RULES, ...options });
        results.push(...(await Promise.all([a, b])));
      };

      await send(
        db,
        users.flatMap((user) => stream(user, "2026-03-02")),
      );
      await together({});
      await send(
        db,
        users.flatMap((user) => stream(user, "2026-03-03")),
      );
      await together({});
      await together({ rebuild: true });
      // A last run on its own picks up anything the pairs left in the queue.
      ok(await run());

      for (const result of results) {
        if (result.status === "skipped") {
          // Only another instance holding the database lock may stop a run.
          expect(provider).toBe("postgresql");
          expect(result.reason).toMatch(/another server instance/);
        }
      }
      // At least one run of each pair did the work.
      for (let i = 0; i < results.length; i += 2) expect([results[i].status, results[i + 1].status]).toContain("ok");
      const okRuns = results.filter((r) => r.status === "ok").length + 1;
      expect((await engineRuns(db)).filter((r) => r.status === "ok")).toHaveLength(okRuns);
      expect((await engineRuns(db)).filter((r) => r.status !== "ok")).toEqual([]);

      const tables = await derived(db);
      expect(tables).toEqual(await expectedFromEvents(db, RULES));
      // Per user and day: 08:00–12:00 (4 h, 6 real hours) and 12:10–18:00 (5 h 50 min, 8 real hours).
      expect(tables.summaries.map((r) => [r.userKey, r.date, r.workingSeconds, r.realHours])).toEqual(
        ["corp\\hal", "corp\\ivy", "corp\\jo"].flatMap((user) => [
          [user, "2026-03-02", 35_400, 14],
          [user, "2026-03-03", 35_400, 14],
        ]),
      );
      expect(tables.periods).toHaveLength(12);
      await expectNoDayOverfull(db, RULES);
    } finally {
      await second.close();
    }
  });

  it("runs a scheduled tick once, whichever instance reaches it last; a run at start belongs to no tick", async () => {
    await send(db, aliceDay.slice(0, 4));
    const tick = Date.now() - 1000;
    ok(await run({ trigger: "startup" }));
    // The first instance to reach the tick runs it; another reaching it after that run ended
    // (its clock or event loop a little behind) finds it done.
    ok(await run({ trigger: "cron", tick }));
    await send(db, aliceDay.slice(4, 8));
    expect(await run({ trigger: "cron", tick })).toEqual({
      status: "skipped",
      reason: "another server instance ran this tick",
    });
    // The next tick runs, and takes what came in meanwhile.
    expect(await run({ trigger: "cron", tick: tick + 60_000 })).toMatchObject({ status: "ok", events: 8 });
    expect(await queue(db)).toEqual([]);
    expect((await engineRuns(db)).map((r) => r.trigger)).toEqual(["startup", "cron", "cron"]);
  });

  it.runIf(provider === "postgresql")(
    "skips a run while another instance holds the engine lock, and catches up after",
    async () => {
      await send(db, aliceDay);
      const holder = new pg.Client({ connectionString: database.url });
      await holder.connect();
      try {
        await holder.query("SELECT pg_advisory_lock($1)", [PG_ENGINE_LOCK]);
        expect(await run()).toEqual({ status: "skipped", reason: expect.stringMatching(/another server instance/) });
        expect(await engineRuns(db)).toEqual([]);
        expect(await derived(db)).toEqual({ summaries: [], periods: [], devicePeriods: [] });
        expect(await queue(db)).toHaveLength(1);
        await holder.query("SELECT pg_advisory_unlock($1)", [PG_ENGINE_LOCK]);
      } finally {
        await holder.end();
      }
      ok(await run());
      expect(await derived(db)).toEqual(await expectedFromEvents(db, RULES));
      expect((await summaries(db)).map((r) => [r.date, r.workingSeconds, r.realHours])).toEqual([
        ["2026-03-02", 8400, 2],
        ["2026-03-03", 1500, 0],
      ]);
    },
  );
});

// ---------------------------------------------------------------------------------------------
// §5 rules 1–6 with devices, worked out by hand (GAP 15 min, BLOCK 40 min, Dubai).

const on = (device: string | undefined, event: Sent): Sent => ({ ...event, device });
const DAVE = "CORP\\Dave";
const span = (from: string, to: string) => (ms(dubai(to)) - ms(dubai(from))) / 1000;
const minutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));
const clock = (m: number) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
/** "HH:MM" from `from` to `to`, every `step` minutes. */
const every = (from: string, to: string, step: number) =>
  Array.from({ length: Math.floor((minutes(to) - minutes(from)) / step) + 1 }, (_, i) =>
    clock(minutes(from) + i * step),
  );
/** Work on one device from `from` to `to`: heartbeats every 10 min, then a stop. */
const shift = (device: string, from: string, to: string): Sent[] => [
  ...every(from, to, 10)
    .filter((t) => t !== to)
    .map((t) => on(device, w(DAVE, t))),
  on(device, s(DAVE, to)),
];

describe.each(PROVIDERS)("devices in the hours engine on %s", (provider) => {
  const database = useEmptyDatabase(provider);
  let db: Db;
  beforeAll(() => {
    db = database.db;
  });
  const run = () => runHoursEngine({ trigger: "test", db, rules: RULES });
  const day = async () => {
    const { summaries: days, periods: merged, devicePeriods: perDevice } = await derived(db);
    const at = (t: number) => new Date(t + 4 * HOUR).toISOString().slice(11, 16);
    return {
      days: days.map((d) => [d.date, d.workingSeconds, d.realHours]),
      merged: merged.map((p) => `${at(p.start)}–${at(p.end)}`),
      perDevice: perDevice.map((p) => `${p.deviceKey || "(unnamed)"} ${at(p.start)}–${at(p.end)}`),
    };
  };

  it("an idle second session's stopped heartbeats no longer cut the work done on the first", async () => {
    // Working at PC-A 09:00–11:00 with a heartbeat every 5 min; an RDP session on TS-1 sits
    // idle, sending "stopped" every 5 min at 09:02, 09:07, …, 11:02.
    const events = [
      ...every("09:00", "11:00", 5).map((t) => on("PC-A", w(DAVE, t))),
      ...every("09:02", "11:02", 5).map((t) => on("TS-1", s(DAVE, t))),
    ];
    await send(db, events);
    ok(await run());
    // One stream, as before devices, would have been cut at every 09:x2 and 09:x7.
    expect(await day()).toEqual({
      days: [["2026-03-02", 7200, 3]],
      merged: ["09:00–11:00"],
      perDevice: ["pc-a 09:00–11:00"],
    });
  });

  it("merges overlapping, contained and touching periods of two devices, and keeps each device's own", async () => {
    await send(db, [
      // Overlap: laptop 08:00–09:00, desktop 08:30–09:30 → 08:00–09:30.
      ...shift("Laptop", "08:00", "09:00"),
      ...shift("Desktop", "08:30", "09:30"),
      // Containment: laptop 12:00–15:00, desktop 13:00–13:30 → 12:00–15:00.
      ...shift("Laptop", "12:00", "15:00"),
      ...shift("Desktop", "13:00", "13:30"),
      // Touching: the laptop stops at 16:50, where the desktop starts → 16:00–17:20.
      ...shift("Laptop", "16:00", "16:50"),
      ...shift("Desktop", "16:50", "17:20"),
    ]);
    ok(await run());
    const worked = span("08:00", "09:30") + span("12:00", "15:00") + span("16:00", "17:20");
    expect(await day()).toEqual({
      // 90 min → 2 blocks, 180 → 4, 80 → 2; the devices one by one would give 1 + 1 + 4 + 0 + 1 + 0 = 7.
      days: [["2026-03-02", worked, 8]],
      merged: ["08:00–09:30", "12:00–15:00", "16:00–17:20"],
      perDevice: [
        "desktop 08:30–09:30",
        "desktop 13:00–13:30",
        "desktop 16:50–17:20",
        "laptop 08:00–09:00",
        "laptop 12:00–15:00",
        "laptop 16:00–16:50",
      ],
    });
  });

  it("treats a device's spellings as one device, and a missing device as the unnamed one", async () => {
    await send(db, [
      on("PC-1", w(DAVE, "09:00")),
      on("pc-1", w(DAVE, "09:15")),
      // Closes PC-1's period, spelled otherwise.
      on("Pc-1", s(DAVE, "09:30")),
      on(undefined, w(DAVE, "10:00")),
      on(undefined, w(DAVE, "10:10")),
      // "" is the device the original agent's events (no device at all) belong to.
      on("", s(DAVE, "10:20")),
    ]);
    ok(await run());
    expect(await day()).toEqual({
      days: [["2026-03-02", span("09:00", "09:30") + span("10:00", "10:20"), 0]],
      merged: ["09:00–09:30", "10:00–10:20"],
      perDevice: ["(unnamed) 10:00–10:20", "pc-1 09:00–09:30"],
    });
  });

  it("re-merges when a late device's events arrive after the first was processed", async () => {
    await send(db, [w(DAVE, "09:00"), w(DAVE, "09:10"), w(DAVE, "09:20"), s(DAVE, "09:30")]);
    ok(await run());
    expect((await day()).merged).toEqual(["09:00–09:30"]);
    // The laptop's events, spooled while it was offline, bridge to a later desktop period.
    await send(db, shift("Desktop", "10:00", "10:30"));
    ok(await run());
    await send(db, [
      on("Laptop", w(DAVE, "09:20")),
      on("Laptop", w(DAVE, "09:35")),
      on("Laptop", w(DAVE, "09:50")),
      on("Laptop", s(DAVE, "10:05")),
    ]);
    ok(await run());
    expect(await day()).toEqual({
      days: [["2026-03-02", span("09:00", "10:30"), 2]],
      merged: ["09:00–10:30"],
      perDevice: ["(unnamed) 09:00–09:30", "desktop 10:00–10:30", "laptop 09:20–10:05"],
    });
    const incremental = await derived(db);
    ok(await runHoursEngine({ trigger: "test", db, rules: RULES, rebuild: true }));
    expect(await derived(db)).toEqual(incremental);
  });
});

// ---------------------------------------------------------------------------------------------
// §5.8 as a property: random streams delivered in random batches and orders, with engine runs
// at random points, end where a full rebuild from all events at once ends.

const ZONES = ["Asia/Dubai", "Europe/Berlin", "America/New_York"];
// Days near the zones' DST changes, so that streams cross 23- and 25-hour days.
const BASE_DAYS = ["2026-03-02", "2026-03-07", "2026-03-28", "2026-10-24", "2026-10-31"];
const NAMES = ["CORP\\Ann", "CORP\\Ben", "CORP\\Cy"];
const spell = (name: string, variant: number) => [name, name.toLowerCase(), name.toUpperCase()][variant];

const deltaArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant(0) },
  { weight: 10, arbitrary: fc.integer({ min: 1, max: 10 * MINUTE }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(5 * MINUTE, 5 * MINUTE + 1, 15 * MINUTE, 15 * MINUTE + 1, 40 * MINUTE - 1, 40 * MINUTE),
  },
  { weight: 3, arbitrary: fc.integer({ min: 10 * MINUTE, max: 3 * HOUR }) },
  { weight: 1, arbitrary: fc.integer({ min: 3 * HOUR, max: 20 * HOUR }) },
);

// Missing and "" are one unnamed device; "PC-1" and "pc-1" are one device in two spellings.
const DEVICES = [undefined, undefined, "", "PC-1", "pc-1", "Laptop"];

const stepArb = fc.record({
  delta: deltaArb,
  device: fc.constantFrom(...DEVICES),
  stopped: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
  spelling: fc.integer({ min: 0, max: 2 }),
  // Sent twice (an agent resending after a timeout), perhaps in another spelling.
  repeat: fc.integer({ min: 0, max: 9 }).map((n) => (n === 0 ? 1 : n === 1 ? 2 : null)),
});

const scenarioArb = fc
  .record({
    zone: fc.constantFrom(...ZONES),
    base: fc.constantFrom(...BASE_DAYS),
    gapMinutes: fc.constantFrom(0, 5, 15),
    users: fc.array(
      fc.record({
        offset: fc.integer({ min: -6 * HOUR, max: 30 * HOUR }),
        steps: fc.array(stepArb, { minLength: 2, maxLength: 20 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  })
  .chain((scenario) => {
    const events: Sent[] = [];
    scenario.users.forEach(({ offset, steps }, u) => {
      let ts = startOfLocalDay(scenario.base, scenario.zone) + offset;
      for (const step of steps) {
        ts += step.delta;
        const state: State = step.stopped ? "stopped" : "working";
        const device = step.device;
        events.push({ user: spell(NAMES[u], step.spelling), state, ts, device });
        if (step.repeat !== null) events.push({ user: spell(NAMES[u], step.repeat), state, ts, device });
      }
    });
    const n = events.length;
    return fc
      .record({
        // A random delivery order; after each event, 0–2 go on in the same batch, 3 ends it, 4–5 end it and run the engine.
        order: fc.array(fc.nat(), { minLength: n, maxLength: n }),
        cuts: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: n, maxLength: n }),
      })
      .map(({ order, cuts }) => {
        const delivery = events
          .map((event, i) => ({ event, key: order[i], i }))
          .sort((a, b) => a.key - b.key || a.i - b.i)
          .map((x) => x.event);
        const rules: HoursRules = {
          gapMs: scenario.gapMinutes * MINUTE,
          blockMs: 40 * MINUTE,
          timeZone: scenario.zone,
        };
        return { rules, delivery, cuts };
      });
  });

describe.each(PROVIDERS)("incremental processing on %s", (provider) => {
  let dbs: { test: TestDatabase; db: Db }[] = [];
  beforeAll(async () => {
    dbs = await Promise.all(
      [0, 1].map(async () => {
        const test = await createTestDatabase(provider);
        const db = openDb(test.url);
        await migrate(db);
        return { test, db };
      }),
    );
  });
  afterAll(async () => {
    for (const { test, db } of dbs) {
      await db.close();
      await test.drop();
    }
  });

  it("§5.8 equals a full rebuild and the pure rules, whatever the devices, batches, order, duplicates and run times; no day is overfull", async () => {
    const [incremental, full] = dbs.map((d) => d.db);
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ rules, delivery, cuts }) => {
        await reset(incremental);
        await reset(full);
        const store = new EventStore(incremental);
        let batch: ParsedEvent[] = [];
        for (let i = 0; i < delivery.length; i++) {
          batch.push(parse(delivery[i]));
          if (cuts[i] >= 3 || i === delivery.length - 1) {
            await store.store(batch, NOW);
            batch = [];
            if (cuts[i] >= 4) ok(await runHoursEngine({ trigger: "test", db: incremental, rules }));
          }
        }
        ok(await runHoursEngine({ trigger: "test", db: incremental, rules }));
        const got = await derived(incremental);
        expect(await queue(incremental)).toEqual([]);
        expect(got).toEqual(await expectedFromEvents(incremental, rules));
        await expectNoDayOverfull(incremental, rules);

        // All events at once into a fresh database, then a full rebuild. Event ids may differ.
        await new EventStore(full).store(delivery.map(parse), NOW);
        ok(await runHoursEngine({ trigger: "test", db: full, rules, rebuild: true }));
        expect(withoutEventIds(await derived(full))).toEqual(withoutEventIds(got));

        // And a rebuild of the incremental database itself changes nothing, event ids included.
        ok(await runHoursEngine({ trigger: "test", db: incremental, rules, rebuild: true }));
        expect(await derived(incremental)).toEqual(got);
      }),
      { numRuns: provider === "sqlite" ? 40 : 25 },
    );
  }, 60_000);
});

describe.each(PROVIDERS)("a run over many users on %s", (provider) => {
  const database = useEmptyDatabase(provider);
  const run = () => runHoursEngine({ trigger: "test", db: database.db, rules: RULES });
  const USERS = 80;
  const name = (u: number) => `CORP\\Lane${String(u).padStart(2, "0")}`;

  /** Each user's morning, every third on two PCs, with a break; half of the second hour held back to arrive late. */
  function mornings(): { first: Sent[]; late: Sent[] } {
    const first: Sent[] = [];
    const late: Sent[] = [];
    for (let u = 0; u < USERS; u++) {
      const start = ms(dubai(`08:${String(u % 50).padStart(2, "0")}`));
      const devices = u % 3 === 0 ? ["PC-A", "PC-B"] : ["PC-A"];
      for (const [d, device] of devices.entries())
        for (let minute = d * 45; minute <= 240 - d * 60; minute += 4) {
          const event: Sent = {
            user: name(u),
            device,
            ts: start + minute * MINUTE,
            state: minute >= 100 && minute < 130 ? "stopped" : "working",
          };
          (minute >= 60 && minute < 120 && minute % 8 === 0 ? late : first).push(event);
        }
    }
    return { first, late };
  }

  it("derives every user exactly, with the users counted once, however the work is shared out", async () => {
    const { db } = database;
    const { first, late } = mornings();
    const pids = provider === "postgresql";
    if (pids)
      await db.raw.execute(`CREATE TABLE IF NOT EXISTS lane_backends (pid int);
        CREATE OR REPLACE FUNCTION note_lane_backend() RETURNS trigger AS $$
          BEGIN INSERT INTO lane_backends VALUES (pg_backend_pid()); RETURN NULL; END $$ LANGUAGE plpgsql;
        CREATE OR REPLACE TRIGGER note_lane_backend AFTER INSERT ON work_periods
          FOR EACH STATEMENT EXECUTE FUNCTION note_lane_backend();`);
    try {
      await send(db, first);
      expect(ok(await run()).users).toBe(USERS);
      await send(db, late);
      expect(ok(await run()).users).toBe(USERS);
      expect(await queue(db)).toEqual([]);
      expect(await derived(db)).toEqual(await expectedFromEvents(db, RULES));
      expect((await engineRuns(db)).map((r) => [r.status, r.users])).toEqual([
        ["ok", USERS],
        ["ok", USERS],
      ]);
      if (pids) {
        // PostgreSQL shares a run of this size out over several connections.
        const [row] = await db.raw.query(`SELECT COUNT(DISTINCT pid) AS n FROM lane_backends`);
        expect(Number(row.n)).toBeGreaterThan(1);
      }
    } finally {
      if (pids)
        await db.raw.execute(`DROP TRIGGER IF EXISTS note_lane_backend ON work_periods;
          DROP FUNCTION IF EXISTS note_lane_backend; DROP TABLE IF EXISTS lane_backends;`);
    }
  });

  it("when one user's derivation fails, records the run failed, keeps that user's work queued, and the next run completes it", async () => {
    const { db } = database;
    const failing = toUserKey(name(41));
    await send(db, mornings().first);
    const trigger =
      provider === "postgresql"
        ? `CREATE OR REPLACE FUNCTION fail_lane_user() RETURNS trigger AS $$
             BEGIN IF NEW.user_key = '${failing.replaceAll("'", "''")}' THEN RAISE EXCEPTION 'refused by the test'; END IF;
             RETURN NEW; END $$ LANGUAGE plpgsql;
           CREATE OR REPLACE TRIGGER fail_lane_user BEFORE INSERT ON device_periods
             FOR EACH ROW EXECUTE FUNCTION fail_lane_user();`
        : `CREATE TRIGGER fail_lane_user BEFORE INSERT ON device_periods
             WHEN NEW.user_key = '${failing.replaceAll("'", "''")}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;`;
    await db.raw.execute(trigger);
    try {
      await expect(run()).rejects.toThrow(/refused by the test/);
    } finally {
      await db.raw.execute(
        provider === "postgresql"
          ? `DROP TRIGGER IF EXISTS fail_lane_user ON device_periods; DROP FUNCTION IF EXISTS fail_lane_user;`
          : `DROP TRIGGER IF EXISTS fail_lane_user`,
      );
    }
    expect((await engineRuns(db)).map((r) => r.status)).toEqual(["failed"]);
    expect((await queue(db)).map((q) => q.userKey)).toContain(failing);
    ok(await run());
    expect(await queue(db)).toEqual([]);
    expect(await derived(db)).toEqual(await expectedFromEvents(db, RULES));
  });
});
