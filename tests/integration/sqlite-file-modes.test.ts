import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDb } from "@/lib/db";
import { prepareOwnerOnlySqlite } from "@/lib/db/file-modes";

const modeOf = (target: string) => statSync(target).mode & 0o777;

// Employee activity is personal data: another account on the machine must not read the database.
describe.skipIf(process.platform === "win32")("the SQLite files' permissions", () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "wt-modes-"));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it("creates the folder 0700 and the database, -wal and -shm 0600, whatever the umask", async () => {
    const file = path.join(tempDir(), "instance", "work_events.db");
    const before = process.umask(0o022);
    try {
      const db = openDb(`file:${file}`);
      try {
        await db.raw.execute("CREATE TABLE t (x INTEGER)");
        await db.raw.execute("INSERT INTO t VALUES (1)");
        await db.prisma.$queryRawUnsafe("SELECT count(*) FROM t");
        expect(modeOf(path.dirname(file)).toString(8)).toBe("700");
        for (const suffix of ["", "-wal", "-shm"]) {
          expect(existsSync(`${file}${suffix}`), suffix).toBe(true);
          expect(modeOf(`${file}${suffix}`).toString(8), `work_events.db${suffix}`).toBe("600");
        }
      } finally {
        await db.close();
      }
    } finally {
      process.umask(before);
    }
  });

  it("tightens the server's own world-readable files and instance/ when it starts", async () => {
    const root = tempDir();
    const instance = path.join(root, "instance");
    mkdirSync(instance, { mode: 0o755 });
    chmodSync(instance, 0o755);
    const file = path.join(instance, "work_events.db");
    const first = openDb(`file:${file}`);
    await first.raw.execute("CREATE TABLE t (x INTEGER)");
    await first.close();
    for (const suffix of ["", "-wal", "-shm"]) {
      if (!existsSync(`${file}${suffix}`)) writeFileSync(`${file}${suffix}`, "");
      chmodSync(`${file}${suffix}`, 0o644);
    }

    prepareOwnerOnlySqlite(file, instance);
    expect(modeOf(instance).toString(8)).toBe("700");
    for (const suffix of ["", "-wal", "-shm"]) expect(modeOf(`${file}${suffix}`).toString(8), suffix).toBe("600");
  });

  it("leaves a folder the operator chose as it is", () => {
    const shared = tempDir();
    chmodSync(shared, 0o755);
    prepareOwnerOnlySqlite(path.join(shared, "work.db"), path.join(shared, "instance"));
    expect(modeOf(shared).toString(8)).toBe("755");
    expect(modeOf(path.join(shared, "work.db")).toString(8)).toBe("600");
  });
});
