// Fills the configured database with a demo fleet: employees, teams and 30 days of agent
// events sent through the real ingest path, then Real Work Hours, so the dashboard is full.
//   npx tsx scripts/demo-data.ts                          24 employees, 30 days
//   npx tsx scripts/demo-data.ts --employees 500 --days 30 --seed 7
import path from "node:path";
import { listAccounts } from "../lib/auth/accounts.ts";
import { getConfig, sqlitePathFromUrl, type Config } from "../lib/config.ts";
import { getDb } from "../lib/db/index.ts";
import { DEFAULT_DEMO_SEED } from "../lib/demo/generate.ts";
import { fillDemoData, type FillProgress } from "../lib/demo/fill.ts";
import { migrate } from "../lib/db/migrator.ts";
import { localDateOf } from "../lib/time.ts";
import { failUsage, parseCommandLine, runCommand } from "./cli.ts";

const USAGE = "usage: demo-data [--employees N (1-10000, default 24)] [--days N (1-366, default 30)] [--seed N]";

function readWhole(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text.trim());
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value))
    failUsage(`--${name} must be a whole number (got ${JSON.stringify(text)})\n${USAGE}`);
  if (value < min || value > max) failUsage(`--${name} must be between ${min} and ${max} (got ${value})\n${USAGE}`);
  return value;
}

function parseOptions() {
  const values = parseCommandLine(
    { employees: { type: "string" }, days: { type: "string" }, seed: { type: "string" } },
    USAGE,
  );
  return {
    employees: readWhole("employees", values.employees, 24, 1, 10_000),
    days: readWhole("days", values.days, 30, 1, 366),
    seed: readWhole("seed", values.seed, DEFAULT_DEMO_SEED, 0, 2 ** 32 - 1),
  };
}

function describeDatabase(config: Config): string {
  if (config.provider === "sqlite") {
    const file = sqlitePathFromUrl(config.databaseUrl);
    const relative = path.relative(process.cwd(), file);
    return `SQLite ${relative.startsWith("..") || path.isAbsolute(relative) ? file : relative}`;
  }
  const url = new URL(config.databaseUrl);
  return `PostgreSQL ${url.host}${url.pathname}`;
}

function progressReporter() {
  const tty = process.stderr.isTTY;
  let lastLine = Date.now();
  return {
    update({ events, expected }: FillProgress) {
      const percent = Math.min(100, Math.floor((events / expected) * 100));
      if (tty) process.stderr.write(`\rSending events: ${events.toLocaleString("en-US")} (${percent}%)`);
      else if (Date.now() - lastLine > 5000) {
        lastLine = Date.now();
        process.stderr.write(`Sending events: ${events.toLocaleString("en-US")} (${percent}%)\n`);
      }
    },
    finish() {
      if (tty) process.stderr.write("\n");
    },
  };
}

async function main() {
  const options = parseOptions();
  const config = getConfig();
  const db = getDb();
  await migrate(db);
  const now = Date.now();
  const count = (n: number) => n.toLocaleString("en-US");
  console.log(
    `Demo data: ${options.employees} employee(s), ${options.days} day(s) up to ${localDateOf(now, config.reportTimezone)} ` +
      `(${config.reportTimezone}), seed ${options.seed}, into ${describeDatabase(config)}.`,
  );

  const progress = progressReporter();
  const result = await fillDemoData(db, { ...options, now, onProgress: (p) => progress.update(p) });
  progress.finish();

  const teams = result.teams.map((t) => `${t.name} (${t.members}${t.created ? ", new" : ""})`).join(", ");
  console.log(`Teams: ${teams}.`);
  console.log(`Events: ${count(result.accepted)} stored, ${count(result.duplicates)} already there.`);
  if (result.duplicates > 0) {
    console.log(
      "  (The store keeps each user, time and state once: a re-run with the same seed only adds what is new.)",
    );
  }
  if (result.engine.status === "ok") {
    console.log(
      `Real Work Hours: ${count(result.engine.users)} employee(s) processed from ${count(result.engine.events)} event(s).`,
    );
  } else {
    console.log(`Real Work Hours not processed now (${result.engine.reason}); run npm run hours:process.`);
  }
  const { working, idle, offline } = result.statuses;
  console.log(`Right now: ${working} working, ${idle} idle, ${offline} offline.`);
  console.log(`Done in ${(result.durationMs / 1000).toFixed(1)} s.`);

  const signIn = `sign in at http://localhost:${config.port}`;
  const hasAccount = (await listAccounts(db)).length > 0;
  console.log(
    hasAccount
      ? `\nNext: start the server with ./start_app.sh prod and ${signIn} (already running? just open it).`
      : `\nNext: start the server with ADMIN_USERNAME=admin ADMIN_PASSWORD='choose-a-long-password' ./start_app.sh prod and ${signIn}.`,
  );
}

runCommand(main, "Could not fill the demo data");
