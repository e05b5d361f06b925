import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findAccount } from "@/lib/auth/accounts";
import { toAccountPrincipal, visibleUserKeys } from "@/lib/auth/principal";
import { createToken, listTokens, revokeToken, verifyToken } from "@/lib/auth/tokens";
import { openDb, type Db } from "@/lib/db";
import {
  getMigrationStatus,
  listMigrations,
  migrate,
  MigrationError,
  migrationsDir,
  type Migration,
} from "@/lib/db/migrator";
import { runHoursEngine } from "@/lib/hours/run";
import { EventStore } from "@/lib/ingest/store";
import { checkEvent, type ParsedEvent } from "@/lib/ingest/schema";
import { createTestDatabase, PROVIDERS, type TestDatabase } from "../helpers/databases";

const ROOT = path.resolve(import.meta.dirname, "../..");
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const migration = (name: string, sql: string): Migration => ({
  name,
  sql,
  checksum: createHash("sha256").update(sql).digest("hex"),
});

type HistoryRow = {
  id: string;
  checksum: string;
  finished_at: unknown;
  migration_name: string;
  logs: string | null;
  rolled_back_at: unknown;
  started_at: unknown;
  applied_steps_count: unknown;
};

/**
 * Events as an installation still on an older schema holds them (PostgreSQL): written by plain
 * SQL, since EventStore writes today's schema, with the tables ingest keeps beside them.
 */
async function storeAtOldSchema(db: Db, events: ParsedEvent[], receivedAt: number) {
  await db.pool!.query(
    `INSERT INTO work_events (user_key, username, state, ts, received_at, device_key)
     SELECT u, n, s, to_timestamp(t / 1000.0), to_timestamp($1::float8 / 1000), d
     FROM unnest($2::text[], $3::text[], $4::text[], $5::float8[], $6::text[]) AS x(u, n, s, t, d)`,
    [
      receivedAt,
      events.map((e) => e.userKey),
      events.map((e) => e.username),
      events.map((e) => e.state),
      events.map((e) => e.ts),
      events.map((e) => e.deviceKey ?? ""),
    ],
  );
  await db.raw.execute(
    `INSERT INTO tracked_users (user_key, display_name, first_seen_at, last_event_at, last_state)
     SELECT DISTINCT ON (user_key) user_key, username, received_at, ts, state FROM work_events ORDER BY user_key, ts DESC, state ASC`,
  );
  await db.raw.execute(
    `INSERT INTO tracked_devices (user_key, device_key, display_name, first_event_at, last_event_at, last_state)
     SELECT DISTINCT ON (user_key, device_key) user_key, device_key, device_key, MIN(ts) OVER (PARTITION BY user_key, device_key), ts, state
     FROM work_events ORDER BY user_key, device_key, ts DESC, state ASC`,
  );
  await db.raw.execute(
    `INSERT INTO hours_queue (user_key, device_key, from_ts, to_ts) SELECT user_key, device_key, MIN(ts), MAX(ts) FROM work_events GROUP BY user_key, device_key`,
  );
}

