import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bearer, ingestTokenFor } from "../helpers/credentials";
import { createTestDatabase, PROVIDERS } from "../helpers/databases";
import { ROOT, startServer } from "../helpers/server";

function migrateScript(databaseUrl: string) {
  return spawnSync(process.execPath, ["--import", "tsx", "scripts/migrate.ts"], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    encoding: "utf8",
    timeout: 60_000,
  });
}

describe.each(PROVIDERS)("npm run db:migrate on %s", (provider) => {
  it("applies the migrations once, then says the database is up to date", async () => {
    const database = await createTestDatabase(provider);
    try {
      const first = migrateScript(database.url);
      expect(first.status).toBe(0);
      expect(first.stdout).toMatch(/applied 20261126000000_init/);
      const second = migrateScript(database.url);
      expect(second.status).toBe(0);
      expect(second.stdout).toMatch(/is up to date \(\d+ migrations\)/);
    } finally {
      await database.drop();
    }
  });
});

describe("npm run db:migrate with a database it cannot reach", () => {
  it("exits non-zero with one line naming the failure", () => {
    const result = migrateScript("postgresql://nobody:x@127.0.0.1:1/none");
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/^Migration failed: /);
  });
});

describe("npm run dev", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "wt-dev-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // The development server compiles each route on its first request: minutes on a loaded machine.
  it("serves the development server on SQLite, creating the database", { timeout: 240_000 }, async () => {
    const file = path.join(dir, "dev", "work_events.db");
    const server = await startServer({ DATABASE_URL: `file:${file}` }, { args: ["--dev"], timeoutMs: 120_000 });
    try {
      expect(existsSync(file)).toBe(true);
      const auth = bearer(await ingestTokenFor(`file:${file}`));
      const res = await fetch(`${server.url}/api/report`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ user: "dev", state: "working" }),
      });
      expect(res.status).toBe(201);
      expect(existsSync(file)).toBe(true);
      expect(server.output()).toMatch(/\(development\) listening/);
    } finally {
      expect(await server.stop("SIGTERM")).toBe(0);
    }
  });
});
