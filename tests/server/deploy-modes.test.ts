import { spawn } from "node:child_process";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tokensFor } from "../helpers/credentials";
import { createTestDatabase, PROVIDERS, type TestDatabase } from "../helpers/databases";
import { freePort, ROOT, startServer } from "../helpers/server";

// Every 2 seconds (node-cron's six-field form), so the schedule shows itself within a test.
const FAST_CRON = "*/2 * * * * *";
const T0 = Date.parse("2026-03-02T05:00:00Z");

type Auth = { ingest: Record<string, string>; read: Record<string, string> };

async function postWorkday(url: string, auth: Auth, user: string) {
  const events = Array.from({ length: 46 }, (_, i) => ({
    user,
    state: "working",
    ts: new Date(T0 + i * 60_000).toISOString(),
  }));
  events.push({ user, state: "stopped", ts: new Date(T0 + 45 * 60_000).toISOString() });
  const res = await fetch(`${url}/api/report`, {
    method: "POST",
    headers: { ...auth.ingest, "content-type": "application/json" },
    body: JSON.stringify({ events }),
  });
  expect(res.status).toBe(201);
}

async function realHours(url: string, auth: Auth, user: string): Promise<unknown[]> {
  const res = await fetch(`${url}/api/reports/real_work_hours?username=${encodeURIComponent(user)}`, {
    headers: auth.read,
  });
  return (await res.json()).data;
}

async function waitForRow(url: string, auth: Auth, user: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await realHours(url, auth, user);
    if (rows.length) return rows;
    if (Date.now() > deadline) throw new Error(`no Real Work Hours row for ${user} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const expected = [{ username: "Ana", work_date: "2026-03-02", real_hours_counted: 1 }];

describe.each(PROVIDERS)("keeping the figures current on %s", (provider) => {
  let database: TestDatabase | undefined;
  const stops: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
    await database?.drop();
  });

  it("npm start: server.ts runs the engine on PROCESS_CRON", async () => {
    database = await createTestDatabase(provider);
    const auth = await tokensFor(database.url);
    const server = await startServer({
      DATABASE_URL: database.url,
      PROCESS_CRON: FAST_CRON,
      REPORT_TIMEZONE: "Asia/Dubai",
    });
    stops.push(() => server.stop());
    await postWorkday(server.url, auth, "Ana");
    expect(await waitForRow(server.url, auth, "ana")).toMatchObject(expected);
  });

  it("a plain next start runs the same schedule from instrumentation.ts", async () => {
    database = await createTestDatabase(provider);
    const auth = await tokensFor(database.url);
    const port = await freePort();
    const child = spawn(path.join(ROOT, "node_modules/.bin/next"), ["start", "-p", String(port), "-H", "127.0.0.1"], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        PROCESS_CRON: FAST_CRON,
        REPORT_TIMEZONE: "Asia/Dubai",
        LOG_LEVEL: "warn",
      },
      stdio: "ignore",
    });
    stops.push(
      () =>
        new Promise((resolve) =>
          child.exitCode !== null ? resolve(null) : (child.once("exit", resolve), child.kill("SIGTERM")),
        ),
    );
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    while (
      !(await fetch(`${url}/api/health`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error("next start did not come up");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await postWorkday(url, auth, "Ana");
    expect(await waitForRow(url, auth, "ana")).toMatchObject(expected);
  });

  it("serverless: the engine route runs only for the CRON_SECRET bearer", async () => {
    database = await createTestDatabase(provider);
    const secret = "a-long-enough-cron-secret";
    const auth = await tokensFor(database.url);
    const server = await startServer({ DATABASE_URL: database.url, PROCESS_CRON: "off", CRON_SECRET: secret });
    stops.push(() => server.stop());
    await postWorkday(server.url, auth, "Ana");
    const route = `${server.url}/api/cron/process-real-hours`;

    const anonymous = await fetch(route);
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error.code).toBe("unauthorized");
    const wrong = await fetch(route, { headers: { authorization: "Bearer not-the-secret" } });
    expect(wrong.status).toBe(401);
    expect(await realHours(server.url, auth, "ana")).toEqual([]);

    const res = await fetch(route, { headers: { authorization: `Bearer ${secret}` } });
    expect(res.status).toBe(200);
    expect((await res.json()).data).toMatchObject({ status: "ok", users: 1, events: 47 });
    expect(await realHours(server.url, auth, "ana")).toMatchObject(expected);
    const health = await (await fetch(`${server.url}/api/health`)).json();
    expect(health.data.engine.last_run).toMatchObject({ status: "ok", events_processed: 47 });
  });

  it("keeps the engine route closed when no CRON_SECRET is set", async () => {
    database = await createTestDatabase(provider);
    const server = await startServer({ DATABASE_URL: database.url, PROCESS_CRON: "off" });
    stops.push(() => server.stop());
    const res = await fetch(`${server.url}/api/cron/process-real-hours`, {
      headers: { authorization: "Bearer anything-at-all-here" },
    });
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe("cron_disabled");
  });
});
