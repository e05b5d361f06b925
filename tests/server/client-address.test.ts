import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RATE_LIMITS } from "@/lib/auth/rate-limit";
import { CLIENT_IP_HEADER } from "@/lib/auth/request";
import { createTestDatabase, type TestDatabase } from "../helpers/databases";
import { startServer, type RunningServer } from "../helpers/server";

// Under a plain `next start` no server.ts stamps the socket's address on the request, so
// whatever a client writes in these headers must not become its address.
describe("a plain next start believes no client-supplied address or host", () => {
  let database: TestDatabase;
  let server: RunningServer;
  beforeAll(async () => {
    database = await createTestDatabase("sqlite");
    server = await startServer({ DATABASE_URL: database.url }, { mode: "next start" });
  });
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  const signIn = (username: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/auth/sign-in`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: server.url, ...headers },
      body: new URLSearchParams({ username, password: "not-the-password" }).toString(),
    });

  it("says at start that it cannot know clients' addresses", () => {
    expect(server.output()).toContain("client addresses are unknown");
  });

  it("locks the per-address limit however each attempt dresses up its address", async () => {
    const spoofed = (i: number) => ({
      "x-forwarded-for": `198.51.100.${i}`,
      [CLIENT_IP_HEADER]: `203.0.113.${i}`,
      "x-wt-client-ip-seal": "guessed",
    });
    // A new username each time, so only the address limit can lock.
    for (let i = 0; i < RATE_LIMITS.address.maxFailures; i++) {
      const res = await signIn(`nobody-${i}`, spoofed(i));
      expect(res.status).toBe(303);
    }
    const res = await signIn("nobody-last", spoofed(250));
    expect(res.headers.get("location")).toContain("error=locked");
  });

  it("compares the Origin's scheme, host and port, and ignores X-Forwarded-Host", async () => {
    const forged = await signIn("someone", { origin: "http://evil.example", "x-forwarded-host": "evil.example" });
    expect(forged.status).toBe(403);
    const otherScheme = await signIn("someone", { origin: server.url.replace("http:", "https:") });
    expect(otherScheme.status).toBe(403);
    const otherPort = await signIn("someone", { origin: `http://127.0.0.1:${server.port + 1}` });
    expect(otherPort.status).toBe(403);
    const same = await signIn("someone");
    expect(same.status).toBe(303);
  });
});
