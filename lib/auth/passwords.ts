import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { badRequest } from "../errors.ts";
import { runHashing } from "./hash-queue.ts";
import { passwordSchema } from "./schemas.ts";

/**
 * scrypt at N=2^15, r=8, p=1 needs 32 MiB per hash and about 150–250 ms on this project's
 * two-core machines: slow for guessing, tolerable for a sign-in. Stored as
 * `scrypt$N$r$p$salt$hash` (base64url), so stronger settings later still verify old hashes.
 */
export const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
// Limits for parameters read back from the database, so a corrupt row cannot exhaust memory.
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

type Params = { N: number; r: number; p: number };
type Parsed = Params & { salt: Buffer; hash: Buffer };

/** One hash, within the process's bound on concurrent hashing (a 429 past it). */
function derive(password: string, salt: Buffer, { N, r, p }: Params, length = KEY_BYTES): Promise<Buffer> {
  // Node refuses when 128·N·r reaches maxmem (32 MiB by default, exactly what N=2^15, r=8 needs).
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r };
  return runHashing(
    () =>
      new Promise<Buffer>((resolve, reject) =>
        scrypt(password.normalize("NFC"), salt, length, options, (error, key) =>
          error ? reject(error) : resolve(key),
        ),
      ),
  );
}

function parseHash(stored: string): Parsed | null {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return null;
  const [N, r, p] = parts.slice(1, 4).map((part) => (/^\d{1,8}$/.test(part) ? Number(part) : NaN));
  const salt = Buffer.from(parts[4], "base64url");
  const hash = Buffer.from(parts[5], "base64url");
  const powerOfTwo = N > 1 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > MAX_N || !(r >= 1 && r <= MAX_R) || !(p >= 1 && p <= MAX_P)) return null;
  if (salt.length < 8 || hash.length < 16 || hash.length > 64) return null;
  return { N, r, p, salt, hash };
}

/** Throws a 400 naming the rule when the password is too short or too long. */
function checkPasswordRules(password: string): void {
  const parsed = passwordSchema.safeParse(password);
  if (!parsed.success) {
    const message = parsed.error.issues[0].message;
    throw badRequest("invalid_password", message, [{ field: "password", message }]);
  }
}

/** Hashes a new password, after checking its length. */
export async function hashPassword(password: string): Promise<string> {
  checkPasswordRules(password);
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, SCRYPT_PARAMS);
  const { N, r, p } = SCRYPT_PARAMS;
  return `scrypt$${N}$${r}$${p}$${salt.toString("base64url")}$${hash.toString("base64url")}`;
}

/**
 * Whether `password` matches `stored`. With no stored hash (an unknown account) or an
 * unreadable one, it still spends one full hash before answering false, so the time taken
 * does not tell which accounts exist.
 */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  const parsed = stored ? parseHash(stored) : null;
  if (!parsed) {
    await derive(password, randomBytes(SALT_BYTES), SCRYPT_PARAMS);
    return false;
  }
  const actual = await derive(password, parsed.salt, parsed, parsed.hash.length);
  return timingSafeEqual(actual, parsed.hash);
}

/** True when `stored` was made with weaker settings than today's, so it should be replaced on the next sign-in. */
export function needsRehash(stored: string): boolean {
  const parsed = parseHash(stored);
  return !parsed || parsed.N < SCRYPT_PARAMS.N || parsed.r < SCRYPT_PARAMS.r || parsed.p < SCRYPT_PARAMS.p;
}
