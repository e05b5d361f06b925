import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";
import path from "node:path";

const OWNER_ONLY_FOLDER = 0o700;
const OWNER_ONLY_FILE = 0o600;
/** SQLite's companions of a database file: it gives each the main file's mode when it creates it. */
const COMPANIONS = ["", "-wal", "-shm", "-journal"];

const isOwn = (target: string) => typeof process.getuid !== "function" || statSync(target).uid === process.getuid();

/** Sets `mode` on a file or folder this process's account owns; another account's is left as it is. */
function tighten(target: string, mode: number): void {
  if (process.platform === "win32" || !existsSync(target) || !isOwn(target)) return;
  if ((statSync(target).mode & 0o777) !== mode) chmodSync(target, mode);
}

/**
 * Makes a SQLite database readable by the server's account only, before it is opened: a folder
 * created for it is 0700, and so is `ownFolder` (the server's own `instance/`) when it already
 * exists; the database file is created 0600 (SQLite then creates `-wal` and `-shm` with the
 * same mode); existing database, `-wal`, `-shm` and `-journal` files that this account owns are
 * tightened to 0600. A folder the operator chose is left as it is, and so is any file another
 * account owns.
 */
export function prepareOwnerOnlySqlite(file: string, ownFolder: string): void {
  const folder = path.dirname(file);
  if (!existsSync(folder)) mkdirSync(folder, { recursive: true, mode: OWNER_ONLY_FOLDER });
  if (path.resolve(folder) === path.resolve(ownFolder)) tighten(folder, OWNER_ONLY_FOLDER);
  try {
    // An empty file is a new database to SQLite; creating it here fixes its mode whatever the umask.
    closeSync(openSync(file, "wx", OWNER_ONLY_FILE));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  for (const suffix of COMPANIONS) tighten(`${file}${suffix}`, OWNER_ONLY_FILE);
}

/** After opening: SQLite made `-wal` and `-shm` from the file's mode, but a umask or an older file may differ. */
export function tightenSqliteCompanions(file: string): void {
  for (const suffix of COMPANIONS) tighten(`${file}${suffix}`, OWNER_ONLY_FILE);
}
