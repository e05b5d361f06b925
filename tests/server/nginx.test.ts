import http from "node:http";
import https from "node:https";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken } from "@/lib/auth/tokens";
import { RATE_LIMITS } from "@/lib/auth/rate-limit";
import { openDb } from "@/lib/db";
import { migrate } from "@/lib/db/migrator";
import { API_SECURITY_HEADERS } from "@/lib/server/security-headers";
import { bearer } from "../helpers/credentials";
import { createTestDatabase, PROVIDERS, type TestDatabase } from "../helpers/databases";
import { EventStream, missingEvents } from "../helpers/event-stream";
import { killTree } from "../helpers/processes";
import { findNginx, startNginx, type RunningNginx } from "../helpers/nginx";
import { startServer, type RunningServer } from "../helpers/server";

// docs/nginx.conf under real nginx, in front of two instances on one PostgreSQL (DESIGN §9):
// the configuration an operator copies is the one tested (tests/helpers/nginx.ts).

const runs = Boolean(findNginx() || process.env.CI) && PROVIDERS.includes("postgresql");
if (!findNginx() && !process.env.CI)
  console.warn("tests/server/nginx.test.ts skipped: no nginx binary (apt-get install nginx); CI always runs it");

type Reply = { status: number; headers: http.IncomingHttpHeaders; body: string };

function request(
  url: string,
  {
    method = "GET",
    headers = {},
    body,
    localAddress,
  }: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {},
): Promise<Reply> {
  const transport = url.startsWith("https:") ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      url,
      { method, headers, localAddress, rejectUnauthorized: false, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** What nginx answers to bytes that are not a valid request (raw, so that no client library tidies them). */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(text));
    let answer = "";
    socket.on("data", (chunk) => (answer += chunk));
    socket.on("end", () => resolve(answer));
    socket.on("error", reject);
  });
}

function expectSecurityHeaders(headers: http.IncomingHttpHeaders) {
  for (const [name, value] of Object.entries(API_SECURITY_HEADERS))
    expect(headers[name.toLowerCase()], name).toBe(value);
}

