import { randomBytes, timingSafeEqual } from "node:crypto";
import { getConfig } from "../config.ts";
import type { Credentials } from "./authorize.ts";
import { SESSION_COOKIE } from "./sessions.ts";
import { readBearerToken } from "./tokens.ts";

/** Request headers as both `Request` and Next's `headers()` expose them. */
export type HeaderSource = { get(name: string): string | null };

/**
 * Set by server.ts from the socket, replacing anything a client sent, together with
 * CLIENT_IP_SEAL_HEADER. Only server.ts can strip a client's copy: under a plain `next start`
 * or on a serverless host the client's own header reaches the handlers (proxy.ts does not run
 * for /api, nor for what Next answers before it), so the header counts only when it carries
 * the seal server.ts made for this process. Checking it where it is read holds on every path
 * in every deploy mode; stripping it in proxy.ts would not.
 */
export const CLIENT_IP_HEADER = "x-wt-client-ip";
export const CLIENT_IP_SEAL_HEADER = "x-wt-client-ip-seal";
// The environment, because Next bundles the handlers apart from server.ts's own modules.
const SEAL_ENV = "WORK_TRACING_CLIENT_IP_SEAL";

/**
 * Where no address can be trusted (a plain `next start` without TRUSTED_PROXIES): the sign-in
 * limit then counts every such client as this one address, so a client cannot escape it by
 * claiming a new address per attempt.
 */
export const UNKNOWN_CLIENT_ADDRESS = "unknown";

/** Called once by server.ts before Next loads: the seal that vouches for CLIENT_IP_HEADER. */
export function createClientAddressSeal(): string {
  const seal = randomBytes(32).toString("base64url");
  process.env[SEAL_ENV] = seal;
  return seal;
}

/** Whether this process can learn clients' addresses: from server.ts, or from trusted proxies. */
export function knowsClientAddresses(): boolean {
  return Boolean(process.env[SEAL_ENV]) || getConfig().trustedProxies > 0;
}

function isSealed(headers: HeaderSource): boolean {
  const seal = process.env[SEAL_ENV];
  const given = headers.get(CLIENT_IP_SEAL_HEADER);
  if (!seal || !given) return false;
  const [a, b] = [Buffer.from(given), Buffer.from(seal)];
  return a.length === b.length && timingSafeEqual(a, b);
}

const firstOf = (value: string | null) => value?.split(",")[0]?.trim() || null;

/** One cookie's value from a Cookie header, or null. */
export function readCookie(header: string | null | undefined, name: string): string | null {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/**
 * The client's address as server.ts records it: the socket's, or, behind `trustedProxies`
 * reverse proxies, the one the outermost of them was reached from. Each proxy appends the
 * address it was reached from to X-Forwarded-For, so that one is `trustedProxies` entries from
 * the end; anything before it came from the client and proves nothing.
 */
export function clientAddressOf(
  socketAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustedProxies: number,
): string {
  const socket = socketAddress ?? "";
  if (trustedProxies === 0) return socket;
  const hops = [forwardedFor ?? []]
    .flat()
    .join(",")
    .split(",")
    .map((hop) => hop.trim())
    .filter(Boolean);
  return hops.length ? hops[Math.max(0, hops.length - trustedProxies)] : socket;
}

/**
 * The client's address: server.ts's sealed one, else (no server.ts) X-Forwarded-For as the
 * trusted proxies wrote it, else null: unknown, never what the client says.
 */
export function clientIp(headers: HeaderSource): string | null {
  const own = headers.get(CLIENT_IP_HEADER);
  if (own && isSealed(headers)) return own;
  const { trustedProxies } = getConfig();
  if (trustedProxies === 0) return null;
  return clientAddressOf(undefined, headers.get("x-forwarded-for") ?? undefined, trustedProxies) || null;
}

/** Whether the browser reached the site over HTTPS (directly, or through a TLS proxy). */
export function isHttps(url: string, headers: HeaderSource): boolean {
  return url.startsWith("https:") || headers.get("x-forwarded-proto")?.split(",")[0]?.trim() === "https";
}

export function credentialsFrom(headers: HeaderSource): Credentials {
  return {
    bearer: readBearerToken(headers.get("authorization")),
    sessionCookie: readCookie(headers.get("cookie"), SESSION_COOKIE),
    ip: clientIp(headers),
  };
}

/**
 * The scheme, host and port the browser sent the request to: the Host header, with
 * X-Forwarded-Host and -Proto counted only from trusted proxies; null when there is no host.
 */
export function reachedOrigin({ url, headers }: { url: string; headers: HeaderSource }): string | null {
  const viaProxy = getConfig().trustedProxies > 0;
  const host = (viaProxy && firstOf(headers.get("x-forwarded-host"))) || headers.get("host");
  if (!host) return null;
  try {
    const scheme = (viaProxy && firstOf(headers.get("x-forwarded-proto"))) || new URL(url).protocol.slice(0, -1);
    return new URL(`${scheme}://${host}`).origin;
  } catch {
    return null;
  }
}

/**
 * Whether a form post comes from this site: its Origin (or, without one, Sec-Fetch-Site)
 * must match the origin it was sent to (reachedOrigin). Clients that send neither Origin nor
 * Sec-Fetch-Site are not browsers, which are what cross-site request forgery needs.
 */
export function isSameOrigin(request: { url: string; headers: HeaderSource }): boolean {
  const origin = request.headers.get("origin");
  if (origin) {
    const reached = reachedOrigin(request);
    try {
      return origin !== "null" && reached !== null && new URL(origin).origin === reached;
    } catch {
      return false;
    }
  }
  const site = request.headers.get("sec-fetch-site");
  return site === null || site === "same-origin" || site === "none";
}
