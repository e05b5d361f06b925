import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, ingestTokenFor } from "../helpers/credentials";
import { createTestDatabase, PROVIDERS, type TestDatabase } from "../helpers/databases";
import { startServer, type RunningServer } from "../helpers/server";

describe.each(PROVIDERS)("the built server on %s", (provider) => {
  let database: TestDatabase;
  let server: RunningServer;
  let auth: Record<string, string>;
  beforeAll(async () => {
    database = await createTestDatabase(provider);
    auth = bearer(await ingestTokenFor(database.url));
    server = await startServer({ DATABASE_URL: database.url });
  });
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  it("migrates on start and accepts an event", async () => {
    const health = await (await fetch(`${server.url}/api/health`)).json();
    expect(health.data.database).toMatchObject({ status: "up", provider, migrations: { status: "current" } });
    const res = await fetch(`${server.url}/api/report`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ user: "smoke", state: "working" }),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ success: true });
  });

  it("answers unknown API paths, /api itself included, with the JSON envelope", async () => {
    for (const path of ["/api", "/api/", "/api/nope", "/api/reports/nope?x=1"]) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type"), path).toContain("application/json");
      expect((await res.json()).error.code, path).toBe("not_found");
    }
  });

  it("asks crawlers to keep out, and offers its manifest and icon to every page without a sign-in", async () => {
    const robots = await fetch(`${server.url}/robots.txt`);
    expect(robots.status).toBe(200);
    expect(await robots.text()).toMatch(/^User-agent: \*\nDisallow: \/$/m);
    const manifest = await fetch(`${server.url}/manifest.webmanifest`);
    expect(manifest.status).toBe(200);
    expect((await manifest.json()).icons).toEqual([
      expect.objectContaining({ src: "/icon.svg", type: "image/svg+xml" }),
    ]);
    expect((await fetch(`${server.url}/icon.svg`)).headers.get("content-type")).toContain("image/svg+xml");
    const page = await (await fetch(`${server.url}/sign-in`)).text();
    expect(page).toContain('<link rel="manifest" href="/manifest.webmanifest"');
    expect(page).toMatch(/<meta name="robots" content="noindex, nofollow"/);
  });
});
