import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as pruneRoute } from "@/app/api/cron/prune-events/route";
import { POST as postReport } from "@/app/api/report/route";
import { loadConfig, type Config } from "@/lib/config";
import type { Db } from "@/lib/db";
import { listEventPartitions } from "@/lib/db/partitions";
import { EventStore } from "@/lib/ingest/store";
import { checkEvent, type ParsedEvent } from "@/lib/ingest/schema";
import type { HoursRules } from "@/lib/hours/periods";
import { PG_RETENTION_LOCK, pruneOldEvents } from "@/lib/hours/retention";
import { runHoursEngine } from "@/lib/hours/run";
import { findWindowStart } from "@/lib/hours/window";
import { readRealWorkHours } from "@/lib/reports/real-work-hours";
import { summarise } from "@/lib/reports/summary";
import { addDays, type LocalDate } from "@/lib/time";
import type { HoursEvent } from "@/lib/users";
import { bearer, newToken } from "../helpers/credentials";
import { PROVIDERS, useProcessDatabase } from "../helpers/databases";

/*
 * EVENT_RETENTION_DAYS: pruning raw events never changes a derived number. A history of
 * several users, devices and months is derived, every report recorded, old events pruned,
 * the engine run again (new events, a late one, rebuilds over the pruned dates), and every
 * report compared with the record.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TZ = "Asia/Dubai";
const RULES: HoursRules = { gapMs: 15 * MINUTE, blockMs: 40 * MINUTE, timeZone: TZ };
const SETTINGS = { timeZone: TZ, weekStartsOn: 1, gapMs: RULES.gapMs };
const FIRST_DAY = "2026-06-01";
const LAST_DAY = "2026-08-20";
const RETENTION_DAYS = 30;
/** Wednesday 2026-08-12, 10:30 in Dubai: inside periods of several streams. */
const CUTOFF = Date.parse("2026-08-12T10:30:00+04:00");
/** The prune's clock: its cutoff (now − days − the hour's margin) is CUTOFF. */
const PRUNE_NOW = CUTOFF + RETENTION_DAYS * DAY + HOUR;
/** A day after the history, in a new week and month, for new events. */
const NEW_DAY = "2026-09-01";

type Sent = { user: string; device: string; state: "working" | "stopped"; ts: number };

const at = (date: LocalDate, time: string) => Date.parse(`${date}T${time}:00+04:00`);
const weekday = (date: LocalDate) => new Date(`${date}T00:00:00Z`).getUTCDay();

function heartbeats(user: string, device: string, from: number, to: number, stop: boolean): Sent[] {
  const events: Sent[] = [];
  for (let ts = from; ts <= to; ts += 10 * MINUTE) events.push({ user, device, state: "working", ts });
  if (stop) events.push({ user, device, state: "stopped", ts: to });
  return events;
}

/** Everyone's history from FIRST_DAY to LAST_DAY. */
function history(): Sent[] {
  const events: Sent[] = [];
  for (let date = FIRST_DAY; date <= LAST_DAY; date = addDays(date, 1)) {
    const day = weekday(date);
    // Carol works every day, a morning stint ended by "stopped".
    events.push(...heartbeats("carol", "", at(date, "10:00"), at(date, "11:30"), true));
    if (day === 0 || day === 6) continue;
    // Alice: two stints on her PC, the second ended by silence; a laptop overlapping them twice a week.
    events.push(...heartbeats("alice", "pc-1", at(date, "09:00"), at(date, "12:00"), true));
    events.push(...heartbeats("alice", "pc-1", at(date, "13:00"), at(date, "17:00"), false));
    if (day === 1 || day === 3)
      events.push(...heartbeats("alice", "laptop", at(date, "11:00"), at(date, "14:00"), true));
    // Bob: a day with a short break, and on Fridays an evening past midnight.
    events.push(...heartbeats("bob", "desk", at(date, "08:00"), at(date, "12:30"), true));
    events.push(...heartbeats("bob", "desk", at(date, "12:45"), at(date, "16:00"), true));
    if (day === 5) events.push(...heartbeats("bob", "desk", at(date, "22:00"), at(date, "22:00") + 4 * HOUR, true));
  }
  // Gina's PC reported every minute for two days across the cutoff: more events between the
  // cutoff and her last closure than the job reads at once.
  events.push(...heartbeats("gina", "kiosk", at("2026-08-03", "09:00"), at("2026-08-03", "10:00"), true));
  for (let ts = at("2026-08-10", "13:00"); ts <= at("2026-08-12", "11:00"); ts += MINUTE)
    events.push({ user: "gina", device: "kiosk", state: "working", ts });
  events.push({ user: "gina", device: "kiosk", state: "stopped", ts: at("2026-08-12", "11:00") });
  return events;
}

