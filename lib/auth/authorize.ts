import { AppError, databaseUnavailable } from "../errors.ts";
import type { Db } from "../db/index.ts";
import { toAccountPrincipal, toTokenPrincipal, type Principal } from "./principal.ts";
import type { TokenScope } from "./schemas.ts";
import { readSession, type SessionOptions } from "./sessions.ts";
import { verifyToken } from "./tokens.ts";

/**
 * What a path needs: `ingest` an ingest-scoped token, `read` a session (any role) or a
 * read-scoped token, `admin` an admin's session, `metrics` a metrics-scoped token.
 */
export type Need = "ingest" | "read" | "admin" | "metrics";

/** The token scope a need asks for; an admin's work is never a token's. */
const SCOPE_NEEDED: Record<Need, TokenScope> = { ingest: "ingest", read: "read", admin: "read", metrics: "metrics" };
/** Needs that only a token meets: a signed-in browser neither sends events nor scrapes metrics. */
const TOKEN_ONLY: Need[] = ["ingest", "metrics"];

/** What a request presented, taken from its headers by the caller. */
export type Credentials = { bearer: string | null; sessionCookie: string | null; ip?: string | null };

const unauthorized = (message: string) =>
  new AppError(401, "unauthorized", message, undefined, { "WWW-Authenticate": 'Bearer realm="work-tracing"' });
const forbidden = (message: string) => new AppError(403, "forbidden", message);

/**
 * A credential check that has not answered by then is a 503: on a connection that stalls
 * without closing, the driver's own timeout is far longer than a client should wait.
 */
const CHECK_DEADLINE_MS = 5000;

function withinDeadline<T>(check: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(databaseUnavailable()), CHECK_DEADLINE_MS);
  });
  // The check may still fail after the deadline; nobody is waiting for it then.
  check.catch(() => undefined);
  return Promise.race([check, late]).finally(() => clearTimeout(timer));
}

const NEEDS: Record<Need, string> = {
  ingest: "Sending events needs an ingest token: Authorization: Bearer <token>",
  read: "Sign in, or send a read token: Authorization: Bearer <token>",
  admin: "Only an admin may do this",
  metrics: "Reading metrics needs a metrics token: Authorization: Bearer <token>",
};

/**
 * The principal behind the credentials, allowed what `need` asks; otherwise a 401 (nothing
 * valid was presented) or a 403 (valid, but not for this). A bearer token, when present,
 * is the only credential looked at, so a browser's cookie never widens what a token may do.
 */
export async function authorize(
  db: Db,
  need: Need,
  { bearer, sessionCookie, ip }: Credentials,
  options: SessionOptions = {},
): Promise<Principal> {
  if (bearer) {
    const check = await withinDeadline(verifyToken(db, bearer, SCOPE_NEEDED[need], ip, options));
    if (!check.ok && check.status === 401) throw unauthorized("The token is not valid (unknown, malformed or revoked)");
    if (!check.ok || need === "admin") throw forbidden(`This token's scope does not allow this. ${NEEDS[need]}`);
    return toTokenPrincipal(check.token);
  }
  const signedIn = sessionCookie ? await withinDeadline(readSession(db, sessionCookie, options)) : null;
  if (!signedIn) throw unauthorized(NEEDS[need]);
  if (TOKEN_ONLY.includes(need) || (need === "admin" && signedIn.account.role !== "admin"))
    throw forbidden(NEEDS[need]);
  return toAccountPrincipal(signedIn.account);
}
