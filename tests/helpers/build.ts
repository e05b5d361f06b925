import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SOURCES = [
  "app",
  "lib",
  "public",
  "next.config.mjs",
  "instrumentation.ts",
  "proxy.ts",
  "package.json",
  "tailwind.config.ts",
];

function newestMtime(target: string): number {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(target)) newest = Math.max(newest, newestMtime(path.join(target, entry)));
  return newest;
}

/** Builds the app for the tests that start the real server, unless a build newer than every source exists. */
export function ensureBuild(): void {
  // Test runs started side by side must not build into the same .next folder at once.
  const lock = path.join(ROOT, ".next-build.lock");
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`Could not take ${lock}; remove it if no build is running`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    buildIfStale();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Whether .next holds no build, or one older than a source. */
export function buildState(): "missing" | "stale" | "current" {
  const buildId = path.join(ROOT, ".next", "BUILD_ID");
  if (!existsSync(buildId)) return "missing";
  const changed = Math.max(...SOURCES.map((source) => newestMtime(path.join(ROOT, source))));
  return statSync(buildId).mtimeMs > changed ? "current" : "stale";
}

function buildIfStale(): void {
  if (buildState() === "current") return;
  process.stdout.write("Building the app for the server tests (next build)...\n");
  const result = spawnSync("npx", ["next", "build"], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, NODE_ENV: "production" },
  });
  if (result.status !== 0) throw new Error("next build failed; run `npm run build` to see why");
}
