import type { PoolClient } from "pg";
import { getConfig } from "../config.ts";
import { getDb, type Db } from "../db/index.ts";
import { dialectOf } from "../db/dialect.ts";
import { dropEventPartitionsBefore, ensureEventPartitions, startOfUtcMonth } from "../db/partitions.ts";
import { recordPrunedEvents } from "../metrics/registry.ts";
import type { HoursEvent } from "../users.ts";
import type { HoursRules } from "./periods.ts";
import { findWindowStart } from "./window.ts";

const DAY_MS = 86_400_000;
// Ingest refuses events older than the window by its own clock; pruning stops an hour short of
// that, so an event validated just before a prune and committed just after it can never land
// among pruned ones.
const MARGIN_MS = 3_600_000;
const PAGE = 2_000;
const DELETE_CHUNK = 5_000;

// Any fixed number, not the engine's: the advisory lock that lets one instance of many prune.
export const PG_RETENTION_LOCK = 7_283_746_103;

export type RetentionResult =
  { status: "ok"; cutoff: number; events: number; partitionsDropped: number } | { status: "skipped"; reason: string };

type Stream = { userKey: string; deviceKey: string; keepFrom: number };

/**
 * The instant before which one stream's events may go: its last closure point (window.ts) at or
 * before `cutoff`. Derivation forgets everything there, so the events after it derive exactly
 * what they derived before. A stream with no closure before the cutoff keeps its events.
 */
async function findKeepFrom(db: Db, userKey: string, deviceKey: string, cutoff: number, gapMs: number) {
  const d = dialectOf(db);
  // The first page is what lies before the cutoff; each next one starts at the instant the
  // previous one ended on.
  let bound = { op: "<", ts: cutoff };
  let later = cutoff;
  let oldestSeen: number | null = null;
  for (;;) {
    const rows = await db.raw.query<{ id: unknown; ts: unknown; state: HoursEvent["state"] }>(
      `SELECT id, ${d.ms("ts")} AS ts, state FROM work_events
       WHERE user_key = ? AND device_key = ? AND ts ${bound.op} ${d.at}
       ORDER BY ${d.newestFirst} LIMIT ${PAGE}`,
      [userKey, deviceKey, bound.ts],
    );
    const events: HoursEvent[] = rows.map((row) => ({ id: Number(row.id), ts: Number(row.ts), state: row.state }));
    const last = events.length === PAGE;
    // A full page may end inside one instant's pair of events: those are read again next time.
    const ready = last ? events.filter((event) => event.ts > events[events.length - 1].ts) : events;
    const found = findWindowStart(ready, later, gapMs);
    if (found !== null) return found;
    if (ready.length) {
      later = ready[ready.length - 1].ts;
      oldestSeen = later;
    }
    if (!last) return oldestSeen ?? cutoff;
    bound = { op: "<=", ts: events[events.length - 1].ts };
  }
}

async function listStreams(db: Db, cutoff: number, gapMs: number): Promise<Stream[]> {
  const { ms } = dialectOf(db);
  const rows = await db.raw.query<{ user_key: string; device_key: string; queued: unknown }>(
    `SELECT d.user_key, d.device_key, ${ms("q.from_ts")} AS queued FROM tracked_devices d
     LEFT JOIN hours_queue q ON q.user_key = d.user_key AND q.device_key = d.device_key
     ORDER BY d.user_key, d.device_key`,
  );
  const streams: Stream[] = [];
  for (const row of rows) {
    // Events the engine has not yet derived are needed whole, from their window's start.
    const queued = row.queued === null || row.queued === undefined ? Infinity : Number(row.queued);
    const streamCutoff = Math.min(cutoff, queued);
    streams.push({
      userKey: row.user_key,
      deviceKey: row.device_key,
      keepFrom: await findKeepFrom(db, row.user_key, row.device_key, streamCutoff, gapMs),
    });
  }
  return streams;
}

/** Deletes one stream's events before `before`, a chunk per transaction, so writers are never held long. */
async function deleteInChunks(db: Db, stream: Stream, before: number): Promise<number> {
  const { at } = dialectOf(db);
  let deleted = 0;
  for (;;) {
    const n = await db.raw.execute(
      `DELETE FROM work_events WHERE id IN (
         SELECT id FROM work_events WHERE user_key = ? AND device_key = ? AND ts < ${at} LIMIT ${DELETE_CHUNK})`,
      [stream.userKey, stream.deviceKey, before],
    );
    deleted += n;
    if (n < DELETE_CHUNK) return deleted;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function pruneOnce(db: Db, cutoff: number, rules: HoursRules) {
  const streams = await listStreams(db, cutoff, rules.gapMs);
  let events = 0;
  let partitionsDropped = 0;
  let rowsBefore = cutoff;
  if (db.provider === "postgresql") {
    // Whole months go at once when no stream needs any of their events; what is left of
    // months that ended before the cutoff goes row by row; the month holding the cutoff
    // waits until it has ended.
    const safe = streams.reduce((min, stream) => Math.min(min, stream.keepFrom), cutoff);
    const dropped = await dropEventPartitionsBefore(db, safe);
    partitionsDropped = dropped.partitions;
    events += dropped.events;
    rowsBefore = startOfUtcMonth(cutoff);
  }
  for (const stream of streams) {
    const before = Math.min(stream.keepFrom, rowsBefore);
    events += await deleteInChunks(db, stream, before);
  }
  return { events, partitionsDropped };
}

/**
 * Removes raw events older than EVENT_RETENTION_DAYS without changing any derived number:
 * per device stream only events before its last closure point at or before the cutoff (see
 * findKeepFrom), never events the engine has still to derive. On PostgreSQL whole month
 * partitions are dropped; on SQLite rows are deleted in chunks. One instance at a time (a
 * PostgreSQL advisory lock). Also keeps month partitions ready ahead of time.
 */
export async function pruneOldEvents(
  options: { db?: Db; retentionDays?: number; rules?: HoursRules; now?: number } = {},
): Promise<RetentionResult> {
  const db = options.db ?? getDb();
  const retentionDays = "retentionDays" in options ? options.retentionDays : getConfig().eventRetentionDays;
  const rules = options.rules ?? getConfig().rules;
  const now = options.now ?? Date.now();
  let client: PoolClient | undefined;
  if (db.provider === "postgresql") {
    client = await db.pool!.connect();
    const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [
      PG_RETENTION_LOCK,
    ]);
    if (!rows[0].locked) {
      client.release();
      return { status: "skipped", reason: "another server instance is running the retention job" };
    }
  }
  try {
    if (db.provider === "postgresql") await ensureEventPartitions(db, now);
    if (retentionDays === undefined) return { status: "skipped", reason: "EVENT_RETENTION_DAYS is not set" };
    const cutoff = now - retentionDays * DAY_MS - MARGIN_MS;
    const { events, partitionsDropped } = await pruneOnce(db, cutoff, rules);
    recordPrunedEvents(events);
    return { status: "ok", cutoff, events, partitionsDropped };
  } finally {
    if (client) {
      const unlocked = await client.query("SELECT pg_advisory_unlock($1)", [PG_RETENTION_LOCK]).then(
        () => true,
        () => false,
      );
      // A connection that may still hold the lock is closed, so the lock dies with it.
      client.release(!unlocked);
    }
  }
}
