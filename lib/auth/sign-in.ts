import type { Db } from "../db/index.ts";
import { toUserKey } from "../users.ts";
import { ACCOUNT_SELECT, toAccount, type Account } from "./accounts.ts";
import { hashPassword, needsRehash, verifyPassword } from "./passwords.ts";
import { accountKey, addressKey, checkAllowed, clearFailures, pruneFailures, recordFailure } from "./rate-limit.ts";
import { passwordSchema } from "./schemas.ts";
import { createSession, type SessionMeta, type SessionOptions } from "./sessions.ts";

export type SignInResult =
  | { ok: true; account: Account; cookie: string }
  | { ok: false; reason: "locked"; retryAfterSeconds: number }
  /** Unknown username, wrong password or disabled account: the caller must not say which. */
  | { ok: false; reason: "invalid" };

/**
 * Checks a username and password, within the per-account and per-address limits, and on
 * success starts a session and returns its cookie value.
 */
export async function signIn(
  db: Db,
  { username, password, ip, userAgent }: { username: string; password: string } & SessionMeta,
  options: SessionOptions = {},
): Promise<SignInResult> {
  const now = options.now ?? Date.now();
  const keys = [accountKey(toUserKey(username)), ...(ip ? [addressKey(ip)] : [])];
  const allowance = await checkAllowed(db, keys, now);
  if (!allowance.allowed) return { ok: false, reason: "locked", retryAfterSeconds: allowance.retryAfterSeconds };

  const row = await db.prisma.account.findUnique({
    where: { usernameKey: toUserKey(username) },
    select: { ...ACCOUNT_SELECT, passwordHash: true },
  });
  // Always one full hash, so unknown, disabled and real accounts take the same time.
  const matches = await verifyPassword(password, row?.passwordHash);
  if (!row || !matches || row.disabledAt) {
    await pruneFailures(db, now);
    const counts = await Promise.all(keys.map((key) => recordFailure(db, key, now)));
    const retryAfter = Math.max(0, ...counts.map((count) => count.retryAfterSeconds ?? 0));
    return retryAfter
      ? { ok: false, reason: "locked", retryAfterSeconds: retryAfter }
      : { ok: false, reason: "invalid" };
  }
  // Only the account's count is cleared: one good password must not reset an address
  // that is trying many accounts.
  await clearFailures(db, keys[0]);
  if (needsRehash(row.passwordHash) && passwordSchema.safeParse(password).success) {
    // A stronger hash of the same password: not a password change, so sessions stay.
    await db.prisma.account.updateMany({
      where: { id: row.id, passwordHash: row.passwordHash },
      data: { passwordHash: await hashPassword(password) },
    });
  }
  const { passwordHash: _hash, ...account } = row;
  const cookie = await createSession(db, row.id, { ip, userAgent }, options);
  return { ok: true, account: toAccount(account), cookie };
}
