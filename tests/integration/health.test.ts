import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET, POST as healthPost } from "@/app/api/health/route";
import { POST as report } from "@/app/api/report/route";
import { openDb, type Db } from "@/lib/db";
import { useProcessTokens } from "../helpers/credentials";
import { createTestDatabase, PROVIDERS, useProcessDatabase, type TestDatabase } from "../helpers/databases";

const ROOT = path.resolve(import.meta.dirname, "../..");
const VERSION = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).version;

type ProcessState = typeof globalThis & { __workTracingDb?: Db };

/** Installs `db` as the process's database for the enclosing describe block. */
function useProcessDb(open: () => Promise<{ db: Db; drop?: () => Promise<void> }>) {
  let opened: { db: Db; drop?: () => Promise<void> };
  beforeAll(async () => {
    opened = await open();
    (globalThis as ProcessState).__workTracingDb = opened.db;
  });
  afterAll(async () => {
    (globalThis as ProcessState).__workTracingDb = undefined;
    await opened?.db.close();
    await opened?.drop?.();
  });
}

const health = () => GET(new Request("http://localhost/api/health"), {});

describe.each(PROVIDERS)("GET /api/health on %s", (provider) => {
  const tokens = useProcessTokens(useProcessDatabase(provider));

  it("answers 200 with the database up, its provider, current migrations and the version", async () => {
    const res = await health();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = await res.json();
    expect(body).toMatchObject({
      success: true,
      data: {
        status: "ok",
        version: VERSION,
        database: { status: "up", provider, migrations: { status: "current", pending: [] } },
      },
    });
    expect(body.data.database.migrations.applied).toBeGreaterThan(0);
    expect(typeof body.data.database.latency_ms).toBe("number");
    expect(typeof body.data.uptime_seconds).toBe("number");
  });

  it("names no employee, even after one has reported", async () => {
    const user = "CORP\\Zoë.Privacy-Check";
    const res = await report(
      new Request("http://localhost/api/report", {
        method: "POST",
        headers: { ...tokens.ingest, "content-type": "application/json" },
        body: JSON.stringify({ user, state: "working" }),
      }),
      {},
    );
    expect(res.status).toBe(201);
    const text = await (await health()).text();
    for (const fragment of [
      user,
      user.toLowerCase(),
      "Zoë",
      "zoë",
      "Privacy-Check",
      JSON.stringify(user).slice(1, -1),
    ]) {
      expect(text).not.toContain(fragment);
    }
  });

  it("answers other methods with a 405 envelope", async () => {
    const res = await healthPost();
    expect(res.status).toBe(405);
    expect(await res.json()).toMatchObject({ success: false, error: { code: "method_not_allowed" } });
  });
});

describe.each(PROVIDERS)("GET /api/health on an unmigrated %s database", (provider) => {
  useProcessDb(async () => {
    const testDb: TestDatabase = await createTestDatabase(provider);
    return { db: openDb(testDb.url), drop: testDb.drop };
  });

  it("reports the migrations as pending", async () => {
    const res = await health();
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.data).toMatchObject({
      status: "degraded",
      database: { status: "up", migrations: { status: "pending", applied: 0 } },
    });
    expect(body.data.database.migrations.pending.length).toBeGreaterThan(0);
  });
});

describe("GET /api/health when PostgreSQL does not answer", () => {
  useProcessDb(async () => ({ db: openDb("postgresql://worktracing@127.0.0.1:1/worktracing") }));

  it("answers 503 with Retry-After and the error envelope", async () => {
    const res = await health();
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toMatch(/^\d+$/);
    const body = await res.json();
    expect(body).toMatchObject({
      success: false,
      error: { code: "database_unavailable", message: expect.any(String) },
      data: { status: "unavailable", database: { status: "down", provider: "postgresql" } },
    });
  });
});
