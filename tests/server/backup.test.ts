import { spawn } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqlitePathFromUrl } from "@/lib/config";
import { openDb } from "@/lib/db";
import { libpqEnvironment } from "@/lib/db/backup";
import { getMigrationStatus } from "@/lib/db/migrator";
import { tokensFor } from "../helpers/credentials";
import { createTestDatabase, PROVIDERS, type TestDatabase } from "../helpers/databases";
import { EventStream, eventKey, missingEvents, storedEventKeys } from "../helpers/event-stream";
import { killTree, terminate } from "../helpers/processes";
import { ROOT, startServer, type RunningServer } from "../helpers/server";

type Run = { code: number | null; stdout: string; stderr: string };

/** A child process to the end, without blocking this one: the event stream keeps posting meanwhile. */
function run(
  command: string,
  args: string[],
  env: Record<string, string | undefined>,
  account: { uid?: number; gid?: number } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: env as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
      ...account,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** `npm run backup -- ...args` against `databaseUrl`, as node runs it (no npm in between). */
const backup = (
  databaseUrl: string,
  args: string[],
  env: Record<string, string> = {},
  account: { uid?: number; gid?: number } = {},
) =>
  run(
    process.execPath,
    ["--import", "tsx", "scripts/backup.ts", ...args],
    { ...process.env, LOG_LEVEL: "warn", DATABASE_URL: databaseUrl, ...env },
    account,
  );

/** What the operator does to restore (docs/operations.md): the file into place, or pg_restore into an empty database. */
async function restore(backupFile: string, into: TestDatabase): Promise<void> {
  if (into.provider === "sqlite") return copyFileSync(backupFile, sqlitePathFromUrl(into.url, ROOT));
  const env = libpqEnvironment(into.url);
  const result = await run(
    "pg_restore",
    ["--no-owner", "--exit-on-error", "--no-password", `--dbname=${env.PGDATABASE}`, backupFile],
    env,
  );
  expect(result.code, result.stderr).toBe(0);
}

const REPORT_ENV = { REPORT_TIMEZONE: "UTC", CRON_SECRET: "backup-test-cron-secret" };

describe.each(PROVIDERS)("npm run backup on %s, while the server ingests", (provider) => {
  let source: TestDatabase;
  let restored: TestDatabase | undefined;
  let server: RunningServer | undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), "wt-backup-"));
  beforeAll(async () => {
    source = await createTestDatabase(provider);
  });
  afterAll(async () => {
    if (server) killTree(server.child.pid!, "SIGKILL");
    await source?.drop();
    await restored?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    "copies every event acknowledged before it began; the copy restores, is consistent and serves",
    { timeout: 240_000 },
    async () => {
      const { ingest, read } = await tokensFor(source.url);
      server = await startServer({ DATABASE_URL: source.url, ...REPORT_ENV });
      const stream = new EventStream(server.url, { prefix: `bk-${provider}`, concurrency: 8, headers: ingest });
      await stream.waitForAcks(3000, 90_000);
      const before = [...stream.summary.acked];
      const file = path.join(dir, provider === "sqlite" ? "work-tracing.db" : "work-tracing.dump");
      const made = await backup(source.url, ["--out", file]);
      expect(made.code, made.stderr).toBe(0);
      expect(stream.acked, "events acknowledged while the backup ran").toBeGreaterThan(before.length);
      expect(made.stdout).toMatch(/^Backed up the (SQLite|PostgreSQL) database .+ to .+ \(\d+\.\d MB, \d+\.\d s\)\n$/);
      // The server went on answering while and after the copy was made.
      await stream.waitForAcks(300, 60_000);
      const summary = await stream.stop();
      expect(summary.statuses, JSON.stringify(stream.report())).toEqual({ 201: expect.any(Number) });
      expect(await terminate(server)).toBe(0);
      server = undefined;

      // Only the finished copy, the account's alone; nothing half-written beside it.
      expect(readdirSync(dir)).toEqual([path.basename(file)]);
      expect(statSync(file).mode & 0o777).toBe(0o600);

      restored = await createTestDatabase(provider);
      await restore(file, restored);

      const missing = await missingEvents(provider, restored.url, before);
      expect(missing.length, `${missing.length} of ${before.length} acknowledged events missing from the copy`).toBe(0);
      const sent = new Set(summary.acked.map((e) => eventKey(e.user, Date.parse(e.ts), e.state)));
      const copied = await storedEventKeys(provider, restored.url);
      expect(
        [...copied].filter((key) => !sent.has(key)),
        "events in the copy the server never stored",
      ).toEqual([]);

      const db = openDb(restored.url);
      try {
        const tables =
          provider === "sqlite"
            ? await db.raw.query<{ name: string }>(
                `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`,
              )
            : await db.raw.query<{ name: string }>(
                `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1`,
              );
        expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(["work_events", "accounts", "api_tokens"]));
        for (const { name } of tables) await db.raw.query(`SELECT COUNT(*) AS n FROM "${name}"`);
        if (provider === "sqlite") expect(db.sqlite!.pragma("integrity_check", { simple: true })).toBe("ok");
        expect(await getMigrationStatus(db)).toMatchObject({ pending: [], modified: [] });
      } finally {
        await db.close();
      }

      // The server starts on the copy, with the tokens it holds, and reports what was copied.
      server = await startServer({ DATABASE_URL: restored.url, ...REPORT_ENV });
      const health = await (await fetch(`${server.url}/api/health`)).json();
      expect(health.data.database).toMatchObject({ status: "up", migrations: { status: "current" } });
      const engine = await fetch(`${server.url}/api/cron/process-real-hours`, {
        headers: { authorization: `Bearer ${REPORT_ENV.CRON_SECRET}` },
      });
      expect(engine.status).toBe(200);
      const users = new Set(before.map((e) => e.user));
      const listed = await fetch(`${server.url}/api/users`, { headers: read });
      expect(listed.status).toBe(200);
      const names = ((await listed.json()).data as { username: string }[]).map((u) => u.username);
      expect(names).toEqual(expect.arrayContaining([...users]));
      const date = before[0].ts.slice(0, 10);
      const report = await fetch(`${server.url}/api/reports/summary?period=day&date=${date}`, { headers: read });
      expect(report.status).toBe(200);
      const rows = (await report.json()).data as { username: string }[];
      expect(rows.map((r) => r.username)).toEqual(expect.arrayContaining([...users]));
      expect(await terminate(server)).toBe(0);
      server = undefined;
    },
  );
});

