import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb } from "@/lib/db";
import { bearer, ingestTokenFor } from "../helpers/credentials";
import { createTestDatabase, PROVIDERS, type TestDatabase } from "../helpers/databases";
import { EventStream, missingEvents, type StreamEvent } from "../helpers/event-stream";
import { killTree, terminate, waitUntilGone } from "../helpers/processes";
import { startServer, type RunningServer } from "../helpers/server";

// A 201 promises the event is committed (DESIGN §4): killing the process at any moment must
// not lose one.
describe.each(PROVIDERS)("a crash during ingest on %s", (provider) => {
  let database: TestDatabase;
  let server: RunningServer | undefined;
  beforeAll(async () => {
    database = await createTestDatabase(provider);
  });
  afterAll(async () => {
    if (server) killTree(server.child.pid!, "SIGKILL");
    await database?.drop();
  });

  it("keeps every event answered 201 after SIGKILL and a restart", { timeout: 180_000 }, async () => {
    const acked: StreamEvent[] = [];
    const auth = bearer(await ingestTokenFor(database.url));
    server = await startServer({ DATABASE_URL: database.url });
    // Two crashes, the second on a database that has already recovered from the first.
    for (const [round, ackedBeforeKill] of [
      [1, 300],
      [2, 700],
    ]) {
      const stream = new EventStream(server.url, { prefix: `crash${round}`, concurrency: 16, headers: auth });
      await stream.waitForAcks(ackedBeforeKill, 60_000);
      // Kill the whole tree in the middle of the stream: tsx and the node process serving.
      const pids = killTree(server.child.pid!, "SIGKILL");
      const [summary, gone] = await Promise.all([stream.stop(), waitUntilGone(pids, 10_000)]);
      expect(gone).toBe(true);
      expect(summary.statuses, JSON.stringify(stream.report())).toEqual({ 201: expect.any(Number) });
      expect(summary.miscounted).toBe(0);
      expect(summary.errors.ECONNRESET ?? 0, "requests in flight when killed").toBeGreaterThan(0);
      acked.push(...summary.acked);
      server = await startServer({ DATABASE_URL: database.url });
    }

    const health = await (await fetch(`${server.url}/api/health`)).json();
    expect(health.data.database).toMatchObject({ status: "up", migrations: { status: "current" } });
    const missing = await missingEvents(provider, database.url, acked);
    expect(
      missing.length,
      `${missing.length} of ${acked.length} acknowledged events lost, e.g. ${JSON.stringify(missing.slice(0, 3))}`,
    ).toBe(0);

    // The derived tables were written in the same transactions as the events.
    const db = openDb(database.url);
    try {
      const users = await db.raw.query<{ user_key: string }>(`SELECT user_key FROM tracked_users`);
      const queued = await db.raw.query<{ user_key: string }>(`SELECT user_key FROM hours_queue`);
      const ackedUsers = new Set(acked.map((e) => e.user));
      for (const user of ackedUsers) {
        expect(users.map((u) => u.user_key)).toContain(user);
        expect(queued.map((u) => u.user_key)).toContain(user);
      }
    } finally {
      await db.close();
    }

    const after = await fetch(`${server.url}/api/report`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ user: "crash-after", state: "working" }),
    });
    expect(after.status).toBe(201);
    expect(await terminate(server)).toBe(0);
    server = undefined;
  });
});
