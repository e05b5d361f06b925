import { createHash, randomBytes } from "node:crypto";
import { notFound } from "../errors.ts";
import type { Db } from "../db/index.ts";
import { writeAudit } from "./audit.ts";
import { TOKEN_SCOPES, tokenInputSchema, type TokenInput, type TokenScope } from "./schemas.ts";
import { parseInput } from "../errors.ts";

/** `wt_<scope>_` and 43 base64url characters (32 random bytes). */
const TOKEN_FORMAT = new RegExp(`^wt_(${TOKEN_SCOPES.join("|")})_[A-Za-z0-9_-]{43}$`);
/** How much of the random part lists show: enough to tell tokens apart, far too little to guess. */
const PREFIX_RANDOM_CHARS = 6;
const RECORD_USE_EVERY_MS = 60_000;
/**
 * How long a verified token is trusted without asking the database again. Revoking in this
 * process takes effect at once; another instance sees a revocation within this time.
 */
export const VERIFIED_TOKEN_TTL_MS = 5_000;

const cache = globalThis as typeof globalThis & {
  __workTracingVerifiedTokens?: Map<string, { token: ApiToken; until: number }>;
};
const verifiedTokens = () => (cache.__workTracingVerifiedTokens ??= new Map());

/** A token as lists show it: never the token, never its hash. */
export type ApiToken = {
  id: number;
  name: string;
  scope: TokenScope;
  prefix: string;
  createdAt: Date;
  createdBy: string;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  lastUsedIp: string | null;
};

/**
 * 401 when the token is not one (malformed, unknown, revoked), 403 when it is valid but for
 * the other scope.
 */
export type TokenCheck =
  | { ok: true; token: ApiToken }
  | { ok: false; status: 401; reason: "malformed" | "unknown" | "revoked" }
  | { ok: false; status: 403; reason: "wrong_scope"; token: ApiToken };

const TOKEN_SELECT = {
  id: true,
  name: true,
  scope: true,
  prefix: true,
  createdAt: true,
  createdBy: true,
  revokedAt: true,
  lastUsedAt: true,
  lastUsedIp: true,
} as const;

const toToken = (row: Omit<ApiToken, "scope"> & { scope: string }): ApiToken => ({
  ...row,
  scope: row.scope as TokenScope,
});

/** SQLite returns instants as epoch milliseconds, PostgreSQL as Dates. */
const toDate = (value: unknown): Date | null =>
  value === null || value === undefined ? null : value instanceof Date ? value : new Date(Number(value));

function fromRawRow(row: Record<string, unknown>): ApiToken {
  return {
    id: Number(row.id),
    name: String(row.name),
    scope: row.scope as TokenScope,
    prefix: String(row.prefix),
    createdAt: toDate(row.created_at)!,
    createdBy: String(row.created_by),
    revokedAt: toDate(row.revoked_at),
    lastUsedAt: toDate(row.last_used_at),
    lastUsedIp: row.last_used_ip === null || row.last_used_ip === undefined ? null : String(row.last_used_ip),
  };
}
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Creates a token and returns it in plain text: the only time anyone sees it. */
export async function createToken(
  db: Db,
  input: TokenInput,
  { ip }: { ip?: string | null } = {},
): Promise<{ token: string; info: ApiToken }> {
  const { name, scope, createdBy } = parseInput(tokenInputSchema, input);
  const token = `wt_${scope}_${randomBytes(32).toString("base64url")}`;
  const prefix = token.slice(0, `wt_${scope}_`.length + PREFIX_RANDOM_CHARS);
  const now = new Date();
  const row = await db.prisma.$transaction(async (tx) => {
    const created = await tx.apiToken.create({
      data: { name, scope, tokenHash: sha256(token), prefix, createdAt: now, createdBy },
      select: TOKEN_SELECT,
    });
    await writeAudit(tx, {
      actor: createdBy,
      ip,
      action: "token.create",
      target: `${name} (${prefix}…)`,
      details: { id: created.id, scope },
      at: now,
    });
    return created;
  });
  return { token, info: toToken(row) };
}

/** The token in an `Authorization: Bearer <token>` header, or null. */
export function readBearerToken(authorization: string | null | undefined): string | null {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? "");
  return match ? match[1] : null;
}

/**
 * Checks a presented token against the scope the request needs and, when it is accepted,
 * records the time and address of its use (at most once a minute per token).
 */
export async function verifyToken(
  db: Db,
  plain: string | null | undefined,
  neededScope: TokenScope,
  ip?: string | null,
  { now = Date.now() }: { now?: number } = {},
): Promise<TokenCheck> {
  if (!plain || !TOKEN_FORMAT.test(plain)) return { ok: false, status: 401, reason: "malformed" };
  const key = `${db.url}\u0000${sha256(plain)}`;
  const known = verifiedTokens().get(key);
  let row: ApiToken;
  if (known && known.until > now) {
    row = known.token;
  } else {
    // Every ingest request may come through here: plain SQL, not the ORM, keeps it cheap.
    const [found] = await db.raw.query<Record<string, unknown>>(
      `SELECT id, name, scope, prefix, created_at, created_by, revoked_at, last_used_at, last_used_ip FROM api_tokens WHERE token_hash = ?`,
      [key.slice(key.indexOf("\u0000") + 1)],
    );
    if (!found) return { ok: false, status: 401, reason: "unknown" };
    row = fromRawRow(found);
    if (verifiedTokens().size >= 10_000) verifiedTokens().clear();
    if (!row.revokedAt) verifiedTokens().set(key, { token: row, until: now + VERIFIED_TOKEN_TTL_MS });
  }
  if (row.revokedAt) return { ok: false, status: 401, reason: "revoked" };
  const token = row;
  if (token.scope !== neededScope) return { ok: false, status: 403, reason: "wrong_scope", token };
  if (!token.lastUsedAt || now - token.lastUsedAt.getTime() >= RECORD_USE_EVERY_MS) {
    token.lastUsedAt = new Date(now);
    token.lastUsedIp = ip ?? null;
    // The condition keeps instances that race here from writing more than once a minute.
    await db.prisma.apiToken.updateMany({
      where: { id: token.id, OR: [{ lastUsedAt: null }, { lastUsedAt: { lte: new Date(now - RECORD_USE_EVERY_MS) } }] },
      data: { lastUsedAt: token.lastUsedAt, lastUsedIp: token.lastUsedIp },
    });
  }
  return { ok: true, token };
}

/** Every token, revoked ones included, newest first. */
export async function listTokens(db: Db): Promise<ApiToken[]> {
  return (await db.prisma.apiToken.findMany({ select: TOKEN_SELECT, orderBy: { id: "desc" } })).map(toToken);
}

/** Revokes a token at once, on every instance; revoking it again changes nothing. */
export async function revokeToken(
  db: Db,
  id: number,
  context: { actor: string; ip?: string | null },
): Promise<ApiToken> {
  const revoked = await db.prisma.$transaction(async (tx) => {
    const row = await tx.apiToken.findUnique({ where: { id }, select: TOKEN_SELECT });
    if (!row) throw notFound("No such token");
    if (row.revokedAt) return toToken(row);
    const updated = await tx.apiToken.update({ where: { id }, data: { revokedAt: new Date() }, select: TOKEN_SELECT });
    await writeAudit(tx, {
      ...context,
      action: "token.revoke",
      target: `${row.name} (${row.prefix}…)`,
      details: { id },
    });
    return toToken(updated);
  });
  verifiedTokens().clear();
  return revoked;
}
