import { getConfig } from "../config.ts";
import { getDb } from "../db/index.ts";
import { migrate } from "../db/migrator.ts";
import { log } from "../log.ts";
import { getSecretKey } from "../auth/secret-key.ts";
import { checkInitialAdminUsername, ensureInitialAdmin } from "../auth/accounts.ts";
import { startScheduler } from "../jobs/scheduler.ts";

const state = globalThis as typeof globalThis & { __workTracingReady?: Promise<void> };

/**
 * Everything the server needs before it answers: a valid configuration, a database at the
 * current schema, the first admin (from ADMIN_USERNAME/ADMIN_PASSWORD, when there is no
 * account yet), and the hours engine's schedule. Runs once per process however many entry
 * points (server.ts, instrumentation.ts) call it.
 */
export function prepareServer(): Promise<void> {
  state.__workTracingReady ??= (async () => {
    const config = getConfig();
    checkInitialAdminUsername(config.adminUsername);
    getSecretKey();
    const db = getDb();
    const applied = await migrate(db);
    for (const name of applied) log.info("migration applied", { name });
    log.info("database ready", { provider: db.provider, timezone: config.reportTimezone });
    const admin = await ensureInitialAdmin(db, { username: config.adminUsername, password: config.adminPassword });
    if (admin) log.info("first admin account created from ADMIN_USERNAME", { username: admin.username });
    startScheduler(config);
  })();
  return state.__workTracingReady;
}
