import { getConfig } from "../config.ts";
import { getDb, type Db } from "../db/index.ts";
import { dialectOf } from "../db/dialect.ts";
import { recordEngineRun } from "../metrics/registry.ts";
import { toUserKey } from "../users.ts";
import type { LocalDate } from "../time.ts";
import { instantsOfDates, openProcessor, type StreamWork } from "./engine.ts";
import type { HoursRules } from "./periods.ts";

type EngineTrigger = "cron" | "startup" | "manual" | "route" | "test";

export type EngineOptions = {
  trigger: EngineTrigger;
  /**
   * For a scheduled run: the instant of its tick (epoch ms). Every instance fires for the same
   * tick; the first to take the lock runs it, and one that gets the lock after that run ended
   * skips instead of running the tick twice.
   */
  tick?: number;
  /** Re-derive from every stored event instead of only what changed. */
  rebuild?: boolean;
  /** With rebuild: only these local dates (inclusive). */
  from?: LocalDate;
  to?: LocalDate;
  /** Only this user (any spelling). */
  user?: string;
  onProgress?: (progress: { done: number; total: number; events: number }) => void;
  db?: Db;
  rules?: HoursRules;
};

export type EngineResult =
  | { status: "ok"; runId: number; users: number; events: number; durationMs: number }
  | { status: "skipped"; reason: string };

// Any fixed number: the advisory lock that lets one instance of many run the engine at a time.
export const PG_ENGINE_LOCK = 7_283_746_102;
const KEPT_RUNS = 1000;

const state = globalThis as typeof globalThis & { __workTracingEngineBusy?: boolean };

async function listWork(db: Db, options: EngineOptions, rules: HoursRules): Promise<StreamWork[]> {
  const userKey = options.user ? toUserKey(options.user) : null;
  const { ms } = dialectOf(db);
  const toWork = (row: Record<string, unknown>, revision: number | null): StreamWork => ({
    userKey: String(row.user_key),
    deviceKey: String(row.device_key),
    fromTs: Number(row.from_ts),
    toTs: Number(row.to_ts),
    revision,
  });
  if (!options.rebuild) {
    const rows = await db.raw.query<Record<string, unknown>>(
      `SELECT user_key, device_key, ${ms("from_ts")} AS from_ts, ${ms("to_ts")} AS to_ts, revision FROM hours_queue
       ${userKey ? "WHERE user_key = ?" : ""} ORDER BY user_key, device_key`,
      userKey ? [userKey] : [],
    );
    return rows.map((row) => toWork(row, Number(row.revision)));
  }
  // Every stream's first and latest event, kept by ingest in the same transaction as the events.
  const rows = await db.raw.query<Record<string, unknown>>(
    `SELECT user_key, device_key, ${ms("first_event_at")} AS from_ts, ${ms("last_event_at")} AS to_ts
     FROM tracked_devices ${userKey ? "WHERE user_key = ?" : ""} ORDER BY user_key, device_key`,
    userKey ? [userKey] : [],
  );
  const range =
    options.from || options.to
      ? instantsOfDates(options.from ?? "2000-01-01", options.to ?? "9999-12-30", rules.timeZone)
      : null;
  return rows
    .map((row) => {
      const work = toWork(row, null);
      return {
        ...work,
        fromTs: Math.max(work.fromTs, range?.fromTs ?? -Infinity),
        toTs: Math.min(work.toTs, range?.toTs ?? Infinity),
      };
    })
    .filter((work) => work.fromTs <= work.toTs);
}

/** Whether a scheduled run of the tick at `tick` (or a later one) has started, on any instance. */
async function tickAlreadyRun(db: Db, tick: number): Promise<boolean> {
  const { at } = dialectOf(db);
  const rows = await db.raw.query(`SELECT id FROM engine_runs WHERE trigger = 'cron' AND started_at >= ${at} LIMIT 1`, [
    tick,
  ]);
  return rows.length > 0;
}

async function recordStart(db: Db, trigger: EngineTrigger): Promise<number> {
  const { at } = dialectOf(db);
  const [row] = await db.raw.query<{ id: number }>(
    `INSERT INTO engine_runs (trigger, started_at, status) VALUES (?, ${at}, 'running') RETURNING id`,
    [trigger, Date.now()],
  );
  return Number(row.id);
}

