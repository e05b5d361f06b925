import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, type Db } from "@/lib/db";
import { EventStore } from "@/lib/ingest/store";
import { runHoursEngine } from "@/lib/hours/run";
import { migrate } from "@/lib/db/migrator";
import { createTestDatabase, PROVIDERS, type TestDatabase } from "../helpers/databases";
import { ROOT } from "../helpers/server";

const T0 = Date.parse("2026-03-02T05:00:00Z");
const DAY = 86_400_000;

function runScript(databaseUrl: string, ...args: string[]) {
  const result = spawnSync(process.execPath, ["--import", "tsx", "scripts/process-real-hours.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, REPORT_TIMEZONE: "Asia/Dubai", LOG_LEVEL: "warn" },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** 50 minutes of one-minute heartbeats on each of three days, for two users. */
function workdays() {
  return ["Ana", "Ben"].flatMap((username) =>
    [0, 1, 2].flatMap((day) =>
      Array.from({ length: 51 }, (_, minute) => ({
        userKey: username.toLowerCase(),
        username,
        state: "working" as const,
        ts: T0 + day * DAY + minute * 60_000,
      })),
    ),
  );
}

describe.each(PROVIDERS)("scripts/process-real-hours.ts on %s", (provider) => {
  let database: TestDatabase;
  let db: Db;
  const rows = () =>
    db.raw.query<{ username: string; work_date: string; real_hours_counted: number }>(
      "SELECT username, work_date, real_hours_counted FROM user_real_work_summary ORDER BY username, work_date",
    );

  beforeAll(async () => {
    database = await createTestDatabase(provider);
    db = openDb(database.url);
    await migrate(db);
    await new EventStore(db).store(workdays(), Date.now());
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it("processes what is pending and says what it did", async () => {
    const { code, stdout } = runScript(database.url);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Processed 2 user\(s\) from 306 event\(s\)/);
    expect((await rows()).map((r) => `${r.username} ${r.work_date} ${r.real_hours_counted}`)).toEqual([
      "Ana 2026-03-02 1",
      "Ana 2026-03-03 1",
      "Ana 2026-03-04 1",
      "Ben 2026-03-02 1",
      "Ben 2026-03-03 1",
      "Ben 2026-03-04 1",
    ]);
  });

  it("rebuilds only the dates and the user asked for", async () => {
    await db.raw.execute("DELETE FROM user_real_work_summary");
    const { code, stdout, stderr } = runScript(
      database.url,
      "--rebuild",
      "--from",
      "2026-03-03",
      "--to",
      "2026-03-04",
      "--user",
      "ANA",
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/Rebuilt 1 user\(s\)/);
    expect(stderr).toMatch(/1\/1 device streams/);
    expect((await rows()).map((r) => `${r.username} ${r.work_date}`)).toEqual(["Ana 2026-03-03", "Ana 2026-03-04"]);
    expect(runScript(database.url, "--rebuild").code).toBe(0);
    expect(await rows()).toHaveLength(6);
  });

  it("skips a run while another is in progress in the same process, rather than stacking it", async () => {
    const rules = { gapMs: 15 * 60_000, blockMs: 40 * 60_000, timeZone: "Asia/Dubai" };
    const [first, second] = await Promise.all([
      runHoursEngine({ trigger: "test", db, rules, rebuild: true }),
      runHoursEngine({ trigger: "test", db, rules, rebuild: true }),
    ]);
    expect(first.status).toBe("ok");
    expect(second).toEqual({ status: "skipped", reason: "a run is already in progress in this process" });
  });
});

// Options are checked before the database is opened, so once is enough for both providers.
describe("scripts/process-real-hours.ts with bad options", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "wt-script-options-"));
  const databaseFile = path.join(dir, "never.db");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses bad options with a clear line and exit code 2", () => {
    for (const [args, message] of [
      [["--from", "2026-03-01"], "add --rebuild"],
      [["--rebuild", "--from", "2026-02-30"], "--from must be a date written YYYY-MM-DD"],
      [["--rebuild", "--from", "2026-03-05", "--to", "2026-03-01"], "--to is before --from"],
      [["--bogus"], "Unknown option"],
    ] as const) {
      const { code, stderr } = runScript(`file:${databaseFile}`, ...args);
      expect(code).toBe(2);
      expect(stderr).toContain(message);
    }
    expect(existsSync(databaseFile), "the database was not touched").toBe(false);
  }, 120_000);
});

describe("scripts/process-real-hours.ts when the database is unreachable", () => {
  it("fails with a non-zero exit and one line", () => {
    const { code, stderr } = runScript("postgresql://nobody:x@127.0.0.1:1/none");
    expect(code).toBe(1);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(/^Processing failed: /);
  });
});
