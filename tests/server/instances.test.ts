import http from "node:http";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, ingestTokenFor } from "../helpers/credentials";
import { postReport, type Answer } from "../helpers/event-stream";
import { createTestDatabase, PROVIDERS, type TestDatabase } from "../helpers/databases";
import { killTree } from "../helpers/processes";
import { startServer, type RunningServer } from "../helpers/server";

// DESIGN §9: any number of instances share one PostgreSQL. Two of them ingesting for the same
// users and devices at once, each batch in its own order, must neither fail nor lose nor
// double a single acknowledged event (DESIGN §4: never a 500, at worst a 503 with Retry-After).

type Event = { user: string; device: string; state: "working" | "stopped"; ts: string };

const USERS = 8;
const DEVICES = 3;
const CLIENTS_PER_INSTANCE = 12;
const REQUESTS_PER_CLIENT = 40;

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const keyOf = (e: Event) => `${e.user.toLowerCase()}|${e.device.toLowerCase()}|${Date.parse(e.ts)}|${e.state}`;

describe.skipIf(!PROVIDERS.includes("postgresql"))("two instances ingesting on one PostgreSQL", () => {
  let database: TestDatabase;
  const servers: RunningServer[] = [];
  let auth: Record<string, string> = {};
  beforeAll(async () => {
    database = await createTestDatabase("postgresql");
    auth = bearer(await ingestTokenFor(database.url));
    servers.push(...(await Promise.all([0, 1].map(() => startServer({ DATABASE_URL: database.url })))));
  });
  afterAll(async () => {
    for (const server of servers) killTree(server.child.pid!, "SIGKILL");
    await database?.drop();
  });

  it("answers 201 or 503 with Retry-After, and stores every acknowledged event exactly once", async () => {
    const base = Date.now() - 3 * 60 * 60_000;
    let seq = 0;
    const fresh = (rand: () => number): Event => ({
      // Spellings vary: users and devices are compared case-insensitively.
      user: `${rand() < 0.5 ? "CORP\\Fleet" : "corp\\fleet"}-${Math.floor(rand() * USERS)}`,
      device: `${rand() < 0.5 ? "PC" : "pc"}-${Math.floor(rand() * DEVICES)}`,
      state: rand() < 0.3 ? "stopped" : "working",
      ts: new Date(base + seq++ * 7).toISOString(),
    });
    // Batches already sent, resent whole or in part, in another order, to either instance.
    const sentBatches: Event[][] = [];
    const acked = new Set<string>();
    const statuses: Record<number, number> = {};
    const odd: Answer[] = [];
    let reportedStored = 0;

    const client = async (instance: number, n: number) => {
      const rand = random(instance * 1000 + n);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const shuffled = (events: Event[]) =>
        events
          .map((e) => ({ e, k: rand() }))
          .sort((a, b) => a.k - b.k)
          .map(({ e }) => e);
      try {
        for (let i = 0; i < REQUESTS_PER_CLIENT; i++) {
          const kind = rand();
          let events: Event[];
          if (kind < 0.2) events = [fresh(rand)];
          else if (kind < 0.4 && sentBatches.length)
            events = shuffled(sentBatches[Math.floor(rand() * sentBatches.length)]).slice(
              0,
              1 + Math.floor(rand() * 30),
            );
          else {
            events = Array.from({ length: 10 + Math.floor(rand() * 40) }, () => fresh(rand));
            // The same events again inside the batch: duplicates of their first occurrence.
            if (rand() < 0.3) events.push(...events.slice(0, 3));
            sentBatches.push(events);
          }
          const single = events.length === 1;
          const body = single ? events[0] : { events: shuffled(events) };
          const reply = await postReport(servers[instance].url, JSON.stringify(body), { agent, headers: auth });
          statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
          if (reply.status === 201) {
            for (const e of events) acked.add(keyOf(e));
            const counts = reply.body as { accepted?: number; duplicate?: boolean };
            reportedStored += single ? (counts.duplicate ? 0 : 1) : (counts.accepted ?? 0);
          } else if (reply.status !== 503 || reply.retryAfter === undefined) {
            odd.push(reply);
          }
        }
      } finally {
        agent.destroy();
      }
    };
    await Promise.all(
      [0, 1].flatMap((instance) => Array.from({ length: CLIENTS_PER_INSTANCE }, (_, n) => client(instance, n))),
    );

    // How often the servers ran a commit again after the database aborted it (a deadlock).
    const retries = servers.map((server) => server.output().split("database conflict, retrying").length - 1);
    const report = JSON.stringify({ statuses, retries, odd: odd.slice(0, 3) });
    expect(odd, report).toEqual([]);
    expect(
      Object.keys(statuses).filter((s) => s !== "201" && s !== "503"),
      report,
    ).toEqual([]);
    expect(statuses[201], report).toBeGreaterThan(0);

    const sql = new pg.Client({ connectionString: database.url });
    await sql.connect();
    try {
      const { rows } = await sql.query<{ key: string }>(
        `SELECT user_key || '|' || device_key || '|' || (extract(epoch FROM ts) * 1000)::bigint || '|' || state AS key
         FROM work_events`,
      );
      const stored = new Set(rows.map((row) => row.key));
      expect(stored.size, "an event stored twice").toBe(rows.length);
      const missing = [...acked].filter((key) => !stored.has(key));
      expect(missing, `${missing.length} of ${acked.size} acknowledged events are not stored`).toEqual([]);
      // Each stored event was reported stored by exactly one answer, on one instance or the other.
      expect(reportedStored, report).toBe(rows.length);

      // The per-user and per-device summaries kept beside the events agree with them.
      const { rows: users } = await sql.query<{ user_key: string; ok: boolean }>(
        `SELECT u.user_key, u.last_event_at = (SELECT max(ts) FROM work_events e WHERE e.user_key = u.user_key) AS ok
         FROM tracked_users u`,
      );
      expect(users.length).toBe(USERS);
      expect(users.filter((u) => !u.ok)).toEqual([]);
      const { rows: devices } = await sql.query<{ n: string }>(
        `SELECT count(*) AS n FROM tracked_devices d WHERE d.first_event_at <> (SELECT min(ts) FROM work_events e
           WHERE e.user_key = d.user_key AND e.device_key = d.device_key)`,
      );
      expect(Number(devices[0].n)).toBe(0);
    } finally {
      await sql.end();
    }
  }, 120_000);
});
