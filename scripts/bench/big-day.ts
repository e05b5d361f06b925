// One user-day holding 600,000 events (issue 11, DESIGN §10): a misbehaving agent or an attack.
//   1. starts the built server as `npm start` does (its heap capped at 256 MB), with no ingest limit;
//   2. posts the day through POST /api/report with one ingest token, 5,000 events a batch,
//      working and stopped alternating (so about one period per two events);
//   3. runs the hours engine in the server through the cron route;
//   4. times every page and API that touches the day (time to the last byte), checks each
//      answers 200 within 1 s, and that the process is still the same one and healthy.
// Usage: npm run bench:big-day -- [--events 600000] [--requests 5] [--postgres URL]
import { spawnSync } from "node:child_process";
import os from "node:os";
import { addDays, localDateOf, startOfLocalDay } from "../../lib/time.ts";
import { createBenchDatabase } from "./database.ts";
import { parseBenchOptions } from "./options.ts";
import { checkBuild, startBenchServer, watchRss, type BenchServer } from "./server.ts";

const TARGET_MS = 1000;
const BATCH = 5000;
const TZ = "Asia/Dubai";
const USER = "CORP\\flooder";
const ADMIN = { username: "bench-admin", password: "bench-admin-password-1" };
const CRON_SECRET = "bench-cron-secret-0123456789";

const HELP = `npm run bench:big-day -- [options]

  --events <n>      events stored for the one user-day (default 600000)
  --requests <n>    timed requests per page or API, after one warm-up (default 5)
  --postgres <url>  run on PostgreSQL: a throwaway database is created there and dropped
`;

const parseOptions = () =>
  parseBenchOptions(HELP, { events: { default: 600_000, max: 5_000_000 }, requests: { default: 5, max: 1000 } });

function createIngestToken(url: string): string {
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", "scripts/create-token.ts", "--scope", "ingest", "--name", "bench-big-day"],
    { env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: "warn" }, encoding: "utf8" },
  );
  if (result.status !== 0) throw new Error(`create-token failed: ${result.stderr}`);
  return result.stdout.trim().split("\n").at(-1)!;
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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function fetchTimed(url: string, init: RequestInit) {
  const started = performance.now();
  const response = await fetch(url, init);
  const body = await response.text();
  return { ms: performance.now() - started, status: response.status, body };
}

