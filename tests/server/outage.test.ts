import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqlitePathFromUrl } from "@/lib/config";
import { bearer, ingestTokenFor } from "../helpers/credentials";
import { createTestDatabase, PROVIDERS, type TestDatabase } from "../helpers/databases";
import { EventStream, missingEvents, type Answer, type StreamSummary } from "../helpers/event-stream";
import { killTree, terminate } from "../helpers/processes";
import { startServer, type RunningServer } from "../helpers/server";
import { TcpProxy } from "../helpers/tcp-proxy";

// lib/db/index.ts's SQLITE_BUSY_TIMEOUT_MS, lib/ingest/store.ts's POSTGRES_COMMIT_DEADLINE_MS and
// lib/errors.ts's RETRY_AFTER_SECONDS.
const BUSY_TIMEOUT_MS = 5000;
const COMMIT_DEADLINE_MS = 10_000;
const RETRY_AFTER = "5";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The ingest token of the database under test (made in beforeAll). */
let auth: Record<string, string> = {};

async function post(url: string, user: string): Promise<Answer> {
  const res = await fetch(`${url}/api/report`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ user, state: "working", ts: new Date().toISOString() }),
  });
  return {
    status: res.status,
    retryAfter: res.headers.get("retry-after") ?? undefined,
    contentType: res.headers.get("content-type") ?? undefined,
    body: await res.json(),
  };
}

async function health(url: string): Promise<number> {
  return (await fetch(`${url}/api/health`)).status;
}

async function until<T>(
  what: string,
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await sleep(200);
  }
}

function expectUnavailable(answer: Answer) {
  expect(answer.status).toBe(503);
  expect(answer.retryAfter).toBe(RETRY_AFTER);
  expect(answer.contentType).toMatch(/^application\/json/);
  expect(answer.body).toEqual({ success: false, error: { code: "database_unavailable", message: expect.any(String) } });
}

/** While the database is away the stream sees 201 or 503, never anything else, and loses nothing. */
async function expectNothingLost(
  provider: TestDatabase["provider"],
  url: string,
  summary: StreamSummary,
  report: string,
) {
  expect(Object.keys(summary.statuses).sort(), report).toEqual(["201", "503"]);
  expect(summary.errors, report).toEqual({});
  expect(summary.miscounted).toBe(0);
  for (const sample of summary.samples) expectUnavailable(sample);
  const missing = await missingEvents(provider, url, summary.acked);
  expect(missing, `${missing.length} of ${summary.acked.length} acknowledged events lost`).toEqual([]);
}

describe.each(PROVIDERS)("a database that goes away, on %s", (provider) => {
  let database: TestDatabase;
  let server: RunningServer | undefined;
  let proxy: TcpProxy | undefined;
  let lock: Database.Database | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(provider);
    auth = bearer(await ingestTokenFor(database.url));
  });
  afterAll(async () => {
    if (lock?.open) lock.close();
    if (server) killTree(server.child.pid!, "SIGKILL");
    await proxy?.close();
    await database?.drop();
  });

  // PostgreSQL goes away behind a proxy: first every connection reset and new ones refused,
  // then every connection left open with nothing passing.
  const postgresOutage = async () => {
    const target = new URL(database.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    server = await startServer({ DATABASE_URL: proxy.proxied(database.url) });
    const stream = new EventStream(server.url, { prefix: "outage", concurrency: 8, headers: auth });
    await stream.waitForAcks(200);

    await proxy.cut();
    expectUnavailable(
      await until(
        "POST while cut",
        () => post(server!.url, "outage-probe"),
        (a) => a.status !== 201,
        15_000,
      ),
    );
    const down = await fetch(`${server.url}/api/health`);
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBe(RETRY_AFTER);
    expect(await down.json()).toMatchObject({
      success: false,
      error: { code: "database_unavailable" },
      data: { database: { status: "down" } },
    });
    await sleep(2000);
    expectUnavailable(await post(server.url, "outage-probe"));

    await proxy.restore();
    await until(
      "POST after restore",
      () => post(server!.url, "outage-probe"),
      (a) => a.status === 201,
      30_000,
    );
    await until(
      "health after restore",
      () => health(server!.url),
      (status) => status === 200,
      30_000,
    );
    await stream.waitForAcks(200);

    // A network cut without resets: the commit in flight gives up after its deadline instead
    // of holding every later request forever.
    proxy.stall();
    const stalledAt = Date.now();
    expectUnavailable(
      await until(
        "POST while stalled",
        () => post(server!.url, "outage-probe"),
        (a) => a.status !== 201,
        60_000,
      ),
    );
    expect(Date.now() - stalledAt).toBeLessThan(COMMIT_DEADLINE_MS * 3);
    await proxy.restore();
    await until(
      "POST after the stall",
      () => post(server!.url, "outage-probe"),
      (a) => a.status === 201,
      30_000,
    );
    await stream.waitForAcks(200);
    const summary = await stream.stop();
    const report = JSON.stringify(stream.report());
    expect(summary.statuses[503], report).toBeGreaterThan(0);
    await expectNothingLost(provider, database.url, summary, report);
    expect(await terminate(server)).toBe(0);
    server = undefined;
  };

  // SQLite "goes away" when another process holds the write lock past the busy timeout.
  const sqliteOutage = async () => {
    server = await startServer({ DATABASE_URL: database.url });
    const stream = new EventStream(server.url, { prefix: "outage", concurrency: 8, headers: auth });
    await stream.waitForAcks(200);

    lock = new Database(sqlitePathFromUrl(database.url));
    lock.exec("BEGIN EXCLUSIVE");
    const lockedAt = Date.now();
    // The server's writes wait out the busy timeout, then fail as unavailable.
    await until(
      "503 while locked",
      async () => stream.summary.statuses[503] ?? 0,
      (n) => n > 0,
      BUSY_TIMEOUT_MS * 4,
    );
    await sleep(Math.max(0, BUSY_TIMEOUT_MS + 1000 - (Date.now() - lockedAt)));
    lock.exec("ROLLBACK");
    lock.close();

    await until(
      "POST after the lock",
      () => post(server!.url, "outage-probe"),
      (a) => a.status === 201,
      30_000,
    );
    expect(await health(server.url)).toBe(200);
    await stream.waitForAcks(200);
    const summary = await stream.stop();
    await expectNothingLost(provider, database.url, summary, JSON.stringify(stream.report()));
    expect(await terminate(server)).toBe(0);
    server = undefined;
  };

  it(
    "answers 503 with Retry-After while the database is away, recovers by itself and loses nothing",
    { timeout: 120_000 },
    () => (provider === "postgresql" ? postgresOutage() : sqliteOutage()),
  );
});
