// Ingest benchmark (DESIGN §10): the built server's single-event and batch ingest rates,
// measured as ratios against GET /api/health and a bare insert in the same run.
// Usage: npm run bench:ingest -- [--duration 10] [--connections 16] [--postgres URL] (--help for all)
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import pg from "pg";
import { createToken } from "../../lib/auth/tokens.ts";
import { openDb, type Db } from "../../lib/db/index.ts";
import { listMigrations, migrate, migrationsDir } from "../../lib/db/migrator.ts";
import { load } from "./autocannon.ts";
import {
  checkBuild,
  cpuSeconds,
  ROOT,
  startBenchServer,
  startScriptNodeFlags,
  watchRss,
  type BenchServer,
  type Rss,
} from "./server.ts";

const TARGETS = { singleRatio: 0.7, batchEventsPerSecond: 50_000, batchRatio: 0.3, rssMb: 400 };
const USERS = 500;
// A bare insert of fewer rows than this is mostly timer noise; such a slice is topped up.
const MIN_BARE_SLICE_ROWS = 20_000;

const HELP = `npm run bench:ingest -- [options]

  --duration <s>           seconds measured per phase (default 10), split into --rounds slices
  --rounds <n>             slices per phase, interleaved with the phase it is compared to (default 5)
  --warmup <s>             seconds of warm-up before each phase (default 2)
  --connections <n>        connections for the health and single-event phases (default 16)
  --batch-connections <n>  connections for the batch phase (default 4)
  --batch-size <n>         events per batch (default 1000)
  --users-per-batch <n>    distinct users in each batch (default 1: an agent sends its own backlog)
  --postgres <url>         run the server on PostgreSQL (two throwaway databases are created there)
  --node-args=<flags>      extra node flags for the server (note the =), e.g. --node-args=--max-old-space-size=256
                           or --node-args="--cpu-prof --cpu-prof-dir=/tmp/prof" (then scripts/bench/profile.ts)
`;

class UsageError extends Error {}

type Options = {
  duration: number;
  rounds: number;
  warmup: number;
  connections: number;
  batchConnections: number;
  batchSize: number;
  usersPerBatch: number;
  postgres?: string;
  nodeArgs: string[];
};

