import { AppError, databaseUnavailable } from "../errors.ts";

// Recognised by code, not by class: Prisma's errors, and the drivers' underneath them, come
// from more than one copy of their modules.
const UNIQUE_CODES = new Set(["P2002", "23505", "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"]);
const FOREIGN_KEY_CODES = new Set(["P2003", "23503", "SQLITE_CONSTRAINT_FOREIGNKEY"]);

// Codes that mean the database cannot be used right now (not that the request was wrong):
// Prisma's connection errors, pg/libpq connection and admin states, node socket errors,
// and SQLite's busy, I/O, full, read-only and cannot-open results.
const UNAVAILABLE_PRISMA = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2034"]);
const UNAVAILABLE_NODE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "EAI_AGAIN",
]);
const UNAVAILABLE_PG_CLASSES = ["08", "53", "57", "58"];
const UNAVAILABLE_SQLITE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|READONLY|CANTOPEN|PROTOCOL|NOTADB|CORRUPT)/;
// A transaction the database chose to abort so that another could go on (a deadlock, a
// serialization failure): nothing of it was kept, and the same transaction run again can pass.
const TRANSIENT_CONFLICT_CODES = new Set(["40P01", "40001", "P2034"]);
const UNAVAILABLE_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|database connection is not open|The database connection is not open|Cannot use a pool after calling end|Query read timeout/i;

/** Every code on an error and on its causes, for drivers wrapped in Prisma's errors. */
function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && typeof current === "object" && depth < 5; depth++) {
    const record = current as { code?: unknown; cause?: unknown; originalCode?: unknown };
    if (typeof record.code === "string") codes.push(record.code);
    if (typeof record.originalCode === "string") codes.push(record.originalCode);
    current = record.cause;
  }
  return codes;
}

/** Recognises, by code rather than by class, an error that means "the database is unavailable". */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof AppError) return error.status === 503;
  const codes = codesOf(error);
  if (
    codes.some(
      (code) =>
        UNAVAILABLE_PRISMA.has(code) ||
        UNAVAILABLE_NODE.has(code) ||
        UNAVAILABLE_SQLITE.test(code) ||
        (/^[0-9A-Z]{5}$/.test(code) && UNAVAILABLE_PG_CLASSES.some((cls) => code.startsWith(cls))),
    )
  ) {
    return true;
  }
  return error instanceof Error && UNAVAILABLE_MESSAGES.test(error.message);
}

/** A deadlock or serialization failure: the transaction was rolled back whole and may be run again. */
export const isTransientConflict = (error: unknown) =>
  codesOf(error).some((code) => TRANSIENT_CONFLICT_CODES.has(code));

/**
 * Maps any thrown value to a client-safe error; unknown faults become a bare 500. A conflict
 * that outlasted the retries inside the server is a busy database, not the client's fault: 503.
 */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isDatabaseUnavailable(error) || isTransientConflict(error)) return databaseUnavailable();
  return new AppError(500, "internal_error", "The server failed to handle this request");
}

export const isUniqueViolation = (error: unknown) => codesOf(error).some((code) => UNIQUE_CODES.has(code));
export const isForeignKeyViolation = (error: unknown) => codesOf(error).some((code) => FOREIGN_KEY_CODES.has(code));
