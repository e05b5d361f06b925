// Where the hours engine's time goes, on a database left by `npm run bench:hours -- --keep`:
// times every SQLite statement the engine runs (COMMIT included) and what is left outside SQL.
//   npx tsx scripts/bench/hours-profile.ts --db /tmp/wt-bench-hours-XXXX/work_events.db [--mode rebuild|late|tick] [--users 500]
// The database is copied first (unless --in-place), so runs can be repeated on the same data.
// --synchronous NORMAL is an experiment, not what the server does: it shows what the fsync of
// each per-user commit costs (the server's connection uses synchronous=FULL).
// Add node's --cpu-prof for a CPU profile: node --cpu-prof --import tsx scripts/bench/hours-profile.ts ...
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import { openDb } from "../../lib/db/index.ts";
import { runHoursEngine } from "../../lib/hours/run.ts";
import { EventStore } from "../../lib/ingest/store.ts";
import { currentEvents, lateEvents, Population, RULES } from "./hours-data.ts";

type Tally = { calls: number; ms: number; rows: number };

/** Wraps run/all/get/iterate of every better-sqlite3 statement to add up time per SQL text. */
function instrument(): Map<string, Tally> {
  const tallies = new Map<string, Tally>();
  const probe = new Database(":memory:");
  const proto = Object.getPrototypeOf(probe.prepare("SELECT 1")) as Record<string, (...args: unknown[]) => unknown>;
  probe.close();
  for (const method of ["run", "all", "get"] as const) {
    const original = proto[method];
    proto[method] = function (this: { source: string }, ...args: unknown[]) {
      const t0 = performance.now();
      const result = original.apply(this, args);
      const key = this.source.replace(/\s+/g, " ").trim().slice(0, 110);
      const tally = tallies.get(key) ?? { calls: 0, ms: 0, rows: 0 };
      tally.calls++;
      tally.ms += performance.now() - t0;
      if (Array.isArray(result)) tally.rows += result.length;
      tallies.set(key, tally);
      return result;
    };
  }
  return tallies;
}

async function main() {
  const { values } = parseArgs({
    strict: true,
    options: {
      db: { type: "string" },
      mode: { type: "string", default: "late" },
      users: { type: "string", default: "500" },
      "in-place": { type: "boolean", default: false },
      synchronous: { type: "string" },
    },
  });
  if (!values.db || !existsSync(values.db))
    throw new Error("--db must name a database kept by npm run bench:hours -- --keep");
  if (!["rebuild", "late", "tick"].includes(values.mode)) throw new Error("--mode is rebuild, late or tick");
  let file = values.db;
  let dir: string | undefined;
  if (!values["in-place"]) {
    // Fold the WAL into the file first, so that one copy holds everything.
    const source = new Database(values.db);
    source.pragma("wal_checkpoint(TRUNCATE)");
    source.close();
    dir = mkdtempSync(path.join(os.tmpdir(), "wt-bench-hours-profile-"));
    file = path.join(dir, "work_events.db");
    copyFileSync(values.db, file);
  }
  const db = openDb(`file:${file}`);
  try {
    if (values.synchronous) db.sqlite!.pragma(`synchronous = ${values.synchronous === "NORMAL" ? "NORMAL" : "FULL"}`);
    const population = new Population(Number(values.users));
    if (values.mode !== "rebuild") {
      const dates = (
        db.sqlite!.prepare(`SELECT DISTINCT work_date FROM user_real_work_summary ORDER BY work_date`).all() as {
          work_date: string;
        }[]
      ).map((row) => row.work_date);
      const submissions =
        values.mode === "late"
          ? lateEvents(population, 1000, dates, Date.now() % 100_000)
          : currentEvents(population, 1000, dates.at(-1)!, Date.now() % 100_000);
      const store = new EventStore(db);
      await Promise.all(submissions.map((events) => store.store(events, Date.now())));
    }
    const tallies = instrument();
    const started = performance.now();
    const result = await runHoursEngine({ trigger: "manual", rebuild: values.mode === "rebuild", db, rules: RULES });
    const total = performance.now() - started;
    const rows = [...tallies].sort((a, b) => b[1].ms - a[1].ms);
    const inSql = rows.reduce((sum, [, t]) => sum + t.ms, 0);
    process.stdout.write(
      `${values.mode}: ${JSON.stringify(result)}; ${total.toFixed(0)} ms in all, ${inSql.toFixed(0)} ms in SQL, ${(total - inSql).toFixed(0)} ms outside\n`,
    );
    for (const [sql, t] of rows) {
      process.stdout.write(
        `${t.ms.toFixed(0).padStart(7)} ms ${String(t.calls).padStart(6)} calls ${(t.ms / t.calls).toFixed(3).padStart(8)} ms/call ${String(t.rows).padStart(9)} rows  ${sql}\n`,
      );
    }
  } finally {
    await db.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
