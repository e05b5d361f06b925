// Applies pending database migrations (the original's `flask init-db`). Safe to run again.
import { getConfig } from "../lib/config.ts";
import { getDb } from "../lib/db/index.ts";
import { getMigrationStatus, migrate } from "../lib/db/migrator.ts";
import { runCommand } from "./cli.ts";

async function main() {
  const config = getConfig();
  const db = getDb();
  const applied = await migrate(db);
  const status = await getMigrationStatus(db);
  for (const name of applied) console.log(`applied ${name}`);
  for (const name of status.modified)
    console.warn(`warning: ${name} differs from the version applied to this database`);
  const where = config.provider === "sqlite" ? config.databaseUrl : "PostgreSQL";
  console.log(
    applied.length
      ? `${applied.length} migration(s) applied to ${where}`
      : `${where} is up to date (${status.applied.length} migrations)`,
  );
}

runCommand(main, "Migration failed");
