import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
    // Written whole under a private name, then linked into place: a server starting at the same
    // moment never reads a half-written key, and the first link wins.
    const draft = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
    writeFileSync(draft, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
    try {
      chmodSync(draft, 0o600);
      linkSync(draft, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    } finally {
      rmSync(draft, { force: true });
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
