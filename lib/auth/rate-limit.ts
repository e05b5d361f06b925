import type { Db } from "../db/index.ts";
import { DIALECTS, toNumberedPlaceholders } from "../db/dialect.ts";

/**
 * Sign-in attempts are counted per key in sign_in_failures, so every instance sees the same
 * counts. An attempt is counted before its password is checked (and uncounted if it turns out
 * right), so attempts sent together cannot all slip past the limit while the first are still
 * being hashed. A key whose count reaches its limit within the window is locked for `lockMs`.
 * An address gets more tries than an account: many people may sign in from behind one NAT.
 */
export const RATE_LIMITS = {
  account: { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 },
  address: { maxFailures: 20, windowMs: 15 * 60_000, lockMs: 15 * 60_000 },
} as const;

/** The key for an account, by its case-folded username (known or not). */
export const accountKey = (usernameKey: string) => `account:${usernameKey}`;
export const addressKey = (ip: string) => `ip:${ip}`;

const limitFor = (key: string) => (key.startsWith("ip:") ? RATE_LIMITS.address : RATE_LIMITS.account);

export type Allowance = { allowed: true } | { allowed: false; retryAfterSeconds: number };
/** A key an attempt was counted against, and the start of the window that counted it. */
export type CountedKey = { key: string; windowStart: number };
export type Attempt = { allowed: true; counted: CountedKey[] } | { allowed: false; retryAfterSeconds: number };

/** A key's row; instants in epoch milliseconds. */
type Counter = { key: string; count: number; windowStart: number; lockedUntil: number | null };

const toMs = (value: unknown) => (value === null || value === undefined ? null : Number(value));
const secondsUntil = (until: number, now: number) => Math.max(1, Math.ceil((until - now) / 1000));
const isLocked = (counter: Counter, now: number) => counter.lockedUntil !== null && counter.lockedUntil > now;

function lockedAllowance(counters: Counter[], now: number): Allowance {
  const locked = counters.filter((counter) => isLocked(counter, now));
  if (!locked.length) return { allowed: true };
  return { allowed: false, retryAfterSeconds: secondsUntil(Math.max(...locked.map((c) => c.lockedUntil!)), now) };
}

/** Whether a sign-in may be tried now for all of `keys`; if not, how long to wait. */
export async function checkAllowed(db: Db, keys: string[], now = Date.now()): Promise<Allowance> {
  if (!keys.length) return { allowed: true };
  const rows = await db.raw.query<{ locked_until: unknown }>(
    `SELECT locked_until FROM sign_in_failures WHERE "key" IN (${keys.map(() => "?").join(", ")}) AND locked_until > ?`,
    [...keys, new Date(now)],
  );
  const until = Math.max(...rows.map((row) => toMs(row.locked_until) ?? 0));
  return rows.length ? { allowed: false, retryAfterSeconds: secondsUntil(until, now) } : { allowed: true };
}

/**
 * Reads the counters of `keys` (missing ones as zero), lets `step` decide, and writes back the
 * counters it returns, all in one transaction that excludes every other sign-in touching those
 * keys, on any instance. Keys are taken in sorted order so that two attempts cannot deadlock.
 */
