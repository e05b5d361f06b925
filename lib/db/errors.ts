// Recognised by code, not by class: Prisma's errors, and the drivers' underneath them, come
// from more than one copy of their modules.
const UNIQUE_CODES = new Set(["P2002", "23505", "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"]);
const FOREIGN_KEY_CODES = new Set(["P2003", "23503", "SQLITE_CONSTRAINT_FOREIGNKEY"]);

function hasCode(error: unknown, codes: Set<string>): boolean {
  let current: unknown = error;
  for (let depth = 0; current && typeof current === "object" && depth < 5; depth++) {
    const record = current as { code?: unknown; cause?: unknown; originalCode?: unknown };
    if (typeof record.code === "string" && codes.has(record.code)) return true;
    if (typeof record.originalCode === "string" && codes.has(record.originalCode)) return true;
    current = record.cause;
  }
  return false;
}

export const isUniqueViolation = (error: unknown) => hasCode(error, UNIQUE_CODES);
export const isForeignKeyViolation = (error: unknown) => hasCode(error, FOREIGN_KEY_CODES);
