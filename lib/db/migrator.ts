import { createHash, randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import type { Db } from "./index.ts";
import type { Provider } from "./dialect.ts";
import { getConfig } from "../config.ts";

export type Migration = { name: string; sql: string; checksum: string };
export type MigrationStatus = { applied: string[]; pending: string[]; modified: string[] };

/** A migration that failed; its transaction was rolled back, so it left nothing behind. */
export class MigrationError extends Error {
  constructor(
    readonly migration: string,
    cause: unknown,
  ) {
    super(`Migration ${migration} failed and was rolled back: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = "MigrationError";
  }
}

// The table prisma migrate keeps, created the way Prisma creates it on each provider, so that
// `prisma migrate status` and `deploy` agree with this migrator.
const HISTORY_TABLE: Record<Provider, string> = {
  sqlite: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" TEXT PRIMARY KEY NOT NULL,
    "checksum" TEXT NOT NULL,
    "finished_at" DATETIME,
    "migration_name" TEXT NOT NULL,
    "logs" TEXT,
    "rolled_back_at" DATETIME,
    "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0
  )`,
  postgresql: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL,
    "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
  )`,
};

const APPLIED_SQL = `SELECT "migration_name" AS name, "checksum" AS checksum FROM "_prisma_migrations"
  WHERE "finished_at" IS NOT NULL AND "rolled_back_at" IS NULL`;
// Any fixed number: the advisory lock that keeps two instances from migrating at once.
const PG_MIGRATION_LOCK = 7_283_746_101;

export function migrationsDir(provider: Provider, rootDir = getConfig().rootDir): string {
  return path.join(/*turbopackIgnore: true*/ rootDir, "prisma", provider, "migrations");
}

/** The migrations shipped for a provider, oldest first. */
export function listMigrations(provider: Provider, dir = migrationsDir(provider)): Migration[] {
  if (!existsSync(/*turbopackIgnore: true*/ dir)) throw new Error(`No migrations folder at ${dir}`);
  return readdirSync(/*turbopackIgnore: true*/ dir, { withFileTypes: true })
    .filter(
      (entry) =>
        entry.isDirectory() && existsSync(/*turbopackIgnore: true*/ path.join(dir, entry.name, "migration.sql")),
    )
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(/*turbopackIgnore: true*/ path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

function compare(migrations: Migration[], applied: { name: string; checksum: string }[]): MigrationStatus {
  const byName = new Map(applied.map((row) => [row.name, row.checksum]));
  return {
    applied: migrations.filter((m) => byName.has(m.name)).map((m) => m.name),
    pending: migrations.filter((m) => !byName.has(m.name)).map((m) => m.name),
    modified: migrations.filter((m) => byName.has(m.name) && byName.get(m.name) !== m.checksum).map((m) => m.name),
  };
}

async function historyExists(db: Db): Promise<boolean> {
  const sql =
    db.provider === "sqlite"
      ? `SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'`
      : `SELECT 1 AS found FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '_prisma_migrations'`;
  return (await db.raw.query(sql)).length > 0;
}

/** Which shipped migrations the database has, lacks, or has in a different version. */
export async function getMigrationStatus(db: Db, migrations = listMigrations(db.provider)): Promise<MigrationStatus> {
  const applied = (await historyExists(db)) ? await db.raw.query<{ name: string; checksum: string }>(APPLIED_SQL) : [];
  return compare(migrations, applied);
}

function migrateSqlite(db: Db, migrations: Migration[]): string[] {
  const sqlite = db.sqlite!;
  sqlite.exec(HISTORY_TABLE.sqlite);
  const done: string[] = [];
  for (const migration of migrations) {
    // BEGIN IMMEDIATE takes the write lock first, so a second process waits and then sees
    // the migration as applied instead of applying it again.
    sqlite.exec("BEGIN IMMEDIATE");
    try {
      const applied = sqlite.prepare(APPLIED_SQL).all() as { name: string; checksum: string }[];
      if (applied.some((row) => row.name === migration.name)) {
        sqlite.exec("COMMIT");
        continue;
      }
      const started = Date.now();
      sqlite.exec(migration.sql);
      sqlite
        .prepare(
          `INSERT INTO "_prisma_migrations" ("id", "checksum", "finished_at", "migration_name", "logs", "rolled_back_at", "started_at", "applied_steps_count")
           VALUES (?, ?, ?, ?, NULL, NULL, ?, 1)`,
        )
        .run(randomUUID(), migration.checksum, Date.now(), migration.name, started);
      sqlite.exec("COMMIT");
      done.push(migration.name);
    } catch (error) {
      if (sqlite.inTransaction) sqlite.exec("ROLLBACK");
      throw new MigrationError(migration.name, error);
    }
  }
  return done;
}

/**
 * A connection of the migrator's own, not one of the pool's: the pool gives up on a query after
 * 60 s, and a migration that rewrites a large table (or a wait behind another instance's) may
 * take longer; given up on, it would be rolled back on every start.
 */
async function connectForMigrations(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000, keepAlive: true });
  // A lost connection fails the query in progress; the client's own error event must not end the process.
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

async function migratePostgres(db: Db, migrations: Migration[]): Promise<string[]> {
  const client = await connectForMigrations(db.url);
  const done: string[] = [];
  try {
    await client.query("SELECT pg_advisory_lock($1)", [PG_MIGRATION_LOCK]);
    await client.query(HISTORY_TABLE.postgresql);
    const applied = new Set((await client.query<{ name: string }>(APPLIED_SQL)).rows.map((row) => row.name));
    for (const migration of migrations) {
      if (applied.has(migration.name)) continue;
      try {
        await client.query("BEGIN");
        const started = new Date();
        await client.query(migration.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" ("id", "checksum", "finished_at", "migration_name", "logs", "rolled_back_at", "started_at", "applied_steps_count")
           VALUES ($1, $2, now(), $3, NULL, NULL, $4, 1)`,
          [randomUUID(), migration.checksum, migration.name, started],
        );
        await client.query("COMMIT");
        done.push(migration.name);
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw new MigrationError(migration.name, error);
      }
    }
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [PG_MIGRATION_LOCK]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
  return done;
}

/**
 * Applies every pending migration, each in its own transaction, and returns the names
 * applied. Running it again applies nothing.
 */
export async function migrate(db: Db, migrations = listMigrations(db.provider)): Promise<string[]> {
  return db.provider === "sqlite" ? migrateSqlite(db, migrations) : migratePostgres(db, migrations);
}
