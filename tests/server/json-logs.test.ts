import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bearer, ingestTokenFor } from "../helpers/credentials";
import { terminate } from "../helpers/processes";
import { freePort, ROOT, startServer } from "../helpers/server";

type Entry = { time: string; level: string; msg: string } & Record<string, unknown>;

/** Every line the process wrote, each of which must be one JSON object with time, level and msg. */
function jsonLines(output: string): Entry[] {
  const lines = output.split("\n").filter((line) => line.trim());
  expect(lines.length).toBeGreaterThan(0);
  return lines.map((line) => {
    let entry: Entry;
    try {
      entry = JSON.parse(line);
    } catch {
      throw new Error(`not a JSON line: ${line}`);
    }
    expect(entry, line).toEqual(expect.any(Object));
    expect(new Date(entry.time).toISOString(), line).toBe(entry.time);
    expect(["debug", "info", "warn", "error"], line).toContain(entry.level);
    expect(typeof entry.msg, line).toBe("string");
    return entry;
  });
}

describe("LOG_FORMAT=json", () => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), "wt-json-logs-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("writes every line of a real start, requests, an engine run and a stop as one JSON object", async () => {
    const url = `file:${path.join(scratch, "work_events.db")}`;
    const token = await ingestTokenFor(url);
    const server = await startServer({
      DATABASE_URL: url,
      LOG_FORMAT: "json",
      LOG_LEVEL: "info",
      PROCESS_CRON: "*/15 * * * *",
      ADMIN_USERNAME: "admin",
      ADMIN_PASSWORD: "a long enough password",
    });
    let code: number | string;
    try {
      const sent = await fetch(`${server.url}/api/report`, {
        method: "POST",
        headers: { ...bearer(token), "content-type": "application/json" },
        body: JSON.stringify({ user: "CORP\\alice", state: "working" }),
      });
      expect(sent.status).toBe(201);
      expect((await fetch(`${server.url}/api/report`, { method: "POST", body: "{" })).status).toBe(401);
      expect((await fetch(`${server.url}/`)).status).toBeLessThan(500);
    } finally {
      code = await terminate(server);
    }
    expect(code).toBe(0);
    const entries = jsonLines(server.output());
    const messages = entries.map((entry) => entry.msg);
    expect(messages).toContain("database ready");
    expect(messages).toContain("first admin account created from ADMIN_USERNAME");
    expect(messages).toContain("hours engine scheduled");
    expect(messages.some((msg) => msg.startsWith("work-tracing listening on http://127.0.0.1:"))).toBe(true);
    expect(messages).toContain("stopped");
    // Fields are the object's own keys, beside time, level and msg.
    expect(entries.find((entry) => entry.msg === "database ready")).toMatchObject({
      level: "info",
      provider: "sqlite",
      timezone: expect.any(String),
    });
    expect(entries.find((entry) => entry.msg === "shutting down")).toMatchObject({ signal: "SIGTERM" });
  }, 120_000);

  it("writes the one line of a start that cannot go on as JSON too", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "server.ts"], {
      cwd: ROOT,
      env: {
        ...process.env,
        LOG_FORMAT: "json",
        PORT: "not-a-port",
        DATABASE_URL: `file:${path.join(scratch, "unused.db")}`,
      },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    const [entry, ...more] = jsonLines(result.stderr);
    expect(more).toEqual([]);
    expect(entry.level).toBe("error");
    expect(entry.msg).toMatch(/^Invalid configuration: PORT must be a whole number/);
  });

  it("is refused, when it is neither text nor json, in one plain line naming LOG_FORMAT", async () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "server.ts"], {
      cwd: ROOT,
      env: {
        ...process.env,
        LOG_FORMAT: "xml",
        PORT: String(await freePort()),
        DATABASE_URL: `file:${path.join(scratch, "unused.db")}`,
      },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      'Invalid configuration: LOG_FORMAT must be text or json (got "xml")',
    ]);
  });
});
