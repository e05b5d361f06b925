import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { terminate } from "../helpers/processes";
import { freePort, ROOT, startServer } from "../helpers/server";

type Exit = { code: number | null; signal: string | null; stdout: string; stderr: string; ms: number };

/** Runs `tsx server.ts` with `env` and waits for it to exit (or kills it after `timeoutMs`). */
async function runServer(env: Record<string, string>, timeoutMs = 30_000): Promise<Exit> {
  const started = Date.now();
  const child = spawn(path.join(ROOT, "node_modules/.bin/tsx"), ["server.ts"], {
    cwd: ROOT,
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: String(await freePort()),
      PROCESS_CRON: "off",
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
    child.once("close", (c, s) => resolve([c, s])),
  );
  clearTimeout(timer);
  return { code, signal, stdout, stderr, ms: Date.now() - started };
}

/** The process failed fast, wrote exactly one line to stderr and no stack trace; returns the line. */
function expectOneLineFailure(exit: Exit): string {
  const where = JSON.stringify(exit);
  expect(exit.signal, where).toBeNull();
  expect(exit.code, where).not.toBe(0);
  expect(exit.ms, where).toBeLessThan(20_000);
  const lines = exit.stderr.split("\n").filter((line) => line.trim());
  expect(lines, where).toHaveLength(1);
  expect(exit.stderr + exit.stdout, where).not.toMatch(/^\s+at /m);
  expect(exit.stdout, "nothing claims to be listening").not.toMatch(/listening/);
  return lines[0];
}

describe("starting server.ts with a bad setting", () => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), "wt-startup-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const sqliteUrl = `file:${path.join(scratch, "unused.db")}`;

  it.each([
    ["PORT", { PORT: "abc", DATABASE_URL: sqliteUrl }],
    ["REPORT_TIMEZONE", { REPORT_TIMEZONE: "Mars/Olympus", DATABASE_URL: sqliteUrl }],
    ["DATABASE_URL", { DATABASE_URL: "mysql://x" }],
  ])("exits non-zero with one line naming %s and no stack trace", async (setting, env) => {
    const line = expectOneLineFailure(await runServer(env));
    expect(line).toContain(setting);
    expect(existsSync(path.join(scratch, "unused.db")), "refused before touching the database").toBe(false);
  });

  it.each([
    [
      "a direction override",
      "adm\u202eni",
      "must not contain invisible or direction-changing characters (found U+202E)",
    ],
    ["a zero-width space", "ad\u200bmin", "must not contain invisible or direction-changing characters (found U+200B)"],
    ["a control character", "ad\u0007min", "must not contain control characters (found U+0007)"],
    ["65 characters", "a".repeat(65), "must be at most 64 characters"],
  ])(
    "refuses an ADMIN_USERNAME with %s in one plain line naming it, before touching the database",
    async (_what, name, rule) => {
      const line = expectOneLineFailure(
        await runServer({ ADMIN_USERNAME: name, ADMIN_PASSWORD: "a long enough password", DATABASE_URL: sqliteUrl }),
      );
      expect(line.startsWith(`Invalid configuration: ADMIN_USERNAME ${rule} (got "`), line).toBe(true);
      // The bad character is named, never printed, so it cannot reorder or break the line.
      expect(line).toMatch(/^[\x20-\x7e]+$/);
      expect(existsSync(path.join(scratch, "unused.db")), "refused before touching the database").toBe(false);
    },
  );

  it("exits non-zero with one line when the database cannot be reached", async () => {
    const line = expectOneLineFailure(
      await runServer({ DATABASE_URL: `postgresql://nobody@127.0.0.1:${await freePort()}/none` }),
    );
    expect(line).toMatch(/^Cannot start: the database in DATABASE_URL cannot be reached \(/);
  });

  it("creates the SQLite file and the folders leading to it", { timeout: 90_000 }, async () => {
    const file = path.join(scratch, "not", "yet", "there", "work_events.db");
    expect(existsSync(path.dirname(file))).toBe(false);
    const server = await startServer({ DATABASE_URL: `file:${file}` });
    try {
      expect(existsSync(file)).toBe(true);
      const health = await (await fetch(`${server.url}/api/health`)).json();
      expect(health.data.database).toMatchObject({
        status: "up",
        provider: "sqlite",
        migrations: { status: "current" },
      });
    } finally {
      expect(await terminate(server)).toBe(0);
    }
  });
});
