import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GET as getCsv, POST as postCsv } from "@/app/api/reports/export.csv/route";
import { GET as getXlsx, POST as postXlsx } from "@/app/api/reports/export.xlsx/route";
import { GET as getRealWorkHours, POST as postRealWorkHours } from "@/app/api/reports/real_work_hours/route";
import { GET as getSummary, POST as postSummary } from "@/app/api/reports/summary/route";
import { GET as getTimeline, POST as postTimeline } from "@/app/api/users/[username]/timeline/route";
import { GET as getUsers, POST as postUsers } from "@/app/api/users/route";
import { loadConfig, type Config } from "@/lib/config";
import { runHoursEngine } from "@/lib/hours/run";
import { toUserKey } from "@/lib/users";
import { EventStore } from "@/lib/ingest/store";
import { toCsvField } from "@/lib/reports/export/csv";
import { toDecimalHours, toHoursMinutes } from "@/lib/reports/export/rows";
import { periodBounds } from "@/lib/reports/summary";
import { listUsers } from "@/lib/reports/users";
import { useProcessTokens } from "../helpers/credentials";
import { PROVIDERS, useProcessDatabase } from "../helpers/databases";
import { failed, okData, rejected } from "../helpers/envelope";
import { at, MIN, stopped, working, type Ev } from "../helpers/agent-events";
import { expectSameAsCsv, readXlsx } from "../helpers/xlsx";

/*
 * Worked by hand with the defaults: REPORT_TIMEZONE Asia/Dubai (UTC+4, no DST), weeks from
 * Monday, GAP 15 minutes, BLOCK 40 minutes. 2026-03-02 is a Monday.
 */
const TZ = "Asia/Dubai";

type Body = Record<string, unknown>;
type ConfigState = typeof globalThis & { __workTracingConfig?: Config };

/** The read token of the provider's block being run (set in its beforeAll). */
let credentials: Record<string, string> = {};
const call = (handler: (request: Request, context: never) => Promise<Response>, url: string, context: unknown = {}) =>
  handler(new Request(`http://localhost${url}`, { headers: credentials }), context as never);

const ALICE = "CORP\\Alice";
const FORMULA = '=SUM(1,2) "x"';
/** The `now` of the status checks: users below were last seen around it. */
const NOW = at("2026-06-01T12:00:00Z");

