import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { connect } from "node:net";
import os from "node:os";
import path from "node:path";
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
import { freePort, ROOT, startServer, type RunningServer } from "../helpers/server";

// docs/nginx.conf under real nginx, in front of two instances on one PostgreSQL (DESIGN §9):
// the configuration an operator copies is the one tested, with only its addresses, ports and
// certificate replaced.

function findNginx(): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? "").split(path.delimiter),
    "/usr/sbin",
    "/usr/local/sbin",
    "/usr/local/nginx/sbin",
  ];
  return dirs
    .filter(Boolean)
    .map((dir) => path.join(dir, "nginx"))
    .find((file) => existsSync(file));
}
const nginx = findNginx();
const runs = Boolean(nginx || process.env.CI) && PROVIDERS.includes("postgresql");
if (!nginx && !process.env.CI)
  console.warn("tests/server/nginx.test.ts skipped: no nginx binary (apt-get install nginx); CI always runs it");

/** docs/nginx.conf with the test's upstreams, ports and certificate; throws if the file no longer has what it replaces. */
function deriveSite(upstreams: number[], ports: { plain: number; tls: number }, cert: { crt: string; key: string }) {
  let site = readFileSync(path.join(ROOT, "docs/nginx.conf"), "utf8");
  const replace = (pattern: RegExp, by: string | ((match: string) => string)) => {
    if (!pattern.test(site)) throw new Error(`docs/nginx.conf no longer matches ${pattern}`);
    site = site.replace(pattern, by as string);
  };
  let first = true;
  replace(/^\s*#?\s*server 127\.0\.0\.1:\d+;.*$/gm, () => {
    if (!first) return "";
    first = false;
    return upstreams.map((port) => `    server 127.0.0.1:${port};`).join("\n");
  });
  replace(/listen 443 ssl http2;/, `listen 127.0.0.1:${ports.tls} ssl http2;\n    listen 127.0.0.1:${ports.plain};`);
  replace(/ssl_certificate \S+;/, `ssl_certificate ${cert.crt};`);
  replace(/ssl_certificate_key \S+;/, `ssl_certificate_key ${cert.key};`);
  return site;
}

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
  let dir: string;
  let proxy: ChildProcess | undefined;
  let proxyOutput = "";
  const servers: RunningServer[] = [];
  let plain = "";
  let tls = "";
  let ingest: Record<string, string> = {};

  beforeAll(async () => {
    if (!nginx) throw new Error("CI must run this test: install nginx (.ci/run does)");
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

    dir = mkdtempSync(path.join(os.tmpdir(), "wt-nginx-"));
    for (const sub of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(path.join(dir, sub));
    const cert = { crt: path.join(dir, "site.crt"), key: path.join(dir, "site.key") };
    const selfSigned = "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost";
    execFileSync("openssl", [...selfSigned.split(" "), "-keyout", cert.key, "-out", cert.crt], { stdio: "ignore" });
    const ports = { plain: await freePort(), tls: await freePort() };
    writeFileSync(
      path.join(dir, "work-tracing.conf"),
      deriveSite(
        servers.map((server) => server.port),
        ports,
        cert,
      ),
    );
    // The http { } block the site goes in, as /etc/nginx/nginx.conf holds it; the access log
    // names the instance that answered each request.
    writeFileSync(
      path.join(dir, "nginx.conf"),
      `${process.getuid?.() === 0 ? "user root;\n" : ""}pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
    log_format upstreams '$request_method $uri $status $upstream_addr $upstream_status';
    access_log ${dir}/access.log upstreams;
    client_body_temp_path ${dir}/body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    include ${dir}/work-tracing.conf;
}
`,
    );
    proxy = spawn(nginx, ["-e", "stderr", "-p", dir, "-c", path.join(dir, "nginx.conf"), "-g", "daemon off;"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    proxy.stdout!.on("data", (chunk) => (proxyOutput += chunk));
    proxy.stderr!.on("data", (chunk) => (proxyOutput += chunk));
    plain = `http://127.0.0.1:${ports.plain}`;
    tls = `https://127.0.0.1:${ports.tls}`;
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (proxy.exitCode !== null) throw new Error(`nginx exited:\n${proxyOutput}`);
      const up = await request(`${plain}/api/health`).then(
        (reply) => reply.status === 200,
        () => false,
      );
      if (up) break;
      if (Date.now() > deadline) throw new Error(`nginx did not answer:\n${proxyOutput}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  afterAll(async () => {
    if (proxy && proxy.exitCode === null) {
      const exited = new Promise((resolve) => proxy!.once("exit", resolve));
      proxy.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (proxy.exitCode === null) proxy.kill("SIGKILL");
    }
    for (const server of servers) killTree(server.child.pid!, "SIGKILL");
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const upstreamsSeen = () =>
    new Set(
      readFileSync(path.join(dir, "access.log"), "utf8")
        .split("\n")
        .flatMap((line) => line.split(" ")[3]?.split(", ") ?? [])
        .filter((address) => /^127\.0\.0\.1:\d+$/.test(address)),
    );

  it("passes requests to both instances, over TLS too", async () => {
    for (let i = 0; i < 6; i++) {
      const reply = await request(`${i % 2 ? tls : plain}/api/health`);
      expect(reply.status).toBe(200);
      expectSecurityHeaders(reply.headers);
    }
    expect([...upstreamsSeen()].sort()).toEqual(servers.map((server) => `127.0.0.1:${server.port}`).sort());
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
    const report = `${JSON.stringify(stream.report())}\n${readFileSync(path.join(dir, "error.log"), "utf8").slice(-4000)}`;
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