describe.skipIf(!runs)("docs/nginx.conf under real nginx, in front of two instances", () => {
  let database: TestDatabase;
  let proxy: RunningNginx | undefined;
  const servers: RunningServer[] = [];
  let plain = "";
  let tls = "";
  let ingest: Record<string, string> = {};

  beforeAll(async () => {
    if (!findNginx()) throw new Error("CI must run this test: install nginx (.ci/run does)");
    database = await createTestDatabase("postgresql");
    const db = openDb(database.url);
    try {
      await migrate(db);
      ingest = bearer((await createToken(db, { name: "nginx-ingest", scope: "ingest", createdBy: "tests" })).token);
    } finally {
      await db.close();
    }
    servers.push(
      ...(await Promise.all([0, 1].map(() => startServer({ DATABASE_URL: database.url, TRUSTED_PROXIES: "1" })))),
    );

    proxy = await startNginx(servers.map((server) => server.port));
    plain = proxy.plain;
    tls = proxy.tls;
  });

  afterAll(async () => {
    await proxy?.stop();
    for (const server of servers) killTree(server.child.pid!, "SIGKILL");
    await database?.drop();
  });

  it("passes requests to both instances, over TLS too", async () => {
    for (let i = 0; i < 6; i++) {
      const reply = await request(`${i % 2 ? tls : plain}/api/health`);
      expect(reply.status).toBe(200);
      expectSecurityHeaders(reply.headers);
    }
    expect([...proxy!.upstreamsSeen()].sort()).toEqual(servers.map((server) => `127.0.0.1:${server.port}`).sort());
  });

  it("gives the app the client's address, never one the client wrote", async () => {
    const db = openDb(database.url);
    try {
      const made = await createToken(db, { name: "nginx-address", scope: "ingest", createdBy: "tests" });
      const reply = await request(`${plain}/api/report`, {
        method: "POST",
        localAddress: "127.0.0.2",
        headers: { ...bearer(made.token), "content-type": "application/json", "x-forwarded-for": "203.0.113.7" },
        body: JSON.stringify({ user: "CORP\\nginx", state: "working" }),
      });
      expect(reply.status).toBe(201);
      const [row] = await db.raw.query<{ last_used_ip: string }>("SELECT last_used_ip FROM api_tokens WHERE id = ?", [
        made.info.id,
      ]);
      expect(row.last_used_ip).toBe("127.0.0.2");
    } finally {
      await db.close();
    }
  });

  it("locks failed sign-ins per client address across both instances, and takes a browser's own Origin", async () => {
    const signIn = (base: string, address: string, username: string) =>
      request(`${base}/auth/sign-in`, {
        method: "POST",
        localAddress: address,
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          origin: base,
          "x-forwarded-for": "198.51.100.1",
        },
        body: new URLSearchParams({ username, password: "not-the-password" }).toString(),
      });
    // Alternately through each listener: the two instances share the count.
    for (let i = 0; i < RATE_LIMITS.address.maxFailures; i++) {
      const reply = await signIn(i % 2 ? tls : plain, "127.0.0.3", `nobody-${i}`);
      expect(reply.status, reply.body).toBe(303);
      // The attempt that reaches the limit is the first one refused as locked.
      expect(reply.headers.location?.includes("error=locked"), `attempt ${i + 1}`).toBe(
        i === RATE_LIMITS.address.maxFailures - 1,
      );
    }
    expect((await signIn(plain, "127.0.0.3", "nobody-last")).headers.location).toContain("error=locked");
    const neighbour = await signIn(tls, "127.0.0.4", "nobody-else");
    expect(neighbour.status).toBe(303);
    expect(neighbour.headers.location).not.toContain("error=locked");
  });

  it("refuses TRACE, unknown methods, undecodable paths and large bodies itself, in the API's envelope and headers", async () => {
    const expectRefusal = (reply: Reply, status: number, code: string) => {
      expect(reply.status, reply.body).toBe(status);
      expectSecurityHeaders(reply.headers);
      expect(reply.headers["content-type"]).toBe("application/json");
      expect(JSON.parse(reply.body)).toEqual({ success: false, error: { code, message: expect.any(String) } });
    };
    for (const method of ["TRACE", "PROPFIND", "BREW"]) {
      const reply = await request(`${plain}/api/health`, { method });
      expectRefusal(reply, 405, "method_not_allowed");
      expect(reply.headers.allow).toBe("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
    }
    // nginx itself refuses the first as it reads the request line; the map refuses the others.
    for (const uri of ["/employees/%E0%A4%A", "/reports/%ff", "/api/users/%C0%AF/timeline", "/%ED%A0%80"])
      expectRefusal(await request(`${tls}${uri}`), 400, "bad_request");
    const tooLarge = await request(`${plain}/api/report`, {
      method: "POST",
      headers: { ...ingest, "content-type": "application/json" },
      body: " ".repeat(4 * 1024 * 1024),
    });
    expectRefusal(tooLarge, 413, "payload_too_large");
    const garbled = await rawRequest(Number(new URL(plain).port), "GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n");
    expect(garbled).toMatch(/^HTTP\/1\.1 400/);
    expect(garbled).toContain("X-Content-Type-Options: nosniff");
    expect(garbled).toContain('"code":"bad_request"');
    // A proxied answer carries the app's headers once: nginx adds no second policy.
    const page = await request(`${plain}/sign-in`);
    expect(page.status).toBe(200);
    expect(page.headers["content-security-policy"]).toMatch(/script-src 'self' 'nonce-/);
    expect(page.headers["x-frame-options"]).toBe("DENY");
  });

  it("loses no acknowledged event, and answers no agent 502, when an instance is SIGKILLed mid-traffic", async () => {
    const concurrency = 8;
    const stream = new EventStream(plain, { prefix: "nginx", concurrency, maxBatch: 20, headers: ingest });
    try {
      await stream.waitForAcks(300);
      killTree(servers[0].child.pid!, "SIGKILL");
      await stream.waitForAcks(600);
    } finally {
      await stream.stop();
    }
    const summary = stream.summary;
    const report = `${JSON.stringify(stream.report())}\n${proxy!.errors()}`;
    // nginx sends a request whose instance died on to the other one, unless the dead one had
    // begun its answer: that client's connection is cut, and it sends again (as the agent does).
    expect(Object.keys(summary.statuses), report).toEqual(["201"]);
    expect(
      Object.keys(summary.errors).filter((code) => code !== "ECONNRESET"),
      report,
    ).toEqual([]);
    expect(summary.errors.ECONNRESET ?? 0, report).toBeLessThanOrEqual(concurrency);
    const missing = await missingEvents("postgresql", database.url, summary.acked);
    expect(missing, `${missing.length} of ${summary.acked.length} acknowledged events lost`).toEqual([]);
  });

  it("answers 503 with Retry-After in the API's envelope when no instance is left", async () => {
    killTree(servers[1].child.pid!, "SIGKILL");
    const reply = await request(`${plain}/api/report`, {
      method: "POST",
      headers: { ...ingest, "content-type": "application/json" },
      body: JSON.stringify({ user: "CORP\\nginx", state: "working" }),
    });
    expect(reply.status).toBe(503);
    expect(reply.headers["retry-after"]).toBe("5");
    expectSecurityHeaders(reply.headers);
    expect(JSON.parse(reply.body)).toMatchObject({ success: false, error: { code: "unavailable" } });
  });
});
