import { beforeAll } from "vitest";
import { createAccount } from "@/lib/auth/accounts";
import type { Role, TokenScope } from "@/lib/auth/schemas";
import { createSession, SESSION_COOKIE } from "@/lib/auth/sessions";
import { createToken } from "@/lib/auth/tokens";
import { openDb, type Db } from "@/lib/db";
import { migrate } from "@/lib/db/migrator";

let counter = 0;
const unique = (base: string) => `${base}-${process.pid}-${++counter}`;

/** Headers that present a token. */
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A new token of `scope` in `db`, in plain text. */
export async function newToken(db: Db, scope: TokenScope, name = unique(`test-${scope}`)): Promise<string> {
  return (await createToken(db, { name, scope, createdBy: "tests" })).token;
}

/** A new account of `role` and a session cookie value for it. */
export async function newSession(
  db: Db,
  role: Role,
  password = `password-${unique(role)}`,
): Promise<{ accountId: number; username: string; cookie: string }> {
  const account = await createAccount(db, { username: unique(role), role, password }, { actor: "tests" });
  return { accountId: account.id, username: account.username, cookie: await createSession(db, account.id) };
}

export const sessionHeader = (cookie: string) => ({ cookie: `${SESSION_COOKIE}=${cookie}` });

/**
 * An ingest token in the database at `url` (migrating it first, as the server would), for
 * tests that post to a server process.
 */
export async function ingestTokenFor(url: string): Promise<string> {
  const db = openDb(url);
  try {
    await migrate(db);
    return await newToken(db, "ingest");
  } finally {
    await db.close();
  }
}

/**
 * For in-process route tests: an ingest and a read token made in the process database once
 * it exists (call after useProcessDatabase), as Authorization headers.
 */
export function useProcessTokens(database: { readonly db: Db }): {
  readonly ingest: Record<string, string>;
  readonly read: Record<string, string>;
} {
  const headers = { ingest: {} as Record<string, string>, read: {} as Record<string, string> };
  beforeAll(async () => {
    headers.ingest = bearer(await newToken(database.db, "ingest"));
    headers.read = bearer(await newToken(database.db, "read"));
  });
  return headers;
}

/** An ingest and a read token in the database at `url`, as Authorization headers. */
export async function tokensFor(
  url: string,
): Promise<{ ingest: Record<string, string>; read: Record<string, string> }> {
  const db = openDb(url);
  try {
    await migrate(db);
    return { ingest: bearer(await newToken(db, "ingest")), read: bearer(await newToken(db, "read")) };
  } finally {
    await db.close();
  }
}
