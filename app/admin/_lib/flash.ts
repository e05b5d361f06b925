import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { getSecretKey } from "@/lib/auth/secret-key";
import { FLASH_COOKIE, FLASH_PATH } from "./flash-cookie";

/**
 * The outcome of an admin form post, carried to the page it redirects to: a notice, an error,
 * or a new token to show once. Sealed (AES-256-GCM, bound to the session cookie) so nobody
 * can put words on an admin page through a link, and cleared by proxy.ts on the next page
 * load, so a token is shown once.
 */

export type Flash = { kind: "notice" | "error"; message: string; token?: string; page: string };

const keyFor = (secret: string) => createHmac("sha256", secret).update("admin-flash").digest();

export function sealFlash(sessionCookie: string, flash: Flash, secret = getSecretKey()): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyFor(secret), iv);
  cipher.setAAD(Buffer.from(sessionCookie));
  const body = Buffer.concat([cipher.update(JSON.stringify(flash), "utf8"), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((part) => part.toString("base64url")).join(".");
}

/** The bytes of base64url text in its one canonical spelling (no unused bits set), or null. */
function decodeCanonical(text: string): Buffer | null {
  const bytes = Buffer.from(text, "base64url");
  return bytes.toString("base64url") === text ? bytes : null;
}

export function openFlash(
  sessionCookie: string,
  sealed: string | null | undefined,
  secret = getSecretKey(),
): Flash | null {
  if (!sealed) return null;
  try {
    const parts = sealed.split(".").map(decodeCanonical);
    if (parts.length !== 3 || parts.includes(null)) return null;
    const [iv, tag, body] = parts as Buffer[];
    const decipher = createDecipheriv("aes-256-gcm", keyFor(secret), iv);
    decipher.setAAD(Buffer.from(sessionCookie));
    decipher.setAuthTag(tag);
    const flash = JSON.parse(Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8")) as Flash;
    return typeof flash?.message === "string" && typeof flash.page === "string" ? flash : null;
  } catch {
    return null;
  }
}

export function formatFlashCookie(value: string | null, { secure }: { secure: boolean }): string {
  const parts = [
    `${FLASH_COOKIE}=${value ?? ""}`,
    `Path=${FLASH_PATH}`,
    "HttpOnly",
    "SameSite=Strict",
    `Max-Age=${value ? 120 : 0}`,
  ];
  if (secure) parts.push("Secure");
  return parts.join("; ");
}
