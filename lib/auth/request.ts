import type { Credentials } from "./authorize.ts";
import { SESSION_COOKIE } from "./sessions.ts";
import { readBearerToken } from "./tokens.ts";

/** Request headers as both `Request` and Next's `headers()` expose them. */
export type HeaderSource = { get(name: string): string | null };

/**
 * Set by server.ts from the socket, replacing anything a client sent; where server.ts does
 * not run (a serverless host), the platform's X-Forwarded-For is used instead.
 */
export const CLIENT_IP_HEADER = "x-wt-client-ip";

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

export function clientIp(headers: HeaderSource): string | null {
  const own = headers.get(CLIENT_IP_HEADER);
  if (own) return own;
  return headers.get("x-forwarded-for")?.split(",")[0]?.trim() || null;
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
 * Whether a form post comes from this site: its Origin (or, without one, Sec-Fetch-Site)
 * must match the host it was sent to. Clients that send neither are not browsers, which
 * are what cross-site request forgery needs.
 */
export function isSameOrigin(headers: HeaderSource): boolean {
  const origin = headers.get("origin");
  if (origin) {
    const host = headers.get("x-forwarded-host")?.split(",")[0]?.trim() || headers.get("host");
    try {
      return origin !== "null" && new URL(origin).host === host;
    } catch {
      return false;
    }
  }
  const site = headers.get("sec-fetch-site");
  return site === null || site === "same-origin" || site === "none";
}
