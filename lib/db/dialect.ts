/*
 * Every difference between the providers that SQL written by hand must respect, in one place:
 * how instants are passed and read back, how a user's events are ordered, and how placeholders
 * are written.
 */

export type Provider = "sqlite" | "postgresql";
export type SqlValue = string | number | bigint | null | boolean | Date;

export type Dialect = {
  /** "This parameter is an instant", given as epoch milliseconds. */
  at: string;
  /** "This column as epoch milliseconds": SQLite keeps instants as epoch-ms integers, PostgreSQL as timestamptz. */
  ms: (column: string) => string;
  /** The UTC minute an instant column falls in, for grouping. */
  minute: (column: string) => string;
  /**
   * A device stream's events in DESIGN §5.1 order, oldest or newest first. PostgreSQL sorts in
   * SQL (walking the index, then sorting the few events that share an instant). SQLite keeps
   * instants as exact epoch-ms numbers and the unique index allows a stream at most two events
   * per instant (one per state), so it reads in the index's own order, with no sort
   * (`tiesInJs`), and the engine puts those pairs right, holding a chunk's last instant back
   * until the next chunk, which may hold the other half of its pair.
   */
  oldestFirst: string;
  newestFirst: string;
  tiesInJs: boolean;
  /**
   * Ends a SELECT that must hold its rows until the transaction ends. SQLite needs nothing:
   * its write transactions (BEGIN IMMEDIATE) already exclude every other writer.
   */
  forUpdate: string;
  /** A text column compared and ordered by its bytes, as SQLite's BINARY collation does. */
  binary: (column: string) => string;
  /**
   * "`column` is one of a list" with the whole list as one JSON-array parameter, so that no
   * list is too long for the providers' limit on parameters.
   */
  inJsonList: (column: string) => string;
};

export const DIALECTS: Record<Provider, Dialect> = {
  sqlite: {
    at: "?",
    ms: (column) => column,
    minute: (column) => `${column} / 60000`,
    oldestFirst: "ts ASC, state ASC",
    newestFirst: "ts DESC, state DESC",
    tiesInJs: true,
    forUpdate: "",
    binary: (column) => column,
    inJsonList: (column) => `${column} IN (SELECT value FROM json_each(?))`,
  },
  postgresql: {
    at: "to_timestamp(?::float8 / 1000)",
    // float8 arithmetic, rounded: exact for millisecond instants, and a quarter of the cost of
    // extract()'s numeric per row (the engine converts every event it reads).
    ms: (column) => `round(date_part('epoch', ${column}) * 1000)`,
    // Not the epoch arithmetic of ms(): truncating the timestamp itself is far cheaper per row.
    minute: (column) => `date_trunc('minute', ${column} AT TIME ZONE 'UTC')`,
    // The table's ts, not the epoch-ms output column named ts: sorting by that expression
    // would read and sort every one of the user's events instead of walking the index.
    oldestFirst: "work_events.ts ASC, state DESC, id ASC",
    newestFirst: "work_events.ts DESC, state ASC, id DESC",
    tiesInJs: false,
    forUpdate: "FOR UPDATE",
    binary: (column) => `${column} COLLATE "C"`,
    inJsonList: (column) => `${column} = ANY (ARRAY(SELECT jsonb_array_elements_text(?::jsonb)))`,
  },
};

export const dialectOf = (db: { provider: Provider }): Dialect => DIALECTS[db.provider];

/** SQL written once with `?` placeholders, as PostgreSQL's numbered `$1, $2, …`. */
export function toNumberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** A numeric column as read back: PostgreSQL's sums and counts arrive as strings. */
export function toNumber(value: unknown): number {
  return typeof value === "number" ? value : Number(value);
}

export function toIsoOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : new Date(toNumber(value)).toISOString();
}
