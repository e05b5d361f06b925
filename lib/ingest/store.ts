import type { Database, Statement } from "better-sqlite3";
import { getConfig } from "../config.ts";
import type { Db } from "../db/index.ts";
import type { Provider } from "../db/dialect.ts";
import { findCurrentRun } from "../devices/status.ts";
import { retryTransientConflicts } from "../db/retry.ts";
import { recordGroupCommit } from "../metrics/registry.ts";
import type { ParsedEvent } from "./schema.ts";

/** Per event, in input order: true when stored now, false when it was already stored. */
export type StoreResult = boolean[];

type Submission = {
  events: ParsedEvent[];
  receivedAt: number;
  /** The api_tokens row that sent the events, or null (scripts, demo data). */
  tokenId: number | null;
  resolve: (result: StoreResult) => void;
  reject: (error: unknown) => void;
};

/** A user's or a device stream's newly stored events: the first seen (and its index), the earliest time, the latest event, all of them. */
type Touched = { first: ParsedEvent; firstIndex: number; firstTs: number; latest: ParsedEvent; events: ParsedEvent[] };

const deviceOf = (event: ParsedEvent) => event.deviceKey ?? "";
const userOf = (event: ParsedEvent) => event.userKey;
// \u0000 cannot occur in a user key or a device key (control characters are refused).
const streamOf = (event: ParsedEvent) => `${event.userKey}\u0000${deviceOf(event)}`;

// One total order of keys, the same in every instance: by UTF-16 code units, whatever the locale.
const compareKeys = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const compareEvents = (a: ParsedEvent, b: ParsedEvent) =>
  compareKeys(a.userKey, b.userKey) ||
  compareKeys(deviceOf(a), deviceOf(b)) ||
  a.ts - b.ts ||
  compareKeys(a.state, b.state);

/** Folds the newly stored events into one summary per key: the span to re-derive and the latest state. */
function summarise(events: ParsedEvent[], stored: StoreResult, keyOf: (e: ParsedEvent) => string): Touched[] {
  const byKey = new Map<string, Touched>();
  events.forEach((event, i) => {
    if (!stored[i]) return;
    const key = keyOf(event);
    const seen = byKey.get(key);
    if (!seen) {
      byKey.set(key, { first: event, firstIndex: i, firstTs: event.ts, latest: event, events: [event] });
      return;
    }
    seen.events.push(event);
    if (event.ts < seen.firstTs) seen.firstTs = event.ts;
    // At equal times "stopped" sorts after "working" (DESIGN §5.1), so it is the later state.
    if (event.ts > seen.latest.ts || (event.ts === seen.latest.ts && event.state === "stopped")) seen.latest = event;
  });
  return [...byKey.values()];
}

/** The last run of some events of one stream, as if they were all it had: when it began, and whether the other state came right before. */
export type OwnRun = { since: number; afterOther: boolean };

