import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Db } from "../db/index.ts";
import { getSecretKey } from "./secret-key.ts";
import { ACCOUNT_SELECT, toAccount, type Account } from "./accounts.ts";

export const SESSION_COOKIE = "wt_session";
/** A session unused for 12 hours ends; each use extends it, but never past 7 days from sign-in. */
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
export const SESSION_ABSOLUTE_MS = 7 * 24 * 60 * 60 * 1000;
// Writing last_seen_at on every request would turn every page view into a database write.
const SLIDE_EVERY_MS = 60_000;
const SECRET_BYTES = 32;
const PART = /^[A-Za-z0-9_-]{43}$/;

export type SessionMeta = { ip?: string | null; userAgent?: string | null };
type Session = {
  id: string;
  accountId: number;
  createdAt: Date;
  expiresAt: Date;
  lastSeenAt: Date;
  ip: string | null;
  userAgent: string | null;
};
export type SignedIn = { account: Account; session: Session };
/** For tests and callers that already know the time or the key. */
export type SessionOptions = { now?: number; secretKey?: string };

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const sign = (secret: string, key: string) => createHmac("sha256", key).update(secret).digest("base64url");

/** The stored id of a well-signed cookie, or null for anything else. */
function sessionIdOf(cookieValue: string | null | undefined, key: string): string | null {
  const [secret, mac, ...rest] = (cookieValue ?? "").split(".");
  if (rest.length || !PART.test(secret ?? "") || !PART.test(mac ?? "")) return null;
  // The MAC's text, not its decoded bytes: base64url leaves unused bits in the last character,
  // and decoding would accept several spellings of one MAC.
  const expected = Buffer.from(sign(secret, key));
  const given = Buffer.from(mac);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return sha256(secret);
}

const expiryFrom = (createdAt: number, now: number) =>
  new Date(Math.min(now + SESSION_IDLE_MS, createdAt + SESSION_ABSOLUTE_MS));

/**
 * Starts a session and returns the cookie value `<secret>.<hmac>`: the secret is 32 random
 * bytes, the HMAC is keyed with SECRET_KEY, and only sha256(secret) is stored, so neither a
 * database copy nor a guessed id can be turned into a working cookie.
 */
export async function createSession(
  db: Db,
  accountId: number,
  meta: SessionMeta = {},
  options: SessionOptions = {},
): Promise<string> {
  const now = options.now ?? Date.now();
  const secret = randomBytes(SECRET_BYTES).toString("base64url");
  // Expired sessions are otherwise only removed when their cookie comes back.
  await db.prisma.session.deleteMany({ where: { expiresAt: { lte: new Date(now) } } });
  await db.prisma.session.create({
    data: {
      id: sha256(secret),
      accountId,
      createdAt: new Date(now),
      expiresAt: expiryFrom(now, now),
      lastSeenAt: new Date(now),
      ip: meta.ip ?? null,
      userAgent: meta.userAgent?.slice(0, 512) ?? null,
    },
  });
  return `${secret}.${sign(secret, options.secretKey ?? getSecretKey())}`;
}

/**
 * The account and session behind a cookie, or null when the cookie is missing, forged,
 * unknown, expired, from before the last password change, or of a disabled account.
 */
export async function readSession(
  db: Db,
  cookieValue: string | null | undefined,
  options: SessionOptions = {},
): Promise<SignedIn | null> {
  const id = sessionIdOf(cookieValue, options.secretKey ?? getSecretKey());
  if (!id) return null;
  const now = options.now ?? Date.now();
  const row = await db.prisma.session.findUnique({ where: { id }, include: { account: { select: ACCOUNT_SELECT } } });
  if (!row) return null;
  const { account, ...session } = row;
  if (session.expiresAt.getTime() <= now || account.disabledAt || session.createdAt < account.passwordChangedAt) {
    await db.prisma.session.deleteMany({ where: { id } });
    return null;
  }
  if (now - session.lastSeenAt.getTime() >= SLIDE_EVERY_MS) {
    session.lastSeenAt = new Date(now);
    session.expiresAt = expiryFrom(session.createdAt.getTime(), now);
    // updateMany: a sign-out racing this request leaves nothing to update, which is fine.
    await db.prisma.session.updateMany({
      where: { id },
      data: { lastSeenAt: session.lastSeenAt, expiresAt: session.expiresAt },
    });
  }
  return { account: toAccount(account), session };
}

/** Ends the session behind a cookie (sign-out); a forged or unknown cookie ends nothing. */
export async function endSession(
  db: Db,
  cookieValue: string | null | undefined,
  options: SessionOptions = {},
): Promise<boolean> {
  const id = sessionIdOf(cookieValue, options.secretKey ?? getSecretKey());
  if (!id) return false;
  return (await db.prisma.session.deleteMany({ where: { id } })).count > 0;
}

/** Ends every session of an account; returns how many there were. */
export async function endAllSessions(db: Db, accountId: number): Promise<number> {
  return (await db.prisma.session.deleteMany({ where: { accountId } })).count;
}

export type CookieAttributes = { httpOnly: true; sameSite: "lax"; secure: boolean; path: "/"; maxAge: number };

/**
 * The attributes to set the session cookie with (they suit Next's `cookies().set`). `secure`
 * should be true whenever the site is served over HTTPS. Max-Age is the absolute limit: the
 * server ends idle sessions itself.
 */
export function sessionCookieAttributes({ secure }: { secure: boolean }): CookieAttributes {
  return { httpOnly: true, sameSite: "lax", secure, path: "/", maxAge: SESSION_ABSOLUTE_MS / 1000 };
}

/** A Set-Cookie header value that stores the session cookie, or with `null`, removes it. */
export function formatSessionCookie(value: string | null, { secure }: { secure: boolean }): string {
  const maxAge = value === null ? 0 : SESSION_ABSOLUTE_MS / 1000;
  return `${SESSION_COOKIE}=${value ?? ""}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}`;
}
