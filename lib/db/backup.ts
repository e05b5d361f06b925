import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, renameSync, rmSync, statSync, type Stats } from "node:fs";
import { access, constants } from "node:fs/promises";
import path from "node:path";
import Database from "better-sqlite3";
import { sqlitePathFromUrl } from "../config.ts";
import type { Provider } from "./dialect.ts";

/** A backup that could not be made; the message is one line that says why and what to do. */
class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackupError";
  }
}

export type BackupResult = { provider: Provider; source: string; file: string; bytes: number };

// sqlite3_backup_step's page count: every page in one step, so the copy is one read
// transaction's snapshot even while the server commits beside it (in WAL mode a reader does
// not block the writer). Smaller steps would restart whenever the server wrote in between.
const ALL_PAGES = 0x7fffffff;

/** `statSync`, or a BackupError naming `what` when the path is missing or out of this account's reach. */
function statOrFail(target: string, missing: string, what: string): Stats {
  try {
    return statSync(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new BackupError(missing);
    throw new BackupError(`${what} ${target} cannot be reached by this account (${code})`);
  }
}

/** The destination's folder must exist and be writable; the destination itself must not be a folder. */
async function checkDestination(file: string): Promise<void> {
  const folder = path.dirname(file);
  const missing = `The destination folder ${folder} does not exist`;
  if (!statOrFail(folder, missing, "The destination folder").isDirectory()) throw new BackupError(missing);
  try {
    await access(folder, constants.W_OK);
  } catch {
    throw new BackupError(`The destination folder ${folder} is not writable by this account`);
  }
  if (existsSync(file) && statSync(file).isDirectory())
    throw new BackupError(`${file} is a folder: give --out a file name`);
}

/** Writes through `write` into a 0600 file beside `file`, then renames it into place: never half a backup under its name. */
async function writeAtomically(file: string, write: (temp: string) => Promise<void>): Promise<number> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.partial-${process.pid}`);
  try {
    // Employee activity is personal data: the copy is the owner's alone, as the database is.
    closeSync(openSync(temp, "w", 0o600));
    await write(temp);
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    if (error instanceof BackupError) throw error;
    throw new BackupError(`Cannot write the backup to ${file}: ${(error as Error).message.split("\n")[0]}`);
  }
  return statSync(file).size;
}

async function backupSqlite(url: string, file: string): Promise<BackupResult> {
  const source = sqlitePathFromUrl(url);
  const owner = statOrFail(source, `There is no SQLite database at ${source} (DATABASE_URL)`, "The database").uid;
  if ([source, `${source}-wal`, `${source}-shm`, `${source}-journal`].some((name) => path.resolve(name) === file))
    throw new BackupError(`--out names the database itself (${source}): choose another file`);
  // SQLite creates -wal and -shm beside the database when they are missing; made by another
  // account they would lock the server out of its own database.
  if (typeof process.getuid === "function" && process.getuid() !== owner)
    throw new BackupError(
      `Run the backup as the account that owns ${source} (uid ${owner}), e.g. sudo -u work-tracing npm run backup -- --out FILE`,
    );
  const bytes = await writeAtomically(file, async (temp) => {
    const db = new Database(source, { readonly: true, fileMustExist: true, timeout: 5000 });
    try {
      await db.backup(temp, { progress: () => ALL_PAGES });
    } finally {
      db.close();
    }
    // One self-contained file: no WAL beside it, checked before it is called a backup.
    const copy = new Database(temp, { fileMustExist: true });
    try {
      copy.pragma("journal_mode = DELETE");
      const check = copy.pragma("quick_check", { simple: true });
      if (check !== "ok") throw new BackupError(`The copy failed SQLite's quick_check: ${String(check)}`);
    } finally {
      copy.close();
    }
  });
  return { provider: "sqlite", source, file, bytes };
}

// libpq's own variables, so the password never appears on a command line (visible to every
// account in `ps`) or in a log. Inherited PG* variables are dropped: the URL alone decides.
const LIBPQ_PARAMETERS: Record<string, string> = {
  sslmode: "PGSSLMODE",
  sslrootcert: "PGSSLROOTCERT",
  sslcert: "PGSSLCERT",
  sslkey: "PGSSLKEY",
  host: "PGHOST",
  port: "PGPORT",
  connect_timeout: "PGCONNECT_TIMEOUT",
  application_name: "PGAPPNAME",
};

type Env = Record<string, string | undefined>;

/** The environment pg_dump (or pg_restore) needs to reach the database a postgresql:// URL names. */
export function libpqEnvironment(url: string, inherited: Env = process.env): Env {
  const parsed = new URL(url);
  const env: Env = Object.fromEntries(Object.entries(inherited).filter(([name]) => !/^PG/.test(name)));
  const set = (name: string, value: string) => {
    if (value) env[name] = value;
  };
  set("PGHOST", decodeURIComponent(parsed.hostname).replace(/^\[(.*)\]$/, "$1"));
  set("PGPORT", parsed.port);
  set("PGUSER", decodeURIComponent(parsed.username));
  set("PGPASSWORD", decodeURIComponent(parsed.password));
  set("PGDATABASE", decodeURIComponent(parsed.pathname.replace(/^\//, "")));
  for (const [key, value] of parsed.searchParams) if (LIBPQ_PARAMETERS[key]) set(LIBPQ_PARAMETERS[key], value);
  env.PGCONNECT_TIMEOUT ??= "10";
  return env;
}

async function backupPostgres(url: string, file: string, pgDump: string): Promise<BackupResult> {
  const env = libpqEnvironment(url);
  const source = `${env.PGDATABASE ?? env.PGUSER ?? ""} on ${env.PGHOST ?? "localhost"}:${env.PGPORT ?? 5432}`;
  const bytes = await writeAtomically(file, async (temp) => {
    // --no-password: fail at once rather than wait for someone to type one.
    const child = spawn(pgDump, ["--format=custom", "--no-password", `--file=${temp}`], {
      env: env as NodeJS.ProcessEnv,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
    const outcome = await new Promise<{ code: number | null; error?: NodeJS.ErrnoException }>((resolve) => {
      child.once("error", (error) => resolve({ code: null, error }));
      child.once("close", (code) => resolve({ code }));
    });
    if (outcome.error?.code === "ENOENT")
      throw new BackupError(
        `${pgDump} was not found: install PostgreSQL's client tools of the server's major version or newer (Debian: apt-get install postgresql-client), or give its path with --pg-dump`,
      );
    if (outcome.error) throw new BackupError(`Cannot run ${pgDump}: ${outcome.error.message}`);
    if (outcome.code !== 0) {
      const password = env.PGPASSWORD;
      const said = [...new Set(stderr.trim().split("\n"))].slice(-3).join(" | ");
      throw new BackupError(
        `pg_dump failed (exit ${outcome.code}): ${password ? said.split(password).join("***") : said}`,
      );
    }
  });
  return { provider: "postgresql", source, file, bytes };
}

/**
 * Copies the database at `url` into `out` while a server may be using it: SQLite with its
 * online backup, into one self-contained database file; PostgreSQL with `pg_dump` in its
 * custom format (for `pg_restore`). Both are one consistent snapshot. `out` is replaced only
 * when the new copy is complete.
 */
export async function backupDatabase(
  url: string,
  out: string,
  { pgDump = "pg_dump" }: { pgDump?: string } = {},
): Promise<BackupResult> {
  const file = path.resolve(out);
  await checkDestination(file);
  return url.startsWith("file:") ? backupSqlite(url, file) : backupPostgres(url, file, pgDump);
}
