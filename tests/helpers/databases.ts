import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, inject } from "vitest";
import { openDb, type Db } from "@/lib/db";
import { type Provider } from "@/lib/db/dialect";
import { migrate } from "@/lib/db/migrator";

/** Every storage test runs on both providers; TEST_DATABASES=sqlite (or postgresql) narrows it. */
export const PROVIDERS: Provider[] = (process.env.TEST_DATABASES?.split(",") ?? ["sqlite", "postgresql"]) as Provider[];

export type TestDatabase = { provider: Provider; url: string; drop(): Promise<void> };

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A new, empty database of its own: a temporary SQLite file, or a fresh PostgreSQL database. */
export async function createTestDatabase(provider: Provider): Promise<TestDatabase> {
  if (provider === "sqlite") {
    const dir = mkdtempSync(path.join(os.tmpdir(), "wt-test-"));
    return {
      provider,
      url: `file:${path.join(dir, "work_events.db")}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const adminUrl = inject("postgresUrl");
  const name = `wt_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    provider,
    url: withDatabase(adminUrl, name),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        // FORCE cannot end a backend of another role: an autovacuum worker that just started on
        // the database fails the drop until it is gone.
        for (let attempt = 1; ; attempt++) {
          try {
            await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
            break;
          } catch (error) {
            if (attempt >= 10 || (error as { code?: string }).code !== "42501") throw error;
            await new Promise((resolve) => setTimeout(resolve, 300));
          }
        }
      } finally {
        await client.end();
      }
    },
  };
}

type ProcessState = typeof globalThis & { __workTracingDb?: Db; __workTracingStore?: unknown };

/** Gives the enclosing describe block a fresh, migrated database of its own. */
export function useMigratedDatabase(provider: Provider): { readonly db: Db; readonly url: string } {
  let testDb: TestDatabase;
  let db: Db;
  beforeAll(async () => {
    testDb = await createTestDatabase(provider);
    db = openDb(testDb.url);
    await migrate(db);
  });
  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });
  return {
    get db() {
      return db;
    },
    get url() {
      return testDb.url;
    },
  };
}

/**
 * Like useMigratedDatabase, and installed as the process's own database, so route handlers
 * and lib functions called in-process use it.
 */
export function useProcessDatabase(provider: Provider): { readonly db: Db; readonly url: string } {
  const database = useMigratedDatabase(provider);
  const state = globalThis as ProcessState;
  beforeAll(() => {
    state.__workTracingDb = database.db;
    state.__workTracingStore = undefined;
  });
  afterAll(() => {
    state.__workTracingDb = undefined;
    state.__workTracingStore = undefined;
  });
  return database;
}
