import { createHmac, timingSafeEqual } from "node:crypto";
import { getSecretKey } from "./secret-key.ts";

/**
 * The token a signed-in page puts in its forms: an HMAC of the session cookie, so it is
 * per session, needs no storage, and a page of another site cannot know it.
 */
export function csrfTokenFor(sessionCookie: string, key = getSecretKey()): string {
  return createHmac("sha256", key).update(`csrf:${sessionCookie}`).digest("base64url");
}

export function isValidCsrfToken(
  sessionCookie: string,
  token: string | null | undefined,
  key = getSecretKey(),
): boolean {
  const expected = Buffer.from(csrfTokenFor(sessionCookie, key));
  const given = Buffer.from(token ?? "");
  return given.length === expected.length && timingSafeEqual(given, expected);
}