async function recordEnd(
  db: Db,
  runId: number,
  outcome: { status: "ok" | "failed"; users: number; events: number; error?: string },
) {
  const { at } = dialectOf(db);
  await db.raw.execute(
    `UPDATE engine_runs SET finished_at = ${at}, status = ?, users_processed = ?, events_processed = ?, error = ? WHERE id = ?`,
    [Date.now(), outcome.status, outcome.users, outcome.events, outcome.error ?? null, runId],
  );
  await db.raw.execute(`DELETE FROM engine_runs WHERE id <= ?`, [runId - KEPT_RUNS]);
}

/**
 * Age in seconds of the oldest event the engine has not yet turned into hours: the earliest
 * pending instant in the hours queue, 0 when the queue is empty (or holds only events stamped
 * ahead of this clock).
 */
export async function readEngineLagSeconds(db: Db, now = Date.now()): Promise<number> {
  const { ms } = dialectOf(db);
  const [row] = await db.raw.query<{ oldest: unknown }>(`SELECT MIN(${ms("from_ts")}) AS oldest FROM hours_queue`);
  if (row?.oldest === null || row?.oldest === undefined) return 0;
  return Math.max(0, (now - Number(row.oldest)) / 1000);
}

/** What an engine failure may say in public (the health endpoint): its kind, never data. */
function describeFailure(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  const name = error instanceof Error ? error.name : "Error";
  return typeof code === "string" ? `${name} (${code})` : name;
}

/**
 * Brings the derived hours up to date: by default only the users and dates that new events
 * can touch; with `rebuild`, everything (or the given dates and user) from the stored events.
 * Never runs twice at once: within a process, and across processes by a PostgreSQL advisory
 * lock (SQLite serialises each user's update behind its write lock). Every run, skipped and
 * failed ones too, is counted in the process's metrics.
 */
export async function runHoursEngine(options: EngineOptions): Promise<EngineResult> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const result = await runOnce(options);
    recordEngineRun(result.status, seconds(), result.status === "ok" ? result.events : 0);
    return result;
  } catch (error) {
    recordEngineRun("failed", seconds());
    throw error;
  }
}

async function runOnce(options: EngineOptions): Promise<EngineResult> {
  if (state.__workTracingEngineBusy)
    return { status: "skipped", reason: "a run is already in progress in this process" };
  state.__workTracingEngineBusy = true;
  const db = options.db ?? getDb();
  const rules = options.rules ?? getConfig().rules;
  const started = performance.now();
  let processor: Awaited<ReturnType<typeof openProcessor>> | undefined;
  try {
    processor = await openProcessor(db);
    if (processor.client) {
      const { rows } = await processor.client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [
        PG_ENGINE_LOCK,
      ]);
      if (!rows[0].locked) return { status: "skipped", reason: "another server instance is running the engine" };
    }
    if (options.tick !== undefined && (await tickAlreadyRun(db, options.tick)))
      return { status: "skipped", reason: "another server instance ran this tick" };
    const runId = await recordStart(db, options.trigger);
    let users = 0;
    let events = 0;
    try {
      const work = await listWork(db, options, rules);
      let done = 0;
      // On PostgreSQL several lanes finish streams in no set order.
      const seen = new Set<string>();
      await processor.process(work, rules, (item, outcome) => {
        seen.add(item.userKey);
        users = seen.size;
        done++;
        events += outcome.events;
        options.onProgress?.({ done, total: work.length, events });
      });
    } catch (error) {
      await recordEnd(db, runId, { status: "failed", users, events, error: describeFailure(error) }).catch(
        () => undefined,
      );
      throw error;
    }
    await recordEnd(db, runId, { status: "ok", users, events });
    return { status: "ok", runId, users, events, durationMs: Math.round(performance.now() - started) };
  } finally {
    let unlocked = true;
    if (processor?.client) {
      unlocked = await processor.client.query("SELECT pg_advisory_unlock($1)", [PG_ENGINE_LOCK]).then(
        () => true,
        () => false,
      );
    }
    // A connection that may still hold the lock is closed, not returned to the pool, so the
    // lock dies with it instead of blocking every instance.
    await processor?.release(!unlocked);
    state.__workTracingEngineBusy = false;
  }
}
