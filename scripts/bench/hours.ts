// Hours engine benchmark (DESIGN §10), in one process and one run:
//   1. full rebuild of --events events, against a bare SELECT scan of the same events;
//   2. with --stored events stored and processed, one incremental run over 1,000 new events;
//   3. month summary for --users users: median and p95;
//   4. the process's RSS throughout.
// The bulk of the data is written straight into the database (scripts/bench/hours-data.ts);
// only the new events of step 2 go through EventStore.
// Usage: npm run bench:hours -- [--events 1000000] [--stored 5000000] [--users 500] [--postgres URL] (--help for all)
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { openDb, type Db } from "../../lib/db/index.ts";
import { DIALECTS } from "../../lib/db/dialect.ts";
import { runHoursEngine, type EngineResult } from "../../lib/hours/run.ts";
import type { ParsedEvent } from "../../lib/ingest/schema.ts";
import { EventStore } from "../../lib/ingest/store.ts";
import { listMigrations, migrate, migrationsDir } from "../../lib/db/migrator.ts";
import { summarise } from "../../lib/reports/summary.ts";
import type { ReportSettings } from "../../lib/reports/settings.ts";
import type { LocalDate } from "../../lib/time.ts";
import { createBenchDatabase } from "./database.ts";
import {
  currentEvents,
  lateEvents,
  MINUTE,
  NEW_EVENTS_PER_USER,
  planDays,
  Population,
  RECENT_DAYS,
  RULES,
  type StreamState,
} from "./hours-data.ts";
import type { LoadRequest, LoadResult } from "./hours-load.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const TARGETS = { rebuildRatio: 0.4, incrementalMs: 1000, summaryP95Ms: 250, rssMb: 400 };
const SETTINGS: ReportSettings = { timeZone: RULES.timeZone, weekStartsOn: 1, gapMs: RULES.gapMs };

const HELP = `npm run bench:hours -- [options]

  --events <n>         events stored for the full-rebuild measurement (default 1000000)
  --stored <n>         events stored for the incremental and summary measurements (default 5000000)
  --users <n>          users the events belong to (default 500)
  --new <n>            new events stored through EventStore before each incremental run (default 1000)
  --rounds <n>         rebuild ÷ scan rounds, interleaved, after one untimed of each (default 3)
  --incremental <n>    incremental runs, each after its own new events (default 3)
  --summaries <n>      timed month summaries after 5 warm-up calls (default 50)
  --verify             at the end, check that a full rebuild of everything gives what the
                       incremental runs left (slow: rebuilds --stored events)
  --postgres <url>     run on PostgreSQL: a throwaway database is created there and dropped
  --keep               keep the SQLite file (its path is printed) instead of removing it
`;

class UsageError extends Error {}

type Options = {
  events: number;
  stored: number;
  users: number;
  newEvents: number;
  rounds: number;
  incremental: number;
  summaries: number;
  verify: boolean;
  postgres?: string;
  keep: boolean;
};

function parseOptions(): Options {
  const { values } = parseArgs({
    strict: true,
    options: {
      events: { type: "string", default: "1000000" },
      stored: { type: "string", default: "5000000" },
      users: { type: "string", default: "500" },
      new: { type: "string", default: "1000" },
      rounds: { type: "string", default: "3" },
      incremental: { type: "string", default: "3" },
      summaries: { type: "string", default: "50" },
      verify: { type: "boolean", default: false },
      postgres: { type: "string" },
      keep: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const whole = (name: keyof typeof values, min = 1): number => {
    const text = String(values[name]).replace(/[_,]/g, "");
    const n = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < min)
      throw new UsageError(`--${name} must be a whole number of at least ${min}`);
    return n;
  };
  const options: Options = {
    events: whole("events", 1000),
    stored: whole("stored", 1000),
    users: whole("users"),
    newEvents: whole("new"),
    rounds: whole("rounds"),
    incremental: whole("incremental"),
    summaries: whole("summaries"),
    verify: values.verify,
    postgres: values.postgres,
    keep: values.keep,
  };
  if (options.stored < options.events)
    throw new UsageError("--stored must be at least --events (the same database grows)");
  if (options.postgres && !/^postgres(ql)?:\/\//.test(options.postgres))
    throw new UsageError("--postgres must be a postgresql:// URL");
  if (options.postgres && options.keep) throw new UsageError("--keep is for SQLite only");
  return options;
}

/**
 * Generates and stores the next `count` events in a child process (scripts/bench/hours-load.ts),
 * so that generating them does not count in this process's RSS.
 */
function loadInChild(request: LoadRequest): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(ROOT, "scripts", "bench", "hours-load.ts"), JSON.stringify(request)],
      {
        cwd: ROOT,
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.once("error", reject);
    child.once("exit", (code, signal) => {
      if (code === 0) resolve(JSON.parse(output.trim().split("\n").at(-1)!) as LoadResult);
      else reject(new Error(`generating the events failed (exit ${code ?? signal})`));
    });
  });
}

