import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken } from "@/lib/auth/tokens";
import { openDb, type Db } from "@/lib/db";
import { toAppError } from "@/lib/db/errors";
import { retryTransientConflicts } from "@/lib/db/retry";
import { checkEvent, type ParsedEvent } from "@/lib/ingest/schema";
import { EventStore } from "@/lib/ingest/store";
import { PROVIDERS, useMigratedDatabase } from "../helpers/databases";

const BASE = Date.UTC(2026, 2, 2, 5, 0, 0);

function event(user: string, device: string, minute: number, state = "working"): ParsedEvent {
  const check = checkEvent({ user, device, state, ts: new Date(BASE + minute * 60_000).toISOString() }, Date.now());
  if (!check.ok) throw new Error(JSON.stringify(check.details));
  return check.event;
}

// Two server instances are two event stores, each with its own connections, on one database.
describe.each(PROVIDERS)("group commits of two instances on one %s database", (provider) => {
  const database = useMigratedDatabase(provider);
  let other: Db;
  beforeAll(() => {
    other = openDb(database.url);
  });
  afterAll(async () => {
    await other?.close();
  });

  it("commit the same users in opposite orders side by side, each event stored once", async () => {
    const users = Array.from({ length: 6 }, (_, i) => `CORP\\order-${i}`);
    const stores = [new EventStore(database.db), new EventStore(other)];
    const answers: boolean[][] = [];
    const rounds = 30;
    for (let round = 0; round < rounds; round++) {
      // Instance 0 sees the users forwards, instance 1 backwards; both send the same events.
      const events = users.flatMap((user, u) => [
        event(user, "pc-1", round * 10 + u),
        event(user, "pc-2", round * 10 + u),
      ]);
      const pending = stores.flatMap((store, s) => {
        const ordered = s === 0 ? events : [...events].reverse();
        // Several submissions per commit, as concurrent requests make them.
        return [ordered.slice(0, 5), ordered.slice(5)].map((part) => store.store(part, Date.now()));
      });
      answers.push(...(await Promise.all(pending)));
    }
    const [{ n }] = await database.db.raw.query<{ n: number | string }>("SELECT COUNT(*) AS n FROM work_events");
    expect(Number(n)).toBe(rounds * users.length * 2);
    // Every event was reported stored by exactly one of the two instances.
    expect(answers.flat().filter(Boolean).length).toBe(rounds * users.length * 2);
    const devices = await database.db.raw.query("SELECT user_key FROM tracked_devices");
    expect(devices.length).toBe(users.length * 2);
  });

  it("keeps, for a stream sent by two tokens in one commit, the token of the later submission", async () => {
    const store = new EventStore(database.db);
    const [laptop, desktop] = await Promise.all(
      ["laptop", "desktop"].map(
        async (name) => (await createToken(database.db, { name, scope: "ingest", createdBy: "tests" })).info.id,
      ),
    );
    const [first, second, third] = await Promise.all([
      store.store([event("CORP\\tokens", "pc", 0), event("CORP\\other", "pc", 0)], Date.now(), laptop),
      store.store([event("corp\\TOKENS", "pc", 1), event("CORP\\tokens", "pc", 0)], Date.now(), desktop),
      // Nothing new from this one: it does not become the stream's token.
      store.store([event("CORP\\tokens", "pc", 1)], Date.now(), laptop),
    ]);
    expect(first).toEqual([true, true]);
    // The repeat of an event stored by the earlier submission of the same commit is a duplicate.
    expect(second).toEqual([true, false]);
    expect(third).toEqual([false]);
    const [user] = await database.db.raw.query<{ display_name: string }>(
      "SELECT display_name FROM tracked_users WHERE user_key = ?",
      ["corp\\tokens"],
    );
    expect(user.display_name).toBe("CORP\\tokens");
    const [device] = await database.db.raw.query<{ token_id: number }>(
      "SELECT token_id FROM tracked_devices WHERE user_key = ?",
      ["corp\\tokens"],
    );
    expect(Number(device.token_id)).toBe(desktop);
  });
});

describe.skipIf(!PROVIDERS.includes("postgresql"))("a deadlock on PostgreSQL", () => {
  const database = useMigratedDatabase("postgresql");

  it("is run again and both transactions end with their writes", async () => {
    const clients = [new pg.Client(database.url), new pg.Client(database.url)];
    await Promise.all(clients.map((client) => client.connect()));
    try {
      await clients[0].query(`CREATE TABLE deadlock_probe (id int PRIMARY KEY, n int NOT NULL)`);
      await clients[0].query(`INSERT INTO deadlock_probe VALUES (1, 0), (2, 0)`);
      let attempts = 0;
      // Each locks one row, waits until the other has locked its own, then wants the other's.
      let locked = 0;
      const bothLocked = () =>
        new Promise<void>((resolve) => {
          const check = () => (locked >= 2 ? resolve() : setTimeout(check, 5));
          check();
        });
      const transaction = (client: pg.Client, first: number, second: number) =>
        retryTransientConflicts("test", async () => {
          attempts++;
          await client.query("BEGIN");
          try {
            await client.query(`UPDATE deadlock_probe SET n = n + 1 WHERE id = $1`, [first]);
            locked++;
            await bothLocked();
            await client.query(`UPDATE deadlock_probe SET n = n + 1 WHERE id = $1`, [second]);
            await client.query("COMMIT");
          } catch (error) {
            await client.query("ROLLBACK");
            throw error;
          }
        });
      await Promise.all([transaction(clients[0], 1, 2), transaction(clients[1], 2, 1)]);
      expect(attempts).toBe(3);
      const { rows } = await clients[0].query(`SELECT id, n FROM deadlock_probe ORDER BY id`);
      expect(rows).toEqual([
        { id: 1, n: 2 },
        { id: 2, n: 2 },
      ]);
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });

  it("that outlasts the retries is a 503 with Retry-After, never a 500", async () => {
    let attempts = 0;
    const failure = await retryTransientConflicts(
      "test",
      async () => {
        attempts++;
        throw Object.assign(new Error("deadlock detected"), { code: "40P01" });
      },
      { attempts: 3, baseDelayMs: 1 },
    ).catch((error: unknown) => error);
    expect(attempts).toBe(3);
    const answer = toAppError(failure);
    expect(answer.status).toBe(503);
    expect(answer.headers).toMatchObject({ "Retry-After": expect.any(String) });
    expect(toAppError(Object.assign(new Error("could not serialize"), { code: "40001" })).status).toBe(503);
  });
});