/** Works out `OwnRun` for a stream's new events, in any order, as status would (DESIGN §6). */
export function findOwnRun(events: readonly { ts: number; state: ParsedEvent["state"] }[], gapMs: number): OwnRun {
  // Newest first: at one instant "stopped" is the later state (DESIGN §5.1).
  const newestFirst = [...events].sort(
    (a, b) => b.ts - a.ts || (a.state === b.state ? 0 : a.state === "stopped" ? -1 : 1),
  );
  const run = findCurrentRun(newestFirst, gapMs)!;
  return { since: run.since, afterOther: run.afterOtherState };
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

const NEWER_DEVICE_EVENT =
  "excluded.last_event_at > tracked_devices.last_event_at OR (excluded.last_event_at = tracked_devices.last_event_at AND excluded.last_state = 'stopped')";

// A device stream keeps its earliest event, the state and agent version of its latest event,
// and the token it sent with last (the one it uses now, whatever the times it sent).
//
// It also keeps its current run (DESIGN §6), folded forward from the commit's new events
// (excluded.run_* is their own last run, excluded.run_gap_ms the gap in force) when they all come
// after the stored latest: new events that are one run on their own (it began at their first
// and nothing came before it) go on with the stored run, if in the same state within the gap, or
// start one; events of several runs bring their own last one. An event older than the stored
// latest may move the run's start anywhere: the run becomes unknown (NULL) until the next change
// of run. A run worked out under another gap is unknown too.
function upsertDeviceSet(provider: Provider): string {
  const t = "tracked_devices";
  const earliest = provider === "sqlite" ? "min" : "LEAST";
  const silence = `excluded.first_event_at - ${t}.last_event_at`;
  const gap = provider === "sqlite" ? "excluded.run_gap_ms" : "excluded.run_gap_ms * interval '1 millisecond'";
  // At the stored latest's own instant only "stopped" after "working" can be new (DESIGN §5.1).
  const allNewer = `(excluded.first_event_at > ${t}.last_event_at OR (excluded.first_event_at = ${t}.last_event_at AND ${t}.last_state = 'working'))`;
  const oneRun = "excluded.run_since = excluded.first_event_at AND NOT excluded.run_after_other";
  const near = `(excluded.run_gap_ms = 0 OR ${silence} <= ${gap})`;
  const goesOn = `excluded.last_state = ${t}.last_state AND ${near}`;
  return `first_event_at = ${earliest}(${t}.first_event_at, excluded.first_event_at),
    last_event_at = CASE WHEN ${NEWER_DEVICE_EVENT} THEN excluded.last_event_at ELSE ${t}.last_event_at END,
    last_state = CASE WHEN ${NEWER_DEVICE_EVENT} THEN excluded.last_state ELSE ${t}.last_state END,
    agent = CASE WHEN ${NEWER_DEVICE_EVENT} THEN excluded.agent ELSE ${t}.agent END,
    token_id = COALESCE(excluded.token_id, ${t}.token_id),
    run_since = CASE WHEN NOT ${allNewer} THEN NULL
      WHEN NOT (${oneRun}) THEN excluded.run_since
      WHEN ${goesOn} THEN CASE WHEN ${t}.run_gap_ms = excluded.run_gap_ms THEN ${t}.run_since END
      ELSE excluded.first_event_at END,
    run_after_other = CASE WHEN NOT ${allNewer} THEN false
      WHEN NOT (${oneRun}) THEN excluded.run_after_other
      WHEN ${goesOn} THEN ${t}.run_after_other
      ELSE excluded.last_state <> ${t}.last_state AND ${near} END,
    run_gap_ms = excluded.run_gap_ms`;
}

/**
 * SQLite: (user_key, device_key, display_name, first_event_at, last_event_at, last_state, agent, token_id,
 * run_since, run_after_other (0 or 1), run_gap_ms), the run being the new events' own (`findOwnRun`).
 */
export const SQLITE_UPSERT_DEVICE = `INSERT INTO tracked_devices (user_key, device_key, display_name, first_event_at, last_event_at, last_state, agent, token_id,
    run_since, run_after_other, run_gap_ms)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (user_key, device_key) DO UPDATE SET ${upsertDeviceSet("sqlite")}`;

/**
 * PostgreSQL: arrays $1 user keys, $2 device keys, $3 names, $4/$5 epoch-ms first/last, $6 states, $7 agents,
 * $8 tokens (or null for none), $9 epoch-ms own run starts, $10 whether the other state came before them;
 * $11 the gap in ms. Rows are written in the order given, which callers keep sorted by key.
 */
export const PG_UPSERT_DEVICES = `INSERT INTO tracked_devices (user_key, device_key, display_name, first_event_at, last_event_at, last_state, agent, token_id,
    run_since, run_after_other, run_gap_ms)
  SELECT u, d, n, to_timestamp(f / 1000.0), to_timestamp(t / 1000.0), s, a, k, to_timestamp(r / 1000.0), ro, $11::int
  FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::text[], $7::text[], $8::int[], $9::float8[], $10::boolean[])
    WITH ORDINALITY AS x(u, d, n, f, t, s, a, k, r, ro, o)
  ORDER BY o
  ON CONFLICT (user_key, device_key) DO UPDATE SET ${upsertDeviceSet("postgresql")}`;

/** SQLite: (user_key, device_key, from_ts, to_ts): widens the stream's pending window for the hours engine. */
export const SQLITE_QUEUE_HOURS = `INSERT INTO hours_queue (user_key, device_key, from_ts, to_ts, revision) VALUES (?, ?, ?, ?, 1)
  ON CONFLICT (user_key, device_key) DO UPDATE SET from_ts = min(hours_queue.from_ts, excluded.from_ts),
    to_ts = max(hours_queue.to_ts, excluded.to_ts), revision = hours_queue.revision + 1`;

/** PostgreSQL: $1 user keys, $2 device keys, $3 and $4 epoch-ms arrays of each stream's window, in the order given. */
export const PG_QUEUE_HOURS = `INSERT INTO hours_queue (user_key, device_key, from_ts, to_ts, revision)
  SELECT u, d, to_timestamp(f / 1000.0), to_timestamp(t / 1000.0), 1
  FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[]) WITH ORDINALITY AS x(u, d, f, t, o)
  ORDER BY o
  ON CONFLICT (user_key, device_key) DO UPDATE SET from_ts = LEAST(hours_queue.from_ts, excluded.from_ts),
    to_ts = GREATEST(hours_queue.to_ts, excluded.to_ts), revision = hours_queue.revision + 1`;

class SqliteStore {
  private insertEvent: Statement;
  private upsertUser: Statement;
  private upsertDevice: Statement;
  private queueHours: Statement;
  private commit: (batch: Submission[]) => StoreResult[];

  constructor(
    sqlite: Database,
    private gapMs: number,
  ) {
    this.insertEvent = sqlite.prepare(
      `INSERT INTO work_events (user_key, username, state, ts, received_at, device_key, agent, token_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (user_key, ts, state, device_key) DO NOTHING`,
    );
    this.upsertUser = sqlite.prepare(SQLITE_UPSERT_USER);
    this.upsertDevice = sqlite.prepare(SQLITE_UPSERT_DEVICE);
    this.queueHours = sqlite.prepare(SQLITE_QUEUE_HOURS);
    this.commit = sqlite.transaction((batch: Submission[]) =>
      batch.map((submission) => this.write(submission)),
    ).immediate;
  }

  private write({ events, receivedAt, tokenId }: Submission): StoreResult {
    const stored = events.map(
      (e) =>
        this.insertEvent.run(e.userKey, e.username, e.state, e.ts, receivedAt, deviceOf(e), e.agent ?? null, tokenId)
          .changes === 1,
    );
    for (const { first, latest } of summarise(events, stored, userOf)) {
      this.upsertUser.run(first.userKey, first.username, receivedAt, latest.ts, latest.state);
    }
    for (const { first, firstTs, latest, events: streamEvents } of summarise(events, stored, streamOf)) {
      this.queueHours.run(first.userKey, deviceOf(first), firstTs, latest.ts);
      const run = findOwnRun(streamEvents, this.gapMs);
      this.upsertDevice.run(
        first.userKey,
        deviceOf(first),
        first.device ?? "",
        firstTs,
        latest.ts,
        latest.state,
        latest.agent ?? null,
        tokenId,
        run.since,
        run.afterOther ? 1 : 0,
        this.gapMs,
      );
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
  constructor(
    private db: Db,
    private gapMs: number,
  ) {}

  /** A deadlock or serialization failure rolls the whole commit back; it is then run again. */
  flush(batch: Submission[]): Promise<StoreResult[]> {
    return retryTransientConflicts("group commit", () => this.commit(batch));
  }

  private async commit(batch: Submission[]): Promise<StoreResult[]> {
    const client = await this.db.pool!.connect();
    const deadline = setTimeout(() => void client.end().catch(() => undefined), POSTGRES_COMMIT_DEADLINE_MS);
    try {
      await client.query("BEGIN");
      const results = await this.write(client, batch);
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

  /**
   * Every submission of the commit in one statement per table, each taking its rows in key
   * order: two instances committing for the same users then wait for each other in turn
   * instead of each holding a row the other needs (a deadlock). A submission's events keep
   * their arrival order for what "first" and "latest" mean.
   */
  private async write(client: import("pg").PoolClient, batch: Submission[]): Promise<StoreResult[]> {
    const events = batch.flatMap((submission) => submission.events);
    const sources = batch.flatMap((submission) => submission.events.map(() => submission));
    // A repeated event, within a submission or across the commit, is a duplicate of its first occurrence.
    const firstIndex = new Map<string, number>();
    const candidates: number[] = [];
    events.forEach((e, i) => {
      const key = `${e.userKey}\u0000${deviceOf(e)}\u0000${e.ts}\u0000${e.state}`;
      if (!firstIndex.has(key)) {
        firstIndex.set(key, i);
        candidates.push(i);
      }
    });
    candidates.sort((a, b) => compareEvents(events[a], events[b]));
    const pick = <T>(f: (i: number) => T) => candidates.map(f);
    const inserted = await client.query<{ user_key: string; device_key: string; ms: string; state: string }>(
      `INSERT INTO work_events (user_key, username, state, ts, received_at, device_key, agent, token_id)
       SELECT u, n, s, to_timestamp(t / 1000.0), to_timestamp(r / 1000.0), d, a, k
       FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::text[], $7::text[], $8::int[])
         WITH ORDINALITY AS x(u, n, s, t, r, d, a, k, o)
       ORDER BY o
       ON CONFLICT (user_key, ts, state, device_key) DO NOTHING
       RETURNING user_key, device_key, (extract(epoch FROM ts) * 1000)::bigint::text AS ms, state`,
      [
        pick((i) => events[i].userKey),
        pick((i) => events[i].username),
        pick((i) => events[i].state),
        pick((i) => events[i].ts),
        pick((i) => sources[i].receivedAt),
        pick((i) => deviceOf(events[i])),
        pick((i) => events[i].agent ?? null),
        pick((i) => sources[i].tokenId),
      ],
    );
    const stored: StoreResult = events.map(() => false);
    for (const row of inserted.rows) {
      const i = firstIndex.get(`${row.user_key}\u0000${row.device_key}\u0000${row.ms}\u0000${row.state}`);
      if (i !== undefined) stored[i] = true;
    }

    const users = summarise(events, stored, userOf).sort((a, b) => compareKeys(a.first.userKey, b.first.userKey));
    if (users.length) {
      await client.query(
        `INSERT INTO tracked_users (user_key, display_name, first_seen_at, last_event_at, last_state)
         SELECT u, n, to_timestamp(r / 1000.0), to_timestamp(t / 1000.0), s
         FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[], $5::text[]) WITH ORDINALITY AS x(u, n, r, t, s, o)
         ORDER BY o
         ON CONFLICT (user_key) DO UPDATE SET last_event_at = excluded.last_event_at, last_state = excluded.last_state
         WHERE ${NEWER_THAN_STORED}`,
        [
          users.map((t) => t.first.userKey),
          users.map((t) => t.first.username),
          users.map((t) => sources[t.firstIndex].receivedAt),
          users.map((t) => t.latest.ts),
          users.map((t) => t.latest.state),
        ],
      );
      const streams = summarise(events, stored, streamOf).sort(
        (a, b) => compareKeys(a.first.userKey, b.first.userKey) || compareKeys(deviceOf(a.first), deviceOf(b.first)),
      );
      // As each submission's own upsert would leave it: the last token that sent a new event of the stream.
      const tokens = new Map<string, number>();
      events.forEach((e, i) => {
        const tokenId = sources[i].tokenId;
        if (stored[i] && tokenId !== null) tokens.set(streamOf(e), tokenId);
      });
      const runs = streams.map((t) => findOwnRun(t.events, this.gapMs));
      const userKeys = streams.map((t) => t.first.userKey);
      const deviceKeys = streams.map((t) => deviceOf(t.first));
      await client.query(PG_QUEUE_HOURS, [
        userKeys,
        deviceKeys,
        streams.map((t) => t.firstTs),
        streams.map((t) => t.latest.ts),
      ]);
      await client.query(PG_UPSERT_DEVICES, [
        userKeys,
        deviceKeys,
        streams.map((t) => t.first.device ?? ""),
        streams.map((t) => t.firstTs),
        streams.map((t) => t.latest.ts),
        streams.map((t) => t.latest.state),
        streams.map((t) => t.latest.agent ?? null),
        streams.map((t) => tokens.get(streamOf(t.first)) ?? null),
        runs.map((run) => run.since),
        runs.map((run) => run.afterOther),
        this.gapMs,
      ]);
    }
    let offset = 0;
    return batch.map(({ events: submitted }) => stored.slice(offset, (offset += submitted.length)));
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

  /** `gapMs`: the silence that ends a run (HEARTBEAT_TIMEOUT_MINUTES), for the run each stream keeps. */
  constructor(db: Db, gapMs = getConfig().rules.gapMs) {
    this.backend = db.provider === "sqlite" ? new SqliteStore(db.sqlite!, gapMs) : new PostgresStore(db, gapMs);
  }

  /** `tokenId`: the token that sent the events, recorded on each of them. */
  store(events: ParsedEvent[], receivedAt: number, tokenId: number | null = null): Promise<StoreResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ events, receivedAt, tokenId, resolve, reject });
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
      recordGroupCommit(
        batch.length,
        batch.reduce((events, submission) => events + submission.events.length, 0),
      );
      batch.forEach((submission, i) => submission.resolve(results[i]));
    } catch (error) {
      batch.forEach((submission) => submission.reject(error));
    }
  }
}