describe.each(PROVIDERS)("the migrator on %s", (provider) => {
  let testDb: TestDatabase;
  let db: Db;
  beforeEach(async () => {
    testDb = await createTestDatabase(provider);
    db = openDb(testDb.url);
  });
  afterEach(async () => {
    await db?.close();
    await testDb?.drop();
  });

  const history = () => db.raw.query<HistoryRow>(`SELECT * FROM "_prisma_migrations" ORDER BY "migration_name"`);

  async function tableNames(): Promise<string[]> {
    const rows =
      provider === "sqlite"
        ? await db.raw.query<{ name: string }>(
            `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
          )
        : await db.raw.query<{ name: string }>(
            `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()
             AND table_name NOT IN (SELECT relname FROM pg_class WHERE relispartition)`,
          );
    return rows.map((row) => row.name).sort();
  }

  it("creates every table on a fresh database and records each migration as Prisma does", async () => {
    const shipped = listMigrations(provider, migrationsDir(provider, ROOT));
    expect(shipped.length).toBeGreaterThan(0);
    const before = Date.now();
    expect(await migrate(db)).toEqual(shipped.map((m) => m.name));

    expect(await tableNames()).toEqual(
      [
        "_prisma_migrations",
        "engine_runs",
        "hours_queue",
        "tracked_users",
        "tracked_devices",
        "user_real_work_summary",
        "work_events",
        "work_periods",
        "device_periods",
        "accounts",
        "sessions",
        "teams",
        "team_members",
        "account_teams",
        "api_tokens",
        "audit_log",
        "sign_in_failures",
        "work_schedules",
        "holidays",
        "leave",
      ].sort(),
    );
    const rows = await history();
    expect(rows.map((row) => row.migration_name)).toEqual(shipped.map((m) => m.name));
    for (const row of rows) {
      const file = path.join(ROOT, "prisma", provider, "migrations", row.migration_name, "migration.sql");
      expect(row.id).toMatch(UUID);
      expect(row.checksum).toBe(createHash("sha256").update(readFileSync(file)).digest("hex"));
      expect(row.finished_at).not.toBeNull();
      expect(row.rolled_back_at).toBeNull();
      expect(row.logs).toBeNull();
      expect(Number(row.applied_steps_count)).toBe(1);
      const finished = row.finished_at instanceof Date ? row.finished_at.getTime() : Number(row.finished_at);
      expect(finished).toBeGreaterThanOrEqual(before - 1000);
      expect(finished).toBeLessThanOrEqual(Date.now() + 1000);
    }
    expect(await getMigrationStatus(db, shipped)).toEqual({
      applied: shipped.map((m) => m.name),
      pending: [],
      modified: [],
    });
  });

  it("makes today's unlimited supervisors explicitly all-employees, on a database holding accounts and teams", async () => {
    const shipped = listMigrations(provider, migrationsDir(provider, ROOT));
    const before = shipped.findIndex((m) => m.name === "20261202000000_all_employees");
    expect(before).toBeGreaterThan(0);
    await migrate(db, shipped.slice(0, before));
    const now = new Date();
    const account = (id: number, username: string, role: string) =>
      db.raw.execute(
        `INSERT INTO accounts (id, username, username_key, password_hash, role, created_at, password_changed_at)
         VALUES (?, ?, ?, 'scrypt$hash', ?, ?, ?)`,
        [id, username, username.toLowerCase(), role, now, now],
      );
    await account(1, "Boss", "admin");
    await account(2, "Watcher", "viewer");
    await account(3, "Unlimited", "supervisor");
    await account(4, "Limited", "supervisor");
    await account(5, "LimitedViewer", "viewer");
    await db.raw.execute(`INSERT INTO teams (id, name, created_at) VALUES (?, ?, ?)`, [1, "Floor 2", now]);
    await db.raw.execute(`INSERT INTO team_members (team_id, user_key) VALUES (?, ?)`, [1, "alice"]);
    for (const id of [4, 5])
      await db.raw.execute(`INSERT INTO account_teams (account_id, team_id) VALUES (?, ?)`, [id, 1]);

    expect(await migrate(db)).toEqual(shipped.slice(before).map((m) => m.name));
    const rows = await db.raw.query<{ username: string; all_employees: unknown }>(
      `SELECT username, all_employees FROM accounts ORDER BY id`,
    );
    expect(rows.map((row) => [row.username, Boolean(row.all_employees)])).toEqual([
      ["Boss", false],
      ["Watcher", false],
      ["Unlimited", true],
      ["Limited", false],
      ["LimitedViewer", false],
    ]);
    // Whom each sees is what they saw before the migration.
    const sees = async (id: number) => {
      const found = await findAccount(db, id);
      const keys = await visibleUserKeys(db, toAccountPrincipal(found!));
      return keys === null ? "everyone" : [...keys];
    };
    expect(await Promise.all([1, 2, 3, 4, 5].map(sees))).toEqual([
      "everyone",
      "everyone",
      "everyone",
      ["alice"],
      "everyone",
    ]);
    expect((await findAccount(db, 4))!.teamIds).toEqual([1]);
  });

  it("makes every stored event the unnamed device, with one index for uniqueness and time order", async () => {
    const shipped = listMigrations(provider, migrationsDir(provider, ROOT));
    const before = shipped.findIndex((m) => m.name === "20261210000000_devices");
    expect(before).toBeGreaterThan(0);
    await migrate(db, shipped.slice(0, before));
    const at = (iso: string) => new Date(iso);
    const event = (user: string, state: string, ts: string) =>
      db.raw.execute(`INSERT INTO work_events (user_key, username, state, ts, received_at) VALUES (?, ?, ?, ?, ?)`, [
        user,
        user.toUpperCase(),
        state,
        at(ts),
        at(ts),
      ]);
    await event("alice", "working", "2026-03-02T05:00:00Z");
    await event("alice", "stopped", "2026-03-02T07:00:00Z");
    await event("bob", "working", "2026-03-01T09:00:00Z");
    for (const [key, last, state] of [
      ["alice", "2026-03-02T07:00:00Z", "stopped"],
      ["bob", "2026-03-01T09:00:00Z", "working"],
    ])
      await db.raw.execute(
        `INSERT INTO tracked_users (user_key, display_name, first_seen_at, last_event_at, last_state) VALUES (?, ?, ?, ?, ?)`,
        [key, key.toUpperCase(), at("2026-03-03T00:00:00Z"), at(last), state],
      );

    expect(await migrate(db)).toEqual(shipped.slice(before).map((m) => m.name));
    const ms = (value: unknown) => (value instanceof Date ? value.getTime() : Number(value));
    const events = await db.raw.query<Record<string, unknown>>(
      `SELECT user_key, device_key, agent, token_id FROM work_events ORDER BY id`,
    );
    expect(events).toEqual([
      { user_key: "alice", device_key: "", agent: null, token_id: null },
      { user_key: "alice", device_key: "", agent: null, token_id: null },
      { user_key: "bob", device_key: "", agent: null, token_id: null },
    ]);
    const devices = await db.raw.query<Record<string, unknown>>(
      `SELECT user_key, device_key, display_name, first_event_at, last_event_at, last_state, agent, token_id
       FROM tracked_devices ORDER BY user_key`,
    );
    expect(
      devices.map((d) => ({ ...d, first_event_at: ms(d.first_event_at), last_event_at: ms(d.last_event_at) })),
    ).toEqual([
      {
        user_key: "alice",
        device_key: "",
        display_name: "",
        first_event_at: Date.parse("2026-03-02T05:00:00Z"),
        last_event_at: Date.parse("2026-03-02T07:00:00Z"),
        last_state: "stopped",
        agent: null,
        token_id: null,
      },
      {
        user_key: "bob",
        device_key: "",
        display_name: "",
        first_event_at: Date.parse("2026-03-01T09:00:00Z"),
        last_event_at: Date.parse("2026-03-01T09:00:00Z"),
        last_state: "working",
        agent: null,
        token_id: null,
      },
    ]);

    // The same instant and state on another device is a new event; on the same device it is refused.
    const insert = (device: string) =>
      db.raw.execute(
        `INSERT INTO work_events (user_key, username, state, ts, received_at, device_key) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (user_key, ts, state, device_key) DO NOTHING`,
        ["alice", "ALICE", "working", at("2026-03-02T05:00:00Z"), at("2026-03-02T05:00:00Z"), device],
      );
    await insert("pc-2");
    await insert("");
    expect(await db.raw.query(`SELECT COUNT(*) AS n FROM work_events WHERE user_key = 'alice'`)).toEqual([
      { n: provider === "sqlite" ? 3 : "3" },
    ]);

    const indexes =
      provider === "sqlite"
        ? await db.raw.query<{ name: string }>(
            `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'work_events' AND sql IS NOT NULL ORDER BY name`,
          )
        : await db.raw.query<{ name: string }>(
            `SELECT indexname AS name FROM pg_indexes WHERE tablename = 'work_events' AND indexname <> 'work_events_pkey' ORDER BY indexname`,
          );
    expect(indexes.map((row) => row.name)).toEqual(["work_events_user_key_ts_state_device_key_key"]);
  });

  it("keeps the derived periods as the unnamed device's and moves pending work onto it", async () => {
    const shipped = listMigrations(provider, migrationsDir(provider, ROOT));
    const before = shipped.findIndex((m) => m.name === "20261210010000_device_periods");
    expect(before).toBeGreaterThan(0);
    await migrate(db, shipped.slice(0, before));
    const at = (iso: string) => new Date(iso);
    for (const [start, end, id] of [
      ["2026-03-02T05:00:00Z", "2026-03-02T07:00:00Z", 2],
      ["2026-03-02T08:00:00Z", "2026-03-02T09:30:00Z", 5],
    ] as const)
      await db.raw.execute(
        `INSERT INTO work_periods (user_key, work_date, start_ts, end_ts, last_event_id) VALUES (?, ?, ?, ?, ?)`,
        ["alice", "2026-03-02", at(start), at(end), id],
      );
    await db.raw.execute(`INSERT INTO hours_queue (user_key, from_ts, to_ts, revision) VALUES (?, ?, ?, ?)`, [
      "bob",
      at("2026-03-01T09:00:00Z"),
      at("2026-03-01T10:00:00Z"),
      3,
    ]);

    expect(await migrate(db)).toEqual(shipped.slice(before).map((m) => m.name));
    const ms = (value: unknown) => (value instanceof Date ? value.getTime() : Number(value));
    const periods = await db.raw.query<Record<string, unknown>>(
      `SELECT user_key, device_key, work_date, start_ts, end_ts, last_event_id FROM device_periods ORDER BY start_ts`,
    );
    expect(periods.map((p) => ({ ...p, start_ts: ms(p.start_ts), end_ts: ms(p.end_ts) }))).toEqual([
      {
        user_key: "alice",
        device_key: "",
        work_date: "2026-03-02",
        start_ts: Date.parse("2026-03-02T05:00:00Z"),
        end_ts: Date.parse("2026-03-02T07:00:00Z"),
        last_event_id: 2,
      },
      {
        user_key: "alice",
        device_key: "",
        work_date: "2026-03-02",
        start_ts: Date.parse("2026-03-02T08:00:00Z"),
        end_ts: Date.parse("2026-03-02T09:30:00Z"),
        last_event_id: 5,
      },
    ]);
    expect(await db.raw.query(`SELECT COUNT(*) AS n FROM work_periods`)).toEqual([
      { n: provider === "sqlite" ? 2 : "2" },
    ]);
    const queue = await db.raw.query<Record<string, unknown>>(
      `SELECT user_key, device_key, from_ts, to_ts, revision FROM hours_queue`,
    );
    expect(queue.map((q) => ({ ...q, from_ts: ms(q.from_ts), to_ts: ms(q.to_ts) }))).toEqual([
      {
        user_key: "bob",
        device_key: "",
        from_ts: Date.parse("2026-03-01T09:00:00Z"),
        to_ts: Date.parse("2026-03-01T10:00:00Z"),
        revision: 3,
      },
    ]);
  });

  it("keeps every token working across the metrics scope, which it then allows, and still refuses unknown scopes", async () => {
    const shipped = listMigrations(provider, migrationsDir(provider, ROOT));
    const before = shipped.findIndex((m) => m.name === "20261220000000_metrics_token_scope");
    expect(before).toBeGreaterThan(0);
    await migrate(db, shipped.slice(0, before));
    const ingest = await createToken(db, { name: "agents", scope: "ingest", createdBy: "tests" });
    const read = await createToken(db, { name: "payroll", scope: "read", createdBy: "tests" });
    await revokeToken(db, read.info.id, { actor: "tests" });
    await expect(createToken(db, { name: "too early", scope: "metrics", createdBy: "tests" })).rejects.toThrow();

    await migrate(db);
    expect(await verifyToken(db, ingest.token, "ingest")).toMatchObject({ ok: true, token: { id: ingest.info.id } });
    expect(await verifyToken(db, read.token, "read")).toMatchObject({ ok: false, status: 401, reason: "revoked" });
    const metrics = await createToken(db, { name: "prometheus", scope: "metrics", createdBy: "tests" });
    expect(metrics.info.id).toBeGreaterThan(read.info.id);
    expect(await verifyToken(db, metrics.token, "metrics")).toMatchObject({ ok: true });
    expect((await listTokens(db)).map((t) => [t.name, t.scope])).toEqual([
      ["prometheus", "metrics"],
      ["payroll", "read"],
      ["agents", "ingest"],
    ]);
    await expect(
      db.raw.execute(
        `INSERT INTO api_tokens (name, scope, token_hash, prefix, created_at, created_by) VALUES ('x', 'admin', 'h', 'p', ?, 'tests')`,
        [new Date()],
      ),
    ).rejects.toThrow();
  });

  it.runIf(provider === "postgresql")(
    "partitions stored events by month, keeping every row, its id and every report",
    async () => {
      const shipped = listMigrations(provider, migrationsDir(provider, ROOT));
      const before = shipped.findIndex((m) => m.name === "20261230000000_partition_work_events");
      expect(before).toBeGreaterThan(0);
      await migrate(db, shipped.slice(0, before));
      const rules = { gapMs: 15 * 60_000, blockMs: 40 * 60_000, timeZone: "Asia/Dubai" };
      const now = Date.parse("2026-12-01T00:00:00Z");
      const parsed: ParsedEvent[] = [];
      for (const [month, days] of [
        ["2026-09", 30],
        ["2026-10", 31],
        ["2026-11", 30],
      ] as const)
        for (let day = 1; day <= days; day += 3)
          for (const [user, device] of [
            ["alice", "pc-1"],
            ["bob", ""],
          ])
            for (let minute = 0; minute <= 120; minute += 10) {
              const ts = Date.parse(`${month}-${String(day).padStart(2, "0")}T19:00:00Z`) + minute * 60_000;
              const check = checkEvent(
                { user, device, state: minute === 120 ? "stopped" : "working", ts: new Date(ts).toISOString() },
                now,
              );
              if (check.ok) parsed.push(check.event);
            }
      await storeAtOldSchema(db, parsed, now);
      await runHoursEngine({ trigger: "test", db, rules });
      const events = `SELECT id, user_key, username, state, (extract(epoch FROM ts) * 1000)::float8 AS ts,
          received_at, device_key, agent, token_id FROM work_events ORDER BY id`;
      const reports = `SELECT user_key, work_date, working_seconds, real_hours_counted, last_processed_event_id
          FROM user_real_work_summary ORDER BY user_key, work_date`;
      const periods = `SELECT user_key, start_ts, end_ts, last_event_id FROM work_periods ORDER BY user_key, start_ts`;
      const eventsBefore = await db.raw.query(events);
      const reportsBefore = await db.raw.query(reports);
      const periodsBefore = await db.raw.query(periods);
      expect(eventsBefore).toHaveLength(parsed.length);

      expect(await migrate(db)).toEqual(shipped.slice(before).map((m) => m.name));
      expect(await db.raw.query(events)).toEqual(eventsBefore);
      const partitions = await db.raw.query<{ name: string; rows: string }>(
        `SELECT c.relname AS name, (SELECT COUNT(*) FROM work_events e WHERE e.tableoid = c.oid) AS rows
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'work_events'::regclass ORDER BY c.relname`,
      );
      const months = partitions.filter((p) => p.name !== "work_events_default");
      expect(months.slice(0, 3).map((p) => p.name)).toEqual([
        "work_events_p202609",
        "work_events_p202610",
        "work_events_p202611",
      ]);
      // And months ahead, so that new events have theirs.
      expect(months.length).toBeGreaterThanOrEqual(6);
      expect(months.slice(0, 3).every((p) => Number(p.rows) > 0)).toBe(true);
      expect(Number(partitions.find((p) => p.name === "work_events_default")!.rows)).toBe(0);
      // Every index it had, now on the partitioned table; the id sequence carries on.
      const indexes = await db.raw.query<{ name: string; def: string }>(
        `SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE tablename = 'work_events' ORDER BY indexname`,
      );
      expect(indexes.map((i) => i.name)).toEqual(["work_events_pkey", "work_events_user_key_ts_state_device_key_key"]);
      expect(indexes[0].def).toContain("(id, ts)");
      const maxId = Math.max(...eventsBefore.map((e) => Number(e.id)));
      const late = checkEvent({ user: "bob", state: "working", ts: "2026-11-30T20:00:00Z" }, now);
      if (!late.ok) throw new Error("bad event");
      expect(await new EventStore(db).store([late.event, parsed[0]], now)).toEqual([true, false]);
      const [newest] = await db.raw.query<{ id: number }>(`SELECT MAX(id) AS id FROM work_events`);
      // The sequence carries on (a refused duplicate may use up a number, as before).
      expect(Number(newest.id)).toBeGreaterThan(maxId);
      expect(Number(newest.id)).toBeLessThanOrEqual(maxId + 2);
      await db.raw.execute(`DELETE FROM work_events WHERE id = ?`, [newest.id]);
      await db.raw.execute(`DELETE FROM hours_queue`);

      expect((await runHoursEngine({ trigger: "test", db, rules, rebuild: true })).status).toBe("ok");
      expect(await db.raw.query(reports)).toEqual(reportsBefore);
      expect(await db.raw.query(periods)).toEqual(periodsBefore);
    },
  );

  it("applies nothing and changes nothing when run again", async () => {
    await migrate(db);
    await db.raw.execute(
      `INSERT INTO tracked_users (user_key, display_name, first_seen_at, last_event_at, last_state) VALUES (?, ?, ?, ?, ?)`,
      ["kept", "Kept", new Date(), new Date(), "working"],
    );
    const rowsBefore = await history();
    const tablesBefore = await tableNames();
    expect(await migrate(db)).toEqual([]);
    expect(await migrate(db)).toEqual([]);
    expect(await history()).toEqual(rowsBefore);
    expect(await tableNames()).toEqual(tablesBefore);
    expect(await db.raw.query(`SELECT display_name FROM tracked_users`)).toEqual([{ display_name: "Kept" }]);
  });

  it("reports pending migrations before and applied ones after", async () => {
    const migrations = [
      migration("20260101000000_first", `CREATE TABLE "first_table" ("id" INTEGER NOT NULL PRIMARY KEY);`),
      migration("20260102000000_second", `CREATE TABLE "second_table" ("id" INTEGER NOT NULL PRIMARY KEY);`),
    ];
    expect(await getMigrationStatus(db, migrations)).toEqual({
      applied: [],
      pending: migrations.map((m) => m.name),
      modified: [],
    });
    await migrate(db, migrations.slice(0, 1));
    expect(await getMigrationStatus(db, migrations)).toEqual({
      applied: ["20260101000000_first"],
      pending: ["20260102000000_second"],
      modified: [],
    });
    expect(await migrate(db, migrations)).toEqual(["20260102000000_second"]);
    expect(await getMigrationStatus(db, migrations)).toEqual({
      applied: migrations.map((m) => m.name),
      pending: [],
      modified: [],
    });
  });

  it("reports an applied migration whose file has changed as modified", async () => {
    const original = migration(
      "20260101000000_first",
      `CREATE TABLE "first_table" ("id" INTEGER NOT NULL PRIMARY KEY);`,
    );
    await migrate(db, [original]);
    const edited = migration(original.name, `${original.sql}\n-- edited`);
    expect(await getMigrationStatus(db, [edited])).toEqual({
      applied: [original.name],
      pending: [],
      modified: [original.name],
    });
  });

  it("rolls a failing migration back completely, names it, and keeps the ones before it", async () => {
    const good = migration("20260101000000_good", `CREATE TABLE "good_table" ("id" INTEGER NOT NULL PRIMARY KEY);`);
    const broken = migration(
      "20260102000000_broken",
      `CREATE TABLE "half_table" ("id" INTEGER NOT NULL PRIMARY KEY);\nINSERT INTO "half_table" ("id") VALUES (1);\nCREATE TABLEX oops (;`,
    );
    const after = migration("20260103000000_after", `CREATE TABLE "after_table" ("id" INTEGER NOT NULL PRIMARY KEY);`);

    const error = await migrate(db, [good, broken, after]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).migration).toBe(broken.name);
    expect((error as MigrationError).message).toContain(broken.name);

    expect(await tableNames()).toEqual(["_prisma_migrations", "good_table"]);
    expect((await history()).map((row) => row.migration_name)).toEqual([good.name]);
    expect(await getMigrationStatus(db, [good, broken, after])).toEqual({
      applied: [good.name],
      pending: [broken.name, after.name],
      modified: [],
    });

    // Once fixed, the next run picks up where it stopped.
    const fixed = migration(broken.name, `CREATE TABLE "half_table" ("id" INTEGER NOT NULL PRIMARY KEY);`);
    expect(await migrate(db, [good, fixed, after])).toEqual([fixed.name, after.name]);
    expect(await tableNames()).toEqual(["_prisma_migrations", "after_table", "good_table", "half_table"]);
  });

  it("lets two migrators started together apply each migration once", async () => {
    const second = openDb(testDb.url);
    try {
      const [a, b] = await Promise.all([migrate(db), migrate(second)]);
      const shipped = listMigrations(provider, migrationsDir(provider, ROOT)).map((m) => m.name);
      expect([...a, ...b].sort()).toEqual(shipped);
      expect((await history()).map((row) => row.migration_name)).toEqual(shipped);
    } finally {
      await second.close();
    }
  });
});

describe.runIf(PROVIDERS.includes("postgresql"))("a PostgreSQL migration slower than the pool's query timeout", () => {
  it("is applied, not rolled back on every start", async () => {
    const testDb = await createTestDatabase("postgresql");
    const db = openDb(testDb.url);
    // The server's pool gives up on a query after 60 s; one that gives up after 200 ms stands in for it.
    const impatient = new pg.Pool({ connectionString: testDb.url, query_timeout: 200 });
    try {
      const slow = migration(
        "20990101000000_slow",
        `SELECT pg_sleep(1); CREATE TABLE "slow_table" ("id" INTEGER NOT NULL PRIMARY KEY);`,
      );
      expect(await migrate({ ...db, pool: impatient }, [slow])).toEqual([slow.name]);
      expect(await getMigrationStatus(db, [slow])).toEqual({ applied: [slow.name], pending: [], modified: [] });
      expect(await db.raw.query(`SELECT COUNT(*) AS n FROM "slow_table"`)).toEqual([{ n: "0" }]);
    } finally {
      await impatient.end();
      await db.close();
      await testDb.drop();
    }
  });
});

describe("a SQLite database in a folder that does not exist yet", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "wt-migrate-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("is created, folder and file, and migrated", async () => {
    const file = path.join(dir, "instance", "nested", "work_events.db");
    expect(existsSync(path.dirname(file))).toBe(false);
    const db = openDb(`file:${file}`);
    try {
      const applied = await migrate(db);
      expect(applied.length).toBeGreaterThan(0);
      expect(existsSync(file)).toBe(true);
      expect(await getMigrationStatus(db)).toMatchObject({ pending: [] });
    } finally {
      await db.close();
    }
  });
});