function parse(event: Sent, now: number): ParsedEvent {
  const check = checkEvent(
    { user: event.user, device: event.device, state: event.state, ts: new Date(event.ts).toISOString() },
    now,
  );
  if (!check.ok) throw new Error(`bad test event ${JSON.stringify(check.details)}`);
  return check.event;
}

async function store(db: Db, events: Sent[], now: number) {
  const eventStore = new EventStore(db);
  for (let i = 0; i < events.length; i += 2000)
    await eventStore.store(
      events.slice(i, i + 2000).map((event) => parse(event, now)),
      now,
    );
}

const plain = (row: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(row).map(([key, value]) => [
      key,
      value instanceof Date
        ? value.getTime()
        : typeof value === "string" && /^\d+$/.test(value)
          ? Number(value)
          : value,
    ]),
  );

const ms = (db: Db, column: string) =>
  db.provider === "sqlite" ? column : `(extract(epoch FROM ${column}) * 1000)::float8`;

/** Every report a reader sees: the tables behind them, and the read API's answers for every day, week and month. */
async function recordReports(db: Db, only?: (userKey: string) => boolean) {
  const keep = (row: Record<string, unknown>) => !only || only(String(row.user_key ?? row.username));
  const rows = async (sql: string) => (await db.raw.query<Record<string, unknown>>(sql)).map(plain).filter(keep);
  const realWorkHours: Record<string, unknown>[] = [];
  for await (const page of readRealWorkHours(db, { username: undefined, startDate: undefined, endDate: undefined }))
    realWorkHours.push(...page.map((row) => plain(row as unknown as Record<string, unknown>)).filter(keep));
  const summaries: Record<string, unknown>[] = [];
  for (let date = FIRST_DAY; date <= LAST_DAY; date = addDays(date, 1)) {
    const periods = ["day", ...(weekday(date) === 1 ? ["week"] : []), ...(date.endsWith("-01") ? ["month"] : [])];
    for (const period of periods)
      summaries.push(
        ...(await summarise(db, { period: period as "day" | "week" | "month", date }, SETTINGS, PRUNE_NOW))
          .map((row) => plain(row as unknown as Record<string, unknown>))
          .filter(keep),
      );
  }
  return {
    workPeriods: await rows(
      `SELECT user_key, work_date, ${ms(db, "start_ts")} AS start_ms, ${ms(db, "end_ts")} AS end_ms, last_event_id
       FROM work_periods ORDER BY user_key, start_ts`,
    ),
    devicePeriods: await rows(
      `SELECT user_key, device_key, work_date, ${ms(db, "start_ts")} AS start_ms, ${ms(db, "end_ts")} AS end_ms, last_event_id
       FROM device_periods ORDER BY user_key, device_key, start_ts`,
    ),
    days: await rows(
      `SELECT user_key, username, work_date, real_hours_counted, working_seconds, ${ms(db, "first_activity")} AS first_ms,
         ${ms(db, "last_activity")} AS last_ms, last_processed_event_id
       FROM user_real_work_summary ORDER BY user_key, work_date`,
    ),
    realWorkHours,
    summaries,
  };
}

type StoredEvent = HoursEvent & { userKey: string; deviceKey: string };

