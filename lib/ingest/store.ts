import type { Database, Statement } from "better-sqlite3";
import type { Db } from "../db/index.ts";
import type { ParsedEvent } from "./schema.ts";
import type { EventState } from "../users.ts";

/** Per event, in input order: true when stored now, false when it was already stored. */
export type StoreResult = boolean[];

type Submission = {
  events: ParsedEvent[];
  receivedAt: number;
  resolve: (result: StoreResult) => void;
  reject: (error: unknown) => void;
};

type Touched = { username: string; firstTs: number; lastTs: number; lastState: EventState };

/** Folds the newly stored events into one summary per user: the span to re-derive and the latest state. */
function summariseByUser(events: ParsedEvent[], stored: StoreResult): Map<string, Touched> {
  const byUser = new Map<string, Touched>();
  events.forEach((event, i) => {
    if (!stored[i]) return;
    const seen = byUser.get(event.userKey);
    if (!seen) {
      byUser.set(event.userKey, {
        username: event.username,
        firstTs: event.ts,
        lastTs: event.ts,
        lastState: event.state,
      });
      return;
    }
    seen.firstTs = Math.min(seen.firstTs, event.ts);
    // At equal times "stopped" sorts after "working" (DESIGN §5.1), so it is the later state.
    if (event.ts > seen.lastTs || (event.ts === seen.lastTs && event.state === "stopped")) {
      seen.lastTs = event.ts;
      seen.lastState = event.state;
    }
  });
  return byUser;
}

// Keeps tracked_users.last_* at the event latest in time, whatever order events arrive in.
// These statements are exported for the benchmarks' bulk loader, which must keep the tables
// exactly as a commit here would.
export const NEWER_THAN_STORED =
  "excluded.last_event_at > tracked_users.last_event_at OR (excluded.last_event_at = tracked_users.last_event_at AND excluded.last_state = 'stopped')";

/** SQLite: (user_key, display_name, first_seen_at, last_event_at, last_state). */
export const SQLITE_UPSERT_USER = `INSERT INTO tracked_users (user_key, display_name, first_seen_at, last_event_at, last_state) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (user_key) DO UPDATE SET last_event_at = excluded.last_event_at, last_state = excluded.last_state
  WHERE ${NEWER_THAN_STORED}`;

/** SQLite: (user_key, from_ts, to_ts): widens the user's pending window for the hours engine. */
export const SQLITE_QUEUE_HOURS = `INSERT INTO hours_queue (user_key, from_ts, to_ts, revision) VALUES (?, ?, ?, 1)
  ON CONFLICT (user_key) DO UPDATE SET from_ts = min(hours_queue.from_ts, excluded.from_ts),
    to_ts = max(hours_queue.to_ts, excluded.to_ts), revision = hours_queue.revision + 1`;

/** PostgreSQL: $1 user keys, $2 and $3 epoch-ms arrays of each user's window. */
export const PG_QUEUE_HOURS = `INSERT INTO hours_queue (user_key, from_ts, to_ts, revision)
  SELECT u, to_timestamp(f / 1000.0), to_timestamp(t / 1000.0), 1
  FROM unnest($1::text[], $2::float8[], $3::float8[]) AS x(u, f, t)
  ON CONFLICT (user_key) DO UPDATE SET from_ts = LEAST(hours_queue.from_ts, excluded.from_ts),
    to_ts = GREATEST(hours_queue.to_ts, excluded.to_ts), revision = hours_queue.revision + 1`;

class SqliteStore {
  private insertEvent: Statement;
  private upsertUser: Statement;
  private queueHours: Statement;
  private commit: (batch: Submission[]) => StoreResult[];

  constructor(sqlite: Database) {
    this.insertEvent = sqlite.prepare(
      `INSERT INTO work_events (user_key, username, state, ts, received_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (user_key, ts, state) DO NOTHING`,
    );
    this.upsertUser = sqlite.prepare(SQLITE_UPSERT_USER);
    this.queueHours = sqlite.prepare(SQLITE_QUEUE_HOURS);
    this.commit = sqlite.transaction((batch: Submission[]) =>
      batch.map((submission) => this.write(submission)),
    ).immediate;
  }

  private write({ events, receivedAt }: Submission): StoreResult {
    const stored = events.map(
      (e) => this.insertEvent.run(e.userKey, e.username, e.state, e.ts, receivedAt).changes === 1,
    );
    for (const [userKey, t] of summariseByUser(events, stored)) {
      this.upsertUser.run(userKey, t.username, receivedAt, t.lastTs, t.lastState);
      this.queueHours.run(userKey, t.firstTs, t.lastTs);
    }
    return stored;
  }

  /** One transaction, and so one fsync, for every submission that arrived together. */
  flush(batch: Submission[]): Promise<StoreResult[]> {
    return Promise.resolve(this.commit(batch));
  }
}