async function countEvents(db: Db): Promise<number> {
  return Number((await db.raw.query<{ n: number | string }>(`SELECT count(*) AS n FROM work_events`))[0].n);
}

// ---- measurements -----------------------------------------------------------------------

/** The process's RSS, sampled every 20 ms while the event loop is free and at every explicit sample(). */
function watchRss() {
  let max = 0;
  let phaseMax = 0;
  const sample = () => {
    const mb = process.memoryUsage.rss() / 2 ** 20;
    if (mb > max) max = mb;
    if (mb > phaseMax) phaseMax = mb;
    return mb;
  };
  const timer = setInterval(sample, 20);
  timer.unref();
  return {
    sample,
    get maxMb() {
      sample();
      return max;
    },
    /** The maximum since the previous call. */
    phase() {
      sample();
      const value = phaseMax;
      phaseMax = 0;
      return value;
    },
    stop: () => clearInterval(timer),
  };
}
type Rss = ReturnType<typeof watchRss>;

/** A bare read of every event in the order the engine reads them per user: no derivation, no writes. */
async function bareScan(db: Db, rss: Rss): Promise<{ rows: number; seconds: number }> {
  const started = performance.now();
  let rows = 0;
  if (db.sqlite) {
    const statement = db.sqlite.prepare(`SELECT id, ts, state FROM work_events ORDER BY user_key, ts`).raw();
    for (const row of statement.iterate()) {
      if (row) rows++;
      if ((rows & 0xffff) === 0) rss.sample();
    }
  } else {
    const client = await db.pool!.connect();
    try {
      await client.query("BEGIN");
      await client.query(
        `DECLARE bench_scan NO SCROLL CURSOR FOR
         SELECT id, ${DIALECTS.postgresql.ms("ts")} AS ts, state FROM work_events ORDER BY user_key, work_events.ts`,
      );
      for (;;) {
        const { rows: part } = await client.query({ text: "FETCH 10000 FROM bench_scan", rowMode: "array" });
        rows += part.length;
        if (part.length < 10000) break;
      }
      await client.query("COMMIT");
    } finally {
      client.release();
    }
  }
  return { rows, seconds: (performance.now() - started) / 1000 };
}

type EngineTiming = { seconds: number; users: number; events: number };

async function timeEngine(db: Db, rebuild: boolean): Promise<EngineTiming> {
  const started = performance.now();
  const result: EngineResult = await runHoursEngine({ trigger: "manual", rebuild, db, rules: RULES });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== "ok") throw new Error(`The engine did not run: ${result.reason}`);
  return { seconds, users: result.users, events: result.events };
}

/** Stores each user's events as its own submission, all at once (they share group commits), as agents posting together would. */
async function storeThroughEventStore(
  db: Db,
  submissions: ParsedEvent[][],
): Promise<{ stored: number; sent: number; seconds: number }> {
  const store = new EventStore(db);
  const started = performance.now();
  const results = await Promise.all(submissions.map((events) => store.store(events, Date.now())));
  await store.drain();
  return {
    stored: results.flat().filter(Boolean).length,
    sent: submissions.reduce((n, s) => n + s.length, 0),
    seconds: (performance.now() - started) / 1000,
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/** The month most of the data falls in, as a date inside it. */
function busiestMonth(dates: LocalDate[]): LocalDate {
  const counts = new Map<string, number>();
  for (const date of dates) counts.set(date.slice(0, 7), (counts.get(date.slice(0, 7)) ?? 0) + 1);
  const [month] = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : -1))[0];
  return `${month}-15`;
}

async function derivedSnapshot(db: Db): Promise<string> {
  const ms = (column: string) => (db.provider === "sqlite" ? column : `(extract(epoch FROM ${column}) * 1000)::float8`);
  const rows = await db.raw.query(
    `SELECT user_key, work_date, working_seconds, real_hours_counted, ${ms("first_activity")} AS f, ${ms("last_activity")} AS l, last_processed_event_id
     FROM user_real_work_summary ORDER BY user_key, work_date`,
  );
  const periods = await db.raw.query(
    `SELECT user_key, work_date, ${ms("start_ts")} AS s, ${ms("end_ts")} AS e, last_event_id FROM work_periods ORDER BY user_key, start_ts`,
  );
  return JSON.stringify([
    rows.map((row) => Object.values(row).map(String)),
    periods.map((row) => Object.values(row).map(String)),
  ]);
}

