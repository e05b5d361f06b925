import { SQL_TIME, type Db, type SqlTime } from "../db/index.ts";

export const dialectOf = (db: Db): SqlTime => SQL_TIME[db.provider];

/** A numeric column as read back: PostgreSQL's sums and counts arrive as strings. */
export function toNumber(value: unknown): number {
  return typeof value === "number" ? value : Number(value);
}

export function toIsoOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : new Date(toNumber(value)).toISOString();
}

/**
 * The employees (user keys) a reader may see, or null for everyone: a supervisor limited to
 * teams sees only their members (lib/auth/principal.ts visibleUserKeys).
 */
export type Visible = ReadonlySet<string> | null;

export const canSee = (visible: Visible, userKey: string) => visible === null || visible.has(userKey);

/** Orders by user key, the case-folded username, the same way on both providers. */
export const byUserKey = <T extends { userKey: string }>(a: T, b: T) => (a.userKey < b.userKey ? -1 : a.userKey > b.userKey ? 1 : 0);