// A database that stops answering without closing the connection (a network cut, a stalled
// server) must not hold every later commit behind this one: past this the connection is
// dropped and the batch fails as unavailable.
const POSTGRES_COMMIT_DEADLINE_MS = 10_000;

class PostgresStore {
  constructor(private db: Db) {}

  async flush(batch: Submission[]): Promise<StoreResult[]> {
    const client = await this.db.pool!.connect();
    const deadline = setTimeout(() => void client.end().catch(() => undefined), POSTGRES_COMMIT_DEADLINE_MS);
    try {
      await client.query("BEGIN");
      const results: StoreResult[] = [];
      for (const submission of batch) results.push(await this.write(client, submission));
      await client.query("COMMIT");
      return results;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      clearTimeout(deadline);
      client.release();
    }
  }

  private async write(client: import("pg").PoolClient, { events, receivedAt }: Submission): Promise<StoreResult> {
    // Within one submission a repeated event is a duplicate of its first occurrence.
    const firstIndex = new Map<string, number>();
    const candidates: number[] = [];
    events.forEach((e, i) => {
      const key = `${e.userKey}\u0000${e.ts}\u0000${e.state}`;
      if (!firstIndex.has(key)) {
        firstIndex.set(key, i);
        candidates.push(i);
      }
    });
    const pick = <T>(f: (e: ParsedEvent) => T) => candidates.map((i) => f(events[i]));
    const inserted = await client.query<{ user_key: string; ms: string; state: string }>(
      `INSERT INTO work_events (user_key, username, state, ts, received_at)
       SELECT u, n, s, to_timestamp(t / 1000.0), to_timestamp($5 / 1000.0)
       FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[]) AS x(u, n, s, t)
       ON CONFLICT (user_key, ts, state) DO NOTHING
       RETURNING user_key, (extract(epoch FROM ts) * 1000)::bigint::text AS ms, state`,
      [pick((e) => e.userKey), pick((e) => e.username), pick((e) => e.state), pick((e) => e.ts), receivedAt],
    );
    const stored: StoreResult = events.map(() => false);
    for (const row of inserted.rows) {
      const i = firstIndex.get(`${row.user_key}\u0000${row.ms}\u0000${row.state}`);
      if (i !== undefined) stored[i] = true;
    }
    const touched = [...summariseByUser(events, stored)];
    if (touched.length) {
      const keys = touched.map(([key]) => key);
      const ts = (f: (t: Touched) => number) => touched.map(([, t]) => f(t));
      await client.query(
        `INSERT INTO tracked_users (user_key, display_name, first_seen_at, last_event_at, last_state)
         SELECT u, n, to_timestamp($3 / 1000.0), to_timestamp(t / 1000.0), s
         FROM unnest($1::text[], $2::text[], $4::float8[], $5::text[]) AS x(u, n, t, s)
         ON CONFLICT (user_key) DO UPDATE SET last_event_at = excluded.last_event_at, last_state = excluded.last_state
         WHERE ${NEWER_THAN_STORED}`,
        [
          keys,
          touched.map(([, t]) => t.username),
          receivedAt,
          ts((t) => t.lastTs),
          touched.map(([, t]) => t.lastState),
        ],
      );
      await client.query(PG_QUEUE_HOURS, [keys, ts((t) => t.firstTs), ts((t) => t.lastTs)]);
    }
    return stored;
  }
}

/**
 * Group commit: submissions that arrive while a commit is being written wait for the next
 * one, which takes them all in a single transaction. Each caller's promise settles only
 * after the transaction holding its events has committed.
 */
export class EventStore {
  private queue: Submission[] = [];
  private flushing: Promise<void> | null = null;
  private scheduled = false;
  private backend: SqliteStore | PostgresStore;

  constructor(db: Db) {
    this.backend = db.provider === "sqlite" ? new SqliteStore(db.sqlite!) : new PostgresStore(db);
  }

  store(events: ParsedEvent[], receivedAt: number): Promise<StoreResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ events, receivedAt, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once every submission queued so far has been committed or has failed. */
  async drain(): Promise<void> {
    while (this.flushing || this.queue.length || this.scheduled) {
      await (this.flushing ?? new Promise((resolve) => setImmediate(resolve)));
    }
  }

  private schedule() {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    // Let the requests already read in this turn of the event loop join the same commit.
    setImmediate(() => {
      this.scheduled = false;
      this.flushing = this.flushQueue().finally(() => {
        this.flushing = null;
        if (this.queue.length) this.schedule();
      });
    });
  }

  private async flushQueue() {
    const batch = this.queue;
    this.queue = [];
    try {
      const results = await this.backend.flush(batch);
      batch.forEach((submission, i) => submission.resolve(results[i]));
    } catch (error) {
      batch.forEach((submission) => submission.reject(error));
    }
  }
}
