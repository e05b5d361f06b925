import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, ingestTokenFor } from "../helpers/credentials";
import { createTestDatabase, type TestDatabase } from "../helpers/databases";
import { killTree } from "../helpers/processes";
import { startServer, type RunningServer } from "../helpers/server";

// Where the server's output goes can vanish under it: journald restarted, the terminal closed,
// the supervising process gone. Its writes then fail (EPIPE): it must go on serving, and stop
// when told, rather than spin on reporting failures it can no longer write anywhere.
describe("the server, once its output is gone", () => {
  let database: TestDatabase;
  let server: RunningServer;
  beforeAll(async () => {
    database = await createTestDatabase("sqlite");
    server = await startServer({ DATABASE_URL: database.url, LOG_LEVEL: "debug" });
  });
  afterAll(async () => {
    if (server) killTree(server.child.pid!, "SIGKILL");
    await database?.drop();
  });

  it("goes on storing events and answering, then stops cleanly on SIGTERM", { timeout: 60_000 }, async () => {
    const auth = bearer(await ingestTokenFor(database.url));
    server.child.stdout!.destroy();
    server.child.stderr!.destroy();
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${server.url}/api/report`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ user: "lost-output", state: i % 2 ? "stopped" : "working" }),
        signal: AbortSignal.timeout(10_000),
      });
      expect(res.status).toBe(201);
      await res.text();
      // Something the server logs, on both streams: an unknown path and a refused token.
      await (await fetch(`${server.url}/api/no-such-route`, { signal: AbortSignal.timeout(10_000) })).text();
      await (
        await fetch(`${server.url}/api/report`, { method: "POST", headers: bearer("wt_ingest_not-a-token") })
      ).text();
    }
    const health = await fetch(`${server.url}/api/health`, { signal: AbortSignal.timeout(10_000) });
    expect(health.status).toBe(200);
    await health.text();
    const stopped = await Promise.race([
      server.stop("SIGTERM"),
      new Promise((resolve) => setTimeout(() => resolve("still running 20 s after SIGTERM"), 20_000)),
    ]);
    expect(stopped).toBe(0);
  });
});
