import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { getConfig } from "../config.ts";

/**
 * The configured key, or the one kept in `<rootDir>/instance/secret_key`, generated on first
 * use and readable by the owner only, so that sessions survive restarts.
 */
export function loadSecretKey(rootDir: string, configured?: string): string {
  if (configured) return configured;
  const file = path.join(/*turbopackIgnore: true*/ rootDir, "instance", "secret_key");
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    try {
      writeFileSync(file, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
      chmodSync(file, 0o600);
    } catch (error) {
      // Another process created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  return readFileSync(file, "utf8").trim();
}

const cache = globalThis as typeof globalThis & { __workTracingSecretKey?: string };

/** The key that signs session cookies: SECRET_KEY when set, otherwise the generated one. */
export function getSecretKey(): string {
  const config = getConfig();
  cache.__workTracingSecretKey ??= loadSecretKey(config.rootDir, config.secretKey);
  return cache.__workTracingSecretKey;
}
