import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sqlitePathFromUrl } from "@/lib/config";
import { listTokens } from "@/lib/auth/tokens";
import { openDb } from "@/lib/db";
import { createTestDatabase, type TestDatabase } from "../helpers/databases";
import { killTree } from "../helpers/processes";
import { startServer, type RunningServer } from "../helpers/server";
import { bearer, tokensFor } from "../helpers/credentials";

const ADMIN = "first-admin";
const ADMIN_PASSWORD = "Quick-Start-Passw0rd-42";
const WRONG_PASSWORD = "Wrong-Guess-Passw0rd-99";

// The real server, on SQLite so that the database can be read byte for byte afterwards.
describe("access to the built server", () => {
  let database: TestDatabase;
  let server: RunningServer;
  let tokens: { ingest: Record<string, string>; read: Record<string, string> };
  let cookie = "";

  beforeAll(async () => {
    database = await createTestDatabase("sqlite");
    tokens = await tokensFor(database.url);
    server = await startServer({ DATABASE_URL: database.url, ADMIN_USERNAME: ADMIN, ADMIN_PASSWORD });
  });
  afterAll(async () => {
    if (server) killTree(server.child.pid!, "SIGKILL");
    await database?.drop();
  });

  const signIn = (password: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/auth/sign-in`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: server.url, ...headers },
      body: new URLSearchParams({ username: ADMIN, password, next: "/" }),
    });

  it("creates the first admin from ADMIN_USERNAME/ADMIN_PASSWORD and says so, without the password", () => {
    expect(server.output()).toContain(`first admin account created from ADMIN_USERNAME username="${ADMIN}"`);
    expect(server.output()).not.toContain(ADMIN_PASSWORD);
  });

  it("sends a visitor without a session from the home page to the sign-in page", async () => {
    const res = await fetch(`${server.url}/`, { redirect: "manual" });
    expect([303, 307]).toContain(res.status);
    expect(res.headers.get("location")).toMatch(/\/sign-in(\?|$)/);
  });

  it("serves the sign-in page with a nonce policy that its scripts carry, and the other security headers", async () => {
    const res = await fetch(`${server.url}/sign-in`);
    expect(res.status).toBe(200);
    const policy = res.headers.get("content-security-policy")!;
    const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(policy)?.[1];
    expect(nonce).toBeTruthy();
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toContain("'strict-dynamic'");
    expect(policy).not.toContain("unsafe-inline");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
    const html = await res.text();
    expect(html).toContain("work-tracing");
    expect(html).toMatch(/<form[^>]*action="\/auth\/sign-in"/);
    // Every script, inline or not, carries this response's nonce, so the page can hydrate.
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect(script).toContain(`nonce="${nonce}"`);
    const again = (await fetch(`${server.url}/sign-in`)).headers.get("content-security-policy");
    expect(again).not.toBe(policy);
  });

  it("answers the API with nosniff and a policy that loads nothing, and 401 with WWW-Authenticate without a credential", async () => {
    const res = await fetch(`${server.url}/api/users`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await res.json()).toMatchObject({ success: false, error: { code: "unauthorized" } });
    expect(res.headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    const post = await fetch(`${server.url}/api/report`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(post.status).toBe(401);
  });

  it("accepts an event with the ingest token and reads it back with the read token, recording the socket's address", async () => {
    const body = JSON.stringify({ user: "server-access", state: "working" });
    const res = await fetch(`${server.url}/api/report`, {
      method: "POST",
      headers: { ...tokens.ingest, "x-wt-client-ip": "203.0.113.9", "content-type": "application/json" },
      body,
    });
    expect(res.status).toBe(201);
    const users = await fetch(`${server.url}/api/users`, { headers: tokens.read });
    expect(users.status).toBe(200);
    expect((await users.json()).data.map((u: { username: string }) => u.username)).toContain("server-access");
    const wrongScope = await fetch(`${server.url}/api/users`, { headers: tokens.ingest });
    expect(wrongScope.status).toBe(403);

    const db = openDb(database.url);
    try {
      const ingest = (await listTokens(db)).find((token) => tokens.ingest.authorization.includes(token.prefix))!;
      expect(ingest.lastUsedIp).toMatch(/127\.0\.0\.1/);
    } finally {
      await db.close();
    }
  });

  it("signs in through the form, shows the account on the home page, and signs out", async () => {
    const failed = await signIn(WRONG_PASSWORD);
    expect(failed.status).toBe(303);
    expect(failed.headers.get("location")).toMatch(/^\/sign-in\?error=invalid/);

    const res = await signIn(ADMIN_PASSWORD);
    expect(res.status).toBe(303);
    const setCookie = res.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    cookie = /^(wt_session=[^;]+)/.exec(setCookie)![1];

    const home = await fetch(`${server.url}/`, { headers: { cookie }, redirect: "manual" });
    expect(home.status).toBe(200);
    const html = await home.text();
    expect(html).toContain(ADMIN);
    expect(html).toMatch(/<form[^>]*action="\/auth\/sign-out"/);
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1];
    expect((await fetch(`${server.url}/api/users`, { headers: { cookie } })).status).toBe(200);

    const out = await fetch(`${server.url}/auth/sign-out`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie, origin: server.url, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf }),
    });
    expect(out.status).toBe(303);
    expect((await fetch(`${server.url}/api/users`, { headers: { cookie } })).status).toBe(401);
  });

  it("marks the cookie Secure when the request came through HTTPS", async () => {
    // A browser behind a TLS proxy sends the https Origin.
    const res = await signIn(ADMIN_PASSWORD, {
      "x-forwarded-proto": "https",
      origin: server.url.replace("http:", "https:"),
    });
    expect(res.headers.get("set-cookie")).toContain("; Secure");
  });

  it("keeps every password and token out of the database and the log", async () => {
    const secrets = [
      ADMIN_PASSWORD,
      WRONG_PASSWORD,
      ...Object.values(tokens).map((headers) => headers.authorization.slice("Bearer ".length)),
    ];
    const file = sqlitePathFromUrl(database.url);
    const stored = [file, `${file}-wal`]
      .filter(existsSync)
      .map((name) => readFileSync(name).toString("latin1"))
      .join("");
    expect(stored.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect(stored.includes(secret), `${secret.slice(0, 8)}… stored in clear`).toBe(false);
      expect(server.output().includes(secret), `${secret.slice(0, 8)}… logged`).toBe(false);
    }
    expect(cookie).not.toBe("");
    expect(stored.includes(cookie.split("=")[1])).toBe(false);
    expect(server.output()).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it("still answers with an ingest token after all of that", async () => {
    const res = await fetch(`${server.url}/api/report`, {
      method: "POST",
      headers: { ...bearer(tokens.ingest.authorization.slice("Bearer ".length)), "content-type": "application/json" },
      body: JSON.stringify({ user: "server-access", state: "stopped" }),
    });
    expect(res.status).toBe(201);
  });
});

// Behind a reverse proxy every connection comes from the proxy: with TRUSTED_PROXIES the
// client's own address is recorded, and what the client itself wrote in front is ignored.
describe("the built server behind a trusted reverse proxy", () => {
  let database: TestDatabase;
  let server: RunningServer;
  let tokens: { ingest: Record<string, string>; read: Record<string, string> };

  beforeAll(async () => {
    database = await createTestDatabase("sqlite");
    tokens = await tokensFor(database.url);
    server = await startServer({ DATABASE_URL: database.url, TRUSTED_PROXIES: "1" });
  });
  afterAll(async () => {
    if (server) killTree(server.child.pid!, "SIGKILL");
    await database?.drop();
  });

  it("records the address the proxy was reached from, not one the client forged", async () => {
    const res = await fetch(`${server.url}/api/report`, {
      method: "POST",
      // The client sent "198.51.100.7"; the proxy appended the address it saw, 203.0.113.20.
      headers: {
        ...tokens.ingest,
        "x-forwarded-for": "198.51.100.7, 203.0.113.20",
        "content-type": "application/json",
      },
      body: JSON.stringify({ user: "behind-proxy", state: "working" }),
    });
    expect(res.status).toBe(201);
    const db = openDb(database.url);
    try {
      const ingest = (await listTokens(db)).find((token) => tokens.ingest.authorization.includes(token.prefix))!;
      expect(ingest.lastUsedIp).toBe("203.0.113.20");
    } finally {
      await db.close();
    }
  });
});