describe("npm run backup, when it cannot", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "wt-backup-errors-"));
  let sqlite: TestDatabase;
  beforeAll(async () => {
    sqlite = await createTestDatabase("sqlite");
    const db = openDb(sqlite.url);
    await db.close();
  });
  afterAll(async () => {
    await sqlite?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const oneLine = (result: Run, pattern: RegExp) => {
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(pattern);
  };

  it("asks for --out, with the usage line and exit code 2", async () => {
    const result = await backup(sqlite.url, []);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--out is required");
    expect(result.stderr).toContain("usage: backup --out FILE");
  });

  it("names a destination folder that does not exist, or a destination that is a folder, and writes nothing", async () => {
    oneLine(
      await backup(sqlite.url, ["--out", path.join(dir, "missing", "copy.db")]),
      /^Backup failed: The destination folder .*missing does not exist$/m,
    );
    oneLine(await backup(sqlite.url, ["--out", dir]), /^Backup failed: .* is a folder: give --out a file name$/m);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("names a SQLite database that is not there, rather than creating an empty one", async () => {
    const absent = path.join(dir, "absent.db");
    oneLine(
      await backup(`file:${absent}`, ["--out", path.join(dir, "copy.db")]),
      /^Backup failed: There is no SQLite database at .*absent\.db/m,
    );
    expect(existsSync(absent)).toBe(false);
  });

  it.runIf(process.getuid?.() === 0)(
    "run as another account: names a destination it cannot write, and will not touch a database it does not own",
    async () => {
      const nobody = { uid: 65534, gid: 65534 };
      const shared = mkdtempSync(path.join(os.tmpdir(), "wt-backup-accounts-"));
      try {
        chmodSync(shared, 0o755);
        const locked = path.join(shared, "locked");
        const open = path.join(shared, "open");
        mkdirSync(locked, { mode: 0o755 });
        mkdirSync(open);
        chmodSync(open, 0o1777);
        const database = `file:${path.join(shared, "work_events.db")}`;
        await openDb(database).close();
        oneLine(
          await backup(database, ["--out", path.join(locked, "copy.db")], {}, nobody),
          /^Backup failed: The destination folder .*locked is not writable by this account$/m,
        );
        oneLine(
          await backup(database, ["--out", path.join(open, "copy.db")], {}, nobody),
          /^Backup failed: Run the backup as the account that owns .*work_events\.db \(uid 0\)/m,
        );
        // SQLite would have made -wal and -shm files the server's account could not open.
        expect(readdirSync(shared).sort()).toEqual(["locked", "open", "work_events.db"]);
        expect(readdirSync(open)).toEqual([]);
      } finally {
        rmSync(shared, { recursive: true, force: true });
      }
    },
  );

  it("says how to get pg_dump when it is not installed", async () => {
    // PATH holds nothing at all: node is started by its full path.
    const empty = mkdtempSync(path.join(dir, "path-"));
    oneLine(
      await backup("postgresql://someone:secret@127.0.0.1:5432/db", ["--out", path.join(dir, "copy.dump")], {
        PATH: empty,
      }),
      /^Backup failed: pg_dump was not found: install PostgreSQL's client tools .*--pg-dump$/m,
    );
  });

  it("gives pg_dump the password in its environment, never on its command line or in what it prints", async () => {
    const fake = path.join(dir, "fake-pg-dump");
    const seen = path.join(dir, "seen");
    // Records how it was called, then writes a "dump" where --file says.
    writeFileSync(
      fake,
      `#!/bin/sh\nprintf '%s\\n' "$@" > '${seen}.args'\nprintf '%s' "$PGPASSWORD|$PGUSER|$PGHOST|$PGPORT|$PGDATABASE|$PGSSLMODE" > '${seen}.env'\nfor a in "$@"; do case "$a" in --file=*) printf dump > "\${a#--file=}";; esac; done\n`,
    );
    chmodSync(fake, 0o755);
    const out = path.join(dir, "fake.dump");
    const result = await backup(
      "postgresql://wt%20user:p%40ss%3Aw0rd@db.internal:6543/work_tracing?sslmode=require",
      ["--out", out, "--pg-dump", fake],
      { PGPASSWORD: "inherited-and-ignored" },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(`${seen}.env`, "utf8")).toBe("p@ss:w0rd|wt user|db.internal|6543|work_tracing|require");
    const args = readFileSync(`${seen}.args`, "utf8");
    expect(args).toContain("--format=custom");
    expect(args).not.toMatch(/p@ss|w0rd|postgresql:/);
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/p@ss|w0rd/);
    expect(readFileSync(out, "utf8")).toBe("dump");
  });
});
