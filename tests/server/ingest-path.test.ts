import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "@/lib/ingest/schema";
import { tokensFor } from "../helpers/credentials";
import { createTestDatabase, PROVIDERS, type TestDatabase } from "../helpers/databases";
import { startServer, type DeployMode, type RunningServer } from "../helpers/server";

/*
 * server.ts answers POST /api/report itself, without Next's routing (most requests are agents'
 * reports, and the routing cost more CPU than storing an event). Whatever serves it, an agent
 * must get the same answer: every case below is sent to npm start and to a plain next start,
 * each on its own database, and compared.
 */

type Answer = { status: number; body: unknown; headers: Record<string, string> };

// Per connection or per message, not the app's answer: Next also gzips even a 16-byte answer
// (fetch decodes it, as the agent's Invoke-RestMethod does) and adds its router's Vary.
const TRANSPORT = new Set([
  "date",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "content-encoding",
  "vary",
]);

const TS = "2026-03-02T05:00:00.000Z";
const event = (user: string, state = "working", ts = TS) => ({ user, state, ts });

type Case = {
  name: string;
  path?: string;
  auth: "ingest" | "read" | "none";
  contentType?: string;
  body: string;
};

const CASES: Case[] = [
  { name: "one event", auth: "ingest", body: JSON.stringify(event("Ana")) },
  { name: "the same event again", auth: "ingest", body: JSON.stringify(event("Ana")) },
  {
    name: "a batch with one bad event",
    auth: "ingest",
    body: JSON.stringify({ events: [event("Ben"), event("Ben", "resting"), event("Cy", "stopped")] }),
  },
  { name: "with a query string", path: "/api/report?from=agent", auth: "ingest", body: JSON.stringify(event("Di")) },
  { name: "JSON cut short", auth: "ingest", body: '{"user":"Ana","state":"wor' },
  { name: "an empty body", auth: "ingest", body: "" },
  { name: "not JSON by its type", auth: "ingest", contentType: "text/plain", body: JSON.stringify(event("Ed")) },
  { name: "too large", auth: "ingest", body: JSON.stringify({ events: [], pad: "x".repeat(MAX_BODY_BYTES) }) },
  { name: "no token", auth: "none", body: JSON.stringify(event("Fay")) },
  { name: "a read token", auth: "read", body: JSON.stringify(event("Fay")) },
  {
    name: "an event in the far future",
    auth: "ingest",
    body: JSON.stringify(event("Gus", "working", "2999-01-01T00:00:00Z")),
  },
];

describe.each(PROVIDERS)("POST /api/report from server.ts and through Next on %s", (provider) => {
  const running: Partial<
    Record<DeployMode, { server: RunningServer; database: TestDatabase; auth: Record<string, Record<string, string>> }>
  > = {};

  beforeAll(async () => {
    await Promise.all(
      (["server.ts", "next start"] as const).map(async (mode) => {
        const database = await createTestDatabase(provider);
        const auth = await tokensFor(database.url);
        const server = await startServer({ DATABASE_URL: database.url }, { mode });
        running[mode] = { server, database, auth: { ...auth, none: {} } };
      }),
    );
  }, 120_000);
  afterAll(async () => {
    for (const { server, database } of Object.values(running)) {
      await server.stop();
      await database.drop();
    }
  });

  async function send(mode: DeployMode, c: Case): Promise<Answer> {
    const { server, auth } = running[mode]!;
    const res = await fetch(`${server.url}${c.path ?? "/api/report"}`, {
      method: "POST",
      headers: { ...auth[c.auth], "content-type": c.contentType ?? "application/json" },
      body: c.body,
    });
    const text = await res.text();
    const headers = Object.fromEntries([...res.headers].filter(([name]) => !TRANSPORT.has(name)));
    return { status: res.status, body: text ? JSON.parse(text) : text, headers };
  }

  it("gives an agent the same answer, status, body and headers, for every case", async () => {
    for (const c of CASES) {
      const direct = await send("server.ts", c);
      const throughNext = await send("next start", c);
      expect({ case: c.name, ...direct }).toEqual({ case: c.name, ...throughNext });
      expect(direct.status, c.name).toBeLessThan(500);
      expect(direct.headers["content-security-policy"], c.name).toBe("default-src 'none'; frame-ancestors 'none'");
    }
  });

  it("stores a report whatever Host header came with it", async () => {
    const { server, auth } = running["server.ts"]!;
    const body = JSON.stringify(event("Ivy"));
    const status = await new Promise<number>((resolve, reject) =>
      http
        .request(
          `${server.url}/api/report`,
          {
            method: "POST",
            headers: { ...auth.ingest, host: "not a host", "content-type": "application/json" },
          },
          (res) => res.resume().on("end", () => resolve(res.statusCode!)),
        )
        .on("error", reject)
        .end(body),
    );
    expect(status).toBe(201);
  });

  it("answers in server.ts itself, without Next's routing", async () => {
    const res = await fetch(`${running["server.ts"]!.server.url}/api/report`, {
      method: "POST",
      headers: { ...running["server.ts"]!.auth.ingest, "content-type": "application/json" },
      body: JSON.stringify(event("Hal")),
    });
    expect(res.status).toBe(201);
    // Next marks every route's answer with its router's Vary; server.ts's own answer has none.
    expect(res.headers.get("vary")).toBeNull();
  });
});
