import type { Db } from "../db/index.ts";

/**
 * Failed sign-ins are counted per key in sign_in_failures, so every instance sees the same
 * counts. A key that reaches its limit within the window is locked for `lockMs`. An address
 * gets more tries than an account: many people may sign in from behind one NAT.
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
export type FailureCount = { count: number; lockedUntil: Date | null; retryAfterSeconds: number | null };

const toMs = (value: unknown) => (value === null || value === undefined ? null : Number(value));
const secondsUntil = (until: number, now: number) => Math.max(1, Math.ceil((until - now) / 1000));

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

/** Counts a failure for `key` and locks it when it reaches the limit. */
export async function recordFailure(db: Db, key: string, now = Date.now()): Promise<FailureCount> {
  const limit = limitFor(key);
  const at = new Date(now);
  const windowOver = new Date(now - limit.windowMs);
  // One statement, so failures arriving at several instances at once are all counted.
  const [row] = await db.raw.query<{ count: unknown; locked_until: unknown }>(
    `INSERT INTO sign_in_failures ("key", "count", window_start, locked_until) VALUES (?, 1, ?, NULL)
     ON CONFLICT ("key") DO UPDATE SET
       "count" = CASE WHEN sign_in_failures.window_start <= ? THEN 1 ELSE sign_in_failures."count" + 1 END,
       locked_until = CASE WHEN sign_in_failures.window_start <= ? THEN NULL ELSE sign_in_failures.locked_until END,
       window_start = CASE WHEN sign_in_failures.window_start <= ? THEN excluded.window_start ELSE sign_in_failures.window_start END
     RETURNING "count", locked_until`,
    [key, at, windowOver, windowOver, windowOver],
  );
  const count = Number(row.count);
  let lockedUntil = toMs(row.locked_until);
  if (count >= limit.maxFailures && !(lockedUntil && lockedUntil > now)) {
    lockedUntil = now + limit.lockMs;
    await db.raw.execute(`UPDATE sign_in_failures SET locked_until = ? WHERE "key" = ?`, [new Date(lockedUntil), key]);
  }
  const locked = lockedUntil !== null && lockedUntil > now;
  return {
    count,
    lockedUntil: locked ? new Date(lockedUntil!) : null,
    retryAfterSeconds: locked ? secondsUntil(lockedUntil!, now) : null,
  };
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
