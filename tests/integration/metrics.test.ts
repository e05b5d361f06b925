import { beforeAll, describe, expect, it } from "vitest";
import { GET, POST as postMetrics } from "@/app/api/metrics/route";
import { POST as report } from "@/app/api/report/route";
import { openDb } from "@/lib/db";
import { runHoursEngine } from "@/lib/hours/run";
import { bearer, newSession, newToken, sessionHeader, useProcessTokens } from "../helpers/credentials";
import { PROVIDERS, useProcessDatabase } from "../helpers/databases";

/*
 * GET /api/metrics as Prometheus sees it: what ingest and the hours engine did shows in the
 * counters and histograms of the scrape that follows. The registry is one per process, so
 * every check compares two scrapes rather than trusting absolute values.
 */

const METRICS_URL = "http://localhost/api/metrics";
const REPORT_URL = "http://localhost/api/report";

type Samples = Map<string, number>;

const scrape = (headers: Record<string, string>) => GET(new Request(METRICS_URL, { headers }), {});

const post = (headers: Record<string, string>, body: unknown) =>
  report(
    new Request(REPORT_URL, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
    {},
  );

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})? (\S+)$/;
// Prometheus reads NaN and Inf in any letter case (prom-client writes "Nan" for a gauge without a value yet).
const VALUE = /^([-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?|[-+]?inf|nan)$/i;

/**
 * Checks the text line by line against the Prometheus text exposition format (HELP and TYPE
 * before a family's samples, each sample a name, optional labels and a number) and returns
 * every sample by its name and labels as written.
 */
function parseExposition(text: string): Samples {
  const samples: Samples = new Map();
  const help = new Set<string>();
  const types = new Map<string, string>();
  expect(text.endsWith("\n"), "the text ends with a newline").toBe(true);
  for (const line of text.split("\n").slice(0, -1)) {
    if (line === "") continue;
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (comment) {
      const [, kind, name, rest] = comment;
      expect(name, line).toMatch(/^worktracing_/);
      if (kind === "HELP") help.add(name);
      else {
        expect(["counter", "gauge", "histogram", "summary", "untyped"], line).toContain(rest);
        expect(types.has(name), `one TYPE line for ${name}`).toBe(false);
        types.set(name, rest);
      }
      continue;
    }
    const sample = SAMPLE.exec(line);
    expect(sample, `a sample line: ${line}`).not.toBeNull();
    const [, name, , value] = sample!;
    expect(value, line).toMatch(VALUE);
    const family = [...types.keys()].find(
      (f) => name === f || (/_(bucket|sum|count|total|created)$/.test(name) && name.startsWith(`${f}_`)),
    );
    expect(family, `${name} follows its own TYPE line`).toBeDefined();
    expect(help.has(family!), `${family} has HELP text`).toBe(true);
    const key = name + (sample![2] ?? "");
    expect(samples.has(key), `${key} appears once`).toBe(false);
    samples.set(key, /^[-+]?inf$/i.test(value) ? (value.startsWith("-") ? -Infinity : Infinity) : Number(value));
  }
  return samples;
}

async function metrics(headers: Record<string, string>): Promise<Samples> {
  const res = await scrape(headers);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  expect(res.headers.get("cache-control")).toBe("no-store");
  return parseExposition(await res.text());
}

const value = (samples: Samples, key: string) => samples.get(key) ?? 0;
const grew = (before: Samples, after: Samples, key: string) => value(after, key) - value(before, key);

/** Checks the one error envelope, with the status and code given. */
async function refused(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = await res.json();
  expect(body).toMatchObject({ success: false, error: { code } });
  expect(typeof body.error.message).toBe("string");
}

const engineState = globalThis as typeof globalThis & { __workTracingEngineBusy?: boolean };

describe.each(PROVIDERS)("GET /api/metrics on %s", (provider) => {
  const database = useProcessDatabase(provider);
  const tokens = useProcessTokens(database);
  let scraper: Record<string, string>;
  beforeAll(async () => {
    scraper = bearer(await newToken(database.db, "metrics"));
  });

  it("is refused without a metrics token: 401 with none or a bad one, 403 for another scope or a session", async () => {
    await refused(await scrape({}), 401, "unauthorized");
    await refused(await scrape(bearer(`wt_metrics_${"x".repeat(43)}`)), 401, "unauthorized");
    await refused(await scrape(tokens.ingest), 403, "forbidden");
    await refused(await scrape(tokens.read), 403, "forbidden");
    const admin = await newSession(database.db, "admin");
    await refused(await scrape(sessionHeader(admin.cookie)), 403, "forbidden");
    // A metrics token sends no events and reads no report either.
    await refused(await post(scraper, { user: "alice", state: "working" }), 403, "forbidden");
    await refused(await postMetrics(), 405, "method_not_allowed");
  });

  it("counts ingest requests, events by outcome, commits, engine runs, engine lag and the pool", async () => {
    const before = await metrics(scraper);
    const tenMinutesAgo = new Date(Date.now() - 10 * 60_000).toISOString();
    const event = { user: "CORP\\alice", state: "working", ts: tenMinutesAgo };

    expect((await post(tokens.ingest, event)).status).toBe(201);
    const again = await post(tokens.ingest, event);
    expect(await again.json()).toMatchObject({ success: true, duplicate: true });
    const batch = await post(tokens.ingest, {
      events: [
        { user: "CORP\\bob", state: "working", ts: tenMinutesAgo },
        { user: "CORP\\bob", state: "sleeping", ts: tenMinutesAgo },
        { user: "CORP\\bob", state: "stopped", ts: new Date(Date.parse(tenMinutesAgo) + 60_000).toISOString() },
      ],
    });
    expect(await batch.json()).toMatchObject({ accepted: 2, duplicates: 0, rejected: [{ index: 1 }] });
    await refused(await post(tokens.ingest, { user: "CORP\\alice", state: "idle" }), 400, "invalid_event");
    await refused(await post({}, event), 401, "unauthorized");

    const ingested = await metrics(scraper);
    expect(grew(before, ingested, 'worktracing_ingest_requests_total{status="201"}')).toBe(3);
    expect(grew(before, ingested, 'worktracing_ingest_requests_total{status="400"}')).toBe(1);
    expect(grew(before, ingested, 'worktracing_ingest_requests_total{status="401"}')).toBe(1);
    expect(grew(before, ingested, "worktracing_ingest_request_duration_seconds_count")).toBe(5);
    expect(grew(before, ingested, 'worktracing_ingest_events_total{outcome="accepted"}')).toBe(3);
    expect(grew(before, ingested, 'worktracing_ingest_events_total{outcome="duplicate"}')).toBe(1);
    expect(grew(before, ingested, 'worktracing_ingest_events_total{outcome="rejected",reason="invalid_event"}')).toBe(
      2,
    );
    // However the store grouped them: three submissions holding four valid events were committed.
    expect(grew(before, ingested, "worktracing_ingest_commit_submissions_sum")).toBe(3);
    expect(grew(before, ingested, "worktracing_ingest_commit_events_sum")).toBe(4);
    expect(grew(before, ingested, "worktracing_ingest_commit_events_count")).toBeGreaterThanOrEqual(1);
    // The oldest event waiting for the engine is at least ten minutes old.
    expect(value(ingested, "worktracing_engine_lag_seconds")).toBeGreaterThanOrEqual(600);

    const result = await runHoursEngine({ trigger: "test" });
    expect(result).toMatchObject({ status: "ok", users: 2 });
    engineState.__workTracingEngineBusy = true;
    try {
      expect(await runHoursEngine({ trigger: "test" })).toMatchObject({ status: "skipped" });
    } finally {
      engineState.__workTracingEngineBusy = false;
    }
    const closed = openDb(database.url);
    await closed.close();
    await expect(runHoursEngine({ trigger: "test", db: closed })).rejects.toThrow();

    const processed = await metrics(scraper);
    expect(grew(ingested, processed, 'worktracing_engine_runs_total{outcome="ok"}')).toBe(1);
    expect(grew(ingested, processed, 'worktracing_engine_runs_total{outcome="skipped"}')).toBe(1);
    expect(grew(ingested, processed, 'worktracing_engine_runs_total{outcome="failed"}')).toBe(1);
    expect(grew(ingested, processed, 'worktracing_engine_run_duration_seconds_count{outcome="ok"}')).toBe(1);
    expect(grew(ingested, processed, 'worktracing_engine_run_duration_seconds_count{outcome="failed"}')).toBe(1);
    const eventsRead = result.status === "ok" ? result.events : 0;
    expect(eventsRead).toBeGreaterThanOrEqual(3);
    expect(grew(ingested, processed, "worktracing_engine_events_processed_total")).toBe(eventsRead);
    expect(value(processed, "worktracing_engine_lag_seconds")).toBe(0);

    expect(value(processed, `worktracing_database_info{provider="${provider}"}`)).toBe(1);
    const pool = [...processed.keys()].filter((key) => key.startsWith("worktracing_db_pool_"));
    if (provider === "postgresql") {
      expect(value(processed, 'worktracing_db_pool_connections{state="max"}')).toBe(10);
      expect(value(processed, 'worktracing_db_pool_connections{state="total"}')).toBeGreaterThanOrEqual(1);
      expect(processed.has('worktracing_db_pool_connections{state="idle"}')).toBe(true);
      expect(processed.has("worktracing_db_pool_waiting_clients")).toBe(true);
    } else {
      expect(pool, "SQLite has no pool to show").toEqual([]);
    }
    // prom-client's default process metrics, under the same prefix.
    expect(value(processed, "worktracing_process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(processed.has("worktracing_nodejs_heap_size_used_bytes")).toBe(true);
  });

  it("keeps histogram buckets cumulative, ending in +Inf at the count", async () => {
    const samples = await metrics(scraper);
    for (const family of [
      "worktracing_ingest_request_duration_seconds",
      "worktracing_ingest_commit_events",
      "worktracing_ingest_commit_submissions",
    ]) {
      const buckets = [...samples.entries()].filter(([key]) => key.startsWith(`${family}_bucket{`));
      expect(buckets.length, family).toBeGreaterThan(1);
      const counts = buckets.map(([, count]) => count);
      expect(counts, family).toEqual([...counts].sort((a, b) => a - b));
      expect(samples.get(`${family}_bucket{le="+Inf"}`), family).toBe(samples.get(`${family}_count`));
    }
  });
});
