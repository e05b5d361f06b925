// Copies the database in DATABASE_URL to a file while the server keeps serving (docs/operations.md).
//   npm run backup -- --out /var/backups/work-tracing/2026-12-03.db      SQLite: a database file
//   npm run backup -- --out /var/backups/work-tracing/2026-12-03.dump    PostgreSQL: pg_dump's custom format
import { getConfig } from "../lib/config.ts";
import { backupDatabase } from "../lib/db/backup.ts";
import { failUsage, parseCommandLine, runCommand } from "./cli.ts";

const USAGE = "usage: backup --out FILE [--pg-dump PATH]";

async function main() {
  const { out, "pg-dump": pgDump } = parseCommandLine(
    { out: { type: "string" }, "pg-dump": { type: "string" } },
    USAGE,
  );
  if (!out) failUsage(`--out is required\n${USAGE}`);
  const config = getConfig();
  const started = performance.now();
  const result = await backupDatabase(config.databaseUrl, out, { pgDump });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const kind = result.provider === "sqlite" ? "SQLite database" : "PostgreSQL database";
  console.log(
    `Backed up the ${kind} ${result.source} to ${result.file} (${(result.bytes / 1_048_576).toFixed(1)} MB, ${seconds} s)`,
  );
}

runCommand(main, "Backup failed");