// ---- report -----------------------------------------------------------------------------

function machine() {
  const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? "unknown CPU";
  return { cores: os.availableParallelism(), model, node: process.version, memoryGb: os.totalmem() / 2 ** 30 };
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const ms = (seconds: number) => `${Math.round(seconds * 1000).toLocaleString("en-US")} ms`;
// Truncated, not rounded, so that a ratio just under its target never shows as the target.
const ratio = (n: number) => `${(Math.floor(n * 100) / 100).toFixed(2)}×`;
const verdict = (pass: boolean) => (pass ? "PASS" : "FAIL");
const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => (row[c] ?? "").length)));
  return rows
    .map((row) =>
      row
        .map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c])))
        .join("   ")
        .trimEnd(),
    )
    .join("\n");
}

function say(line: string) {
  process.stdout.write(`${line}\n`);
}

// ---- main -------------------------------------------------------------------------------

async function main() {
  const options = parseOptions();
  const started = new Date();
  const load0 = os.loadavg();
  const rss = watchRss();
  const rssStart = rss.sample();
  const population = new Population(options.users);
  const bench = await createBenchDatabase("hours", options);
  let db: Db | undefined;
  const interrupt = () => {
    // Remove what this run created even when stopped with Ctrl-C.
    void (async () => {
      await db?.close().catch(() => undefined);
      await bench.drop().catch(() => undefined);
      process.exit(130);
    })();
  };
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  const problems: string[] = [];
  try {
    db = openDb(bench.url);
    await migrate(db, listMigrations(db.provider, migrationsDir(db.provider, ROOT)));
    say(`Database: ${bench.describe}`);

    const days = planDays(population, options.stored, RULES.timeZone);
    let stream: StreamState = { days, next: 0, at: 0, dates: [] };
    const target = bench.file ? { file: bench.file } : { postgres: bench.url };

    // ---- 1. full rebuild against a bare scan, with --events stored
    say(`Generating ${int(options.events)} events for ${int(options.users)} users (weekdays from ${days[0]}) ...`);
    const load1 = await loadInChild({ ...target, users: options.users, count: options.events, stream });
    stream = load1.stream;
    const storedAtRebuild = await countEvents(db);
    if (storedAtRebuild !== options.events)
      problems.push(`${storedAtRebuild} events stored for the rebuild, not ${options.events}`);
    say(
      `  stored in ${load1.seconds.toFixed(1)} s (${int(options.events / load1.seconds)} rows/s; generating took ${load1.generateSeconds.toFixed(1)} s more), dates ${stream.dates[0]} … ${stream.dates.at(-1)}`,
    );
    rss.phase();

    // Warm-up, not timed: the page cache, prepared statements, and the engine's code compiled.
    await bareScan(db, rss);
    await timeEngine(db, true);
    const scans: { rows: number; seconds: number }[] = [];
    const rebuilds: EngineTiming[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const scan = await bareScan(db, rss);
      scans.push(scan);
      if (scan.rows !== storedAtRebuild) problems.push(`the bare scan read ${scan.rows} rows of ${storedAtRebuild}`);
      const rebuild = await timeEngine(db, true);
      rebuilds.push(rebuild);
      if (rebuild.events !== storedAtRebuild)
        problems.push(`the rebuild read ${rebuild.events} events of ${storedAtRebuild}`);
      say(
        `  round ${round + 1}: bare scan ${ms(scan.seconds)} (${int(scan.rows / scan.seconds)} rows/s), ` +
          `rebuild ${ms(rebuild.seconds)} (${int(rebuild.events / rebuild.seconds)} events/s, ${rebuild.users} users): ${ratio(scan.seconds / rebuild.seconds)}`,
      );
    }
    const scanSeconds = scans.reduce((n, s) => n + s.seconds, 0);
    const rebuildSeconds = rebuilds.reduce((n, r) => n + r.seconds, 0);
    const scanRate = (storedAtRebuild * scans.length) / scanSeconds;
    const rebuildRate = (storedAtRebuild * rebuilds.length) / rebuildSeconds;
    const rebuildRatio = rebuildRate / scanRate;
    const rssRebuild = rss.phase();

    // ---- 2. grow to --stored, process everything once, then incremental runs over new events
    const more = options.stored - options.events;
    let load2: LoadResult = { seconds: 0, generateSeconds: 0, stream, maxRssMb: 0 };
    if (more > 0) {
      say(`Generating ${int(more)} more events (to ${int(options.stored)}) ...`);
      load2 = await loadInChild({ ...target, users: options.users, count: more, stream });
      stream = load2.stream;
      say(
        `  stored in ${load2.seconds.toFixed(1)} s (${int(more / load2.seconds)} rows/s; generating took ${load2.generateSeconds.toFixed(1)} s more), dates up to ${stream.dates.at(-1)}`,
      );
    }
    const storedTotal = await countEvents(db);
    if (storedTotal !== options.stored) problems.push(`${storedTotal} events stored, not ${options.stored}`);
    rss.phase();
    const processAll = await timeEngine(db, false);
    say(
      `  processing the queue (every stored event once): ${ms(processAll.seconds)}, ${int(processAll.events)} events, ${processAll.users} users`,
    );
    if (processAll.events !== storedTotal)
      problems.push(`processing everything read ${processAll.events} events of ${storedTotal}`);

    const incremental: (EngineTiming & { stored: number; storeSeconds: number })[] = [];
    for (let round = 0; round < options.incremental; round++) {
      const written = await storeThroughEventStore(
        db,
        lateEvents(population, options.newEvents, stream.dates, 1000 + round),
      );
      if (written.stored !== written.sent)
        problems.push(
          `EventStore stored ${written.stored} of ${written.sent} new events (duplicates of generated ones)`,
        );
      const run = await timeEngine(db, false);
      incremental.push({ ...run, stored: written.stored, storeSeconds: written.seconds });
      say(
        `  incremental run ${round + 1}: ${ms(run.seconds)} after ${written.stored} late events (${run.users} users, ${int(run.events)} events re-derived; ` +
          `EventStore took ${ms(written.seconds)})`,
      );
    }
    const tickWritten = await storeThroughEventStore(
      db,
      currentEvents(population, options.newEvents, stream.dates.at(-1)!, 7),
    );
    const tick = await timeEngine(db, false);
    say(
      `  incremental run after ${tickWritten.stored} current heartbeats: ${ms(tick.seconds)} (${tick.users} users, ${int(tick.events)} events re-derived)`,
    );
    const incrementalSeconds = median(incremental.map((r) => r.seconds));
    const rssIncremental = rss.phase();

    // ---- 3. month summary
    const date = busiestMonth(stream.dates);
    const summaryTimes: number[] = [];
    let summaryRows = 0;
    for (let i = 0; i < 5 + options.summaries; i++) {
      const t0 = performance.now();
      const rows = await summarise(db, { period: "month", date }, SETTINGS);
      const elapsed = performance.now() - t0;
      if (i >= 5) summaryTimes.push(elapsed);
      summaryRows = rows.length;
      rss.sample();
    }
    summaryTimes.sort((a, b) => a - b);
    const summaryP50 = percentile(summaryTimes, 0.5);
    const summaryP95 = percentile(summaryTimes, 0.95);
    if (summaryRows !== options.users)
      problems.push(`the month summary had ${summaryRows} rows for ${options.users} users`);
    say(
      `  month summary of ${date.slice(0, 7)}: ${summaryRows} rows, median ${summaryP50.toFixed(1)} ms, p95 ${summaryP95.toFixed(1)} ms over ${options.summaries} calls`,
    );
    const rssSummary = rss.phase();
    const rssMeasured = Math.max(rssRebuild, rssIncremental, rssSummary);
    const dbBytes = await bench.size(db);

    let verified = "not run (--verify)";
    if (options.verify) {
      say("Verifying: a full rebuild must give what the incremental runs left ...");
      const before = await derivedSnapshot(db);
      await timeEngine(db, true);
      const after = await derivedSnapshot(db);
      verified =
        before === after
          ? "the incremental result equals a full rebuild"
          : "MISMATCH between the incremental result and a full rebuild";
      if (before !== after) problems.push(verified);
    }

    // ---- report
    const m = machine();
    const load1avg = os.loadavg();
    say("");
    say(`work-tracing hours engine benchmark, ${started.toISOString()}`);
    say(
      `machine: ${m.cores} cores (nproc), ${m.model}, ${m.memoryGb.toFixed(1)} GB, Node ${m.node}; ` +
        `load average ${load0.map((l) => l.toFixed(2)).join(" ")} before, ${load1avg.map((l) => l.toFixed(2)).join(" ")} after`,
    );
    say(`database: ${bench.describe}; ${(dbBytes / 2 ** 20).toFixed(0)} MB at the end`);
    say(
      `rules: GAP ${RULES.gapMs / MINUTE} min, BLOCK ${RULES.blockMs / MINUTE} min, TZ ${RULES.timeZone}; data: ${int(options.users)} users, weekdays ${stream.dates[0]} … ${stream.dates.at(-1)}`,
    );
    if (db.provider !== "sqlite")
      say("note: DESIGN §10 sets the targets for the default SQLite; on PostgreSQL they are shown for comparison");
    say("");
    say(
      table([
        ["figure", "measured", "target", "result"],
        [`bare SELECT scan, ${int(storedAtRebuild)} events`, `${int(scanRate)} rows/s`, "(reference)", ""],
        [`full rebuild, ${int(storedAtRebuild)} events`, `${int(rebuildRate)} events/s`, "", ""],
        [
          "  rebuild ÷ scan",
          ratio(rebuildRatio),
          `≥ ${ratio(TARGETS.rebuildRatio)}`,
          verdict(rebuildRatio >= TARGETS.rebuildRatio),
        ],
        [
          `incremental run, ${int(options.newEvents)} new events, ${int(storedTotal)} stored`,
          `${ms(incrementalSeconds)} (median of ${incremental.length}; max ${ms(Math.max(...incremental.map((r) => r.seconds)))})`,
          `< ${int(TARGETS.incrementalMs)} ms`,
          verdict(incrementalSeconds * 1000 < TARGETS.incrementalMs),
        ],
        [
          `month summary, ${int(options.users)} users, ${int(storedTotal)} stored`,
          `p95 ${summaryP95.toFixed(1)} ms (median ${summaryP50.toFixed(1)} ms)`,
          `p95 < ${TARGETS.summaryP95Ms} ms`,
          verdict(summaryP95 < TARGETS.summaryP95Ms),
        ],
        [
          "process RSS, max while measuring",
          `${int(rssMeasured)} MB`,
          `< ${TARGETS.rssMb} MB`,
          verdict(rssMeasured < TARGETS.rssMb),
        ],
      ]),
    );
    say("");
    say("details:");
    say(`  rebuild ÷ scan per round: ${scans.map((s, i) => ratio(s.seconds / rebuilds[i].seconds)).join(", ")}`);
    say(
      `  processing all ${int(storedTotal)} stored events once from the queue: ${ms(processAll.seconds)} (${int(processAll.events / processAll.seconds)} events/s)`,
    );
    say(
      `  incremental runs (${int(options.newEvents)} late events each, ${NEW_EVENTS_PER_USER} per user at random times over the last ${RECENT_DAYS} days): ` +
        incremental.map((r) => `${ms(r.seconds)} (${r.users} users, ${int(r.events)} events re-derived)`).join("; "),
    );
    say(
      `  incremental run after ${tickWritten.stored} current heartbeats (the usual tick): ${ms(tick.seconds)} (${tick.users} users, ${int(tick.events)} events re-derived)`,
    );
    say(
      `  month summary over ${options.summaries} calls: min ${summaryTimes[0].toFixed(1)} ms, max ${summaryTimes.at(-1)!.toFixed(1)} ms`,
    );
    say(
      `  RSS of this process: ${int(rssStart)} MB at start; max ${int(rssRebuild)} MB in the rebuild phase, ` +
        `${int(rssIncremental)} MB in the incremental phase, ${int(rssSummary)} MB in the summary phase; ${int(rss.maxMb)} MB overall ` +
        `(the data was generated in child processes, max RSS ${int(Math.max(load1.maxRssMb, load2.maxRssMb))} MB)`,
    );
    say(
      `  bulk load (not a target): ${int((options.events + more) / (load1.seconds + load2.seconds))} rows/s; ${verified}`,
    );
    say(`  run took ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s`);
    if (problems.length) {
      process.stderr.write(`\nThe run is not valid:\n${problems.map((p) => `  - ${p}`).join("\n")}\n`);
      process.exitCode = 1;
    }
  } finally {
    rss.stop();
    await db?.close();
    await bench
      .drop()
      .catch((error) => process.stderr.write(`Could not remove the benchmark database: ${(error as Error).message}\n`));
    if (options.keep && bench.file) say(`kept ${bench.file}`);
  }
}

main().catch((error) => {
  if (error instanceof UsageError || String((error as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS")) {
    process.stderr.write(`${(error as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  process.stderr.write(`Benchmark failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
