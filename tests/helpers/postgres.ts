import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
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

/**
 * A PostgreSQL server for the tests: TEST_POSTGRES_URL (or the default local role) when it
 * answers; otherwise a throwaway cluster started from the installed binaries and removed at
 * the end, so `npm test` needs nothing started by hand.
 */
export async function ensurePostgres(): Promise<PostgresForTests> {
  const wanted = process.env.TEST_POSTGRES_URL;
  const url = wanted || DEFAULT_TEST_POSTGRES_URL;
  if (await canConnect(url)) return { url, stop: async () => undefined };
  if (wanted) throw new Error(`TEST_POSTGRES_URL does not answer: ${url.replace(/:[^:@/]*@/, ":***@")}`);

  const bin = findPostgresBin();
  if (!bin) {
    throw new Error(
      "The PostgreSQL tests need a server: install PostgreSQL (Debian: apt-get install postgresql) or set TEST_POSTGRES_URL",
    );
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "wt-pg-"));
  // initdb and postgres refuse to run as root: as root, run them as the postgres account. Not
  // through runuser, which would sit between us and the server and not pass on the stop signal.
  const owner = process.getuid?.() === 0 ? { uid: Number(spawnSync("id", ["-u", "postgres"]).stdout), gid: Number(spawnSync("id", ["-g", "postgres"]).stdout) } : {};
  if (owner.uid !== undefined) chownSync(dir, owner.uid, owner.gid!);
  const init = spawnSync(path.join(bin, "initdb"), ["-D", dir, "-U", "worktracing", "--auth=trust", "-E", "UTF8", "--no-sync"], { encoding: "utf8", cwd: dir, ...owner });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  const server: ChildProcess = spawn(
    path.join(bin, "postgres"),
    ["-D", dir, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"],
    { stdio: "ignore", cwd: dir, ...owner },
  );
  const tempUrl = `postgresql://worktracing@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 30_000;
  while (!(await canConnect(tempUrl))) {
    if (Date.now() > deadline || server.exitCode !== null) throw new Error("The throwaway PostgreSQL server did not start");
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