async function updateCounters<T>(
  db: Db,
  keys: string[],
  now: number,
  step: (counters: Counter[]) => { result: T; writes: Counter[] },
): Promise<T> {
  const sorted = [...new Set(keys)].sort();
  const d = DIALECTS[db.provider];
  const placeholders = sorted.map(() => "?").join(", ");
  const select = `SELECT "key", "count", ${d.ms("window_start")} AS window_start, ${d.ms("locked_until")} AS locked_until
    FROM sign_in_failures WHERE "key" IN (${placeholders}) ORDER BY "key" ${d.forUpdate}`;
  const upsert = `INSERT INTO sign_in_failures ("key", "count", window_start, locked_until) VALUES (?, ?, ${d.at}, ${d.at})
    ON CONFLICT ("key") DO UPDATE SET "count" = excluded."count", window_start = excluded.window_start, locked_until = excluded.locked_until`;
  const decide = (rows: Record<string, unknown>[]) => {
    const found = new Map(rows.map((row) => [String(row.key), row]));
    const counters = sorted.map((key): Counter => {
      const row = found.get(key);
      return row
        ? {
            key,
            count: Number(row.count),
            // PostgreSQL's epoch arrives as float8: rounded, it matches the stored instant exactly.
            windowStart: Math.round(Number(row.window_start)),
            lockedUntil: toMs(row.locked_until),
          }
        : { key, count: 0, windowStart: now, lockedUntil: null };
    });
    return step(counters);
  };
  const paramsOf = (c: Counter) => [c.key, c.count, c.windowStart, c.lockedUntil];

  if (db.sqlite) {
    const sqlite = db.sqlite;
    const run = sqlite.transaction(() => {
      const { result, writes } = decide(sqlite.prepare(select).all(...sorted) as Record<string, unknown>[]);
      const write = sqlite.prepare(upsert);
      for (const counter of writes) write.run(...paramsOf(counter));
      return result;
    });
    // IMMEDIATE takes the write lock before reading, so no other connection changes the counts in between.
    return run.immediate();
  }
  const client = await db.pool!.connect();
  try {
    await client.query("BEGIN");
    // A row must exist to be locked by FOR UPDATE: a new key gets a zero count first.
    for (const key of sorted)
      await client.query(
        toNumberedPlaceholders(
          `INSERT INTO sign_in_failures ("key", "count", window_start, locked_until) VALUES (?, 0, ${d.at}, NULL) ON CONFLICT ("key") DO NOTHING`,
        ),
        [key, now],
      );
    const { rows } = await client.query(toNumberedPlaceholders(select), sorted);
    const { result, writes } = decide(rows);
    for (const counter of writes) await client.query(toNumberedPlaceholders(upsert), paramsOf(counter));
    await client.query("COMMIT");
    return result;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Counts a sign-in attempt against every key before its password is checked. It is allowed
 * only when no key is locked and every count, this attempt included, stays within its limit;
 * otherwise nothing is counted and the keys that are full are locked, so the attempts in flight
 * decide what happens next.
 */
export async function countAttempt(db: Db, keys: string[], now = Date.now()): Promise<Attempt> {
  if (!keys.length) return { allowed: true, counted: [] };
  return updateCounters(db, keys, now, (counters): { result: Attempt; writes: Counter[] } => {
    const locked = lockedAllowance(counters, now);
    if (!locked.allowed) return { result: locked, writes: [] };
    const counted = counters.map((counter): Counter => {
      const { windowMs } = limitFor(counter.key);
      // A window that has passed, or a lock that has ended, starts the count again.
      const fresh = counter.windowStart <= now - windowMs || counter.lockedUntil !== null;
      return fresh
        ? { key: counter.key, count: 1, windowStart: now, lockedUntil: null }
        : { ...counter, count: counter.count + 1 };
    });
    const full = counted.filter((counter) => counter.count > limitFor(counter.key).maxFailures);
    if (!full.length) {
      const keysCounted = counted.map(({ key, windowStart }) => ({ key, windowStart }));
      return { result: { allowed: true, counted: keysCounted }, writes: counted };
    }
    const lockedUntil = now + Math.max(...full.map((counter) => limitFor(counter.key).lockMs));
    const writes = counters
      .filter((counter) => full.some((f) => f.key === counter.key))
      .map((counter) => ({ ...counter, lockedUntil: now + limitFor(counter.key).lockMs }));
    return { result: { allowed: false, retryAfterSeconds: secondsUntil(lockedUntil, now) }, writes };
  });
}

/**
 * The attempt counted at `now` had a wrong password: its count stays, and every key that has
 * reached its limit is locked. Says how long to wait when a key is now locked.
 */
export async function recordFailure(db: Db, keys: string[], now = Date.now()): Promise<Allowance> {
  return updateCounters(db, keys, now, (counters) => {
    const writes = counters
      .filter((counter) => counter.count >= limitFor(counter.key).maxFailures && !isLocked(counter, now))
      .map((counter) => ({ ...counter, lockedUntil: now + limitFor(counter.key).lockMs }));
    const after = counters.map((counter) => writes.find((w) => w.key === counter.key) ?? counter);
    return { result: lockedAllowance(after, now), writes };
  });
}

/**
 * Uncounts an attempt that was not a failure after all (a right password, or one never
 * checked). A key whose window has started again since is left alone.
 */
export async function withdrawAttempt(db: Db, counted: CountedKey[]): Promise<void> {
  for (const { key, windowStart } of counted)
    await db.raw.execute(
      `UPDATE sign_in_failures SET "count" = "count" - 1 WHERE "key" = ? AND window_start = ? AND "count" > 0`,
      [key, new Date(windowStart)],
    );
}

/** Forgets the failures of a key, after a successful sign-in. */
export async function clearFailures(db: Db, key: string): Promise<void> {
  await db.raw.execute(`DELETE FROM sign_in_failures WHERE "key" = ?`, [key]);
}

/** Removes counts whose window and lock are both over, so the table stays small. */
export async function pruneFailures(db: Db, now = Date.now()): Promise<number> {
  const longest = Math.max(RATE_LIMITS.account.windowMs, RATE_LIMITS.address.windowMs);
  return db.raw.execute(
    `DELETE FROM sign_in_failures WHERE window_start <= ? AND (locked_until IS NULL OR locked_until <= ?)`,
    [new Date(now - longest), new Date(now)],
  );
}
