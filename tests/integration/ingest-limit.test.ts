import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as postReport } from "@/app/api/report/route";
import { loadConfig, type Config } from "@/lib/config";
import { bearer, newToken } from "../helpers/credentials";
import { PROVIDERS, useProcessDatabase } from "../helpers/databases";
import { failed } from "../helpers/envelope";

/** Events of a past day, so none is refused for being in the future. */
const DAY_START = Date.parse("2026-03-01T20:00:00Z");

type ConfigState = typeof globalThis & {
  __workTracingConfig?: Config;
  __workTracingIngestBuckets?: Map<number, unknown>;
};

describe.each(PROVIDERS)("ingest on %s", (provider) => {
  const database = useProcessDatabase(provider);
  const configState = globalThis as ConfigState;
  let savedConfig: Config | undefined;
  let configDir: string;
  const useConfig = (env: Record<string, string>) => {
    configState.__workTracingConfig = loadConfig(env, configDir);
  };

  beforeAll(() => {
    savedConfig = configState.__workTracingConfig;
    configDir = mkdtempSync(path.join(os.tmpdir(), "wt-ingest-limit-"));
  });

  afterAll(() => {
    configState.__workTracingConfig = savedConfig;
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  });

  describe("the ingest limit per token", () => {
    const batch = (user: string, n: number, from: number) => ({
      events: Array.from({ length: n }, (_, i) => ({
        user,
        state: "working",
        ts: new Date(DAY_START + from + i * 1000).toISOString(),
      })),
    });
    const send = (body: unknown, headers: Record<string, string>) =>
      postReport(
        new Request("http://localhost/api/report", {
          method: "POST",
          headers: { ...headers, "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
        {},
      );
    const stored = async (user: string) =>
      Number(
        (
          await database.db.raw.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM work_events WHERE user_key = ?`, [
            user,
          ])
        )[0].n,
      );

    beforeAll(() => {
      configState.__workTracingIngestBuckets = undefined;
    });

    it("answers 429 with Retry-After beyond the limit, and stores nothing of the refused batch", async () => {
      useConfig({ INGEST_RATE_LIMIT: "100" });
      const token = bearer(await newToken(database.db, "ingest"));
      expect((await send(batch("limited", 60, 0), token)).status).toBe(201);
      const refused = await send(batch("limited", 60, 60_000), token);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect((await failed(refused, 429)).code).toBe("rate_limited");
      expect(await stored("limited")).toBe(60);
      // Another token has its own allowance.
      const other = bearer(await newToken(database.db, "ingest"));
      expect((await send(batch("limited", 60, 60_000), other)).status).toBe(201);
      expect(await stored("limited")).toBe(120);
    });

    it("lets a token send as much as it likes when the limit is 0", async () => {
      useConfig({ INGEST_RATE_LIMIT: "0" });
      const token = bearer(await newToken(database.db, "ingest"));
      for (let i = 0; i < 3; i++) expect((await send(batch("unlimited", 5000, i * 5_000_000), token)).status).toBe(201);
      expect(await stored("unlimited")).toBe(15_000);
    });
  });
});
