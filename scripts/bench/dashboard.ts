// Dashboard benchmark (issue 5, issue 14): the server's time to render each dashboard page for
// 500 employees with 30 days of demo data (or 10,000 with a few days), as a signed-in admin sees
// them, and the pages' size.
//   1. fills a fresh database with the demo data (through the ingest path and the engine), and
//      puts expected hours in place: a default schedule, one per team, two holidays this month
//      and three days of leave for every tenth employee (DESIGN §11);
//   2. starts the built server as `npm start` does and signs in;
//   3. per page: a few warm-up requests, then --requests sequential ones, each read to the end
//      of the streamed HTML; prints p50 / p95 / max and the server's RSS.
// Usage: npm run bench:dashboard -- [--employees 500] [--days 30] [--requests 30] [--postgres URL] [--reuse FILE]
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import os from "node:os";
import { createBenchDatabase } from "./database.ts";
import { parseBenchOptions } from "./options.ts";
import { checkBuild, startBenchServer, watchRss, type BenchServer } from "./server.ts";
import { listTeams } from "../../lib/auth/teams.ts";
import { openDb } from "../../lib/db/index.ts";
import { addHolidays, addLeave, setSchedule } from "../../lib/schedules/store.ts";
import { addDays, localDateOf } from "../../lib/time.ts";

/** Issue 5: 500 employees under 300 ms; DESIGN §10: 10,000 under 500 ms and 1 MB of HTML. */
const targetMs = (employees: number) => (employees <= 500 ? 300 : 500);
const TARGET_BYTES = 1024 * 1024;
const ADMIN = { username: "bench-admin", password: "bench-admin-password-1" };

const HELP = `npm run bench:dashboard -- [options]

  --employees <n>   demo employees (default 500)
  --days <n>        days of demo events, counting today (default 30)
  --requests <n>    timed requests per page, after 3 warm-up ones (default 30)
  --postgres <url>  run on PostgreSQL: a throwaway database is created there and dropped
  --reuse <file>    a SQLite file kept between runs: filled (and kept) when it does not exist,
                    used as it is when it does, so a 10,000-employee fill is paid once a day
                    (the demo's days are relative to today)
`;

const parseOptions = () =>
  parseBenchOptions(
    HELP,
    {
      employees: { default: 500, max: 10_000 },
      days: { default: 30, max: 366 },
      requests: { default: 30, max: 10_000 },
    },
    ["reuse"],
  );

/** Fills the database in a child process, so the generator's memory is not this process's. */
async function fillDatabase(url: string, employees: number, days: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "scripts/demo-data.ts", "--employees", String(employees), "--days", String(days)],
      {
        env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: "warn" },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(output) : reject(new Error(`demo-data exited with ${code}`))));
  });
}

/** Schedules, holidays and leave, so every page computes expected hours as it would in use. */
async function addExpectedHours(url: string): Promise<string> {
  const db = openDb(url);
  try {
    const context = { actor: "bench" };
    const today = localDateOf(Date.now(), process.env.REPORT_TIMEZONE || "Asia/Dubai");
    const monthStart = `${today.slice(0, 8)}01`;
    const H = 3600;
    await setSchedule(
      db,
      { scope: "default", effectiveFrom: "2020-01-01", week: [8, 8, 8, 8, 8, 0, 0].map((h) => h * H) },
      context,
    );
    const teams = await listTeams(db);
    for (const [i, team] of teams.entries())
      await setSchedule(
        db,
        {
          scope: "team",
          teamId: team.id,
          effectiveFrom: addDays(monthStart, 9),
          week: [7, 7, 7, 7, 6 - (i % 3), 0, 0].map((h) => h * H),
        },
        context,
      );
    await addHolidays(
      db,
      [
        { date: monthStart, name: "Bench day" },
        { date: addDays(monthStart, 3), name: "Bench day 2" },
      ],
      context,
    );
    const users = await db.raw.query<{ user_key: string }>(`SELECT user_key FROM tracked_users ORDER BY user_key`);
    let leave = 0;
    for (const [i, user] of users.entries()) {
      if (i % 10) continue;
      await addLeave(
        db,
        {
          username: user.user_key,
          start: addDays(monthStart, i % 20),
          end: addDays(monthStart, (i % 20) + 2),
          kind: "vacation",
        },
        null,
        context,
      );
      leave++;
    }
    return `default + ${teams.length} team schedules, 2 holidays, leave for ${leave} employees`;
  } finally {
    await db.close();
  }
}

async function signIn(server: BenchServer): Promise<string> {
  const response = await fetch(`${server.url}/auth/sign-in`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: server.url },
    body: new URLSearchParams({ ...ADMIN, next: "/" }),
  });
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith("wt_session="));
  if (!cookie) throw new Error(`Sign-in failed: ${response.status} ${response.headers.get("location")}`);
  return cookie.split(";")[0];
}

