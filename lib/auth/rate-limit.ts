import type { Db } from "../db/index.ts";
import { DIALECTS, toNumberedPlaceholders } from "../db/dialect.ts";
import { retryTransientConflicts } from "../db/retry.ts";

/**
 * Failed sign-ins are counted per key in sign_in_failures, so every instance sees the same
 * counts. A key that reaches its limit within the window is locked for `lockMs`. An address
 * gets more tries than an account: many people may sign in from behind one NAT.
 *
 * Attempts whose password is still being checked are counted too, in a row of their own
 * (`pending:<key>`), before any hashing starts: an attempt is allowed only while failures and
 * pending attempts together stay within the limit, so attempts sent together cannot all slip
 * past it. Only failures lock: many people signing in at once are not taken for an attack.
 */
export const RATE_LIMITS = {
  account: { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 },
  address: { maxFailures: 20, windowMs: 15 * 60_000, lockMs: 15 * 60_000 },
} as const;

/** The key for an account, by its case-folded username (known or not). */
export const accountKey = (usernameKey: string) => `account:${usernameKey}`;
export const addressKey = (ip: string) => `ip:${ip}`;

const scopeOf = (key: string) => (key.startsWith("ip:") ? "address" : "account");
const limitFor = (key: string) => RATE_LIMITS[scopeOf(key)];

/** Whether keys allow a sign-in; when failures have locked one, how long that lock has left. */
export type Allowance = { allowed: true } | { allowed: false; retryAfterSeconds: number };
/** A limit full of attempts still being checked: not a lock, as they are answered within seconds. */
export type InFlight = { allowed: false; inFlight: keyof typeof RATE_LIMITS };

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

const pendingKey = (key: string) => `pending:${key}`;

/** A key's failures and its attempts in flight. */
type Pair = { failures: Counter; pending: Counter; limit: (typeof RATE_LIMITS)[keyof typeof RATE_LIMITS] };

const windowOver = (counter: Counter, pair: Pair, now: number) => counter.windowStart <= now - pair.limit.windowMs;
/** A window that has passed, or a lock that has ended, starts the count of failures again. */
const failuresFrom = (pair: Pair, now: number): Counter =>
  windowOver(pair.failures, pair, now) || (pair.failures.lockedUntil !== null && pair.failures.lockedUntil <= now)
    ? { key: pair.failures.key, count: 0, windowStart: now, lockedUntil: null }
    : pair.failures;
const lessPending = (pair: Pair): Counter => ({ ...pair.pending, count: Math.max(0, pair.pending.count - 1) });

/**
 * Reads the failures and pending attempts of `keys` (missing ones as zero), lets `step` decide,
 * and writes back the counters it returns, all in one transaction that excludes every other
 * sign-in touching those keys, on any instance. Rows are taken in sorted order so that two
 * attempts cannot deadlock.
 */
async function updateCounters<T>(
  db: Db,
  keys: string[],
  now: number,
  step: (pairs: Pair[]) => { result: T; writes: Counter[] },
): Promise<T> {
  const unique = [...new Set(keys)];
  const sorted = [...unique, ...unique.map(pendingKey)].sort();
  const d = DIALECTS[db.provider];
  const placeholders = sorted.map(() => "?").join(", ");
  const select = `SELECT "key", "count", ${d.ms("window_start")} AS window_start, ${d.ms("locked_until")} AS locked_until
    FROM sign_in_failures WHERE "key" IN (${placeholders}) ORDER BY ${d.binary('"key"')} ${d.forUpdate}`;
  const upsert = `INSERT INTO sign_in_failures ("key", "count", window_start, locked_until) VALUES (?, ?, ${d.at}, ${d.at})
    ON CONFLICT ("key") DO UPDATE SET "count" = excluded."count", window_start = excluded.window_start, locked_until = excluded.locked_until`;
  const decide = (rows: Record<string, unknown>[]) => {
    const found = new Map(rows.map((row) => [String(row.key), row]));
    const counterOf = (key: string): Counter => {
      const row = found.get(key);
      return row
        ? { key, count: Number(row.count), windowStart: Number(row.window_start), lockedUntil: toMs(row.locked_until) }
        : { key, count: 0, windowStart: now, lockedUntil: null };
    };
    return step(
      unique.map((key) => ({ failures: counterOf(key), pending: counterOf(pendingKey(key)), limit: limitFor(key) })),
    );
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
  const pool = db.pool!;
  return retryTransientConflicts("sign-in counters", async () => {
    const client = await pool.connect();
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
  });
}

/**
 * Counts a sign-in attempt as pending against every key, before its password is checked. It
 * is allowed only when no key is locked and, for every key, failures and pending attempts, this
 * one included, stay within the limit; otherwise nothing is counted, and the answer says
 * whether failures locked a key or attempts in flight fill one.
 */
export async function countAttempt(db: Db, keys: string[], now = Date.now()): Promise<Allowance | InFlight> {
  if (!keys.length) return { allowed: true };
  return updateCounters(db, keys, now, (pairs): { result: Allowance | InFlight; writes: Counter[] } => {
    const locked = lockedAllowance(
      pairs.map((pair) => pair.failures),
      now,
    );
    if (!locked.allowed) return { result: locked, writes: [] };
    const next = pairs.map((pair) => {
      const failures = failuresFrom(pair, now);
      // Pending attempts left by a process that died are forgotten with the window.
      const pending =
        pair.pending.count === 0 || windowOver(pair.pending, pair, now)
          ? { key: pair.pending.key, count: 1, windowStart: now, lockedUntil: null }
          : { ...pair.pending, count: pair.pending.count + 1 };
      return { failures, pending, full: failures.count + pending.count > pair.limit.maxFailures };
    });
    const full = next.find((n) => n.full);
    if (full) return { result: { allowed: false, inFlight: scopeOf(full.failures.key) }, writes: [] };
    return { result: { allowed: true }, writes: next.flatMap((n) => [n.failures, n.pending]) };
  });
}

/**
 * The attempt counted by countAttempt had a wrong password: it moves from pending to failed,
 * and every key that reaches its limit is locked. Says how long to wait when a key is locked.
 */
export async function recordFailure(db: Db, keys: string[], now = Date.now()): Promise<Allowance> {
  return updateCounters(db, keys, now, (pairs) => {
    const failures = pairs.map((pair) => {
      const before = failuresFrom(pair, now);
      const counted = { ...before, count: before.count + 1 };
      const reached = counted.count >= pair.limit.maxFailures && !isLocked(counted, now);
      return reached ? { ...counted, lockedUntil: now + pair.limit.lockMs } : counted;
    });
    return { result: lockedAllowance(failures, now), writes: [...failures, ...pairs.map(lessPending)] };
  });
}

/** The attempt counted by countAttempt was not a failure (a right password, or never checked): it is no longer pending. */
export async function withdrawAttempt(db: Db, keys: string[], now = Date.now()): Promise<void> {
  await updateCounters(db, keys, now, (pairs) => ({ result: undefined, writes: pairs.map(lessPending) }));
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
