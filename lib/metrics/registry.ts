import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

const PREFIX = "worktracing_";
const POOL_CONNECTIONS = `${PREFIX}db_pool_connections`;
const POOL_WAITING = `${PREFIX}db_pool_waiting_clients`;

/** Outcome of one hours-engine run as the metrics count it. */
export type EngineOutcome = "ok" | "skipped" | "failed";

/** What a pg Pool reports about its connections (null on SQLite, which has no pool). */
export type PoolStats = { total: number; idle: number; waiting: number; max: number };

function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: PREFIX });
  const registers = [registry];
  return {
    registry,
    poolShown: false,
    ingestRequests: new Counter({
      name: `${PREFIX}ingest_requests_total`,
      help: "Requests to POST /api/report, by HTTP status of the answer.",
      labelNames: ["status"] as const,
      registers,
    }),
    ingestDuration: new Histogram({
      name: `${PREFIX}ingest_request_duration_seconds`,
      help: "Time from receiving a POST /api/report to its answer (for a 201: after the commit), in seconds.",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    ingestEvents: new Counter({
      name: `${PREFIX}ingest_events_total`,
      help: "Events judged at ingest: accepted (stored now), duplicate (already stored) or rejected (with the error code as reason).",
      labelNames: ["outcome", "reason"] as const,
      registers,
    }),
    commitEvents: new Histogram({
      name: `${PREFIX}ingest_commit_events`,
      help: "Events written per group commit (one transaction, one fsync).",
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000],
      registers,
    }),
    commitSubmissions: new Histogram({
      name: `${PREFIX}ingest_commit_submissions`,
      help: "Requests (submissions) answered per group commit.",
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers,
    }),
    engineRuns: new Counter({
      name: `${PREFIX}engine_runs_total`,
      help: "Hours-engine runs started in this process, by outcome (skipped: another run held the lock).",
      labelNames: ["outcome"] as const,
      registers,
    }),
    engineDuration: new Histogram({
      name: `${PREFIX}engine_run_duration_seconds`,
      help: "Duration of hours-engine runs that did work (ok or failed), in seconds.",
      labelNames: ["outcome"] as const,
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600],
      registers,
    }),
    engineEvents: new Counter({
      name: `${PREFIX}engine_events_processed_total`,
      help: "Events read by successful hours-engine runs in this process.",
      registers,
    }),
    engineLag: new Gauge({
      name: `${PREFIX}engine_lag_seconds`,
      help: "Age in seconds of the oldest event not yet turned into hours (the hours queue, read at scrape time); 0 when the queue is empty.",
      registers,
    }),
    prunedEvents: new Counter({
      name: `${PREFIX}events_pruned_total`,
      help: "Raw events removed by the retention job in this process (EVENT_RETENTION_DAYS); derived hours are kept.",
      registers,
    }),
    databaseInfo: new Gauge({
      name: `${PREFIX}database_info`,
      help: "The database provider this process uses (always 1).",
      labelNames: ["provider"] as const,
      registers,
    }),
    poolConnections: new Gauge({
      name: POOL_CONNECTIONS,
      help: "PostgreSQL pool connections by state: total (open), idle, and max (the pool's limit).",
      labelNames: ["state"] as const,
      // Registered at the first scrape that has a pool: SQLite has none, so shows none.
      registers: [],
    }),
    poolWaiting: new Gauge({
      name: POOL_WAITING,
      help: "Queries waiting for a free PostgreSQL pool connection.",
      registers: [],
    }),
  };
}

type Metrics = ReturnType<typeof createMetrics>;

// server.ts and Next's bundles load separate copies of this module in one process: one
// registry on globalThis, so a scrape sees what every copy recorded.
const cache = globalThis as typeof globalThis & { __workTracingMetrics?: Metrics };

function metrics(): Metrics {
  cache.__workTracingMetrics ??= createMetrics();
  return cache.__workTracingMetrics;
}

/** One answered POST /api/report: its status and how long it took. */
export function recordIngestRequest(status: number, seconds: number): void {
  const m = metrics();
  m.ingestRequests.inc({ status: String(status) });
  m.ingestDuration.observe(seconds);
}

/** The verdict on a report's events: counts stored and duplicate, and each rejection's error code. */
export function recordIngestedEvents(accepted: number, duplicates: number, rejectedCodes: string[] = []): void {
  const m = metrics();
  if (accepted) m.ingestEvents.inc({ outcome: "accepted" }, accepted);
  if (duplicates) m.ingestEvents.inc({ outcome: "duplicate" }, duplicates);
  for (const code of rejectedCodes) m.ingestEvents.inc({ outcome: "rejected", reason: code });
}

/** One committed group commit: how many submissions and events it held. */
export function recordGroupCommit(submissions: number, events: number): void {
  const m = metrics();
  m.commitSubmissions.observe(submissions);
  m.commitEvents.observe(events);
}

/** One hours-engine run: its outcome, and for runs that did work their duration and events read. */
export function recordEngineRun(outcome: EngineOutcome, seconds: number, events = 0): void {
  const m = metrics();
  m.engineRuns.inc({ outcome });
  if (outcome === "skipped") return;
  m.engineDuration.observe({ outcome }, seconds);
  if (events) m.engineEvents.inc(events);
}

/** Raw events one retention run removed (rows deleted and rows in dropped partitions). */
export function recordPrunedEvents(count: number): void {
  if (count) metrics().prunedEvents.inc(count);
}

/**
 * The values read at scrape time, then the registry in Prometheus text format. A value that
 * could not be read (the database is down) is NaN rather than a stale figure.
 */
export async function renderMetrics(scraped: {
  provider: string;
  engineLagSeconds: number;
  pool: PoolStats | null;
}): Promise<{ contentType: string; text: string }> {
  const m = metrics();
  m.engineLag.set(scraped.engineLagSeconds);
  m.databaseInfo.reset();
  m.databaseInfo.set({ provider: scraped.provider }, 1);
  if (!scraped.pool && m.poolShown) {
    m.registry.removeSingleMetric(POOL_CONNECTIONS);
    m.registry.removeSingleMetric(POOL_WAITING);
    m.poolShown = false;
  }
  if (scraped.pool) {
    if (!m.poolShown) {
      m.registry.registerMetric(m.poolConnections);
      m.registry.registerMetric(m.poolWaiting);
      m.poolShown = true;
    }
    m.poolConnections.set({ state: "total" }, scraped.pool.total);
    m.poolConnections.set({ state: "idle" }, scraped.pool.idle);
    m.poolConnections.set({ state: "max" }, scraped.pool.max);
    m.poolWaiting.set(scraped.pool.waiting);
  }
  return { contentType: m.registry.contentType, text: await m.registry.metrics() };
}