/** Each batch with the time the server received it (tracked_users.first_seen_at). */
const BATCHES: { receivedAt: string; events: Ev[] }[] = [
  {
    receivedAt: "2026-02-01T00:00:00Z",
    events: [
      // Sat 02-28 local 10:00–10:45: 2700 s, 1 real hour.
      ...working(ALICE, "2026-02-28T06:00Z", "2026-02-28T06:40Z"),
      stopped(ALICE, "2026-02-28T06:45Z"),
      // Mon 03-02 local 09:00–11:00 and 13:00–13:30: 7200 + 1800 s, 3 + 0 real hours.
      ...working(ALICE, "2026-03-02T05:00Z", "2026-03-02T07:00Z"),
      stopped(ALICE, "2026-03-02T07:00Z"),
      ...working(ALICE, "2026-03-02T09:00Z", "2026-03-02T09:20Z"),
      stopped(ALICE, "2026-03-02T09:30Z"),
      // Sun 03-08 local 23:30 to Mon 03-09 00:30: 1800 s on each side of midnight.
      ...working(ALICE, "2026-03-08T19:30Z", "2026-03-08T20:20Z"),
      stopped(ALICE, "2026-03-08T20:30Z"),
      // Tue 03-31 local 20:00–20:50: 3000 s, 1 real hour.
      ...working(ALICE, "2026-03-31T16:00Z", "2026-03-31T16:40Z"),
      stopped(ALICE, "2026-03-31T16:50Z"),
      // Wed 04-01 local 03:00–03:20, still March in UTC: 1200 s in April.
      ...working(ALICE, "2026-03-31T23:00Z", "2026-03-31T23:10Z"),
      stopped(ALICE, "2026-03-31T23:20Z"),
      // Tue 03-03 local 08:00–09:20: 4800 s, 2 real hours.
      ...working("bob", "2026-03-03T04:00Z", "2026-03-03T05:10Z"),
      stopped("bob", "2026-03-03T05:20Z"),
    ],
  },
  {
    // Sent late: first seen in April, with work on Tue 03-03 local 12:00–12:40 (exactly one block).
    receivedAt: "2026-04-10T00:00:00Z",
    events: [...working("Zed", "2026-03-03T08:00Z", "2026-03-03T08:30Z"), stopped("Zed", "2026-03-03T08:40Z")],
  },
  {
    // Mon 05-04 local 14:00:00–14:10:31: 631 s.
    receivedAt: "2026-05-04T10:20:00Z",
    events: [
      ...working(FORMULA, "2026-05-04T10:00Z", "2026-05-04T10:10Z", 5),
      stopped(FORMULA, "2026-05-04T10:10:31Z"),
    ],
  },
  {
    receivedAt: "2026-06-01T05:00:00Z",
    events: [
      // Working since 11:30: a stop at 10:20, then a 20-minute silence after 11:10.
      ...working("worker", "2026-06-01T10:00Z", "2026-06-01T10:10Z"),
      stopped("worker", "2026-06-01T10:20Z"),
      ...working("worker", "2026-06-01T11:00Z", "2026-06-01T11:10Z"),
      ...working("worker", "2026-06-01T11:30Z", "2026-06-01T11:50Z"),
      { user: "worker", state: "working", ts: at("2026-06-01T11:55Z") },
      // Working since 11:25, after a stop at 11:20.
      ...working("worker2", "2026-06-01T11:00Z", "2026-06-01T11:10Z"),
      stopped("worker2", "2026-06-01T11:20Z"),
      ...working("worker2", "2026-06-01T11:25Z", "2026-06-01T11:45Z"),
      // A long run: 356 heartbeats since the last stop.
      stopped("marathon", "2026-06-01T05:50Z"),
      ...working("marathon", "2026-06-01T06:00Z", "2026-06-01T11:55Z", 1),
      // 128 stopped heartbeats (SQLite reads 128 a page), the oldest at the time of a working
      // event: the run must not reach back past it to the stop at 09:30.
      stopped("pager", "2026-06-01T09:30Z"),
      { user: "pager", state: "working", ts: at("2026-06-01T09:43Z") },
      ...working("pager", "2026-06-01T09:43Z", "2026-06-01T11:50Z", 1).map((e) => ({
        ...e,
        state: "stopped" as const,
      })),
      // At equal times "stopped" comes after "working": idle.
      ...working("tie", "2026-06-01T11:40Z", "2026-06-01T11:50Z"),
      stopped("tie", "2026-06-01T11:50Z"),
      // Idle since the stop at 11:20, with stopped heartbeats after it.
      ...working("idler", "2026-06-01T11:00Z", "2026-06-01T11:10Z"),
      ...[20, 25, 30, 35, 40, 45, 50].map((m) => stopped("idler", `2026-06-01T11:${m}Z`)),
      // Stopped exactly GAP ago: still idle.
      { user: "edge", state: "working", ts: at("2026-06-01T11:40Z") },
      stopped("edge", "2026-06-01T11:45Z"),
      // Stopped, silent for hours, then a stopped heartbeat: idle since the heartbeat.
      { user: "returner", state: "working", ts: at("2026-06-01T08:50Z") },
      stopped("returner", "2026-06-01T09:00Z"),
      stopped("returner", "2026-06-01T11:50Z"),
      // Last seen 20 and 30 minutes ago: offline since last_seen + GAP.
      ...working("gone", "2026-06-01T10:00Z", "2026-06-01T10:10Z"),
      { user: "gone", state: "working", ts: at("2026-06-01T11:40Z") },
      { user: "gone-stopped", state: "working", ts: at("2026-06-01T11:00Z") },
      stopped("gone-stopped", "2026-06-01T11:30Z"),
    ],
  },
];

describe("periodBounds", () => {
  it.each([
    ["day", "2026-03-04", 1, "2026-03-04", "2026-03-04"],
    ["week", "2026-01-01", 1, "2025-12-29", "2026-01-04"],
    ["week", "2026-03-07", 6, "2026-03-07", "2026-03-13"],
    ["week", "2026-03-06", 6, "2026-02-28", "2026-03-06"],
    ["week", "2026-03-01", 0, "2026-03-01", "2026-03-07"],
    ["month", "2024-02-10", 1, "2024-02-01", "2024-02-29"],
    ["month", "2026-12-31", 1, "2026-12-01", "2026-12-31"],
  ] as const)("%s of %s (weeks from %i) is %s to %s", (period, date, weekStartsOn, start, end) => {
    expect(periodBounds(period, date, weekStartsOn)).toEqual({ start, end });
  });
});