function parseOptions(): Options {
  const { values } = parseArgs({
    strict: true,
    options: {
      duration: { type: "string", default: "10" },
      rounds: { type: "string", default: "5" },
      warmup: { type: "string", default: "2" },
      connections: { type: "string", default: "16" },
      "batch-connections": { type: "string", default: "4" },
      "batch-size": { type: "string", default: "1000" },
      "users-per-batch": { type: "string", default: "1" },
      postgres: { type: "string" },
      "node-args": { type: "string", default: "" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const whole = (name: keyof typeof values, min = 1): number => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number of at least ${min}`);
    return n;
  };
  const options: Options = {
    duration: whole("duration"),
    rounds: whole("rounds"),
    warmup: whole("warmup", 0),
    connections: whole("connections"),
    batchConnections: whole("batch-connections"),
    batchSize: whole("batch-size"),
    usersPerBatch: whole("users-per-batch"),
    postgres: values.postgres,
    nodeArgs: values["node-args"].split(/\s+/).filter(Boolean),
  };
  if (options.batchSize > 5000) throw new UsageError("--batch-size must be at most 5000 (the server's batch limit)");
  if (options.postgres && !/^postgres(ql)?:\/\//.test(options.postgres))
    throw new UsageError("--postgres must be a postgresql:// URL");
  return options;
}

// ---- the events -----------------------------------------------------------------------

// Every event gets its own sequence number n and ts = BASE_TS + n ms, so no two are alike
// (a duplicate would measure a lookup, not an insert), all lie in the past, and the bare
// insert can regenerate exactly the rows a batch slice sent.
const BASE_TS = Date.now() - 90 * 86_400_000;
const usernames = Array.from({ length: USERS }, (_, i) => `BENCH\\User${String(i).padStart(3, "0")}`);
const usernamesJson = usernames.map((name) => JSON.stringify(name));
const userKeys = usernames.map((name) => name.toLowerCase());
let sequence = 0;

type Row = { user: number; state: "working" | "stopped"; ts: number };

function singleRow(n: number): Row {
  return { user: n % USERS, state: Math.floor(n / USERS) % 2 ? "stopped" : "working", ts: BASE_TS + n };
}

function batchRow(n: number, options: Options): Row {
  const batch = Math.floor(n / options.batchSize);
  const slot = n % options.usersPerBatch;
  return {
    user: (batch * options.usersPerBatch + slot) % USERS,
    state: Math.floor(n / 7) % 2 ? "stopped" : "working",
    ts: BASE_TS + n,
  };
}

function eventJson(row: Row): string {
  return `{"user":${usernamesJson[row.user]},"state":"${row.state}","ts":"${new Date(row.ts).toISOString()}"}`;
}

function nextBatchBody(options: Options): string {
  // Whole batches only, so that a batch's events belong to the users batchRow gives it.
  sequence = Math.ceil(sequence / options.batchSize) * options.batchSize;
  const parts = new Array<string>(options.batchSize);
  for (let i = 0; i < options.batchSize; i++) parts[i] = eventJson(batchRow(sequence++, options));
  return `{"events":[${parts.join(",")}]}`;
}

// ---- load phases ----------------------------------------------------------------------

type Tally = { stored: number; duplicates: number; rejected: number };

type Phase = {
  label: string;
  unit: "request" | "batch";
  connections: number;
  method: "GET" | "POST";
  path: string;
  /** The status that counts as served (default any 2xx). */
  expectStatus?: number;
  nextBody?: () => string;
  count?: (body: string, tally: Tally) => void;
};

/** One stretch of load on one phase. */
type Slice = Tally & {
  served: number;
  /** Responses with another status, and connection errors. */
  failed: number;
  statusCodes: Record<string, number>;
  seconds: number;
  serverCpuSeconds: number;
  clientCpuSeconds: number;
  p50: number;
  p99: number;
  rssMaxMb: number;
  firstSeq: number;
  lastSeq: number;
};

/** `token`: the ingest token every POST presents, as agents do. */
type Run = { server: BenchServer; rss: Rss; options: Options; acknowledged: Tally; token: string };

async function runSlice({ server, rss, acknowledged, token }: Run, phase: Phase, seconds: number): Promise<Slice> {
  rss.resetPhase();
  const tally: Tally = { stored: 0, duplicates: 0, rejected: 0 };
  const firstSeq = sequence;
  const cpu0 = cpuSeconds(server.pid);
  const client0 = process.cpuUsage();
  const result = await load({
    url: `${server.url}${phase.path}`,
    connections: phase.connections,
    duration: seconds,
    method: phase.method,
    headers: phase.method === "POST" ? { authorization: `Bearer ${token}`, "content-type": "application/json" } : {},
    setupRequest: phase.nextBody ? (request) => ({ ...request, body: phase.nextBody!() }) : undefined,
    onResponse: phase.count ? (status, body) => (status === 201 ? phase.count!(body, tally) : undefined) : undefined,
  });
  const client = process.cpuUsage(client0);
  acknowledged.stored += tally.stored;
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count]),
  );
  const served = phase.expectStatus ? (statusCodes[phase.expectStatus] ?? 0) : result["2xx"];
  const answered = Object.values(statusCodes).reduce((sum, n) => sum + n, 0);
  return {
    ...tally,
    served,
    failed: answered - served + result.errors,
    statusCodes,
    seconds: result.duration,
    serverCpuSeconds: cpuSeconds(server.pid) - cpu0,
    clientCpuSeconds: (client.user + client.system) / 1e6,
    p50: result.latency.p50,
    p99: result.latency.p99,
    rssMaxMb: rss.phaseMaxMb,
    firstSeq,
    lastSeq: sequence,
  };
}

type Measured = Tally & {
  phase: Phase;
  slices: Slice[];
  rate: number;
  failed: number;
  statusCodes: Record<string, number>;
  seconds: number;
  /** Server CPU seconds per wall second (1 = one core busy). */
  serverCpu: number;
  clientCpu: number;
  /** Server CPU milliseconds per request or batch. */
  cpuMsPerUnit: number;
  p50: number;
  p99: number;
  rssMaxMb: number;
};

function combine(phase: Phase, slices: Slice[]): Measured {
  const sum = (f: (s: Slice) => number) => slices.reduce((total, s) => total + f(s), 0);
  const seconds = sum((s) => s.seconds);
  const served = sum((s) => s.served);
  const statusCodes: Record<string, number> = {};
  for (const s of slices)
    for (const [code, n] of Object.entries(s.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  return {
    phase,
    slices,
    stored: sum((s) => s.stored),
    duplicates: sum((s) => s.duplicates),
    rejected: sum((s) => s.rejected),
    rate: served / seconds,
    failed: sum((s) => s.failed),
    statusCodes,
    seconds,
    serverCpu: sum((s) => s.serverCpuSeconds) / seconds,
    clientCpu: sum((s) => s.clientCpuSeconds) / seconds,
    cpuMsPerUnit: (sum((s) => s.serverCpuSeconds) / served) * 1000,
    p50: sum((s) => s.p50 * s.served) / served,
    p99: Math.max(...slices.map((s) => s.p99)),
    rssMaxMb: Math.max(...slices.map((s) => s.rssMaxMb)),
  };
}

/**
 * Measures phases that are compared with each other in alternating slices (A B C A B C ...),
 * so that load from other work on a shared machine falls on all of them alike. `after` runs
 * after every slice, warm-ups included (`measured` false).
 */
async function measureInterleaved(
  run: Run,
  phases: Phase[],
  {
    firstWarmup = run.options.warmup,
    after,
  }: { firstWarmup?: number; after?: (slice: Slice, measured: boolean) => Promise<void> } = {},
): Promise<Measured[]> {
  const { options, server } = run;
  for (const [i, phase] of phases.entries()) {
    const warmup = i === 0 ? firstWarmup : options.warmup;
    if (warmup === 0) continue;
    const slice = await runSlice(run, phase, warmup);
    await after?.(slice, false);
  }
  const slices: Slice[][] = phases.map(() => []);
  for (let round = 0; round < options.rounds; round++) {
    for (const [i, phase] of phases.entries()) {
      const slice = await runSlice(run, phase, options.duration / options.rounds);
      slices[i].push(slice);
      await after?.(slice, true);
    }
  }
  const measured = phases.map((phase, i) => combine(phase, slices[i]));
  for (const m of measured) {
    if (m.rate === 0)
      throw new Error(
        `${m.phase.label}: no request succeeded (status codes ${JSON.stringify(m.statusCodes)}); server output:\n${server.output()}`,
      );
  }
  for (const m of measured) process.stdout.write(`${phaseLine(m)}\n`);
  return measured;
}

// ---- the bare-insert baseline -----------------------------------------------------------

type Baseline = {
  /** Inserts the rows in `chunk`-row transactions; returns the seconds it took. */
  insert(rows: Row[]): Promise<number>;
  close(): Promise<void>;
};

async function openMigrated(url: string): Promise<Db> {
  const db = openDb(url);
  await migrate(db, listMigrations(db.provider, migrationsDir(db.provider, ROOT)));
  return db;
}

/** An ingest token in the server's database, made as create-token.ts makes one. */
async function createIngestToken(url: string): Promise<string> {
  const db = await openMigrated(url);
  try {
    return (await createToken(db, { name: "bench-ingest", scope: "ingest", createdBy: "bench" })).token;
  } finally {
    await db.close();
  }
}

/** A plain better-sqlite3 insert with the server's connection settings (WAL, synchronous=FULL) and its INSERT. */
async function sqliteBaseline(url: string, chunk: number): Promise<Baseline> {
  const db = await openMigrated(url);
  const sqlite = db.sqlite!;
  const insert = sqlite.prepare(
    `INSERT INTO work_events (user_key, username, state, ts, received_at, device_key, token_id) VALUES (?, ?, ?, ?, ?, '', 1)
     ON CONFLICT (user_key, ts, state, device_key) DO NOTHING`,
  );
  const writeChunk = sqlite.transaction((rows: Row[], from: number, to: number, receivedAt: number) => {
    for (let i = from; i < to; i++) {
      const row = rows[i];
      insert.run(userKeys[row.user], usernames[row.user], row.state, row.ts, receivedAt);
    }
  });
  return {
    async insert(rows) {
      const started = performance.now();
      for (let i = 0; i < rows.length; i += chunk)
        writeChunk.immediate(rows, i, Math.min(i + chunk, rows.length), Date.now());
      return (performance.now() - started) / 1000;
    },
    close: () => db.close(),
  };
}

/** A plain multi-row PostgreSQL insert, one statement (and so one transaction) per chunk. */
async function postgresBaseline(url: string, chunk: number): Promise<Baseline> {
  const db = await openMigrated(url);
  const client = await db.pool!.connect();
  const statement = (count: number) =>
    `INSERT INTO work_events (user_key, username, state, ts, received_at, device_key, token_id) VALUES ${Array.from(
      { length: count },
      (_, i) =>
        `($${i * 5 + 1}, $${i * 5 + 2}, $${i * 5 + 3}, to_timestamp($${i * 5 + 4}::float8 / 1000), to_timestamp($${i * 5 + 5}::float8 / 1000), '', 1)`,
    ).join(", ")} ON CONFLICT (user_key, ts, state, device_key) DO NOTHING`;
  const full = statement(chunk);
  return {
    async insert(rows) {
      const started = performance.now();
      for (let i = 0; i < rows.length; i += chunk) {
        const part = rows.slice(i, i + chunk);
        const receivedAt = Date.now();
        const params = part.flatMap((row) => [userKeys[row.user], usernames[row.user], row.state, row.ts, receivedAt]);
        await client.query(part.length === chunk ? full : statement(part.length), params);
      }
      return (performance.now() - started) / 1000;
    },
    async close() {
      client.release();
      await db.close();
    },
  };
}

/** The rows a batch slice sent, topped up to MIN_BARE_SLICE_ROWS (the top-up is never sent to the server). */
function rowsOf(slice: Slice, options: Options): Row[] {
  const first = Math.ceil(slice.firstSeq / options.batchSize) * options.batchSize;
  const last = Math.max(slice.lastSeq, first + MIN_BARE_SLICE_ROWS);
  sequence = Math.max(sequence, last);
  const rows: Row[] = [];
  for (let n = first; n < last; n++) rows.push(batchRow(n, options));
  return rows;
}

// ---- databases ------------------------------------------------------------------------

type Databases = { serverUrl: string; bareUrl: string; describe: string; drop(): Promise<void> };

async function createDatabases(options: Options): Promise<Databases> {
  if (!options.postgres) {
    const dir = mkdtempSync(path.join(os.tmpdir(), "wt-bench-"));
    return {
      serverUrl: `file:${path.join(dir, "server.db")}`,
      bareUrl: `file:${path.join(dir, "bare.db")}`,
      describe: `SQLite (WAL, synchronous=FULL), fresh files in ${dir}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const admin = new pg.Client({ connectionString: options.postgres });
  await admin.connect();
  const stem = `wt_bench_${randomBytes(4).toString("hex")}`;
  const names = [`${stem}_server`, `${stem}_bare`];
  try {
    for (const name of names) await admin.query(`CREATE DATABASE ${name}`);
  } catch (error) {
    throw new Error(`Cannot create the benchmark databases (the role needs CREATEDB): ${(error as Error).message}`);
  } finally {
    await admin.end();
  }
  const withDatabase = (name: string) => {
    const url = new URL(options.postgres!);
    url.pathname = `/${name}`;
    return url.toString();
  };
  return {
    serverUrl: withDatabase(names[0]),
    bareUrl: withDatabase(names[1]),
    describe: `PostgreSQL at ${new URL(options.postgres).host}, fresh databases ${names.join(", ")}`,
    async drop() {
      const client = new pg.Client({ connectionString: options.postgres });
      await client.connect();
      for (const name of names) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

async function countStored(url: string): Promise<number> {
  if (url.startsWith("file:")) {
    const sqlite = new Database(url.slice("file:".length), { readonly: true });
    try {
      return (sqlite.prepare("SELECT count(*) AS n FROM work_events").get() as { n: number }).n;
    } finally {
      sqlite.close();
    }
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>("SELECT count(*) AS n FROM work_events")).rows[0].n);
  } finally {
    await client.end();
  }
}

// ---- report ---------------------------------------------------------------------------

function machine() {
  const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? "unknown CPU";
  return { cores: os.availableParallelism(), model, node: process.version, memoryGb: os.totalmem() / 2 ** 30 };
}

const int = (n: number) => Math.round(n).toLocaleString("en-US");
const ratio = (n: number) => `${n.toFixed(2)}×`;
const verdict = (pass: boolean) => (pass ? "PASS" : "FAIL");
const range = (values: number[]) => `${ratio(Math.min(...values))}–${ratio(Math.max(...values))}`;

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

function phaseLine(m: Measured): string {
  const unit = m.phase.unit;
  return (
    `  ${m.phase.label}: ${int(m.rate * m.seconds)} ${unit === "batch" ? "batches" : "requests"} in ${m.seconds.toFixed(1)} s, ` +
    `latency p50 ${Math.round(m.p50)} ms p99 ${m.p99} ms (worst slice), ` +
    `server CPU ${Math.round(m.serverCpu * 100)}% (${m.cpuMsPerUnit.toFixed(2)} ms per ${unit}), ` +
    `bench client CPU ${Math.round(m.clientCpu * 100)}%, server RSS max ${int(m.rssMaxMb)} MB` +
    (m.failed ? `, FAILED REQUESTS ${m.failed} (status codes ${JSON.stringify(m.statusCodes)})` : "")
  );
}

// ---- main -----------------------------------------------------------------------------

async function main() {
  const options = parseOptions();
  checkBuild();

  const started = new Date();
  const load0 = os.loadavg();
  const dbs = await createDatabases(options);
  let server: BenchServer | undefined;
  let baseline: Baseline | undefined;
  try {
    // The server's capacity is measured, not the per-token limit, which a batch phase passes in seconds.
    server = await startBenchServer({ DATABASE_URL: dbs.serverUrl, INGEST_RATE_LIMIT: "0" }, options.nodeArgs);
    const rss = watchRss(server.pid);
    const run: Run = {
      server,
      rss,
      options,
      acknowledged: { stored: 0, duplicates: 0, rejected: 0 },
      token: await createIngestToken(dbs.serverUrl),
    };
    process.stdout.write(
      `Server pid ${server.pid} on ${server.url}; ${options.warmup} s warm-up, then ${options.duration} s per phase in ${options.rounds} interleaved slices\n`,
    );

    const sinceSpawn = () => ((performance.now() - server!.spawnedAt) / 1000).toFixed(1);
    const timeline = [`server ready ${sinceSpawn()}`];
    const [floor, health, single] = await measureInterleaved(
      run,
      [
        // Not a target: the route layer's own cost, a handler that answers 405 and touches nothing.
        {
          label: "GET /api/report (405, no work)",
          unit: "request",
          connections: options.connections,
          method: "GET",
          path: "/api/report",
          expectStatus: 405,
        },
        {
          label: "GET /api/health",
          unit: "request",
          connections: options.connections,
          method: "GET",
          path: "/api/health",
        },
        {
          label: "POST /api/report, one event",
          unit: "request",
          connections: options.connections,
          method: "POST",
          path: "/api/report",
          nextBody: () => eventJson(singleRow(sequence++)),
          count: (body, tally) => (body.includes('"duplicate"') ? tally.duplicates++ : tally.stored++),
        },
      ],
      // The first warm-up also warms the freshly started process (JIT, lazily loaded chunks).
      { firstWarmup: options.warmup && options.warmup + 3 },
    );

    timeline.push(`requests phases until ${sinceSpawn()}`);
    baseline = options.postgres
      ? await postgresBaseline(dbs.bareUrl, options.batchSize)
      : await sqliteBaseline(dbs.bareUrl, options.batchSize);
    const bare = { rows: 0, seconds: 0, perSlice: [] as number[] };
    const [batch] = await measureInterleaved(
      run,
      [
        {
          label: `POST /api/report, ${int(options.batchSize)}-event batches`,
          unit: "batch",
          connections: options.batchConnections,
          method: "POST",
          path: "/api/report",
          nextBody: () => nextBatchBody(options),
          count: (body, tally) => {
            const parsed = JSON.parse(body) as { accepted: number; duplicates: number; rejected: unknown[] };
            tally.stored += parsed.accepted;
            tally.duplicates += parsed.duplicates;
            tally.rejected += parsed.rejected.length;
          },
        },
      ],
      {
        // Each batch slice is followed by the bare insert of the same rows, so both see the
        // same machine load and tables of the same size.
        after: async (slice, measured) => {
          const rows = rowsOf(slice, options);
          const seconds = await baseline!.insert(rows);
          if (!measured) return;
          bare.rows += rows.length;
          bare.seconds += seconds;
          bare.perSlice.push(slice.stored / slice.seconds / (rows.length / seconds));
        },
      },
    );
    timeline.push(`batch phase until ${sinceSpawn()}`);
    const batchEventsPerSecond = batch.stored / batch.seconds;
    const bareRate = bare.rows / bare.seconds;
    await baseline.close();
    baseline = undefined;

    const rssMax = rss.maxMb;
    rss.stop();
    const exit = await server.stop();
    server = undefined;
    const storedInDb = await countStored(dbs.serverUrl);
    const load1 = os.loadavg();

    const m = machine();
    const singleRatio = single.rate / health.rate;
    const batchRatio = batchEventsPerSecond / bareRate;
    const bareLabel = options.postgres
      ? "bare pg multi-row insert, same rows"
      : "bare better-sqlite3 insert, same rows";
    const out = [
      "",
      `work-tracing ingest benchmark, ${started.toISOString()}`,
      `machine: ${m.cores} cores, ${m.model}, ${m.memoryGb.toFixed(1)} GB, Node ${m.node}; load average ${load0.map((l) => l.toFixed(2)).join(" ")} before, ${load1.map((l) => l.toFixed(2)).join(" ")} after`,
      `database: ${dbs.describe}`,
      `server: node ${[...startScriptNodeFlags(), ...options.nodeArgs, "--import tsx server.ts"].join(" ")}`,
      ...(options.postgres
        ? ["note: DESIGN §10 sets the targets for the default SQLite; on PostgreSQL they are shown for comparison only"]
        : []),
      `load: ${options.connections} connections; batches on ${options.batchConnections} connections × ${int(options.batchSize)} events (${options.usersPerBatch} user(s) per batch); ` +
        `${options.duration} s per phase in ${options.rounds} interleaved slices after ${options.warmup} s warm-up`,
      "",
      table([
        ["figure", "measured", "target", "result"],
        ["GET /api/report (405, no work)", `${int(floor.rate)} req/s`, "(information)", ""],
        ["GET /api/health", `${int(health.rate)} req/s`, "(reference)", ""],
        ["POST /api/report, one event", `${int(single.rate)} req/s`, "", ""],
        [
          "  single-event ingest ÷ health",
          ratio(singleRatio),
          `≥ ${ratio(TARGETS.singleRatio)}`,
          verdict(singleRatio >= TARGETS.singleRatio),
        ],
        ["  the same by server CPU per request", ratio(health.cpuMsPerUnit / single.cpuMsPerUnit), "(information)", ""],
        [
          `POST /api/report, ${int(options.batchSize)}-event batches`,
          `${int(batchEventsPerSecond)} events/s`,
          `≥ ${int(TARGETS.batchEventsPerSecond)} events/s`,
          verdict(batchEventsPerSecond >= TARGETS.batchEventsPerSecond),
        ],
        [bareLabel, `${int(bareRate)} rows/s`, "(reference)", ""],
        [
          "  batch ingest ÷ bare insert",
          ratio(batchRatio),
          `≥ ${ratio(TARGETS.batchRatio)}`,
          verdict(batchRatio >= TARGETS.batchRatio),
        ],
        [
          "server RSS, max during the run",
          `${int(rssMax)} MB`,
          `< ${TARGETS.rssMb} MB`,
          verdict(rssMax < TARGETS.rssMb),
        ],
      ]),
      "",
      "details:",
      `  server RSS once ready: ${int(rss.startMb)} MB`,
      ...[floor, health, single, batch].map(phaseLine),
      `  single ÷ health per slice: ${range(single.slices.map((s, i) => s.served / s.seconds / (health.slices[i].served / health.slices[i].seconds)))}; ` +
        `health ${health.cpuMsPerUnit.toFixed(2)} ms and one event ${single.cpuMsPerUnit.toFixed(2)} ms of server CPU per request`,
      `  bare insert: ${int(bare.rows)} rows in ${int(options.batchSize)}-row transactions, ${bare.seconds.toFixed(1)} s; batch ÷ bare per slice: ${range(bare.perSlice)}`,
      `  rows stored by the server: ${int(storedInDb)} (acknowledged with 201 over all phases: ${int(run.acknowledged.stored)}; duplicates ${single.duplicates + batch.duplicates}, rejected ${batch.rejected})`,
      `  server exit after SIGTERM: ${exit}`,
      `  timeline, seconds since the server was spawned (for scripts/bench/profile.ts --from/--to): ${timeline.join(", ")}`,
    ];
    process.stdout.write(`${out.join("\n")}\n`);

    const failed = [floor, health, single, batch].filter((phase) => phase.failed);
    if (failed.length)
      process.stdout.write(
        `\nWarning: failed requests in ${failed.map((p) => p.phase.label).join("; ")}; see the details.\n`,
      );

    // Benchmarks inform and do not gate; only a broken run (lost events, a generator that
    // sent duplicates, a server that did not stop cleanly) fails.
    const problems: string[] = [];
    if (storedInDb < run.acknowledged.stored)
      problems.push(`the database holds ${storedInDb} events but ${run.acknowledged.stored} were acknowledged`);
    if (single.duplicates || batch.duplicates || batch.rejected)
      problems.push("the server reported duplicates or rejected events; the run did not measure inserts");
    if (exit !== 0) problems.push(`the server exited with ${exit}`);
    if (problems.length) {
      process.stderr.write(`\nThe run is not valid:\n${problems.map((p) => `  - ${p}`).join("\n")}\n`);
      process.exitCode = 1;
    }
  } finally {
    await baseline?.close().catch(() => undefined);
    await server?.stop();
    await dbs
      .drop()
      .catch((error) =>
        process.stderr.write(`Could not remove the benchmark databases: ${(error as Error).message}\n`),
      );
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