type Timing = { p50: number; p95: number; max: number; bytes: number };

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function timePage(url: string, cookie: string, requests: number): Promise<Timing> {
  const once = async () => {
    const started = performance.now();
    const response = await fetch(url, { headers: { cookie } });
    const body = await response.text();
    const ms = performance.now() - started;
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
    return { ms, bytes: Buffer.byteLength(body) };
  };
  for (let i = 0; i < 3; i++) await once();
  const samples: number[] = [];
  let bytes = 0;
  for (let i = 0; i < requests; i++) {
    const sample = await once();
    samples.push(sample.ms);
    bytes = sample.bytes;
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p95: percentile(samples, 95), max: samples[samples.length - 1], bytes };
}

async function main() {
  const options = parseOptions();
  checkBuild();
  if (options.reuse && options.postgres) throw new Error("--reuse keeps a SQLite file; it cannot go with --postgres");
  const reuse = options.reuse ? path.resolve(options.reuse) : null;
  const database = reuse
    ? { url: `file:${reuse}`, describe: `SQLite, kept file ${reuse}`, drop: async () => {} }
    : await createBenchDatabase("dashboard", { postgres: options.postgres });
  let server: BenchServer | undefined;
  try {
    if (reuse && existsSync(reuse)) {
      process.stdout.write(`Reusing ${database.describe} as it was filled (--employees and --days ignored)\n`);
    } else {
      process.stdout.write(
        `Filling ${database.describe}\n  with ${options.employees} demo employees × ${options.days} days...\n`,
      );
      const filled = performance.now();
      const summary = await fillDatabase(database.url, options.employees, options.days);
      const events = /Events: ([\d,]+) stored/.exec(summary)?.[1] ?? "?";
      process.stdout.write(`  done in ${((performance.now() - filled) / 1000).toFixed(1)} s (${events} events)\n`);
      process.stdout.write(`  expected hours: ${await addExpectedHours(database.url)}\n`);
    }

    server = await startBenchServer({
      DATABASE_URL: database.url,
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      PROCESS_CRON: "off",
    });
    const rss = watchRss(server.pid);
    const cookie = await signIn(server);
    const users = (await (await fetch(`${server.url}/api/users`, { headers: { cookie } })).json()) as {
      data: { username: string }[];
    };
    const someone = users.data[Math.floor(users.data.length / 2)].username;
    const pages = [
      ["Today", "/"],
      ["Day report", "/reports/day"],
      ["Week report", "/reports/week"],
      ["Month report", "/reports/month"],
      // A later page, sorted and filtered over everyone, as a shared link opens it.
      ["Today, by time, page 2", "/?sort=worked&dir=desc&page=2"],
      ["Month, one team, page 2", "/reports/month?team=Engineering&sort=worked&dir=desc&page=2"],
      ["Employee", `/employees/${encodeURIComponent(someone)}`],
      ["Today (live refresh JSON)", "/api/dashboard/today"],
      ["Month (live refresh JSON)", "/api/dashboard/month"],
    ] as const;
    const TARGET_MS = targetMs(users.data.length);

    const cpu = os.cpus();
    process.stdout.write(
      `\nMachine: ${os.availableParallelism()} cores (${cpu[0]?.model.trim() ?? "?"}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load ${os.loadavg()[0].toFixed(2)}\n` +
        `Users listed: ${users.data.length}. ${options.requests} sequential requests per page after 3 warm-up; time to the last byte of the response.\n\n`,
    );
    process.stdout.write(`Server RSS after start and sign-in: ${rss.maxMb.toFixed(0)} MB\n\n`);
    process.stdout.write(
      `${"page".padEnd(28)}${"p50 ms".padStart(8)}${"p95 ms".padStart(8)}${"max ms".padStart(8)}${"KB".padStart(8)}${"RSS MB".padStart(8)}  target\n`,
    );
    let failed = false;
    for (const [name, path] of pages) {
      rss.resetPhase();
      const t = await timePage(`${server.url}${path}`, cookie, options.requests);
      const isPage = !path.startsWith("/api/");
      const fast = t.p95 < TARGET_MS;
      const small = t.bytes < TARGET_BYTES;
      const verdict = isPage
        ? fast && small
          ? `PASS (p95 < ${TARGET_MS}, < 1 MB)`
          : `FAIL (${fast ? "" : `p95 ≥ ${TARGET_MS}`}${fast || small ? "" : ", "}${small ? "" : "≥ 1 MB"})`
        : "(for information)";
      if (isPage && !(fast && small)) failed = true;
      process.stdout.write(
        `${name.padEnd(28)}${t.p50.toFixed(0).padStart(8)}${t.p95.toFixed(0).padStart(8)}${t.max.toFixed(0).padStart(8)}${(t.bytes / 1024).toFixed(0).padStart(8)}${rss.phaseMaxMb.toFixed(0).padStart(8)}  ${verdict}\n`,
      );
    }
    process.stdout.write(
      `\nServer RSS: max ${rss.maxMb.toFixed(0)} MB (target < 400 MB: ${rss.maxMb < 400 ? "PASS" : "FAIL"})\n`,
    );
    rss.stop();
    if (failed || rss.maxMb >= 400) process.exitCode = 1;
  } finally {
    await server?.stop();
    await database.drop();
  }
}

main().catch((error) => {
  process.stderr.write(`bench:dashboard failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
