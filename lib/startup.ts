import { getConfig } from "./config.ts";
import { getDb } from "./db.ts";
import { migrate } from "./migrator.ts";
import { log } from "./log.ts";
import { getSecretKey } from "./secret-key.ts";
import { startScheduler } from "./hours/scheduler.ts";

const state = globalThis as typeof globalThis & { __workTracingReady?: Promise<void> };

/**
 * Everything the server needs before it answers: a valid configuration, a database at the
 * current schema, and the hours engine's schedule. Runs once per process however many entry
 * points (server.ts, instrumentation.ts) call it.
 */
export function prepareServer(): Promise<void> {
  state.__workTracingReady ??= (async () => {
    const config = getConfig();
    getSecretKey();
    const db = getDb();
    const applied = await migrate(db);
    for (const name of applied) log.info("migration applied", { name });
    log.info("database ready", { provider: db.provider, timezone: config.reportTimezone });
    startScheduler(config);
  })();
  return state.__workTracingReady;
}
