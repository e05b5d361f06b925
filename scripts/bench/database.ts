// A throwaway database for a benchmark: a fresh SQLite file, or a fresh database on the
// PostgreSQL server at `postgres` (its role needs CREATEDB), dropped afterwards.
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { Db } from "../../lib/db/index.ts";

export type BenchDatabase = {
  url: string;
  describe: string;
  file?: string;
  size(db: Db): Promise<number>;
  drop(): Promise<void>;
};

export async function createBenchDatabase(
  name: string,
  options: { postgres?: string; keep?: boolean },
): Promise<BenchDatabase> {
  if (!options.postgres) {
    const dir = mkdtempSync(path.join(os.tmpdir(), `wt-bench-${name}-`));
    const file = path.join(dir, "work_events.db");
    return {
      url: `file:${file}`,
      file,
      describe: `SQLite (WAL, synchronous=FULL, the server's connection settings), fresh file ${file}`,
      size: async () => [file, `${file}-wal`].reduce((sum, f) => sum + (existsSync(f) ? statSync(f).size : 0), 0),
      drop: async () => {
        if (!options.keep) rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const database = `wt_bench_${name}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: options.postgres });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${database}`);
  } catch (error) {
    throw new Error(`Cannot create the benchmark database (the role needs CREATEDB): ${(error as Error).message}`);
  } finally {
    await admin.end();
  }
  const url = new URL(options.postgres);
  url.pathname = `/${database}`;
  return {
    url: url.toString(),
    describe: `PostgreSQL at ${url.host}, fresh database ${database}`,
    size: async (db) =>
      Number((await db.raw.query<{ n: string }>(`SELECT pg_database_size(current_database()) AS n`))[0].n),
    async drop() {
      const client = new pg.Client({ connectionString: options.postgres });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
