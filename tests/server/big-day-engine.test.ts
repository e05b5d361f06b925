import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createTestDatabase, PROVIDERS } from "../helpers/databases";

const ROOT = path.resolve(import.meta.dirname, "../..");
/** 600,000 events 100 ms apart, working and stopped alternating: 300,000 periods of 100 ms. */
const EVENTS = 600_000;
/**
 * Well under the server's own cap (npm start: 256 MB), which also holds Next.js and the pages:
 * the engine reads the window in chunks (a cursor on PostgreSQL) and keeps only the periods.
 */
const HEAP_MB = { sqlite: 96, postgresql: 96 } as const;

describe.each(PROVIDERS)("the hours engine on %s, over one day of 600,000 events", (provider) => {
  it(`derives its periods within a ${HEAP_MB[provider]} MB heap`, async () => {
    const database = await createTestDatabase(provider);
    try {
      const child = spawnSync(
        process.execPath,
        [`--max-old-space-size=${HEAP_MB[provider]}`, "--import", "tsx", "tests/helpers/big-day-engine.ts"],
        {
          cwd: ROOT,
          env: { ...process.env, DATABASE_URL: database.url, BIG_DAY_EVENTS: String(EVENTS), LOG_LEVEL: "warn" },
          encoding: "utf8",
          maxBuffer: 16 * 2 ** 20,
        },
      );
      expect(child.stderr.slice(-1000)).not.toContain("heap out of memory");
      expect(child.status).toBe(0);
      expect(JSON.parse(child.stdout.trim().split("\n").at(-1)!)).toEqual({
        status: "ok",
        working_seconds: 30_000,
        periods: EVENTS / 2,
      });
    } finally {
      await database.drop();
    }
  }, 300_000);
});