async function main() {
  const options = parseOptions();
  checkBuild();
  const database = await createBenchDatabase("big_day", { postgres: options.postgres });
  let server: BenchServer | undefined;
  try {
    const token = createIngestToken(database.url);
    server = await startBenchServer({
      DATABASE_URL: database.url,
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      REPORT_TIMEZONE: TZ,
      PROCESS_CRON: "off",
      CRON_SECRET,
      INGEST_RATE_LIMIT: "0",
    });
    const pid = server.pid;
    const rss = watchRss(pid);
    const cpu = os.cpus();
    process.stdout.write(
      `${database.describe}\nMachine: ${os.availableParallelism()} cores (${cpu[0]?.model.trim() ?? "?"}), Node ${process.version}, load ${os.loadavg()[0].toFixed(2)}; server heap capped as npm start caps it\n\n`,
    );

    // Yesterday, local: every event of it is in the past.
    const date = addDays(localDateOf(Date.now(), TZ), -1);
    const from = startOfLocalDay(date, TZ);
    const step = (startOfLocalDay(addDays(date, 1), TZ) - from) / options.events;
    const stored = performance.now();
    for (let first = 0; first < options.events; first += BATCH) {
      const events = Array.from({ length: Math.min(BATCH, options.events - first) }, (_, i) => ({
        user: USER,
        state: (first + i) % 2 ? "stopped" : "working",
        ts: new Date(from + Math.floor((first + i) * step)).toISOString(),
      }));
      const response = await fetch(`${server.url}/api/report`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ events }),
      });
      if (response.status !== 201) throw new Error(`A batch answered ${response.status}: ${await response.text()}`);
    }
    process.stdout.write(
      `Stored ${options.events} events for ${USER} on ${date} in ${((performance.now() - stored) / 1000).toFixed(1)} s (${Math.ceil(options.events / BATCH)} batches of ${BATCH}); RSS max so far ${rss.maxMb.toFixed(0)} MB\n`,
    );

    const engine = await fetchTimed(`${server.url}/api/cron/process-real-hours`, {
      method: "POST",
      headers: { authorization: `Bearer ${CRON_SECRET}` },
    });
    if (engine.status !== 200)
      throw new Error(`The engine run answered ${engine.status}: ${engine.body.slice(0, 300)}`);
    process.stdout.write(
      `Hours engine run in the server: ${(engine.ms / 1000).toFixed(1)} s, RSS max ${rss.maxMb.toFixed(0)} MB\n`,
    );

    const cookie = await signIn(server);
    const user = encodeURIComponent(USER);
    const first = JSON.parse(
      (await fetchTimed(`${server.url}/api/users/${user}/timeline?date=${date}`, { headers: { cookie } })).body,
    ) as { data: { events_total: number; periods_total: number; next_cursor: string | null } };
    process.stdout.write(
      `The day: ${first.data.events_total} events, ${first.data.periods_total} periods\n\n` +
        `${options.requests} sequential requests each after one warm-up; time to the last byte.\n` +
        `${"page or API".padEnd(40)}${"p50 ms".padStart(8)}${"max ms".padStart(8)}${"KB".padStart(8)}${"RSS MB".padStart(8)}  target\n`,
    );
    const targets = [
      ["Employee page, that day", `/employees/${user}?date=${date}`],
      ["Employee live refresh JSON", `/api/dashboard/employees/${user}?date=${date}`],
      ["Timeline API, first page", `/api/users/${user}/timeline?date=${date}`],
      ["Timeline API, next page", `/api/users/${user}/timeline?date=${date}&cursor=${first.data.next_cursor}`],
      ["Today", "/"],
      ["Day report, that day", `/reports/day?date=${date}`],
      ["Week report", `/reports/week?date=${date}`],
      ["Month report", `/reports/month?date=${date}`],
      ["Status", "/status"],
      ["GET /api/users", "/api/users"],
      ["Summary API, day", `/api/reports/summary?period=day&date=${date}`],
      ["real_work_hours API", `/api/reports/real_work_hours?username=${user}&start_date=${date}`],
      ["Export CSV, month", `/api/reports/export.csv?period=month&date=${date}`],
    ] as const;
    let failed = false;
    for (const [name, path] of targets) {
      rss.resetPhase();
      await fetchTimed(`${server.url}${path}`, { headers: { cookie } });
      const samples: number[] = [];
      let bytes = 0;
      for (let i = 0; i < options.requests; i++) {
        const t = await fetchTimed(`${server.url}${path}`, { headers: { cookie } });
        if (t.status !== 200) throw new Error(`${path} answered ${t.status}: ${t.body.slice(0, 300)}`);
        samples.push(t.ms);
        bytes = t.body.length;
      }
      samples.sort((a, b) => a - b);
      const max = samples[samples.length - 1];
      if (max >= TARGET_MS) failed = true;
      process.stdout.write(
        `${name.padEnd(40)}${samples[Math.floor(samples.length / 2)].toFixed(0).padStart(8)}${max.toFixed(0).padStart(8)}${(bytes / 1024).toFixed(0).padStart(8)}${rss.phaseMaxMb.toFixed(0).padStart(8)}  ${max < TARGET_MS ? "PASS" : "FAIL"} (< ${TARGET_MS})\n`,
      );
    }
    const health = await fetch(`${server.url}/api/health`);
    const up = health.status === 200 && isAlive(pid);
    process.stdout.write(
      `\nProcess up after it all: ${up ? "PASS" : "FAIL"} (pid ${pid}, /api/health ${health.status}); RSS max ${rss.maxMb.toFixed(0)} MB\n`,
    );
    rss.stop();
    if (failed || !up) process.exitCode = 1;
  } catch (error) {
    if (server) process.stderr.write(`The server's last output:\n${server.output().slice(-2000)}\n`);
    throw error;
  } finally {
    await server?.stop();
    await database.drop();
  }
}

main().catch((error) => {
  process.stderr.write(`bench:big-day failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