describe.each(PROVIDERS)("read API on %s", (provider) => {
  const database = useProcessDatabase(provider);
  const tokens = useProcessTokens(database);
  beforeAll(() => {
    credentials = tokens.read;
  });
  const configState = globalThis as ConfigState;
  let savedConfig: Config | undefined;
  let configDir: string;

  const useConfig = (env: Record<string, string>) => {
    configState.__workTracingConfig = loadConfig(
      {
        REPORT_TIMEZONE: TZ,
        WEEK_STARTS_ON: "1",
        HEARTBEAT_TIMEOUT_MINUTES: "15",
        REAL_HOUR_BLOCK_MINUTES: "40",
        ...env,
      },
      configDir,
    );
    return configState.__workTracingConfig;
  };

  beforeAll(async () => {
    savedConfig = configState.__workTracingConfig;
    configDir = mkdtempSync(path.join(os.tmpdir(), "wt-read-api-"));
    useConfig({});
    const store = new EventStore(database.db);
    for (const batch of BATCHES) {
      await store.store(
        batch.events.map((e) => ({ userKey: toUserKey(e.user), username: e.user, state: e.state, ts: e.ts })),
        at(batch.receivedAt),
      );
    }
    const result = await runHoursEngine({
      trigger: "test",
      db: database.db,
      rules: { gapMs: 15 * MIN, blockMs: 40 * MIN, timeZone: TZ },
    });
    expect(result.status).toBe("ok");
  });

  afterAll(() => {
    configState.__workTracingConfig = savedConfig;
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  describe("GET /api/reports/real_work_hours", () => {
    const rows = async (query: string) =>
      (await okData(await call(getRealWorkHours, `/api/reports/real_work_hours${query}`))) as Body[];

    it("keeps the original row shape, filtered by username in any case and a date range", async () => {
      const data = await rows("?username=corp%5CALICE&start_date=2026-03-01&end_date=2026-03-31");
      expect(data.map(({ id: _id, last_processed_event_id: _last, ...row }) => row)).toEqual([
        { username: ALICE, work_date: "2026-03-02", real_hours_counted: 3 },
        { username: ALICE, work_date: "2026-03-08", real_hours_counted: 0 },
        { username: ALICE, work_date: "2026-03-09", real_hours_counted: 0 },
        { username: ALICE, work_date: "2026-03-31", real_hours_counted: 1 },
      ]);
      for (const row of data) {
        expect(Object.keys(row).sort()).toEqual([
          "id",
          "last_processed_event_id",
          "real_hours_counted",
          "username",
          "work_date",
        ]);
        expect(Number.isInteger(row.id)).toBe(true);
      }
      const [{ max }] = await database.db.raw.query<{ max: unknown }>(
        `SELECT MAX(id) AS max FROM work_events WHERE user_key = ? AND state = 'stopped' AND ts ${provider === "sqlite" ? "= ?" : "= to_timestamp(?::float8 / 1000)"}`,
        ["corp\\alice", at("2026-03-02T09:30Z")],
      );
      expect(data[0].last_processed_event_id).toBe(Number(max));
    });

    it("defaults end_date to start_date and orders by date, then username case-insensitively", async () => {
      expect(
        (await rows("?start_date=2026-03-03")).map((r) => [r.work_date, r.username, r.real_hours_counted]),
      ).toEqual([
        ["2026-03-03", "bob", 2],
        ["2026-03-03", "Zed", 1],
      ]);
      expect((await rows("?start_date=2026-03-02&end_date=2026-03-03")).map((r) => r.username)).toEqual([
        ALICE,
        "bob",
        "Zed",
      ]);
      expect(await rows("?username=nobody")).toEqual([]);
      expect(await rows("?start_date=2026-01-01&end_date=2027-01-01")).not.toEqual([]);
    });

    it("orders user keys by code unit, as SQLite's binary order does, on both providers", async () => {
      // A linguistic collation (PostgreSQL's default) would skip the punctuation and space.
      const names = ["ab", "a_b", "a\\b", "a.b", "a b", "a-c", "aé", "a1"];
      const { prisma } = database.db;
      await prisma.userRealWorkSummary.createMany({
        data: names.map((username) => ({
          userKey: toUserKey(username),
          username,
          workDate: "2031-07-15",
          updatedAt: new Date(),
        })),
      });
      try {
        expect((await rows("?start_date=2031-07-15")).map((r) => r.username)).toEqual([
          "a b",
          "a-c",
          "a.b",
          "a1",
          "a\\b",
          "a_b",
          "ab",
          "aé",
        ]);
      } finally {
        await prisma.userRealWorkSummary.deleteMany({ where: { workDate: "2031-07-15" } });
      }
    });

    it("answers 400 naming the parameter for a bad date, a reversed range or more than 366 days", async () => {
      const get = (query: string) => call(getRealWorkHours, `/api/reports/real_work_hours${query}`);
      await rejected(await get("?start_date=2026-02-30"), "start_date");
      await rejected(await get("?start_date=2026-3-1"), "start_date");
      await rejected(await get("?start_date=2026-03-01&end_date=tomorrow"), "end_date");
      await rejected(await get("?start_date=2026-03-02&end_date=2026-03-01"), "end_date");
      await rejected(await get("?start_date=2026-01-01&end_date=2027-01-02"), "end_date");
    });
  });

  describe("GET /api/reports/summary", () => {
    const summary = async (query: string) =>
      (await okData(await call(getSummary, `/api/reports/summary${query}`))) as Body[];
    const zeros = (username: string, period_start: string, period_end: string) => ({
      username,
      period_start,
      period_end,
      working_seconds: 0,
      expected_seconds: 0,
      balance_seconds: 0,
      real_hours_counted: 0,
      days_active: 0,
      first_activity: null,
      last_activity: null,
    });

    it("sums a day, listing users seen by then who did not work with zeros", async () => {
      expect(await summary("?period=day&date=2026-03-02")).toEqual([
        zeros("bob", "2026-03-02", "2026-03-02"),
        {
          username: ALICE,
          period_start: "2026-03-02",
          period_end: "2026-03-02",
          working_seconds: 9000,
          expected_seconds: 0,
          balance_seconds: 9000,
          real_hours_counted: 3,
          days_active: 1,
          first_activity: "2026-03-02T05:00:00.000Z",
          last_activity: "2026-03-02T09:30:00.000Z",
        },
      ]);
      expect((await summary("?period=day&date=2026-03-02&username=corp%5Calice")).map((r) => r.username)).toEqual([
        ALICE,
      ]);
      expect(await summary("?period=day&date=2026-03-02&username=nobody")).toEqual([]);
    });

    it("sums the Monday-to-Sunday week of the date, including a late sender who worked in it", async () => {
      const week = [
        {
          username: "bob",
          period_start: "2026-03-02",
          period_end: "2026-03-08",
          working_seconds: 4800,
          expected_seconds: 0,
          balance_seconds: 4800,
          real_hours_counted: 2,
          days_active: 1,
          first_activity: "2026-03-03T04:00:00.000Z",
          last_activity: "2026-03-03T05:20:00.000Z",
        },
        {
          username: ALICE,
          period_start: "2026-03-02",
          period_end: "2026-03-08",
          working_seconds: 10800,
          expected_seconds: 0,
          balance_seconds: 10800,
          real_hours_counted: 3,
          days_active: 2,
          first_activity: "2026-03-02T05:00:00.000Z",
          last_activity: "2026-03-08T20:00:00.000Z",
        },
        {
          username: "Zed",
          period_start: "2026-03-02",
          period_end: "2026-03-08",
          working_seconds: 2400,
          expected_seconds: 0,
          balance_seconds: 2400,
          real_hours_counted: 1,
          days_active: 1,
          first_activity: "2026-03-03T08:00:00.000Z",
          last_activity: "2026-03-03T08:40:00.000Z",
        },
      ];
      expect(await summary("?period=week&date=2026-03-04")).toEqual(week);
      expect(await summary("?period=week&date=2026-03-08")).toEqual(week);
      expect(await summary("?period=week&date=2026-03-02")).toEqual(week);
    });

    it("honours WEEK_STARTS_ON", async () => {
      useConfig({ WEEK_STARTS_ON: "0" });
      try {
        expect(await summary("?period=week&date=2026-03-10")).toEqual([
          zeros("bob", "2026-03-08", "2026-03-14"),
          {
            username: ALICE,
            period_start: "2026-03-08",
            period_end: "2026-03-14",
            working_seconds: 3600,
            expected_seconds: 0,
            balance_seconds: 3600,
            real_hours_counted: 0,
            days_active: 2,
            first_activity: "2026-03-08T19:30:00.000Z",
            last_activity: "2026-03-08T20:30:00.000Z",
          },
        ]);
      } finally {
        useConfig({});
      }
    });

    it("sums a calendar month of local dates", async () => {
      expect(await summary("?period=month&date=2026-03-15")).toEqual([
        expect.objectContaining({
          username: "bob",
          period_start: "2026-03-01",
          period_end: "2026-03-31",
          working_seconds: 4800,
          real_hours_counted: 2,
          days_active: 1,
        }),
        {
          username: ALICE,
          period_start: "2026-03-01",
          period_end: "2026-03-31",
          working_seconds: 15600,
          expected_seconds: 0,
          balance_seconds: 15600,
          real_hours_counted: 4,
          days_active: 4,
          first_activity: "2026-03-02T05:00:00.000Z",
          last_activity: "2026-03-31T16:50:00.000Z",
        },
        expect.objectContaining({ username: "Zed", working_seconds: 2400, real_hours_counted: 1, days_active: 1 }),
      ]);
      expect(await summary("?period=month&date=2026-04-30")).toEqual([
        zeros("bob", "2026-04-01", "2026-04-30"),
        {
          username: ALICE,
          period_start: "2026-04-01",
          period_end: "2026-04-30",
          working_seconds: 1200,
          expected_seconds: 0,
          balance_seconds: 1200,
          real_hours_counted: 0,
          days_active: 1,
          first_activity: "2026-03-31T23:00:00.000Z",
          last_activity: "2026-03-31T23:20:00.000Z",
        },
        zeros("Zed", "2026-04-01", "2026-04-30"),
      ]);
      expect(await summary("?period=month&date=2026-02-01")).toEqual([
        zeros("bob", "2026-02-01", "2026-02-28"),
        {
          username: ALICE,
          period_start: "2026-02-01",
          period_end: "2026-02-28",
          working_seconds: 2700,
          expected_seconds: 0,
          balance_seconds: 2700,
          real_hours_counted: 1,
          days_active: 1,
          first_activity: "2026-02-28T06:00:00.000Z",
          last_activity: "2026-02-28T06:45:00.000Z",
        },
      ]);
    });

    it("answers 400 naming the parameter for a missing or unknown period and a bad date", async () => {
      const get = (query: string) => call(getSummary, `/api/reports/summary${query}`);
      await rejected(await get("?date=2026-03-02"), "period");
      await rejected(await get("?period=year&date=2026-03-02"), "period");
      await rejected(await get("?period=day&date=2026-13-01"), "date");
    });
  });

  describe("GET /api/users", () => {
    const EXPECTED = [
      {
        username: FORMULA,
        status: "offline",
        since: "2026-05-04T10:25:31.000Z",
        last_seen: "2026-05-04T10:10:31.000Z",
      },
      { username: "bob", status: "offline", since: "2026-03-03T05:35:00.000Z", last_seen: "2026-03-03T05:20:00.000Z" },
      { username: ALICE, status: "offline", since: "2026-03-31T23:35:00.000Z", last_seen: "2026-03-31T23:20:00.000Z" },
      { username: "edge", status: "idle", since: "2026-06-01T11:45:00.000Z", last_seen: "2026-06-01T11:45:00.000Z" },
      { username: "gone", status: "offline", since: "2026-06-01T11:55:00.000Z", last_seen: "2026-06-01T11:40:00.000Z" },
      {
        username: "gone-stopped",
        status: "offline",
        since: "2026-06-01T11:45:00.000Z",
        last_seen: "2026-06-01T11:30:00.000Z",
      },
      { username: "idler", status: "idle", since: "2026-06-01T11:20:00.000Z", last_seen: "2026-06-01T11:50:00.000Z" },
      {
        username: "marathon",
        status: "working",
        since: "2026-06-01T06:00:00.000Z",
        last_seen: "2026-06-01T11:55:00.000Z",
      },
      { username: "pager", status: "idle", since: "2026-06-01T09:43:00.000Z", last_seen: "2026-06-01T11:50:00.000Z" },
      {
        username: "returner",
        status: "idle",
        since: "2026-06-01T11:50:00.000Z",
        last_seen: "2026-06-01T11:50:00.000Z",
      },
      { username: "tie", status: "idle", since: "2026-06-01T11:50:00.000Z", last_seen: "2026-06-01T11:50:00.000Z" },
      {
        username: "worker",
        status: "working",
        since: "2026-06-01T11:30:00.000Z",
        last_seen: "2026-06-01T11:55:00.000Z",
      },
      {
        username: "worker2",
        status: "working",
        since: "2026-06-01T11:25:00.000Z",
        last_seen: "2026-06-01T11:45:00.000Z",
      },
      { username: "Zed", status: "offline", since: "2026-03-03T08:55:00.000Z", last_seen: "2026-03-03T08:40:00.000Z" },
    ];

    it("gives every user's status and since at a fixed now", async () => {
      vi.useFakeTimers({ toFake: ["Date"], now: NOW });
      try {
        const users = (await okData(await call(getUsers, "/api/users"))) as Record<string, unknown>[];
        expect(users.map(({ devices: _devices, ...user }) => user)).toEqual(EXPECTED);
        // The original agent names no device: each user has the one unnamed device, judged as the user is.
        for (const { devices, username: _username, ...user } of users)
          expect(devices).toEqual([{ device: "", agent: null, ...user }]);
      } finally {
        vi.useRealTimers();
      }
    });

    it("never turns anyone offline when the gap is 0", async () => {
      const users = await listUsers(database.db, { timeZone: TZ, weekStartsOn: 1, gapMs: 0 }, NOW);
      const pick = (name: string) => users.find((user) => user.username === name);
      expect(users.every((user) => user.status !== "offline")).toBe(true);
      expect(pick("gone")).toMatchObject({ status: "working", since: "2026-06-01T10:00:00.000Z" });
      expect(pick("worker")).toMatchObject({ status: "working", since: "2026-06-01T11:00:00.000Z" });
      expect(pick("returner")).toMatchObject({ status: "idle", since: "2026-06-01T09:00:00.000Z" });
      expect(pick("bob")).toMatchObject({ status: "idle", since: "2026-03-03T05:20:00.000Z" });
    });
  });

  describe("GET /api/users/{username}/timeline", () => {
    const timeline = (username: string, query: string) =>
      call(getTimeline, `/api/users/${encodeURIComponent(username)}/timeline${query}`, {
        params: Promise.resolve({ username }),
      });

    it("gives the local day's periods and raw events in rule order", async () => {
      const data = (await okData(await timeline("corp\\ALICE", "?date=2026-03-02"))) as Body & { events: Body[] };
      expect({ ...data, events: undefined }).toEqual({
        username: ALICE,
        date: "2026-03-02",
        timezone: TZ,
        periods: [
          { start: "2026-03-02T05:00:00.000Z", end: "2026-03-02T07:00:00.000Z" },
          { start: "2026-03-02T09:00:00.000Z", end: "2026-03-02T09:30:00.000Z" },
        ],
        periods_total: 2,
        // The original agent's events: the unnamed device, whose periods are the merged ones.
        device_periods: [
          { device: "", start: "2026-03-02T05:00:00.000Z", end: "2026-03-02T07:00:00.000Z" },
          { device: "", start: "2026-03-02T09:00:00.000Z", end: "2026-03-02T09:30:00.000Z" },
        ],
        device_periods_total: 2,
        events: undefined,
        events_total: 18,
        events_by_state: { working: 16, stopped: 2 },
        limit: 5000,
        next_cursor: null,
        working_seconds: 9000,
        expected_seconds: 0,
        balance_seconds: 9000,
        real_hours_counted: 3,
      });
      expect(data.events.map((e) => [e.ts, e.state])).toEqual([
        ...working(ALICE, "2026-03-02T05:00Z", "2026-03-02T07:00Z").map((e) => [
          new Date(e.ts).toISOString(),
          "working",
        ]),
        ["2026-03-02T07:00:00.000Z", "stopped"],
        ["2026-03-02T09:00:00.000Z", "working"],
        ["2026-03-02T09:10:00.000Z", "working"],
        ["2026-03-02T09:20:00.000Z", "working"],
        ["2026-03-02T09:30:00.000Z", "stopped"],
      ]);
      for (const event of data.events) {
        expect(Number.isInteger(event.id)).toBe(true);
        expect(event.device).toBe("");
      }
    });

    it("cuts the day at local midnight", async () => {
      const data = (await okData(await timeline(ALICE, "?date=2026-03-08"))) as Body & { events: Body[] };
      expect(data.periods).toEqual([{ start: "2026-03-08T19:30:00.000Z", end: "2026-03-08T20:00:00.000Z" }]);
      expect(data.events.map((e) => e.ts)).toEqual([
        "2026-03-08T19:30:00.000Z",
        "2026-03-08T19:40:00.000Z",
        "2026-03-08T19:50:00.000Z",
      ]);
      expect([data.working_seconds, data.real_hours_counted]).toEqual([1800, 0]);
      expect(await okData(await timeline("bob", "?date=2026-03-02"))).toMatchObject({
        periods: [],
        events: [],
        working_seconds: 0,
        real_hours_counted: 0,
      });
    });

    it("answers 404 for an unknown user and 400 for a bad date", async () => {
      expect((await failed(await timeline("nobody", "?date=2026-03-02"), 404)).code).toBe("not_found");
      await rejected(await timeline(ALICE, "?date=02-03-2026"), "date");
    });
  });

  describe("GET /api/reports/export.csv", () => {
    const HEADER = `username,period_start,period_end,working_hours,working_time (h:mm),real_hours_counted,days_active,first_activity (${TZ}),last_activity (${TZ}),expected_hours,balance_hours`;

    it("writes the week as CSV with a BOM, CRLF, decimal and h:mm hours and local times", async () => {
      const res = await call(getCsv, "/api/reports/export.csv?period=week&date=2026-03-05");
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      expect(res.headers.get("content-disposition")).toBe('attachment; filename="work-hours-week-2026-03-02.csv"');
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      expect(new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes)).toBe(
        "\uFEFF" +
          [
            HEADER,
            "bob,2026-03-02,2026-03-08,1.33,1:20,2,1,2026-03-03 08:00:00,2026-03-03 09:20:00,0.00,1.33",
            "CORP\\Alice,2026-03-02,2026-03-08,3.00,3:00,3,2,2026-03-02 09:00:00,2026-03-09 00:00:00,0.00,3.00",
            "Zed,2026-03-02,2026-03-08,0.67,0:40,1,1,2026-03-03 12:00:00,2026-03-03 12:40:00,0.00,0.67",
          ].join("\r\n") +
          "\r\n",
      );
    });

    it("quotes where needed, defuses formulas and writes users without work as zeros", async () => {
      const res = await call(getCsv, "/api/reports/export.csv?period=week&date=2026-05-10");
      expect(res.headers.get("content-disposition")).toBe('attachment; filename="work-hours-week-2026-05-04.csv"');
      expect((await res.text()).replace(/^\uFEFF/, "").split("\r\n")).toEqual([
        HEADER,
        `"'=SUM(1,2) ""x""",2026-05-04,2026-05-10,0.18,0:11,0,1,2026-05-04 14:00:00,2026-05-04 14:10:31,0.00,0.18`,
        "bob,2026-05-04,2026-05-10,0.00,0:00,0,0,,,0.00,0.00",
        "CORP\\Alice,2026-05-04,2026-05-10,0.00,0:00,0,0,,,0.00,0.00",
        "Zed,2026-05-04,2026-05-10,0.00,0:00,0,0,,,0.00,0.00",
        "",
      ]);
    });

    it("formats cells and durations", () => {
      expect(
        ["+1", "-1", "@x", "=x", "\tx", "a,b", 'a"b', "line\nbreak", "plain", 7, -7.5, null].map(toCsvField),
      ).toEqual([
        `"'+1"`,
        `"'-1"`,
        `"'@x"`,
        `"'=x"`,
        `"'\tx"`,
        '"a,b"',
        '"a""b"',
        '"line\nbreak"',
        "plain",
        "7",
        "-7.5",
        "",
      ]);
      // A spreadsheet whose locale splits on ";" (or ",") would see a formula in the second piece.
      expect(
        ["x;=cmd|' /C calc'!A0;", "x,+1", "x; @SUM(A1)", "x\n-2", "x;y", "a-b=c", "CORP\\alice"].map(toCsvField),
      ).toEqual([`"'x;=cmd|' /C calc'!A0;"`, `"'x,+1"`, `"'x; @SUM(A1)"`, `"'x\n-2"`, '"x;y"', "a-b=c", "CORP\\alice"]);
      expect([0, 17, 18, 5999, 36_000, 360_000].map(toDecimalHours)).toEqual([
        "0.00",
        "0.00",
        "0.01",
        "1.67",
        "10.00",
        "100.00",
      ]);
      expect([0, 29, 30, 5999, 90_000].map(toHoursMinutes)).toEqual(["0:00", "0:00", "0:01", "1:40", "25:00"]);
    });

    it("writes one row per employee and day worked with by=day, for one employee when asked", async () => {
      const res = await call(getCsv, "/api/reports/export.csv?period=week&date=2026-03-05&by=day");
      expect(res.headers.get("content-disposition")).toBe(
        'attachment; filename="work-hours-week-2026-03-02-by-day.csv"',
      );
      expect((await res.text()).split("\r\n")).toEqual([
        `username,work_date,working_hours,working_time (h:mm),real_hours_counted,first_activity (${TZ}),last_activity (${TZ}),expected_hours,balance_hours,day_off`,
        "bob,2026-03-03,1.33,1:20,2,2026-03-03 08:00:00,2026-03-03 09:20:00,0.00,1.33,",
        "CORP\\Alice,2026-03-02,2.50,2:30,3,2026-03-02 09:00:00,2026-03-02 13:30:00,0.00,2.50,",
        "CORP\\Alice,2026-03-08,0.50,0:30,0,2026-03-08 23:30:00,2026-03-09 00:00:00,0.00,0.50,",
        "Zed,2026-03-03,0.67,0:40,1,2026-03-03 12:00:00,2026-03-03 12:40:00,0.00,0.67,",
        "",
      ]);
      const alice = await call(
        getCsv,
        "/api/reports/export.csv?period=month&date=2026-03-05&by=day&username=corp%5Calice",
      );
      expect(alice.headers.get("content-disposition")).toBe(
        'attachment; filename="work-hours-month-2026-03-01-corp_alice-by-day.csv"',
      );
      expect(
        (await alice.text())
          .split("\r\n")
          .slice(1, -1)
          .map((line) => line.split(",").slice(0, 2).join(",")),
      ).toEqual([
        "CORP\\Alice,2026-03-02",
        "CORP\\Alice,2026-03-08",
        "CORP\\Alice,2026-03-09",
        "CORP\\Alice,2026-03-31",
      ]);
    });

    it("answers 400 for a bad period or grouping", async () => {
      await rejected(await call(getCsv, "/api/reports/export.csv?period=fortnight"), "period");
      await rejected(await call(getCsv, "/api/reports/export.csv?period=week&by=hour"), "by");
    });
  });

  describe("GET /api/reports/export.xlsx", () => {
    const both = async (query: string) => {
      const xlsx = await call(getXlsx, `/api/reports/export.xlsx?${query}`);
      const csv = await call(getCsv, `/api/reports/export.csv?${query}`);
      expect(xlsx.status).toBe(200);
      return { xlsx, sheet: await readXlsx(await xlsx.arrayBuffer()), csv: await csv.text() };
    };

    it("writes the week as a typed sheet: hours as numbers, h:mm as durations, local times as dates", async () => {
      const { xlsx, sheet, csv } = await both("period=week&date=2026-03-05");
      expect(xlsx.headers.get("content-type")).toBe(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      );
      expect(xlsx.headers.get("content-disposition")).toBe('attachment; filename="work-hours-week-2026-03-02.xlsx"');
      expect(xlsx.headers.get("cache-control")).toBe("no-store");
      expect(sheet.names).toEqual(["Summary"]);
      expect(sheet.headerBold).toBe(true);
      expect(sheet.frozenRows).toBe(1);
      expect(sheet.formats.slice(1, 9)).toEqual([
        "yyyy-mm-dd",
        "yyyy-mm-dd",
        "0.00",
        "[h]:mm",
        "0",
        "0",
        "yyyy-mm-dd hh:mm:ss",
        "yyyy-mm-dd hh:mm:ss",
      ]);
      expect(sheet.rows[0]).toEqual([
        "bob",
        new Date("2026-03-02T00:00:00Z"),
        new Date("2026-03-08T00:00:00Z"),
        1.33,
        80 / 1440,
        2,
        1,
        new Date("2026-03-03T08:00:00Z"),
        new Date("2026-03-03T09:20:00Z"),
        0,
        1.33,
      ]);
      expectSameAsCsv(sheet, csv);
    });

    it("keeps a formula-like name as text and users without work as zeros with empty times", async () => {
      const { sheet, csv } = await both("period=week&date=2026-05-10");
      expect(sheet.rows.map((row) => row[0])).toEqual([FORMULA, "bob", ALICE, "Zed"]);
      expect(sheet.rows[1].slice(3)).toEqual([0, 0, 0, 0, null, null, 0, 0]);
      expectSameAsCsv(sheet, csv);
    });

    it("writes one row per employee and day on a sheet of its own with by=day", async () => {
      const { xlsx, sheet, csv } = await both("period=month&date=2026-03-05&by=day");
      expect(xlsx.headers.get("content-disposition")).toBe(
        'attachment; filename="work-hours-month-2026-03-01-by-day.xlsx"',
      );
      expect(sheet.names).toEqual(["By day"]);
      expect(sheet.rows.length).toBeGreaterThan(3);
      expectSameAsCsv(sheet, csv);
    });

    it("answers 400 for a bad period, as the CSV does", async () => {
      await rejected(await call(getXlsx, "/api/reports/export.xlsx?period=fortnight"), "period");
    });
  });

  it("answers 405 with the envelope for other methods", async () => {
    for (const handler of [postRealWorkHours, postSummary, postUsers, postTimeline, postCsv, postXlsx]) {
      const res = await handler();
      expect((await failed(res, 405)).code).toBe("method_not_allowed");
      expect(res.headers.get("allow")).toBe("GET");
    }
  });
});
