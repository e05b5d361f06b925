import { getConfig } from "./config.ts";
import { getDb } from "./db.ts";
import { migrate } from "./migrator.ts";
import { log } from "./log.ts";
import { getSecretKey } from "./secret-key.ts";

const state = globalThis as typeof globalThis & { __workTracingReady?: Promise<void> };

/**
 * Everything the server needs before it answers: a valid configuration and a database at the
 * current schema. Runs once per process however many entry points call it.
 */
export function prepareServer(): Promise<void> {
  state.__workTracingReady ??= (async () => {
    const config = getConfig();
    getSecretKey();
    const db = getDb();
    const applied = await migrate(db);
    for (const name of applied) log.info("migration applied", { name });
    log.info("database ready", { provider: db.provider, timezone: config.reportTimezone });
  })();
  return state.__workTracingReady;
}
