import { readFileSync } from "node:fs";
import path from "node:path";

let version: string | undefined;

/** The running release, from package.json. */
export function getVersion(): string {
  if (version) return version;
  try {
    version = String(JSON.parse(readFileSync(path.join(process.cwd(), "package.json"), "utf8")).version ?? "unknown");
  } catch {
    version = "unknown";
  }
  return version;
}
