import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as SqliteClient, type Prisma as SqliteTypes } from "../generated/sqlite/client.ts";
import { PrismaClient as PostgresClient } from "../generated/postgresql/client.ts";
import { getConfig, sqlitePathFromUrl } from "../config.ts";
import { describeError, log } from "../log.ts";
import { toNumberedPlaceholders, type Provider, type SqlValue } from "./dialect.ts";
import { prepareOwnerOnlySqlite, tightenSqliteCompanions } from "./file-modes.ts";

/** Both generated clients expose the same models (tests/unit/schema-parity.test.ts); this is their type. */
export type Prisma = SqliteClient;
/** A client inside `prisma.$transaction(async (tx) => ...)`. */
export type Transaction = SqliteTypes.TransactionClient;

/**
 * Plain SQL beside Prisma for the hot paths (ingest, the hours engine), written once with `?`
 * placeholders. On SQLite it runs on a second connection to the same file; on PostgreSQL it
 * shares Prisma's pool.
 */
type RawSql = {
  query<T = Record<string, unknown>>(sql: string, params?: SqlValue[]): Promise<T[]>;
  execute(sql: string, params?: SqlValue[]): Promise<number>;
};

export type Db = {
  provider: Provider;
  url: string;
  prisma: Prisma;
  raw: RawSql;
  /** Present on SQLite: the synchronous connection used for group commits. */
  sqlite?: Database.Database;
  /** Present on PostgreSQL: the pool shared with Prisma. */
  pool?: pg.Pool;
  close(): Promise<void>;
};

const SQLITE_BUSY_TIMEOUT_MS = 5000;

// WAL lets readers run beside the writer; synchronous=FULL makes every commit durable before
// it returns, which is what a 201 (or an admin's "saved") promises. better-sqlite3's build
// defaults WAL to NORMAL, so every connection says so itself.
const SQLITE_PRAGMAS = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";

type AdapterFactory = Pick<PrismaBetterSqlite3, "provider" | "adapterName" | "connect">;

/** Prisma's adapter opens a connection of its own: it gets the same settings as ours. */
function sqliteAdapter(file: string): AdapterFactory {
  const factory = new PrismaBetterSqlite3(
    { url: `file:${file}`, timeout: SQLITE_BUSY_TIMEOUT_MS },
    { timestampFormat: "unixepoch-ms" },
  );
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    async connect() {
      const adapter = await factory.connect();
      await adapter.executeScript(SQLITE_PRAGMAS);
      return adapter;
    },
  };
}

function openSqlite(url: string): Db {
  const file = sqlitePathFromUrl(url);
  // Employee activity is personal data: the files are the server account's alone (DESIGN §8).
  prepareOwnerOnlySqlite(file, path.join(getConfig().rootDir, "instance"));
  const sqlite = new Database(file, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  sqlite.exec(SQLITE_PRAGMAS);
  tightenSqliteCompanions(file);
  const prisma = new SqliteClient({ adapter: sqliteAdapter(file) });
  // The raw path serves per-request checks (tokens, health): prepare each statement once.
  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      if (statements.size >= 500) statements.clear();
      statement = sqlite.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const raw: RawSql = {
    query: async (sql, params = []) => prepare(sql).all(...params.map(toSqliteValue)) as never,
    execute: async (sql, params = []) => prepare(sql).run(...params.map(toSqliteValue)).changes,
  };
  return {
    provider: "sqlite",
    url,
    prisma,
    raw,
    sqlite,
    async close() {
      await prisma.$disconnect().catch(() => undefined);
      if (sqlite.open) sqlite.close();
    },
  };
}

function toSqliteValue(value: SqlValue): string | number | bigint | null {
  if (value instanceof Date) return value.getTime();
  if (typeof value === "boolean") return value ? 1 : 0;
  return value;
}

function openPostgres(url: string): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    // A server that stops answering without closing the connection must not hang requests.
    query_timeout: 60_000,
    keepAlive: true,
  });
  // An idle client losing its connection must not take the process down; the next query
  // reports the failure to its caller.
  pool.on("error", (error) => log.warn("database connection lost", describeError(error)));
  const prisma = new PostgresClient({ adapter: new PrismaPg(pool) }) as unknown as Prisma;
  const raw: RawSql = {
    query: async (sql, params = []) => (await pool.query(toNumberedPlaceholders(sql), params)).rows,
    execute: async (sql, params = []) => (await pool.query(toNumberedPlaceholders(sql), params)).rowCount ?? 0,
  };
  let closed = false;
  return {
    provider: "postgresql",
    url,
    prisma,
    raw,
    pool,
    async close() {
      if (closed) return;
      closed = true;
      await prisma.$disconnect().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}

/** Opens a new connection set for `url`; callers own it and must close it. */
export function openDb(url: string): Db {
  return url.startsWith("file:") ? openSqlite(url) : openPostgres(url);
}

// Next's bundles and server.ts load separate copies of this module in one process: the
// connections live on globalThis so both share one set.
const cache = globalThis as typeof globalThis & { __workTracingDb?: Db };

/** The process's database, opened on first use from DATABASE_URL. */
export function getDb(): Db {
  cache.__workTracingDb ??= openDb(getConfig().databaseUrl);
  return cache.__workTracingDb;
}

/** Closes the process's database, if it was opened. */
export async function closeDb(): Promise<void> {
  const db = cache.__workTracingDb;
  cache.__workTracingDb = undefined;
  await db?.close();
}

/** The PostgreSQL pool's connections right now, for metrics; null on SQLite, which has no pool. */
export function readPoolStats(db: Db): { total: number; idle: number; waiting: number; max: number } | null {
  if (!db.pool) return null;
  const { totalCount, idleCount, waitingCount, options } = db.pool;
  return { total: totalCount, idle: idleCount, waiting: waitingCount, max: options.max ?? 10 };
}
