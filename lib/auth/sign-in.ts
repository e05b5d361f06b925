import type { Db } from "../db/index.ts";
import { AppError, tooManyRequests } from "../errors.ts";
import { describeWait } from "../time.ts";
import { toUserKey } from "../users.ts";
import { ACCOUNT_SELECT, toAccount, type Account } from "./accounts.ts";
import { hashingDrainSeconds } from "./hash-queue.ts";
import { hashPassword, needsRehash, verifyPassword } from "./passwords.ts";
import {
  accountKey,
  addressKey,
  clearFailures,
  countAttempt,
  pruneFailures,
  recordFailure,
  withdrawAttempt,
  type InFlight,
} from "./rate-limit.ts";
import { passwordSchema } from "./schemas.ts";
import { createSession, type SessionMeta, type SessionOptions } from "./sessions.ts";

export type SignInResult =
  | { ok: true; account: Account; cookie: string }
  | { ok: false; reason: "locked"; retryAfterSeconds: number }
  /** Unknown username, wrong password or disabled account: the caller must not say which. */
  | { ok: false; reason: "invalid" };

const isBusy = (error: unknown) => error instanceof AppError && error.status === 429;

/**
 * A limit full of attempts whose passwords are still being checked: they will be answered once
 * the hashing line has drained, so that is the wait, and nothing is locked.
 */
function attemptsInFlight({ inFlight }: InFlight): AppError {
  const seconds = hashingDrainSeconds();
  const whose = inFlight === "account" ? "to this account" : "from this address";
  return tooManyRequests(`Too many sign-ins ${whose} are in progress; try again in ${describeWait(seconds)}`, seconds);
}

/**
 * Checks a username and password, within the per-account and per-address limits, and on
 * success starts a session and returns its cookie value. Throws a 429 `AppError` when too many
 * passwords are being checked already, or when attempts still being checked fill a limit.
 */
export async function signIn(
  db: Db,
  { username, password, ip, userAgent }: { username: string; password: string } & SessionMeta,
  options: SessionOptions = {},
): Promise<SignInResult> {
  const now = options.now ?? Date.now();
  const keys = [accountKey(toUserKey(username)), ...(ip ? [addressKey(ip)] : [])];
  // Counted before the password is checked, so attempts sent together cannot pass the limit.
  const allowance = await countAttempt(db, keys, now);
  if (!allowance.allowed) {
    if ("inFlight" in allowance) throw attemptsInFlight(allowance);
    return { ok: false, reason: "locked", retryAfterSeconds: allowance.retryAfterSeconds };
  }

  const row = await db.prisma.account.findUnique({
    where: { usernameKey: toUserKey(username) },
    select: { ...ACCOUNT_SELECT, passwordHash: true },
  });
  let matches: boolean;
  try {
    // Always one full hash, so unknown, disabled and real accounts take the same time.
    matches = await verifyPassword(password, row?.passwordHash);
  } catch (error) {
    // Turned away before any hashing: no password was checked, so the attempt does not count.
    if (isBusy(error)) await withdrawAttempt(db, keys, now);
    throw error;
  }
  if (!row || !matches || row.disabledAt) {
    await pruneFailures(db, now);
    const after = await recordFailure(db, keys, now);
    return after.allowed
      ? { ok: false, reason: "invalid" }
      : { ok: false, reason: "locked", retryAfterSeconds: after.retryAfterSeconds };
  }
  await withdrawAttempt(db, keys, now);
  // Only the account's failures are forgotten: one good password must not reset an address
  // that is trying many accounts.
  await clearFailures(db, keys[0]);
  if (needsRehash(row.passwordHash) && passwordSchema.safeParse(password).success) {
    // A stronger hash of the same password: not a password change, so sessions stay. It can
    // wait for the next sign-in when hashing is busy.
    const stronger = await hashPassword(password).catch((error: unknown) => {
      if (isBusy(error)) return null;
      throw error;
    });
    if (stronger)
      await db.prisma.account.updateMany({
        where: { id: row.id, passwordHash: row.passwordHash },
        data: { passwordHash: stronger },
      });
  }
  const { passwordHash: _hash, ...account } = row;
  const cookie = await createSession(db, row.id, { ip, userAgent }, options);
  return { ok: true, account: toAccount(account), cookie };
}
