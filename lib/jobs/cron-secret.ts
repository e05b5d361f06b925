import { createHash, timingSafeEqual } from "node:crypto";
import { AppError } from "../errors.ts";

/**
 * Checks the bearer token an external scheduler sends against CRON_SECRET. Without a
 * configured secret the engine route stays closed.
 */
export function checkCronSecret(authorization: string | null, secret: string | undefined): void {
  if (!secret) {
    throw new AppError(403, "cron_disabled", "Set CRON_SECRET to let an external scheduler run the periodic jobs");
  }
  const token = /^Bearer\s+(.+)$/i.exec(authorization ?? "")?.[1]?.trim();
  const digest = (value: string) => createHash("sha256").update(value).digest();
  if (!token || !timingSafeEqual(digest(token), digest(secret))) {
    throw new AppError(401, "unauthorized", "Send Authorization: Bearer <CRON_SECRET>", undefined, {
      "WWW-Authenticate": "Bearer",
    });
  }
}
