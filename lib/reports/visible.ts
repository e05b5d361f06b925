/**
 * The employees (user keys) a reader may see, or null for everyone: a supervisor limited to
 * teams sees only their members (lib/auth/principal.ts visibleUserKeys).
 */
export type Visible = ReadonlySet<string> | null;

export const canSee = (visible: Visible, userKey: string) => visible === null || visible.has(userKey);

/** Orders by user key, the case-folded username, the same way on both providers. */
export const byUserKey = <T extends { userKey: string }>(a: T, b: T) =>
  a.userKey < b.userKey ? -1 : a.userKey > b.userKey ? 1 : 0;
