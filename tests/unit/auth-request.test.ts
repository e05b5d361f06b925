import { describe, expect, it } from "vitest";
import { safeNextPath } from "@/lib/auth/next-path";
import {
  CLIENT_IP_HEADER,
  CLIENT_IP_SEAL_HEADER,
  clientAddressOf,
  clientIp,
  createClientAddressSeal,
  isSameOrigin,
} from "@/lib/auth/request";

describe("the client address server.ts records", () => {
  it.each([
    ["no proxy trusted: the socket, whatever the header says", "10.0.0.5", "198.51.100.7", 0, "10.0.0.5"],
    ["one proxy: the address it appended", "10.0.0.5", "203.0.113.20", 1, "203.0.113.20"],
    ["one proxy: a forged entry in front is ignored", "10.0.0.5", "198.51.100.7, 203.0.113.20", 1, "203.0.113.20"],
    ["two proxies: the one the outer proxy saw", "10.0.0.5", "198.51.100.7, 203.0.113.20, 10.0.0.9", 2, "203.0.113.20"],
    ["more proxies trusted than entries: the first entry", "10.0.0.5", "203.0.113.20", 3, "203.0.113.20"],
    ["a proxy trusted but no header: the socket", "10.0.0.5", undefined, 1, "10.0.0.5"],
    ["headers repeated: read in order", "10.0.0.5", ["198.51.100.7", "203.0.113.20"], 1, "203.0.113.20"],
  ] as const)("%s", (_case, socket, forwardedFor, trusted, expected) => {
    expect(clientAddressOf(socket, forwardedFor as string | string[] | undefined, trusted)).toBe(expected);
  });
});

type ConfigCache = typeof globalThis & { __workTracingConfig?: unknown };

/** Runs `check` with TRUSTED_PROXIES set to `proxies`, as a fresh process would read it. */
function withTrustedProxies(proxies: number, check: () => void) {
  const saved = process.env.TRUSTED_PROXIES;
  process.env.TRUSTED_PROXIES = String(proxies);
  delete (globalThis as ConfigCache).__workTracingConfig;
  try {
    check();
  } finally {
    if (saved === undefined) delete process.env.TRUSTED_PROXIES;
    else process.env.TRUSTED_PROXIES = saved;
    delete (globalThis as ConfigCache).__workTracingConfig;
  }
}

describe("the client address a route handler believes", () => {
  it("believes no client-sent header without server.ts's seal or a trusted proxy", () => {
    withTrustedProxies(0, () => {
      expect(clientIp(new Headers({ [CLIENT_IP_HEADER]: "203.0.113.7", [CLIENT_IP_SEAL_HEADER]: "guess" }))).toBeNull();
      expect(clientIp(new Headers({ "x-forwarded-for": "198.51.100.7" }))).toBeNull();
    });
  });

  it("believes server.ts's address only with this process's seal", () => {
    const seal = createClientAddressSeal();
    withTrustedProxies(0, () => {
      expect(clientIp(new Headers({ [CLIENT_IP_HEADER]: "203.0.113.7", [CLIENT_IP_SEAL_HEADER]: seal }))).toBe(
        "203.0.113.7",
      );
      const forged = `${seal.slice(0, -1)}${seal.endsWith("A") ? "B" : "A"}`;
      expect(clientIp(new Headers({ [CLIENT_IP_HEADER]: "203.0.113.7", [CLIENT_IP_SEAL_HEADER]: forged }))).toBeNull();
      // As long as the seal, but longer in bytes.
      const wide = "\u00e9".repeat(seal.length);
      expect(clientIp(new Headers({ [CLIENT_IP_HEADER]: "203.0.113.7", [CLIENT_IP_SEAL_HEADER]: wide }))).toBeNull();
    });
  });

  it("reads X-Forwarded-For as the trusted proxies wrote it", () => {
    withTrustedProxies(1, () => {
      expect(clientIp(new Headers({ "x-forwarded-for": "198.51.100.7, 203.0.113.20" }))).toBe("203.0.113.20");
    });
  });
});

describe("the forms' same-origin check", () => {
  const post = (origin: string, headers: Record<string, string> = {}, url = "http://app.example/auth/sign-in") => ({
    url,
    headers: new Headers({ host: "app.example", origin, ...headers }),
  });

  it("compares scheme, host and port", () => {
    withTrustedProxies(0, () => {
      expect(isSameOrigin(post("http://app.example"))).toBe(true);
      expect(isSameOrigin(post("http://app.example:80"))).toBe(true);
      expect(isSameOrigin(post("https://app.example"))).toBe(false);
      expect(isSameOrigin(post("http://app.example:8080"))).toBe(false);
      expect(isSameOrigin(post("http://evil.example"))).toBe(false);
      expect(isSameOrigin(post("null"))).toBe(false);
    });
  });

  it("takes X-Forwarded-Host and -Proto only from a trusted proxy", () => {
    const proxied = post("https://evil.example", { "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" });
    withTrustedProxies(0, () => expect(isSameOrigin(proxied)).toBe(false));
    withTrustedProxies(1, () => expect(isSameOrigin(proxied)).toBe(true));
  });
});

describe("the address to return to after signing in", () => {
  it.each([
    ["/employees/山田\u3000", "/employees/%E5%B1%B1%E7%94%B0%E3%80%80"],
    ["/reports/week?date=2026-03-02", "/reports/week?date=2026-03-02"],
    ["/a b", "/a%20b"],
    ["/\ud800", "/%EF%BF%BD"],
    ["//evil.example", "/"],
    ["/\\evil.example", "/"],
    ["https://evil.example", "/"],
  ])("%s → %s", (next, expected) => {
    expect(safeNextPath(next)).toBe(expected);
  });
});