async function readEvents(db: Db): Promise<StoredEvent[]> {
  const rows = await db.raw.query<Record<string, unknown>>(
    `SELECT id, user_key, device_key, ${ms(db, "ts")} AS ts, state FROM work_events ORDER BY id`,
  );
  return rows.map((row) => ({
    id: Number(row.id),
    userKey: String(row.user_key),
    deviceKey: String(row.device_key),
    ts: Number(row.ts),
    state: row.state as HoursEvent["state"],
  }));
}

/** A stream's last closure point before `cutoff` by the rules (window.ts), from all its events. */
function closureBefore(events: StoredEvent[], cutoff: number): number | null {
  const before = events
    .filter((event) => event.ts < cutoff)
    .sort((a, b) => b.ts - a.ts || (a.state === b.state ? b.id - a.id : a.state === "stopped" ? -1 : 1));
  return findWindowStart(before, cutoff, RULES.gapMs);
}

const engine = (db: Db, options: Partial<Parameters<typeof runHoursEngine>[0]> = {}) =>
  runHoursEngine({ trigger: "test", db, rules: RULES, ...options });

type ConfigState = typeof globalThis & { __workTracingConfig?: Config };

describe.each(PROVIDERS)("event retention on %s", (provider) => {
  const database = useProcessDatabase(provider);
  const configState = globalThis as ConfigState;
  let savedConfig: Config | undefined;
  let configDir: string;

  beforeAll(() => {
    savedConfig = configState.__workTracingConfig;
    configDir = mkdtempSync(path.join(os.tmpdir(), "wt-retention-"));
    configState.__workTracingConfig = loadConfig(
      {
        DATABASE_URL: database.url,
        REPORT_TIMEZONE: TZ,
        EVENT_RETENTION_DAYS: String(RETENTION_DAYS),
        CRON_SECRET: "retention-cron-secret-0123456789",
      },
      configDir,
    );
  });
  afterAll(() => {
    configState.__workTracingConfig = savedConfig;
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  it("prunes only what no derived number needs, and every report stays the same", async () => {
    const { db } = database;
    await store(db, history(), at(LAST_DAY, "23:59") + DAY);
    expect((await engine(db)).status).toBe("ok");
    const before = await recordReports(db);
    expect(before.days.length).toBeGreaterThan(150);
    // A period past midnight: Friday 2026-08-07's evening ends on Saturday's date.
    expect(before.workPeriods).toContainEqual(
      expect.objectContaining({ user_key: "bob", work_date: "2026-08-08", start_ms: at("2026-08-08", "00:00") }),
    );

    // Dave's late event on a day before the cutoff is still waiting for the engine when the
    // prune runs: the events it needs must stay.
    await store(
      db,
      [
        ...heartbeats("dave", "", at("2026-08-05", "09:00"), at("2026-08-05", "10:00"), false),
        ...heartbeats("dave", "", at("2026-08-06", "09:00"), at("2026-08-06", "10:00"), true),
      ],
      PRUNE_NOW,
    );
    await engine(db);
    await store(db, [{ user: "dave", device: "", state: "working", ts: at("2026-08-05", "10:10") }], PRUNE_NOW);

    const original = await readEvents(db);
    const result = await pruneOldEvents({ db, retentionDays: RETENTION_DAYS, rules: RULES, now: PRUNE_NOW });
    expect(result).toMatchObject({ status: "ok", cutoff: CUTOFF });
    if (result.status !== "ok") return;
    const kept = await readEvents(db);
    const keptIds = new Set(kept.map((event) => event.id));

    // Per stream, exactly the events before its last closure at or before the cutoff went
    // (on PostgreSQL, those of the cutoff's month wait for the whole month to go).
    const monthOfCutoff = Date.UTC(2026, 7, 1);
    const streams = new Map<string, StoredEvent[]>();
    for (const event of original)
      streams.set(`${event.userKey}|${event.deviceKey}`, [
        ...(streams.get(`${event.userKey}|${event.deviceKey}`) ?? []),
        event,
      ]);
    expect(streams.size).toBe(6);
    for (const [stream, events] of streams) {
      // Dave's late event opens his history: no closure before it, so he keeps everything.
      const dave = stream.startsWith("dave|");
      const safe = closureBefore(events, dave ? at("2026-08-05", "10:10") : CUTOFF) ?? -Infinity;
      if (!dave) expect(safe, stream).toBeGreaterThan(at("2026-08-03", "00:00"));
      for (const event of events) {
        const gone = event.ts < safe && (provider === "sqlite" || event.ts < monthOfCutoff);
        expect(keptIds.has(event.id), `${stream} ${new Date(event.ts).toISOString()}`).toBe(!gone);
      }
    }
    // Bob's period across the cutoff keeps all its events, those before the cutoff too.
    expect(kept).toContainEqual(expect.objectContaining({ userKey: "bob", ts: at("2026-08-12", "08:00") }));
    expect(result.events).toBe(original.length - kept.length);
    if (provider === "postgresql") {
      expect(result.partitionsDropped).toBe(2);
      const partitions = await listEventPartitions(db);
      expect(partitions[0].name).toBe("work_events_p202608");
      expect(await db.raw.query(`SELECT id FROM work_events_default`)).toEqual([]);
    }

    // Nothing derived changed: not by the prune, not by the engine afterwards.
    const notDave = (userKey: string) => userKey !== "dave";
    expect(await recordReports(db, notDave)).toEqual(before);
    expect((await engine(db)).status).toBe("ok");
    // Dave's late heartbeat counts: 09:00–10:10 on 2026-08-05.
    const [daveDay] = await db.raw.query<{ working_seconds: unknown }>(
      `SELECT working_seconds FROM user_real_work_summary WHERE user_key = 'dave' AND work_date = '2026-08-05'`,
    );
    expect(Number(daveDay.working_seconds)).toBe(70 * 60);
    const daveReports = await recordReports(db, (userKey) => userKey === "dave");

    await store(
      db,
      [
        ...heartbeats("alice", "pc-1", at(NEW_DAY, "09:00"), at(NEW_DAY, "11:00"), true),
        ...heartbeats("bob", "desk", at(NEW_DAY, "08:00"), at(NEW_DAY, "09:00"), false),
        // A late event after the cutoff, inside Carol's stint of 2026-08-13.
        { user: "carol", device: "", state: "working", ts: at("2026-08-13", "10:05") },
      ],
      PRUNE_NOW,
    );
    expect((await engine(db)).status).toBe("ok");
    expect((await engine(db, { rebuild: true, from: FIRST_DAY, to: "2026-08-12" })).status).toBe("ok");
    expect((await engine(db, { rebuild: true, from: "2026-06-08", to: "2026-07-05", user: "bob" })).status).toBe("ok");
    expect((await engine(db, { rebuild: true })).status).toBe("ok");

    const after = await recordReports(db, notDave);
    const lateId = Math.max(...(await readEvents(db)).filter((e) => e.userKey === "carol").map((e) => e.id));
    // Only the late event's own id moved into Carol's 2026-08-13 rows; every figure is as before.
    const withLate = (rows: Record<string, unknown>[], idColumn: string) =>
      rows.map((row) =>
        row.user_key === "carol" && row.work_date === "2026-08-13" ? { ...row, [idColumn]: lateId } : row,
      );
    expect(after.workPeriods.filter((row) => row.work_date !== NEW_DAY)).toEqual(
      withLate(before.workPeriods, "last_event_id"),
    );
    expect(after.devicePeriods.filter((row) => row.work_date !== NEW_DAY)).toEqual(
      withLate(before.devicePeriods, "last_event_id"),
    );
    expect(after.days.filter((row) => row.work_date !== NEW_DAY)).toEqual(
      withLate(before.days, "last_processed_event_id"),
    );
    expect(after.summaries).toEqual(before.summaries);
    expect(after.days.filter((row) => row.work_date === NEW_DAY).map((row) => row.user_key)).toEqual(["alice", "bob"]);
    expect(await recordReports(db, (userKey) => userKey === "dave")).toEqual(daveReports);
    // Three months of several users, derived more than once on PostgreSQL, on a shared 2-core machine.
  }, 120_000);

  it("refuses an event older than the retention window with its own code, and takes the rest of the batch", async () => {
    const token = await newToken(database.db, "ingest");
    const send = (body: unknown) =>
      postReport(
        new Request("http://localhost/api/report", {
          method: "POST",
          headers: { ...bearer(token), "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
        {},
      );
    const old = new Date(Date.now() - (RETENTION_DAYS + 1) * DAY).toISOString();
    const recent = new Date(Date.now() - HOUR).toISOString();

    const single = await send({ user: "erin", state: "working", ts: old });
    expect(single.status).toBe(400);
    expect((await single.json()).error).toMatchObject({
      code: "event_too_old",
      details: [{ field: "ts", message: `ts is older than the ${RETENTION_DAYS}-day event retention window` }],
    });

    const batch = await send({
      events: [
        { user: "erin", state: "working", ts: recent },
        { user: "erin", state: "working", ts: old },
        { user: "erin", state: "dancing", ts: recent },
      ],
    });
    expect(batch.status).toBe(201);
    const body = await batch.json();
    expect(body).toMatchObject({ success: true, accepted: 1, duplicates: 0 });
    expect(body.rejected.map((r: { index: number; error: { code: string } }) => [r.index, r.error.code])).toEqual([
      [1, "event_too_old"],
      [2, "invalid_event"],
    ]);
    const stored = await database.db.raw.query(`SELECT id FROM work_events WHERE user_key = 'erin'`);
    expect(stored).toHaveLength(1);
  });

  it("runs from the CRON_SECRET route, and only for its bearer", async () => {
    const call = (headers: Record<string, string>) =>
      pruneRoute(new Request("http://localhost/api/cron/prune-events", { headers }), {});
    expect((await call({})).status).toBe(401);
    expect((await call({ authorization: "Bearer wrong-secret-0123456789" })).status).toBe(401);
    const answer = await call({ authorization: "Bearer retention-cron-secret-0123456789" });
    expect(answer.status).toBe(200);
    expect((await answer.json()).data).toMatchObject({ status: "ok" });
  });

  it.runIf(provider === "postgresql")("runs on one instance at a time", async () => {
    const other = new pg.Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query("SELECT pg_advisory_lock($1)", [PG_RETENTION_LOCK]);
      const run = () =>
        pruneOldEvents({ db: database.db, retentionDays: RETENTION_DAYS, rules: RULES, now: PRUNE_NOW });
      expect(await Promise.all([run(), run()])).toEqual([
        { status: "skipped", reason: "another server instance is running the retention job" },
        { status: "skipped", reason: "another server instance is running the retention job" },
      ]);
      await other.query("SELECT pg_advisory_unlock($1)", [PG_RETENTION_LOCK]);
      const results = await Promise.all([run(), run()]);
      expect(results.filter((r) => r.status === "ok").length).toBeGreaterThanOrEqual(1);
    } finally {
      await other.end();
    }
  });

  it("stores an event of any month, even one no partition was made for", async () => {
    const { db } = database;
    await store(
      db,
      [
        { user: "frank", device: "", state: "working", ts: Date.parse("2001-02-03T04:05:06Z") },
        { user: "frank", device: "", state: "working", ts: Date.now() + 4 * MINUTE },
      ],
      Date.now(),
    );
    expect(await db.raw.query(`SELECT id FROM work_events WHERE user_key = 'frank'`)).toHaveLength(2);
    if (provider === "postgresql") {
      await pruneOldEvents({ db, retentionDays: undefined });
      expect((await listEventPartitions(db)).map((p) => p.name)).toContain("work_events_p200102");
      expect(await db.raw.query(`SELECT id FROM work_events_default`)).toEqual([]);
    }
  });
});
