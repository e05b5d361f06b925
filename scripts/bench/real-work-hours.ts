// The original contract's read of every row: GET /api/reports/real_work_hours without dates,
// over --users × --days stored Real Work Hours rows (500 × 365 = 182,500 by default).
//   1. fills a fresh database's user_real_work_summary directly (this measures the read, not
//      the engine) and makes a read token;
//   2. starts the built server as `npm start` does (its heap cap included);
//   3. --requests sequential requests, each read to the last byte and counted; prints the time
//      of each, the body's size and the server's RSS before and at most during them.
// Usage: npm run bench:real-work-hours -- [--users 500] [--days 365] [--requests 5] [--postgres URL]
import os from "node:os";
import { createToken } from "../../lib/auth/tokens.ts";
import { openDb } from "../../lib/db/index.ts";
import { migrate } from "../../lib/db/migrator.ts";
import { addDays } from "../../lib/time.ts";
import { createBenchDatabase } from "./database.ts";
import { parseBenchOptions } from "./options.ts";
import { checkBuild, startBenchServer, watchRss, type BenchServer } from "./server.ts";

const HELP = `npm run bench:real-work-hours -- [options]

  --users <n>       employees with a row on every day (default 500)
  --days <n>        days of rows, one per employee each (default 365)
  --requests <n>    timed requests, after one warm-up (default 5)
  --postgres <url>  run on PostgreSQL: a throwaway database is created there and dropped
`;

const ROWS_PER_INSERT = 500;
const FIRST_DATE = "2025-01-01";

async function fill(url: string, users: number, days: number): Promise<string> {
  const db = openDb(url);
  try {
    await migrate(db);
    const names = Array.from({ length: users }, (_, i) => `CORP\\employee${String(i).padStart(5, "0")}`);
    const rows = Array.from({ length: days }, (_, d) => addDays(FIRST_DATE, d)).flatMap((date, d) =>
      names.map((name, u) => [name.toLowerCase(), name, date, (u + d) % 9, 3600 * ((u + d) % 9), u * days + d]),
    );
    const now = new Date();
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      const chunk = rows.slice(i, i + ROWS_PER_INSERT);
      await db.raw.execute(
        `INSERT INTO user_real_work_summary
           (user_key, username, work_date, real_hours_counted, working_seconds, last_processed_event_id, updated_at)
         VALUES ${chunk.map(() => "(?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
        chunk.flatMap((row) => [...(row as (string | number)[]), now]),
      );
    }
    return (await createToken(db, { name: "bench-read", scope: "read", createdBy: "bench" })).token;
  } finally {
    await db.close();
  }
}

async function main() {
  const options = parseBenchOptions(HELP, {
    users: { default: 500, max: 10_000 },
    days: { default: 365, max: 3660 },
    requests: { default: 5, max: 100 },
  });
  checkBuild();
  const database = await createBenchDatabase("rwh", { postgres: options.postgres });
  let server: BenchServer | undefined;
  try {
    const expected = options.users * options.days;
    process.stdout.write(`Filling ${database.describe}\n  with ${expected.toLocaleString("en")} rows...\n`);
    const token = await fill(database.url, options.users, options.days);
    server = await startBenchServer({ DATABASE_URL: database.url, PROCESS_CRON: "off" });
    const rss = watchRss(server.pid, 50);
    const url = `${server.url}/api/reports/real_work_hours`;
    const once = async () => {
      const started = performance.now();
      const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      const body = await response.text();
      const ms = performance.now() - started;
      if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${body.slice(0, 200)}`);
      const rows = (JSON.parse(body) as { data: unknown[] }).data.length;
      if (rows !== expected) throw new Error(`expected ${expected} rows, got ${rows}`);
      return { ms, bytes: body.length };
    };
    const cpu = os.cpus();
    process.stdout.write(
      `\nMachine: ${os.availableParallelism()} cores (${cpu[0]?.model.trim() ?? "?"}), Node ${process.version}, load ${os.loadavg()[0].toFixed(2)}\n`,
    );
    process.stdout.write(`Server RSS after start: ${rss.maxMb.toFixed(0)} MB\n`);
    await once();
    rss.resetPhase();
    const samples: number[] = [];
    let bytes = 0;
    for (let i = 0; i < options.requests; i++) {
      const sample = await once();
      samples.push(sample.ms);
      bytes = sample.bytes;
    }
    samples.sort((a, b) => a - b);
    process.stdout.write(
      `GET /api/reports/real_work_hours (all ${expected.toLocaleString("en")} rows, ${(bytes / 2 ** 20).toFixed(1)} MB of JSON):\n` +
        `  ${options.requests} requests after one warm-up, to the last byte: median ${samples[Math.floor(samples.length / 2)].toFixed(0)} ms, max ${samples[samples.length - 1].toFixed(0)} ms\n` +
        `  server RSS during them: max ${rss.phaseMaxMb.toFixed(0)} MB (max since start ${rss.maxMb.toFixed(0)} MB)\n`,
    );
    rss.stop();
  } finally {
    await server?.stop();
    await database.drop();
  }
}

main().catch((error) => {
  process.stderr.write(`bench:real-work-hours failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
